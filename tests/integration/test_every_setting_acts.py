"""The field audit: every field of the scenario schema, set to another valid value on a small scenario where its
section is in play, either moves some KPI of a run or is refused (exit 2, naming what it needs). The schema is
walked, so a new field fails this test until it is listed here with where it acts, or allowed with the reason it
cannot move a KPI by design."""

from __future__ import annotations

import copy
import functools
import json
import tempfile
import typing
from pathlib import Path

import annotated_types
import pytest
from pydantic import BaseModel

import simulation as sim
from simulation.scenario import Scenario
from simulation.scenario.overrides import _models
from simulation.scenario.yaml_safe import load_yaml
from tests.conftest import SCENARIOS

AUTO = object()  # the field's current value in the context, moved to another valid one
BASE = {"run.horizon_days": 100, "run.warmup_days": 10}  # tiny's promotion (days 60-67) and rainstorm (90-92) inside
RAW = load_yaml((SCENARIOS / "tiny.yaml").read_text())
HISTORY = SCENARIOS / "data" / "tiny_history"
POOL = {"policies.inventory_mode": "pool"}
FOUR_FW = {**POOL, "network.nodes[id=FW1].pick_time": "fixed"}


def _data_files() -> Path:
    """Files the audit reads (a catalog, store mixes, ranges), written once for the test session."""
    folder = Path(tempfile.mkdtemp(prefix="invsim-audit-"))
    skus = [f"SKU{k:03d}" for k in range(30)]
    for name, rate in (("catalog_a", 2.0), ("catalog_b", 4.0)):
        rows = "".join(f"{k},{rate * (1 + i % 3)},{10 + i % 5},{16 + i % 5}\n" for i, k in enumerate(skus))
        (folder / f"{name}.csv").write_text("sku,mean_daily_units,unit_cost,price\n" + rows)
    tiny = sim.engine.Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml"), seed=1).world.skus.sku
    (folder / "store_mix.csv").write_text("location,sku,multiplier\n" + "".join(f"S1,{k},3.0\nS2,{k},0.2\n" for k in tiny[:25]))
    for name, count in (("range_a", 40), ("range_b", 15)):
        (folder / f"{name}.csv").write_text("store,sku\n" + "".join(f"{s},{k}\n" for s in ("S1", "S2", "S3", "S4") for k in tiny[:count]))
    return folder


DATA = _data_files()


def with_second_fw() -> dict:
    """tiny with a second forward warehouse far away (for zones that name one whatever the distance)."""
    nodes = [*copy.deepcopy(RAW["network"]["nodes"]), {"id": "FW2", "type": "forward_warehouse", "location": [40, 40],
                                                        "capacity_orders_per_hour": 20, "open_hour": 8, "close_hour": 23}]
    lanes = copy.deepcopy(RAW["network"]["lanes"])
    lanes[1]["to"] = ["FW1", "FW2"]
    return {"network.nodes": nodes, "network.lanes": lanes}


def policy(spec: dict) -> dict:
    return {"replenishment.store": spec}


def dist(kind: str) -> dict:
    return {"fixed": {"kind": "fixed", "value": 2}, "gamma": {"kind": "gamma", "mean": 2, "cv": 0.4},
            "lognormal": {"kind": "lognormal", "mean": 2, "cv": 0.4},
            "discrete": {"kind": "discrete", "values": [1, 2, 3], "probs": [0.5, 0.3, 0.2]}}[kind]


LANE = "network.lanes[2].lead_time_days"  # the warehouse-to-store lane
HOME = {k: v for k, v in RAW["channels"]["home_delivery"].items() if k != "promise_hours"}  # tiny's parcels, by windows
WINDOWS = [{"order_by_hour": 12, "due_days": 1, "due_hour": 20}]
BY_WINDOWS = {"channels.home_delivery": {**HOME, "promise_windows": WINDOWS}}
RETURNS = {"returns.home_delivery": {"rate": 0.2, "route": "mixed", "store_share": 0.5}}
SPLIT_RETURNS = RETURNS
TRACE = {"demand.trace": {"sales": str(HISTORY / "sales.parquet"), "orders": str(HISTORY / "orders.parquet"),
                          "mode": "block_bootstrap"}}
RECORDS = {"policies.store_records": {"shrink_share": 0.02, "scan_error_rate": 0.1}}
REBALANCE = {"policies.transfers": {"rule": "rebalance", "period_days": 3, "excess_cover_days": 4, "target_cover_days": 2}}
OVERSTOCKED = policy({"policy": "order_up_to", "review_period_days": 7, "S": {"days_of_cover": 30}})  # stores past 21 days' cover
SIZING_SERVED = {"replenishment.online_sizing.rule": "served"}
# One pool whose warehouse ships every parcel and is short every day (small daily deliveries, not a week's at once):
# online orders and the stores' requests meet there.
SHARED = {**POOL, "policies.local_radius_km": 0.5, "replenishment.central_warehouse": {"policy": "base_stock", "service_level": 0.7}}

# (model, field): (path to set, value or AUTO, context overrides)
PLAN: dict[tuple[str, str], tuple[str, object, dict]] = {
    ("Node", "type"): ("network.nodes[id=S4].type", "forward_warehouse", {}),
    ("Node", "location"): ("network.nodes[id=S2].location", [-6, 3], {}),
    ("Node", "demand_scale"): ("network.nodes[id=S2].demand_scale", 2.5, {}),
    ("Node", "capacity_orders_per_hour"): ("network.nodes[id=CW].capacity_orders_per_hour", 12, {}),
    ("Node", "pickers"): ("network.nodes[id=CW].pickers", 1, {}),
    ("Node", "pick_time"): ("network.nodes[id=CW].pick_time", "exponential", {}),
    ("Node", "open_hour"): ("network.nodes[id=CW].open_hour", 13, {}),  # past the noon cut-off
    ("Node", "close_hour"): ("network.nodes[id=CW].close_hour", 18, {}),
    ("Node", "carrier_cutoffs_hours"): ("network.nodes[id=CW].carrier_cutoffs_hours", [16], {}),
    ("Node", "ship_from_store"): ("network.nodes[id=S2].ship_from_store", True, POOL),
    ("Node", "record_inaccuracy"): ("network.nodes[id=S2].record_inaccuracy", 0.3, {}),
    ("Node", "priority"): ("network.nodes[id=S1].priority", 3, {"replenishment.rationing": "priority",
                                                                   "replenishment.central_warehouse": {"policy": "base_stock", "S": 3}}),
    ("Node", "zone"): ("network.nodes[id=S2].zone", "Z5", {"policies.walk_in_to_online.unmet_share": 0.5}),
    ("Zone", "tier"): ("network.zones[id=Z1].tier", 3, {}),
    ("Zone", "location"): ("network.zones[id=Z2].location", [20, 20], {}),
    ("Zone", "demand_scale"): ("network.zones[id=Z1].demand_scale", 1.5, {}),
    ("Zone", "forward_warehouse"): ("network.zones[id=Z4].forward_warehouse", "FW2", {
        **with_second_fw(), "network.zones[id=Z4].forward_warehouse": "FW1",
        "network.zones[id=Z4].channel_mix": {"home_delivery": 0.5, "bopis": 0.2, "instant": 0.3}}),
    ("Zone", "channel_mix"): ("network.zones[id=Z1].channel_mix", {"home_delivery": 0.2, "bopis": 0.2, "instant": 0.6}, {}),
    ("Lane", "lead_time_days"): (LANE, 3, {}),
    ("Lane", "cost_per_unit"): ("network.lanes[2].cost_per_unit", 0.9, {}),
    ("Lane", "cost_per_order"): ("network.lanes[2].cost_per_order", 2.0, {}),
    ("Lane", "cost_per_shipment"): ("network.lanes[2].cost_per_shipment", 5.0, {}),
    ("Lane", "order_unit"): ("network.lanes[2].order_unit", "case", {"catalog.case_pack": 6}),
    ("Lane", "min_order_units"): ("network.lanes[2].min_order_units", 5, {}),
    ("Fixed", "value"): (f"{LANE}.value", 3, {LANE: dist("fixed")}),
    ("Gamma", "mean"): (f"{LANE}.mean", 4, {LANE: dist("gamma")}),
    ("Gamma", "cv"): (f"{LANE}.cv", 1.2, {LANE: dist("gamma")}),
    ("Lognormal", "mean"): (f"{LANE}.mean", 4, {LANE: dist("lognormal")}),
    ("Lognormal", "cv"): (f"{LANE}.cv", 1.2, {LANE: dist("lognormal")}),
    ("Discrete", "values"): (f"{LANE}.values", [2, 3, 4], {LANE: dist("discrete")}),
    ("Discrete", "probs"): (f"{LANE}.probs", [0.2, 0.3, 0.5], {LANE: dist("discrete")}),
    ("Catalog", "skus"): ("catalog.skus", 40, {}),
    ("Catalog", "file"): ("catalog.file", str(DATA / "catalog_b.csv"), {"catalog.skus": None, "catalog.file": str(DATA / "catalog_a.csv")}),
    ("Catalog", "seed"): ("catalog.seed", 9, {}),
    ("Catalog", "mean_daily_units"): ("catalog.mean_daily_units", AUTO, {}),
    ("Catalog", "overdispersion"): ("catalog.overdispersion", AUTO, {}),
    ("Catalog", "margin"): ("catalog.margin", AUTO, {}),
    ("Catalog", "perishable_share"): ("catalog.perishable_share", 0.4, {}),
    ("Catalog", "shelf_life_days"): ("catalog.shelf_life_days", 4, {}),
    ("Catalog", "freshest_first_share"): ("catalog.freshest_first_share", 0.8, {}),
    ("Catalog", "case_pack"): ("catalog.case_pack", 6, {"network.lanes[2].order_unit": "case"}),
    ("Catalog", "min_order_units"): ("catalog.min_order_units", 40, {}),
    ("Catalog", "presentation_units"): ("catalog.presentation_units", 4, {}),
    ("Catalog", "groups"): ("catalog.groups", {"rain": 0.3}, {"catalog.groups": {"rain": 0.6}, "demand.shocks[0].sku_groups": ["rain"]}),
    ("Catalog", "suppliers"): ("catalog.suppliers", 5, {}),
    ("Popularity", "kind"): ("catalog.popularity.kind", "zipf", {}),
    ("Popularity", "sigma"): ("catalog.popularity.sigma", 0.3, {}),
    ("Popularity", "exponent"): ("catalog.popularity.exponent", 1.5, {"catalog.popularity.kind": "zipf"}),
    ("CostSpread", "mean"): ("catalog.unit_cost.mean", 30, {}),
    ("CostSpread", "cv"): ("catalog.unit_cost.cv", 0.1, {}),
    ("Channel", "promise_hours"): ("channels.home_delivery.promise_hours", 12, {}),
    ("Channel", "promise_windows"): ("channels.home_delivery", {**HOME, "promise_windows": WINDOWS}, {}),
    ("Channel", "promise_from"): ("channels.bopis.promise_from", "opening", {}),
    ("Channel", "transit_hours"): ("channels.home_delivery.transit_hours", 30, {}),
    ("Channel", "local_transit_hours"): ("channels.home_delivery.local_transit_hours", 9, POOL),
    ("Channel", "dispatch_sla_hours"): ("channels.home_delivery.dispatch_sla_hours", 4, {}),
    ("Channel", "unfilled"): ("channels.instant.unfilled", "backorder", {}),
    ("Channel", "max_wait_days"): ("channels.home_delivery.max_wait_days", 1, {}),
    ("PromiseWindow", "order_by_hour"): ("channels.home_delivery.promise_windows[0].order_by_hour", 8, BY_WINDOWS),
    ("PromiseWindow", "due_days"): ("channels.home_delivery.promise_windows[0].due_days", 2, BY_WINDOWS),
    ("PromiseWindow", "due_hour"): ("channels.home_delivery.promise_windows[0].due_hour", 10, BY_WINDOWS),
    ("Demand", "weekday"): ("demand.weekday", [1.5, 1, 1, 1, 1, 0.5, 0.5], {}),
    ("Demand", "monthly"): ("demand.monthly", [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], {}),
    ("Demand", "store_mix_cv"): ("demand.store_mix_cv", 0.8, {}),
    ("Demand", "store_mix_file"): ("demand.store_mix_file", str(DATA / "store_mix.csv"), {}),
    ("Online", "channel_mix"): ("demand.online.channel_mix", {"home_delivery": 0.2, "bopis": 0.4, "instant": 0.4}, {}),
    ("Online", "basket_lines_mean"): ("demand.online.basket_lines_mean", 3.5, {}),
    ("Online", "units_per_line_mean"): ("demand.online.units_per_line_mean", 2.0, {}),
    ("Online", "hourly_profile"): ("demand.online.hourly_profile", [1.0] * 12 + [3.0] * 12, {}),
    ("Promotion", "start_day"): ("demand.promotions[0].start_day", 30, {}),
    ("Promotion", "end_day"): ("demand.promotions[0].end_day", 80, {}),
    ("Promotion", "sku_groups"): ("demand.promotions[0].sku_groups", ["sun"], {
        "catalog.groups": {"rain": 0.3, "sun": 0.3},
        "demand.promotions": [{k: v for k, v in RAW["demand"]["promotions"][0].items() if k != "sku_share"} | {"sku_groups": ["rain"]}]}),
    ("Promotion", "lift"): ("demand.promotions[0].lift", 3.0, {}),
    ("Promotion", "channels"): ("demand.promotions[0].channels", ["walk_in"], {}),
    ("Promotion", "sku_share"): ("demand.promotions[0].sku_share", 1.0, {}),
    ("Promotion", "cannibalise"): ("demand.promotions[0].cannibalise", {"walk_in": 0.5}, {}),
    ("Shock", "start_day"): ("demand.shocks[0].start_day", 50, {}),
    ("Shock", "end_day"): ("demand.shocks[0].end_day", 99, {}),
    ("Shock", "sku_groups"): ("demand.shocks[0].sku_groups", ["rain"], {"catalog.groups": {"rain": 0.5}}),
    ("Shock", "nodes"): ("demand.shocks[0].nodes", ["CW"], {}),
    ("Shock", "zones"): ("demand.shocks[0].zones", ["Z1", "Z2"], {}),
    ("Shock", "capacity_factor"): ("demand.shocks[0].capacity_factor", 0.0, {}),
    ("Shock", "lead_time_factor"): ("demand.shocks[0].lead_time_factor", 5.0, {"demand.shocks[0].nodes": ["CW", "S3"]}),
    ("Shock", "transit_factor"): ("demand.shocks[0].transit_factor", 3.0, {}),
    ("Shock", "walk_in_factor"): ("demand.shocks[0].walk_in_factor", 0.0, {}),
    ("Shock", "closes_lanes"): ("demand.shocks[0].closes_lanes", True, {}),
    ("Shock", "demand_factor"): ("demand.shocks[0].demand_factor", 3.0, {}),
    ("Shock", "sku_share"): ("demand.shocks[0].sku_share", 0.2, {}),
    ("Shock", "warning_days"): ("demand.shocks[0].warning_days", 8, {"policies.shock_response": "respond"}),
    ("Demand", "trace"): ("demand.trace", {"orders": str(HISTORY / "orders.parquet")}, {}),
    ("Trace", "sales"): ("demand.trace.sales", str(HISTORY / "sales.parquet"), {}),
    ("Trace", "orders"): ("demand.trace.orders", str(HISTORY / "orders.parquet"), {}),
    ("Trace", "mode"): ("demand.trace.mode", "exact", TRACE),
    ("Trace", "block_days"): ("demand.trace.block_days", 3, TRACE),
    ("Policies", "inventory_mode"): ("policies.inventory_mode", "pool", {}),
    ("Policies", "sourcing"): ("policies.sourcing", "min_cost", POOL),
    ("Policies", "instant_radius_km"): ("policies.instant_radius_km", 1.5, {}),
    ("Policies", "local_radius_km"): ("policies.local_radius_km", 1.0, POOL),
    ("Policies", "bopis_choices"): ("policies.bopis_choices", 1, {}),
    ("Policies", "store_protection_units"): ("policies.store_protection_units", 3, {**POOL, "network.nodes[id=S1].ship_from_store": True}),
    ("Policies", "parcel_capacity_share"): ("policies.parcel_capacity_share", 0.05, {**POOL, "network.nodes[id=S1].ship_from_store": True}),
    ("Policies", "picking"): ("policies.picking", "due_first", {"network.nodes[id=CW].capacity_orders_per_hour": 12}),
    ("Policies", "shock_response"): ("policies.shock_response", "respond", {}),
    ("Transfers", "rule"): ("policies.transfers.rule", "rebalance", OVERSTOCKED),
    ("Transfers", "period_days"): ("policies.transfers.period_days", 7, REBALANCE),
    ("Transfers", "offset_days"): ("policies.transfers.offset_days", 2, REBALANCE),
    ("Transfers", "node_types"): ("policies.transfers.node_types", ["store", "forward_warehouse"],
                                  {**REBALANCE, "policies.transfers.directions": ["lateral", "top_up"]}),
    ("Transfers", "directions"): ("policies.transfers.directions", ["lateral", "top_up", "pull_back"], REBALANCE),
    ("Transfers", "excess_cover_days"): ("policies.transfers.excess_cover_days", 3, REBALANCE),
    ("Transfers", "target_cover_days"): ("policies.transfers.target_cover_days", 3, REBALANCE),
    ("Transfers", "lead_time_days"): ("policies.transfers.lead_time_days", 4, REBALANCE),
    ("Transfers", "cost_per_unit"): ("policies.transfers.cost_per_unit", 1.0, REBALANCE),
    ("Allocation", "rule"): ("policies.allocation.rule", "first_come", SHARED),
    ("Allocation", "reserve_days"): ("policies.allocation.reserve_days", {"A": 5}, {**SHARED, "policies.allocation": {
        "rule": "reserve", "reserve_days": 1}}),
    ("Ranging", "rule"): ("policies.ranging", {"rule": "top", "top": 25}, {}),
    ("Ranging", "top"): ("policies.ranging.top", 10, {"policies.ranging": {"rule": "top", "top": 25}}),
    ("Ranging", "min_daily_units"): ("policies.ranging.min_daily_units", 2.0,
                                     {"policies.ranging": {"rule": "min_daily_units", "min_daily_units": 1.0}}),
    ("Ranging", "file"): ("policies.ranging.file", str(DATA / "range_b.csv"),
                          {"policies.ranging": {"rule": "file", "file": str(DATA / "range_a.csv")}}),
    ("WalkInToOnlineSettings", "unmet_share"): ("policies.walk_in_to_online.unmet_share", 0.5, {}),
    ("WalkInToOnlineSettings", "unranged_share"): ("policies.walk_in_to_online.unranged_share", 0.5,
                                           {"policies.ranging": {"rule": "top", "top": 25}}),
    ("WalkInToOnlineSettings", "channel"): ("policies.walk_in_to_online.channel", "bopis", {"policies.walk_in_to_online.unmet_share": 0.5}),
    ("StoreRecordsSettings", "shrink_share"): ("policies.store_records.shrink_share", 0.05, {}),
    ("StoreRecordsSettings", "scan_error_rate"): ("policies.store_records.scan_error_rate", 0.3, {}),
    ("StoreRecordsSettings", "count_interval_days"): ("policies.store_records.count_interval_days", 5, RECORDS),
    ("StoreRecordsSettings", "sync_interval_hours"): ("policies.store_records.sync_interval_hours", 6, {}),
    ("StoreRecordsSettings", "lost_sync_share"): ("policies.store_records.lost_sync_share", 0.5,
                                                 {"policies.store_records.sync_interval_hours": 6}),
    ("ReplenishmentSettings", "rationing"): ("replenishment.rationing", "priority",  # ties in row order: the first store first
                                     {"replenishment.central_warehouse": {"policy": "base_stock", "S": 3}}),
    ("ReplenishmentSettings", "online_stock"): ("replenishment.online_stock", {"policy": "base_stock", "S": 40}, {}),
    ("PlanningError", "bias"): ("replenishment.planning_error.bias", 0.5, {}),
    ("PlanningError", "cv"): ("replenishment.planning_error.cv", 0.5, {}),
    ("OnlineSizing", "rule"): ("replenishment.online_sizing.rule", "served", POOL),
    ("OnlineSizing", "pilot_days"): ("replenishment.online_sizing.pilot_days", 7, {**POOL, **SIZING_SERVED}),
    ("Level", "units"): ("replenishment.store.S.units", 9, policy({"policy": "order_up_to", "review_period_days": 3, "S": 4})),
    ("Level", "days_of_cover"): ("replenishment.store.S.days_of_cover", 9,
                                 policy({"policy": "order_up_to", "review_period_days": 3, "S": {"days_of_cover": 4}})),
    ("Level", "service_level"): ("replenishment.store.S.service_level", 0.6,
                                 policy({"policy": "order_up_to", "review_period_days": 3, "S": {"service_level": 0.95}})),
    ("Level", "fill_rate"): ("replenishment.store.S.fill_rate", 0.6,
                             policy({"policy": "order_up_to", "review_period_days": 3, "S": {"fill_rate": 0.95}})),
    ("ClassTarget", "service_level"): ("replenishment.store.by_class.A.service_level", 0.6,
                                       policy({"policy": "base_stock", "by_class": {"A": {"service_level": 0.95}}})),
    ("ClassTarget", "fill_rate"): ("replenishment.store.by_class.A.fill_rate", 0.6,
                                   policy({"policy": "base_stock", "by_class": {"A": {"fill_rate": 0.95}}})),
    ("Node", "replenishment"): ("network.nodes[id=S2].replenishment", {"policy": "order_up_to", "review_period_days": 5}, {}),
    ("ForecastError", "bias"): ("replenishment.store.error.bias", 0.5, policy({"policy": "calendar_order_up_to"})),
    ("ForecastError", "cv"): ("replenishment.store.error.cv", 0.5, policy({"policy": "calendar_order_up_to"})),
    ("Costs", "holding_rate_per_year"): ("costs.holding_rate_per_year", AUTO, {}),
    ("Costs", "backorder_per_unit_day"): ("costs.backorder_per_unit_day", 2.0, {}),
    ("Costs", "last_mile_per_order"): ("costs.last_mile_per_order.home_delivery", 9.0, {}),
    ("Costs", "last_mile_by_origin"): ("costs.last_mile_by_origin", {"central_warehouse": {"home_delivery": 12.0}}, {}),
    ("Costs", "tier_cost_multiplier"): ("costs.tier_cost_multiplier", {1: 2.0, 2: 2.0, 3: 2.0}, {}),
    ("LastMileRate", "fixed"): ("costs.last_mile_by_origin.central_warehouse.home_delivery.fixed", 12.0,
                                {"costs.last_mile_by_origin": {"central_warehouse": {"home_delivery": 5.0}}}),
    ("LastMileRate", "per_km"): ("costs.last_mile_by_origin.store.instant.per_km", 2.0,
                                 {**POOL, "network.nodes[id=S1].ship_from_store": True,
                                  "costs.last_mile_by_origin": {"store": {"instant": 5.0}}}),
    ("FulfilmentCost", "central_warehouse"): ("costs.fulfilment_per_order.central_warehouse", 3.0, {}),
    ("FulfilmentCost", "forward_warehouse"): ("costs.fulfilment_per_order.forward_warehouse", 3.0, {}),
    ("FulfilmentCost", "store"): ("costs.fulfilment_per_order.store", 5.0, {}),
    ("Returns", "bopis"): ("returns.bopis", {"rate": 0.3}, {}),
    ("Returns", "home_delivery"): ("returns.home_delivery", {"rate": 0.3}, {}),
    ("Returns", "instant"): ("returns.instant", {"rate": 0.3}, {}),
    ("ChannelReturns", "rate"): ("returns.home_delivery.rate", 0.5, RETURNS),
    ("ChannelReturns", "days_to_return"): ("returns.home_delivery.days_to_return", 2, RETURNS),
    ("ChannelReturns", "route"): ("returns.home_delivery", {"rate": 0.2, "route": "store"}, RETURNS),
    ("ChannelReturns", "store_share"): ("returns.home_delivery.store_share", 0.9, RETURNS),
    ("ChannelReturns", "courier_days"): ("returns.home_delivery.courier_days", 5, RETURNS),
    ("ChannelReturns", "inspection_days"): ("returns.home_delivery.inspection_days", 4, RETURNS),
    ("ChannelReturns", "resellable_share"): ("returns.home_delivery.resellable_share", 0.2, RETURNS),
    ("ChannelReturns", "courier_cost_per_unit"): ("returns.home_delivery.courier_cost_per_unit", 3.0, RETURNS),
    ("HandlingCost", "central_warehouse"): ("returns.handling_cost_per_unit.central_warehouse", 2.0, RETURNS),
    ("HandlingCost", "store"): ("returns.handling_cost_per_unit.store", 3.0, RETURNS),
    ("ReverseLane", "every_days"): ("returns.reverse_lane.every_days", 2, SPLIT_RETURNS),
    ("ReverseLane", "lead_time_days"): ("returns.reverse_lane.lead_time_days", 6, SPLIT_RETURNS),
    ("ReverseLane", "cost_per_unit"): ("returns.reverse_lane.cost_per_unit", 2.0, SPLIT_RETURNS),
    ("Run", "horizon_days"): ("run.horizon_days", 80, {}),
    ("Run", "warmup_days"): ("run.warmup_days", 30, {}),
    ("Run", "seed"): ("run.seed", 5, {}),
}
# Fields of every replenishment policy: set on the stores' policy of that kind.
POLICIES = {"MinMaxSpec": {"policy": "min_max"}, "ReorderQtySpec": {"policy": "reorder_qty"},
            "OrderUpToSpec": {"policy": "order_up_to", "review_period_days": 3}, "BaseStockSpec": {"policy": "base_stock"},
            "ForecastSpec": {"policy": "forecast_order_up_to"}, "CalendarForecastSpec": {"policy": "calendar_order_up_to"},
            "PushSpec": {"policy": "push"}, "FixedQuantitySpec": {"policy": "fixed_quantity"}}
POLICY_FIELDS = {"review_period_days": 4, "review_offset_days": 2, "service_level": 0.6, "fill_rate": 0.6, "order_cover_days": 20,
                 "presentation_units": 4, "lot_size": "eoq", "alpha": 0.6, "learn_from": "demand", "horizon_days": 12,
                 "s": {"units": 6}, "S": {"units": 9}, "Q": {"units": 7}, "by_class": {"A": {"service_level": 0.6}},
                 "by_group": None}
for _kind, _spec in POLICIES.items():
    for _field, _value in POLICY_FIELDS.items():
        model = getattr(sim.scenario.policies, _kind)
        if _field not in model.model_fields:
            continue
        _context = dict(_spec)
        if _field == "review_offset_days":
            _context["review_period_days"] = 1 if _kind == "BaseStockSpec" else 4
        if _field == "by_group":   # a group of the catalog's to name
            PLAN[(_kind, _field)] = ("replenishment.store.by_group", {"g": {"service_level": 0.6}}, {**policy(_context),
                                                                                                  "catalog.groups": {"g": 0.4}})
            continue
        if _field == "lot_size":
            _context["lot_size"] = "cover"
            PLAN[(_kind, _field)] = ("replenishment.store.lot_size", _value, {**policy(_context), "network.lanes[2].cost_per_order": 3.0})
            continue
        PLAN[(_kind, _field)] = (f"replenishment.store.{_field}", _value, policy(_context))
    _other = "order_up_to" if _kind != "OrderUpToSpec" else "base_stock"
    PLAN[(_kind, "policy")] = ("replenishment.store", _spec, policy({"policy": _other}))

# What cannot move a KPI by design, and why.
ALLOWED = {
    ("Scenario", "name"): "a label (it names the output folder)",
    ("Scenario", "description"): "a label",
    ("Node", "id"): "a name: what refers to it changes with it",
    ("Zone", "id"): "a name: what refers to it changes with it",
    ("Lane", "from_"): "which node supplies which: changing it changes the network, each a scenario of its own",
    ("Lane", "to"): "which nodes a lane supplies: changing it changes the network (every node keeps one inbound lane)",
    ("Fixed", "kind"): "the tag of a distribution (its parameters are audited)",
    ("Gamma", "kind"): "the tag of a distribution", ("Lognormal", "kind"): "the tag of a distribution",
    ("Discrete", "kind"): "the tag of a distribution",
    ("Promotion", "name"): "a label", ("Shock", "name"): "a label (it names the shock's KPI rows)",
    ("Run", "replications"): "read by invsim run as its default number of runs; one run's KPIs do not depend on it",
    ("Run", "order_sample"): "how many orders a run keeps for charts (RunResult.orders), not a KPI",
}


def schema_fields() -> set[tuple[str, str]]:
    """(model, field) of every field that holds a value rather than only a section of other fields."""
    seen, out = set(), set()

    def walk(model):
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            below = _models(info.annotation) + _container_models(info.annotation) + \
                [m for a in typing.get_args(info.annotation) for m in _container_models(a)]
            for sub in below:
                walk(sub)
            if not below or _takes_a_value(info.annotation):
                out.add((model.__name__, name))

    walk(Scenario)
    return out


def _container_models(annotation) -> list:
    if typing.get_origin(annotation) in (list, dict):
        return [m for a in typing.get_args(annotation) for m in _models(a) + _container_models(a)]
    return []


def _takes_a_value(annotation) -> bool:
    """A field whose value is itself meaningful (a section that may be absent, a union with a plain value)."""
    args = typing.get_args(annotation)
    return type(None) in args or any(not isinstance(a, type) or not issubclass(a, BaseModel) for a in args if a is not type(None))


def test_every_schema_field_is_audited_or_allowed_with_its_reason():
    missing = schema_fields() - set(PLAN) - set(ALLOWED)
    assert not missing, f"fields neither audited here nor allowed with a reason: {sorted(missing)}"


@functools.cache
def _kpis_of(key: str):
    return _kpis(json.loads(key))


def _kpis(overrides: dict):
    """The run's KPI table, or None when the scenario is refused (a ScenarioError naming the problem)."""
    try:
        return sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", {**BASE, **overrides})).kpis.set_index(
            ["metric", "channel", "node_type"])["value"]
    except sim.ScenarioError:  # refused, on loading or when the world is built
        return None


def _moved(value, info) -> object:
    """Another valid value near ``value`` for a numeric field, within the field's bounds."""
    bounds = {type(m).__name__: getattr(m, type(m).__name__.lower()) for m in info.metadata
              if isinstance(m, annotated_types.Ge | annotated_types.Gt | annotated_types.Le | annotated_types.Lt)}
    checks = (("Ge", float.__ge__), ("Gt", float.__gt__), ("Le", float.__le__), ("Lt", float.__lt__))
    for moved in (value * 2, value + 1, value / 2):
        candidate = type(value)(moved) if isinstance(value, int) else moved
        if candidate != value and all(cmp(float(candidate), bounds[k]) for k, cmp in checks if k in bounds):
            return candidate
    raise AssertionError(f"no value near {value} within {bounds}")


@pytest.mark.parametrize("field", sorted(PLAN), ids=".".join)
def test_a_setting_moves_a_kpi_or_is_refused(field):
    path, value, context = PLAN[field]
    before = _kpis_of(json.dumps(context, sort_keys=True))  # contexts repeat: each runs once
    assert before is not None, f"{field}: the audit's context is itself refused: {context}"
    if value is AUTO:
        scenario = sim.load_scenario(SCENARIOS / "tiny.yaml", {**BASE, **context})
        holder, name = scenario, path.rsplit(".", 1)[-1]
        for part in path.split(".")[:-1]:
            holder = getattr(holder, part)
        value = _moved(getattr(holder, name), type(holder).model_fields[name])
    after = _kpis({**context, path: value})
    if after is None:
        return  # refused, with what it needs
    aligned = before.align(after)
    assert not aligned[0].equals(aligned[1]), f"{field}: {path} = {value!r} accepted but no KPI moved"
