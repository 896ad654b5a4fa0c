"""Numba kernels: the per-SKU and per-order arithmetic of the engine.

Every kernel takes arrays and scalars only (no SimPy, pandas or Python objects), is compiled once and
cached on disk (``cache=True``), and has a plain NumPy/Python reference in ``tests/test_kernels.py``.
Kernels that update stock say so: they write into the ``on_hand`` (or ``cohorts``) array passed in
and return what they did, so the caller owns all state.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# ----------------------------------------------------------------------------------------- selling


INVERSION_MAX_MEAN = 30.0  # larger means draw a gamma-Poisson mixture (inversion would take ~mean steps)


@njit(cache=True, nogil=True)
def negative_binomial_draw(rng, mean, alpha):
    """One count with mean ``mean`` and variance ``mean + alpha * mean^2`` (alpha = 0: Poisson).

    Means up to ``INVERSION_MAX_MEAN`` invert the cdf with one uniform, walking up from P[0] =
    (1 + alpha mean)^(-1/alpha) (or e^-mean) by P[k+1] = P[k] (1/alpha + k) / (k + 1) * alpha mean /
    (1 + alpha mean) (or mean / (k + 1)): one uniform per draw, whatever the mean, which keeps streams
    aligned across policies and costs a few ns for the slow SKUs that dominate a catalogue. Larger
    means draw a gamma then a Poisson variate.
    """
    if mean > INVERSION_MAX_MEAN:
        lam = rng.gamma(1.0 / alpha, alpha * mean) if alpha > 0.0 else mean
        return rng.poisson(lam)
    u = rng.random()
    if mean <= 0.0:
        return 0
    if alpha > 0.0:
        r = 1.0 / alpha
        q = alpha * mean / (1.0 + alpha * mean)
        p = math.exp(-r * math.log1p(alpha * mean))
    else:
        r, q = 0.0, 0.0
        p = math.exp(-mean)
    k = 0
    cdf = p
    while u > cdf and p > 0.0:
        p *= (r + k) / (k + 1) * q if alpha > 0.0 else mean / (k + 1)
        k += 1
        cdf += p
    return k


@njit(cache=True)
def negative_binomial_draws(rng, mean, alpha):
    """``negative_binomial_draw`` for every element (for tests and notebooks)."""
    out = np.empty(mean.size, np.int64)
    for j in range(mean.size):
        out[j] = negative_binomial_draw(rng, mean[j], alpha[j])
    return out


@njit(cache=True, nogil=True)
def walk_in_store(rng, mean, alpha, open_share, on_hand, today_demand, today_out, today_sold, margin):
    """Draw one store's walk-in demand per SKU and serve it from the shelf; unmet demand is lost.

    Demand is negative binomial with mean ``mean[k]`` and variance ``mean + alpha * mean^2``, drawn from
    ``rng`` (the store's own stream) by ``negative_binomial_draw``. A store open for a
    share ``open_share`` of the day serves only that share of its customers (rounded down per SKU).
    Takes the units sold from ``on_hand`` (the store's row) and adds demand and sales to its rows of
    ``today_demand``, ``today_out`` and ``today_sold``. Returns (units wanted, units sold, lines wanted, lines
    filled in full, margin lost). Releases the GIL: stores run on parallel threads.
    """
    units = units_sold = lines = lines_full = 0
    lost_margin = 0.0
    for k in range(mean.size):
        want = negative_binomial_draw(rng, mean[k], alpha[k])
        serve = want if open_share >= 1.0 else np.int64(np.floor(want * open_share))
        take = min(serve, on_hand[k])
        on_hand[k] -= take
        today_demand[k] += want
        today_out[k] += take
        today_sold[k] += take
        units += want
        units_sold += take
        if want > 0:
            lines += 1
            if take == want:
                lines_full += 1
            lost_margin += (want - take) * margin[k]
    return units, units_sold, lines, lines_full, lost_margin


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


# ----------------------------------------------------------------------------------------- sourcing


@njit(cache=True)
def _available(on_hand, node, sku, held_back):
    return max(on_hand[node, sku] - held_back[node], 0)


@njit(cache=True)
def _take(on_hand, node, sku, want, held_back, fail_u, inaccuracy):
    """Pick up to ``want`` units at ``node``; a line fails outright (returns -1) when the record
    showed units the shelf does not have (chance ``inaccuracy[node]``)."""
    if fail_u < inaccuracy[node]:
        return -1
    take = min(want, _available(on_hand, node, sku, held_back))
    on_hand[node, sku] -= take
    return take


@njit(cache=True)
def _open_to(node, quota, used_by, o):
    """A node can take order o if it already ships part of it or has picking capacity left today
    for the order's channel (``quota`` is that channel's column)."""
    return used_by[node] == o or quota[node] > 0


@njit(cache=True)
def _first_with(on_hand, cands, sku, need, held, quota, used_by, o, capped):
    for m in range(cands.size):
        node = cands[m]
        if node < 0:
            break
        if (not capped or _open_to(node, quota, used_by, o)) and _available(on_hand, node, sku, held) >= need:
            return node
    return -1


@njit(cache=True)
def source_orders(on_hand, order_zone, order_channel, line_start, line_sku, line_qty, cand_node,
                  whole_order_first, choose_store, held_back, inaccuracy, fail_u, quota, today_demand, today_out,
                  today_sold):
    """Choose the serving node of every online order line, in arrival order, and take the stock.

    ``cand_node[zone, channel, :]`` lists eligible nodes best first (-1 padded); order ``o`` has lines
    ``line_start[o]:line_start[o + 1]``. ``held_back[node, channel]`` units per SKU are not offered to
    that channel (store protection). ``quota[node, channel]`` is how many more orders of the channel
    the node can pick today; a node that starts shipping an order uses one of every channel's
    (updated in place). Per channel:

    - ``choose_store[channel]`` (BOPIS): the customer picks, among open stores (quota > 0), the first
      whose stock covers every line (else the one covering most lines, nearest on ties); all lines
      come from that store. With every store closed, nothing is filled (at the nearest store).
    - ``whole_order_first[channel]``: the first candidate with quota left that can fill the whole
      order ships it all; when none can, lines are sourced one by one as below.
    - otherwise each line goes to the first candidate with quota left and enough stock, else the first
      with enough stock, else the first with some (a partial line), else it stays unfilled at the
      first candidate.

    A line whose record is wrong (``fail_u[line] < inaccuracy[node]``) ships nothing and is flagged.
    Each line's units count in ``today_demand`` and the units taken in ``today_out`` and ``today_sold``
    of its node.
    Returns per line: serving node, units filled, record-failure flag.
    """
    n_lines = line_qty.size
    node_out = np.full(n_lines, -1, np.int64)
    filled = np.zeros(n_lines, np.int64)
    failed = np.zeros(n_lines, np.bool_)
    used_by = np.full(on_hand.shape[0], -1, np.int64)
    for o in range(order_zone.size):
        z, c = order_zone[o], order_channel[o]
        cands = cand_node[z, c]
        held = held_back[:, c]
        room = quota[:, c]
        first, last = line_start[o], line_start[o + 1]
        chosen = -1
        if choose_store[c] or whole_order_first[c]:
            best_count = -1
            for m in range(cands.size):
                node = cands[m]
                if node < 0:
                    break
                if (whole_order_first[c] and not _open_to(node, room, used_by, o)) or (choose_store[c] and room[node] <= 0):
                    continue
                count = 0
                for j in range(first, last):
                    need = 0  # a SKU may appear on several lines: compare its total
                    for i in range(first, last):
                        if line_sku[i] == line_sku[j]:
                            need += line_qty[i]
                    if _available(on_hand, node, line_sku[j], held) >= need:
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
            sku, want = line_sku[j], line_qty[j]
            node = chosen
            if node < 0:
                node = _first_with(on_hand, cands, sku, want, held, room, used_by, o, True)
            if node < 0:
                node = _first_with(on_hand, cands, sku, want, held, room, used_by, o, False)
            if node < 0:
                node = _first_with(on_hand, cands, sku, 1, held, room, used_by, o, False)
            if node < 0:
                node = cands[0]
            node_out[j] = node
            if node < 0:
                continue
            today_demand[node, sku] += want
            got = _take(on_hand, node, sku, want, held, fail_u[j], inaccuracy)
            if got < 0:
                failed[j] = True
            else:
                filled[j] = got
                today_out[node, sku] += got
                today_sold[node, sku] += got
                if got > 0 and used_by[node] != o:
                    used_by[node] = o
                    quota[node, :] -= 1
    return node_out, filled, failed


# ----------------------------------------------------------------------------------------- picking


@njit(cache=True)
def pick_orders(ready_hour, job_node, busy_until, pickers, rate, open_hour, close_hour, work):
    """First-come-first-served picking at each node by its pickers, while the node is open.

    Jobs queue in the order given; each takes the picker free soonest. ``ready_hour`` are absolute
    hours (24 * day + hour) at which jobs may start. ``rate[node, day]`` is the node's picking rate in
    orders per hour that day (all pickers together; 0 = closed), so one picker takes
    ``work[j] * pickers[node] / rate`` hours for job j (``work`` is 1 for fixed times, an Exp(1) draw
    for exponential ones). A job started before closing finishes even if that runs past closing.
    ``busy_until[node, picker]`` carries the queue over between calls and is updated. Returns the
    absolute hour each job is picked; inf if the node never reopens.
    """
    done = np.empty(ready_hour.size)
    last_day = rate.shape[1] - 1
    for j in range(ready_hour.size):
        node = job_node[j]
        p = 0
        for q in range(1, pickers[node]):
            if busy_until[node, q] < busy_until[node, p]:
                p = q
        start = max(ready_hour[j], busy_until[node, p])
        while start < np.inf:
            day = int(start // 24.0)
            day_rate = rate[node, min(day, last_day)]
            hour = start - 24.0 * day
            if day_rate <= 0.0 and day >= last_day:
                start = np.inf
            elif day_rate <= 0.0 or hour >= close_hour[node]:
                start = 24.0 * (day + 1) + open_hour[node]
            elif hour < open_hour[node]:
                start = 24.0 * day + open_hour[node]
            else:
                break
        finish = start + work[j] * pickers[node] / day_rate if start < np.inf else np.inf
        busy_until[node, p] = finish
        done[j] = finish
    return done


@njit(cache=True)
def book_shipments(rows, nodes, picked, dispatched, delivered, ship_cost, ready_hour, dispatch_hour, delivered_hour,
                   shipments, fulfilment_cost):
    """Record shipments (order book row, node) in the book's columns: the latest ready, dispatch and
    delivery hours of each order, its shipment count and fulfilment cost."""
    for j in range(rows.size):
        r = rows[j]
        ready_hour[r] = max(ready_hour[r], picked[j]) if ready_hour[r] == ready_hour[r] else picked[j]
        dispatch_hour[r] = max(dispatch_hour[r], dispatched[j]) if dispatch_hour[r] == dispatch_hour[r] else dispatched[j]
        delivered_hour[r] = max(delivered_hour[r], delivered[j]) if delivered_hour[r] == delivered_hour[r] else delivered[j]
        shipments[r] += 1
        fulfilment_cost[r] += ship_cost[nodes[j]]


# settle_sums' rows, by name: sums over orders placed after warm-up (settled or not) ...
SETTLE_COUNTS = ("units", "units_first", "lines", "lines_first", "orders", "orders_first", "lost_sales_units", "no_stock",
                 "last_mile", "fulfilment_cost")
# ... and over those that settled with no line still waiting ("resolved"), for delivery KPIs.
SETTLE_RESOLVED = ("resolved", "on_time", "no_stock_resolved", "shipped", "split", "within_sla", "hours_n", "hours_sum")
SETTLE_SUMS = SETTLE_COUNTS + SETTLE_RESOLVED
(S_UNITS, S_UNITS_FIRST, S_LINES, S_LINES_FIRST, S_ORDERS, S_ORDERS_FIRST, S_LOST_SALES_UNITS, S_NO_STOCK, S_LAST_MILE,
 S_FULFILMENT_COST, S_RESOLVED, S_ON_TIME, S_NO_STOCK_RESOLVED, S_SHIPPED, S_SPLIT, S_WITHIN_SLA, S_HOURS_N,
 S_HOURS_SUM) = range(len(SETTLE_SUMS))


@njit(cache=True)
def settle_sums(cell, measured, units, units_first, lines, lines_first, lost_units, record_failures, shipments,
                last_mile_cost, fulfilment_cost, open_lines, lost_lines, delivery_hours, promise_hours,
                dispatch_hours, sla_hours, sums, histogram, bins_per_hour):
    """Add settled orders to the per-cell sums (rows of ``sums``: ``SETTLE_SUMS``) and their delivery
    hours to the per-cell histogram; returns the positions of delivered orders past the histogram."""
    n_bins = histogram.shape[1]
    long = np.empty(cell.size, np.int64)
    n_long = 0
    for j in range(cell.size):
        if not measured[j]:
            continue
        c = cell[j]
        failed = 1.0 if record_failures[j] > 0 else 0.0
        sums[S_UNITS, c] += units[j]
        sums[S_UNITS_FIRST, c] += units_first[j]
        sums[S_LINES, c] += lines[j]
        sums[S_LINES_FIRST, c] += lines_first[j]
        sums[S_ORDERS, c] += 1.0
        sums[S_ORDERS_FIRST, c] += 1.0 if lines_first[j] == lines[j] else 0.0
        sums[S_LOST_SALES_UNITS, c] += lost_units[j]
        sums[S_NO_STOCK, c] += failed
        sums[S_LAST_MILE, c] += shipments[j] * last_mile_cost[j]
        sums[S_FULFILMENT_COST, c] += fulfilment_cost[j]
        if open_lines[j] != 0:
            continue
        hours = delivery_hours[j]
        shipped = shipments[j] > 0
        sums[S_RESOLVED, c] += 1.0
        if lost_lines[j] == 0 and hours <= promise_hours[j] + 1e-9:
            sums[S_ON_TIME, c] += 1.0
        sums[S_NO_STOCK_RESOLVED, c] += failed
        if shipped:
            sums[S_SHIPPED, c] += 1.0
            if shipments[j] > 1:
                sums[S_SPLIT, c] += 1.0
            if dispatch_hours[j] <= sla_hours[j] + 1e-9:
                sums[S_WITHIN_SLA, c] += 1.0
        if hours == hours:  # delivered (not NaN)
            sums[S_HOURS_N, c] += 1.0
            sums[S_HOURS_SUM, c] += hours
            b = np.int64(np.floor(max(hours, 0.0) * bins_per_hour)) if hours < n_bins / bins_per_hour else -1
            if b >= 0:
                histogram[c, b] += 1
            else:
                long[n_long] = j
                n_long += 1
    return long[:n_long]


# ----------------------------------------------------------------------------------------- day close


# close_day's output columns, by name (the ledger reads them by these names).
CLOSE_COLUMNS = ("on_hand_units", "on_hand_value", "in_transit_units", "backordered_units", "stockout_days", "stocked",
                 "sold_units", "outflow_units", "outflow_value", "sold_value", "spoiled_units")
(ON_HAND_UNITS, ON_HAND_VALUE, IN_TRANSIT_UNITS, BACKORDERED_UNITS, STOCKOUT_DAYS, STOCKED, SOLD_UNITS, OUTFLOW_UNITS,
 OUTFLOW_VALUE, SOLD_VALUE, SPOILED_UNITS) = range(len(CLOSE_COLUMNS))


@njit(cache=True, nogil=True)
def close_day(rows, on_hand, pipeline, backordered, stocked, today_in, today_out, today_sold, spoiled, unit_cost,
              received, outflow, sold, out):
    """End of day for nodes ``rows``: add today's flows into the run totals, clear them, and write per
    node the ledger's figures into ``out`` (columns ``CLOSE_COLUMNS``). Releases the GIL: blocks of
    rows run on parallel threads."""
    k_count = on_hand.shape[1]
    for i in rows:
        units = value = transit = waiting = empty = kept = sold_units = out_units = out_value = sold_value = lost = 0.0
        for k in range(k_count):
            stock = on_hand[i, k]
            units += stock
            value += stock * unit_cost[k]
            transit += pipeline[i, k]
            waiting += backordered[i, k]
            if stocked[i, k]:
                kept += 1
                if stock == 0:
                    empty += 1
            sold_units += today_sold[i, k]
            out_units += today_out[i, k]
            out_value += today_out[i, k] * unit_cost[k]
            sold_value += today_sold[i, k] * unit_cost[k]
            lost += spoiled[i, k]
            received[i, k] += today_in[i, k]
            outflow[i, k] += today_out[i, k]
            sold[i, k] += today_sold[i, k]
            today_in[i, k] = 0
            today_out[i, k] = 0
            today_sold[i, k] = 0
        out[i, ON_HAND_UNITS], out[i, ON_HAND_VALUE], out[i, IN_TRANSIT_UNITS] = units, value, transit
        out[i, BACKORDERED_UNITS], out[i, STOCKOUT_DAYS], out[i, STOCKED] = waiting, empty, kept
        out[i, SOLD_UNITS], out[i, OUTFLOW_UNITS], out[i, OUTFLOW_VALUE] = sold_units, out_units, out_value
        out[i, SOLD_VALUE], out[i, SPOILED_UNITS] = sold_value, lost


# ----------------------------------------------------------------------------------------- ordering


@njit(cache=True)
def order_min_max(position, rows, s, S):
    """(s, S): where position <= s, order S - position; else nothing. Levels of position row i are
    row ``rows[i]`` of ``s`` and ``S`` (one row per node of the class)."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        r = rows[i]
        for k in range(position.shape[1]):
            if position[i, k] <= s[r, k]:
                out[i, k] = S[r, k] - position[i, k]
    return out


@njit(cache=True)
def order_reorder_qty(position, rows, s, Q):
    """(s, Q): where position <= s, order the fewest multiples of Q that lift it above s."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        r = rows[i]
        for k in range(position.shape[1]):
            q = Q[r, k]
            if position[i, k] <= s[r, k] and q > 0:
                batches = (s[r, k] - position[i, k]) // q + 1
                out[i, k] = batches * q
    return out


@njit(cache=True)
def order_up_to(position, rows, S):
    """Order-up-to / base-stock: order max(S - position, 0)."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        r = rows[i]
        for k in range(position.shape[1]):
            gap = S[r, k] - position[i, k]
            if gap > 0:
                out[i, k] = gap
    return out


@njit(cache=True)
def smooth_forecast(level, mse, observed, alpha):
    """Simple exponential smoothing of daily demand and of its squared one-step error, in place."""
    for i in range(level.shape[0]):
        for k in range(level.shape[1]):
            error = observed[i, k] - level[i, k]
            level[i, k] += alpha * error
            mse[i, k] = (1.0 - alpha) * mse[i, k] + alpha * error * error


@njit(cache=True)
def forecast_levels(level, mse, protection_days, z):
    """Order-up-to level per SKU: forecast over the protection period plus z forecast errors."""
    out = np.zeros(level.shape, np.int64)
    for i in range(level.shape[0]):
        p = protection_days[i]
        for k in range(level.shape[1]):
            target = level[i, k] * p + z * np.sqrt(mse[i, k] * p)
            out[i, k] = np.int64(np.ceil(target - 1e-9)) if target > 0 else 0
    return out


# ----------------------------------------------------------------------------------------- rationing


@njit(cache=True, nogil=True)
def _ration_one(available, request, shipped, remainder, rank, proportional):
    """Ship ``request[i]`` to each requester i out of ``available`` units of one SKU (in full when
    there is enough). When short: in proportion to the requests, floors first and then the leftover
    units one each by largest remainder (ties: lower i first); or, not ``proportional``, in full in
    the order ``rank`` while stock lasts."""
    m = request.size
    total = 0
    for i in range(m):
        total += request[i]
    if total <= available:
        for i in range(m):
            shipped[i] = request[i]
        return
    if not proportional:
        left = available
        for r in range(m):
            i = rank[r]
            shipped[i] = min(request[i], left)
            left -= shipped[i]
        return
    left = available
    for i in range(m):
        exact = request[i] * available / total
        shipped[i] = np.int64(np.floor(exact))
        remainder[i] = exact - shipped[i]
        left -= shipped[i]
    while left > 0:
        best = 0
        for i in range(1, m):
            if remainder[i] > remainder[best]:
                best = i
        shipped[best] += 1
        remainder[best] = -1.0
        left -= 1


@njit(cache=True, nogil=True)
def fill_requests(rows, wanted, parent, on_hand, owed, pipeline, supplied, today_out, today_demand, rank, proportional,
                  k_first, k_stop):
    """A source ships to its child rows ``rows`` what it owes them plus today's orders ``wanted[i, k]``,
    rationing its on hand when short (see ``_ration_one``); the outside supplier (``parent`` < 0)
    ships everything. Updates the source's stock, outflow and demand, each child's pipeline and what
    is still owed to it, for SKUs ``k_first`` to ``k_stop - 1`` (SKUs are independent: blocks of them
    run on parallel threads). Returns the shipments as (index into rows, SKU, units), SKU by SKU, and
    units per row.
    """
    m = wanted.shape[0]
    request, sent, remainder = np.zeros(m, np.int64), np.zeros(m, np.int64), np.zeros(m)
    size = max(1024, m * (k_stop - k_first) // 8)
    out_row, out_sku, out_qty = np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.int64)
    per_row = np.zeros(m, np.int64)
    n = 0
    for k in range(k_first, k_stop):
        asked = 0
        for i in range(m):
            request[i] = owed[rows[i], k] + wanted[i, k]
            asked += wanted[i, k]
        if parent < 0:
            for i in range(m):
                sent[i] = request[i]
                supplied[rows[i], k] += request[i]
        else:
            today_demand[parent, k] += asked
            _ration_one(on_hand[parent, k], request, sent, remainder, rank, proportional)
        for i in range(m):
            units = sent[i]
            owed[rows[i], k] = request[i] - units
            if units == 0:
                continue
            pipeline[rows[i], k] += units
            per_row[i] += units
            if parent >= 0:
                on_hand[parent, k] -= units
                today_out[parent, k] += units
            if n == out_qty.size:
                out_row, out_sku, out_qty = _grow(out_row, n), _grow(out_sku, n), _grow(out_qty, n)
            out_row[n], out_sku[n], out_qty[n] = i, k, units
            n += 1
    return out_row[:n], out_sku[:n], out_qty[:n], per_row


@njit(cache=True, nogil=True)
def _grow(values, n):
    bigger = np.empty(2 * values.size, values.dtype)
    bigger[:n] = values[:n]
    return bigger


@njit(cache=True, nogil=True)
def receive(on_hand, pipeline, today_in, rows, skus, qty):
    """Shipments (row, SKU, units) arrive: from the pipeline into on hand, counted as today's receipts."""
    for j in range(rows.size):
        r, k, units = rows[j], skus[j], qty[j]
        on_hand[r, k] += units
        pipeline[r, k] -= units
        today_in[r, k] += units


@njit(cache=True, nogil=True)
def position_rows(rows, on_hand, pipeline, owed, backordered, out):
    """Inventory position of nodes ``rows`` (on hand + in transit + owed by the source - backordered),
    into ``out[i]`` for the i-th of ``rows``."""
    for i in range(rows.size):
        r = rows[i]
        for k in range(on_hand.shape[1]):
            out[i, k] = on_hand[r, k] + pipeline[r, k] + owed[r, k] - backordered[r, k]


# ----------------------------------------------------------------------------------------- transfers


@njit(cache=True)
def match_transfers(excess, need):
    """Match donors' excess units to receivers' needs, SKU by SKU: the receiver with the largest need
    first takes from the donor with the largest excess first (ties: lower row first), until either
    side runs out. Returns (donor row, receiver row, SKU, units) of each move."""
    n_donors, k_count = excess.shape
    n_receivers = need.shape[0]
    size = (n_donors + n_receivers) * k_count
    donor_out = np.empty(size, np.int64)
    receiver_out = np.empty(size, np.int64)
    sku_out = np.empty(size, np.int64)
    qty_out = np.empty(size, np.int64)
    n = 0
    for k in range(k_count):
        give = excess[:, k].copy()
        take = need[:, k].copy()
        if give.sum() == 0 or take.sum() == 0:
            continue
        donors = np.argsort(-give, kind="mergesort")
        receivers = np.argsort(-take, kind="mergesort")
        d = 0
        for r in receivers:
            while take[r] > 0 and d < n_donors and give[donors[d]] > 0:
                moved = min(take[r], give[donors[d]])
                donor_out[n], receiver_out[n], sku_out[n], qty_out[n] = donors[d], r, k, moved
                n += 1
                take[r] -= moved
                give[donors[d]] -= moved
                if give[donors[d]] == 0:
                    d += 1
            if d >= n_donors or give[donors[d]] == 0:
                break
    return donor_out[:n], receiver_out[:n], sku_out[:n], qty_out[:n]


# ----------------------------------------------------------------------------------------- ageing


@njit(cache=True)
def age_stock(cohorts, shelf_life, received, outflow):
    """End-of-day ageing of perishable stock, first-expiry-first-out.

    ``cohorts[n, p, a]`` are units of perishable SKU p at node n that have been there ``a`` full days.
    Today's receipts join age 0, today's outflow is taken from the oldest units, units that have now
    been at the node ``shelf_life[p]`` days spoil, and the rest grow one day older.
    Returns spoiled units per (node, perishable SKU).
    """
    n_nodes, n_skus, _ = cohorts.shape
    spoiled = np.zeros((n_nodes, n_skus), np.int64)
    for n in range(n_nodes):
        for p in range(n_skus):
            life = shelf_life[p]
            cohorts[n, p, 0] += received[n, p]
            need = outflow[n, p]
            a = life - 1
            while need > 0 and a >= 0:
                take = min(need, cohorts[n, p, a])
                cohorts[n, p, a] -= take
                need -= take
                a -= 1
            spoiled[n, p] = cohorts[n, p, life - 1]
            for a in range(life - 1, 0, -1):
                cohorts[n, p, a] = cohorts[n, p, a - 1]
            cohorts[n, p, 0] = 0
    return spoiled
