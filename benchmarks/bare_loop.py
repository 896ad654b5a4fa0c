"""The bare-loop bound: the simplest single-echelon model as one numba loop, no engine around it.

Each store-SKU sees Poisson demand (drawn by inverting its cdf, one uniform a day, as the engine draws),
lost sales, a daily (s, S) review and a fixed lead time; that is all. What it runs per second is about
the most any engine can run per node-SKU-day on this machine with every mechanism switched off, so the
engine's own figure reads against it (the engine does much more per cell: several channels, orders,
records, forecasts).
"""

from __future__ import annotations

import math
import threading
import time
from itertools import pairwise

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def single_echelon(first: int, stop: int, days: int, mean: float, s: int, S: int, lead: int, seed: int) -> float:
    """Store-SKUs ``first`` to ``stop - 1`` for ``days`` days; returns their fill rate's numerator over its
    denominator summed (units sold, units wanted) as sold / wanted."""
    np.random.seed(seed + first)
    p0 = math.exp(-mean)
    sold = wanted = 0
    pipeline = np.zeros(lead + 1, np.int64)
    for _ in range(first, stop):
        on_hand, on_order = S, 0
        pipeline[:] = 0
        for day in range(days):
            slot = day % (lead + 1)
            on_hand += pipeline[slot]
            on_order -= pipeline[slot]
            pipeline[slot] = 0
            u, k, p = np.random.random(), 0, p0
            cdf = p
            while u > cdf:
                k += 1
                p *= mean / k
                cdf += p
            take = min(k, on_hand)
            on_hand -= take
            sold += take
            wanted += k
            if on_hand + on_order <= s:
                order = S - on_hand - on_order
                pipeline[(day + lead) % (lead + 1)] += order
                on_order += order
    return sold / max(wanted, 1)


def measure(cells: int = 200_000, days: int = 365, threads: int = 1, mean: float = 1.0, s: int = 2, S: int = 6,
            lead: int = 2) -> dict:
    """Cell-days per second of :func:`single_echelon` over ``cells`` store-SKUs, on ``threads`` threads
    (blocks of store-SKUs; the loop releases the GIL)."""
    single_echelon(0, 10, 10, mean, s, S, lead, 1)  # compiled (or loaded from the cache) before the clock starts
    edges = np.linspace(0, cells, threads + 1).astype(int)
    workers = [threading.Thread(target=single_echelon, args=(int(a), int(b), days, mean, s, S, lead, 1))
               for a, b in pairwise(edges)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    return {"cells": cells, "days": days, "threads": threads, "wall_seconds": wall, "cell_days_per_second": cells * days / wall}


if __name__ == "__main__":
    for t in (1, 2):
        r = measure(threads=t)
        print(f"{t} thread(s): {r['cell_days_per_second'] / 1e6:.1f} M store-SKU-days/s ({r['wall_seconds']:.2f} s)")
