"""Store ranging, walk-in recapture and the endless aisle (issue 17, mechanisms 1 and 2): a store stocks
only its range; stated shares of walk-in demand the shelf could not meet, or that asked for an unranged
SKU, become home-delivery orders, served from the pool under one pool and from the online stock under split
stock; without them those shoppers are lost."""

import numpy as np
import pytest

import simulation as sim
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import ScenarioError
from simulation.validation.probe import Probe
from tests.conftest import SCENARIOS

Z = 4.0
SHARES = {"unmet_share": 0.4, "unranged_share": 0.25}
SETTINGS = {"policies.ranging": {"rule": "top", "top": 30}, "run.horizon_days": 200, "run.warmup_days": 20}


def run(mode, recapture=True):
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**SETTINGS, "policies.inventory_mode": mode,
                                                     **({"policies.walk_in_to_online": SHARES} if recapture else {})})
    probe = Probe(sc.run.warmup_days)
    result, ledger, stats = simulate(sc, seed=11, observers=[probe], record_shipments=True)
    kpis = kpi_table(ledger, stats, result.world).set_index(["metric", "channel", "node_type"])["value"]
    return result, probe, kpis


@pytest.fixture(scope="module")
def both():
    return {mode: run(mode) for mode in ("split", "pool")}


@pytest.fixture(scope="module")
def without():
    return {mode: run(mode, recapture=False) for mode in ("split", "pool")}


def test_a_store_never_stocks_or_sells_a_sku_outside_its_range(both):
    for result, probe, _ in both.values():
        stores, ranged = result.world.store_rows, result.world.ranged
        assert ranged.shape == (4, 50) and ranged[:, :30].all() and not ranged[:, 30:].any()
        unranged = ~ranged
        assert probe.demand_by["walk_in"][stores][unranged].sum() > 500  # customers still ask for them
        assert probe.met_by["walk_in"][stores][unranged].sum() == 0
        assert result.state.received[stores][unranged].sum() == 0 and result.state.initial[stores][unranged].sum() == 0


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_endless_aisle_and_recapture_convert_their_shares(both, mode):
    """Binomial thinning: converted units have mean p x N and variance p (1 - p) N, N the walk-in units
    unmet (ranged: recapture) or asked for unranged SKUs (endless aisle) after warm-up."""
    result, probe, kpis = both[mode]
    stores, ranged = result.world.store_rows, result.world.ranged
    unmet = (probe.demand_by["walk_in"] - probe.met_by["walk_in"])[stores]
    for metric, share, units in (("recaptured_units", SHARES["unmet_share"], unmet[ranged].sum()),
                                 ("endless_aisle_units", SHARES["unranged_share"], unmet[~ranged].sum())):
        assert units > 200
        got = kpis[(metric, "walk_in", "store")]
        assert abs(got - share * units) < Z * np.sqrt(share * (1 - share) * units), (metric, got, share * units)


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_converted_units_are_online_demand_and_not_lost_at_the_shelf(both, without, mode):
    """The same customers with and without recapture (common random numbers): home-delivery demand grows by
    exactly the converted units, and walk-in losses exclude them; without recapture no unit converts."""
    (on, on_probe, on_kpis), (off, off_probe, off_kpis) = both[mode], without[mode]
    np.testing.assert_array_equal(on_probe.demand_by["walk_in"][on.world.store_rows],
                                  off_probe.demand_by["walk_in"][off.world.store_rows])
    converted = on_kpis[("recaptured_units", "walk_in", "store")] + on_kpis[("endless_aisle_units", "walk_in", "store")]
    extra = on_kpis[("demand_units", "home_delivery", "all")] - off_kpis[("demand_units", "home_delivery", "all")]
    assert extra == converted > 0
    shelf_unmet = (on_probe.demand_by["walk_in"] - on_probe.met_by["walk_in"])[on.world.store_rows].sum()
    assert on_kpis[("lost_sales_units", "walk_in", "store")] == shelf_unmet - converted
    assert ("recaptured_units", "walk_in", "store") not in off_kpis.index
    assert off_kpis[("lost_sales_units", "walk_in", "store")] == \
        (off_probe.demand_by["walk_in"] - off_probe.met_by["walk_in"])[off.world.store_rows].sum()


def test_under_split_stock_recaptured_shoppers_order_from_the_online_stock(both):
    """Under split stock every home delivery, recaptured or not, ships from the warehouse's online stock (its
    ``CW:online`` row): no store sells its shelf to a parcel."""
    result = both["split"][0]
    w, shipments = result.world, result.fulfilment.shipments
    parcels = shipments["channel"] == 1  # home delivery
    assert parcels.sum() > 0
    assert {w.node_ids[n] for n in np.unique(shipments["node"][parcels])} == {"CW:online"}


def test_ranging_by_velocity_keeps_the_fast_movers_at_each_store():
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.ranging": {"rule": "min_daily_units", "min_daily_units": 1.0}})
    w = sim.engine.Simulation(sc, seed=1).world
    np.testing.assert_array_equal(w.ranged, np.outer(w.store_scale, w.skus.rate) >= 1.0)
    assert w.ranged.sum(axis=1)[0] > w.ranged.sum(axis=1)[-1]  # the busiest store ranges more


@pytest.mark.parametrize("overrides, message", [
    ({"policies.ranging": {"rule": "top"}}, r"policies.ranging.top: rule 'top' needs it"),
    ({"policies.ranging": {"rule": "all", "top": 5}}, r"policies.ranging.top: means nothing with rule 'all'"),
    ({"policies.walk_in_to_online.unmet_share": 1.5}, r"policies.walk_in_to_online.unmet_share: must be <= 1"),
    ({"policies.walk_in_to_online.unmet_share": 0.3, "network.nodes[type=store].zone": None},
     r"network.nodes\[2\].zone: store 'S1' needs a zone"),
])
def test_bad_ranging_and_conversion_settings_are_refused_by_field(overrides, message):
    with pytest.raises(ScenarioError, match=message):
        sim.load_scenario(SCENARIOS / "tiny.yaml", overrides)


def test_shelf_stockout_counts_ranged_store_sku_days_ending_empty(both):
    """Recomputed from the probe's per store-SKU count of days ending with nothing on hand."""
    for result, probe, kpis in both.values():
        stores, ranged = result.world.store_rows, result.world.ranged
        empty = probe.sums["empty"][stores][ranged].sum()
        assert kpis[("shelf_stockout_rate", "walk_in", "store")] == pytest.approx(empty / (ranged.sum() * probe.days), rel=1e-12)


def test_without_ranging_the_shelf_is_every_sku_and_unstocked_ones_count_as_empty():
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml")
    probe = Probe(sc.run.warmup_days)
    result, ledger, stats = simulate(sc, seed=2, observers=[probe])
    kpis = kpi_table(ledger, stats, result.world).set_index(["metric", "channel", "node_type"])["value"]
    stores = result.world.store_rows
    shelf = kpis[("shelf_stockout_rate", "walk_in", "store")]
    assert shelf == pytest.approx(probe.sums["empty"][stores].sum() / (stores.size * 50 * probe.days), rel=1e-12)
    assert shelf >= kpis[("stockout_rate", "all", "store")]  # stockout_rate leaves out SKUs never stocked


def test_a_range_file_lists_each_stores_skus_relative_to_the_scenario(tmp_path):
    skus = sim.engine.Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml"), seed=1).world.skus.sku
    pairs = [("S1", skus[0]), ("S1", skus[7]), ("S3", skus[2])]
    (tmp_path / "range.csv").write_text("store,sku\n" + "".join(f"{s},{k}\n" for s, k in pairs))
    (tmp_path / "ranged.yaml").write_text(f"extends: {SCENARIOS / 'tiny.yaml'}\nname: ranged\n"
                                          "policies:\n  ranging: {rule: file, file: range.csv}\n")
    w = sim.engine.Simulation(sim.load_scenario(tmp_path / "ranged.yaml"), seed=1).world
    expected = np.zeros((4, skus.size), bool)
    expected[0, [0, 7]] = expected[2, 2] = True
    np.testing.assert_array_equal(w.ranged, expected)


@pytest.mark.parametrize("rows, message", [
    ("S9,{sku}\n", r"row 2 column 'store': unknown store 'S9'"),
    ("S1,NOPE\n", r"row 2 column 'sku': unknown SKU 'NOPE'"),
    ("S1,{sku}\nS1,{sku}\n", r"row 3: \('S1', '.*'\) is listed before"),
])
def test_a_bad_range_file_is_refused_by_row(tmp_path, rows, message):
    sku = sim.engine.Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml"), seed=1).world.skus.sku[0]
    path = tmp_path / "range.csv"
    path.write_text("store,sku\n" + rows.format(sku=sku))
    with pytest.raises(ScenarioError, match=r"policies.ranging.file: " + message):
        sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.ranging": {"rule": "file", "file": str(path)}}))


def test_a_missing_range_file_is_refused_by_field():
    with pytest.raises(ScenarioError, match=r"policies.ranging.file: no such file"):
        sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.ranging": {"rule": "file", "file": "/no/such/range.csv"}})
