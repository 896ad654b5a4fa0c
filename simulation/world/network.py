"""The compiled world: a scenario turned into index arrays the engine and kernels work on.

Nodes keep the scenario's order; node ``i`` is row ``i`` of every node x SKU state array. In ``split``
mode each central warehouse that sells online gets one more row after them, ``CW:online``: its online
stock. Each row has one source (another row, or -1 for the outside supplier). Zones carry, per online
channel, the eligible nodes best first (``sourcing.py``), the promise and transit times. Planning
demand (mean and variance per node and SKU, rolled
up the supply tree) is what service-level targets are sized against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.scenario import (
    CENTRAL_WAREHOUSE,
    FORWARD_WAREHOUSE,
    NODE_TYPES,
    ONLINE_CHANNELS,
    STORE,
    STORE_CODE,
    SUPPLIER,
    Scenario,
    ScenarioError,
)
from simulation.scenario.channels import by_tier
from simulation.scenario.demand import Online
from simulation.scenario.eligibility import candidates
from simulation.world.calendar import CalendarPlan
from simulation.world.catalog import SkuTable, build_catalog
from simulation.world.costs import last_mile_costs
from simulation.world.history_files import read_store_mix
from simulation.world.planning import first_choice_shares, planning_demand
from simulation.world.preflight import check_magnitudes, check_size
from simulation.world.promises import promise_tables


def check_groups(sc: Scenario, skus) -> None:
    """Every SKU group a promotion or shock names is one of the catalog's (ScenarioError naming the field)."""
    problems = [f"demand.{kind}[{i}].sku_groups[{j}]: unknown SKU group {g!r} (the catalog's: {', '.join(skus.group_names) or 'none'})"
                for kind, windows in (("promotions", sc.demand.promotions), ("shocks", sc.demand.shocks))
                for i, window in enumerate(windows) for j, g in enumerate(window.sku_groups) if g not in skus.group_names]
    if problems:
        raise ScenarioError(problems)


def lead_days(raw: np.ndarray) -> np.ndarray:
    """Lead times in whole days, at least 1: an order placed at the end of day t arrives at the start of
    day t + L, before that day's demand."""
    return np.maximum(1, np.rint(raw)).astype(np.int64)


@dataclass(frozen=True)
class World:
    skus: SkuTable
    calendar: CalendarPlan       # season, promotions and shocks
    online_demand: Online        # the demand section's online orders (rate, lines, hourly profile, channel mix)
    warmup_days: int             # days before measuring starts
    split: bool                  # inventory_mode split: channel stocks apart
    holding_rate_per_year: float  # of unit cost
    backorder_per_unit_day: float  # cost of a unit owed to an online customer for a day (0: not priced)
    return_channels: tuple[str, ...]  # online channels whose customers return units
    node_ids: list[str]
    node_type: np.ndarray        # index into NODE_TYPES
    twin_of: np.ndarray          # the scenario node a row stands for (split mode adds 'CW:online' rows)
    source: np.ndarray           # source node, -1 = supplier
    depth: np.ndarray            # 1 for nodes fed by the supplier
    lane_cost: np.ndarray        # cost per unit on the inbound lane
    lane_order_cost: np.ndarray  # [node] fixed cost per order of a SKU on the inbound lane
    lane_ship_cost: np.ndarray   # [node] fixed cost per delivery on the inbound lane
    lane_cases: np.ndarray       # [node] the inbound lane ships whole case packs
    lane_min_units: np.ndarray   # [node] the least the node orders of a SKU on its inbound lane
    capacity: np.ndarray         # picking rate, orders per hour (all pickers together)
    pickers: np.ndarray
    pick_exponential: np.ndarray  # picking times exponential (else fixed)
    cutoffs: np.ndarray          # [node, j] carrier cut-off hours for parcels, padded with nan
    open_hour: np.ndarray
    close_hour: np.ndarray
    node_zone: np.ndarray        # [row] the zone a store sits in (index into zone_ids; -1: none)
    priority: np.ndarray
    inaccuracy: np.ndarray       # [node] chance a sourced line finds the shelf short of the record
    protection: np.ndarray       # [node] units per SKU kept back from home-delivery and instant orders
    ship_cost: np.ndarray        # [node] fulfilment cost per shipment
    store_rows: np.ndarray       # node rows that are stores
    store_scale: np.ndarray      # walk-in demand scale of each store row
    node_index: dict             # scenario node id -> row (its physical stock)
    node_rows: dict              # scenario node id -> all rows it stands for (shocks act on each)
    zone_index: dict             # zone id -> row
    channel_backorders: np.ndarray  # [online channel] unfilled lines wait (True) or are lost
    channel_max_wait: np.ndarray    # [online channel] days a backordered line may wait
    channel_sla: np.ndarray         # [online channel] dispatch SLA hours
    zone_ids: list[str]
    zone_tier: list
    zone_scale: np.ndarray
    zone_mix: np.ndarray         # [zone, online channel] share of online demand
    cand_node: np.ndarray        # [zone, online channel, rank] eligible rows best first, -1 padded
    zone_promise: np.ndarray     # [zone, online channel] promise in hours (nan: by windows, world/promises.py)
    zone_windows: np.ndarray     # [zone, online channel, window, (order_by_hour, due_days, due_hour)], nan padded
    channel_from_opening: np.ndarray  # [online channel] the promise runs from the serving node's opening
    last_mile: np.ndarray        # [row, zone, online channel] last-mile cost of one shipment (world/costs.py)
    zone_transit: list           # [zone][online channel] (central, local) Distributions of transit hours
    planning_mean: np.ndarray    # [node, sku] mean daily demand (customer + downstream), as the planner sees it
    planning_var: np.ndarray     # [node, sku] daily variance, as the planner sees it
    planning_channel_share: np.ndarray  # [node, channel (CHANNELS)] share of the node's planned units by channel
    # Under one pool with replenishment.online_stock: per row, the (mean, var) [node, sku] of its online part (its own
    # online customers and the forward warehouses it supplies: what split stock plans as online stock); else None.
    planning_online: tuple[np.ndarray, np.ndarray] | None
    store_mix: np.ndarray | None  # [store, sku] each store's own walk-in multiplier per SKU (None: every 1)
    ranged: np.ndarray | None    # [store, sku] the SKUs each store stocks (None: every SKU)
    mean_lead_days: np.ndarray   # [node] mean inbound lead time, whole days after rounding
    var_lead_days: np.ndarray    # [node] its variance
    lane_groups: list            # (Distribution, scenario node rows, from the supplier) per scenario lane, for sampling

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def online_rows(self) -> np.ndarray:
        """Rows that are a central warehouse's online stock (split mode), after the scenario's own nodes."""
        return np.arange(len(self.node_index), self.n_nodes)  # node_index: one row per scenario node

    @property
    def lane_lead_days(self) -> np.ndarray:
        """[row] its inbound lane's mean lead time in whole days (at least 1): what a transfer along the lane takes."""
        return lead_days(self.mean_lead_days)

    def sample_lead_days(self, rng: np.random.Generator) -> np.ndarray:
        """Lead times [row, vendor] of shipments departing today: one draw per scenario lane destination,
        and on lanes from the supplier one per destination and vendor (``catalog.suppliers``: each vendor's
        delivery is late or early on its own); an online twin shares its warehouse's draws, so split and
        pool runs see the same lead times."""
        vendors = self.skus.suppliers
        raw = np.empty((len(self.node_index), vendors))
        for dist, rows, from_supplier in self.lane_groups:
            if from_supplier:
                raw[rows] = dist.sample(rng, rows.size * vendors).reshape(rows.size, vendors)
            else:
                raw[rows] = dist.sample(rng, rows.size)[:, None]
        return lead_days(raw)[self.twin_of]


def compile_world(sc: Scenario, force: bool = False, served: np.ndarray | None = None) -> World:
    """The scenario as arrays. Refuses (ScenarioError) a world too big for the memory available, unless
    ``force``, and demand too large for integer stock counts (see :mod:`preflight`). ``served`` [zone,
    online channel, row]: the share of each zone's channel demand each row plans for (default: all at the
    first choice); ``Simulation.sized_world`` measures it for ``replenishment.online_sizing: served``."""
    if sc.catalog.file is None:  # before generating: the catalog alone may not fit
        check_magnitudes(sc, sc.catalog.mean_daily_units)
        if not force:
            check_size(sc)
    skus = build_catalog(sc.catalog)
    check_groups(sc, skus)
    check_magnitudes(sc, skus.rate.max() if skus.size else 0.0)
    if not force and sc.catalog.file is not None:
        check_size(sc, skus)
    nodes = list(sc.network.nodes)
    index = {n.id: i for i, n in enumerate(nodes)}
    split = sc.policies.inventory_mode == "split"
    zones = sc.network.zones
    cands = [candidates(sc, zone) for zone in zones]

    # Split stock: a central warehouse that sells online and supplies stores keeps its online stock
    # apart, as a row of its own fed by the same lane. That row ships parcels and supplies the forward
    # warehouses (online stock); the physical row supplies the stores.
    twin_of = list(range(len(nodes)))
    online_row: dict[str, int] = {}
    if split:
        used = {c.node for zc in cands for c in zc["home_delivery"]}
        feeds = {kind: {lane.from_ for lane in sc.network.lanes for d in lane.to if nodes[index[d]].type == kind}
                 for kind in (FORWARD_WAREHOUSE, STORE)}
        for i, n in enumerate(list(nodes)):
            online = n.id in used or n.id in feeds[FORWARD_WAREHOUSE]
            if n.type == CENTRAL_WAREHOUSE and online and n.id in feeds[STORE]:
                online_row[n.id] = len(twin_of)
                twin_of.append(i)
    twin = np.array(twin_of, np.int64)
    rows = len(twin)
    ids = [n.id for n in nodes] + [f"{nodes[i].id}:online" for i in twin_of[len(nodes):]]

    source = np.full(rows, -1, np.int64)
    lane_cost = np.zeros(rows)
    lane_order_cost = np.zeros(rows)
    lane_ship_cost = np.zeros(rows)
    lane_cases = np.zeros(rows, bool)
    lane_min = np.zeros(rows, np.int64)
    lane_dist = [None] * rows
    for lane in sc.network.lanes:
        for dest in lane.to:
            i = index[dest]
            feeder = -1 if lane.from_ == SUPPLIER else index[lane.from_]
            if feeder >= 0 and nodes[i].type == FORWARD_WAREHOUSE:
                feeder = online_row.get(lane.from_, feeder)
            source[i] = feeder
            lane_cost[i] = lane.cost_per_unit
            lane_cases[i], lane_min[i] = lane.order_unit == "case", lane.min_order_units
            lane_order_cost[i], lane_ship_cost[i] = lane.cost_per_order, lane.cost_per_shipment
            lane_dist[i] = lane.lead_time_days
    for r in range(len(nodes), rows):
        source[r], lane_cost[r], lane_dist[r] = source[twin[r]], lane_cost[twin[r]], lane_dist[twin[r]]
        lane_cases[r], lane_min[r], lane_order_cost[r] = lane_cases[twin[r]], lane_min[twin[r]], lane_order_cost[twin[r]]
        lane_ship_cost[r] = lane_ship_cost[twin[r]]
    depth = np.zeros(rows, np.int64)
    for i in range(rows):
        here, d = i, 1
        while source[here] >= 0:
            here, d = source[here], d + 1
        depth[i] = d

    def per_row(values, dtype=float):
        return np.array([values(nodes[t]) for t in twin_of], dtype)

    node_type = per_row(lambda n: NODE_TYPES.index(n.type), np.int64)
    capacity = per_row(lambda n: n.capacity_orders_per_hour)
    for cw in online_row:
        capacity[index[cw]] = 0.0  # its online row picks the orders
    n_cut = max([len(n.carrier_cutoffs_hours) for n in nodes] + [1])
    cutoffs = np.full((rows, n_cut), np.nan)
    for r, t in enumerate(twin_of):
        cutoffs[r, : len(nodes[t].carrier_cutoffs_hours)] = sorted(nodes[t].carrier_cutoffs_hours)

    n_ch = len(ONLINE_CHANNELS)
    width = max([len(zc[c]) for zc in cands for c in ONLINE_CHANNELS] + [1])
    cand_node = np.full((len(zones), n_ch, width), -1, np.int64)
    mix = np.zeros((len(zones), n_ch))
    promise, windows, from_opening = promise_tables(sc, zones)
    transit = []
    for z, zone in enumerate(zones):
        shares = zone.channel_mix if zone.channel_mix is not None else sc.demand.online.channel_mix
        row = []
        for c, name in enumerate(ONLINE_CHANNELS):
            channel = getattr(sc.channels, name)
            mix[z, c] = shares.get(name, 0.0)
            for m, cand in enumerate(cands[z][name]):
                cand_node[z, c, m] = online_row.get(cand.node, index[cand.node]) if not cand.local else index[cand.node]
            local = channel.local_transit_hours if channel.local_transit_hours is not None else channel.transit_hours
            row.append((by_tier(channel.transit_hours, zone.tier), by_tier(local, zone.tier)))
        transit.append(row)

    store_rows = np.flatnonzero(node_type == STORE_CODE)
    # Moments of the lead time as the engine applies it (rounded, >= 1), from a fixed large sample.
    rounded = [lead_days(d.sample(np.random.default_rng(0), 20_000)) for d in lane_dist]
    scales = np.array([nodes[twin[r]].demand_scale for r in store_rows], float)
    ranged = store_range(sc.policies.ranging, skus.rate, scales) if sc.policies.ranging.rule != "file" else \
        range_from_file(sc.policies.ranging.file, [nodes[twin[r]].id for r in store_rows], skus.sku)
    if served is None:
        served = first_choice_shares(cand_node, rows)
    parts = sc.policies.inventory_mode == "pool" and sc.replenishment.online_stock is not None
    planning_mean, planning_var, channel_share, online = planning_demand(sc, skus, store_rows, ranged, served, mix, source, depth,
                                                                          rows, parts)
    if online is not None:  # a row's online part: its own online customers and the forward warehouses it supplies
        for fw in np.flatnonzero((node_type == NODE_TYPES.index(FORWARD_WAREHOUSE)) & (source >= 0)):
            online[0][source[fw]] += planning_mean[fw]
            online[1][source[fw]] += planning_var[fw]
    error = sc.replenishment.planning_error
    if error.bias or error.cv:
        factor = (1.0 + error.bias) * mean_one_lognormal(world_stream(sc, PLANNING_ERROR), error.cv, planning_mean.shape)
        planning_mean, planning_var = planning_mean * factor, planning_var * factor
        online = None if online is None else (online[0] * factor, online[1] * factor)
    store_mix = mean_one_lognormal(world_stream(sc, STORE_MIX), sc.demand.store_mix_cv, (store_rows.size, skus.size)) \
        if sc.demand.store_mix_cv else None
    if sc.demand.store_mix_file:
        store_mix = read_store_mix(sc.demand.store_mix_file, [nodes[twin[r]].id for r in store_rows], skus.sku)
    node_rows: dict[str, list[int]] = {}
    for r, t in enumerate(twin_of):
        node_rows.setdefault(nodes[t].id, []).append(r)
    fulfil = sc.costs.fulfilment_per_order
    zone_index = {z.id: i for i, z in enumerate(zones)}
    return World(
        skus=skus, calendar=CalendarPlan(tuple(sc.demand.weekday), tuple(sc.demand.monthly), tuple(sc.demand.promotions),
                                         tuple(sc.demand.shocks)),
        online_demand=sc.demand.online, warmup_days=sc.run.warmup_days, split=split,
        holding_rate_per_year=sc.costs.holding_rate_per_year, backorder_per_unit_day=sc.costs.backorder_per_unit_day,
        return_channels=tuple(c for c in ONLINE_CHANNELS if sc.returns.channel(c) is not None),
        node_ids=ids, node_type=node_type, twin_of=twin, source=source, depth=depth,
        lane_cost=lane_cost, lane_order_cost=lane_order_cost, lane_ship_cost=lane_ship_cost, lane_cases=lane_cases,
        lane_min_units=lane_min, capacity=capacity,
        pickers=per_row(lambda n: n.pickers, np.int64),
        pick_exponential=per_row(lambda n: n.pick_time == "exponential", bool), cutoffs=cutoffs,
        open_hour=per_row(lambda n: n.open_hour), close_hour=per_row(lambda n: n.close_hour),
        node_zone=per_row(lambda n: zone_index.get(n.zone, -1), np.int64),
        priority=per_row(lambda n: n.priority, np.int64), inaccuracy=per_row(lambda n: n.record_inaccuracy),
        protection=per_row(lambda n: sc.policies.store_protection_units if n.type == STORE else 0, np.int64),
        ship_cost=per_row(lambda n: getattr(fulfil, n.type)), store_rows=store_rows,
        store_scale=scales,
        node_index=index, node_rows={k: np.array(v, np.int64) for k, v in node_rows.items()},
        zone_index=zone_index,
        channel_backorders=np.array([getattr(sc.channels, c).unfilled == "backorder" for c in ONLINE_CHANNELS]),
        channel_max_wait=np.array([getattr(sc.channels, c).max_wait_days for c in ONLINE_CHANNELS], np.int64),
        channel_sla=np.array([getattr(sc.channels, c).dispatch_sla_hours for c in ONLINE_CHANNELS]),
        zone_ids=[z.id for z in zones], zone_tier=[z.tier for z in zones],
        zone_scale=np.array([z.demand_scale for z in zones], float), zone_mix=mix, cand_node=cand_node,
        zone_promise=promise, zone_windows=windows, channel_from_opening=from_opening,
        last_mile=last_mile_costs(sc, cands, cand_node, node_type), zone_transit=transit,
        planning_mean=planning_mean, planning_var=planning_var, planning_channel_share=channel_share, planning_online=online,
        store_mix=store_mix, ranged=ranged,
        mean_lead_days=np.array([r.mean() for r in rounded]), var_lead_days=np.array([r.var() for r in rounded]),
        lane_groups=[(lane.lead_time_days, np.array([index[d] for d in lane.to], np.int64), lane.from_ == SUPPLIER)
                     for lane in sc.network.lanes],
    )


# Draws that are facts of the world (fixed by catalog.seed, whatever the run seed), by stream key.
STORE_MIX, PLANNING_ERROR = 1, 2


def world_stream(sc: Scenario, key: int) -> np.random.Generator:
    """A stream for one fact of the world, independent of the catalog's own draws and of every run."""
    return np.random.default_rng(np.random.SeedSequence(sc.catalog.seed, spawn_key=(key,)))


def mean_one_lognormal(rng: np.random.Generator, cv: float, shape) -> np.ndarray:
    """Lognormal factors with mean 1 and coefficient of variation ``cv``.

    >>> x = mean_one_lognormal(np.random.default_rng(0), 0.5, 200_000)
    >>> round(float(x.mean()), 2), round(float(x.std() / x.mean()), 2)
    (1.0, 0.5)
    """
    sigma2 = np.log1p(cv**2)
    return rng.lognormal(-sigma2 / 2, np.sqrt(sigma2), shape)


def store_range(rule, rate: np.ndarray, scales: np.ndarray) -> np.ndarray | None:
    """[store, sku] the SKUs each store stocks under ``policies.ranging`` (None: all). SKUs are sorted
    fastest first, so the top N are the first N.

    >>> from simulation.scenario.policies import Ranging
    >>> store_range(Ranging(rule="top", top=2), np.array([5.0, 2.0, 1.0]), np.ones(2)).astype(int).tolist()
    [[1, 1, 0], [1, 1, 0]]
    >>> fast = Ranging(rule="min_daily_units", min_daily_units=2.0)
    >>> store_range(fast, np.array([5.0, 2.0, 1.0]), np.array([1.0, 0.5])).astype(int).tolist()
    [[1, 1, 0], [1, 0, 0]]
    """
    if rule.rule == "top":
        return np.broadcast_to(np.arange(rate.size) < rule.top, (scales.size, rate.size)).copy()
    if rule.rule == "min_daily_units":
        return np.outer(scales, rate) >= rule.min_daily_units
    return None


def range_from_file(path: str, stores: list[str], skus: np.ndarray) -> np.ndarray:
    """[store, sku] from a CSV of (store, sku) pairs; unknown ids and repeated pairs are errors by row."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # unreadable: reported against the field, not as a traceback
        raise ScenarioError([f"policies.ranging.file: cannot read {path}: {exc}"]) from None
    missing = [c for c in ("store", "sku") if c not in frame.columns]
    if missing:
        raise ScenarioError([f"policies.ranging.file: missing column {c!r} (needs store, sku)" for c in missing])
    store_index, sku_index = {s: i for i, s in enumerate(stores)}, {str(k): j for j, k in enumerate(skus)}
    problems = []
    for column, index, what in (("store", store_index, "store"), ("sku", sku_index, "SKU")):
        unknown = ~frame[column].isin(list(index))
        problems += [f"policies.ranging.file: row {r + 2} column {column!r}: unknown {what} {frame[column].iloc[r]!r}"
                     for r in np.flatnonzero(unknown)[:5]]
    repeated = frame.duplicated(["store", "sku"])
    problems += [f"policies.ranging.file: row {r + 2}: ({frame.store.iloc[r]!r}, {frame.sku.iloc[r]!r}) is listed before"
                 for r in np.flatnonzero(repeated)[:5]]
    if problems:
        raise ScenarioError(problems)
    ranged = np.zeros((len(stores), skus.size), bool)
    ranged[frame.store.map(store_index).to_numpy(int), frame.sku.map(sku_index).to_numpy(int)] = True
    return ranged
