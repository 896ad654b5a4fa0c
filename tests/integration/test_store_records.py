"""Store records that drift from the shelf (``policies.store_records``): unrecorded loss at its stated share
of units sold, mis-recorded sales as a random walk of the stated variance, counts that set records right,
replenishment that orders against the record, and units conserved with the same customers either way."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine.observers import Observer
from simulation.engine.state import InventoryState
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import ScenarioError
from simulation.validation.probe import Probe
from tests.conftest import SCENARIOS

Z = 4.0
RUN = {"run.horizon_days": 200, "run.warmup_days": 20}
# Stores holding weeks of stock: shelves rarely empty, so a record's drift does not feed back into what sells.
WEEKS = {"replenishment.store": {"policy": "order_up_to", "review_period_days": 7, "S": {"days_of_cover": 40}}}


class StoreSales(Observer):
    """Units sold at store rows after warm-up, read just before the close draws the day's drift from them."""

    def __init__(self, warmup):
        self.warmup, self.units = warmup, 0

    def step_started(self, step, day, state):
        if step == "close_day" and day >= self.warmup:
            self.units += int(state.today_sold[self.rows].sum())

    def started(self, world, state):
        self.rows = world.store_rows


def run(records, mode="split", seed=11, **settings):
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**RUN, "policies.inventory_mode": mode, "policies.store_records": records,
                                                     **settings})
    probe, sales = Probe(sc.run.warmup_days), StoreSales(sc.run.warmup_days)
    result, ledger, stats = simulate(sc, seed=seed, observers=[probe, sales])  # raises ConservationError on a leak
    kpis = kpi_table(ledger, stats, result.world).set_index(["metric", "channel", "node_type"])["value"]
    return result, probe, sales, kpis


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_unrecorded_loss_is_its_share_of_units_sold(mode):
    """Loss is Poisson(share x sold) per store-SKU and day, so the total has mean and variance share x units
    sold. Stores hold weeks of stock here, so the cap at what is left on the shelf rarely binds."""
    share = 0.05
    result, _, sales, kpis = run({"shrink_share": share}, mode, **WEEKS)
    lost = kpis[("shrink_units", "all", "store")]
    assert sales.units > 20_000
    assert abs(lost - share * sales.units) < Z * np.sqrt(share * sales.units), (lost, share * sales.units)
    assert result.state.lost[result.world.store_rows].sum() >= lost  # the KPI counts after warm-up only
    assert kpis[("cost_shrink", "all", "all")] > 0 and kpis[("record_accuracy", "all", "store")] < 1


def test_mis_recorded_sales_make_each_record_a_random_walk_of_the_stated_variance():
    """Without loss or counts, a store-SKU's gap is a Skellam variable: the difference of two Poissons of
    mean p/2 x units sold, so mean 0 and variance v = p x sold (excess kurtosis 1/v); so gap^2 / v has mean 1
    and variance 2 + 1/v, independently over store-SKUs. (With lean stores the test would not hold, and
    rightly: a record left high stops reorders, the shelf empties and the SKU sells less, so sales depend
    on the gap.)"""
    p = 0.2
    result, _, _, _ = run({"scan_error_rate": p}, **WEEKS)
    stores = result.world.store_rows
    gap, v = result.state.record_gap[stores].astype(float), p * result.state.sold[stores].astype(float)
    assert v.sum() > 5_000
    assert abs(gap.sum()) < Z * np.sqrt(v.sum())
    sold = v > 0
    ratio = gap[sold] ** 2 / v[sold]
    assert sold.sum() > 150
    assert abs(ratio.sum() - sold.sum()) < Z * np.sqrt((2 + 1 / v[sold]).sum()), (ratio.sum(), sold.sum())
    assert not result.state.lost.any()  # no loss asked for, none taken


def test_a_daily_count_keeps_every_record_right():
    result, _, _, kpis = run({"shrink_share": 0.1, "scan_error_rate": 0.2, "count_interval_days": 1})
    assert kpis[("record_accuracy", "all", "store")] == 1.0
    assert not result.state.record_gap.any() and result.state.lost.sum() > 0


def test_counts_are_staggered_so_each_store_sku_is_counted_once_per_interval():
    interval = 10
    result, _, _, _ = run({"shrink_share": 0.1, "count_interval_days": interval})
    days = result.records.count_day
    assert days.shape == (result.world.store_rows.size, result.world.skus.size)
    assert set(np.unique(days)) == set(range(interval))
    # Each day counts about a tenth of the store-SKUs: no day counts more than twice its share.
    assert np.bincount(days.ravel(), minlength=interval).max() <= 2 * days.size / interval


def test_replenishment_orders_against_the_record():
    state = InventoryState(np.array([[5, 5]]), np.array([-1]), np.zeros(2, np.int64))
    before = state.position()
    state.keep_records()
    state.record_gap[0] = [3, -2]  # the record shows 3 units the shelf lacks, and 2 fewer than it holds
    np.testing.assert_array_equal(state.position(), before + np.array([[3, -2]]))


def test_phantom_stock_empties_shelves_and_records_cost_nothing_when_off():
    """Heavy unrecorded loss with no counts leaves records showing stock the shelf lacks: the store stops
    reordering and shelves stay empty longer; the same customers come either way (common random numbers)."""
    (exact, exact_probe, _, exact_kpis), (drift, drift_probe, _, drift_kpis) = run({}), run({"shrink_share": 0.3})
    np.testing.assert_array_equal(exact_probe.demand_by["walk_in"], drift_probe.demand_by["walk_in"])
    assert drift_kpis[("shelf_stockout_rate", "walk_in", "store")] > exact_kpis[("shelf_stockout_rate", "walk_in", "store")] + 0.02
    assert drift.state.record_gap.sum() > 0  # the records show units the shelves lack
    assert exact.state.record_gap is None and ("record_accuracy", "all", "store") not in exact_kpis
    assert ("cost_shrink", "all", "all") not in exact_kpis


@pytest.mark.parametrize("field, value, message", [
    ("shrink_share", -0.1, "policies.store_records.shrink_share"),
    ("scan_error_rate", 1.5, "policies.store_records.scan_error_rate"),
    ("count_interval_days", -7, "policies.store_records.count_interval_days"),
])
def test_bad_store_records_name_the_field(field, value, message):
    with pytest.raises(ScenarioError, match=message):
        sim.load_scenario(SCENARIOS / "tiny.yaml", {f"policies.store_records.{field}": value})
