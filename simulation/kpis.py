"""KPIs: what a run measured, as tidy DataFrames.

During the run a :class:`Ledger` adds up counts after warm-up (and keeps a small daily series at
node-type level); at the end :func:`kpi_table` turns counts and the order book into rates. Rows are
``metric, channel, node_type, value``; ``all`` rows are computed from summed counts, never by averaging
rates. The README defines each metric.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from .scenario import NODE_TYPES, ONLINE_CHANNELS, TIERS

TIER_NAMES = [str(t) for t in TIERS]
TIER_CODES = {t: i for i, t in enumerate(TIERS)}

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

    def walk_in(self, demand: np.ndarray, sold: np.ndarray, unit_margin: np.ndarray) -> None:
        wanted = demand > 0
        self.add("units", "walk_in", "store", demand.sum())
        self.add("units_first", "walk_in", "store", sold.sum())
        self.add("lines", "walk_in", "store", wanted.sum())
        self.add("lines_first", "walk_in", "store", (wanted & (sold == demand)).sum())
        lost = demand - sold
        self.add("lost_sales_units", "walk_in", "store", lost.sum())
        self.add("cost_lost_margin", "walk_in", "store", (lost @ unit_margin).sum())

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

    def close_day(self, day: int, sim) -> None:
        w = sim.world
        cost = w.skus.unit_cost
        per_node = {
            "on_hand_units": sim.on_hand.sum(axis=1),
            "on_hand_value": sim.on_hand @ cost,
            "in_transit_units": sim.pipeline.sum(axis=1),
            "backordered_units": sim.backordered.sum(axis=1),
            "stockout_days": ((sim.on_hand == 0) & sim.stocked).sum(axis=1),
            "stocked": sim.stocked.sum(axis=1),
            "sold_units": sim.today_sold.sum(axis=1),
            "outflow_units": sim.today_out.sum(axis=1),
            "outflow_value": sim.today_out @ cost,
            "sold_value": sim.today_sold @ cost,
            "spoiled_units": sim.spoiled.sum(axis=1),
        }
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


def orders_frame(sim) -> pd.DataFrame:
    """One row per online order: when, where from, what was filled and when it was delivered."""
    book, w = sim.orders, sim.world
    zone, node, channel = book["zone"], book["node"], book["channel"]
    frame = pd.DataFrame({name: book[name].copy() for name in book._data if name not in ("zone", "node", "channel")})
    frame.insert(0, "zone", pd.Categorical.from_codes(zone, w.zone_ids) if w.zone_ids else pd.Categorical([]))
    frame.insert(1, "tier", pd.Categorical.from_codes(
        np.array([TIER_CODES[t] for t in w.zone_tier], np.int64)[zone] if book.size else zone, TIER_NAMES))
    frame.insert(2, "channel", pd.Categorical.from_codes(channel, ONLINE_CHANNELS))
    frame.insert(3, "node", pd.Categorical.from_codes(node, w.node_ids))
    frame.insert(4, "node_type", pd.Categorical.from_codes(w.node_type[node], NODE_TYPES))
    frame["created_day"] = (frame["created_hour"] // 24).astype(np.int64)
    frame["promise_hours"] = w.zone_promise[zone, channel]
    frame["last_mile_cost"] = w.zone_last_mile[zone, channel]
    frame["sla_hours"] = w.channel_sla[channel]
    frame["delivery_hours"] = frame["delivered_hour"] - frame["created_hour"]
    frame["dispatch_hours"] = frame["dispatch_hour"] - frame["created_hour"]
    return frame


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    parts = [frame, frame.assign(channel="all"), frame.assign(node_type="all"), frame.assign(channel="all", node_type="all")]
    return pd.concat(parts).groupby(["channel", "node_type"], as_index=False, observed=True).sum(numeric_only=True)


def _online_counts(measured: pd.DataFrame) -> pd.DataFrame:
    """Order-book counts per (channel, node_type), small and with plain string labels."""
    counts = measured.assign(
        orders=1.0, orders_first=(measured["lines_first"] == measured["lines"]).astype(float),
        lost_sales_units=measured["lost_units"].astype(float),
        last_mile=measured["shipments"] * measured["last_mile_cost"],
        no_stock=(measured["record_failures"] > 0).astype(float),
    ).groupby(["channel", "node_type"], observed=True)[
        ["units", "units_first", "lines", "lines_first", "orders", "orders_first", "lost_sales_units", "no_stock",
         "last_mile", "fulfilment_cost"]
    ].sum().reset_index()
    return counts.astype({"channel": str, "node_type": str})


def kpi_table(sim, orders: pd.DataFrame) -> pd.DataFrame:
    """The KPI table of a finished run (``orders`` from :func:`orders_frame`): metric, channel, node_type, value."""
    ledger = sim.ledger
    rows: list[tuple[str, str, str, float]] = []
    measured = orders[orders["created_day"] >= sim.warmup]
    online = _online_counts(measured) if len(measured) else None

    # Fill: counts per (channel, node_type), walk-in from the ledger, online from the order book.
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

    # Delivery: online orders created after warm-up and resolved (no line still waiting) by the end.
    resolved = measured[(measured["open_lines"] == 0)]
    if len(resolved):
        on_time = (resolved["lost_lines"] == 0) & (resolved["delivery_hours"] <= resolved["promise_hours"] + 1e-9)
        shipped = resolved["shipments"] > 0
        resolved = resolved.assign(
            on_time=on_time.astype(float), split=np.where(shipped, resolved["shipments"] > 1, np.nan),
            within_sla=np.where(shipped, resolved["dispatch_hours"] <= resolved["sla_hours"] + 1e-9, np.nan),
            no_stock=(resolved["record_failures"] > 0).astype(float))
        for keys in (["channel", "node_type"], ["channel"], ["node_type"], []):
            groups = resolved.groupby(keys, observed=True) if keys else [((), resolved)]
            for key, g in groups:  # grouping by a list gives tuple keys, even for one column
                labels = dict(zip(keys, key, strict=True))
                c, t = str(labels.get("channel", "all")), str(labels.get("node_type", "all"))
                rows.append(("on_time_rate", c, t, g["on_time"].mean()))
                rows.append(("no_stock_rate", c, t, g["no_stock"].mean()))
                if g["split"].notna().any():
                    rows.append(("split_rate", c, t, g["split"].mean()))
                    rows.append(("dispatch_within_sla", c, t, g["within_sla"].mean()))
                hours = g["delivery_hours"].dropna()
                if len(hours):
                    rows.append(("delivery_hours_mean", c, t, hours.mean()))
                    rows.extend((f"delivery_hours_p{q}", c, t, hours.quantile(q / 100)) for q in (50, 90, 95))
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
            rows.append(("days_of_inventory", "all", t, DAYS_PER_YEAR / turns if turns > 0 else np.inf))
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
    if online is not None:
        for r in _with_totals(online[["channel", "node_type", "last_mile"]]).itertuples(index=False):
            transport[(r.channel, r.node_type)] += r.last_mile
    rows += [("cost_transport", c, t, v) for (c, t), v in sorted(transport.items())]
    if online is not None:
        rows += [("cost_fulfilment", r.channel, r.node_type, r.fulfilment_cost)
                 for r in _with_totals(online[["channel", "node_type", "fulfilment_cost"]]).itertuples(index=False)]
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
    return pd.DataFrame(rows, columns=["metric", "channel", "node_type", "value"])
