"""The ledger: a run's running sums after warm-up by (metric, channel, node type), and a small daily
series at node-type level. An observer of the engine (:mod:`simulation.engine.observers`)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from simulation.engine.observers import Observer, RecordsClosed, ReturnsMoved, ShippedLines, Spoilage
from simulation.kernels import WalkInSales
from simulation.policies.transfers import TRANSFER_DIRECTIONS
from simulation.scenario import DAYS_PER_YEAR, FORWARD_CODE, NODE_TYPES, ONLINE_CHANNELS, STORE

ONLINE_STOCK = "online_stock"  # the node_type of split mode's online stock in the KPI table
DAILY_METRICS = ("on_hand_units", "on_hand_value", "in_transit_units", "backordered_units", "stockout_rate",
                 "sold_units", "outflow_units")


class Ledger(Observer):
    """Running sums keyed by (metric, channel, node_type) from the end of warm-up, and the daily
    node-type series (every day)."""

    def __init__(self, world):
        self.warmup = world.warmup_days
        self._world = world
        self._node_type = world.node_type
        # Split mode's online stock, measured as a group of its own: the warehouses' online rows and the
        # forward warehouses (which hold online stock only).
        # The shelf the walk-in customer sees: each store's ranged SKUs (all, without ranging).
        self._stores, self._ranged = world.store_rows, world.ranged
        self.online_stock = np.union1d(world.online_rows, np.flatnonzero(world.node_type == FORWARD_CODE)) if world.split \
            else np.zeros(0, np.int64)
        self.sums: dict[tuple[str, str, str], float] = defaultdict(float)
        self.daily: list[tuple[int, str, str, float]] = []
        self.days_measured = 0

    def add(self, metric: str, channel: str, node_type: str, value: float) -> None:
        self.sums[(metric, channel, node_type)] += float(value)

    def walk_in_served(self, day: int, per_store: np.ndarray) -> None:
        """Add the day's walk-in totals (``per_store``: one row per store, columns ``kernels.WALK_IN_COLUMNS``)."""
        if day < self.warmup:
            return
        day_sales = WalkInSales(*per_store.sum(axis=0))
        self.add("units", "walk_in", STORE, day_sales.units)
        self.add("units_first", "walk_in", STORE, day_sales.sold)
        self.add("lines", "walk_in", STORE, day_sales.lines)
        self.add("lines_first", "walk_in", STORE, day_sales.lines_full)
        self.add("lost_sales_units", "walk_in", STORE, day_sales.units - day_sales.sold)
        self.add("cost_lost_margin", "walk_in", STORE, day_sales.lost_margin)

    def walk_in_converted(self, day: int, per_store: np.ndarray) -> None:
        """Walk-in units that became online orders are counted there, not as lost at the shelf."""
        if day < self.warmup:
            return
        recaptured, endless, margin = per_store.sum(axis=0)
        self.add("recaptured_units", "walk_in", STORE, recaptured)
        self.add("endless_aisle_units", "walk_in", STORE, endless)
        self.add("lost_sales_units", "walk_in", STORE, -(recaptured + endless))
        self.add("cost_lost_margin", "walk_in", STORE, -margin)

    def online_lost(self, day: int, rows: np.ndarray, channels: np.ndarray, margin: np.ndarray) -> None:
        """Margin of online units lost (never shipped), by serving node type and channel."""
        if day >= self.warmup:
            self._by_cell(self._node_type[rows], channels, cost_lost_margin=margin)

    def _by_cell(self, node_types, channels, **metrics):
        """Add each metric's values by (online channel, node type) of each entry, in one pass over the cells (the
        returns' hooks run for every shipped line); a cell with entries gets a row even when they sum to 0."""
        n_ch = len(ONLINE_CHANNELS)
        cell = node_types * n_ch + channels
        cells = np.flatnonzero(np.bincount(cell, minlength=len(NODE_TYPES) * n_ch))
        for metric, values in metrics.items():
            sums = np.bincount(cell, weights=values, minlength=len(NODE_TYPES) * n_ch)
            for k in cells:
                self.add(metric, ONLINE_CHANNELS[k % n_ch], NODE_TYPES[k // n_ch], sums[k])

    def replenishment_shipped(self, day: int, rows: np.ndarray, cost: np.ndarray, requests: np.ndarray | None) -> None:
        """Lane costs by receiving node type; and what rows asked of a stock-holding source today and got today."""
        if day < self.warmup:
            return
        node_types = self._node_type[rows]
        for t in np.unique(node_types):
            at = node_types == t
            self.add("cost_transport", "all", NODE_TYPES[t], cost[at].sum())
            if requests is not None:
                asked, on_day = requests[at].sum(axis=0)
                self.add("requested_units", "all", NODE_TYPES[t], asked)
                self.add("requested_units_on_day", "all", NODE_TYPES[t], on_day)

    def transferred(self, day: int, moves, cost: np.ndarray) -> None:
        """Units transferred and their cost, by receiving node type and by direction (``transfer:<direction>``)."""
        if day < self.warmup:
            return
        for key, groups in ((lambda t: NODE_TYPES[t], self._node_type[moves.to]),
                            (lambda d: f"transfer:{TRANSFER_DIRECTIONS[d]}", moves.direction)):
            for g in np.unique(groups):
                at = groups == g
                self.add("transfer_units", "all", key(g), moves.qty[at].sum())
                self.add("cost_transfer", "all", key(g), cost[at].sum())

    def spoiled(self, day: int, spoilage: Spoilage) -> None:
        if day < self.warmup:
            return
        node_types = self._node_type
        for t in np.unique(node_types):
            at = node_types == t
            self.add("cost_spoilage", "all", NODE_TYPES[t], spoilage.value[at].sum())
            self.add("spoiled_units", "all", NODE_TYPES[t], spoilage.units[at].sum())
            self.add("perishable_out_units", "all", NODE_TYPES[t], spoilage.out[at].sum())
            self.add("perishable_sold_units", "all", NODE_TYPES[t], spoilage.sold[at].sum())

    def records_closed(self, day: int, records: RecordsClosed) -> None:
        """Store records: units lost unrecorded, their value, and record-days that differ from the shelf."""
        if day < self.warmup:
            return
        self.add("shrink_units", "all", STORE, records.lost_units.sum())
        self.add("cost_shrink", "all", STORE, records.lost_value.sum())
        self.add("records_wrong_days", "all", STORE, records.wrong.sum())
        self.add("records_kept_days", "all", STORE, records.kept.sum())

    def returns_drawn(self, day: int, lines: ShippedLines) -> None:
        """Units delivered and returned by channel (returned also by the node type they are headed to), and the
        returned units' days from delivery to the return, by the day the line shipped."""
        if day < self.warmup:
            return
        # All three by the node type a return would head to, so that channel totals add up like the rest
        self._by_cell(lines.node_type, lines.channel, delivered_units=lines.delivered,
                      return_days_sum=lines.returned * lines.days_to_return, returned_units=lines.returned)

    def returns_moved(self, day: int, moved: ReturnsMoved) -> None:
        """Returns' costs (courier, handling, write-off, reverse lane), units written off and restocked, and the
        restocked units' days from return to sellable, by channel and the node type of ``rows``."""
        if day < self.warmup:
            return
        node_types, channel, units, values = self._node_type[moved.rows], moved.channel, moved.units, moved.values
        if moved.event == "restocked":
            self._by_cell(node_types, channel, restocked_units=units, resellable_days_sum=units * values)
        elif moved.event == "written_off":
            self._by_cell(node_types, channel, written_off_units=units, cost_returns=values)
        else:
            self._by_cell(node_types, channel, cost_returns=values)

    def returns_closed(self, day: int, in_flow: np.ndarray) -> None:
        """The daily series of units in the reverse flow, by the node type that has them or they travel to."""
        by_type = np.bincount(self._node_type, weights=in_flow, minlength=len(NODE_TYPES))
        for t, name in enumerate(NODE_TYPES):
            if (self._node_type == t).any():
                self.daily.append((day, name, "returns_in_flow_units", float(by_type[t])))
        self.daily.append((day, "all", "returns_in_flow_units", float(in_flow.sum())))

    def day_closed(self, day: int, per_node: dict[str, np.ndarray], state) -> None:
        """Record the day from figures per node (``kernels.CLOSE_COLUMNS``: stock, flows and stockouts)."""
        w = self._world
        by_type = {name: np.bincount(w.node_type, weights=v, minlength=len(NODE_TYPES)) for name, v in per_node.items()}
        present = np.bincount(w.node_type, minlength=len(NODE_TYPES)) > 0
        for t, name in enumerate(NODE_TYPES):
            if present[t]:
                self._record_day(day, name, {m: by_type[m][t] for m in by_type})
        self._record_day(day, "all", {m: v.sum() for m, v in by_type.items()})
        # Each shock's own nodes, every day (so its before, during and after can be plotted).
        for shock in w.calendar.shocks:
            rows = np.unique(np.concatenate([w.node_rows[n] for n in shock.nodes])) if shock.nodes else []
            if len(rows):
                group = f"shock:{shock.name}"
                self._record_day(day, group, {m: v[rows].sum() for m, v in per_node.items()})
                if day >= self.warmup and shock.start_day <= day < shock.end_day:
                    self.add("stockout_days", "all", group, per_node["stockout_days"][rows].sum())
                    self.add("stocked_days", "all", group, per_node["stocked"][rows].sum())
        if day < self.warmup:
            return
        self.days_measured += 1
        if self._stores.size:
            empty = state.on_hand[self._stores] == 0
            if self._ranged is not None:
                empty &= self._ranged
            ranged = self._ranged.sum() if self._ranged is not None else empty.size
            self.add("shelf_empty_days", "walk_in", STORE, empty.sum())
            self.add("shelf_ranged_days", "walk_in", STORE, ranged)
        if self.online_stock.size:
            rows = self.online_stock
            for metric, column in (("inventory_value_days", "on_hand_value"), ("sold_value", "sold_value"),
                                   ("stockout_days", "stockout_days"), ("stocked_days", "stocked")):
                self.add(metric, "all", ONLINE_STOCK, per_node[column][rows].sum())
        rate = w.holding_rate_per_year / DAYS_PER_YEAR
        penalty = w.backorder_per_unit_day
        for t, name in enumerate(NODE_TYPES):
            if present[t]:
                self.add("inventory_value_days", "all", name, by_type["on_hand_value"][t])
                self.add("cost_holding", "all", name, by_type["on_hand_value"][t] * rate)
                if penalty:
                    self.add("cost_backorder", "all", name, by_type["backordered_units"][t] * penalty)
                self.add("outflow_value", "all", name, by_type["outflow_value"][t])
                self.add("sold_value", "all", name, by_type["sold_value"][t])
                self.add("stockout_days", "all", name, by_type["stockout_days"][t])
                self.add("stocked_days", "all", name, by_type["stocked"][t])

    def _record_day(self, day: int, node_type: str, values: dict) -> None:
        for metric in DAILY_METRICS:
            if metric == "stockout_rate":
                value = values["stockout_days"] / values["stocked"] if values["stocked"] else 0.0
            else:
                value = values[metric]
            self.daily.append((day, node_type, metric, float(value)))

    def daily_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.daily, columns=["day", "node_type", "metric", "value"])
