"""Checks before a run allocates anything big: will it fit in memory, and do its numbers fit the
engine's 64-bit integer counts? Both end in a ScenarioError naming the field to change, instead of a
MemoryError (or a machine swapping to a halt) or silently wrapped integers hours later.

The memory estimate is calibrated on BENCHMARKS.md's measurements (and errs high): a fixed ~420 MiB
(interpreter, libraries, compiled kernels), 210 bytes per stock row and SKU, and ~2 KB per online order
while it sits in the order book (``max_wait_days`` + 1 days, at most the horizon).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from simulation.scenario import CENTRAL_WAREHOUSE, ONLINE_CHANNELS, Scenario, ScenarioError, UsageError
from simulation.world.catalog import SkuTable, build_catalog

BASE_BYTES = 420 << 20
BYTES_PER_NODE_SKU = 210
BYTES_PER_BOOKED_ORDER = 2_000
BYTES_PER_SAMPLED_ORDER = 300
MAX_DAILY_UNITS = 1e9  # expected units a day at one node for one SKU: stock counts stay far inside int64
NODE_SKU_DAYS_PER_SECOND = 5e6  # one run's speed, measured on the city (BENCHMARKS.md: 5.27 M on 2 cores)
RUN_OVERHEAD_SECONDS = 0.3      # what a run costs however small (BENCHMARKS.md: tiny, 42,000 node-SKU-days, 0.3 s)
MAX_SWEEP_RUNS = 10_000  # a sweep larger than this is refused unless forced: it is a typo more often than a plan


def estimate_seconds(sc: Scenario) -> float:
    """Wall seconds one run of ``sc`` takes at the benchmark's speed: a fixed cost plus its node-SKU-days
    (a rough guide: online orders cost more per node-SKU-day on small catalogs)."""
    return RUN_OVERHEAD_SECONDS + stock_rows(sc) * demand_size(sc)[0] * sc.run.horizon_days / NODE_SKU_DAYS_PER_SECOND


def check_sweep_size(sc: Scenario, points: int, replications: int, workers: int) -> None:
    """Refuse a sweep of more than MAX_SWEEP_RUNS runs before any point is built or validated, with its
    size and estimated time (``force`` skips this)."""
    runs = points * replications
    if runs <= MAX_SWEEP_RUNS:
        return
    hours = runs * estimate_seconds(sc) / max(workers, 1) / 3600
    raise UsageError([f"sweep: {points:,} grid points x {replications:,} replications = {runs:,} runs, about "
                         f"{_duration(hours)} on {workers} worker(s) at the benchmark's speed; more than {MAX_SWEEP_RUNS:,} "
                         "runs is refused: narrow the grid, or pass force=True to run it"])


def _duration(hours: float) -> str:
    """
    >>> _duration(0.5), _duration(30), _duration(24 * 900)
    ('30 minutes', '30 hours', '2.5 years')
    """
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    if hours < 72:
        return f"{hours:.0f} hours"
    days = hours / 24
    return f"{days:,.0f} days" if days < 365 else f"{days / 365:,.1f} years"


def stock_rows(sc: Scenario) -> int:
    """Rows of the node x SKU arrays: one per node, plus split mode's online row per central warehouse
    (an upper bound: only a warehouse that both sells online and supplies stores gets one)."""
    extra = sum(n.type == CENTRAL_WAREHOUSE for n in sc.network.nodes) if sc.policies.inventory_mode == "split" else 0
    return len(sc.network.nodes) + extra


def demand_size(sc: Scenario, table: SkuTable | None = None) -> tuple[int, float]:
    """SKUs and their daily units at demand scale 1: from the spec of a generated catalog (before it is
    built), else from the loaded table."""
    if table is None:
        return sc.catalog.skus, sc.catalog.skus * sc.catalog.mean_daily_units
    return table.size, float(table.rate.sum())


def estimate_parts(sc: Scenario, skus: int, units_per_day: float) -> dict[str, float]:
    """Peak memory of one run of ``sc`` with ``skus`` SKUs selling ``units_per_day`` at demand scale 1, in
    bytes, by part: the fixed base, the node x SKU arrays, and the online orders (book and sample)."""
    online = sc.demand.online
    orders_per_day = sum(z.demand_scale for z in sc.network.zones) * units_per_day / (
        online.basket_lines_mean * online.units_per_line_mean) * max(sc.demand.weekday)
    book_days = min(sc.run.horizon_days, 1 + max((getattr(sc.channels, c).max_wait_days
                                                  if getattr(sc.channels, c).unfilled == "backorder" else 0)
                                                 for c in ONLINE_CHANNELS))  # an order stays max_wait_days + 1 days
    sample = min(sc.run.order_sample, orders_per_day * sc.run.horizon_days)
    return {"base": BASE_BYTES, "stock": BYTES_PER_NODE_SKU * stock_rows(sc) * skus,
            "orders": BYTES_PER_BOOKED_ORDER * orders_per_day * book_days + BYTES_PER_SAMPLED_ORDER * sample}


def _total(parts: dict[str, float]) -> int:
    total = sum(parts.values())
    return int(min(total, 2**62)) if math.isfinite(total) else 2**62


def estimate_bytes(sc: Scenario, skus: int, units_per_day: float) -> int:
    return _total(estimate_parts(sc, skus, units_per_day))


def available_bytes() -> int | None:
    """Memory this process may still use: the smaller of the machine's available memory and a cgroup
    (container) limit; None where neither can be read."""
    limits = []
    try:
        limits += [int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemAvailable:")]
    except OSError:
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            limits.append(int(text) - used)
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_size(sc: Scenario, table: SkuTable | None = None) -> None:
    """Refuse a run whose estimated peak memory exceeds what is available (``force`` skips this). Blames
    the catalog's size, which both the stock arrays and the order volume grow with."""
    skus, units_per_day = demand_size(sc, table)
    parts, have = estimate_parts(sc, skus, units_per_day), available_bytes()
    need = _total(parts)
    if have is None or need <= have:
        return
    field = "catalog.file" if sc.catalog.file else "catalog.skus"
    raise ScenarioError([f"{field}: this run needs about {_gib(need)} of memory (estimated: {_gib(parts['stock'])} for "
                         f"{stock_rows(sc):,} stock rows x {skus:,} SKUs, {_gib(parts['orders'])} for the online orders "
                         f"waiting in the book), but {_gib(have)} is available; run fewer SKUs, nodes or online orders, "
                         "or pass force=True to try anyway"])


def check_magnitudes(sc: Scenario, fastest: float) -> None:
    """Refuse demand so large that stock counts could overflow 64-bit integers, or that is not finite.
    ``fastest``: the fastest SKU's daily units at demand scale 1 (before a catalog is generated, its mean
    is a lower bound)."""
    scale = max([n.demand_scale for n in sc.network.nodes] + [sum(z.demand_scale for z in sc.network.zones), 1e-300])
    boost = max([1.0, *(p.lift for p in sc.demand.promotions), *(s.demand_factor for s in sc.demand.shocks)]) * max(sc.demand.weekday)
    with np.errstate(over="ignore", invalid="ignore"):
        peak = float(fastest) * scale * boost
    if not math.isfinite(peak) or peak > MAX_DAILY_UNITS:
        field = "catalog.file" if sc.catalog.file else "catalog.mean_daily_units"
        raise ScenarioError([f"{field}: the fastest SKU would sell about {peak:.3g} units a day at one node (with demand "
                             f"scales, promotions and shocks); stock is counted in 64-bit integers, so keep it under "
                             f"{MAX_DAILY_UNITS:.0e} (check catalog.mean_daily_units, catalog.popularity and the "
                             "demand_scale of nodes and zones)"])


def scenario_bytes(sc: Scenario) -> int:
    """:func:`estimate_bytes` of a scenario (a catalog file is read for its size)."""
    return estimate_bytes(sc, *demand_size(sc, None if sc.catalog.file is None else build_catalog(sc.catalog)))


def check_pool(scenarios: list[Scenario], runs_at_once: int) -> None:
    """Refuse a local pool whose simultaneous runs would together exceed the memory available (each run
    alone is checked when it starts); says how many workers would fit."""
    have = available_bytes()
    if runs_at_once <= 1 or have is None:
        return
    largest = max(scenario_bytes(sc) for sc in scenarios)
    if largest * runs_at_once > have:
        fits = max(1, int(have // largest))
        raise UsageError([f"workers: {runs_at_once} runs at once need about {_gib(largest * runs_at_once)} of memory "
                             f"(estimated, {_gib(largest)} each), but {_gib(have)} is available; use workers={fits}, or "
                          "pass force=True to try anyway"])
