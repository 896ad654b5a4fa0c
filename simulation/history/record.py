"""``invsim history``: a run's demand written in the formats an analyst's own data comes in (the reference
for those formats, and the basis of the round-trip tests).

``sales.parquet``: walk-in units wanted per store, SKU and day (``day, location, sku, units, channel``),
non-zero rows only. ``orders.parquet``: the online orders customers placed, one row per line (``order_id,
day, hour, zone, channel, sku, units``), in the order they were placed (a replay of the file draws the
same transit times as the run). Walk-in shoppers' orders after an empty shelf (``walk_in_to_online``)
are the policy's doing, not demand, and are left out. ``as_sold``: what a till records instead, units
sold and the stock left on the shelf when the day's walk-in trade is done (``on_hand``), a row for every
store-SKU-day, as a daily stock extract comes (stock a parcel took later that day turned no walk-in
shopper away, so it is not counted against the shelf).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.engine import Observer
from simulation.experiment.results import atomic_write
from simulation.experiment.run import simulate
from simulation.spec import ONLINE_CHANNELS, Scenario


class DemandRecorder(Observer):
    """Records walk-in units wanted (or sold, with the stock left) and the orders placed, day by day."""

    def __init__(self, as_sold: bool = False):
        self.as_sold = as_sold
        self.sales: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []
        self.placed: list[tuple[int, object]] = []
        self._sold_before: np.ndarray | None = None

    def started(self, world, state) -> None:
        self.world = world

    def walk_in_wanted(self, day: int, want: np.ndarray) -> None:
        if not self.as_sold:
            store, sku = np.nonzero(want)
            self.sales.append((day, store, sku, want[store, sku].copy(), None))

    def step_started(self, step: str, day: int, state) -> None:
        if self.as_sold and step == "walk_in":
            self._sold_before = state.today_sold[self.world.store_rows].copy()

    def step_finished(self, step: str, day: int, state) -> None:
        if self.as_sold and step == "walk_in":
            rows = self.world.store_rows
            sold, on_hand = state.today_sold[rows] - self._sold_before, state.on_hand[rows]
            store, sku = np.indices(sold.shape).reshape(2, -1)
            self.sales.append((day, store, sku, sold.ravel(), on_hand.ravel().copy()))

    def orders_placed(self, day: int, placed) -> None:
        self.placed.append((day, placed))

    def sales_frame(self) -> pd.DataFrame:
        w = self.world
        stores = np.array([w.node_ids[r] for r in w.store_rows])
        parts = [pd.DataFrame({"day": np.full(store.size, day, np.int64), "location": stores[store], "sku": w.skus.sku[sku],
                               "units": units.astype(np.int64), **({"on_hand": on_hand.astype(np.int64)} if on_hand is not None else {})})
                 for day, store, sku, units, on_hand in self.sales]
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["day", "location", "sku", "units"])
        frame["channel"] = "walk_in"
        return frame

    def orders_frame(self) -> pd.DataFrame:
        w = self.world
        parts, next_id = [], 0
        for day, p in self.placed:
            order = np.repeat(np.arange(p.size), p.n_lines)
            parts.append(pd.DataFrame({
                "order_id": next_id + order, "day": np.full(order.size, day, np.int64),
                "hour": (p.hour - 24.0 * day)[order],  # exact: 24 * day + this gives the run's hour back, bit for bit
                "zone": np.asarray(w.zone_ids)[p.zone[order]], "channel": np.asarray(ONLINE_CHANNELS)[p.channel[order]],
                "sku": w.skus.sku[p.line_sku], "units": p.line_qty.astype(np.int64)}))
            next_id += p.size
        columns = ["order_id", "day", "hour", "zone", "channel", "sku", "units"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def record_history(scenario: Scenario, seed: int, replication: int = 0, as_sold: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demand of one run of ``scenario`` (sales history and order log), and the run's own result is dropped."""
    recorder = DemandRecorder(as_sold)
    simulate(scenario, seed, replication, observers=[recorder])
    return recorder.sales_frame(), recorder.orders_frame()


def write_history(scenario: Scenario, seed: int, out: str | Path, as_sold: bool = False) -> tuple[Path, Path]:
    """``out/sales.parquet`` and ``out/orders.parquet`` of one run (each written atomically)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sales, orders = record_history(scenario, seed, as_sold=as_sold)
    paths = out / "sales.parquet", out / "orders.parquet"
    for frame, path in zip((sales, orders), paths, strict=True):
        atomic_write(path, lambda tmp, frame=frame: frame.to_parquet(tmp, index=False))
    return paths
