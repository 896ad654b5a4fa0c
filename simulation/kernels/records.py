"""Store records that drift from the shelf: unrecorded loss, mis-recorded sales and counts."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def poisson_inverse(u, mean):
    """The Poisson(``mean``) count at uniform ``u`` (inverting the cdf: one uniform per draw, so streams stay
    aligned whatever the stock)."""
    if mean <= 0.0:
        return 0
    p = math.exp(-mean)
    k, cdf = 0, p
    while u > cdf and p > 0.0:
        k += 1
        p *= mean / k
        cdf += p
    return k


@njit(cache=True, nogil=True)
def drift_records(rows, sold, on_hand, gap, lost, today_lost, shrink_share, half_error_rate, u_loss, u_high, u_low, unit_cost,
                  out):
    """Today's drift of store ``rows``' records (``gap`` = record - shelf), from today's units ``sold``:

    - unrecorded loss, Poisson(``shrink_share`` x sold) units, leaves the shelf (at most what is on it;
      writes on_hand, lost, today_lost) while the record keeps them: the gap grows by the units lost;
    - mis-recorded sales, Poisson(``half_error_rate`` x sold) each way: a sale missed leaves the record a
      unit high, a sale recorded twice (or another SKU's scanned as this one) a unit low;
    - as in store systems, a record can fall below zero (more sold than it showed); it orders more then.

    ``u_*[i, k]`` are the day's uniforms for row ``rows[i]``. Writes per row into ``out``: units lost and their value at ``unit_cost``.
    """
    for i in range(rows.size):
        r = rows[i]
        for k in range(on_hand.shape[1]):
            s = sold[r, k]
            if s == 0:
                continue
            loss = min(poisson_inverse(u_loss[i, k], shrink_share * s), on_hand[r, k])
            on_hand[r, k] -= loss
            lost[r, k] += loss
            today_lost[r, k] += loss
            out[i, 0] += loss
            out[i, 1] += loss * unit_cost[k]
            gap[r, k] += loss + poisson_inverse(u_high[i, k], half_error_rate * s) - poisson_inverse(u_low[i, k], half_error_rate * s)


# Above this many trials a binomial count is its mean, stochastically rounded (its spread, under 4% of the mean at
# p >= 0.3, is dropped; one store-SKU rarely sells this many units in a day).
BINOMIAL_EXACT_MAX = 1000


@njit(cache=True, nogil=True)
def binomial_inverse(u, n, p):
    """The Binomial(``n``, ``p``) count at uniform ``u`` (cdf inversion, one uniform per draw; symmetric in
    ``p`` so the first term never underflows)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n > BINOMIAL_EXACT_MAX:
        return math.floor(n * p + u)
    if p > 0.5:
        return n - binomial_inverse(1.0 - u, n, 1.0 - p)
    q = math.exp(n * math.log1p(-p))
    ratio = p / (1.0 - p)
    k, cdf = 0, q
    while u > cdf and k < n:
        q *= (n - k) / (k + 1) * ratio
        k += 1
        cdf += q
    return k


@njit(cache=True, nogil=True, inline="always")
def walk_in_share(open_hour, close_hour, start, end):
    """Share of a store's walk-in day sold between hours of day ``start`` and ``end`` (sales spread evenly
    over its opening hours)."""
    span = close_hour - open_hour
    a = min(max((start - open_hour) / span, 0.0), 1.0)
    b = min(max((end - open_hour) / span, 0.0), 1.0)
    return max(b - a, 0.0)


class PlatformView(NamedTuple):
    """What the online platform sees of store stock for one day, as :func:`unseen_units` reads it."""

    lagged: np.ndarray      # [node] whether the platform's view of the node can differ from its shelf
    gap: np.ndarray         # [node, SKU] record - shelf (0 x 0: records are exact)


class Syncs(NamedTuple):
    """One day of walk-in sales reaching the platform only with each store's syncs."""

    unseen: np.ndarray      # [node, SKU] walk-in units sold before today since the last sync that arrived
    sold: np.ndarray        # [node, SKU] walk-in units sold today
    hours: np.ndarray       # today's syncs, absolute hours
    arrived: np.ndarray     # [node, sync] whether the sync arrived
    open_hour: np.ndarray   # [node] walk-in opening hour of day
    close_hour: np.ndarray  # [node] walk-in closing hour of day


@njit(cache=True, nogil=True)
def unseen_units(view, syncs, node, sku, hour, u):
    """Units the online platform still shows at ``node`` for ``sku`` at absolute ``hour`` that the shelf no
    longer has (negative: units it has that the platform does not show): at a node whose view lags
    (``view.lagged``), the store's record gap (record - shelf, when records are kept) and the walk-in units
    sold that no sync has brought yet (:func:`unsynced_units`; ``syncs`` None: none)."""
    if not view.lagged[node]:
        return 0
    return (view.gap[node, sku] if view.gap.shape[0] else 0) + unsynced_units(syncs, node, sku, hour, u)


@njit(cache=True, nogil=True, inline="always")
def unsynced_units(syncs, node, sku, hour, u):
    """Walk-in units a lagged store sold that the platform has not seen at absolute ``hour``: those since the
    store's last sync that arrived, today's after it (Binomial(sold today, share of the walk-in day between
    that sync and ``hour``) at the line's uniform ``u``), and, when no sync arrived yet today, ``unseen``
    before today too. None ``syncs`` (sales reach the platform at once): 0, and numba compiles the rest away."""
    if syncs is None:
        return 0
    day_start = 24.0 * math.floor(hour / 24.0)
    since = -1.0
    for j in range(syncs.hours.size - 1, -1, -1):
        if syncs.hours[j] <= hour and syncs.arrived[node, j]:
            since = syncs.hours[j] - day_start
            break
    out = 0
    if since < 0.0:
        out += syncs.unseen[node, sku]
        since = 0.0
    share = walk_in_share(syncs.open_hour[node], syncs.close_hour[node], since, hour - day_start)
    return out + binomial_inverse(u, syncs.sold[node, sku], share)


@njit(cache=True, nogil=True)
def carry_unseen(rows, sold, unseen, last_sync, open_hour, close_hour, u):
    """Tonight: walk-in units each store sold since its last sync that arrived stay unseen tomorrow. A store
    whose sync arrived today at hour of day ``last_sync[i]`` keeps Binomial(sold today, share of the day after
    it) at uniform ``u[i, k]``; one without (``last_sync[i] < 0``) adds all of today's to what it had."""
    for i in range(rows.size):
        r = rows[i]
        for k in range(sold.shape[1]):
            if last_sync[i] < 0.0:
                unseen[r, k] += sold[r, k]
            else:
                unseen[r, k] = binomial_inverse(u[i, k], sold[r, k], walk_in_share(open_hour[r], close_hour[r], last_sync[i], 24.0))


def exact_view(n_nodes: int) -> PlatformView:
    """A view in which the platform sees every shelf exactly."""
    return PlatformView(lagged=np.zeros(n_nodes, np.bool_), gap=np.zeros((0, 0), np.int64))
