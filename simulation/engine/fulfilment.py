"""Online fulfilment: the order book, open backorder lines and the pickers, and the day's steps that use
them: releasing backorders, sourcing today's orders, and picking, dispatching and delivering shipments.

:class:`Fulfilment` owns the order side of a run; stock is the :class:`~.state.InventoryState` passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from simulation import kernels
from simulation.engine.orders import RETURN_DRAWS, BackorderQueue, OrderBook, Table
from simulation.scenario import CENTRAL_CODE, ONLINE_CHANNELS
from simulation.scenario.policies import Policies
from simulation.world.promises import order_promise_hours

if TYPE_CHECKING:
    from simulation.engine.demand import DrawnOrders

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


class Fulfilment:
    """The order book, backorder lines, pickers' queues and each channel's sourcing rule for one run.
    ``lost(day, rows, channels, margin)`` is told of every online unit lost; ``returns`` (a
    :class:`~.returns.ReverseFlow`, None: no returns) of every line shipped."""

    def __init__(self, world, policies: Policies, horizon: int, lost: Callable[..., None], record_shipments: bool = False,
                 returns=None):
        w = self.world = world
        self.lost = lost
        self.returns = returns
        self.parcel_capacity_share = policies.parcel_capacity_share
        self.due_first = policies.picking == "due_first"
        self.orders = OrderBook()
        self.backorders = BackorderQueue()
        self.online_lines = 0
        # Every (order, node) shipment, for audits and small runs; off by default (memory).
        self.shipments = Table({"order": np.int64, "node": np.int64, "channel": np.int64, "zone": np.int64}) \
            if record_shipments else None
        # Picking: capacity per node per day (shocks scale it), each picker's busy-until hour.
        self.pick_rate = np.repeat(w.capacity[:, None], horizon + PICKING_DAYS_PAST_HORIZON, axis=1)
        self.busy_until = np.zeros((w.n_nodes, int(w.pickers.max())))
        # Sourcing rules per online channel, and units per SKU each node keeps back from each channel.
        self.choose_store = np.array([c == "bopis" for c in ONLINE_CHANNELS])
        self.whole_order_first = np.array([policies.sourcing == "single_node_first" for _ in ONLINE_CHANNELS])
        self.held_back = np.zeros((w.n_nodes, len(ONLINE_CHANNELS)), np.int64)
        for c, name in enumerate(ONLINE_CHANNELS):
            if name != "bopis":
                self.held_back[:, c] = w.protection
        self.unit_margin = w.skus.price - w.skus.unit_cost
        # Units per (row, SKU) online orders may not take today: kept for the nodes a row supplies
        # (engine/allocation.py, set each morning; None: nothing kept).
        self.reserved: np.ndarray | None = None

    def open_day(self, day: int, capacity_factor: np.ndarray) -> None:
        """Today's picking capacity per node (a shock may close or slow a node)."""
        self.pick_rate[:, day] = self.world.capacity * capacity_factor

    # ------------------------------------------------------------------------------------ backorders
    def release_backorders(self, day: int, state) -> None:
        """Cancel lines older than their channel's ``max_wait_days``; fill the rest oldest first from on
        hand and queue them for picking (writes on_hand, today_out, today_sold, backordered)."""
        queue = self.backorders
        if queue.size == 0:
            return
        order, node, sku, remaining = queue["order"], queue["node"], queue["sku"], queue["remaining"]
        row = self.orders.rows(order)
        channel = self.orders["channel"][row]
        expired = day - queue["day"] > self.world.channel_max_wait[channel]
        if expired.any():
            np.add.at(state.backordered, (node[expired], sku[expired]), -remaining[expired])
            np.add.at(self.orders["lost_units"], row[expired], remaining[expired])
            np.add.at(self.orders["lost_lines"], row[expired], 1)
            np.add.at(self.orders["open_lines"], row[expired], -1)
            self.lost(day, node[expired], channel[expired], remaining[expired] * self.unit_margin[sku[expired]])
            remaining[expired] = 0
        can_pick = self.pick_rate[node, day] > 0  # a closed node releases nothing today
        held = self.held_back[node, channel] + (self.reserved[node, sku] if self.reserved is not None else 0)
        filled = kernels.allocate_lines(on_hand=state.on_hand, line_node=node, line_sku=sku, line_qty=np.where(can_pick, remaining, 0),
                                        line_held=held)
        if filled.any():
            np.add.at(state.today_out, (node, sku), filled)
            np.add.at(state.today_sold, (node, sku), filled)
            np.add.at(state.backordered, (node, sku), -filled)
            remaining -= filled
            done_now = (filled > 0) & (remaining == 0)
            np.add.at(self.orders["open_lines"], row[done_now], -1)
            draws = np.column_stack([queue[c] for c in RETURN_DRAWS]) if self.returns is not None else None
            self._ship(day, order, node, filled > 0, np.full(order.size, 24.0 * day), queue["work"], sku, filled, draws)
        queue.keep(remaining > 0)

    # ------------------------------------------------------------------------------------ today's orders
    def serve(self, day: int, drawn: DrawnOrders, state, view: kernels.PlatformView, syncs: kernels.Syncs | None) -> None:
        """Source today's orders with their lines' draws as the platform sees stock (``view`` and ``syncs``, see
        :func:`~simulation.kernels.records.unseen_units`): eligible nodes best first within
        today's picking quota; unfilled lines wait at their node or are lost per channel (writes on_hand, today_demand,
        today_out, today_sold, backordered)."""
        w = self.world
        batch = drawn.batch
        self.online_lines += batch.line_qty.size
        if batch.size == 0:
            return
        orders = batch.lines()
        sourced = kernels.source_orders(stock=state.arrays, orders=orders, cand_node=w.cand_node,
                                        whole_order_first=self.whole_order_first, choose_store=self.choose_store,
                                        held_back=self.held_back, reserved=self.reserved, inaccuracy=w.inaccuracy, fail_u=drawn.fail_u,
                                        quota=self._picking_quota(day), sync_u=drawn.sync_u, view=view,
                                        syncs=syncs)
        line_node, filled, failed = sourced.node, sourced.filled, sourced.failed

        short = batch.line_qty - filled
        line_channel = batch.channel[batch.line_order]
        line_waits = w.channel_backorders[line_channel] & (short > 0)
        line_lost = ~w.channel_backorders[line_channel] & (short > 0)
        n = batch.size

        def per_order(values):
            return np.bincount(batch.line_order, weights=values, minlength=n).astype(np.int64)

        nan = np.full(n, np.nan)
        ids = self.orders.append(
            created_hour=batch.hour, zone=batch.zone, channel=batch.channel, node=line_node[orders.line_start[:-1]],
            lines=np.bincount(batch.line_order, minlength=n), units=per_order(batch.line_qty),
            lines_first=per_order(short == 0), units_first=per_order(filled), open_lines=per_order(line_waits),
            lost_lines=per_order(line_lost), lost_units=per_order(np.where(line_lost, short, 0)),
            record_failures=per_order(failed), shipments=np.zeros(n, np.int64), fulfilment_cost=np.zeros(n),
            last_mile_cost=np.zeros(n),
            ready_hour=nan, dispatch_hour=nan, delivered_hour=nan, transit=batch.transit, transit_local=batch.transit_local)
        if line_waits.any():
            self.backorders.append(order=ids[batch.line_order[line_waits]], node=line_node[line_waits],
                                   sku=batch.line_sku[line_waits], remaining=short[line_waits],
                                   day=np.full(int(line_waits.sum()), day), work=drawn.work[line_waits],
                                   **{c: drawn.returns[line_waits, i] if drawn.returns.shape[1] else np.zeros(int(line_waits.sum()))
                                      for i, c in enumerate(RETURN_DRAWS)})
            np.add.at(state.backordered, (line_node[line_waits], batch.line_sku[line_waits]), short[line_waits])
        if line_lost.any():
            self.lost(day, line_node[line_lost], line_channel[line_lost],
                      short[line_lost] * self.unit_margin[batch.line_sku[line_lost]])
            if state.today_turned_away is not None:
                at = line_lost & (line_node >= 0)
                np.add.at(state.today_turned_away, (line_node[at], batch.line_sku[at]), short[at])
        self._ship(day, ids[batch.line_order], line_node, filled > 0, batch.hour[batch.line_order], drawn.work, batch.line_sku, filled,
                   drawn.returns)

    def _pick_due_first(self, orders, nodes, ready, work) -> np.ndarray:
        """Picked hours of shipments when each node picks the order due soonest first (its promise: the
        order's due hour as the KPIs count it), ties in arrival order. The sequence covers the shipments
        released together (a day's orders, or the day's backorder fills); what an earlier release already
        scheduled keeps its pickers' time."""
        w, book = self.world, self.orders
        created = book["created_hour"][orders]
        due = created + order_promise_hours(w, book["zone"][orders], book["channel"][orders], nodes, created)
        by_ready = np.argsort(ready, kind="stable")
        picked = np.empty(ready.size)
        job_node = nodes[by_ready]
        picked[by_ready] = kernels.pick_orders_due_first(ready_hour=ready[by_ready], job_node=job_node,
                                                         busy_until=self.busy_until, pickers=w.pickers, rate=self.pick_rate,
                                                         open_hour=w.open_hour, close_hour=w.close_hour, work=work[by_ready],
                                                         due_hour=due[by_ready], by_node=np.argsort(job_node, kind="stable"))
        return picked

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
        used = orders * (1.0 - self.parcel_capacity_share)
        local = w.node_type != CENTRAL_CODE
        quota[local, HOME_DELIVERY] -= np.ceil(used[local])
        # BOPIS customers choose any store that is open today, however busy.
        quota[:, BOPIS] = np.where(self.pick_rate[:, day] > 0, NO_QUOTA, 0)
        return quota.astype(np.int64)

    def _ship(self, day, line_order_id, line_node, shipped, line_ready, line_work, line_sku, line_units, return_draws) -> None:
        """Each (order, node) with shipped lines is one shipment: it queues for picking at the node
        (FIFO, by ready hour), leaves at the next carrier cut-off (parcels) and is delivered after
        the order's transit time (central or local by the shipping node). At a node with exponential
        picking a shipment's work is that of its first line, drawn when the order arrived, so the same
        shipment takes the same time under every policy (common random numbers). Each shipped line's customer
        may then return units (:meth:`~.returns.ReverseFlow.delivered`)."""
        if not shipped.any():
            return
        w, book = self.world, self.orders
        key = book.rows(line_order_id[shipped]) * w.n_nodes + line_node[shipped]
        key, first, line_shipment = np.unique(key, return_index=True, return_inverse=True)  # order ids grow with arrival time
        orders, nodes = key // w.n_nodes, key % w.n_nodes  # orders: rows of the book
        ready = line_ready[shipped][first]
        work = np.where(w.pick_exponential[nodes], line_work[shipped][first], 1.0)
        if self.due_first:
            picked = self._pick_due_first(orders, nodes, ready, work)
        else:
            picked = kernels.pick_orders(ready_hour=ready, job_node=nodes, busy_until=self.busy_until, pickers=w.pickers,
                                         rate=self.pick_rate, open_hour=w.open_hour, close_hour=w.close_hour, work=work)
        parcel = book["channel"][orders] == HOME_DELIVERY
        dispatched = picked.copy()
        dispatched[parcel] = next_cutoff(picked[parcel], w.cutoffs[nodes[parcel]])
        central = w.node_type[nodes] == CENTRAL_CODE
        delivered = dispatched + np.where(central, book["transit"][orders], book["transit_local"][orders])
        last_mile = w.last_mile[nodes, book["zone"][orders], book["channel"][orders]]
        kernels.book_shipments(rows=orders, nodes=nodes, picked=picked, dispatched=dispatched, delivered=delivered,
                               ship_cost=w.ship_cost, last_mile=last_mile, ready_hour=book["ready_hour"],
                               dispatch_hour=book["dispatch_hour"], delivered_hour=book["delivered_hour"], shipments=book["shipments"],
                               fulfilment_cost=book["fulfilment_cost"], last_mile_cost=book["last_mile_cost"])
        if self.returns is not None:
            line_rows = orders[line_shipment]
            self.returns.delivered(day, book["channel"][line_rows], book["zone"][line_rows],
                                   line_sku[shipped], line_units[shipped], delivered[line_shipment], return_draws[shipped])
        if self.shipments is not None:
            self.shipments.append(order=orders + book.base, node=nodes, channel=book["channel"][orders],
                                  zone=book["zone"][orders])
