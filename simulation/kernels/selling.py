"""Walk-in selling: negative-binomial demand drawn per store and SKU, served from the shelf."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

INVERSION_MAX_MEAN = 30.0  # larger means draw a gamma-Poisson mixture (inversion would take ~mean steps)
# A uniform below (1 - m + m²/2 - m³/6) x ZERO_MARGIN (m the mean; a lower bound of e^-m, itself at most P[0])
# is below P[0] as computed too (its rounding error is ~1e-16), so the draw is 0 whichever way P[0] rounds:
# most slow-moving SKUs' days, at no exp or log.
ZERO_MARGIN = 1.0 - 1e-12


class WalkInSales(NamedTuple):
    """One store's walk-in day."""

    units: int           # units wanted
    sold: int            # units sold
    lines: int           # SKUs wanted
    lines_full: int      # SKUs whose demand the shelf met in full
    lost_margin: float   # margin of the units not sold


WALK_IN_COLUMNS = WalkInSales._fields  # the columns of the engine's per-store walk-in table


@njit(cache=True, nogil=True)
def negative_binomial_draw(rng, mean, alpha):
    """One count with mean ``mean`` and variance ``mean + alpha * mean^2`` (alpha = 0: Poisson).

    Means up to ``INVERSION_MAX_MEAN`` invert the cdf with one uniform, walking up from P[0] =
    (1 + alpha mean)^(-1/alpha) (or e^-mean) by P[k+1] = P[k] (1/alpha + k) / (k + 1) * alpha mean /
    (1 + alpha mean) (or mean / (k + 1)): one uniform per draw, whatever the mean, which keeps streams
    aligned across policies and costs a few ns for the slow SKUs that dominate a catalogue (a uniform below
    a lower bound of P[0] is 0 at once). Larger
    means draw a gamma then a Poisson variate.
    """
    if mean > INVERSION_MAX_MEAN:
        lam = rng.gamma(1.0 / alpha, alpha * mean) if alpha > 0.0 else mean
        return rng.poisson(lam)
    u = rng.random()
    if mean <= 0.0:
        return 0
    if u < (1.0 - mean * (1.0 - mean * (0.5 - mean / 6.0))) * ZERO_MARGIN:  # P[0] >= e^-mean >= 1 - m + m²/2 - m³/6
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
    """``negative_binomial_draw`` for every element: the one negative-binomial sampler (walk-in per store and
    SKU, online orders per zone and channel)."""
    out = np.empty(mean.size, np.int64)
    for j in range(mean.size):
        out[j] = negative_binomial_draw(rng, mean[j], alpha[j])
    return out


@njit(cache=True, nogil=True)
def walk_in_store(rng, mean, alpha, open_share, on_hand, today_demand, today_out, today_sold, margin, want):
    """Draw one store's walk-in demand per SKU into ``want`` and serve it from the shelf (``serve_walk_in``).

    Demand is negative binomial with mean ``mean[k]`` and variance ``mean + alpha * mean^2``, drawn from
    ``rng`` (the store's own stream) by ``negative_binomial_draw``. Releases the GIL: stores run on
    parallel threads.
    """
    for k in range(mean.size):
        want[k] = negative_binomial_draw(rng, mean[k], alpha[k])
    return serve_walk_in(want, open_share, on_hand, today_demand, today_out, today_sold, margin)


@njit(cache=True, nogil=True)
def serve_walk_in(want, open_share, on_hand, today_demand, today_out, today_sold, margin):
    """Serve one store's walk-in demand ``want`` (units per SKU: drawn, or replayed from a history) from the
    shelf; unmet demand is lost. A store open for a share ``open_share`` of the day serves only that share
    of its customers (rounded down per SKU). Takes the units sold from ``on_hand`` (the store's row) and
    adds demand and sales to its rows of ``today_demand``, ``today_out`` and ``today_sold``. Returns the
    store's :class:`WalkInSales`."""
    units = units_sold = lines = lines_full = 0
    lost_margin = 0.0
    for k in range(want.size):
        wanted = want[k]
        serve = wanted if open_share >= 1.0 else np.int64(np.floor(wanted * open_share))
        take = min(serve, on_hand[k])
        on_hand[k] -= take
        today_demand[k] += wanted
        today_out[k] += take
        today_sold[k] += take
        units += wanted
        units_sold += take
        if wanted > 0:
            lines += 1
            if take == wanted:
                lines_full += 1
            lost_margin += (wanted - take) * margin[k]
    return WalkInSales(units, units_sold, lines, lines_full, lost_margin)
