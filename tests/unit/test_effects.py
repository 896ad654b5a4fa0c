"""Every accepted setting does something: a field set away from its default where the scenario's mode or policy
never reads it is refused, naming the field and what it needs (scenario/effects.py); the same value where it acts
is accepted."""

import pytest

import simulation as sim
from simulation.validation.cases.worlds import copies, with_stores
from tests.conftest import SCENARIOS

HISTORY = SCENARIOS / "data" / "tiny_history"
POOL = {"policies.inventory_mode": "pool"}
NO_ONLINE = copies(3, 2.0, **with_stores([{"id": "S1", "zone": None}], 2))  # stores fed by the supplier, nothing online


def tiny(overrides: dict) -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "tiny.yaml", overrides)


# (what is set, where it does nothing, the error; where it acts)
CASES = {
    "store protection under split": ({"policies.store_protection_units": 2}, r"policies.store_protection_units: means nothing "
                                     r"here: .* it needs policies.inventory_mode: pool", POOL),
    "parcel capacity share under split": ({"policies.parcel_capacity_share": 0.3}, r"policies.parcel_capacity_share: .* needs "
                                          r"policies.inventory_mode: pool", POOL),
    "local radius under split": ({"policies.local_radius_km": 5}, r"policies.local_radius_km: .* needs policies.inventory_mode: "
                                 r"pool", POOL),
    "ship-from-store under split": ({"network.nodes[id=S1].ship_from_store": True}, r"network.nodes\[2\].ship_from_store: means "
                                    r"nothing here: under split stock .* needs policies.inventory_mode: pool", POOL),
    "reverse lane under one pool": ({**POOL, "returns": {"home_delivery": {"rate": 0.1}, "reverse_lane": {"every_days": 3}}},
                                    r"returns.reverse_lane.every_days: means nothing here: under one pool .* needs "
                                    r"policies.inventory_mode: split", {"policies.inventory_mode": "split"}),
    "service level with every level given": ({"replenishment.store": {"policy": "base_stock", "S": 5, "service_level": 0.9}},
                                             r"replenishment.store.service_level: means nothing for base_stock: every level "
                                             r"is given explicitly", {"replenishment.store.S": None}),
    "fill rate with every level given": ({"replenishment.store": {"policy": "order_up_to", "S": {"days_of_cover": 5},
                                                                  "fill_rate": 0.9}},
                                         r"replenishment.store.fill_rate: means nothing for order_up_to", {"replenishment.store.S": None}),
    "order cover days on order-up-to": ({"replenishment.store": {"policy": "order_up_to", "order_cover_days": 3}},
                                        r"replenishment.store.order_cover_days: means nothing for order_up_to: it sizes the "
                                        r"order of min_max without S or reorder_qty or fixed_quantity without Q",
                                        {"replenishment.store.policy": "min_max"}),
    "order cover days on base stock": ({"replenishment.store": {"policy": "base_stock", "order_cover_days": 3}},
                                       r"replenishment.store.order_cover_days: means nothing for base_stock",
                                       {"replenishment.store.policy": "reorder_qty"}),
    "order cover days on a forecast": ({"replenishment.store": {"policy": "forecast_order_up_to", "order_cover_days": 3}},
                                       r"replenishment.store.order_cover_days: means nothing for forecast_order_up_to",
                                       {"replenishment.store.policy": "min_max"}),
    "service level on push": ({"replenishment.store": {"policy": "push", "service_level": 0.9}},
                              r"replenishment.store.service_level: means nothing for push: push sends its plan",
                              {"replenishment.store.policy": "order_up_to"}),
    "store mix with a sales trace": ({"demand.trace": {"sales": str(HISTORY / "sales.parquet")}, "demand.store_mix_cv": 0.5},
                                     r"demand.store_mix_cv: means nothing with demand.trace.sales", {"demand.trace": None}),
    "block days with an exact replay": ({"demand.trace": {"sales": str(HISTORY / "sales.parquet"), "block_days": 14}},
                                        r"demand.trace.block_days: means nothing with mode exact; it needs mode: block_bootstrap",
                                        {"demand.trace.mode": "block_bootstrap"}),
    "basket size with an orders trace": ({"demand.trace": {"orders": str(HISTORY / "orders.parquet")},
                                          "demand.online.basket_lines_mean": 3.0},
                                         r"demand.online.basket_lines_mean: means nothing with demand.trace.orders",
                                         {"demand.trace": None}),
    "transfer settings without transfers": ({"policies.transfers.period_days": 3}, r"policies.transfers.period_days: means "
                                            r"nothing with rule none; it needs rule: rebalance",
                                            {"policies.transfers.rule": "rebalance"}),
    "recapture channel without shares": ({"policies.walk_in_to_online.channel": "bopis"}, r"policies.walk_in_to_online.channel: "
                                         r"means nothing while unmet_share and unranged_share are 0",
                                         {"policies.walk_in_to_online.unmet_share": 0.2}),
    "endless aisle without ranging": ({"policies.walk_in_to_online.unranged_share": 0.3}, r"policies.walk_in_to_online."
                                      r"unranged_share: means nothing while every store ranges every SKU; it needs policies.ranging",
                                      {"policies.ranging": {"rule": "top", "top": 20}}),
    "counts with exact records": ({"policies.store_records.count_interval_days": 30}, r"policies.store_records."
                                  r"count_interval_days: means nothing while records are exact",
                                  {"policies.store_records.shrink_share": 0.02}),
    "pilot days with first-choice sizing": ({"replenishment.online_sizing.pilot_days": 14}, r"replenishment.online_sizing."
                                            r"pilot_days: means nothing with rule first_choice; it needs rule: served",
                                            {"replenishment.online_sizing.rule": "served"}),
    "freshest first without perishables": ({"catalog.perishable_share": 0.0, "catalog.freshest_first_share": 0.5},
                                           r"catalog.freshest_first_share: means nothing without perishable SKUs",
                                           {"catalog.perishable_share": 0.1}),
    "review offset with daily reviews": ({"replenishment.store": {"policy": "order_up_to", "review_period_days": 1,
                                                                  "review_offset_days": 2}},
                                         r"replenishment.store.review_offset_days: means nothing with review_period_days 1",
                                         {"replenishment.store.review_period_days": 3}),
    "a lone forward warehouse in lateral transfers": ({"policies.transfers": {"rule": "rebalance",
                                                                              "node_types": ["store", "forward_warehouse"]}},
                                                      r"policies.transfers.node_types: forward_warehouse means nothing here: a lone "
                                                      r"forward_warehouse has no other to trade with",
                                                      {"policies.transfers.directions": ["lateral", "top_up"]}),
    "a rationing priority with proportional rationing": ({"network.nodes[id=S1].priority": 2}, r"network.nodes\[2\].priority: "
                                                         r"means nothing with replenishment.rationing proportional",
                                                         {"replenishment.rationing": "priority"}),
    "a display minimum on push": ({"replenishment.store": {"policy": "push", "presentation_units": 2}},
                                  r"replenishment.store.presentation_units: means nothing for push",
                                  {"replenishment.store.policy": "order_up_to"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_setting_that_does_nothing_is_refused_naming_what_it_needs(case):
    overrides, message, where_it_acts = CASES[case]
    with pytest.raises(sim.ScenarioError, match=message):
        tiny(overrides)
    tiny({**overrides, **where_it_acts})  # the same value where its mode or policy reads it is accepted


def test_channel_allocation_where_no_stock_is_shared_is_refused():
    """Stores fed by the supplier, nothing sold online: no node both serves online orders and supplies others."""
    with pytest.raises(sim.ScenarioError, match=r"policies.allocation.rule: first_come means nothing here: no node both serves "
                                                r"online orders and supplies other nodes"):
        sim.scenario_from_dict(NO_ONLINE, {"policies.allocation": "first_come"})
    tiny({"policies.allocation": "first_come"})  # tiny's warehouse sells parcels and supplies its forward warehouse


def test_top_ups_from_a_source_where_none_holds_stock_are_refused():
    with pytest.raises(sim.ScenarioError, match=r"policies.transfers.directions: top_up means nothing here: no node of \['store'\] "
                                                r"is supplied by another node"):
        sim.scenario_from_dict(NO_ONLINE, {"policies.transfers": {"rule": "rebalance", "directions": ["lateral", "top_up"]}})
    tiny({"policies.transfers": {"rule": "rebalance", "directions": ["lateral", "top_up"]}})


def test_a_default_value_written_out_is_never_refused():
    tiny({"policies.store_protection_units": 0, "policies.local_radius_km": 10, "replenishment.store.order_cover_days": 7,
          "policies.transfers.period_days": 7, "policies.walk_in_to_online.channel": "home_delivery"})
