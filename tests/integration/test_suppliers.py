"""Vendors (``catalog.suppliers``): a supplier lane's lead time is drawn per vendor, so a late delivery
leaves only that vendor's SKUs short. Each SKU's own lead time is unchanged, so its stockouts are as
frequent as with one vendor; what goes is the correlation between SKUs of different vendors."""

import numpy as np

from simulation.engine.observers import Observer
from simulation.experiment.run import simulate
from simulation.scenario import scenario_from_dict
from simulation.validation.cases.worlds import copies
from simulation.world.network import compile_world

SKUS, DAYS, WARMUP = 40, 1000, 50


class EmptyDays(Observer):
    """Per measured day, which of the central warehouse's SKUs ended the day with nothing on hand."""

    def __init__(self):
        self.days = []

    def step_finished(self, step, day, state):
        if step == "close_day" and day >= WARMUP:
            self.days.append(state.on_hand[0] == 0)


def weekly_warehouse(suppliers: int) -> dict:
    """``SKUS`` identical Poisson SKUs at one warehouse, ordered weekly for a 90% cycle service level over
    a lead time of 5 days on average (gamma, cv 0.5)."""
    raw = copies(SKUS, 3.0, **{"network.lanes": [{"from": "supplier", "to": "CW",
                                                  "lead_time_days": {"kind": "gamma", "mean": 5, "cv": 0.5}}],
                               "replenishment.central_warehouse": {"policy": "order_up_to", "service_level": 0.9},
                               "run": {"horizon_days": DAYS + WARMUP, "warmup_days": WARMUP}})
    raw["catalog"]["suppliers"] = suppliers
    return raw


def empty_days(suppliers: int, replication: int) -> np.ndarray:
    watch = EmptyDays()
    simulate(scenario_from_dict(weekly_warehouse(suppliers)), 11, replication, observers=[watch])
    return np.array(watch.days, float)  # [day, SKU]


def mean_pair_correlation(days: np.ndarray) -> float:
    corr = np.corrcoef(days.T)
    return float(corr[~np.eye(corr.shape[0], dtype=bool)].mean())


def test_one_vendor_empties_every_sku_together_and_many_vendors_do_not():
    """One vendor: a late delivery empties the SKUs together (strong correlation of their empty days).
    A vendor per SKU (100,000 vendors for 40 SKUs: a shared vendor is a 1% event): the SKUs' empty days
    are independent, so their mean pairwise correlation is 0 within its sampling error (780 pairs of
    1,000 days, autocorrelated over about a review cycle: a standard error near 0.015)."""
    one, many = empty_days(1, 0), empty_days(100_000, 0)
    assert one.mean() > 0.02 and many.mean() > 0.02  # stockouts to correlate
    assert mean_pair_correlation(one) > 0.3
    assert abs(mean_pair_correlation(many)) < 0.05


def test_vendors_leave_each_skus_stockout_frequency_as_it_was():
    """The share of SKU-days ending empty, over 6 independent replications each: the per-SKU lead-time
    law is the same, so the means agree within 4 standard errors of their difference."""
    one = np.array([empty_days(1, r).mean() for r in range(6)])
    many = np.array([empty_days(100_000, r).mean() for r in range(6)])
    se = np.sqrt(one.var(ddof=1) / one.size + many.var(ddof=1) / many.size)
    assert abs(one.mean() - many.mean()) < 4 * se, (one, many)


def test_lead_times_vary_by_vendor_only_on_lanes_from_the_supplier():
    """Draws are [row, vendor]: per vendor on the supplier lane, one per row on internal lanes, and a
    catalog with one vendor draws exactly what a world without vendors drew (one per lane destination)."""
    raw = weekly_warehouse(5)
    raw["network"]["nodes"].append({"id": "S1", "type": "store"})
    raw["network"]["lanes"].append({"from": "CW", "to": "S1", "lead_time_days": {"kind": "gamma", "mean": 3, "cv": 0.5}})
    world = compile_world(scenario_from_dict(raw))
    lead = world.sample_lead_days(np.random.default_rng(0))
    assert lead.shape == (world.n_nodes, world.skus.suppliers)
    assert np.unique(lead[world.node_index["CW"]]).size > 1
    assert np.unique(lead[world.node_index["S1"]]).size == 1
    raw["catalog"]["suppliers"] = 1
    single = compile_world(scenario_from_dict(raw)).sample_lead_days(np.random.default_rng(0))
    rng = np.random.default_rng(0)
    lanes = scenario_from_dict(raw).network.lanes
    expected = [lanes[0].lead_time_days.sample(rng, 1)[0], lanes[1].lead_time_days.sample(rng, 1)[0]]
    assert single[:2, 0].tolist() == [max(1, round(x)) for x in expected]  # the scenario rows (then the online twin)


def test_a_catalog_file_names_each_skus_vendor(tmp_path):
    """A file's ``supplier`` column (any labels) decides who ships what: SKUs with one label share draws."""
    path = tmp_path / "catalog.csv"
    path.write_text("sku,mean_daily_units,unit_cost,price,supplier\na,1.0,1,2,acme\nb,3.0,1,2,zenith\nc,2.0,1,2,acme\n")
    raw = weekly_warehouse(1)
    raw["catalog"] = {"file": str(path)}
    skus = compile_world(scenario_from_dict(raw)).skus
    vendor = dict(zip(skus.sku, skus.supplier, strict=True))
    assert vendor["a"] == vendor["c"] != vendor["b"] and skus.suppliers == 2
