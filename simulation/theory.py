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


def base_stock_for_fill_rate(daily_mean: float, lead_days: int, target: float) -> int:
    """The smallest base stock S whose :func:`base_stock_poisson` fill rate reaches ``target``.

    >>> base_stock_for_fill_rate(5.0, 2, 0.95)
    14
    """
    S = 0
    while base_stock_poisson(daily_mean, lead_days, S).fill_rate < target:
        S += 1
    return S


def base_stock_for_cycle_service(daily_mean: float, lead_days: int, target: float) -> int:
    """The smallest base stock S with P[D_L <= S] >= ``target`` (cycle service level, "type 1"), for
    Poisson lead-time demand D_L. Eppen's square-root law is stated for this measure.

    >>> base_stock_for_cycle_service(3.0, 2, 0.95), base_stock_for_cycle_service(12.0, 2, 0.95)
    (10, 32)
    """
    S, cdf = 0, 0.0
    pmf = poisson_pmf(daily_mean * lead_days, int(daily_mean * lead_days * 4 + 50))
    while S < pmf.size and (cdf := cdf + pmf[S]) < target:
        S += 1
    return S


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits in an M/M/c queue with offered load a = lambda / mu < c (Erlang C;
    Kleinrock, *Queueing Systems* vol. 1, eq. 3.40; Gross & Harris, *Fundamentals of Queueing Theory*,
    section 2.3).

    >>> round(erlang_c(1, 0.5), 4), round(erlang_c(3, 2.5), 4)
    (0.5, 0.7022)
    """
    c, a = servers, offered_load
    if a >= c:
        raise ValueError(f"offered load {a} must be below the number of servers {c}")
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def mmc_sojourn_hours(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in an M/M/c system (wait plus service): W = C(c, a) / (c mu - lambda) + 1 / mu, with
    lambda arrivals and mu services per server per hour. By Little's law L = lambda W.

    >>> round(mmc_sojourn_hours(2.0, 3.0, 1), 4)
    1.0
    """
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate) + 1.0 / service_rate
