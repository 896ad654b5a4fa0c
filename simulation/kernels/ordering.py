"""Replenishment: orders by policy (min-max, reorder quantity, fixed quantity, order-up-to), forecasts, rationing a
short source among its children, receipts and inventory position."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit


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
def order_fixed_quantity(position, rows, s, Q):
    """(R, s, Q): where position <= s, order one lot of Q, whatever the gap (a standing order quantity)."""
    out = np.zeros(position.shape, np.int64)
    for i in range(position.shape[0]):
        r = rows[i]
        for k in range(position.shape[1]):
            if position[i, k] <= s[r, k]:
                out[i, k] = Q[r, k]
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


@njit(cache=True, nogil=True)
def censored_moments(sold, mean, variance):
    """E[D | D >= sold] and E[(D - mean)^2 | D >= sold] for daily demand D with the forecast's ``mean`` and
    ``variance`` (negative binomial when the variance exceeds the mean, else Poisson): what a day whose
    shelf ran out says about its demand (the expectation step of EM for censored counts). A tail the
    model gives almost no chance falls back to the sale itself."""
    if mean <= 0.0:
        return float(sold), (sold - mean) ** 2
    overdispersed = variance > mean * (1.0 + 1e-9)
    if overdispersed:
        r = mean * mean / (variance - mean)
        q = mean / (r + mean)
        p = math.exp(r * math.log1p(-q))
        second = variance + mean * mean
    else:
        p = math.exp(-mean)
        second = mean + mean * mean
    below = below_first = below_second = 0.0
    for k in range(sold):
        below += p
        below_first += k * p
        below_second += k * k * p
        p *= (r + k) / (k + 1) * q if overdispersed else mean / (k + 1)
    tail = 1.0 - below
    if tail < 1e-9:
        return float(sold), (sold - mean) ** 2
    first = max((mean - below_first) / tail, float(sold))
    square = max((second - below_second) / tail, first * first)
    return first, square - 2.0 * mean * first + mean * mean


@njit(cache=True)
def smooth_forecast_from_sales(level, mse, dispersion, rows, demand, turned_away, on_hand, record_gap, censors, alpha):
    """Exponential smoothing of what class rows ``rows`` recorded today (``smooth_forecast`` of ``demand``
    less the units ``turned_away``: sales, orders taken and the requests of supplied nodes). A row that can
    turn customers away (``censors``) and whose record (``on_hand`` plus ``record_gap``, an empty array when
    records are exact) ends the day at zero or below may have lost demand it never saw: the day is learnt
    from ``censored_moments`` under the current forecast (mean ``level``, variance ``level + dispersion *
    level^2``: the planner's overdispersion of each node and SKU) instead of its sales."""
    gaps = record_gap.shape[0] > 0
    for i in range(rows.size):
        r = rows[i]
        for k in range(level.shape[1]):
            sold = demand[r, k] - turned_away[r, k]
            f = level[i, k]
            record = on_hand[r, k] + (record_gap[r, k] if gaps else 0)
            if censors[r] and record <= 0:
                first, square = censored_moments(sold, f, f + dispersion[i, k] * f * f)
                level[i, k] = f + alpha * (first - f)
                mse[i, k] = (1.0 - alpha) * mse[i, k] + alpha * square
            else:
                error = sold - f
                level[i, k] = f + alpha * error
                mse[i, k] = (1.0 - alpha) * mse[i, k] + alpha * error * error


@njit(cache=True)
def forecast_levels(level, mse, protection_days, lead_var, z, alpha):
    """Order-up-to level per SKU: the forecast over the protection period P plus z[k] standard deviations of
    its error there, sqrt(mse * P * (2 - alpha + alpha * P) / 2 + forecast^2 * Var[L]): for a stationary
    series simple exponential smoothing's one-step mean squared error is sigma^2 * 2 / (2 - alpha), and over
    P days the error has variance P sigma^2 + P^2 Var[forecast] = P sigma^2 (1 + P alpha / (2 - alpha));
    a random lead time adds forecast^2 * Var[L]."""
    out = np.zeros(level.shape, np.int64)
    for i in range(level.shape[0]):
        p = protection_days[i]
        over_p = p * (2.0 - alpha + alpha * p) / 2.0
        for k in range(level.shape[1]):
            f = level[i, k]
            target = f * p + z[k] * np.sqrt(mse[i, k] * over_p + f * f * lead_var[i])
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


# What ``fill_requests`` adds up per requesting row: units shipped, units asked today, and of those the units
# shipped today (a row's older debts ship first).
REQUEST_COLUMNS = ("shipped", "asked", "shipped_on_day")


class Shipments(NamedTuple):
    """What a source shipped to its child rows: one entry per (row, SKU) shipped, SKU by SKU, and the
    ``REQUEST_COLUMNS`` per requesting row."""

    row: np.ndarray      # index into the requesting rows
    sku: np.ndarray
    units: np.ndarray
    per_row: np.ndarray  # [requesting row, REQUEST_COLUMNS]


@njit(cache=True, nogil=True)
def fill_requests(rows, wanted, parent, stock, rank, proportional, k_first, k_stop):
    """A source ships to its child rows ``rows`` what it owes them plus today's orders ``wanted[i, k]``,
    rationing its on hand when short (see ``_ration_one``); the outside supplier (``parent`` < 0)
    ships everything. Updates the source's stock, outflow and demand, each child's pipeline and what
    is still owed to it, for SKUs ``k_first`` to ``k_stop - 1`` (SKUs are independent: blocks of them
    run on parallel threads). Returns the :class:`Shipments`.
    """
    on_hand, owed, pipeline, supplied = stock.on_hand, stock.owed, stock.pipeline, stock.supplied
    today_out, today_demand = stock.today_out, stock.today_demand
    m = wanted.shape[0]
    request, sent, remainder = np.zeros(m, np.int64), np.zeros(m, np.int64), np.zeros(m)
    size = max(1024, m * (k_stop - k_first) // 8)
    out_row, out_sku, out_qty = np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.int64)
    per_row = np.zeros((m, len(REQUEST_COLUMNS)), np.int64)
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
            per_row[i, 1] += wanted[i, k]
            per_row[i, 2] += max(units - (request[i] - wanted[i, k]), 0)
            owed[rows[i], k] = request[i] - units
            if units == 0:
                continue
            pipeline[rows[i], k] += units
            per_row[i, 0] += units
            if parent >= 0:
                on_hand[parent, k] -= units
                today_out[parent, k] += units
            if n == out_qty.size:
                out_row, out_sku, out_qty = _grow(out_row, n), _grow(out_sku, n), _grow(out_qty, n)
            out_row[n], out_sku[n], out_qty[n] = i, k, units
            n += 1
    return Shipments(out_row[:n], out_sku[:n], out_qty[:n], per_row)


@njit(cache=True, nogil=True)
def _grow(values, n):
    bigger = np.empty(2 * values.size, values.dtype)
    for i in range(n):  # not a slice assignment (see source_orders)
        bigger[i] = values[i]
    return bigger


@njit(cache=True, nogil=True)
def receive(stock, rows, skus, qty):
    """Shipments (row, SKU, units) arrive: from the pipeline into on hand, counted as today's receipts."""
    on_hand, pipeline, today_in = stock.on_hand, stock.pipeline, stock.today_in
    for j in range(rows.size):
        r, k, units = rows[j], skus[j], qty[j]
        on_hand[r, k] += units
        pipeline[r, k] -= units
        today_in[r, k] += units


@njit(cache=True, nogil=True)
def position_rows(rows, stock, out):
    """Inventory position of nodes ``rows`` (on hand + in transit + owed by the source - backordered),
    into ``out[i]`` for the i-th of ``rows``."""
    on_hand, pipeline, owed, backordered = stock.on_hand, stock.pipeline, stock.owed, stock.backordered
    for i in range(rows.size):
        r = rows[i]
        for k in range(on_hand.shape[1]):
            out[i, k] = on_hand[r, k] + pipeline[r, k] + owed[r, k] - backordered[r, k]


@njit(cache=True)
def round_orders(wanted, cases, lane_min, supplier_fed, case_pack, supplier_min):
    """Lot rules on today's orders, in place: each positive order of row i and SKU k rises to the row's
    lane minimum ``lane_min[i]`` and, if the row is fed by the supplier, to the SKU's ``supplier_min[k]``,
    then, on a lane that ships cases (``cases[i]``), up to a whole number of ``case_pack[k]``."""
    for i in range(wanted.shape[0]):
        for k in range(wanted.shape[1]):
            q = wanted[i, k]
            if q <= 0:
                continue
            least = lane_min[i]
            if supplier_fed[i] and supplier_min[k] > least:
                least = supplier_min[k]
            if q < least:
                q = least
            if cases[i]:
                pack = case_pack[k]
                q = (q + pack - 1) // pack * pack
            wanted[i, k] = q
