"""A recorded history driving a run (``demand.trace``): walk-in units per store, SKU and day, and online
orders as placed, in place of the model's draws.

``exact`` replays day d of the run from day d of the history; ``block_bootstrap`` gives each replication
its own sequence of whole blocks of days drawn from the history (stream ``bootstrap``), each block
starting on the weekday of the run's day it fills, so the weekday pattern is kept and replications vary
in demand. The files are read and checked once per process (a sweep's replications share them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.scenario import DataError, Scenario
from simulation.world.history_files import History
from simulation.world.network import World
from simulation.world.order_file import read_orders
from simulation.world.sales_file import read_sales

_READ: dict[tuple, tuple] = {}  # (field, path, mtime, size, ids) -> (History, arrays): one history per process


@dataclass(frozen=True)
class PlacedOrders:
    """One day's online orders as customers placed them (drawn, or read from an order log), in that order:
    what a history records and a replay feeds back. Order o has ``n_lines[o]`` lines, which follow those of
    order o - 1 in ``line_sku`` and ``line_qty``."""

    zone: np.ndarray      # index into the world's zones
    channel: np.ndarray   # index into ONLINE_CHANNELS
    hour: np.ndarray      # absolute hour of placing (24 * day + hour of day)
    n_lines: np.ndarray
    line_sku: np.ndarray  # index into the world's SKUs
    line_qty: np.ndarray

    @property
    def size(self) -> int:
        return int(self.zone.size)


def _cached(field: str, path: str, ids: tuple, read):
    stat = Path(path).stat() if Path(path).is_file() else None
    if stat is None:
        raise DataError([f"{field}: no such file {path!r}"])
    key = (field, path, stat.st_mtime_ns, stat.st_size, ids)
    if key not in _READ:
        if len(_READ) >= 4:
            _READ.clear()
        _READ[key] = read()
    return _READ[key]


def _positions(values) -> np.ndarray:
    return values.cat.codes.to_numpy(np.int64)


def _by_day(day: np.ndarray, days: int) -> np.ndarray:
    """Row ranges per day of rows sorted by day: day d is rows start[d]:start[d + 1]."""
    return np.searchsorted(day, np.arange(days + 1), side="left")


@dataclass(frozen=True)
class _Sales:
    start: np.ndarray
    store: np.ndarray  # position in world.store_rows
    sku: np.ndarray
    units: np.ndarray


@dataclass(frozen=True)
class _Orders:
    start: np.ndarray        # order ranges per day
    zone: np.ndarray
    channel: np.ndarray
    hour: np.ndarray         # hour of day
    line_start: np.ndarray   # line ranges per order
    line_sku: np.ndarray
    line_qty: np.ndarray


def _load_sales(path: str, world: World) -> tuple[History, _Sales]:
    stores = [world.node_ids[r] for r in world.store_rows]
    history = read_sales(path, "demand.trace.sales", locations=stores, skus=list(world.skus.sku))
    walk_in = history.frame[history.frame["channel"] == "walk_in"]
    day = walk_in["day"].to_numpy(np.int64)
    # read against the world's id lists, the categoricals' codes are the world's positions
    return history, _Sales(_by_day(day, history.days), _positions(walk_in["location"]), _positions(walk_in["sku"]),
                           walk_in["units"].to_numpy(np.int64))


def _load_orders(path: str, world: World) -> tuple[History, _Orders]:
    history = read_orders(path, "demand.trace.orders", zones=list(world.zone_ids), skus=list(world.skus.sku))
    f = history.frame
    ids = f["order"].to_numpy(np.int64)
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    day = f["day"].to_numpy(np.int64)[first]
    return history, _Orders(_by_day(day, history.days), _positions(f["zone"])[first], _positions(f["channel"])[first],
                            f["hour"].to_numpy(float)[first], np.r_[first, len(f)].astype(np.int64), _positions(f["sku"]),
                            f["units"].to_numpy(np.int64))


class Replay:
    """The history a run replays, for one replication: walk-in units wanted and orders placed, by run day."""

    def __init__(self, sales: tuple[History, _Sales] | None, orders: tuple[History, _Orders] | None, source_day: np.ndarray):
        self.sales, self.orders_ = (sales[1] if sales else None), (orders[1] if orders else None)
        self.source_day = source_day

    @property
    def has_sales(self) -> bool:
        return self.sales is not None

    @property
    def has_orders(self) -> bool:
        return self.orders_ is not None

    def walk_in(self, day: int, want: np.ndarray) -> None:
        """Write run day ``day``'s walk-in units wanted into ``want`` [store, SKU]."""
        s, d = self.sales, self.source_day[day]
        want[:] = 0
        rows = slice(s.start[d], s.start[d + 1])
        want[s.store[rows], s.sku[rows]] = s.units[rows]

    def orders(self, day: int):
        """Run day ``day``'s orders as placed (``PlacedOrders``), in the history's row order."""
        o, d = self.orders_, self.source_day[day]
        first, last = o.start[d], o.start[d + 1]
        lines = slice(o.line_start[first], o.line_start[last])
        return PlacedOrders(zone=o.zone[first:last], channel=o.channel[first:last], hour=24.0 * day + o.hour[first:last],
                            n_lines=np.diff(o.line_start[first:last + 1]), line_sku=o.line_sku[lines], line_qty=o.line_qty[lines])


def block_days(days: int, horizon: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """The history day each run day replays under a block bootstrap: blocks of ``block`` days, each
    starting at a history day of the same weekday as the run day it fills (day 0 of both is day 0 of a week).

    >>> d = block_days(28, 21, 7, np.random.default_rng(0))
    >>> bool(((d % 7) == (np.arange(21) % 7)).all()), bool((d < 28).all())
    (True, True)
    """
    out = np.empty(horizon, np.int64)
    for start in range(0, horizon, block):
        length = min(block, horizon - start)
        choices = np.arange(start % 7, days - length + 1, 7)
        if choices.size == 0:
            choices = np.arange(0, days - length + 1)
        out[start:start + length] = rng.choice(choices) + np.arange(length)
    return out


def replay(scenario: Scenario, world: World, horizon: int, rng: np.random.Generator) -> Replay:
    """The scenario's ``demand.trace`` for one run: the files (checked against the world's stores, zones and
    SKUs) and which history day each run day replays (``rng``: the run's 'bootstrap' stream)."""
    trace = scenario.demand.trace
    sales = (_cached("demand.trace.sales", trace.sales, (tuple(world.store_rows), world.skus.size),
                     lambda: _load_sales(trace.sales, world)) if trace.sales else None)
    orders = (_cached("demand.trace.orders", trace.orders, (len(world.zone_ids), world.skus.size),
                      lambda: _load_orders(trace.orders, world)) if trace.orders else None)
    days = min(h[0].days for h in (sales, orders) if h is not None)
    if trace.mode == "exact":
        if horizon > days:
            raise DataError([f"run.horizon_days: {horizon}, but demand.trace covers {days} day(s) (replay at most that, or "
                             "use mode: block_bootstrap)"])
        return Replay(sales, orders, np.arange(horizon))
    if days < trace.block_days:
        raise DataError([f"demand.trace.block_days: {trace.block_days}, but the history covers {days} day(s)"])
    return Replay(sales, orders, block_days(days, horizon, trace.block_days, rng))
