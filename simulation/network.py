"""The compiled world: a scenario turned into index arrays the engine and kernels work on.

Nodes keep the scenario's order; node ``i`` is row ``i`` of every node x SKU state array. Each node
has one source (another node, or -1 for the outside supplier). Zones carry their serving node per
online channel, promise and transit time. Planning demand (mean and variance per node and SKU, rolled
up the supply tree) is what service-level targets are sized against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import SkuTable, build_catalog
from .scenario import NODE_TYPES, ONLINE_CHANNELS, SUPPLIER, Scenario

CHANNEL_CODE = {name: i for i, name in enumerate(ONLINE_CHANNELS)}


def lead_days(raw: np.ndarray) -> np.ndarray:
    """Lead times in whole days, at least 1: an order placed at the end of day t arrives at the start of
    day t + L, before that day's demand."""
    return np.maximum(1, np.rint(raw)).astype(np.int64)


@dataclass(frozen=True)
class World:
    scenario: Scenario
    skus: SkuTable
    node_ids: list[str]
    node_type: np.ndarray        # index into NODE_TYPES
    source: np.ndarray           # source node, -1 = supplier
    depth: np.ndarray            # 1 for nodes fed by the supplier
    lane_cost: np.ndarray        # cost per unit on the inbound lane
    capacity: np.ndarray         # picking rate, orders per hour
    open_hour: np.ndarray
    close_hour: np.ndarray
    priority: np.ndarray
    store_rows: np.ndarray       # node rows that are stores
    store_scale: np.ndarray      # walk-in demand scale of each store row
    node_index: dict             # node id -> row
    zone_index: dict             # zone id -> row
    channel_backorders: np.ndarray  # [online channel] unfilled lines wait (True) or are lost
    channel_max_wait: np.ndarray    # [online channel] days a backordered line may wait
    zone_ids: list[str]
    zone_tier: list
    zone_scale: np.ndarray
    zone_mix: np.ndarray         # [zone, online channel] share of online demand
    zone_node: np.ndarray        # [zone, online channel] serving node
    zone_promise: np.ndarray     # [zone, online channel] promise in hours
    zone_last_mile: np.ndarray   # [zone, online channel] last-mile cost per order
    zone_transit: list           # [zone][online channel] Distribution of transit hours
    planning_mean: np.ndarray    # [node, sku] mean daily demand (customer + downstream)
    planning_var: np.ndarray     # [node, sku] daily variance
    mean_lead_days: np.ndarray   # [node] mean inbound lead time, whole days after rounding
    var_lead_days: np.ndarray    # [node] its variance
    lane_groups: list            # (Distribution, destination rows) per scenario lane, for sampling

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def sample_lead_days(self, rng: np.random.Generator) -> np.ndarray:
        """One lead-time draw per (source, destination) pair, for shipments departing today."""
        raw = np.empty(self.n_nodes)
        for dist, rows in self.lane_groups:
            raw[rows] = dist.sample(rng, rows.size)
        return lead_days(raw)


def compile_world(sc: Scenario) -> World:
    skus = build_catalog(sc.catalog)
    nodes = sc.network.nodes
    index = {n.id: i for i, n in enumerate(nodes)}
    source = np.full(len(nodes), -1, np.int64)
    lane_cost = np.zeros(len(nodes))
    lane_dist = [None] * len(nodes)
    for lane in sc.network.lanes:
        for dest in lane.to:
            i = index[dest]
            source[i] = -1 if lane.from_ == SUPPLIER else index[lane.from_]
            lane_cost[i] = lane.cost_per_unit
            lane_dist[i] = lane.lead_time_days
    depth = np.zeros(len(nodes), np.int64)
    for i in range(len(nodes)):
        here, d = i, 1
        while source[here] >= 0:
            here, d = source[here], d + 1
        depth[i] = d

    central = [i for i, n in enumerate(nodes) if n.type == "central_warehouse"]
    zones = sc.network.zones
    mix = np.zeros((len(zones), len(ONLINE_CHANNELS)))
    serving = np.zeros((len(zones), len(ONLINE_CHANNELS)), np.int64)
    promise = np.zeros_like(mix)
    last_mile = np.zeros_like(mix)
    transit = []
    for z, zone in enumerate(zones):
        shares = zone.channel_mix if zone.channel_mix is not None else sc.demand.online.channel_mix
        fw = index[zone.forward_warehouse] if zone.forward_warehouse else -1
        # Split stock, assigned sourcing: the CW that feeds the zone's FW (else the first CW) ships
        # parcels and BOPIS; instant orders go to the zone's FW when it has one.
        cw = int(_root_central(fw, source, nodes) if fw >= 0 else central[0])
        row = []
        for c, name in enumerate(ONLINE_CHANNELS):
            channel = getattr(sc.channels, name)
            mix[z, c] = shares.get(name, 0.0)
            serving[z, c] = fw if (name == "instant" and fw >= 0) else cw
            promise[z, c] = _by_tier(channel.promise_hours, zone.tier)
            last_mile[z, c] = sc.costs.last_mile_per_order.get(name, 0.0) * sc.costs.tier_cost_multiplier[zone.tier]
            row.append(_by_tier(channel.transit_hours, zone.tier))
        transit.append(row)

    node_type = np.array([NODE_TYPES.index(n.type) for n in nodes], np.int64)
    store_rows = np.flatnonzero(node_type == NODE_TYPES.index("store"))
    # Moments of the lead time as the engine applies it (rounded, >= 1), from a fixed large sample.
    rounded = [lead_days(d.sample(np.random.default_rng(0), 20_000)) for d in lane_dist]
    mean_lead = np.array([r.mean() for r in rounded])
    var_lead = np.array([r.var() for r in rounded])
    planning_mean, planning_var = _planning_demand(sc, skus, store_rows, serving, mix, source, depth)
    world = World(
        scenario=sc, skus=skus, node_ids=[n.id for n in nodes], node_type=node_type, source=source, depth=depth,
        lane_cost=lane_cost, capacity=np.array([n.capacity_orders_per_hour for n in nodes], float),
        open_hour=np.array([n.open_hour for n in nodes], float), close_hour=np.array([n.close_hour for n in nodes], float),
        priority=np.array([n.priority for n in nodes], np.int64), store_rows=store_rows,
        store_scale=np.array([nodes[r].demand_scale for r in store_rows], float),
        node_index=index, zone_index={z.id: i for i, z in enumerate(zones)},
        channel_backorders=np.array([getattr(sc.channels, c).unfilled == "backorder" for c in ONLINE_CHANNELS]),
        channel_max_wait=np.array([getattr(sc.channels, c).max_wait_days for c in ONLINE_CHANNELS], np.int64),
        zone_ids=[z.id for z in zones], zone_tier=[z.tier for z in zones],
        zone_scale=np.array([z.demand_scale for z in zones], float), zone_mix=mix, zone_node=serving,
        zone_promise=promise, zone_last_mile=last_mile, zone_transit=transit,
        planning_mean=planning_mean, planning_var=planning_var, mean_lead_days=mean_lead, var_lead_days=var_lead,
        lane_groups=[(lane.lead_time_days, np.array([index[d] for d in lane.to], np.int64)) for lane in sc.network.lanes],
    )
    return world


def _root_central(node: int, source: np.ndarray, nodes) -> int:
    here = node
    while source[here] >= 0:
        here = source[here]
        if nodes[here].type == "central_warehouse":
            return here
    return here


def _by_tier(value, tier):
    return value[tier] if isinstance(value, dict) else value


def _planning_demand(sc, skus, store_rows, serving, mix, source, depth):
    """Mean and variance of daily demand per node and SKU, before calendar effects.

    Stores see walk-in demand; serving nodes see online demand (compound: orders x units per line);
    every node also sees its children's demand, summed as independent streams.
    """
    n_nodes = len(sc.network.nodes)
    rate, alpha = skus.rate, skus.overdispersion
    mean = np.zeros((n_nodes, skus.size))
    var = np.zeros_like(mean)
    for row in store_rows:
        mu = rate * sc.network.nodes[row].demand_scale
        mean[row] += mu
        var[row] += mu + alpha * mu**2
    u = sc.demand.online.units_per_line_mean
    unit_factor = ((u - 1) + u * u) / u  # E[U^2] / E[U] for U = 1 + Poisson(u - 1)
    for z, zone in enumerate(sc.network.zones):
        for c in range(len(ONLINE_CHANNELS)):
            mu = rate * zone.demand_scale * mix[z, c]
            mean[serving[z, c]] += mu
            var[serving[z, c]] += mu * unit_factor + alpha * mu**2
    for d in range(int(depth.max()), 1, -1):
        for child in np.flatnonzero(depth == d):
            mean[source[child]] += mean[child]
            var[source[child]] += var[child]
    return mean, var
