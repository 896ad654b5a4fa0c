"""Online-order KPIs gathered as orders settle, so a run keeps no per-order history.

An order settles once none of its lines can still ship: ``max_wait_days + 1`` days after it was
placed. The engine hands each day's settled orders to :class:`OrderStats`, which adds them to sums
per (channel, serving node type) cell, to a one-minute histogram of delivery hours per cell, and to a
uniform sample of orders kept for ``RunResult.orders`` (bottom-k on random keys, so the sample is
exactly uniform without knowing the total in advance). Memory is fixed, whatever the order volume.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import kernels
from simulation.engine.observers import Observer
from simulation.engine.orders import ORDER_COLUMNS
from simulation.scenario import NODE_TYPES, ONLINE_CHANNELS, TIERS
from simulation.world.promises import order_promise_hours

TIER_CODES = {t: i for i, t in enumerate(TIERS)}
N_TYPES = len(NODE_TYPES)
N_CELLS = len(ONLINE_CHANNELS) * N_TYPES
BINS_PER_HOUR = 60                   # delivery-time quantiles are exact to half a minute
HISTOGRAM_HOURS = 30 * 24            # longer (or never) deliveries are kept exactly, one by one
# The sums kernels.settle_sums fills, by name: over orders placed after warm-up, and over those resolved.
COUNTS, RESOLVED = kernels.SETTLE_COUNTS, kernels.SETTLE_RESOLVED


def derived(columns: dict[str, np.ndarray], world) -> dict[str, np.ndarray]:
    """Per-order columns computed from the order book's: day, promise, SLA and durations."""
    zone, channel = columns["zone"], columns["channel"]
    return {
        "node_type": world.node_type[columns["node"]],
        "created_day": (columns["created_hour"] // 24).astype(np.int64),
        "promise_hours": order_promise_hours(world, zone, channel, columns["node"], columns["created_hour"]),
        "sla_hours": world.channel_sla[channel],
        "delivery_hours": columns["delivered_hour"] - columns["created_hour"],
        "dispatch_hours": columns["dispatch_hour"] - columns["created_hour"],
    }


class OrderStats(Observer):
    """Running sums, delivery-time histograms and a uniform sample of settled orders (an observer: the
    engine hands it each day's settled orders)."""

    def __init__(self, world, warmup: int, sample_size: int, rng: np.random.Generator):
        self.world, self.warmup = world, warmup
        self._sums = np.zeros((len(kernels.SETTLE_SUMS), N_CELLS))
        self.sums = dict(zip(kernels.SETTLE_SUMS, self._sums, strict=True))  # views: one row per sum
        self.histogram = np.zeros((N_CELLS, HISTOGRAM_HOURS * BINS_PER_HOUR), np.int64)
        self.long_hours: list[tuple[np.ndarray, np.ndarray]] = []  # (cell, hours) past the histogram
        # Each shock with zones: the orders its zones place while it lasts, per online channel (cell
        # shock x channel), so its delivery tail is its own and not the year's.
        self.shocks = [(shock.name, np.isin(world.zone_ids, shock.zones), shock.start_day, shock.end_day)
                       for shock in world.calendar.shocks if shock.zones]
        n_event = len(self.shocks) * len(ONLINE_CHANNELS)
        self._event_sums = np.zeros((len(kernels.SETTLE_SUMS), n_event))
        self.event_sums = dict(zip(kernels.SETTLE_SUMS, self._event_sums, strict=True))
        self.event_histogram = np.zeros((n_event, HISTOGRAM_HOURS * BINS_PER_HOUR if n_event else 0), np.int64)
        self.event_long_hours: list[tuple[np.ndarray, np.ndarray]] = []
        self.sample_size, self._rng = sample_size, rng
        self._kept: list[dict[str, np.ndarray]] = []
        self._kept_rows = 0
        self._threshold = np.inf  # keys at or above this can no longer enter the sample

    def orders_settled(self, columns: dict[str, np.ndarray], first_id: int) -> None:
        """Take the settled orders ``columns`` (order book columns), whose ids start at ``first_id``."""
        n = columns["zone"].size
        if n == 0:
            return
        extra = derived(columns, self.world)
        self._sample({"order_id": np.arange(first_id, first_id + n), **columns}, n)
        cell = columns["channel"] * N_TYPES + extra["node_type"]
        long = kernels.settle_sums(cell=cell, measured=extra["created_day"] >= self.warmup, units=columns["units"],
                                   units_first=columns["units_first"], lines=columns["lines"], lines_first=columns["lines_first"],
                                   lost_units=columns["lost_units"], record_failures=columns["record_failures"],
                                   shipments=columns["shipments"], last_mile_cost=columns["last_mile_cost"],
                                   fulfilment_cost=columns["fulfilment_cost"], open_lines=columns["open_lines"],
                                   lost_lines=columns["lost_lines"], delivery_hours=extra["delivery_hours"],
                                   promise_hours=extra["promise_hours"], dispatch_hours=extra["dispatch_hours"],
                                   sla_hours=extra["sla_hours"], sums=self._sums, histogram=self.histogram, bins_per_hour=BINS_PER_HOUR)
        if long.size:
            self.long_hours.append((cell[long], extra["delivery_hours"][long]))
        for i, (_, zones, start, end) in enumerate(self.shocks):
            day = extra["created_day"]
            during = (day >= self.warmup) & (day >= start) & (day < end) & zones[columns["zone"]]
            if not during.any():
                continue
            cell = i * len(ONLINE_CHANNELS) + columns["channel"]
            long = kernels.settle_sums(cell=cell, measured=during, units=columns["units"], units_first=columns["units_first"],
                                       lines=columns["lines"], lines_first=columns["lines_first"], lost_units=columns["lost_units"],
                                       record_failures=columns["record_failures"], shipments=columns["shipments"],
                                       last_mile_cost=columns["last_mile_cost"], fulfilment_cost=columns["fulfilment_cost"],
                                       open_lines=columns["open_lines"], lost_lines=columns["lost_lines"],
                                       delivery_hours=extra["delivery_hours"], promise_hours=extra["promise_hours"],
                                       dispatch_hours=extra["dispatch_hours"], sla_hours=extra["sla_hours"], sums=self._event_sums,
                                       histogram=self.event_histogram, bins_per_hour=BINS_PER_HOUR)
            if long.size:
                self.event_long_hours.append((cell[long], extra["delivery_hours"][long]))

    def _sample(self, rows: dict[str, np.ndarray], n: int) -> None:
        """Bottom-k: every order draws a uniform key; the sample is the ``sample_size`` smallest keys."""
        key = self._rng.random(n)  # drawn for every settled order, so the sample depends on nothing else
        take = key < self._threshold
        if self.sample_size == 0 or not take.any():
            return
        everyone = take.all()  # the rows are this batch's own copies: no need to copy them again
        self._kept.append({"key": key, **rows} if everyone else {"key": key[take], **{name: v[take] for name, v in rows.items()}})
        self._kept_rows += int(take.sum())
        if self._kept_rows >= 2 * self.sample_size:
            self._shrink()

    def _shrink(self) -> None:
        rows = {name: np.concatenate([part[name] for part in self._kept]) for name in self._kept[0]}
        if rows["key"].size > self.sample_size:
            keep = np.argpartition(rows["key"], self.sample_size - 1)[: self.sample_size]
            self._threshold = rows["key"][keep].max()
            rows = {name: v[keep] for name, v in rows.items()}
        self._kept, self._kept_rows = [rows], rows["key"].size

    # ------------------------------------------------------------------------------------ results
    def sample_frame(self) -> pd.DataFrame:
        """The kept orders, in order of arrival, one row each (``RunResult.orders``)."""
        if self._kept:
            self._shrink()
            rows = self._kept[0]
            order = np.argsort(rows["order_id"])
            rows = {name: v[order] for name, v in rows.items() if name != "key"}
        else:
            rows = {name: np.empty(0, dtype) for name, dtype in {"order_id": np.int64, **ORDER_COLUMNS}.items()}
        return orders_frame(rows, self.world)

    def cell_frame(self, names: tuple[str, ...]) -> pd.DataFrame:
        """The sums ``names`` per (channel, node_type) cell that saw any measured order."""
        seen = self.sums["orders"] > 0
        cells = np.flatnonzero(seen)
        frame = pd.DataFrame({"channel": [ONLINE_CHANNELS[c // N_TYPES] for c in cells],
                              "node_type": [NODE_TYPES[c % N_TYPES] for c in cells]})
        for name in names:
            frame[name] = self.sums[name][cells]
        return frame

    def quantile(self, cells: np.ndarray, q: float) -> float:
        """The q-quantile of delivery hours over ``cells`` (see :func:`histogram_quantile`)."""
        return histogram_quantile(self.histogram, self.long_hours, cells, q)

    def event_quantile(self, cells: np.ndarray, q: float) -> float:
        """The q-quantile of delivery hours over shock ``cells`` (shock x channel)."""
        return histogram_quantile(self.event_histogram, self.event_long_hours, cells, q)


def histogram_quantile(histogram: np.ndarray, long_hours: list, cells: np.ndarray, q: float) -> float:
    """The q-quantile of delivery hours over ``cells`` of a one-minute ``histogram`` plus the hours past it
    (pandas' linear interpolation between order statistics, each order statistic read as the middle of its
    one-minute bin, or exactly past the histogram)."""
    counts = histogram[cells].sum(axis=0)
    long = np.sort(np.concatenate([h[np.isin(c, cells)] for c, h in long_hours])) if long_hours else np.empty(0)
    n = int(counts.sum()) + long.size
    position = (n - 1) * q
    below, above = int(np.floor(position)), int(np.ceil(position))
    cumulative = np.cumsum(counts)

    def order_statistic(i: int) -> float:
        if i < cumulative[-1]:
            return (np.searchsorted(cumulative, i, side="right") + 0.5) / BINS_PER_HOUR
        return float(long[i - cumulative[-1]])

    lo, hi = order_statistic(below), order_statistic(above)
    return lo + (position - below) * (hi - lo) if hi != lo else lo


def orders_frame(rows: dict[str, np.ndarray], world) -> pd.DataFrame:
    """One row per online order: when, where from, what was filled and when it was delivered."""
    zone, node, channel = rows["zone"], rows["node"], rows["channel"]
    frame = pd.DataFrame({name: values for name, values in rows.items() if name not in ("zone", "node", "channel")})
    frame.insert(0, "zone", pd.Categorical.from_codes(zone, world.zone_ids) if world.zone_ids else pd.Categorical([]))
    frame.insert(1, "tier", pd.Categorical.from_codes(
        np.array([TIER_CODES[t] for t in world.zone_tier], np.int64)[zone] if zone.size else zone, [str(t) for t in TIERS]))
    frame.insert(2, "channel", pd.Categorical.from_codes(channel, ONLINE_CHANNELS))
    frame.insert(3, "node", pd.Categorical.from_codes(node, world.node_ids))
    frame.insert(4, "node_type", pd.Categorical.from_codes(world.node_type[node], NODE_TYPES))
    for name, values in derived(rows, world).items():
        if name != "node_type":
            frame[name] = values
    return frame
