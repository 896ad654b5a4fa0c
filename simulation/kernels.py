"""Numba kernels: the per-SKU and per-order arithmetic of the engine.

Every kernel takes arrays and scalars only (no SimPy, pandas or Python objects), is compiled once and
cached on disk (``cache=True``), and has a plain NumPy/Python reference in ``tests/test_kernels.py``.
Kernels that update stock say so: they write into the ``on_hand`` (or ``cohorts``) array passed in
and return what they did, so the caller owns all state.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ----------------------------------------------------------------------------------------- selling


@njit(cache=True)
def serve_walk_in(on_hand, store_rows, demand, open_share):
    """Serve walk-in demand[i, k] at node store_rows[i] from its shelf; unmet demand is lost.

    A store open for a share ``open_share[i]`` of the day sees only that share of its customers
    (rounded down per SKU); the rest find it closed. Returns units sold per (store, SKU).
    """
    n, k_count = demand.shape
    sold = np.zeros((n, k_count), np.int64)
    for i in range(n):
        node = store_rows[i]
        for k in range(k_count):
            want = demand[i, k]
            if open_share[i] < 1.0:
                want = np.int64(np.floor(want * open_share[i]))
            take = min(want, on_hand[node, k])
            on_hand[node, k] -= take
            sold[i, k] = take
    return sold


@njit(cache=True)
def allocate_lines(on_hand, line_node, line_sku, line_qty):
    """Fill order lines in the order given, each from its node's stock, as far as stock allows.

    Used for new online orders (in arrival order) and for the backorder queue (oldest first).
    Returns units filled per line (a line may be filled in part).
    """
    filled = np.zeros(line_qty.size, np.int64)
    for j in range(line_qty.size):
        node, sku = line_node[j], line_sku[j]
        take = min(line_qty[j], on_hand[node, sku])
        on_hand[node, sku] -= take
        filled[j] = take
    return filled


# ----------------------------------------------------------------------------------------- picking


@njit(cache=True)
def pick_orders(ready_hour, job_node, busy_until, rate, open_hour, close_hour):
    """First-come-first-served picking at each node, one order at a time while the node is open.

    ``ready_hour`` are absolute hours (24 * day + hour) at which jobs can start, in the order they
    queue. ``rate[node, day]`` is the picking rate in orders per hour on that day (0 = closed).
    A job that starts before closing time finishes even if that runs past closing.
    ``busy_until[node]`` carries the queue over from earlier calls and is updated.
    Returns the absolute hour each job is picked and handed to the carrier.
    """
    done = np.empty(ready_hour.size)
    last_day = rate.shape[1] - 1
    for j in range(ready_hour.size):
        node = job_node[j]
        start = max(ready_hour[j], busy_until[node])
        while True:
            day = int(start // 24.0)
            day_rate = rate[node, min(day, last_day)]
            hour = start - 24.0 * day
            if day_rate <= 0.0 or hour >= close_hour[node]:
                start = 24.0 * (day + 1) + open_hour[node]
            elif hour < open_hour[node]:
                start = 24.0 * day + open_hour[node]
            else:
                break
        finish = start + 1.0 / day_rate
        busy_until[node] = finish
        done[j] = finish
    return done


# ----------------------------------------------------------------------------------------- ordering


@njit(cache=True)
def order_min_max(position, s, S):
    """(s, S): where position <= s, order S - position; else nothing."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        for k in range(position.shape[1]):
            if position[i, k] <= s[i, k]:
                out[i, k] = S[i, k] - position[i, k]
    return out


@njit(cache=True)
def order_reorder_qty(position, s, Q):
    """(s, Q): where position <= s, order the fewest multiples of Q that lift it above s."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        for k in range(position.shape[1]):
            q = Q[i, k]
            if position[i, k] <= s[i, k] and q > 0:
                batches = (s[i, k] - position[i, k]) // q + 1
                out[i, k] = batches * q
    return out


@njit(cache=True)
def order_up_to(position, S):
    """Order-up-to / base-stock: order max(S - position, 0)."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        for k in range(position.shape[1]):
            gap = S[i, k] - position[i, k]
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


@njit(cache=True)
def ration_proportional(available, requests):
    """Split each SKU's available units among requesters in proportion to what they asked for.

    Floors first, then the leftover units one each by largest remainder (ties: lower row first),
    so nothing is shipped that is not there and no unit is left behind while someone is short.
    """
    m, k_count = requests.shape
    shipped = np.zeros((m, k_count), np.int64)
    remainder = np.zeros(m)
    for k in range(k_count):
        total = 0
        for i in range(m):
            total += requests[i, k]
        if total <= available[k]:
            for i in range(m):
                shipped[i, k] = requests[i, k]
            continue
        left = available[k]
        for i in range(m):
            exact = requests[i, k] * available[k] / total
            shipped[i, k] = np.int64(np.floor(exact))
            remainder[i] = exact - shipped[i, k]
            left -= shipped[i, k]
        while left > 0:
            best = 0
            for i in range(1, m):
                if remainder[i] > remainder[best]:
                    best = i
            shipped[best, k] += 1
            remainder[best] = -1.0
            left -= 1
    return shipped


@njit(cache=True)
def ration_priority(available, requests, rank):
    """Serve requesters in the order ``rank`` (a permutation of rows), each in full while stock lasts."""
    m, k_count = requests.shape
    shipped = np.zeros((m, k_count), np.int64)
    for k in range(k_count):
        left = available[k]
        for r in range(m):
            i = rank[r]
            take = min(requests[i, k], left)
            shipped[i, k] = take
            left -= take
    return shipped


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
