"""Pool-aware sizing (replenishment.online_sizing: served): levels planned for the online demand the
sourcing rule actually sends each node, measured by a pilot run."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Simulation
from simulation.engine.sizing import ServedUnits, pilot_scenario
from simulation.scenario import ONLINE_CHANNELS
from simulation.world.network import compile_world

SMALL = {"catalog.skus": 200, "run.horizon_days": 90, "run.warmup_days": 14}


def scenario(rule: str, **extra) -> sim.Scenario:
    return sim.load_scenario("scenarios/city_seed_pool.yaml", {**SMALL, "replenishment.online_sizing.rule": rule, **extra})


def test_first_choice_is_the_default_and_unchanged():
    first = compile_world(scenario("first_choice"))
    assert np.array_equal(Simulation.sized_world(scenario("first_choice")).planning_mean, first.planning_mean)


def test_served_sizing_moves_planned_demand_to_where_the_pilot_shipped_it():
    sc = scenario("served")
    pilot = pilot_scenario(sc)
    assert pilot.run.horizon_days == 14 + 28 and pilot.replenishment.online_sizing.rule == "first_choice"
    world = compile_world(pilot)
    counter = ServedUnits(world, pilot.run.warmup_days)
    Simulation(pilot, sc.run.seed, 2**31 - 1, world, threads=1, observers=[counter]).execute()
    shares = counter.shares(world)
    # every zone-channel with eligible nodes plans all of its demand somewhere, once
    eligible = world.cand_node[:, :, 0] >= 0
    assert np.allclose(shares.sum(axis=2)[eligible], 1.0) and np.allclose(shares.sum(axis=2)[~eligible], 0.0)
    # BOPIS customers choose among three stores, so the first choice no longer plans for all of them
    bopis = ONLINE_CHANNELS.index("bopis")
    z = np.flatnonzero(eligible[:, bopis])
    first = shares[z, bopis, world.cand_node[z, bopis, 0]]
    assert first.mean() < 0.99 and (first < 0.95).sum() >= 3
    sized, plain = Simulation.sized_world(sc), compile_world(sc)
    # the same demand is planned, only at other rows: the network's leaves sum to the same daily mean
    top = sized.depth == 1
    assert sized.planning_mean[top].sum() == pytest.approx(plain.planning_mean[top].sum(), rel=1e-9)
    assert not np.allclose(sized.planning_mean, plain.planning_mean)
    # and it is exactly the shares times each zone's channel demand at the leaves
    expected = compile_world(sc, served=shares).planning_mean
    assert np.array_equal(sized.planning_mean, expected)


def test_the_pilot_is_deterministic_and_independent_of_the_run_seed():
    """Levels are a fact of the scenario (its run.seed seeds the pilot), so every seed and replication of
    a comparison runs the same policy; recomputed from scratch they are identical."""
    from simulation.engine import simulation as engine

    sc = scenario("served")
    first = Simulation.sized_world(sc).planning_mean
    engine._PILOT_SHARES.clear()
    assert np.array_equal(Simulation.sized_world(sc).planning_mean, first)
    other_seed = sim.load_scenario("scenarios/city_seed_pool.yaml", {**SMALL, "replenishment.online_sizing.rule": "served",
                                                                      "run.seed": 8})
    assert not np.array_equal(Simulation.sized_world(other_seed).planning_mean, first)


def test_a_worker_keeps_the_pilot_of_every_policy_a_comparison_alternates_through(monkeypatch):
    """A comparison sends a worker its policies replication after replication: each policy's pilot runs once per
    process, not once per replication (the pool ladder alternates 96 served-sizing policies)."""
    from simulation.engine import simulation as engine

    engine._PILOT_SHARES.clear()
    policies = [scenario("served", **{"catalog.skus": 40, "name": f"policy-{i}"}) for i in range(24)]
    pilots = []
    monkeypatch.setattr(engine, "ServedUnits", lambda *a: pilots.append(1) or ServedUnits(*a))
    for _replication in range(2):
        for policy in policies:
            Simulation.sized_world(policy)
    assert len(pilots) == len(policies)
