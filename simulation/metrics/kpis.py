"""KPIs: what a run measured, as tidy DataFrames.

During the run a :class:`Ledger` adds up counts after warm-up (and keeps a small daily series at
node-type level); online orders add to :class:`~.order_stats.OrderStats` as they settle; at the end
:func:`kpi_table` turns both into rates. Rows are
``metric, channel, node_type, value``; ``all`` rows are computed from summed counts, never by averaging
rates. The README defines each metric.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from simulation.metrics.order_stats import COUNTS, N_TYPES, OrderStats
from simulation.spec import NODE_TYPES, ONLINE_CHANNELS, STORE

DAYS_PER_YEAR = 365.0
DAILY_METRICS = ("on_hand_units", "on_hand_value", "in_transit_units", "backordered_units", "stockout_rate",
                 "sold_units", "outflow_units")


class Ledger:
    """Running sums keyed by (metric, channel, node_type), and the daily node-type series."""

    def __init__(self, warmup: int, node_type: np.ndarray):
        self.warmup = warmup
        self._node_type = node_type
        self.sums: dict[tuple[str, str, str], float] = defaultdict(float)
        self.daily: list[tuple[int, str, str, float]] = []
        self.days_measured = 0

    def add(self, metric: str, channel: str, node_type: str, value: float) -> None:
        self.sums[(metric, channel, node_type)] += float(value)

    def walk_in(self, per_store: np.ndarray) -> None:
        """Add the day's walk-in totals per store: units wanted, sold, lines wanted, lines filled in
        full, margin lost (see ``kernels.walk_in_store``)."""
        units, sold, lines, lines_full, lost_margin = per_store.sum(axis=0)
        self.add("units", "walk_in", STORE, units)
        self.add("units_first", "walk_in", STORE, sold)
        self.add("lines", "walk_in", STORE, lines)
        self.add("lines_first", "walk_in", STORE, lines_full)
        self.add("lost_sales_units", "walk_in", STORE, units - sold)
        self.add("cost_lost_margin", "walk_in", STORE, lost_margin)

    def online_lost(self, nodes: np.ndarray, channels: np.ndarray, margin: np.ndarray) -> None:
        """Margin of online units lost (never shipped), by serving node type and channel."""
        self._by_node_channel("cost_lost_margin", self._node_type[nodes], channels, margin)

    def _by_node_channel(self, metric, node_types, channels, values):
        for t in np.unique(node_types):
            for c in np.unique(channels):
                mask = (node_types == t) & (channels == c)
                if mask.any():
                    self.add(metric, ONLINE_CHANNELS[c], NODE_TYPES[t], values[mask].sum())

    def shipped(self, node_types: np.ndarray, cost: np.ndarray) -> None:
        for t in np.unique(node_types):
            self.add("cost_transport", "all", NODE_TYPES[t], cost[node_types == t].sum())

    def transferred(self, to_types: np.ndarray, units: np.ndarray, cost_per_unit: float) -> None:
        for t in np.unique(to_types):
            moved = units[to_types == t].sum()
            self.add("transfer_units", "all", NODE_TYPES[t], moved)
            self.add("cost_transfer", "all", NODE_TYPES[t], moved * cost_per_unit)

    def spoiled(self, node_types: np.ndarray, value_per_node: np.ndarray) -> None:
        for t in np.unique(node_types):
            self.add("cost_spoilage", "all", NODE_TYPES[t], value_per_node[node_types == t].sum())

    def close_day(self, day: int, per_node: dict[str, np.ndarray], sim) -> None:
        """Record the day from figures per node (``kernels.CLOSE_COLUMNS``: stock, flows and stockouts)."""
        w = sim.world
        by_type = {name: np.bincount(w.node_type, weights=v, minlength=len(NODE_TYPES)) for name, v in per_node.items()}
        present = np.bincount(w.node_type, minlength=len(NODE_TYPES)) > 0
        for t, name in enumerate(NODE_TYPES):
            if present[t]:
                self._record_day(day, name, {m: by_type[m][t] for m in by_type})
        self._record_day(day, "all", {m: v.sum() for m, v in by_type.items()})
        # Each shock's own nodes, every day (so its before, during and after can be plotted).
        for shock in sim.scenario.demand.shocks:
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
        rate = sim.scenario.costs.holding_rate_per_year / DAYS_PER_YEAR
        for t, name in enumerate(NODE_TYPES):
            if present[t]:
                self.add("inventory_value_days", "all", name, by_type["on_hand_value"][t])
                self.add("cost_holding", "all", name, by_type["on_hand_value"][t] * rate)
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


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    parts = [frame, frame.assign(channel="all"), frame.assign(node_type="all"), frame.assign(channel="all", node_type="all")]
    return pd.concat(parts).groupby(["channel", "node_type"], as_index=False, observed=True).sum(numeric_only=True)


def _delivery_rows(stats: OrderStats) -> list[tuple[str, str, str, float]]:
    """Delivery KPIs over online orders placed after warm-up and resolved (no line still waiting) by
    the end, per (channel, node_type), per channel, per node type and overall."""
    rows = []
    resolved = stats.sums["resolved"]
    cells = np.arange(resolved.size)
    channel, node_type = cells // N_TYPES, cells % N_TYPES
    groups = [(ONLINE_CHANNELS[c], NODE_TYPES[t], (channel == c) & (node_type == t))
              for c in range(len(ONLINE_CHANNELS)) for t in range(N_TYPES)]
    groups += [(ONLINE_CHANNELS[c], "all", channel == c) for c in range(len(ONLINE_CHANNELS))]
    groups += [("all", NODE_TYPES[t], node_type == t) for t in range(N_TYPES)]
    groups += [("all", "all", cells >= 0)]
    for c, t, member in groups:
        def total(name, member=member):
            return stats.sums[name][member].sum()
        n = total("resolved")
        if n == 0:
            continue
        rows.append(("on_time_rate", c, t, total("on_time") / n))
        rows.append(("no_stock_rate", c, t, total("no_stock_resolved") / n))
        if total("shipped") > 0:
            rows.append(("split_rate", c, t, total("split") / total("shipped")))
            rows.append(("dispatch_within_sla", c, t, total("within_sla") / total("shipped")))
        if total("hours_n") > 0:
            rows.append(("delivery_hours_mean", c, t, total("hours_sum") / total("hours_n")))
            rows.extend((f"delivery_hours_p{q}", c, t, stats.quantile(cells[member], q / 100)) for q in (50, 90, 95))
    return rows


def kpi_table(sim) -> pd.DataFrame:
    """The KPI table of a finished run: metric, channel, node_type, value."""
    ledger, stats = sim.ledger, sim.order_stats
    rows: list[tuple[str, str, str, float]] = []
    online = stats.cell_frame(COUNTS) if stats.sums["orders"].any() else None

    # Fill: counts per (channel, node_type), walk-in from the ledger, online from the order sums.
    counts = [{"channel": c, "node_type": t, "units": ledger.sums[("units", c, t)],
               "units_first": ledger.sums[("units_first", c, t)], "lines": ledger.sums[("lines", c, t)],
               "lines_first": ledger.sums[("lines_first", c, t)], "orders": 0.0, "orders_first": 0.0,
               "lost_sales_units": ledger.sums[("lost_sales_units", c, t)]}
              for (m, c, t) in list(ledger.sums) if m == "units"]
    if online is not None:
        counts += online.drop(columns=["last_mile", "fulfilment_cost", "no_stock"]).to_dict("records")
    if counts:
        fill = _with_totals(pd.DataFrame(counts))
        for r in fill.itertuples(index=False):
            rows.append(("demand_units", r.channel, r.node_type, r.units))
            rows.append(("lost_sales_units", r.channel, r.node_type, r.lost_sales_units))
            for metric, num, den in (("fill_rate_units", r.units_first, r.units), ("fill_rate_lines", r.lines_first, r.lines),
                                     ("fill_rate_orders", r.orders_first, r.orders)):
                if den > 0:
                    rows.append((metric, r.channel, r.node_type, num / den))
            if r.orders > 0:
                rows.append(("orders", r.channel, r.node_type, r.orders))
    rows += _delivery_rows(stats)
    # Inventory and cost by node type (channel 'all').
    days = max(ledger.days_measured, 1)
    types = [t for t in NODE_TYPES if (sim.world.node_type == NODE_TYPES.index(t)).any()]
    for t in [*types, "all"]:
        def total(metric, t=t):
            return sum(ledger.sums[(metric, "all", x)] for x in types) if t == "all" else ledger.sums[(metric, "all", t)]
        avg_value = total("inventory_value_days") / days
        # A node type turns over what leaves it (to customers or other nodes); the network what it sells.
        flow = total("sold_value") if t == "all" else total("outflow_value")
        rows.append(("avg_inventory_value", "all", t, avg_value))
        if avg_value > 0:
            turns = flow / days * DAYS_PER_YEAR / avg_value
            rows.append(("inventory_turns", "all", t, turns))
            if turns > 0:  # stock that never moves has no days of cover: the row is absent, never inf
                rows.append(("days_of_inventory", "all", t, DAYS_PER_YEAR / turns))
        if total("stocked_days") > 0:
            rows.append(("stockout_rate", "all", t, total("stockout_days") / total("stocked_days")))
        rows.append(("cost_holding", "all", t, total("cost_holding")))
        rows.append(("transfer_units", "all", t, total("transfer_units")))
        rows.append(("cost_transfer", "all", t, total("cost_transfer")))
        rows.append(("cost_spoilage", "all", t, total("cost_spoilage")))
    # Stockouts at each shock's nodes while it lasts.
    for shock in sim.scenario.demand.shocks:
        group = f"shock:{shock.name}"
        if ledger.sums[("stocked_days", "all", group)] > 0:
            rows.append(("stockout_rate", "all", group,
                         ledger.sums[("stockout_days", "all", group)] / ledger.sums[("stocked_days", "all", group)]))
    # Transport: replenishment lanes (by destination node type, channel 'all') plus the last mile of
    # every shipment of an online order (by channel and serving node type).
    lanes = {t: ledger.sums[("cost_transport", "all", t)] for t in types}
    lanes["all"] = sum(lanes.values())
    transport = defaultdict(float, {("all", t): v for t, v in lanes.items()})
    per_order = [] if online is None else list(
        _with_totals(online[["channel", "node_type", "orders", "last_mile", "fulfilment_cost"]]).itertuples(index=False))
    for r in per_order:
        transport[(r.channel, r.node_type)] += r.last_mile
    rows += [("cost_transport", c, t, v) for (c, t), v in sorted(transport.items())]
    rows += [("cost_fulfilment", r.channel, r.node_type, r.fulfilment_cost) for r in per_order]
    # What it costs to get an online order to the customer: picking and packing plus its last mile.
    rows += [("cost_per_order", r.channel, r.node_type, (r.fulfilment_cost + r.last_mile) / r.orders)
             for r in per_order if r.orders > 0]
    # Lost margin: walk-in from the ledger, online lost + cancelled units.
    lost = pd.DataFrame([{"channel": c, "node_type": t, "value": v} for (m, c, t), v in ledger.sums.items()
                         if m == "cost_lost_margin"], columns=["channel", "node_type", "value"])
    if len(lost):
        for r in _with_totals(lost).itertuples(index=False):
            rows.append(("cost_lost_margin", r.channel, r.node_type, r.value))
    # Total cost of the run: holding, transport, fulfilment, transfers, spoilage and lost margin.
    parts = {"cost_holding", "cost_transport", "cost_fulfilment", "cost_transfer", "cost_spoilage", "cost_lost_margin"}
    total = sum(v for (m, c, t, v) in rows if m in parts and c == "all" and t == "all")
    rows.append(("cost_total", "all", "all", total))
    table = pd.DataFrame(rows, columns=["metric", "channel", "node_type", "value"])
    bad = table[~np.isfinite(table["value"].to_numpy(float))]
    if len(bad):  # a KPI without a defined value is left out where it arises; one that slips through is a bug
        raise FloatingPointError(f"KPIs that are not finite numbers: {bad.to_dict('records')}")
    return table
