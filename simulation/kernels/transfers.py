"""Lateral transfers: matching excess at donors to need at receivers."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Matched(NamedTuple):
    """Moves matched SKU by SKU: one entry per (donor, receiver, SKU)."""

    donor: np.ndarray
    receiver: np.ndarray
    sku: np.ndarray
    units: np.ndarray


@njit(cache=True)
def match_transfers(excess, need):
    """Match donors' excess units to receivers' needs, SKU by SKU: the receiver with the largest need
    first takes from the donor with the largest excess first (ties: lower row first), until either
    side runs out. Returns the moves (:class:`Matched`; rows of ``excess`` and ``need``)."""
    n_donors, k_count = excess.shape
    n_receivers = need.shape[0]
    size = (n_donors + n_receivers) * k_count
    donor_out = np.empty(size, np.int64)
    receiver_out = np.empty(size, np.int64)
    sku_out = np.empty(size, np.int64)
    qty_out = np.empty(size, np.int64)
    n = 0
    for k in range(k_count):
        give = excess[:, k].copy()
        take = need[:, k].copy()
        if give.sum() == 0 or take.sum() == 0:
            continue
        donors = np.argsort(-give, kind="mergesort")
        receivers = np.argsort(-take, kind="mergesort")
        d = 0
        for r in receivers:
            while take[r] > 0 and d < n_donors and give[donors[d]] > 0:
                moved = min(take[r], give[donors[d]])
                donor_out[n], receiver_out[n], sku_out[n], qty_out[n] = donors[d], r, k, moved
                n += 1
                take[r] -= moved
                give[donors[d]] -= moved
                if give[donors[d]] == 0:
                    d += 1
            if d >= n_donors or give[donors[d]] == 0:
                break
    return Matched(donor_out[:n], receiver_out[:n], sku_out[:n], qty_out[:n])
