"""Base stock with customer returns: net demand (Fleischmann, Kuik & Dekker, "Controlling inventories with
stochastic item returns: a basic model", EJOR 138 (2002); Muckstadt & Isaac, 1981)."""

from __future__ import annotations

import numpy as np

from simulation.validation.theory.losses import poisson_pmf
from simulation.validation.theory.single_node import StockPerformance


def base_stock_poisson_returns(daily_mean: float, return_rate: float, lead_days: int, base_stock: int) -> StockPerformance:
    """Base stock S at one node, Poisson(lambda) demand, backorders, lead time L, where each unit shipped comes
    back into stock with probability p a fixed tau >= L days later (the engine's convention: returns restocked
    at the start of a day, before its backorders and demand).

    Returns restocked on a day are a thinned Poisson(p lambda) count of an earlier day's shipments (exact while
    shipments are that day's demand, i.e. no backlog: close at high fill rates), independent of the last L
    days' demand since tau >= L. While the position never exceeds S (a day's returns rarely exceed its
    demand), the review orders the net demand, so the net inventory at the end of day t is S - N_L with
    N_L = D_L - R_L (demand of the last L days less the returns restocked in them: a Skellam variable). Units
    of day t's demand not met that day = (N_L - S)^+ - (D_{L-1} - R_L - S)^+ (the backlog before and after
    today's demand), so

    fill rate = 1 - (E[(D_L - R_L - S)^+] - E[(D_{L-1} - R_L - S)^+]) / lambda, on hand = S - L lambda (1 - p) + B.

    With p = 0 it is :func:`~.single_node.base_stock_poisson`:

    >>> p = base_stock_poisson_returns(5.0, 0.0, 2, 12)
    >>> round(p.fill_rate, 4), round(p.on_hand, 4), round(p.backorders, 4)
    (0.8944, 2.5309, 0.5309)
    >>> round(base_stock_poisson_returns(20.0, 0.2, 2, 36).fill_rate, 4)
    0.9386
    """
    lam, p, L, S = daily_mean, return_rate, lead_days, base_stock
    upto = int(lam * L + 12 * np.sqrt(lam * L) + 50)
    returned = poisson_pmf(p * lam * L, upto)

    def loss(days: int) -> float:
        """E[(D_days - R_L - S)^+]: the pmf of D - R on -upto..upto, then the loss above S."""
        pmf = np.convolve(poisson_pmf(lam * days, upto), returned[::-1]) if days else returned[::-1]
        k = np.arange(pmf.size) - (returned.size - 1)
        return float(pmf @ np.maximum(k - S, 0))

    backorders = loss(L)
    return StockPerformance(fill_rate=1 - (backorders - loss(L - 1)) / lam, on_hand=S - L * lam * (1 - p) + backorders,
                            backorders=backorders)
