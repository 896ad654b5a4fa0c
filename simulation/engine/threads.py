"""Threads for the per-store and per-SKU-block kernels (numba, GIL released).

Work is split into fixed blocks whose results do not depend on which thread ran them (each store
draws from its own random stream), so a run gives identical results on any number of threads.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np

MIN_PARALLEL_CELLS = 500_000  # node-SKU cells below which a kernel runs on the calling thread


def default_threads() -> int:
    """``INVSIM_THREADS`` if set, else the cores this process may use."""
    value = os.environ.get("INVSIM_THREADS")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"INVSIM_THREADS: must be a whole number >= 1, got {value!r}")
        return int(value)
    return available_cores()


def available_cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class Blocks:
    """Runs ``fn(block)`` over ``n`` items cut into one contiguous block (a ``slice``) per thread."""

    def __init__(self, threads: int):
        self.threads = max(1, int(threads))
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="invsim") if self.threads > 1 else None

    def map(self, fn, n: int, cells: int | None = None) -> list:
        """``fn`` over the blocks, on the pool when the work (``cells``, default ``n``) is worth a
        thread hand-off (about 0.1 ms), else in one block on this thread."""
        if (n if cells is None else cells) < MIN_PARALLEL_CELLS:
            return [fn(slice(0, n))] if n else []
        return self.start(fn, n)()

    def start(self, fn, n: int):
        """Start ``fn`` over one block per thread on the pool and return a function that waits for (and
        returns) the results; with one thread, everything runs when that function is called."""
        edges = np.linspace(0, n, self.threads + 1).round().astype(int)
        blocks = [slice(int(a), int(b)) for a, b in pairwise(edges) if b > a]
        if self._pool is None:
            return lambda: [fn(b) for b in blocks]
        futures = [self._pool.submit(fn, b) for b in blocks]
        return lambda: [f.result() for f in futures]

    def share(self, fn, n: int):
        """Start ``fn(i)`` for items ``i`` in 0..n-1 on all threads but one and return ``finish``: the caller
        does its own work meanwhile, then calls ``finish()``, which takes the items still left on the calling
        thread and waits for the rest. Items go one at a time to whichever thread is free, so the caller's work
        and the items share the cores however long each takes (the results must not depend on which thread
        ran an item)."""
        items, lock = iter(range(n)), threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    i = next(items, None)
                if i is None:
                    return
                fn(i)
        helpers = [self._pool.submit(work) for _ in range(self.threads - 1)] if self._pool is not None else []

        def finish() -> None:
            work()
            for helper in helpers:
                helper.result()
        return finish

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
