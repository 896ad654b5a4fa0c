"""Picking queues (first come first served, or earliest due first, over a node's pickers within opening hours),
shipment booking, and the settled-order sums."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _open_start(start, node, rate, open_hour, close_hour, last_day):
    """The first hour at or after ``start`` when ``node`` is open and picking (inf if it never reopens)."""
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
    return start


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
        start = _open_start(max(ready_hour[j], busy_until[node, p]), node, rate, open_hour, close_hour, last_day)
        finish = start + work[j] * pickers[node] / rate[node, min(int(start // 24.0), last_day)] if start < np.inf else np.inf
        busy_until[node, p] = finish
        done[j] = finish
    return done


@njit(cache=True, inline="always")
def _heap_push(heap_key, heap_job, size, key, job):
    i = size
    heap_key[i], heap_job[i] = key, job
    while i > 0:
        parent = (i - 1) // 2
        if (heap_key[parent], heap_job[parent]) <= (heap_key[i], heap_job[i]):
            break
        heap_key[i], heap_key[parent] = heap_key[parent], heap_key[i]
        heap_job[i], heap_job[parent] = heap_job[parent], heap_job[i]
        i = parent
    return size + 1


@njit(cache=True, inline="always")
def _heap_pop(heap_key, heap_job, size):
    """The job with the smallest (key, job); the heap shrinks by one."""
    top = heap_job[0]
    size -= 1
    heap_key[0], heap_job[0] = heap_key[size], heap_job[size]
    i = 0
    while True:
        left, right, low = 2 * i + 1, 2 * i + 2, i
        if left < size and (heap_key[left], heap_job[left]) < (heap_key[low], heap_job[low]):
            low = left
        if right < size and (heap_key[right], heap_job[right]) < (heap_key[low], heap_job[low]):
            low = right
        if low == i:
            break
        heap_key[i], heap_key[low] = heap_key[low], heap_key[i]
        heap_job[i], heap_job[low] = heap_job[low], heap_job[i]
        i = low
    return top, size


@njit(cache=True)
def pick_orders_due_first(ready_hour, job_node, busy_until, pickers, rate, open_hour, close_hour, work, due_hour, by_node):
    """:func:`pick_orders` with the earliest due job first: whenever a picker is free (and the node open), it
    takes, of the jobs already released (ready), the one due soonest (ties: the earlier in the order given);
    with none released it waits for the next. Jobs must come sorted by ``ready_hour`` within each node;
    ``by_node``: ``np.argsort(job_node, kind="stable")``, each node's jobs together in the order given (sorted
    outside: numba's own stable sort adds 2.7 s to the kernel's first compile)."""
    done = np.full(ready_hour.size, np.inf)
    last_day = rate.shape[1] - 1
    order = by_node
    heap_key = np.empty(ready_hour.size)
    heap_job = np.empty(ready_hour.size, np.int64)
    start_of = 0
    while start_of < order.size:
        node = job_node[order[start_of]]
        end = start_of
        while end < order.size and job_node[order[end]] == node:
            end += 1
        nxt, size, clock = start_of, 0, -np.inf
        while nxt < end or size > 0:
            p = 0
            for q in range(1, pickers[node]):
                if busy_until[node, q] < busy_until[node, p]:
                    p = q
            # An idle picker cannot start before the last decision: the jobs released by then include
            # some not ready when it fell idle.
            t = max(busy_until[node, p], clock)
            if size == 0:
                t = max(t, ready_hour[order[nxt]])
            t = _open_start(t, node, rate, open_hour, close_hour, last_day)
            if t == np.inf:
                break  # never reopens: the rest are never picked
            clock = t
            while nxt < end and ready_hour[order[nxt]] <= t:
                size = _heap_push(heap_key, heap_job, size, due_hour[order[nxt]], order[nxt])
                nxt += 1
            j, size = _heap_pop(heap_key, heap_job, size)
            finish = t + work[j] * pickers[node] / rate[node, min(int(t // 24.0), last_day)]
            busy_until[node, p] = finish
            done[j] = finish
        start_of = end
    return done


@njit(cache=True)
def book_shipments(rows, nodes, picked, dispatched, delivered, ship_cost, last_mile, ready_hour, dispatch_hour,
                   delivered_hour, shipments, fulfilment_cost, last_mile_cost):
    """Record shipments (order book row, node) in the book's columns: the latest ready, dispatch and
    delivery hours of each order, its shipment count, fulfilment cost (``ship_cost`` of the node) and
    last-mile cost (``last_mile`` of each shipment)."""
    for j in range(rows.size):
        r = rows[j]
        ready_hour[r] = max(ready_hour[r], picked[j]) if ready_hour[r] == ready_hour[r] else picked[j]
        dispatch_hour[r] = max(dispatch_hour[r], dispatched[j]) if dispatch_hour[r] == dispatch_hour[r] else dispatched[j]
        delivered_hour[r] = max(delivered_hour[r], delivered[j]) if delivered_hour[r] == delivered_hour[r] else delivered[j]
        shipments[r] += 1
        fulfilment_cost[r] += ship_cost[nodes[j]]
        last_mile_cost[r] += last_mile[j]


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
        sums[S_LAST_MILE, c] += last_mile_cost[j]
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
