"""The engine: one run of a scenario with one seed.

SimPy decides *when*; numba kernels (``kernels.py``) decide *how much*. State is struct-of-arrays,
node x SKU integer arrays owned by :class:`Simulation`; the scenario is never written to.

Order of events within day ``d`` (SimPy time ``d + fraction``):

====== ==============================================================================================
0.00   calendar: promotions and shocks that start today take effect (those ending today lapse)
0.10   receipts: replenishment shipments due today arrive into on hand (and are in stock for today)
0.20   backorders: open online lines older than their channel's ``max_wait_days`` are cancelled; the
       rest are filled oldest first from on hand and queue for picking at opening time
0.50   demand: walk-in customers buy from store shelves (unmet demand is lost); online orders arrive
       through the day and are sourced in arrival order (``sourcing.py``: eligible nodes best first,
       today's picking quota per node, BOPIS at the store the customer picks); each (order, node)
       shipment queues for picking (FIFO over the node's pickers, opening hours), leaves at the next
       carrier cut-off (parcels) and is delivered after its transit time; unfilled lines are
       backordered at their node or lost per channel
0.80   review epochs: each node class whose review period falls today is marked due
0.83   transfers: periodic rebalancing between nodes of one type and, under a shock response plan,
       emergency transfers into shocked nodes (``transfers.py``, ``response.py``); they arrive at the
       start of day ``d + transfer lead time``
0.85   replenishment: due nodes (and nodes a announced shock will hit, under a response plan), deepest
       first, order by their policy against inventory position (see :meth:`Simulation.inventory_position`,
       less any pre-positioning target); a source rations its on hand among its children's requests
       (what it still owes them plus today's orders) and owes the rest, shipping it on a later day as
       stock comes in, whether or not the child reviews that day; shipments depart and arrive at the
       start of day ``d + L`` (L >= 1 whole days, sampled per day for each lane destination, stretched by shocks)
0.95   close: perishable stock ages and spoils, forecasts learn today's demand, the day is recorded
====== ==============================================================================================

Conservation is checked at the end of every run for every node and SKU:
``initial + received == sold + shipped out + spoiled + on hand`` and, network-wide,
``initial + supplied == sold + spoiled + on hand + in transit``.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from simulation import kernels
from simulation.engine.demand import Calendar, OrderGenerator, WalkIn
from simulation.engine.orders import BackorderQueue, OrderBook, Table
from simulation.engine.streams import make_streams, order_sample_stream
from simulation.engine.threads import Blocks, default_threads
from simulation.metrics.kpis import Ledger
from simulation.metrics.order_stats import OrderStats
from simulation.policies.replenishment import Planning, build_policy
from simulation.policies.response import emergency_moves, preposition
from simulation.policies.transfers import rebalance_moves
from simulation.spec import CENTRAL_CODE, NODE_TYPES, ONLINE_CHANNELS, Scenario
from simulation.world.network import World, compile_world, lead_days

CALENDAR, RECEIVE, RELEASE, DEMAND, REVIEW, TRANSFER, REPLENISH, CLOSE = 0.0, 0.1, 0.2, 0.5, 0.8, 0.83, 0.85, 0.95
HOME_DELIVERY, BOPIS = ONLINE_CHANNELS.index("home_delivery"), ONLINE_CHANNELS.index("bopis")
# Picking queues run past the horizon (orders placed late in a run still get picked), so each node's
# daily capacity is known this many days beyond it.
PICKING_DAYS_PAST_HORIZON = 400
NO_QUOTA = np.iinfo(np.int32).max  # BOPIS takes no share of a store's picking: the customer chose the store


def next_cutoff(hours: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """The first carrier cut-off (hour of day, rows of ``cutoffs``, nan padded) at or after each
    absolute hour; rows without cut-offs leave at once."""
    day = np.floor(hours / 24.0)
    of_day = hours - 24.0 * day
    with np.errstate(invalid="ignore"):
        later = cutoffs >= of_day[:, None]
    same_day = np.take_along_axis(cutoffs, np.argmax(later, axis=1)[:, None], axis=1)[:, 0]
    out = np.where(later.any(axis=1), 24.0 * day + same_day, 24.0 * (day + 1) + cutoffs[:, 0])
    return np.where(np.isnan(cutoffs[:, 0]) | ~np.isfinite(hours), hours, out)


class ConservationError(RuntimeError):
    """Units were created or destroyed: a bug in the engine, never a property of the scenario."""


class Simulation:
    """Mutable state of one run. Build, call :meth:`execute`, read the ledger and order book."""

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0, world: World | None = None,
                 record_shipments: bool = False, threads: int | None = None):
        self.scenario = scenario
        self.threads = default_threads() if threads is None else int(threads)
        self.seed, self.replication = seed, replication
        self.world = world if world is not None else compile_world(scenario)
        w = self.world
        self.horizon = scenario.run.horizon_days
        self.warmup = scenario.run.warmup_days
        self.streams = make_streams(seed, replication)
        self.env = simpy.Environment()
        self.calendar = Calendar(w)
        self.orders = OrderBook()
        self.backorders = BackorderQueue()
        # Orders settle (leave the book for the KPI sums) once no line can still ship.
        self.order_stats = OrderStats(w, self.warmup, scenario.run.order_sample, order_sample_stream(seed, replication))
        self.settle_days = int(w.channel_max_wait.max()) + 1
        self.placed_through: list[int] = []  # orders placed up to the end of each day
        # Every (order, node) shipment, for audits and small runs; off by default (memory).
        self.shipments = Table({"order": np.int64, "node": np.int64, "channel": np.int64, "zone": np.int64}) \
            if record_shipments else None
        self.ledger = Ledger(self.warmup, w.node_type)
        self.order_generator = OrderGenerator(w) if len(w.zone_ids) else None
        self.walk_in = WalkIn(w, seed, replication)
        self.blocks = Blocks(1)  # the thread pool while executing

        n, k = w.n_nodes, w.skus.size
        self.policies, self.class_row = {}, np.zeros(n, np.int64)
        self.on_hand = np.zeros((n, k), np.int64)
        for code, cls in enumerate(NODE_TYPES):
            rows = np.flatnonzero(w.node_type == code)
            if rows.size == 0:
                continue
            self.class_row[rows] = np.arange(rows.size)
            plan = Planning(w.planning_mean[rows], w.planning_var[rows], w.mean_lead_days[rows], w.var_lead_days[rows])
            policy = build_policy(getattr(scenario.replenishment, cls), plan, f"replenishment.{cls}")
            self.policies[cls] = (rows, policy)
            self.on_hand[rows] = policy.initial_stock()
        self.stocked = self.on_hand > 0
        self.initial = self.on_hand.copy()
        self.pipeline = np.zeros((n, k), np.int64)
        self.backordered = np.zeros((n, k), np.int64)
        self.owed = np.zeros((n, k), np.int64)          # requested from the node's source, not yet shipped
        self.supplied = np.zeros((n, k), np.int64)      # units received from the outside supplier
        self.received = np.zeros((n, k), np.int64)
        self.outflow = np.zeros((n, k), np.int64)       # sold + shipped to other nodes
        self.sold = np.zeros((n, k), np.int64)          # sold to customers (walk-in and online)
        self.today_sold = np.zeros((n, k), np.int64)
        self.spoiled = np.zeros((n, k), np.int64)
        self.today_in = np.zeros((n, k), np.int64)
        self.today_out = np.zeros((n, k), np.int64)
        self.today_demand = np.zeros((n, k), np.int64)  # what each node was asked for (forecast input)
        self.perishable = np.flatnonzero(w.skus.shelf_life_days > 0)
        life = w.skus.shelf_life_days[self.perishable]
        self.cohorts = np.zeros((n, self.perishable.size, int(life.max()) if life.size else 1), np.int64)
        self.cohorts[:, :, 0] = self.on_hand[:, self.perishable]
        self.shelf_life = life.astype(np.int64)
        # Picking: capacity per node per day (shocks scale it), carried-over queue per node.
        self.pick_rate = np.repeat(w.capacity[:, None], self.horizon + PICKING_DAYS_PAST_HORIZON, axis=1)
        self.busy_until = np.zeros((n, int(w.pickers.max())))
        # Sourcing rules per online channel, and units per SKU each node keeps back from each channel.
        rule = scenario.policies.sourcing
        self.choose_store = np.array([c == "bopis" for c in ONLINE_CHANNELS])
        self.whole_order_first = np.array([rule == "single_node_first" for _ in ONLINE_CHANNELS])
        self.held_back = np.zeros((n, len(ONLINE_CHANNELS)), np.int64)
        for c, name in enumerate(ONLINE_CHANNELS):
            if name != "bopis":
                self.held_back[:, c] = w.protection
        self._due: set[str] = set()
        self.phase_seconds: dict[str, float] = {}
        self.online_lines = 0
        self.unit_cost = w.skus.unit_cost
        self.unit_margin = w.skus.price - w.skus.unit_cost
        self.wall_seconds = 0.0

    # ------------------------------------------------------------------------------------ SimPy
    def execute(self) -> Simulation:
        start = time.perf_counter()
        env = self.env
        for promo in self.scenario.demand.promotions:
            env.process(self._window(promo, self.calendar.promotions))
        for shock in self.scenario.demand.shocks:
            env.process(self._window(shock, self.calendar.shocks))
            env.process(self._window(shock, self.calendar.announced, notice=shock.warning_days))
        for cls, (_, policy) in self.policies.items():
            env.process(self._review_epochs(cls, policy))
        env.process(self._days())
        self.blocks = Blocks(self.threads)
        try:
            env.run(until=self.horizon)
        finally:
            self.blocks.close()
            self.blocks = Blocks(1)
        self._settle(self.orders.count)
        self.check_conservation()
        self.wall_seconds = time.perf_counter() - start
        return self

    def _at(self, t: float):
        return self.env.timeout(max(0.0, t - self.env.now))

    def _window(self, event, active: list, notice: int = 0):
        if event.start_day >= self.horizon:  # a shortened run never reaches it
            return
        yield self._at(max(event.start_day - notice, 0) + CALENDAR)
        active.append(event)
        yield self._at(min(event.end_day, self.horizon) + CALENDAR)
        active.remove(event)

    def _review_epochs(self, cls: str, policy):
        day = policy.review_offset_days % policy.review_period_days
        while day < self.horizon:
            yield self._at(day + REVIEW)
            self._due.add(cls)
            day += policy.review_period_days

    def _days(self):
        timed = self._timed
        for day in range(self.horizon):
            yield self._at(day + RELEASE)
            self.pick_rate[:, day] = self.world.capacity * self.calendar.node_capacity_factor()
            timed("backorders", self._release_backorders, day)
            yield self._at(day + DEMAND)
            batch = timed("walk_in_and_order_draws", self._serve_walk_in, day, lambda day=day: self._draw_orders(day))
            timed("online_sourcing_and_picking", self._serve_online, day, batch)
            yield self._at(day + TRANSFER)
            timed("transfers", self._transfer, day)
            yield self._at(day + REPLENISH)
            timed("replenishment", self._replenish, day)
            yield self._at(day + CLOSE)
            timed("close_day", self._close_day, day)
            self.placed_through.append(self.orders.count)
            if day >= self.settle_days:
                timed("settle_orders", self._settle, self.placed_through[day - self.settle_days])

    def _timed(self, phase: str, step, *args):
        """Run one step of the day, adding its wall time to ``phase_seconds`` (where a run's time goes)."""
        start = time.perf_counter()
        result = step(*args)
        self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + time.perf_counter() - start
        return result

    def _settle(self, through: int) -> None:
        """Orders with ids below ``through`` can no longer change: add them to the KPI sums."""
        n = through - self.orders.base
        if n > 0:
            base = self.orders.base
            self.order_stats.add(self.orders.pop_front(n), base)

    def _arrive(self, when: float, rows, skus, qty):
        yield self._at(when)
        kernels.receive(self.on_hand, self.pipeline, self.today_in, rows, skus, qty)

    # ------------------------------------------------------------------------------------ demand
    def _serve_walk_in(self, day: int, while_serving=None):
        """Walk-in customers buy from store shelves (on the thread pool); ``while_serving()`` runs on
        this thread meanwhile (it must not touch stock) and its result is returned. The stores then
        take one thread fewer, leaving a core to this one."""
        parts = self.blocks.threads - 1 if while_serving is not None else None
        wait = self.walk_in.serve(self.calendar, day, self, self.blocks, parts) if self.world.store_rows.size else None
        result = while_serving() if while_serving is not None else None
        if wait is not None:
            totals = wait()
            if day >= self.warmup:
                self.ledger.walk_in(totals)
        return result

    def _draw_orders(self, day: int):
        """Today's online orders and their record-check draws (drawn every day: streams stay aligned)."""
        if self.order_generator is None:
            return None
        batch = self.order_generator.draw(self.calendar, day, self.streams["online_orders"], self.streams["transit"])
        return batch, self.streams["records"].random(batch.line_qty.size)

    def _serve_online(self, day: int, drawn=None) -> None:
        """Source today's online orders (``drawn`` by :meth:`_draw_orders`, drawn here if not given)."""
        drawn = self._draw_orders(day) if drawn is None else drawn
        if drawn is None:
            return
        w = self.world
        batch, fail_u = drawn
        self.online_lines += batch.line_qty.size
        if batch.size == 0:
            return
        line_node, filled, failed = kernels.source_orders(
            self.on_hand, batch.zone, batch.channel, batch.line_start, batch.line_sku, batch.line_qty, w.cand_node,
            self.whole_order_first, self.choose_store, self.held_back, w.inaccuracy, fail_u, self._picking_quota(day),
            self.today_demand, self.today_out, self.today_sold)

        short = batch.line_qty - filled
        line_channel = batch.channel[batch.line_order]
        line_waits = w.channel_backorders[line_channel] & (short > 0)
        line_lost = ~w.channel_backorders[line_channel] & (short > 0)
        n = batch.size

        def per_order(values):
            return np.bincount(batch.line_order, weights=values, minlength=n).astype(np.int64)

        nan = np.full(n, np.nan)
        ids = self.orders.append(
            created_hour=batch.hour, zone=batch.zone, channel=batch.channel, node=line_node[batch.line_start[:-1]],
            lines=np.bincount(batch.line_order, minlength=n), units=per_order(batch.line_qty),
            lines_first=per_order(short == 0), units_first=per_order(filled), open_lines=per_order(line_waits),
            lost_lines=per_order(line_lost), lost_units=per_order(np.where(line_lost, short, 0)),
            record_failures=per_order(failed), shipments=np.zeros(n, np.int64), fulfilment_cost=np.zeros(n),
            ready_hour=nan, dispatch_hour=nan, delivered_hour=nan, transit=batch.transit, transit_local=batch.transit_local)
        if line_waits.any():
            self.backorders.append(order=ids[batch.line_order[line_waits]], node=line_node[line_waits],
                                   sku=batch.line_sku[line_waits], remaining=short[line_waits],
                                   day=np.full(int(line_waits.sum()), day))
            np.add.at(self.backordered, (line_node[line_waits], batch.line_sku[line_waits]), short[line_waits])
        if line_lost.any() and day >= self.warmup:
            self.ledger.online_lost(line_node[line_lost], line_channel[line_lost],
                                    short[line_lost] * self.unit_margin[batch.line_sku[line_lost]])
        self._ship(ids[batch.line_order], line_node, filled > 0, batch.hour[batch.line_order])

    def _picking_quota(self, day: int) -> np.ndarray:
        """Orders each node can still pick today per channel: its pickers' free hours before closing x
        their rate, less the part of a local node's day kept for instant and BOPIS orders."""
        w = self.world
        start = 24.0 * day + w.open_hour
        free_from = np.maximum(self.busy_until, start[:, None])
        picker = np.arange(self.busy_until.shape[1])[None, :] < w.pickers[:, None]
        hours = np.where(picker, np.clip(24.0 * day + w.close_hour[:, None] - free_from, 0.0, None), 0.0).sum(axis=1)
        orders = np.floor(hours * self.pick_rate[:, day] / w.pickers)
        # Home deliveries may take only their share of a forward warehouse's or store's day.
        quota = np.repeat(orders[:, None], len(ONLINE_CHANNELS), axis=1)
        used = orders * (1.0 - self.scenario.policies.parcel_capacity_share)
        local = w.node_type != CENTRAL_CODE
        quota[local, HOME_DELIVERY] -= np.ceil(used[local])
        # BOPIS customers choose any store that is open today, however busy.
        quota[:, BOPIS] = np.where(self.pick_rate[:, day] > 0, NO_QUOTA, 0)
        return quota.astype(np.int64)

    def _ship(self, line_order_id, line_node, shipped, line_ready) -> None:
        """Each (order, node) with shipped lines is one shipment: it queues for picking at the node
        (FIFO, by ready hour), leaves at the next carrier cut-off (parcels) and is delivered after
        the order's transit time (central or local by the shipping node)."""
        if not shipped.any():
            return
        w, book = self.world, self.orders
        key = book.rows(line_order_id[shipped]) * w.n_nodes + line_node[shipped]
        key, first = np.unique(key, return_index=True)  # order ids grow with arrival time
        orders, nodes = key // w.n_nodes, key % w.n_nodes  # orders: rows of the book
        ready = line_ready[shipped][first]
        work = np.ones(orders.size)
        exponential = w.pick_exponential[nodes]
        if exponential.any():
            work[exponential] = self.streams["picking"].exponential(size=int(exponential.sum()))
        picked = kernels.pick_orders(ready, nodes, self.busy_until, w.pickers, self.pick_rate, w.open_hour,
                                     w.close_hour, work)
        parcel = book["channel"][orders] == HOME_DELIVERY
        dispatched = picked.copy()
        dispatched[parcel] = next_cutoff(picked[parcel], w.cutoffs[nodes[parcel]])
        central = w.node_type[nodes] == CENTRAL_CODE
        delivered = dispatched + np.where(central, book["transit"][orders], book["transit_local"][orders])
        kernels.book_shipments(orders, nodes, picked, dispatched, delivered, w.ship_cost, book["ready_hour"],
                               book["dispatch_hour"], book["delivered_hour"], book["shipments"], book["fulfilment_cost"])
        if self.shipments is not None:
            self.shipments.append(order=orders + book.base, node=nodes, channel=book["channel"][orders],
                                  zone=book["zone"][orders])

    def _release_backorders(self, day: int) -> None:
        queue = self.backorders
        if queue.size == 0:
            return
        max_wait = self.world.channel_max_wait
        order, node, sku, remaining = queue["order"], queue["node"], queue["sku"], queue["remaining"]
        row = self.orders.rows(order)
        channel = self.orders["channel"][row]
        expired = day - queue["day"] > max_wait[channel]
        if expired.any():
            np.add.at(self.backordered, (node[expired], sku[expired]), -remaining[expired])
            np.add.at(self.orders["lost_units"], row[expired], remaining[expired])
            np.add.at(self.orders["lost_lines"], row[expired], 1)
            np.add.at(self.orders["open_lines"], row[expired], -1)
            if day >= self.warmup:
                self.ledger.online_lost(node[expired], channel[expired], remaining[expired] * self.unit_margin[sku[expired]])
            remaining[expired] = 0
        can_pick = self.pick_rate[node, day] > 0  # a closed node releases nothing today
        filled = kernels.allocate_lines(self.on_hand, node, sku, np.where(can_pick, remaining, 0), self.held_back[node, channel])
        if filled.any():
            np.add.at(self.today_out, (node, sku), filled)
            np.add.at(self.today_sold, (node, sku), filled)
            np.add.at(self.backordered, (node, sku), -filled)
            remaining -= filled
            done_now = (filled > 0) & (remaining == 0)
            np.add.at(self.orders["open_lines"], row[done_now], -1)
            self._ship(order, node, filled > 0, np.full(order.size, 24.0 * day))
        queue.keep(remaining > 0)

    # ------------------------------------------------------------------------------------ transfers
    def inventory_position(self, rows: np.ndarray | None = None) -> np.ndarray:
        """On hand + in transit + owed by the source - backordered to customers - owed to child nodes
        (a source's unshipped commitments count against it, as in echelon/Clark-Scarf accounting), less
        perishable units that spoil tonight (they can serve no future demand). For ``rows`` (default all)."""
        w = self.world
        rows = np.arange(w.n_nodes) if rows is None else rows
        position = np.empty((rows.size, self.on_hand.shape[1]), np.int64)
        self.blocks.map(lambda block: kernels.position_rows(
            rows[block], self.on_hand, self.pipeline, self.owed, self.backordered, position[block]), rows.size,
            position.size)
        for i in np.flatnonzero(np.isin(rows, w.source)):
            position[i] -= self.owed[w.source == rows[i]].sum(axis=0)
        if self.perishable.size:
            position[:, self.perishable] -= self.expiring_tonight(rows)
        return position

    def expiring_tonight(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Units of each perishable SKU that will spoil at tonight's close unless sold before it (the
        oldest cohort, less today's outflow, which is taken oldest first)."""
        p = self.perishable
        r = (np.arange(self.world.n_nodes) if rows is None else rows)[:, None]
        oldest = self.cohorts[r, np.arange(p.size)[None, :], self.shelf_life[None, :] - 1]
        oldest = oldest + np.where(self.shelf_life == 1, self.today_in[r, p[None, :]], 0)
        return np.maximum(oldest - self.today_out[r, p[None, :]], 0)

    def transfer_moves(self, day: int) -> tuple[np.ndarray, ...]:
        """Today's transfers (from row, to row, SKU, units): rebalancing and emergency moves."""
        moves = [rebalance_moves(self, day), emergency_moves(self)]
        return tuple(np.concatenate(parts) for parts in zip(*moves, strict=True))

    def _transfer(self, day: int) -> None:
        frm, to, sku, qty = self.transfer_moves(day)
        if qty.size == 0:
            return
        np.subtract.at(self.on_hand, (frm, sku), qty)
        np.add.at(self.today_out, (frm, sku), qty)
        np.add.at(self.pipeline, (to, sku), qty)
        rule = self.scenario.policies.transfers
        self.env.process(self._arrive(day + rule.lead_time_days + RECEIVE, to, sku, qty))
        if day >= self.warmup:
            self.ledger.transferred(self.world.node_type[to], qty, rule.cost_per_unit)

    # ------------------------------------------------------------------------------------ replenishment
    def _replenish(self, day: int) -> None:
        w = self.world
        # Drawn every day, shipments or not, so lead times line up across policies (common random numbers).
        lead = w.sample_lead_days(self.streams["lead_time"])
        stretch = self.calendar.node_lead_time_factor()
        stretch = np.maximum(stretch, np.where(w.source >= 0, stretch[np.maximum(w.source, 0)], 1.0))
        lead = np.where(stretch > 1, lead_days(np.ceil(lead * stretch)), lead)
        due, extra = preposition(self)
        for cls in self._due:
            due[self.policies[cls][0]] = True
        self._due.clear()
        owing = self.owed.any(axis=1)
        for depth in range(int(w.depth.max()), 0, -1):
            rows = np.flatnonzero((due | owing) & (w.depth == depth))
            if rows.size:
                self._order_and_ship(day, rows, due[rows], lead, extra)

    def _order_and_ship(self, day: int, rows: np.ndarray, ordering: np.ndarray, lead: np.ndarray,
                        extra: np.ndarray | None) -> None:
        """Rows with ``ordering`` set order by their policy; every row's source then ships what it can
        of what it owes the row plus today's order."""
        w = self.world
        position = self.inventory_position(rows)
        if extra is not None:
            position -= extra[rows]
        codes = np.unique(w.node_type[rows[ordering]])
        if ordering.all() and codes.size == 1:  # the usual case: no copies of [rows, SKUs] arrays
            wanted = self.policies[NODE_TYPES[codes[0]]][1].order_quantities(self.class_row[rows], position)
        else:
            wanted = np.zeros_like(position)
            for code in codes:
                members = ordering & (w.node_type[rows] == code)
                policy = self.policies[NODE_TYPES[code]][1]
                wanted[members] = policy.order_quantities(self.class_row[rows[members]], position[members])
        proportional = self.scenario.replenishment.rationing != "priority"
        sources = w.source[rows]
        for parent in np.unique(sources):
            kids = np.flatnonzero(sources == parent)
            mine = wanted if kids.size == rows.size else wanted[kids]
            rank = np.argsort(w.priority[rows[kids]], kind="stable")
            parts = self.blocks.map(lambda block, kids=kids, mine=mine, rank=rank, parent=parent: kernels.fill_requests(
                rows[kids], mine, parent, self.on_hand, self.owed, self.pipeline, self.supplied, self.today_out,
                self.today_demand, rank, proportional, block.start, block.stop), w.skus.size, mine.size)
            r, k, units = (np.concatenate([part[j] for part in parts]) for j in range(3))
            per_row = np.sum([part[3] for part in parts], axis=0)
            if day >= self.warmup:
                self.ledger.shipped(w.node_type[rows[kids]], per_row * w.lane_cost[rows[kids]])
            row_lead = lead[rows[kids]][r]
            for days in np.unique(row_lead):
                mine = row_lead == days
                self.env.process(self._arrive(day + int(days) + RECEIVE, rows[kids][r[mine]], k[mine], units[mine]))

    # ------------------------------------------------------------------------------------ close
    def _close_day(self, day: int) -> None:
        if self.perishable.size:
            p = self.perishable
            spoiled = kernels.age_stock(self.cohorts, self.shelf_life, self.today_in[:, p], self.today_out[:, p])
            self.on_hand[:, p] -= spoiled
            self.spoiled[:, p] += spoiled
            if day >= self.warmup:
                self.ledger.spoiled(self.world.node_type, spoiled @ self.unit_cost[p])
        for (rows, policy) in self.policies.values():
            if policy.learns:
                policy.observe(self.today_demand[rows])
        self.today_demand[:] = 0
        per_node = np.zeros((self.world.n_nodes, len(kernels.CLOSE_COLUMNS)))
        self.blocks.map(lambda block: kernels.close_day(
            np.arange(block.start, block.stop), self.on_hand, self.pipeline, self.backordered, self.stocked, self.today_in, self.today_out,
            self.today_sold, self.spoiled, self.unit_cost, self.received, self.outflow, self.sold, per_node),
            self.world.n_nodes, self.on_hand.size)
        self.ledger.close_day(day, dict(zip(kernels.CLOSE_COLUMNS, per_node.T, strict=True)), self)

    # ------------------------------------------------------------------------------------ checks
    def check_conservation(self) -> None:
        problems = []
        if (self.on_hand < 0).any():
            problems.append(f"negative on hand at {int((self.on_hand < 0).sum())} node-SKUs")
        node_gap = self.initial + self.received - self.outflow - self.spoiled - self.on_hand
        if node_gap.any():
            n, k = np.argwhere(node_gap)[0]
            problems.append(f"node {self.world.node_ids[n]} SKU {k}: initial + received - out - spoiled - on hand = {node_gap[n, k]}")
        total_in = self.initial.sum() + self.supplied.sum()
        sold_to_customers = self.sold.sum()
        total_out = sold_to_customers + self.spoiled.sum() + self.on_hand.sum() + self.pipeline.sum()
        if total_in != total_out:
            problems.append(f"network: initial + supplied = {total_in} but sold + spoiled + on hand + in transit = {total_out}")
        if (self.backordered < 0).any() or self.backordered.sum() != self.backorders["remaining"].sum():
            problems.append("backordered units do not match the open backorder lines")
        if problems:
            raise ConservationError("unit conservation failed: " + "; ".join(problems))
