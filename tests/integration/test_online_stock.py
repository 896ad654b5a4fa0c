"""Split mode's online stock with a replenishment policy of its own (issue 17, mechanism 8): a central
warehouse's online row follows ``replenishment.online_stock`` while its store stock keeps the central
warehouse's policy; without it both rows share the central warehouse's, as before. Under one pool the
online part of the one stock keeps that rule where it is a fixed level, and the levels add."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Simulation
from simulation.scenario import ScenarioError
from tests.conftest import SCENARIOS

SPLIT = {"policies.inventory_mode": "split", "run.horizon_days": 60, "run.warmup_days": 5,
         "replenishment.central_warehouse": {"policy": "base_stock", "S": 30}}


def test_the_online_row_follows_its_own_policy_and_the_store_stock_the_warehouses():
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**SPLIT, "replenishment.online_stock": {"policy": "base_stock", "S": 12}})
    run = Simulation(sc, seed=3).execute()
    physical, online = run.world.node_index["CW"], run.world.online_rows
    assert online.size == 1 and run.world.node_ids[online[0]] == "CW:online"
    assert np.all(run.state.initial[online[0]] == 12) and np.all(run.state.initial[physical] == 30)
    assert set(run.replenishment.policies) == {"central_warehouse", "online_stock", "forward_warehouse", "store"}


def test_without_its_own_policy_the_online_row_shares_the_warehouses():
    run = Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml", SPLIT), seed=3).execute()
    assert np.all(run.state.initial[run.world.online_rows] == 30)
    assert "online_stock" not in run.replenishment.policies


def test_the_same_policy_given_twice_gives_the_same_run():
    """Naming the warehouse's own policy as the online stock's changes nothing but the bookkeeping."""
    same = sim.load_scenario(SCENARIOS / "tiny.yaml", {**SPLIT, "replenishment.online_stock": SPLIT["replenishment.central_warehouse"]})
    a, b = sim.run(same, seed=5), sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", SPLIT), seed=5)
    assert a.kpis.equals(b.kpis)


POOL = {"policies.inventory_mode": "pool", "run.horizon_days": 60, "run.warmup_days": 5,
        "replenishment.central_warehouse": {"policy": "order_up_to", "S": {"days_of_cover": 10}}}


def test_under_one_pool_the_online_part_keeps_its_own_fixed_rule_and_the_levels_add():
    """One stock, two plans: the warehouse's level is its own rule on the demand its stores and other supplied
    nodes bring, plus the online stock's rule on its online part (its own online customers and the forward
    warehouses it supplies); given the warehouse's own rule, the stock is planned as one (the same run)."""
    online = {"policy": "order_up_to", "S": {"days_of_cover": 20}}
    run = Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml", {**POOL, "replenishment.online_stock": online}), seed=3)
    w, cw = run.world, run.world.node_index["CW"]
    mean, _ = w.planning_online
    fw = w.node_index["FW1"]
    own = mean[cw] - w.planning_mean[fw]  # the warehouse's own online customers
    assert (own >= -1e-9).all() and own.sum() > 0 and w.online_rows.size == 0
    expected = np.ceil((w.planning_mean[cw] - mean[cw]) * 10 - 1e-9) + np.ceil(mean[cw] * 20 - 1e-9)
    np.testing.assert_array_equal(run.state.initial[cw], expected)
    same = sim.load_scenario(SCENARIOS / "tiny.yaml", {**POOL, "replenishment.online_stock": POOL["replenishment.central_warehouse"]})
    assert sim.run(same, seed=5).kpis.equals(sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", POOL), seed=5).kpis)


@pytest.mark.parametrize("online", [{"policy": "forecast_order_up_to", "review_period_days": 7},
                                    {"policy": "order_up_to", "review_period_days": 3}])
def test_an_online_part_that_cannot_add_to_the_warehouses_level_is_refused(online):
    with pytest.raises(ScenarioError, match=r"replenishment.online_stock: under one pool the warehouse keeps one stock; its "
                                            r"online part keeps a rule of its own only as a fixed level"):
        sim.load_scenario(SCENARIOS / "tiny.yaml", {**POOL, "replenishment.online_stock": online})
