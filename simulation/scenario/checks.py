"""Cross-field checks pydantic cannot see: names that refer to each other, coverage of tiers, supply
cycles, and the eligibility rules (:mod:`.eligibility`)."""

from __future__ import annotations

import math
from pathlib import Path

from simulation.scenario.eligibility import eligibility_problems, return_store_problems
from simulation.scenario.scenario import Scenario
from simulation.scenario.vocabulary import ONLINE_CHANNELS, SUPPLIER


def reference_problems(sc: Scenario) -> list[str]:
    """Cross-field checks pydantic cannot see: names that must refer to each other, coverage, timing."""
    problems: list[str] = []
    net = sc.network
    node_type: dict[str, str] = {}
    for i, node in enumerate(net.nodes):
        if node.id == SUPPLIER:
            problems.append(f"network.nodes[{i}].id: '{SUPPLIER}' is reserved for the outside supplier")
        elif node.id in node_type:
            problems.append(f"network.nodes[{i}].id: duplicate node id {node.id!r}")
        elif ":" in node.id:
            problems.append(f"network.nodes[{i}].id: ':' is reserved (split mode names a warehouse's online stock 'CW:online')")
        node_type[node.id] = node.type
    if "central_warehouse" not in node_type.values():
        problems.append("network.nodes: needs at least one central_warehouse")
    zone_ids: set[str] = set()
    for i, zone in enumerate(net.zones):
        if zone.id in zone_ids:
            problems.append(f"network.zones[{i}].id: duplicate zone id {zone.id!r}")
        zone_ids.add(zone.id)
        if zone.forward_warehouse is not None and node_type.get(zone.forward_warehouse) != "forward_warehouse":
            problems.append(f"network.zones[{i}].forward_warehouse: {zone.forward_warehouse!r} is not a forward_warehouse node")
        mix = zone.channel_mix if zone.channel_mix is not None else sc.demand.online.channel_mix
        if zone.channel_mix is not None and not math.isclose(sum(mix.values()), 1, abs_tol=1e-6):
            problems.append(f"network.zones[{i}].channel_mix: shares must sum to 1, got {sum(mix.values()):.6g}")
    for i, node in enumerate(net.nodes):
        if node.zone is not None and node.zone not in zone_ids:
            problems.append(f"network.nodes[{i}].zone: unknown zone {node.zone!r}")

    inbound: dict[str, list[int]] = {}
    for i, lane in enumerate(net.lanes):
        if lane.from_ != SUPPLIER and lane.from_ not in node_type:
            problems.append(f"network.lanes[{i}].from: unknown node {lane.from_!r}")
        for j, dest in enumerate(lane.to):
            if dest not in node_type:
                problems.append(f"network.lanes[{i}].to[{j}]: unknown node {dest!r}")
            elif dest == lane.from_:
                problems.append(f"network.lanes[{i}].to[{j}]: a node cannot supply itself ({dest!r})")
            else:
                inbound.setdefault(dest, []).append(i)
    for i, node in enumerate(net.nodes):
        lanes_in = inbound.get(node.id, [])
        if not lanes_in:
            problems.append(f"network.nodes[{i}]: node {node.id!r} has no inbound lane (add one under network.lanes)")
        elif len(lanes_in) > 1:
            problems.append(f"network.nodes[{i}]: node {node.id!r} has {len(lanes_in)} inbound lanes {lanes_in}; give it one source")
    if not problems:
        problems += cycle_problems(sc)
    tiers_used = {z.tier for z in net.zones}
    for name in ONLINE_CHANNELS:
        channel = getattr(sc.channels, name)
        for field in ("promise_hours", "promise_windows", "transit_hours", "local_transit_hours"):
            table = getattr(channel, field)
            if isinstance(table, dict):
                for tier in sorted(tiers_used - set(table), key=str):
                    problems.append(f"channels.{name}.{field}: no value for tier {tier!r}, which network.zones uses")
    for tier in sorted(tiers_used - set(sc.costs.tier_cost_multiplier), key=str):
        problems.append(f"costs.tier_cost_multiplier: no value for tier {tier!r}, which network.zones uses")
    if not problems:
        problems += eligibility_problems(sc) + return_store_problems(sc)

    if not math.isclose(sum(sc.demand.online.channel_mix.values()), 1, abs_tol=1e-6):
        problems.append(f"demand.online.channel_mix: shares must sum to 1, got {sum(sc.demand.online.channel_mix.values()):.6g}")

    for i, shock in enumerate(sc.demand.shocks):
        for j, node_id in enumerate(shock.nodes):
            if node_id not in node_type:
                problems.append(f"demand.shocks[{i}].nodes[{j}]: unknown node {node_id!r}")
        for j, zone_id in enumerate(shock.zones):
            if zone_id not in zone_ids:
                problems.append(f"demand.shocks[{i}].zones[{j}]: unknown zone {zone_id!r}")
    for path, spec in sc.replenishment_specs():
        if getattr(spec, "lot_size", None) == "eoq" and sc.costs.holding_rate_per_year == 0:
            problems.append(f"{path}.lot_size: eoq needs a holding cost (costs.holding_rate_per_year > 0)")
        if sc.catalog.file is None:   # a catalog file's groups are its group column's, checked when the world is built
            groups = {g for g, share in sc.catalog.groups.items() if share > 0}
            problems += [f"{path}.by_group.{g}: the catalog has no group {g!r} (catalog.groups: {', '.join(sorted(groups)) or 'none'})"
                         for g in (spec.by_group or {}) if g not in groups]
    conversion = sc.policies.walk_in_to_online
    if conversion.unmet_share or conversion.unranged_share:
        for i, node in enumerate(net.nodes):
            if node.type == "store" and node.zone is None:
                problems.append(f"network.nodes[{i}].zone: store {node.id!r} needs a zone: policies.walk_in_to_online "
                                "turns its walk-in demand into online orders from that zone")
    online, cw = sc.replenishment.online_stock, sc.replenishment.central_warehouse
    if online is not None and sc.policies.inventory_mode == "pool" and online != cw:
        fixed = ("order_up_to", "base_stock")
        same_days = (online.review_period_days, online.review_offset_days) == (cw.review_period_days, cw.review_offset_days)
        if online.policy not in fixed or cw.policy not in fixed or not same_days:
            problems.append(f"replenishment.online_stock: under one pool the warehouse keeps one stock; its online part keeps "
                            f"a rule of its own only as a fixed level (order_up_to, base_stock) reviewed on the warehouse's days "
                            f"(central_warehouse: {cw.policy}, every {cw.review_period_days} days from day {cw.review_offset_days}), "
                            f"and the levels add; got {online.policy} every {online.review_period_days} days from day "
                            f"{online.review_offset_days}. Give the warehouse's own policy, or null to plan the one stock by it")
    if sc.policies.ranging.file is not None and not Path(sc.policies.ranging.file).is_file():
        problems.append(f"policies.ranging.file: no such file {sc.policies.ranging.file!r}")
    if sc.catalog.file is not None and not Path(sc.catalog.file).is_file():
        problems.append(f"catalog.file: no such file {sc.catalog.file!r}")
    return problems


def cycle_problems(sc: Scenario) -> list[str]:
    """Every node must trace back to the supplier through its single inbound lane."""
    source = {dest: lane.from_ for lane in sc.network.lanes for dest in lane.to}
    problems = []
    for i, node in enumerate(sc.network.nodes):
        seen, here = {node.id}, source[node.id]
        while here != SUPPLIER:
            if here in seen:
                problems.append(f"network.nodes[{i}]: node {node.id!r} sits on a supply cycle and never reaches the supplier")
                break
            seen.add(here)
            here = source[here]
    return problems
