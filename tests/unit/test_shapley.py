"""The Shapley decomposition against its definition and its axioms."""

import itertools

import numpy as np
import pandas as pd
import pytest

from simulation.experiment.shapley import coalitions, decompose, shapley_shares


def random_game(k, rng):
    switches = [f"s{i}" for i in range(k)]
    return switches, {c: float(rng.normal()) for c in coalitions(switches)}


def averaged_over(value, orders):
    """Each switch's marginal effect (the value with it on less the value before), averaged over ``orders``."""
    shares = dict.fromkeys(orders[0], 0.0)
    for order in orders:
        on = frozenset()
        for s in order:
            shares[s] += (value[on | {s}] - value[on]) / len(orders)
            on = on | {s}
    return shares


def by_permutations(value, switches):
    """Shapley's definition: the marginal effects averaged over every order of turning the switches on."""
    return averaged_over(value, list(itertools.permutations(switches)))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_shares_match_the_definition_and_add_up_to_the_whole(k):
    rng = np.random.default_rng(k)
    switches, value = random_game(k, rng)
    shares = shapley_shares(value, switches)
    brute = by_permutations(value, switches)
    for s in switches:
        assert shares[s] == pytest.approx(brute[s], abs=1e-12)
    assert sum(shares.values()) == pytest.approx(value[frozenset(switches)] - value[frozenset()], abs=1e-12)


def test_one_switch_takes_the_whole_difference():
    value = {frozenset(): 2.0, frozenset({"pool"}): -5.5}
    assert shapley_shares(value, ["pool"]) == {"pool": -7.5}


def test_additive_switches_get_their_own_effect_and_a_null_switch_gets_nothing():
    effect = {"a": 1.5, "b": -2.0, "null": 0.0}
    value = {c: sum(effect[s] for s in c) for c in coalitions(list(effect))}
    assert shapley_shares(value, list(effect)) == pytest.approx(effect)


def test_symmetric_switches_share_equally():
    switches = ["a", "b", "c"]
    value = {c: len(c) ** 2 for c in coalitions(switches)}  # only how many are on matters
    shares = shapley_shares(value, switches)
    assert shares["a"] == pytest.approx(shares["b"]) == pytest.approx(shares["c"]) == pytest.approx(3.0)


def test_decompose_pairs_replications_and_adds_a_total_row():
    switches = ["pool", "recapture"]
    coalition_of = {"split": frozenset(), "pool": frozenset({"pool"}), "recapture": frozenset({"recapture"}),
                    "both": frozenset(switches)}
    rng = np.random.default_rng(0)
    rows = []
    for rep in range(4):
        base = rng.normal(10, 1)  # common random numbers: a shared level per replication
        for policy, value in (("split", base), ("pool", base - 2), ("recapture", base - 0.5), ("both", base - 3)):
            rows.append({"policy": policy, "replication": rep, "metric": "days_of_inventory", "channel": "all",
                         "node_type": "all", "value": value})
    table = decompose(pd.DataFrame(rows), coalition_of, switches, [("days_of_inventory", "all", "all")])
    share = table.set_index("switch")["share"]
    assert share["total"] == pytest.approx(-3.0)
    assert share["pool"] == pytest.approx(-2.25) and share["recapture"] == pytest.approx(-0.75)  # (-2 - 2.5) / 2, (-0.5 - 1) / 2
    assert share["pool"] + share["recapture"] == pytest.approx(share["total"], abs=1e-12)
    assert (table.ci_high - table.ci_low).max() < 1e-9  # the differences do not vary: the shared level cancels


def test_decompose_refuses_a_missing_combination():
    with pytest.raises(ValueError, match=r"missing \[\['a', 'b'\]\]"):
        decompose(pd.DataFrame(columns=["policy", "replication", "metric", "channel", "node_type", "value"]),
                  {"none": frozenset(), "a": frozenset("a"), "b": frozenset("b")}, ["a", "b"], [])


def by_group_orders(value, groups):
    """Owen's definition: the marginal effects averaged over every order in which each group's switches are turned
    on together (an order of the groups, and an order within each)."""
    return averaged_over(value, [[s for inner in inners for s in inner]
                                 for outer in itertools.permutations(groups)
                                 for inners in itertools.product(*[list(itertools.permutations(g)) for g in outer])])


@pytest.mark.parametrize("groups", [[["a", "b"], ["c"]], [["a"], ["b", "c", "d"]], [["a", "b"], ["c", "d"], ["e"]]])
def test_owen_shares_match_their_definition_and_add_up(groups):
    from simulation.experiment.shapley import owen_shares
    rng = np.random.default_rng(len(groups))
    switches = [s for g in groups for s in g]
    value = {c: float(rng.normal()) for c in coalitions(switches)}
    shares, brute = owen_shares(value, groups), by_group_orders(value, groups)
    for s in switches:
        assert shares[s] == pytest.approx(brute[s], abs=1e-12)
    assert sum(shares.values()) == pytest.approx(value[frozenset(switches)] - value[frozenset()], abs=1e-12)
    singletons = owen_shares(value, [[s] for s in switches])
    assert singletons == pytest.approx(shapley_shares(value, switches))  # one switch a group: the Shapley share


def test_decompose_gives_each_switch_its_range_over_orders():
    """``first``: the switch turned on from none; ``last``: turned on onto all the others."""
    switches = ["pool", "recapture"]
    coalition_of = {"split": frozenset(), "pool": frozenset({"pool"}), "recapture": frozenset({"recapture"}),
                    "both": frozenset(switches)}
    rows = [{"policy": p, "replication": r, "metric": "m", "channel": "all", "node_type": "all", "value": v + r}
            for r in range(3) for p, v in (("split", 0.0), ("pool", -2.0), ("recapture", -0.5), ("both", -3.0))]
    table = decompose(pd.DataFrame(rows), coalition_of, switches, [("m", "all", "all")]).set_index("switch")
    assert (table.loc["pool", "first"], table.loc["pool", "last"]) == pytest.approx((-2.0, -2.5))
    assert (table.loc["recapture", "first"], table.loc["recapture", "last"]) == pytest.approx((-0.5, -1.0))
    assert table.loc["pool", "share"] == pytest.approx((table.loc["pool", "first"] + table.loc["pool", "last"]) / 2)
