"""Sizing levels for a fill-rate target ("type 2" service): the smallest whole level whose expected
share of demand met from stock reaches the target.

A periodic review (R, S) with protection period P = L + R - 1 (see ``policies/replenishment.py``) loses, per
review cycle, E[(D_P - S)^+] - E[(D_{P-R} - S)^+] units (D_n: demand over n days; the second term is what
was already short before this cycle's delivery could help); the fill rate is one minus that over the
cycle's mean demand R mu (Silver, Pyke & Thomas, *Inventory and Production Management*, 4th ed., 6.7-6.9;
Zipkin, *Foundations of Inventory Management*, 6.2). Demand over a period is negative binomial with the
planned mean and variance (Poisson when the variance is not above the mean), walked up from S = 0 with the
pmf recurrence; past ``NORMAL_FROM_MEAN`` units it is normal, with the unit normal loss function.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Above this mean demand over the protection period the normal approximation replaces the negative
# binomial (its pmf at 0 would underflow long before; by here the approximation is close).
NORMAL_FROM_MEAN = 300.0


@njit(cache=True, inline="always")
def _ratio(mean, var):
    """The negative binomial's ``(n, 1 - p)`` so that pmf(k + 1) = pmf(k) (k + n)(1 - p) / (k + 1);
    ``n`` < 0 marks a Poisson (variance not above the mean)."""
    if var <= mean * (1.0 + 1e-9):
        return -1.0, mean
    return mean * mean / (var - mean), 1.0 - mean / var


@njit(cache=True, inline="always")
def _pmf0(mean, n, q):
    if mean <= 0.0:
        return 1.0
    if n < 0.0:
        return math.exp(-mean)
    return math.exp(n * math.log1p(-q))


@njit(cache=True, inline="always")
def _next(pmf, k, n, q):
    """pmf(k + 1) from pmf(k)."""
    if n < 0.0:
        return pmf * q / (k + 1.0)
    return pmf * (k + n) * q / (k + 1.0)


@njit(cache=True, inline="always")
def _normal_loss(x, mean, sd):
    if sd <= 0.0:
        return max(mean - x, 0.0)
    z = (x - mean) / sd
    tail = 0.5 * math.erfc(z / math.sqrt(2.0))
    return sd * (math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) - z * tail)


@njit(cache=True, inline="always")
def _level_normal(mp, vp, mq, vq, allowed):
    sdp, sdq = math.sqrt(vp), math.sqrt(vq)
    lo, hi = 0, int(mp + 40.0 * sdp + 10.0)
    while lo < hi:  # the shortfall falls as S rises: the smallest S within the allowance
        mid = (lo + hi) // 2
        if _normal_loss(mid, mp, sdp) - _normal_loss(mid, mq, sdq) <= allowed:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def fill_rate_levels(mean_p, var_p, mean_q, var_q, cycle_mean, target):
    """Per cell: the smallest S >= 0 with E[(D_P - S)^+] - E[(D_Q - S)^+] <= (1 - target) * cycle_mean,
    D_P and D_Q demand over the protection period and over the part of it before the cycle (mean and
    variance given per cell; 1-D arrays of one length). 0 where the cycle has no demand."""
    out = np.zeros(mean_p.size, np.int64)
    for i in range(mean_p.size):
        mp, vp, mq, vq = mean_p[i], var_p[i], mean_q[i], var_q[i]
        if cycle_mean[i] <= 0.0 or mp <= 0.0:
            continue
        allowed = (1.0 - target) * cycle_mean[i]
        if mp > NORMAL_FROM_MEAN:
            out[i] = _level_normal(mp, vp, mq, vq, allowed)
            continue
        np_, qp = _ratio(mp, vp)
        nq, qq = _ratio(mq, vq)
        fp, fq = _pmf0(mp, np_, qp), _pmf0(mq, nq, qq)   # pmf at S
        cp, cq = fp, fq                                    # cdf at S
        lp, lq = mp, mq                                    # loss E[(D - S)^+] at S
        cap = int(mp + 50.0 * math.sqrt(vp) + 50.0)
        s = 0
        while lp - lq > allowed and s < cap:
            lp -= 1.0 - cp    # E[(D - S - 1)^+] = E[(D - S)^+] - P[D > S]
            lq -= 1.0 - cq if mq > 0.0 else 0.0
            fp = _next(fp, s, np_, qp)
            fq = _next(fq, s, nq, qq) if mq > 0.0 else 0.0
            cp, cq = cp + fp, cq + fq
            s += 1
        out[i] = s
    return out
