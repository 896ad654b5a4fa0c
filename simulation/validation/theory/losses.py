"""Demand distributions and their loss functions: Poisson, negative binomial and normal."""

from __future__ import annotations

import math

import numpy as np


def poisson_pmf(mean: float, upto: int) -> np.ndarray:
    """P[D = k] for k = 0..upto, D ~ Poisson(mean): e^-mean mean^k / k!, in logs so large means do not
    overflow.

    >>> [round(float(x), 4) for x in poisson_pmf(2.0, 3)]
    [0.1353, 0.2707, 0.2707, 0.1804]
    """
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


def negative_binomial_pmf(mean: float, alpha: float, upto: int) -> np.ndarray:
    """P[D = k] for k = 0..upto, D negative binomial with the engine's parameters: mean m and variance
    m + alpha m^2 (a gamma-Poisson mixture; r = 1/alpha, p = r / (r + m)). Sums of n such days are
    negative binomial with mean n m and alpha / n, which makes lead-time demand exact.

    >>> pmf = negative_binomial_pmf(4.0, 0.25, 400)
    >>> round(float(pmf @ np.arange(401)), 6), round(float(pmf @ np.arange(401) ** 2 - 16), 6)
    (4.0, 8.0)
    """
    if alpha == 0:
        return poisson_pmf(mean, upto)
    k = np.arange(upto + 1)
    if mean == 0:
        return (k == 0).astype(float)
    r = 1.0 / alpha
    p = r / (r + mean)
    log = (np.array([math.lgamma(r + i) - math.lgamma(i + 1) for i in k]) - math.lgamma(r)
           + r * math.log(p) + k * math.log1p(-p))
    return np.exp(log)


def discrete_loss(pmf: np.ndarray, x: float) -> float:
    """First-order loss E[(D - x)^+] of a distribution on 0..len(pmf)-1 (its tail beyond must be
    negligible), via E[(D - x)^+] = E[D] - x + E[(x - D)^+] (Zipkin, section 6.2).

    >>> discrete_loss(np.array([0.5, 0.0, 0.5]), 1)   # D is 0 or 2: E[(D - 1)^+] = 0.5
    0.5
    """
    k = np.arange(pmf.size)
    return float(pmf @ k - x + pmf @ np.maximum(x - k, 0))


def normal_loss(x: float, mean: float, sd: float) -> float:
    """E[(D - x)^+] for D ~ Normal(mean, sd): sd * (phi(z) - z (1 - Phi(z))), z = (x - mean) / sd
    (Zipkin section 6.2; Axsaeter section 5.3).

    >>> round(normal_loss(0.0, 0.0, 1.0), 4)
    0.3989
    """
    if sd == 0:
        return max(mean - x, 0.0)
    z = (x - mean) / sd
    pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return sd * (pdf - z * 0.5 * math.erfc(z / math.sqrt(2)))
