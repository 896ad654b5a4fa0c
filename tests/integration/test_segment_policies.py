"""Policies by segment (issue 32): targets by velocity class (``by_class``), a node's own policy
(``network.nodes[i].replenishment``) and the fixed-quantity periodic order (``fixed_quantity``). Each is
checked against an independent route to the same levels: the same scenario with one uniform target, or
with every node of the type on the node's policy."""

from __future__ import annotations

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Simulation
from simulation.scenario import ScenarioError
from simulation.scenario.vocabulary import VELOCITY_CLASSES
from tests.integration.test_lot_rules import Orders, store_world

TINY = "scenarios/tiny.yaml"


def world(**store_policy) -> dict:
    """Two stores fed straight by the supplier, 20 SKUs of spread rates (so every class has SKUs), no lot rules."""
    raw = store_world()
    raw["catalog"] = {"skus": 20, "mean_daily_units": 3.0, "popularity": {"kind": "zipf", "exponent": 1.0}}
    raw["replenishment"]["store"] = store_policy or {"policy": "base_stock", "service_level": 0.9}
    return raw


def built(raw: dict) -> Simulation:
    return Simulation(sim.scenario_from_dict(raw), seed=1)


def store_levels(raw: dict) -> np.ndarray:
    """The stores' starting stock (each policy's own target level) per store and SKU."""
    run = built(raw)
    return run.replenishment.initial[run.world.store_rows]


def test_the_world_has_skus_of_every_class():
    classes = built(world()).world.skus.velocity_class
    assert set(classes) == {0, 1, 2}


@pytest.mark.parametrize("policy", [
    {"policy": "base_stock"},
    {"policy": "order_up_to", "review_period_days": 4},
    {"policy": "min_max"},
    {"policy": "fixed_quantity", "review_period_days": 3},
    {"policy": "forecast_order_up_to"},
    {"policy": "calendar_order_up_to"},
])
def test_each_class_is_sized_as_if_its_target_were_the_policys_own(policy):
    """by_class {A: 0.99, C: 0.6} against three uniform runs: each class's SKUs take the levels the uniform
    target gives them; B keeps the policy's own 0.9."""
    targets = {"A": 0.99, "B": 0.9, "C": 0.6}
    segmented = store_levels(world(**policy, service_level=0.9, by_class={"A": {"service_level": 0.99},
                                                                         "C": {"service_level": 0.6}}))
    classes = built(world()).world.skus.velocity_class
    for c, name in enumerate(VELOCITY_CLASSES):
        uniform = store_levels(world(**policy, service_level=targets[name]))
        np.testing.assert_array_equal(segmented[:, classes == c], uniform[:, classes == c], err_msg=name)
    assert not np.array_equal(segmented, store_levels(world(**policy, service_level=0.9)))


def test_a_class_fill_rate_sizes_that_class_only():
    segmented = store_levels(world(policy="base_stock", service_level=0.8, by_class={"A": {"fill_rate": 0.99}}))
    classes = built(world()).world.skus.velocity_class
    a = classes == 0
    np.testing.assert_array_equal(segmented[:, a], store_levels(world(policy="base_stock", fill_rate=0.99))[:, a])
    np.testing.assert_array_equal(segmented[:, ~a], store_levels(world(policy="base_stock", service_level=0.8))[:, ~a])


def test_a_group_takes_its_own_target_before_its_class():
    """by_group {promo: 0.99} with by_class {A: 0.6}: the group's SKUs are sized as under a uniform 0.99 whatever
    their class; the rest as by_class alone sizes them."""
    def grouped(**policy):
        raw = world(policy="base_stock", **policy)
        raw["catalog"]["groups"] = {"promo": 0.3}
        return raw
    segmented = store_levels(grouped(service_level=0.9, by_class={"A": {"service_level": 0.6}},
                                     by_group={"promo": {"service_level": 0.99}}))
    skus = built(grouped()).world.skus
    promo = skus.group == skus.group_names.index("promo")
    assert 0 < promo.sum() < skus.size and (skus.velocity_class[promo] == 0).any()   # the group holds A SKUs too
    np.testing.assert_array_equal(segmented[:, promo], store_levels(grouped(service_level=0.99))[:, promo])
    by_class = store_levels(grouped(service_level=0.9, by_class={"A": {"service_level": 0.6}}))
    np.testing.assert_array_equal(segmented[:, ~promo], by_class[:, ~promo])


def test_a_group_with_no_sku_is_refused_when_the_world_is_built():
    scenario = sim.load_scenario(TINY, {"catalog.groups": {"rare": 0.0001},
                                        "replenishment.store.by_group": {"rare": {"service_level": 0.99}}})
    with pytest.raises(ScenarioError, match=r"replenishment\.store\.by_group\.rare: no SKU of the catalog is in group 'rare'"):
        Simulation(scenario, seed=1)


def test_a_nodes_own_policy_replaces_its_types_for_it_alone():
    """S1 on its own order_up_to: its levels are those every store would have on that policy; S2 keeps the
    type's; and S1 orders only on its own review days."""
    own = {"policy": "order_up_to", "review_period_days": 5, "review_offset_days": 2, "service_level": 0.97}
    raw = world()
    raw["network"]["nodes"][1]["replenishment"] = own
    mixed = store_levels(raw)
    np.testing.assert_array_equal(mixed[0], store_levels(world(**own))[0])
    np.testing.assert_array_equal(mixed[1], store_levels(world())[1])
    watch = Orders()
    run = Simulation(sim.scenario_from_dict(raw), seed=3, observers=[watch]).execute()
    placed = np.stack(watch.orders)[:, run.world.store_rows]
    days_s1 = np.flatnonzero(placed[:, 0].sum(axis=1) > 0)
    assert days_s1.size > 10 and np.all(days_s1 % 5 == 2)
    assert np.flatnonzero(placed[:, 1].sum(axis=1) > 0).size > 100  # S2 still reviews daily
    assert "node S1" in run.replenishment.names


def test_a_nodes_own_policy_is_named_by_its_path_in_errors():
    raw = world()
    raw["network"]["nodes"][2]["replenishment"] = {"policy": "min_max", "s": 9, "S": 3}
    with pytest.raises(ScenarioError, match=r"network\.nodes\[2\]\.replenishment\.S: must be >= s"):
        built(raw)


def test_fixed_quantity_orders_one_lot_of_q_when_at_or_below_s():
    """Every order a store places is exactly Q (7), never the multiples reorder_qty would take, with a
    source that never runs short."""
    watch = Orders()
    raw = world(policy="fixed_quantity", review_period_days=2, s={"units": 6}, Q={"units": 7})
    Simulation(sim.scenario_from_dict(raw), seed=3, observers=[watch]).execute()
    placed = np.stack(watch.orders)[:, 1:]
    positive = placed[placed > 0]
    assert positive.size > 200 and np.all(positive == 7)
    assert np.all(placed[1::2] == 0)  # reviews on even days only


def test_fixed_quantity_default_lot_is_order_cover_days_of_demand():
    run = built(world(policy="fixed_quantity", order_cover_days=10))
    _, policy = run.replenishment.policies["store"]
    mean = run.world.planning_mean[run.world.store_rows]
    np.testing.assert_array_equal(policy.Q, np.maximum(1, np.rint(mean * 10)).astype(np.int64))


@pytest.mark.parametrize("overrides, message", [
    ({"replenishment.store": {"policy": "push", "by_class": {"A": {"service_level": 0.9}}}},
     r"replenishment\.store\.by_class: means nothing for push"),
    ({"replenishment.store": {"policy": "base_stock", "S": 4, "by_class": {"A": {"service_level": 0.9}}}},
     r"replenishment\.store\.by_class: means nothing for base_stock: every level is given explicitly"),
    ({"replenishment.store": {"policy": "base_stock", "service_level": 0.9, "by_class": {
        c: {"service_level": 0.8} for c in VELOCITY_CLASSES}}},
     r"replenishment\.store\.service_level: means nothing here: by_class sets a target for every class"),
    ({"replenishment.store": {"policy": "min_max", "s": {"service_level": 0.7}, "by_class": {"A": {"service_level": 0.9}}}},
     r"replenishment\.store\.by_class: means nothing for min_max: every level is given explicitly"),
    ({"replenishment.store": {"policy": "min_max", "by_class": {"A": {"fill_rate": 0.9}}}},
     r"min_max takes service_level \(by_class A\)"),
    ({"replenishment.store": {"policy": "base_stock", "by_class": {"A": {"fill_rate": 0.9, "service_level": 0.9}}}},
     r"give exactly one of service_level, fill_rate"),
    ({"replenishment.store": {"policy": "base_stock", "by_class": {"D": {"fill_rate": 0.9}}}}, r"by_class"),
    ({"replenishment.store": {"policy": "fixed_quantity", "Q": 0}}, r"Q: a lot of 0 units orders nothing"),
    ({"replenishment.store": {"policy": "base_stock", "by_group": {"umbrellas": {"service_level": 0.99}}}},
     r"replenishment\.store\.by_group\.umbrellas: the catalog has no group 'umbrellas' \(catalog\.groups: none\)"),
    ({"catalog.groups": {"umbrellas": 0.1}, "replenishment.store": {"policy": "base_stock", "S": 5,
                                                                      "by_group": {"umbrellas": {"service_level": 0.99}}}},
     r"replenishment\.store\.by_group: means nothing for base_stock: every level is given explicitly"),
    ({"catalog.groups": {"umbrellas": 0.1}, "replenishment.store": {"policy": "min_max",
                                                                      "by_group": {"umbrellas": {"fill_rate": 0.9}}}},
     r"min_max takes service_level \(by_group umbrellas\)"),
    ({"network.nodes[id=CW].replenishment": {"policy": "base_stock"}},
     r"replenishment: a central warehouse's policy is replenishment\.central_warehouse"),
    ({"network.nodes[id=FW1].replenishment": {"policy": "base_stock", "service_level": 0.8},
      "replenishment.forward_warehouse": {"policy": "base_stock", "service_level": 0.7}},
     r"replenishment\.forward_warehouse: means nothing here: every forward warehouse follows its own policy"),
    ({"network.nodes[id=S1].replenishment": {"policy": "push", "service_level": 0.8}},
     r"network\.nodes\[\d+\]\.replenishment\.service_level: means nothing for push"),
])
def test_segment_settings_that_would_do_nothing_are_refused(overrides, message):
    with pytest.raises(ScenarioError, match=message):
        sim.load_scenario(TINY, overrides)


def test_unset_segment_fields_leave_the_digest_as_it_was():
    """Results stored before by_class and a node's own policy existed still resume: unset, they are not in
    the digest; set, they change it."""
    plain = sim.load_scenario(TINY)
    assert plain.digest().startswith("0cb8aed8")  # the golden digest (tests/regression)
    assert sim.load_scenario(TINY, {"replenishment.store.by_class": {"A": {"service_level": 0.99}}}).digest() != plain.digest()
    assert sim.load_scenario(TINY, {"network.nodes[id=S1].replenishment": {"policy": "base_stock"}}).digest() != plain.digest()
    assert sim.load_scenario(TINY, {"catalog.groups": {"g": 0.2}}).digest() != sim.load_scenario(TINY, {
        "catalog.groups": {"g": 0.2}, "replenishment.store.by_group": {"g": {"service_level": 0.99}}}).digest()
