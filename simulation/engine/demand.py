"""Demand: the calendar of multipliers, walk-in draws at stores, and online orders.

Mean demand per (store or zone, SKU, channel, day) = catalog rate x demand scale x weekday x month x
promotion lift x shock factor (a shock may multiply only a share of SKUs, the fastest first). Walk-in
units are negative binomial per (store, SKU, day). Online demand arrives as orders: the count per (zone,
channel, day) is negative binomial with mean = expected units / (lines per order x units per line); each
order gets 1 + Poisson(lines - 1) lines, each line a SKU drawn in proportion to its (promoted) rate and
1 + Poisson(units - 1) units, and an arrival time from the hourly profile. The expected units per SKU
therefore match the rates exactly. Each store draws its walk-in demand from its own stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import SimpleNamespace

import numpy as np

from simulation import kernels
from simulation.engine.streams import store_streams
from simulation.engine.threads import Blocks
from simulation.scenario import CHANNELS, ONLINE_CHANNELS, Promotion, Shock
from simulation.world.calendar import month_of, promotion_lift, season, shock_sku_factor
from simulation.world.network import World
from simulation.world.trace import PlacedOrders


@dataclass
class Calendar:
    """Promotions and shocks in force now; SimPy processes add and remove them at their start and end."""

    world: World
    promotions: list[Promotion] = field(default_factory=list)
    shocks: list[Shock] = field(default_factory=list)
    announced: list[Shock] = field(default_factory=list)  # from each shock's warning until it ends

    def season(self, day: int) -> float:
        return season(self.world.calendar, day)

    def promotion_lift(self, channel: str) -> np.ndarray:
        """Demand multiplier per SKU for a channel from the promotions in force (``world.calendar``)."""
        return promotion_lift(self.promotions, channel, self.world.skus)

    def _node_factor(self, attr: str) -> np.ndarray:
        out = np.ones(self.world.n_nodes)
        for shock in self.shocks:
            for nid in shock.nodes:
                out[self.world.node_rows[nid]] *= getattr(shock, attr)
        return out

    def node_capacity_factor(self) -> np.ndarray:
        return self._node_factor("capacity_factor")

    def node_walk_in_share(self) -> np.ndarray:
        """Share of its shoppers each node takes today: open hours (capacity, at most 1) times what a shock
        leaves open to walk-in."""
        return np.minimum(self.node_capacity_factor(), 1.0) * self._node_factor("walk_in_factor")

    def node_lead_time_factor(self) -> np.ndarray:
        return self._node_factor("lead_time_factor")

    def node_lanes_closed(self) -> np.ndarray | None:
        """Rows whose replenishment lanes a shock in force closes (None: none)."""
        shut = [s for s in self.shocks if s.closes_lanes and s.nodes]
        if not shut:
            return None
        out = np.zeros(self.world.n_nodes, bool)
        for shock in shut:
            for nid in shock.nodes:
                out[self.world.node_rows[nid]] = True
        return out

    def zone_transit_factor(self) -> np.ndarray:
        """Stretch of last-mile transit per zone from the shocks in force."""
        out = np.ones(len(self.world.zone_ids))
        for shock in self.shocks:
            for zid in shock.zones:
                out[self.world.zone_index[zid]] *= shock.transit_factor
        return out

    def _sku_factor(self, shock) -> np.ndarray:
        return shock_sku_factor(shock, self.world.skus)

    def store_demand_factor(self) -> np.ndarray:
        """Multiplier per (store row, SKU) from the shocks in force (broadcastable ones when none)."""
        w = self.world
        hit = [s for s in self.shocks if s.nodes and s.demand_factor != 1.0]
        if not hit:
            return np.ones((w.store_rows.size, 1))
        out = np.ones((w.store_rows.size, w.skus.size))
        for shock in hit:
            rows = np.concatenate([w.node_rows[n] for n in shock.nodes])
            out[np.isin(w.store_rows, rows)] *= self._sku_factor(shock)
        return out

    def zone_demand_profiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(profiles [P, SKU], profile index of each zone): the distinct per-SKU multipliers the shocks
        in force give the zones; profile 0 is no shock."""
        w = self.world
        key = [() for _ in w.zone_ids]
        for i, shock in enumerate(self.shocks):
            if shock.demand_factor != 1.0:
                for zid in shock.zones:
                    key[w.zone_index[zid]] += (i,)
        combos = sorted(set(key) | {()})
        profiles = np.ones((len(combos), w.skus.size))
        for p, combo in enumerate(combos):
            for i in combo:
                profiles[p] *= self._sku_factor(self.shocks[i])
        return profiles, np.array([combos.index(k) for k in key], np.int64)


class WalkIn:
    """Walk-in customers at every store, each store drawing from its own stream (so stores run on
    parallel threads with results independent of the thread count, and adding a store shifts no
    other store's demand). Under a replayed history (``demand.trace``) the units wanted come from it
    instead and the walk-in streams are not used. ``want`` holds today's units wanted per (store, SKU)."""

    def __init__(self, world: World, seed: int, replication: int, trace=None):
        self.world = world
        self.rngs = store_streams(seed, replication, world.store_rows.size)
        self.alpha = world.skus.overdispersion.astype(float)
        self.trace = trace
        self.want = np.zeros((world.store_rows.size, world.skus.size), np.int64)

    def serve(self, calendar: Calendar, day: int, state, blocks: Blocks):
        """Start drawing today's demand and serving it from ``state.on_hand`` (adding to
        ``state.today_demand``, ``today_out`` and ``today_sold``) on the thread pool, store by store; returns a
        function that serves the stores still left on the calling thread, waits, and gives per store the
        ``kernels.WALK_IN_COLUMNS``."""
        w = self.world
        mean = (w.skus.rate * calendar.promotion_lift("walk_in")) * calendar.season(day)
        factor = calendar.store_demand_factor()
        open_share = calendar.node_walk_in_share()[w.store_rows]
        margin = w.skus.price - w.skus.unit_cost
        out = np.zeros((w.store_rows.size, len(kernels.WALK_IN_COLUMNS)))
        if self.trace is not None:
            self.trace.walk_in(day, self.want)

        def run(i):
            node = w.store_rows[i]
            shelf = {"on_hand": state.on_hand[node], "today_demand": state.today_demand[node],
                     "today_out": state.today_out[node], "today_sold": state.today_sold[node], "margin": margin}
            if self.trace is not None:
                out[i] = kernels.serve_walk_in(want=self.want[i], open_share=open_share[i], **shelf)
                return
            mu = w.store_scale[i] * factor[i] * mean
            out[i] = kernels.walk_in_store(rng=self.rngs[i], mean=mu if w.store_mix is None else mu * w.store_mix[i],
                                           alpha=self.alpha, open_share=open_share[i], want=self.want[i], **shelf)

        finish = blocks.share(run, w.store_rows.size)

        def done():
            finish()
            return out
        return done


def walk_in_demand(world: World, calendar: Calendar, day: int, walk_in: WalkIn) -> np.ndarray:
    """Units wanted per (store, SKU) today, as a run would draw them (nothing served: for tests)."""
    n = world.n_nodes, world.skus.size
    state = SimpleNamespace(on_hand=np.zeros(n, np.int64), today_demand=np.zeros(n, np.int64),
                            today_out=np.zeros(n, np.int64), today_sold=np.zeros(n, np.int64))
    walk_in.serve(calendar, day, state, Blocks(1))()
    return state.today_demand[world.store_rows]


@dataclass(frozen=True)
class OrderBatch:
    """One day's online orders, sorted by arrival time; lines point at their order by position."""

    zone: np.ndarray
    channel: np.ndarray      # index into ONLINE_CHANNELS
    hour: np.ndarray         # absolute hour of arrival (24 * day + hour of day)
    transit: np.ndarray      # hours from hand-over to delivery, shipped from a central warehouse
    transit_local: np.ndarray  # the same from a forward warehouse or store near the zone
    line_order: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray

    @property
    def size(self) -> int:
        return int(self.zone.size)

    @property
    def line_start(self) -> np.ndarray:
        """Order o's lines are line_start[o]:line_start[o + 1]."""
        return np.concatenate(([0], np.cumsum(np.bincount(self.line_order, minlength=self.size)))).astype(np.int64)

    def lines(self) -> kernels.OrderLines:
        """The orders as the sourcing kernel reads them."""
        return kernels.OrderLines(zone=self.zone, channel=self.channel, hour=self.hour, line_start=self.line_start,
                                  line_sku=self.line_sku, line_qty=self.line_qty)


@dataclass(frozen=True)
class DrawnOrders:
    """A day's online orders and what each line draws when it arrives (per-line arrays in the batch's line order;
    drawn for every line every day so the streams stay aligned across policies)."""

    batch: OrderBatch
    fail_u: np.ndarray          # uniform of the record check at the line's node
    work: np.ndarray            # picking work, in mean picking times (exponential, mean 1)
    sync_u: np.ndarray | None   # uniform for the walk-in sales the platform has not seen yet
    returns: np.ndarray | None  # [line, RETURN_DRAWS] (no columns without returns)

    def merged(self, other: DrawnOrders) -> DrawnOrders:
        """Both batches as one, orders in arrival order (``self``'s first among equal hours) and each order's lines
        kept together."""
        x, y = self.batch, other.batch
        hour = np.concatenate([x.hour, y.hour])
        lines = np.concatenate([np.bincount(x.line_order, minlength=x.size), np.bincount(y.line_order, minlength=y.size)])
        order = np.argsort(hour, kind="stable")
        perm, line_order = kernels.lines_in_order(n_lines=lines, order=order)

        def both(name):
            return np.concatenate([getattr(x, name), getattr(y, name)])
        batch = OrderBatch(zone=both("zone")[order], channel=both("channel")[order], hour=hour[order],
                           transit=both("transit")[order], transit_local=both("transit_local")[order],
                           line_order=line_order, line_sku=both("line_sku")[perm],
                           line_qty=both("line_qty")[perm])
        per_line = {f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])[perm]
                    for f in fields(self) if f.name != "batch"}
        return DrawnOrders(batch=batch, **per_line)


class OrderGenerator:
    """Draws each day's online orders from the 'online_orders' and 'transit' streams."""

    def __init__(self, world: World):
        self.world = world
        online = world.online_demand
        self.lines_mean = online.basket_lines_mean
        self.units_mean = online.units_per_line_mean
        profile = np.asarray(online.hourly_profile, float)
        self.hour_cdf = np.cumsum(profile) / profile.sum()
        self.order_alpha = world.skus.online_overdispersion
        # Transit draws are made per distinct distribution so tiers sharing one cost one call. Every
        # order draws both a central and a local transit time, so sourcing never shifts the stream.
        self.transit_dists: list = []
        self.transit_group = np.zeros((2, *world.zone_mix.shape), np.int64)
        for z, row in enumerate(world.zone_transit):
            for c, pair in enumerate(row):
                for where, dist in enumerate(pair):
                    if dist not in self.transit_dists:
                        self.transit_dists.append(dist)
                    self.transit_group[where, z, c] = self.transit_dists.index(dist)

    def transit(self, zone: np.ndarray, channel: np.ndarray, rng: np.random.Generator,
                stretch: np.ndarray | None = None) -> np.ndarray:
        """[central, local] transit hours for orders of these zones and channels (both drawn for every
        order, so sourcing never shifts the stream)."""
        transit = np.empty((2, zone.size))
        group = self.transit_group[:, zone, channel]
        for g, dist in enumerate(self.transit_dists):
            mask = group == g
            transit[mask] = dist.sample(rng, int(mask.sum()))
        if stretch is not None:  # a shock's flooded roads: the same draws, stretched, so policies still pair
            transit *= stretch[zone]
        return transit

    def draw(self, calendar: Calendar, day: int, rng: np.random.Generator, transit_rng: np.random.Generator) -> OrderBatch:
        """Today's orders: drawn from ``rng`` (:meth:`placed`), then given transit times and sorted (:meth:`arrange`)."""
        return self.arrange(self.placed(calendar, day, rng), calendar, transit_rng)

    def placed(self, calendar: Calendar, day: int, rng: np.random.Generator) -> PlacedOrders:
        """Today's orders as customers place them, in the order they are drawn (zone by zone, channel by channel)."""
        w = self.world
        n_zones, n_channels = w.zone_mix.shape
        rate = w.skus.rate
        weights = [rate * calendar.promotion_lift(name) for name in ONLINE_CHANNELS]
        units_per_order = self.lines_mean * self.units_mean
        profiles, profile = calendar.zone_demand_profiles()
        zone_factor = w.zone_scale * calendar.season(day)
        per_profile = np.array([[(wt * g).sum() for wt in weights] for g in profiles])  # [profile, channel]
        expected_units = zone_factor[:, None] * w.zone_mix * per_profile[profile]
        mean = (expected_units / units_per_order).ravel()
        counts = kernels.negative_binomial_draws(rng, mean, np.full(mean.size, self.order_alpha)).reshape(expected_units.shape)

        zone = np.repeat(np.tile(np.arange(n_zones)[:, None], (1, n_channels)).ravel(), counts.ravel())
        channel = np.repeat(np.tile(np.arange(n_channels), n_zones), counts.ravel())
        n = zone.size
        hour = 24.0 * day + np.searchsorted(self.hour_cdf, rng.random(n), side="right") + rng.random(n)
        n_lines = 1 + rng.poisson(self.lines_mean - 1.0, n)
        line_order = np.repeat(np.arange(n), n_lines)
        line_channel = channel[line_order]
        u = rng.random(line_order.size)
        cdf = np.array([np.cumsum(wt * g) for wt in weights for g in profiles])  # [channel x profile, SKU]
        group = line_channel * len(profiles) + profile[zone[line_order]]
        line_sku = kernels.line_skus(key=u * cdf[group, -1], group=group, cdf=cdf)
        line_qty = 1 + rng.poisson(self.units_mean - 1.0, line_order.size)
        return PlacedOrders(zone=zone, channel=channel, hour=hour, n_lines=n_lines.astype(np.int64), line_sku=line_sku,
                            line_qty=line_qty.astype(np.int64))

    def arrange(self, placed: PlacedOrders, calendar: Calendar, transit_rng: np.random.Generator) -> OrderBatch:
        """Placed orders given their transit times (drawn in the order placed, so a replayed history draws
        the same ones) and sorted by arrival time, each order's lines kept together."""
        zone, n_lines = placed.zone, placed.n_lines
        transit = self.transit(zone, placed.channel, transit_rng, calendar.zone_transit_factor())
        # Arrival order: orders sorted by time, each order's lines kept together behind it.
        order = np.argsort(placed.hour, kind="stable")
        line_perm, line_order = kernels.lines_in_order(n_lines=n_lines, order=order)
        return OrderBatch(zone=zone[order], channel=placed.channel[order], hour=placed.hour[order], transit=transit[0, order],
                          transit_local=transit[1, order], line_order=line_order, line_sku=placed.line_sku[line_perm],
                          line_qty=placed.line_qty[line_perm])


__all__ = ["CHANNELS", "Calendar", "DrawnOrders", "OrderBatch", "OrderGenerator", "PlacedOrders", "WalkIn", "month_of",
           "walk_in_demand"]
