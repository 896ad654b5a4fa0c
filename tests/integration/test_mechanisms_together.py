"""Issues 17's and 18's mechanisms all on at once (lot rules, display minimums, economic lots, planning error,
store mix, in split mode the online stock's own policy; store records that drift and reach the platform by
lossy syncs, promises from opening, a shock that stretches transit and closes lanes, a fill-rate target,
vendors, a calendar forecast with error, a surge on a SKU group, due-first picking, perishables that shoppers
take freshest first): units are conserved in both modes, and split and pool face the same customers (common
random numbers)."""

import numpy as np
import pytest

import simulation as sim
from simulation.experiment.run import simulate
from simulation.validation.probe import Probe
from tests.conftest import SCENARIOS

EVERYTHING = {
    "catalog.case_pack": 4, "catalog.min_order_units": 6, "catalog.presentation_units": 2,
    "network.lanes[*].order_unit": "case", "network.lanes[*].cost_per_order": 2.0,
    "replenishment.store": {"policy": "min_max", "lot_size": "eoq", "presentation_units": 1},
    "replenishment.planning_error": {"bias": 0.1, "cv": 0.3}, "demand.store_mix_cv": 0.5,
    "policies.store_records": {"shrink_share": 0.02, "scan_error_rate": 0.05, "count_interval_days": 30,
                               "sync_interval_hours": 4, "lost_sync_share": 0.2},
    "channels.bopis.promise_from": "opening", "channels.instant.promise_from": "opening",
    "demand.shocks": [{"name": "storm", "start_day": 40, "end_day": 44, "nodes": ["S3", "FW1"], "zones": ["Z3"],
                       "capacity_factor": 0.5, "transit_factor": 2.0, "closes_lanes": True},
                      {"name": "rush", "start_day": 39, "end_day": 40, "nodes": ["S3"], "zones": ["Z3"], "demand_factor": 3.0,
                       "sku_groups": ["rain_gear"], "warning_days": 5}],
    "catalog.groups": {"rain_gear": 0.1}, "catalog.suppliers": 7, "catalog.perishable_share": 0.3,
    "catalog.freshest_first_share": 0.5,
    "replenishment.central_warehouse": {"policy": "order_up_to", "fill_rate": 0.95},
    "replenishment.forward_warehouse": {"policy": "calendar_order_up_to", "error": {"bias": 0.1, "cv": 0.2}},
    "policies.picking": "due_first",
    "run.horizon_days": 90, "run.warmup_days": 10,
}


def run(mode):
    extra = {"replenishment.online_stock": {"policy": "base_stock", "service_level": 0.9}} if mode == "split" else {}
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**EVERYTHING, **extra, "policies.inventory_mode": mode})
    probe = Probe(sc.run.warmup_days)
    result, _, _ = simulate(sc, seed=9, observers=[probe])  # raises ConservationError on any leak
    return result, probe


@pytest.fixture(scope="module")
def both():
    return {mode: run(mode) for mode in ("split", "pool")}


def test_units_are_conserved_and_stock_moves_in_both_modes(both):
    for result, _ in both.values():
        assert result.state.sold.sum() > 0 and result.state.supplied.sum() > 0
        assert (result.state.on_hand >= 0).all()


def test_split_and_pool_face_the_same_customers(both):
    (split, split_probe), (pool, pool_probe) = both["split"], both["pool"]
    stores_split, stores_pool = split.world.store_rows, pool.world.store_rows
    np.testing.assert_array_equal(split_probe.demand_by["walk_in"][stores_split], pool_probe.demand_by["walk_in"][stores_pool])
    assert split.fulfilment.orders.count == pool.fulfilment.orders.count
