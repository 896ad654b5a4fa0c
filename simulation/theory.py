"""Closed-form inventory results the simulator is validated against.

Sequence of events (the engine's convention): a review at the end of day t orders up to the
inventory position S; the order arrives at the start of day t + L, before that day's demand. So the net
inventory at the end of a day is S minus the demand of the last L days, and the *protection period*
is L days (for daily review; L + R - 1 days for review period R).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def poisson_pmf(mean: float, upto: int) -> np.ndarray:
    """P[D = k] for k = 0..upto, D ~ Poisson(mean)."""
    k = np.arange(upto + 1)
    if mean == 0:
        return (k == 0).astype(float)
    log = k * math.log(mean) - mean - np.array([math.lgamma(i + 1) for i in k])
    return np.exp(log)


def poisson_loss(mean: float, x: int) -> float:
    """First-order loss E[(D - x)^+] for D ~ Poisson(mean), via E[(D-x)^+] = E[D] - x + E[(x-D)^+].

    >>> round(poisson_loss(4.0, 4), 4)
    0.7815
    """
    if x < 0:
        return mean - x
    pmf = poisson_pmf(mean, x)
    return float(mean - x + np.sum((x - np.arange(x + 1)) * pmf))


@dataclass(frozen=True)
class BaseStockPerformance:
    fill_rate: float       # share of demand units met from stock on the day they arrive
    on_hand: float         # expected on hand at the end of a day
    backorders: float      # expected units backordered at the end of a day


def base_stock_poisson(daily_mean: float, lead_days: int, base_stock: int) -> BaseStockPerformance:
    """Single-location base-stock policy, Poisson demand, fixed lead time, full backordering.

    With D_n the demand over n days (Poisson(n * lambda)) and S the base stock (Zipkin, *Foundations of
    Inventory Management*, section 6.2; Axsaeter, *Inventory Control*, section 5.3):

    * end-of-day backorders B = E[(D_L - S)^+], on hand I = S - L*lambda + B;
    * units of one day's demand not met that day = (D_L - S)^+ - (D_{L-1} - S)^+, so the fill rate is
      1 - (E[(D_L - S)^+] - E[(D_{L-1} - S)^+]) / lambda.

    >>> p = base_stock_poisson(5.0, 2, 12)
    >>> round(p.fill_rate, 4), round(p.on_hand, 4), round(p.backorders, 4)
    (0.8944, 2.5309, 0.5309)
    """
    lam, L, S = daily_mean, lead_days, base_stock
    backorders = poisson_loss(lam * L, S)
    short_today = backorders - poisson_loss(lam * (L - 1), S)
    return BaseStockPerformance(fill_rate=1 - short_today / lam, on_hand=S - lam * L + backorders,
                                backorders=backorders)
