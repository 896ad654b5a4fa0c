"""Settings that would do nothing: a field set away from its default where the scenario's mode or policy never
reads it is refused, naming what it needs, so that no one believes a setting acted that did not.

A value equal to the field's default is never refused: it asks for nothing a run would not do anyway.
"""

from __future__ import annotations

from simulation.scenario.policies import OnlineSizing, PushSpec, Transfers
from simulation.scenario.returns import ReverseLane
from simulation.scenario.scenario import Scenario
from simulation.scenario.vocabulary import FORWARD_WAREHOUSE, ONLINE_CHANNELS, STORE, SUPPLIER, VELOCITY_CLASSES


def _changed(model, *names: str) -> list[str]:
    """The fields among ``names`` that ``model`` holds at a value other than its class's default."""
    fields = type(model).model_fields
    return [n for n in names if getattr(model, n) != fields[n].get_default(call_default_factory=True)]


def idle_settings(sc: Scenario) -> list[str]:
    """Every setting of ``sc`` away from its default that its mode or policy never reads, with what it needs."""
    return [*_mode_settings(sc), *_policy_settings(sc), *_mechanism_settings(sc), *_demand_settings(sc)]


def _mode_settings(sc: Scenario) -> list[str]:
    p, problems = sc.policies, []
    if p.inventory_mode == "split":
        why = {"store_protection_units": "store shelves serve only walk-in and BOPIS customers under split stock",
               "parcel_capacity_share": "only the warehouse's online stock ships parcels under split stock",
               "local_radius_km": "only the warehouse's online stock ships parcels under split stock"}
        problems += [f"policies.{n}: means nothing here: {why[n]}; it needs policies.inventory_mode: pool"
                     for n in _changed(p, *why)]
        problems += [f"network.nodes[{i}].ship_from_store: means nothing here: under split stock a store sells its shelf "
                     f"only to walk-in and BOPIS customers; it needs policies.inventory_mode: pool"
                     for i, n in enumerate(sc.network.nodes) if n.ship_from_store]
    if p.inventory_mode == "pool" and sc.returns.active:
        problems += [f"returns.reverse_lane.{n}: means nothing here: under one pool a return sells where it is received; it "
                     f"needs policies.inventory_mode: split" for n in _changed(sc.returns.reverse_lane, *ReverseLane.model_fields)]
    return problems


def _sized_by_class_target(spec) -> bool:
    """Whether a policy sizes any level by its class's ``service_level`` or ``fill_rate``."""
    if isinstance(spec, PushSpec):
        return False
    if spec.policy in ("forecast_order_up_to", "calendar_order_up_to"):
        return True
    defaulted = {"min_max": ("s",), "reorder_qty": ("s",), "fixed_quantity": ("s",), "order_up_to": ("S",),
                 "base_stock": ("S",)}[spec.policy]
    return any(getattr(spec, name) is None for name in defaulted)


def _uses_lot_rule(spec) -> bool:
    """Whether a policy sizes an order by its lot rule (``order_cover_days`` or ``lot_size``)."""
    return (spec.policy == "min_max" and spec.S is None) or (spec.policy in ("reorder_qty", "fixed_quantity") and spec.Q is None)


def _policy_settings(sc: Scenario) -> list[str]:
    problems = []
    for path, spec in sc.replenishment_specs():
        if not _sized_by_class_target(spec):
            needs = ("push sends its plan, sized by nothing" if isinstance(spec, PushSpec)
                     else "every level is given explicitly; it needs a level left to size (or given as {service_level: p})")
            problems += [f"{path}.{n}: means nothing for {spec.policy}: {needs}"
                         for n in _changed(spec, "service_level", "fill_rate", "by_class", "by_group")]
        elif set(spec.by_class or ()) == set(VELOCITY_CLASSES):
            problems += [f"{path}.{n}: means nothing here: by_class sets a target for every class (A, B and C)"
                         for n in _changed(spec, "service_level", "fill_rate")]
        if not _uses_lot_rule(spec):
            lots = ("order_cover_days", "lot_size") if hasattr(spec, "lot_size") else ("order_cover_days",)
            problems += [f"{path}.{n}: means nothing for {spec.policy}: it sizes the order of min_max without S or "
                         f"reorder_qty or fixed_quantity without Q" for n in _changed(spec, *lots)]
        if isinstance(spec, PushSpec) and spec.presentation_units:
            problems.append(f"{path}.presentation_units: means nothing for push: it sends its plan whatever the node holds")
        if spec.review_period_days == 1 and spec.review_offset_days:
            problems.append(f"{path}.review_offset_days: means nothing with review_period_days 1 (the node reviews every day)")
    for node_type in (FORWARD_WAREHOUSE, STORE):
        nodes = [n for n in sc.network.nodes if n.type == node_type]
        if nodes and all(n.replenishment is not None for n in nodes) and _changed(sc.replenishment, node_type):
            problems.append(f"replenishment.{node_type}: means nothing here: every {node_type.replace('_', ' ')} follows "
                            f"its own policy (network.nodes[i].replenishment)")
    sizing = sc.replenishment.online_sizing
    if sizing.rule == "first_choice":
        problems += [f"replenishment.online_sizing.{n}: means nothing with rule first_choice; it needs rule: served"
                     for n in _changed(sizing, *(f for f in OnlineSizing.model_fields if f != "rule"))]
    return problems


def _mechanism_settings(sc: Scenario) -> list[str]:
    p, net, problems = sc.policies, sc.network, []
    if p.transfers.rule == "none":  # emergency transfers still read their lanes and target under a response plan
        emergency = {"lead_time_days", "cost_per_unit", "target_cover_days"} if p.shock_response == "respond" else set()
        problems += [f"policies.transfers.{n}: means nothing with rule none; it needs rule: rebalance"
                     for n in _changed(p.transfers, *(f for f in Transfers.model_fields if f != "rule")) if n not in emergency]
    fed_by = {d: lane.from_ for lane in net.lanes for d in lane.to}
    type_of = {n.id: n.type for n in net.nodes}
    if p.transfers.rule == "rebalance" and p.transfers.directions == ["lateral"]:
        problems += [f"policies.transfers.node_types: {t} means nothing here: a lone {t} has no other to trade with (add top_up "
                     f"or pull_back to directions to move stock with the node that supplies it)"
                     for t in p.transfers.node_types if list(type_of.values()).count(t) < 2]
    if sc.replenishment.rationing == "proportional":
        problems += [f"network.nodes[{i}].priority: means nothing with replenishment.rationing proportional (a short source "
                     f"splits in proportion to the requests); it needs rationing: priority"
                     for i, n in enumerate(net.nodes) if n.priority]
    by_source = [d for d in ("top_up", "pull_back") if d in p.transfers.directions]
    if p.transfers.rule == "rebalance" and by_source and not any(
            type_of[n] in p.transfers.node_types and fed_by.get(n, SUPPLIER) != SUPPLIER for n in type_of):
        problems.append(f"policies.transfers.directions: {', '.join(by_source)} means nothing here: no node of "
                        f"{p.transfers.node_types} is supplied by another node (only by the outside supplier)")
    if p.allocation.rule != "online_first" and not _shared_sources(sc, fed_by, type_of):
        problems.append(f"policies.allocation.rule: {p.allocation.rule} means nothing here: no node both serves online orders "
                        f"and supplies other nodes{' forward warehouses (split stock)' if p.inventory_mode == 'split' else ''}")
    if sc.costs.backorder_per_unit_day and not any(getattr(sc.channels, c).unfilled == "backorder" for c in ONLINE_CHANNELS):
        problems.append("costs.backorder_per_unit_day: means nothing here: every online channel loses what it cannot fill; "
                        "it needs a channel with unfilled: backorder")
    conversion = p.walk_in_to_online
    if not (conversion.unmet_share or conversion.unranged_share):
        problems += [f"policies.walk_in_to_online.{n}: means nothing while unmet_share and unranged_share are 0"
                     for n in _changed(conversion, "channel")]
    elif conversion.unranged_share and p.ranging.rule == "all":
        problems.append("policies.walk_in_to_online.unranged_share: means nothing while every store ranges every SKU; it "
                        "needs policies.ranging")
    records = p.store_records
    if not records.active:
        problems += [f"policies.store_records.{n}: means nothing while records are exact (shrink_share and scan_error_rate "
                     f"0): there is nothing to count" for n in _changed(records, "count_interval_days")]
    return problems


def _shared_sources(sc: Scenario, fed_by: dict, type_of: dict) -> bool:
    """Whether some node both serves online orders and supplies other nodes from the same stock (under split stock
    a warehouse's online stock supplies only the forward warehouses)."""
    from simulation.scenario.eligibility import candidates

    serving = {c.node for zone in sc.network.zones for options in candidates(sc, zone).values() for c in options}
    split = sc.policies.inventory_mode == "split"
    return any(src in serving and (not split or type_of[kid] == FORWARD_WAREHOUSE) for kid, src in fed_by.items()
               if src != SUPPLIER and not (split and type_of[kid] == STORE))


def _demand_settings(sc: Scenario) -> list[str]:
    d, problems = sc.demand, []
    # With served sizing the pilot run draws the model's demand whatever a trace replays: the model's settings act there.
    trace = d.trace if sc.replenishment.online_sizing.rule == "first_choice" else None
    if trace is not None and trace.sales is not None:
        problems += [f"demand.{n}: means nothing with demand.trace.sales: the walk-in demand replayed is the history's"
                     for n in ("store_mix_cv", "store_mix_file") if getattr(d, n)]
    if trace is not None and trace.orders is not None:
        problems += [f"demand.online.{n}: means nothing with demand.trace.orders: the orders replayed are the history's"
                     for n in _changed(d.online, "basket_lines_mean", "hourly_profile")]
    if d.trace is not None and d.trace.mode == "exact":
        problems += [f"demand.trace.{n}: means nothing with mode exact; it needs mode: block_bootstrap"
                     for n in _changed(d.trace, "block_days")]
    if not sc.catalog.perishable_share and sc.catalog.file is None:
        problems += [f"catalog.{n}: means nothing without perishable SKUs (catalog.perishable_share 0)"
                     for n in _changed(sc.catalog, "freshest_first_share")]
    return problems

