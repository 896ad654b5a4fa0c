"""Split mode's online stock as a KPI group (issue 17, mechanism 10): its value, turns, days and
stockouts recomputed from the engine's own arrays by an observer."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Observer
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import DAYS_PER_YEAR, FORWARD_CODE
from tests.conftest import SCENARIOS


class OnlineStock(Observer):
    """End-of-day value, sales and empty days of the online rows, from warm-up on."""

    def __init__(self, warmup):
        self.warmup, self.value, self.empty, self.stocked = warmup, [], 0, 0

    def started(self, world, state):
        self.rows = np.union1d(world.online_rows, np.flatnonzero(world.node_type == FORWARD_CODE))
        self.cost = world.skus.unit_cost

    def day_closed(self, day, per_node, state):
        if day == self.warmup - 1:
            self.sold_at_warmup = state.sold[self.rows].copy()
        if day >= self.warmup:
            r = self.rows
            self.value.append((state.on_hand[r] * self.cost).sum())
            self.empty += ((state.on_hand[r] == 0) & state.stocked[r]).sum()
            self.stocked += state.stocked[r].sum()
            self.sold = state.sold[r] - self.sold_at_warmup


def test_online_stock_kpis_equal_the_engines_arrays():
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.inventory_mode": "split", "run.warmup_days": 10})
    watch = OnlineStock(10)
    run, ledger, stats = simulate(sc, seed=7, observers=[watch])
    kpis = kpi_table(ledger, stats, run.world).set_index(["metric", "channel", "node_type"])["value"]
    assert run.world.node_ids[watch.rows[-1]] == "CW:online" and watch.rows.size == 2
    days = len(watch.value)
    avg = np.mean(watch.value)
    sold_value = (watch.sold * watch.cost).sum()
    assert kpis[("avg_inventory_value", "all", "online_stock")] == pytest.approx(avg, rel=1e-9)
    assert kpis[("days_of_inventory", "all", "online_stock")] == pytest.approx(avg * days / sold_value, rel=1e-9)
    assert kpis[("inventory_turns", "all", "online_stock")] == pytest.approx(sold_value / days * DAYS_PER_YEAR / avg, rel=1e-9)
    assert kpis[("stockout_rate", "all", "online_stock")] == pytest.approx(watch.empty / watch.stocked, rel=1e-9)
    # A view across node types, not a part of the network's total.
    parts = sum(kpis[("avg_inventory_value", "all", t)] for t in ("central_warehouse", "forward_warehouse", "store"))
    assert kpis[("avg_inventory_value", "all", "all")] == pytest.approx(parts, rel=1e-9)


def test_pool_mode_has_no_online_stock_group():
    res = sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.inventory_mode": "pool"}), seed=7)
    assert "online_stock" not in set(res.kpis.node_type)
