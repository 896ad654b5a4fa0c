"""The negative binomial's likelihood for fitting demand to a history, per SKU, over every store-SKU-day
cell: observed demand (a row with units, or an implicit zero), and censored cells (the day ended with no
stock, so demand was at least the units sold); and the expected histograms the fit report compares.

Mean of cell (store i, SKU k, day d) is ``rate[k] * scale[i] * mix[k, i] * season[d]``; a SKU's cells are
summed over stores x season groups (weekday x month, with their days), not over days, and its rows enter
through counts of their values: a retail year costs its SKUs x stores x 84 groups, not its 300 M rows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _log_p0(mu, alpha):
    """log P[D = 0] of a negative binomial with mean mu and alpha (Poisson at alpha 0)."""
    return -mu if alpha <= 0.0 else -math.log1p(alpha * mu) / alpha


@njit(cache=True, inline="always")
def _log_tail(y, mu, alpha):
    """log P[D >= y] - log P[D = 0] (a censored cell)."""
    if y <= 0:
        return -_log_p0(mu, alpha)
    p0 = _log_p0(mu, alpha)
    below, term = 0.0, 1.0  # P[D = j] / P[D = 0], summed over j < y
    q = alpha * mu / (1.0 + alpha * mu) if alpha > 0.0 else 0.0
    r = 1.0 / alpha if alpha > 0.0 else 0.0
    for j in range(y):
        below += term
        term *= ((r + j) * q if alpha > 0.0 else mu) / (j + 1.0)
    tail = 1.0 - below * math.exp(p0)
    return math.log(max(tail, 1e-300)) - p0


@njit(cache=True, parallel=True)
def censored_mean(y, mu, alpha_of_row):
    """E[D | D >= y] per censored cell: y plus the expected excess, summed over the tail until it is spent."""
    out = np.empty(y.size)
    for j in prange(y.size):
        m, a, floor = mu[j], alpha_of_row[j], y[j]
        if m <= 0.0:
            out[j] = floor
            continue
        q = a * m / (1.0 + a * m) if a > 0.0 else 0.0
        r = 1.0 / a if a > 0.0 else 0.0
        p = math.exp(_log_p0(m, a))
        below = 0.0
        below_mean = 0.0
        for n in range(floor):
            below += p
            below_mean += n * p
            p *= ((r + n) * q if a > 0.0 else m) / (n + 1.0)
        tail = 1.0 - below
        out[j] = floor if tail <= 1e-12 else max((m - below_mean) / tail, floor)
    return out


@njit(cache=True, parallel=True)
def expected_histogram(rate, scale, mix, season_value, season_days, alpha, bins):
    """Expected count of store-SKU-days with 0, 1, ..., bins - 2 units and with bins - 1 or more, per SKU (rows);
    ``mix`` [SKU, store] multiplies each store's mean of each SKU."""
    out = np.zeros((rate.size, bins))
    for k in prange(rate.size):
        a = alpha[k]
        r = 1.0 / a if a > 0.0 else 0.0
        for i in range(scale.size):
            for s in range(season_value.size):
                m = rate[k] * scale[i] * mix[k, i] * season_value[s]
                p = math.exp(_log_p0(m, a))
                qm = a * m / (1.0 + a * m) if a > 0.0 else 0.0
                left = 1.0
                for n in range(bins - 1):
                    out[k, n] += season_days[s] * p
                    left -= p
                    p *= ((r + n) * qm if a > 0.0 else m) / (n + 1.0)
                out[k, bins - 1] += season_days[s] * max(left, 0.0)
    return out


@njit(cache=True)
def cells_histogram(mu, alpha_of_row, bins):
    """The expected histogram (as ``expected_histogram``) summed over the given cells (e.g. the censored ones,
    to take out of a goodness-of-fit)."""
    out = np.zeros(bins)
    for j in range(mu.size):
        m, a = mu[j], alpha_of_row[j]
        r = 1.0 / a if a > 0.0 else 0.0
        qm = a * m / (1.0 + a * m) if a > 0.0 else 0.0
        p = math.exp(_log_p0(m, a))
        left = 1.0
        for n in range(bins - 1):
            out[n] += p
            left -= p
            p *= ((r + n) * qm if a > 0.0 else m) / (n + 1.0)
        out[bins - 1] += max(left, 0.0)
    return out


@njit(cache=True)
def sales_histogram(mu, alpha_of_row, stock, bins):
    """The expected histogram of *sales*, min(demand, stock), summed over cells whose shelf stock before the
    day's trade is known (``stock``): below the stock, demand's own probabilities; at the stock, the chance
    demand reached it (the day that emptied the shelf); the last bin is ``bins - 1`` or more."""
    out = np.zeros(bins)
    for j in range(mu.size):
        m, a, s = mu[j], alpha_of_row[j], stock[j]
        r = 1.0 / a if a > 0.0 else 0.0
        qm = a * m / (1.0 + a * m) if a > 0.0 else 0.0
        p = math.exp(_log_p0(m, a))
        left = 1.0
        n = 0
        while n < s and n < bins - 1:
            out[n] += p
            left -= p
            p *= ((r + n) * qm if a > 0.0 else m) / (n + 1.0)
            n += 1
        out[min(s, bins - 1)] += max(left, 0.0)
    return out


@njit(cache=True)
def _stats_loglik(alpha, mu, weight, units, tail_counts, big_y, cens_y, cens_mu):
    """One SKU's log-likelihood at ``alpha`` from gathered statistics, up to terms free of alpha. Every cell's
    log P[0] = -log(1 + alpha mu) / alpha and each uncensored unit's log(alpha mu / (1 + alpha mu)) share
    one log1p per (store, season group) cell of ``mu`` (``weight``: its days, its units); the rows' sums of
    log(1/alpha + j) come from ``tail_counts`` (rows with more than j units) and the large rows; each
    censored row adds log P[D >= y] - log P[0]."""
    r = 1.0 / alpha
    total = units * math.log(alpha)
    for c in range(mu.size):
        if mu[c] > 0.0:
            total -= (weight[c, 0] * r + weight[c, 1]) * math.log1p(alpha * mu[c])
    for j in range(tail_counts.size):
        if tail_counts[j] > 0:
            total += tail_counts[j] * math.log(r + j)
    for y in big_y:
        for j in range(tail_counts.size, y):
            total += math.log(r + j)
    for j in range(cens_y.size):
        if cens_mu[j] > 0.0:
            total += _log_tail(cens_y[j], cens_mu[j], alpha)
    return total



class Overdispersion(NamedTuple):
    """Per SKU: the maximum-likelihood alpha, the log-likelihood's curvature in log alpha there, and its value."""

    alpha: np.ndarray
    information: np.ndarray
    loglik: np.ndarray


@njit(cache=True, parallel=True)
def fit_overdispersion_stats(rate, scale, mix, group_season, group_days, cell_units, value_counts, big_start, big_y,
                             cens_start, cens_y, cens_mu, low, high):
    """Each SKU's maximum-likelihood alpha on [low, high] from a streamed file's statistics (golden section on
    log alpha), with the curvature of the log-likelihood in log alpha there. ``mix`` [SKU, store]: each store's
    own multiplier of the SKU (ones: none). ``cell_units`` [SKU, store,
    group]: units of uncensored rows; ``value_counts`` [SKU, V]: uncensored rows by units (the last column:
    V - 1 or more); rows of V or more units are also in ``big_y`` (SKU k's: big_start[k]:big_start[k + 1]);
    censored rows in ``cens_y``, ``cens_mu`` (cens_start likewise). Returns the :class:`Overdispersion`."""
    k_count, stores, groups = cell_units.shape
    best = np.empty(k_count)
    info = np.empty(k_count)
    value = np.empty(k_count)
    g = (math.sqrt(5.0) - 1.0) / 2.0
    v = value_counts.shape[1]
    for k in prange(k_count):
        mu = np.empty(stores * groups)
        weight = np.empty((stores * groups, 2))
        units = 0.0
        for i in range(stores):
            for s in range(groups):
                c = i * groups + s
                mu[c] = rate[k] * scale[i] * mix[k, i] * group_season[s]
                weight[c, 0] = group_days[s]
                weight[c, 1] = cell_units[k, i, s]
                units += cell_units[k, i, s]
        tail = np.zeros(v - 1)
        above = 0
        for j in range(v - 1, 0, -1):  # rows with more than j - 1 units
            above += value_counts[k, j]
            tail[j - 1] = above
        by, cy, cm = big_y[big_start[k]:big_start[k + 1]], cens_y[cens_start[k]:cens_start[k + 1]], cens_mu[cens_start[k]:cens_start[k + 1]]
        lo, hi = math.log(low), math.log(high)
        x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
        f1 = _stats_loglik(math.exp(x1), mu, weight, units, tail, by, cy, cm)
        f2 = _stats_loglik(math.exp(x2), mu, weight, units, tail, by, cy, cm)
        for _ in range(60):
            if f1 > f2:
                hi, x2, f2 = x2, x1, f1
                x1 = hi - g * (hi - lo)
                f1 = _stats_loglik(math.exp(x1), mu, weight, units, tail, by, cy, cm)
            else:
                lo, x1, f1 = x1, x2, f2
                x2 = lo + g * (hi - lo)
                f2 = _stats_loglik(math.exp(x2), mu, weight, units, tail, by, cy, cm)
            if hi - lo < 1e-3:
                break
        x = 0.5 * (lo + hi)
        h = 0.05
        f0 = _stats_loglik(math.exp(x), mu, weight, units, tail, by, cy, cm)
        fp = _stats_loglik(math.exp(x + h), mu, weight, units, tail, by, cy, cm)
        fm = _stats_loglik(math.exp(x - h), mu, weight, units, tail, by, cy, cm)
        best[k] = math.exp(x)
        info[k] = max(-(fp - 2.0 * f0 + fm) / (h * h), 0.0)
        value[k] = f0
    return Overdispersion(best, info, value)


@njit(cache=True)
def add_at(target, index, values):
    """target[index[j]] += values[j] (numpy's bincount would allocate the whole target for every batch)."""
    for j in range(index.size):
        target[index[j]] += values[j]
