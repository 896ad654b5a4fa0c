"""Store records that drift from the shelf: unrecorded loss, mis-recorded sales and counts."""

from __future__ import annotations

import math

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
