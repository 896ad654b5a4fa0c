"""Online baskets: the SKU each order line takes, and a day's lines put in their orders' arrival order."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def line_skus(key, group, cdf):
    """The SKU of each order line: in row ``group[j]`` of the cumulative weights ``cdf[group, SKU]``, the first SKU
    whose cumulative weight exceeds ``key[j]`` (a uniform times the row's total; ``numpy.searchsorted`` with
    ``side="right"``), at most the last SKU.

    A guide table per row (the answer at each of ``SKU`` evenly spaced keys) starts each search a step or two
    short of its answer, so a line costs a few comparisons instead of a binary search's cache misses; a start
    past the answer (a key rounded into the next bucket) falls back to the binary search, so the answer is exact.
    """
    n_rows, n_skus = cdf.shape
    guide = np.empty((n_rows, n_skus), np.int64)
    for g in range(n_rows):
        row, i = cdf[g], 0
        step = row[-1] / n_skus
        for b in range(n_skus):
            while i < n_skus and row[i] <= b * step:
                i += 1
            guide[g, b] = i
    out = np.empty(key.size, np.int64)
    for j in range(key.size):
        g, x = group[j], key[j]
        row = cdf[g]
        b = min(int(x / row[-1] * n_skus), n_skus - 1) if row[-1] > 0.0 else 0
        i = guide[g, b]
        if i > 0 and row[i - 1] > x:  # the start overshot: search the whole row
            i = _first_above(row, x)
        while i < n_skus and row[i] <= x:
            i += 1
        out[j] = min(i, n_skus - 1)
    return out


@njit(cache=True, inline="always")
def _first_above(row, x):
    lo, hi = 0, row.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if row[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def lines_in_order(n_lines, order):
    """Orders taken in ``order`` (a permutation of order positions), each order's lines kept together: returns
    (the position of each line in the placed lines, its order's new position). Order ``o``'s placed lines are the
    ``n_lines[o]`` after those of orders ``0 .. o - 1``."""
    first = np.empty(n_lines.size, np.int64)
    total = 0
    for o in range(n_lines.size):
        first[o] = total
        total += n_lines[o]
    perm, line_order = np.empty(total, np.int64), np.empty(total, np.int64)
    j = 0
    for new in range(order.size):
        o = order[new]
        for i in range(n_lines[o]):
            perm[j] = first[o] + i
            line_order[j] = new
            j += 1
    return perm, line_order
