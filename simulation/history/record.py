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
from simulation.experiment.run import simulate
from simulation.scenario import ONLINE_CHANNELS, Scenario


class DemandRecorder(Observer):
    """Records walk-in units wanted (or sold, with the stock left) and the orders placed, day by day, as Arrow
    tables handed to ``sink(name, table)`` (``name``: "sales" or "orders"), so a retail year streams to disk
    instead of piling up in memory. Ids are dictionary-encoded: a row costs its integers, not its strings."""

    def __init__(self, sink, as_sold: bool = False):
        self.sink, self.as_sold = sink, as_sold
        self._sold_before: np.ndarray | None = None
        self._next_order = 0

    def started(self, world, state) -> None:
        import pyarrow as pa

        self.world = world
        self.stores = pa.array([world.node_ids[r] for r in world.store_rows])
        self.skus, self.zones = pa.array(list(world.skus.sku)), pa.array(list(world.zone_ids))
        self.walk_in_channel, self.channels = pa.array(["walk_in"]), pa.array(list(ONLINE_CHANNELS))

    def _ids(self, codes: np.ndarray, values):
        import pyarrow as pa

        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), values)

    def _sales(self, day: int, store: np.ndarray, sku: np.ndarray, units: np.ndarray, on_hand: np.ndarray | None) -> None:
        import pyarrow as pa

        columns = {"day": pa.array(np.full(store.size, day, np.int32)), "location": self._ids(store, self.stores),
                   "sku": self._ids(sku, self.skus), "units": pa.array(units.astype(np.int64))}
        if on_hand is not None:
            columns["on_hand"] = pa.array(on_hand.astype(np.int64))
        columns["channel"] = self._ids(np.zeros(store.size, np.int32), self.walk_in_channel)
        self.sink("sales", pa.table(columns))

    def walk_in_wanted(self, day: int, want: np.ndarray) -> None:
        if not self.as_sold:
            store, sku = np.nonzero(want)
            self._sales(day, store, sku, want[store, sku], None)

    def step_started(self, step: str, day: int, state) -> None:
        if self.as_sold and step == "walk_in":
            self._sold_before = state.today_sold[self.world.store_rows].copy()

    def step_finished(self, step: str, day: int, state) -> None:
        if self.as_sold and step == "walk_in":
            rows = self.world.store_rows
            sold, on_hand = state.today_sold[rows] - self._sold_before, state.on_hand[rows]
            store, sku = np.indices(sold.shape).reshape(2, -1)
            self._sales(day, store, sku, sold.ravel(), on_hand.ravel())

    def online_orders_placed(self, day: int, placed) -> None:
        import pyarrow as pa

        order = np.repeat(np.arange(placed.size), placed.n_lines)
        self.sink("orders", pa.table({
            "order_id": pa.array(self._next_order + order), "day": pa.array(np.full(order.size, day, np.int32)),
            "hour": pa.array((placed.hour - 24.0 * day)[order]),  # exact: 24 * day + this gives the run's hour back, bit for bit
            "zone": self._ids(placed.zone[order], self.zones), "channel": self._ids(placed.channel[order], self.channels),
            "sku": self._ids(placed.line_sku, self.skus), "units": pa.array(placed.line_qty.astype(np.int64))}))
        self._next_order += placed.size


def record_history(scenario: Scenario, seed: int, replication: int = 0, as_sold: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demand of one run of ``scenario`` (sales history and order log) in memory; the run's own result is dropped."""
    import pyarrow as pa

    parts: dict[str, list] = {"sales": [], "orders": []}
    simulate(scenario, seed, replication, observers=[DemandRecorder(lambda name, table: parts[name].append(table), as_sold)])
    return tuple(pa.concat_tables(parts[name], promote_options="permissive").to_pandas() if parts[name] else pd.DataFrame()
                 for name in ("sales", "orders"))


class _ParquetSink:
    """Each named stream to its own Parquet file, a row group per million rows or so, written to a temporary
    name and renamed when the run is done (a run that fails leaves no half file behind)."""

    def __init__(self, out: Path, names: tuple[str, ...]):
        self.out, self.writers, self.buffers = out, {}, {name: [] for name in names}
        self.tmp = {name: out / f".{name}.parquet.tmp" for name in names}

    def __call__(self, name: str, table) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.buffers[name].append(table)
        if sum(t.num_rows for t in self.buffers[name]) >= 1 << 20:
            merged = pa.concat_tables(self.buffers[name], promote_options="permissive").unify_dictionaries()
            if name not in self.writers:
                self.writers[name] = pq.ParquetWriter(self.tmp[name], merged.schema)
            self.writers[name].write_table(merged.cast(self.writers[name].schema))
            self.buffers[name] = []

    def close(self, keep: bool) -> list[Path]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths = []
        for name, buffer in self.buffers.items():
            if buffer:
                merged = pa.concat_tables(buffer, promote_options="permissive").unify_dictionaries()
                if name not in self.writers:
                    self.writers[name] = pq.ParquetWriter(self.tmp[name], merged.schema)
                self.writers[name].write_table(merged.cast(self.writers[name].schema))
            if name in self.writers:
                self.writers[name].close()
            path = self.out / f"{name}.parquet"
            if keep and self.tmp[name].exists():
                self.tmp[name].replace(path)
                paths.append(path)
            else:
                self.tmp[name].unlink(missing_ok=True)
        return paths


def write_history(scenario: Scenario, seed: int, out: str | Path, as_sold: bool = False) -> tuple[Path, Path]:
    """``out/sales.parquet`` and ``out/orders.parquet`` of one run, streamed to disk day by day."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sink = _ParquetSink(out, ("sales", "orders"))
    try:
        simulate(scenario, seed, observers=[DemandRecorder(sink, as_sold)])
    except BaseException:
        sink.close(keep=False)
        raise
    sink.close(keep=True)
    return out / "sales.parquet", out / "orders.parquet"
