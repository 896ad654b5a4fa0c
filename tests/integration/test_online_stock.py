"""Split mode's online stock with a replenishment policy of its own (issue 17, mechanism 8): a central
warehouse's online row follows ``replenishment.online_stock`` while its store stock keeps the central
warehouse's policy; without it both rows share the central warehouse's, as before."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Simulation
from simulation.spec import ScenarioError
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


def test_an_online_stock_policy_in_pool_mode_is_refused():
    with pytest.raises(ScenarioError, match=r"replenishment.online_stock: means nothing in pool mode"):
        sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.inventory_mode": "pool",
                                                     "replenishment.online_stock": {"policy": "base_stock", "S": 3}})
