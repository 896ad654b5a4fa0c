"""Push allocation (issue 17, mechanism 6): every review period each node is sent its planned demand for
the horizon, whatever it holds, and never orders in between."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Observer, Simulation
from simulation.scenario import ScenarioError
from tests.integration.test_lot_rules import Orders, store_world


def pushed(**policy):
    raw = store_world()
    raw["catalog"].update(case_pack=1, min_order_units=0)
    raw["replenishment"]["store"] = {"policy": "push", **policy}
    watch = Orders()
    run = Simulation(sim.scenario_from_dict(raw), seed=4, observers=[watch]).execute()
    return run, np.stack(watch.orders)[:, run.world.store_rows]


def test_each_push_is_the_planned_demand_over_the_horizon_and_nothing_in_between():
    run, sent = pushed(review_period_days=7, review_offset_days=3, horizon_days=10)
    rows, policy = run.replenishment.policies["store"]
    allocation = np.rint(run.world.planning_mean[rows] * 10).astype(np.int64)
    np.testing.assert_array_equal(policy.allocation, allocation)
    days = np.flatnonzero(sent.sum(axis=(1, 2)))
    np.testing.assert_array_equal(days, np.arange(3, run.horizon, 7))  # only on allocation days
    for day in days:
        np.testing.assert_array_equal(sent[day], allocation)  # whatever the store holds
    assert sent.sum() == days.size * allocation.sum()  # the pushes sum to what was allocated


def test_the_horizon_defaults_to_the_review_period():
    run, _ = pushed(review_period_days=5)
    rows, policy = run.replenishment.policies["store"]
    np.testing.assert_array_equal(policy.allocation, np.rint(run.world.planning_mean[rows] * 5))
    assert np.all(run.state.initial[rows] == policy.allocation)


def test_push_ignores_stock_so_an_overestimate_piles_up():
    """With the planner 50% high, pushed stock grows through the run; pull (base stock) holds steady."""
    def store_stock(policy, bias):
        raw = store_world()
        raw["catalog"].update(case_pack=1, min_order_units=0)
        raw["replenishment"]["store"] = policy
        raw["replenishment"]["planning_error"] = {"bias": bias}
        res = sim.run(sim.scenario_from_dict(raw), seed=4)
        s = res.daily[(res.daily.metric == "on_hand_units") & (res.daily.node_type == "store")].set_index("day").value
        return s.loc[20:40].mean(), s.loc[100:119].mean()
    early, late = store_stock({"policy": "push", "review_period_days": 7}, 0.5)
    assert late > early * 1.5


def test_pull_with_the_same_overestimate_holds_its_stock_at_the_level():
    """Pull (base stock, reviewed daily, from a supplier that ships everything, unit lots) with the planner 50% high:
    every night each store's on hand plus in transit is exactly its order-up-to levels summed, from the first day to
    the last, so nothing piles up (the overestimate sits in the level, once)."""
    class Close(Observer):
        def __init__(self):
            self.position = []

        def day_closed(self, day, per_node, state):
            self.position.append(per_node["on_hand_units"] + per_node["in_transit_units"])

    raw = store_world()
    raw["catalog"].update(case_pack=1, min_order_units=0)
    raw["replenishment"]["store"] = {"policy": "base_stock"}
    raw["replenishment"]["planning_error"] = {"bias": 0.5}
    close = Close()
    run = Simulation(sim.scenario_from_dict(raw), seed=4, observers=[close]).execute()
    rows, policy = run.replenishment.policies["store"]
    position = np.array(close.position)[:, rows]
    assert len(position) == run.horizon
    np.testing.assert_array_equal(position, np.broadcast_to(policy.S.sum(axis=1), position.shape))


def test_a_push_horizon_must_be_positive():
    raw = store_world()
    raw["replenishment"]["store"] = {"policy": "push", "horizon_days": 0}
    with pytest.raises(ScenarioError, match=r"replenishment.store.push.horizon_days: must be > 0"):
        sim.scenario_from_dict(raw)
