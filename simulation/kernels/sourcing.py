"""Online sourcing: each order line goes to the first eligible node with stock and picking quota; backorders fill oldest first."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulation.kernels.records import unsynced_units


class OrderLines(NamedTuple):
    """A day's online orders in arrival order, as the sourcing kernel reads them: order ``o`` has lines
    ``line_start[o]:line_start[o + 1]``."""

    zone: np.ndarray
    channel: np.ndarray     # index into ONLINE_CHANNELS
    hour: np.ndarray        # absolute hour of arrival
    line_start: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray


class Sourced(NamedTuple):
    """Per online order line: where it was sourced and what it got."""

    node: np.ndarray     # serving node row (-1: no candidate)
    filled: np.ndarray   # units taken from that node's shelf
    failed: np.ndarray   # the shelf had less than the platform promised, or its record was wrong: nothing shipped


@njit(cache=True)
def allocate_lines(on_hand, line_node, line_sku, line_qty, line_held):
    """Fill lines in the order given, each from its node's stock above ``line_held[j]`` units.

    Used for the backorder queue (oldest first). Returns units filled per line (maybe in part).
    """
    filled = np.zeros(line_qty.size, np.int64)
    for j in range(line_qty.size):
        node, sku = line_node[j], line_sku[j]
        take = min(line_qty[j], max(on_hand[node, sku] - line_held[j], 0))
        on_hand[node, sku] -= take
        filled[j] = take
    return filled


@njit(cache=True, inline="always")
def _kept(node, sku, held_back, reserved):
    """Units of ``sku`` at ``node`` online orders may not take: the channel's ``held_back`` per node, and what the
    node keeps for the nodes it supplies (``reserved``; None: nothing, and numba compiles the branch away)."""
    kept = held_back[node]
    if reserved is not None:
        kept += reserved[node, sku]
    return kept


@njit(cache=True, inline="always")
def _available(on_hand, node, sku, held_back, reserved):
    return max(on_hand[node, sku] - _kept(node, sku, held_back, reserved), 0)


@njit(cache=True, inline="always")
def _take(on_hand, node, sku, want, held_back, reserved, fail_u, inaccuracy, shown):
    """Pick what the platform promised at ``node`` (up to ``want`` of the ``shown`` units); the line fails
    outright (returns -1) when the shelf has fewer than that, or when the record showed units the shelf
    does not have (chance ``inaccuracy[node]``)."""
    if fail_u < inaccuracy[node]:
        return -1
    take = min(want, shown)
    if _available(on_hand, node, sku, held_back, reserved) < take:
        return -1
    on_hand[node, sku] -= take
    return take


@njit(cache=True, inline="always")
def _open_to(node, quota, used_by, o):
    """A node can take order o if it already ships part of it or has picking capacity left today
    for the order's channel (``quota`` is that channel's column)."""
    return used_by[node] == o or quota[node] > 0


@njit(cache=True)
def source_orders(stock, orders, cand_node, whole_order_first, choose_store, held_back, reserved, inaccuracy, fail_u, quota,
                  sync_u, view, syncs=None):
    """Choose the serving node of every online order line (``orders``: :class:`OrderLines`), in arrival order, and
    take the stock (``stock``: a :class:`~.stock.Stock`).

    ``cand_node[zone, channel, :]`` lists eligible nodes best first (-1 padded). ``held_back[node, channel]`` units
    per SKU are not offered to that channel (store protection), nor ``reserved[node, sku]`` to any (what a node
    keeps for the nodes it supplies, ``policies.allocation``; None: nothing). ``quota[node, channel]`` is how many
    more orders of the channel the node can pick today; a node that starts shipping an order uses one of every
    channel's (updated in place). Per channel:

    - ``choose_store[channel]`` (BOPIS): the customer picks, among open stores (quota > 0), the first
      whose stock covers every line (else the one covering most lines, nearest on ties); all lines
      come from that store. With every store closed, nothing is filled (at the nearest store).
    - ``whole_order_first[channel]``: the first candidate with quota left that can fill the whole
      order ships it all; when none can, lines are sourced one by one as below.
    - otherwise each line goes to the first candidate with quota left and enough stock, else the first
      with enough stock, else the first with some (a partial line), else it stays unfilled at the
      first candidate.

    Stock is judged as the platform sees it at the order's hour (``view`` and ``syncs``, see ``unseen_units``;
    ``exact_view()`` and None: the shelf exactly; line ``j`` draws its unsynced walk-in sales at ``sync_u[j]``); a line whose node's shelf
    has less than the platform promised, or whose record is wrong (``fail_u[line] < inaccuracy[node]``),
    ships nothing and is flagged.
    Each line's units count in ``today_demand`` and the units taken in ``today_out`` and ``today_sold``
    of its node.
    Returns :class:`Sourced` per line.
    """
    on_hand, today_demand, today_out, today_sold = stock.on_hand, stock.today_demand, stock.today_out, stock.today_sold
    order_zone, order_channel, order_hour = orders.zone, orders.channel, orders.hour
    line_start, line_sku, line_qty = orders.line_start, orders.line_sku, orders.line_qty
    n_lines = line_qty.size
    node_out = np.full(n_lines, -1, np.int64)
    filled = np.zeros(n_lines, np.int64)
    failed = np.zeros(n_lines, np.bool_)
    used_by = np.full(on_hand.shape[0], -1, np.int64)
    need = np.zeros(n_lines, np.int64)
    lagged, gap = view.lagged, view.gap
    records = gap.shape[0] > 0

    # Inner functions, which numba inlines: they read the arrays above without their being passed again (a tuple
    # of arrays handed to a helper costs each array's reference count at every call: 2-4x slower here).
    def shown(node, sku, held, hour, u):
        """Units the online platform offers at ``node``: its stock as the platform sees it (``unseen_units``) less
        what is kept back."""
        units = on_hand[node, sku] - _kept(node, sku, held, reserved)
        if lagged[node]:
            units += (gap[node, sku] if records else 0) + unsynced_units(syncs, node, sku, hour, u)
        return max(units, 0)

    def best_with(cands, sku, want, held, room, o, hour, u):
        """The node a line goes to: the first candidate with quota left and ``want`` units shown, else the first
        with ``want`` units, else the first with some (a partial line), else the first candidate (-1: none). One
        pass: each candidate's stock is judged once."""
        enough = some = -1
        for m in range(cands.size):
            node = cands[m]
            if node < 0:
                break
            units = shown(node, sku, held, hour, u)
            if units >= want:
                if _open_to(node, room, used_by, o):
                    return node
                if enough < 0:
                    enough = node
            elif units >= 1 and some < 0:
                some = node
        if enough >= 0:
            return enough
        if some >= 0:
            return some
        return cands[0]

    for o in range(order_zone.size):
        z, c = order_zone[o], order_channel[o]
        cands = cand_node[z, c]
        held = held_back[:, c]
        room = quota[:, c]
        first, last = line_start[o], line_start[o + 1]
        hour = order_hour[o]
        chosen = -1
        if choose_store[c] or whole_order_first[c]:
            for j in range(first, last):  # a SKU may appear on several lines: each line needs its SKU's total
                need[j] = 0
                for i in range(first, last):
                    if line_sku[i] == line_sku[j]:
                        need[j] += line_qty[i]
            best_count = -1
            for m in range(cands.size):
                node = cands[m]
                if node < 0:
                    break
                if (whole_order_first[c] and not _open_to(node, room, used_by, o)) or (choose_store[c] and room[node] <= 0):
                    continue
                count = 0
                for j in range(first, last):
                    if shown(node, line_sku[j], held, hour, sync_u[j]) >= need[j]:
                        count += 1
                if count == last - first:
                    chosen = node
                    break
                if choose_store[c] and count > best_count:
                    chosen, best_count = node, count
            if choose_store[c] and chosen < 0:  # every store closed: the lines wait (or are lost) at the nearest
                for j in range(first, last):
                    node_out[j] = cands[0]
                    today_demand[cands[0], line_sku[j]] += line_qty[j]
                continue
        for j in range(first, last):
            sku, want, u = line_sku[j], line_qty[j], sync_u[j]
            node = chosen if chosen >= 0 else best_with(cands, sku, want, held, room, o, hour, u)
            node_out[j] = node
            if node < 0:
                continue
            today_demand[node, sku] += want
            got = _take(on_hand, node, sku, want, held, reserved, fail_u[j], inaccuracy, shown(node, sku, held, hour, u))
            if got < 0:
                failed[j] = True
            else:
                filled[j] = got
                today_out[node, sku] += got
                today_sold[node, sku] += got
                if got > 0 and used_by[node] != o:
                    used_by[node] = o
                    for channel in range(quota.shape[1]):  # a loop: a slice assignment compiles numba's shape-error
                        quota[node, channel] -= 1          # message (2 s of a first run's compiling)
    return Sourced(node_out, filled, failed)
