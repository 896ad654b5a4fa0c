"""Returns: how many of a shipped line's units its customer sends back, and how many of those sell again."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.kernels.records import binomial_inverse


@njit(cache=True, nogil=True)
def return_draws(units, rate, resellable, u_returned, u_resellable):
    """Per shipped line: units returned, Binomial(``units``, ``rate``), and of those the units fit to sell again,
    Binomial(returned, ``resellable``), each by inverting its cdf at the line's own uniform. The uniforms were
    drawn when the order arrived, so a customer returns the same units whichever node shipped them (common
    random numbers across policies); a line filled in parts uses its uniforms for each part."""
    n = units.size
    returned = np.zeros(n, np.int64)
    resold = np.zeros(n, np.int64)
    for i in range(n):
        returned[i] = binomial_inverse(u_returned[i], units[i], rate[i])
        resold[i] = binomial_inverse(u_resellable[i], returned[i], resellable[i])
    return returned, resold
