"""Store records between counts: the record's gap from the shelf is a random walk, reset at each count."""

from __future__ import annotations

import numpy as np

from simulation.validation.theory.losses import poisson_pmf


def record_accuracy_poisson(daily_mean: float, shrink_share: float, scan_error_rate: float, count_interval: int) -> float:
    """The share of store-SKU-days whose record equals the shelf at the end of the day, for a shelf that never runs
    out, Poisson(``daily_mean``) units sold a day, and every store-SKU counted once in ``count_interval`` days.

    Each day the gap (record - shelf) grows by the units lost unrecorded, Poisson(a s), and by the units sold but
    recorded one high less those recorded one low, each Poisson(h s) with h = ``scan_error_rate`` / 2, s the day's
    sales (a = ``shrink_share``); a count sets it to 0. Given N units sold over the j days since the count (N ~
    Poisson(j lambda)), the gap is X - W with X ~ Poisson((a + h) N) and W ~ Poisson(h N) independent, so

        P[gap_j = 0] = sum_N P[N] sum_w P[X = w] P[W = w],

    and the days since the last count run evenly over 0 .. count_interval - 1 (a day counted ends with gap 0).

    >>> round(record_accuracy_poisson(2.0, 0.0, 0.0, 30), 6)   # exact records: always right
    1.0
    >>> round(record_accuracy_poisson(3.0, 0.05, 0.2, 10), 4)
    0.3365
    """
    h = scan_error_rate / 2.0
    days = []
    for j in range(count_interval):
        if j == 0 or (shrink_share == 0 and h == 0):
            days.append(1.0)
            continue
        sold_mean = j * daily_mean
        upto = int(sold_mean + 14 * np.sqrt(sold_mean) + 20)
        sold = poisson_pmf(sold_mean, upto)
        exact = np.zeros(upto + 1)
        for n in range(upto + 1):
            high, low = (shrink_share + h) * n, h * n
            width = int(high + 14 * np.sqrt(high) + 20)
            exact[n] = float(poisson_pmf(high, width) @ poisson_pmf(low, width))
        days.append(float(sold @ exact))
    return float(np.mean(days))
