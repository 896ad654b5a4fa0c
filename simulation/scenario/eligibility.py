"""Order sourcing: which nodes may serve a zone's online orders, and in what order they are tried.

Eligibility (README, "Fulfilment policies"):

- ``home_delivery``: the zone's central warehouse (its online stock in ``split`` mode); in ``pool``
  mode also forward warehouses and ship-from-stores within ``local_radius_km`` of the zone.
- ``instant``: forward warehouses within ``instant_radius_km`` (or named by the zone); in ``pool``
  mode also ship-from-stores within the radius. Never a central warehouse.
- ``bopis``: the ``bopis_choices`` stores nearest the zone (a store placed in the zone counts as
  nearest); the customer picks one when ordering, so BOPIS orders are never split.

Ranking: ``nearest`` and ``single_node_first`` try the fastest node first (expected picking plus
transit hours, then distance); ``min_cost`` the cheapest to fulfil from (picking and packing by node type plus the
last mile from it), then the fastest. BOPIS candidates are ranked by distance whatever the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulation.scenario.vocabulary import CENTRAL_WAREHOUSE, FORWARD_WAREHOUSE, ONLINE_CHANNELS, STORE


@dataclass(frozen=True)
class Candidate:
    node: str
    local: bool           # a forward warehouse or store near the zone (local transit), not a central warehouse
    distance_km: float    # inf when either end has no location


def distance_km(a, b) -> float:
    if a is None or b is None:
        return math.inf
    return math.hypot(a[0] - b[0], a[1] - b[1])


def zone_central(sc, zone) -> str:
    """The central warehouse that feeds the zone's forward warehouse, else the first one."""
    source = {dest: lane.from_ for lane in sc.network.lanes for dest in lane.to}
    types = {n.id: n.type for n in sc.network.nodes}
    here, seen = zone.forward_warehouse, set()
    while here is not None and here in source and here not in seen:
        seen.add(here)
        here = source[here]
        if types.get(here) == CENTRAL_WAREHOUSE:
            return here
    return next(n.id for n in sc.network.nodes if n.type == CENTRAL_WAREHOUSE)


def _mean_hours(value, tier) -> float:
    dist = value[tier] if isinstance(value, dict) else value
    return float(dist.mean) if dist is not None else math.nan


def candidates(sc, zone) -> dict[str, list[Candidate]]:
    """Eligible nodes for each online channel of ``zone``, best first under ``policies.sourcing``."""
    pol = sc.policies
    pool = pol.inventory_mode == "pool"

    def near(node, radius):
        d = distance_km(node.location, zone.location)
        return d <= radius or node.zone == zone.id or node.id == zone.forward_warehouse, d

    central = zone_central(sc, zone)
    out: dict[str, list[Candidate]] = {c: [] for c in ONLINE_CHANNELS}
    for node in sc.network.nodes:
        if node.type == CENTRAL_WAREHOUSE and node.id == central:
            out["home_delivery"].append(Candidate(node.id, False, distance_km(node.location, zone.location)))
        local_ok = node.type == FORWARD_WAREHOUSE or (pool and node.type == STORE and node.ship_from_store)
        if not local_ok:
            continue
        within, d = near(node, pol.instant_radius_km)
        if within:
            out["instant"].append(Candidate(node.id, True, 0.0 if node.zone == zone.id else d))
        within, d = near(node, pol.local_radius_km)
        if pool and within:
            out["home_delivery"].append(Candidate(node.id, True, 0.0 if node.zone == zone.id else d))
    out["bopis"] = stores_by_distance(sc, zone)[: pol.bopis_choices]

    nodes = {n.id: n for n in sc.network.nodes}
    node_type = {n.id: n.type for n in sc.network.nodes}
    order = {n.id: i for i, n in enumerate(sc.network.nodes)}
    fulfil = sc.costs.fulfilment_per_order
    for name in ("home_delivery", "instant"):
        channel = getattr(sc.channels, name)
        local_transit = channel.local_transit_hours if channel.local_transit_hours is not None else channel.transit_hours
        def hours(c, channel=channel, local_transit=local_transit):
            node = nodes[c.node]
            return (_mean_hours(local_transit if c.local else channel.transit_hours, zone.tier)
                    + node.pickers / node.capacity_orders_per_hour)
        def key(c, hours=hours, name=name):
            fast = (hours(c), c.distance_km, order[c.node])
            if pol.sourcing != "min_cost":
                return fast
            kind = node_type[c.node]  # picking and packing, then the last mile (the zone's tier scales every node alike)
            rate = sc.costs.last_mile_rate(kind, name)
            km = rate.per_km * c.distance_km if rate.per_km else 0.0  # no per-km rate: no distance needed (inf * 0)
            return (getattr(fulfil, kind) + rate.fixed + km, *fast)
        out[name].sort(key=key)
    return out


def eligibility_problems(sc) -> list[str]:
    """Zones with demand on a channel that no node may serve."""
    problems = []
    default_mix = sc.demand.online.channel_mix
    types = {n.id: n.type for n in sc.network.nodes}
    for i, zone in enumerate(sc.network.zones):
        mix = zone.channel_mix if zone.channel_mix is not None else default_mix
        cands = candidates(sc, zone)
        if mix.get("instant", 0) > 0 and not cands["instant"]:
            extra = " or a ship-from-store" if sc.policies.inventory_mode == "pool" else ""
            problems.append(f"network.zones[{i}].channel_mix: zone {zone.id!r} has instant demand ({mix['instant']:g}) but no "
                            f"forward warehouse{extra} within policies.instant_radius_km "
                            f"({sc.policies.instant_radius_km:g}); set forward_warehouse, locations, or give instant 0")
        if mix.get("bopis", 0) > 0 and not cands["bopis"]:
            problems.append(f"network.zones[{i}].channel_mix: zone {zone.id!r} has bopis demand ({mix['bopis']:g}) but no store "
                            "to collect from; give the zone and stores a location, place a store in the zone, or give bopis 0")
        for name in ONLINE_CHANNELS:
            far = [c.node for c in cands[name]
                   if sc.costs.last_mile_rate(types[c.node], name).per_km and not math.isfinite(c.distance_km)]
            if far:
                kind = types[far[0]]
                problems.append(f"costs.last_mile_by_origin.{kind}.{name}.per_km: a cost per km needs the distance from each "
                                f"node that may serve zone {zone.id!r} ({', '.join(far)}); give them and network.zones[{i}] "
                                "a location")
    return problems


def stores_by_distance(sc, zone) -> list[Candidate]:
    """The stores a zone's customers can reach (to collect a BOPIS order or take back an online return), nearest
    first: a store placed in the zone counts as nearest; a store or zone without a location is out of reach
    unless placed in the zone."""
    stores = [Candidate(n.id, True, 0.0 if n.zone == zone.id else distance_km(n.location, zone.location))
              for n in sc.network.nodes if n.type == STORE]
    return sorted((c for c in stores if math.isfinite(c.distance_km)), key=lambda c: c.distance_km)


def return_store_problems(sc) -> list[str]:
    """Zones whose customers take returns to a store (``returns.<channel>.route``) but reach none."""
    routed = [name for name in ONLINE_CHANNELS if (r := sc.returns.channel(name)) is not None and r.to_store > 0]
    if not routed:
        return []
    lonely = [zone.id for zone in sc.network.zones if not stores_by_distance(sc, zone)]
    return [f"returns.{name}.route: zone {zone!r} has no store to take a return to; give the zone and the stores a location, "
            "place a store in the zone, or use route courier" for name in routed for zone in lonely[:3]]
