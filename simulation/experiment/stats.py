"""Student-t quantiles and confidence intervals shared by comparisons, sweeps and the validation suite."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

# Two-sided 95% Student t quantiles for 1..30 degrees of freedom.
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t_quantile(p: float, df: float) -> float:
    """Student t quantile: exact for 1 and 2 degrees of freedom, else by the Cornish-Fisher series
    (Abramowitz & Stegun 26.7.5; within 1% at the 0.99995 quantile for df >= 9, 0.05% at 0.95 for df >= 3).

    >>> round(t_quantile(0.995, 39), 3), round(t_quantile(0.99995, 39), 2), round(t_quantile(0.95, 2), 3)
    (2.708, 4.33, 2.92)
    """
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = NormalDist().inv_cdf(p)
    g = ((z**3 + z) / 4, (5 * z**5 + 16 * z**3 + 3 * z) / 96, (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
         (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160)
    return z + sum(gi / df ** (i + 1) for i, gi in enumerate(g))


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t (table to 30 degrees of freedom, then :func:`t_quantile`)."""
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= len(_T975) else t_quantile(0.975, df)


def mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its 95% confidence interval (nan when it cannot be computed)."""
    if values.size == 0:
        return math.nan, math.nan
    if values.size == 1:
        return float(values[0]), math.nan
    return float(values.mean()), float(t975(values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
