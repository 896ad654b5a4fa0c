"""Where runs execute: in this process, on a local process pool, or on a Dask distributed cluster.

Every run is fixed by its scenario, seed and replication, so results do not depend on the executor or
the number of workers; only the order in which runs finish does, and callers key results by job.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any

from simulation.engine.threads import available_cores


def connect(scheduler: str):
    """A Dask distributed client for a scheduler address such as ``tcp://10.0.0.5:8786``."""
    try:
        from distributed import Client
    except ModuleNotFoundError:  # pragma: no cover - distributed is a dependency
        raise RuntimeError("Dask distributed is not installed: python -m pip install distributed") from None
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:  # nobody answers there: one clear message, not a traceback
        raise ConnectionError(f"could not reach a Dask scheduler there within {CONNECT_TIMEOUT} ({exc})") from None


CONNECT_TIMEOUT = "10s"


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes to pass to :func:`completed` call after call (each one thread)."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_one_thread_per_process)


def _one_thread_per_process() -> None:
    """Runs in local worker processes: the processes already use the cores, so each run keeps to one
    thread (unless the user set ``INVSIM_THREADS``)."""
    os.environ.setdefault("INVSIM_THREADS", "1")


def _on_dask_worker(fn: Callable, item):
    """Runs ``fn(item)`` in a Dask worker's task thread. A worker runs one task per thread at once, so each
    run's engine gets the worker's cores shared among its threads (unless the user set ``INVSIM_THREADS``):
    a `dask worker --nthreads 4` on four cores runs four one-thread runs, not four runs of four threads."""
    if "INVSIM_THREADS" not in os.environ:
        from distributed import get_worker
        os.environ["INVSIM_THREADS"] = str(max(1, available_cores() // get_worker().state.nthreads))
    if os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        _heap_kept_for_reuse()
    return fn(item)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


@functools.cache  # once per process
def _heap_kept_for_reuse() -> None:
    """Undo, in this worker process, what a Dask nanny's ``MALLOC_TRIM_THRESHOLD_`` does to a run (glibc only).

    The nanny sets it (65,536 by default) so a worker hands freed memory back to the OS at once; glibc then also
    stops adapting its mmap threshold, so every array over 128 KiB the engine makes in a day comes as fresh pages
    from the kernel. A ten-day retail.yaml run took 5.6x the page faults (2.9 M against 0.52 M) and 25-60% longer
    (BENCHMARKS.md). The thresholds set here are the highest glibc's own adaptation reaches (32 MiB for mmap, twice
    that for trimming): memory a run frees is reused by the next day's arrays, and anything larger still goes back."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 * 2**20)
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to undo
        pass


def local_workers(workers: int | None, jobs: int) -> int:
    """How many local processes run ``jobs`` runs: ``workers`` (default all cores), at most one per job."""
    return max(1, min(workers or os.cpu_count() or 1, jobs))


def completed(fn: Callable, items: Sequence, workers: int | None = None, client: Any = None) -> Iterator[tuple[int, Any]]:
    """Call ``fn(item)`` for every item; yield ``(index, result)`` as each finishes.

    ``client``: a ``distributed.Client`` (runs go to its cluster; a lost worker's runs are retried
    there), or a local pool from :func:`local_pool`. Otherwise ``workers`` local processes (default: all
    cores; 1 runs in this process).
    """
    if not items:
        return
    if isinstance(client, Executor):  # a local pool kept across calls (a search runs batch after batch)
        futures = {client.submit(fn, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            yield futures[future], future.result()
        return
    if client is not None:
        from distributed import as_completed as dask_completed
        futures = {client.submit(_on_dask_worker, fn, item, pure=False): i for i, item in enumerate(items)}
        for future in dask_completed(futures):
            yield futures[future], future.result()
        return
    workers = local_workers(workers, len(items))
    if workers == 1:
        for i, item in enumerate(items):
            yield i, fn(item)
        return
    with local_pool(workers) as pool:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
