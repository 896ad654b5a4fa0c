"""The KPI table: what a run measured, as a tidy DataFrame.

During the run the :class:`~.ledger.Ledger` adds up counts after warm-up and online orders add to
:class:`~.order_stats.OrderStats` as they settle; at the end :func:`kpi_table` turns both into rates. Rows are
``metric, channel, node_type, value``; ``all`` rows are computed from summed counts, never by averaging
rates. The README defines each metric.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from simulation.metrics.ledger import ONLINE_STOCK, Ledger
from simulation.metrics.order_stats import COUNTS, N_TYPES, OrderStats
from simulation.policies.transfers import TRANSFER_DIRECTIONS
from simulation.scenario import DAYS_PER_YEAR, NODE_TYPES, ONLINE_CHANNELS, STORE


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    parts = [frame, frame.assign(channel="all"), frame.assign(node_type="all"), frame.assign(channel="all", node_type="all")]
    return pd.concat(parts).groupby(["channel", "node_type"], as_index=False, observed=True).sum(numeric_only=True)


def _delivery_rows(stats: OrderStats) -> list[tuple[str, str, str, float]]:
    """Delivery KPIs over online orders placed after warm-up and resolved (no line still waiting) by
    the end, per (channel, node_type), per channel, per node type and overall; and, for each shock with
    zones, over the orders its zones placed while it lasted (node type ``shock:<name>``), per channel and
    overall."""
    cells = np.arange(stats.sums["resolved"].size)
    channel, node_type = cells // N_TYPES, cells % N_TYPES
    groups = [(ONLINE_CHANNELS[c], NODE_TYPES[t], (channel == c) & (node_type == t))
              for c in range(len(ONLINE_CHANNELS)) for t in range(N_TYPES)]
    groups += [(ONLINE_CHANNELS[c], "all", channel == c) for c in range(len(ONLINE_CHANNELS))]
    groups += [("all", NODE_TYPES[t], node_type == t) for t in range(N_TYPES)]
    groups += [("all", "all", cells >= 0)]
    rows = _rows_for(stats.sums, stats.quantile, groups, cells)
    event = np.arange(stats.event_sums["resolved"].size)
    shock, event_channel = event // len(ONLINE_CHANNELS), event % len(ONLINE_CHANNELS)
    for i, (name, *_) in enumerate(stats.shocks):
        groups = [(ONLINE_CHANNELS[c], f"shock:{name}", (shock == i) & (event_channel == c)) for c in range(len(ONLINE_CHANNELS))]
        groups += [("all", f"shock:{name}", shock == i)]
        rows += _rows_for(stats.event_sums, stats.event_quantile, groups, event, fulfilment=False)
    return rows


def _rows_for(sums, quantile, groups, cells, fulfilment: bool = True) -> list[tuple[str, str, str, float]]:
    """Delivery KPIs of each (channel, node_type, member cells) group from its ``sums`` and ``quantile``."""
    rows = []
    for c, t, member in groups:
        def total(name, member=member):
            return sums[name][member].sum()
        n = total("resolved")
        if n == 0:
            continue
        rows.append(("on_time_rate", c, t, total("on_time") / n))
        if fulfilment:  # no-stock, split and dispatch rates: the per-node-type cells only
            rows.append(("no_stock_rate", c, t, total("no_stock_resolved") / n))
            if total("shipped") > 0:
                rows.append(("split_rate", c, t, total("split") / total("shipped")))
                rows.append(("dispatch_within_sla", c, t, total("within_sla") / total("shipped")))
        if total("hours_n") > 0:
            rows.append(("delivery_hours_mean", c, t, total("hours_sum") / total("hours_n")))
            rows.extend((f"delivery_hours_p{q}", c, t, quantile(cells[member], q / 100)) for q in (50, 90, 95))
    return rows


RETURN_SUMS = ("delivered_units", "returned_units", "return_days_sum", "restocked_units", "resellable_days_sum",
               "written_off_units", "cost_returns")


def _return_rows(ledger: Ledger, world) -> list[tuple[str, str, str, float]]:
    """Returns KPIs by channel and receiving node type (with totals): units returned and their rate of the units
    delivered, restocked and written off, days from delivery to return and from return to sellable, and their cost."""
    sums = [{"channel": c, "node_type": t, "metric": m, "value": v} for (m, c, t), v in ledger.sums.items()
            if m in RETURN_SUMS]
    if not sums:
        return []
    wide = pd.DataFrame(sums).pivot_table(index=["channel", "node_type"], columns="metric", values="value", aggfunc="sum",
                                          fill_value=0.0).reset_index()
    wide = _with_totals(wide.reindex(columns=["channel", "node_type", *RETURN_SUMS], fill_value=0.0))
    rows = []
    for r in wide.itertuples(index=False):
        kind = r.node_type
        if r.channel != "all" and r.channel not in world.return_channels:  # a channel without returns
            continue
        if kind != "all" and r.returned_units == 0 and r.restocked_units == 0 and r.cost_returns == 0 and r.written_off_units == 0:
            continue
        rows += [(m, r.channel, kind, getattr(r, m)) for m in ("returned_units", "restocked_units", "written_off_units", "cost_returns")]
        if kind == "all" and r.delivered_units > 0:
            rows.append(("return_rate", r.channel, kind, r.returned_units / r.delivered_units))
        if kind == "all" and r.returned_units > 0:
            rows.append(("days_to_return", r.channel, kind, r.return_days_sum / r.returned_units))
        if r.restocked_units > 0:
            rows.append(("days_to_resellable", r.channel, kind, r.resellable_days_sum / r.restocked_units))
    return rows


def kpi_table(ledger: Ledger, stats: OrderStats, world) -> pd.DataFrame:
    """The KPI table of a finished run from its recorders: metric, channel, node_type, value."""
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
    shelf_days = ledger.sums[("shelf_ranged_days", "walk_in", STORE)]
    if shelf_days > 0:  # what a walk-in customer finds: ranged store-SKU-days ending with an empty shelf
        rate = ledger.sums[("shelf_empty_days", "walk_in", STORE)] / shelf_days
        rows += [("shelf_stockout_rate", "walk_in", STORE, rate), ("shelf_stockout_rate", "walk_in", "all", rate)]
    for metric in ("recaptured_units", "endless_aisle_units"):  # pool mode: walk-in demand sent online
        if (metric, "walk_in", STORE) in ledger.sums:
            rows += [(metric, "walk_in", STORE, ledger.sums[(metric, "walk_in", STORE)]),
                     (metric, "walk_in", "all", ledger.sums[(metric, "walk_in", STORE)])]
    rows += _delivery_rows(stats)
    # Inventory and cost by node type (channel 'all').
    days = max(ledger.days_measured, 1)
    types = [t for t in NODE_TYPES if (world.node_type == NODE_TYPES.index(t)).any()]
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
        if total("requested_units") > 0:  # what nodes of the type get the day they ask their (stock-holding) source
            rows.append(("replenishment_fill_rate", "all", t, total("requested_units_on_day") / total("requested_units")))
        rows.append(("cost_holding", "all", t, total("cost_holding")))
        if world.backorder_per_unit_day:  # only where backorders are priced (the table is otherwise unchanged)
            rows.append(("cost_backorder", "all", t, total("cost_backorder")))
        rows.append(("transfer_units", "all", t, total("transfer_units")))
        rows.append(("cost_transfer", "all", t, total("cost_transfer")))
        rows.append(("cost_spoilage", "all", t, total("cost_spoilage")))
        # Perishables spoiled over what left: a node type's outflow, the network's sales to customers.
        spoiled = total("spoiled_units")
        left = total("perishable_sold_units") if t == "all" else total("perishable_out_units")
        if spoiled + left > 0:
            rows.append(("spoilage_rate", "all", t, spoiled / (spoiled + left)))
    if ("records_kept_days", "all", STORE) in ledger.sums:  # store records kept apart from the shelf
        kept, wrong = ledger.sums[("records_kept_days", "all", STORE)], ledger.sums[("records_wrong_days", "all", STORE)]
        for t in (STORE, "all"):
            rows += [("shrink_units", "all", t, ledger.sums[("shrink_units", "all", STORE)]),
                     ("cost_shrink", "all", t, ledger.sums[("cost_shrink", "all", STORE)])]
            if kept > 0:
                rows.append(("record_accuracy", "all", t, 1.0 - wrong / kept))
    # Split mode's online stock as one group: it turns over what it sells to online customers (its
    # internal shipments, warehouse to forward warehouse, are not a turn).
    if ledger.sums[("inventory_value_days", "all", ONLINE_STOCK)] > 0:
        avg_value = ledger.sums[("inventory_value_days", "all", ONLINE_STOCK)] / days
        rows.append(("avg_inventory_value", "all", ONLINE_STOCK, avg_value))
        sold = ledger.sums[("sold_value", "all", ONLINE_STOCK)]
        if sold > 0:
            turns = sold / days * DAYS_PER_YEAR / avg_value
            rows += [("inventory_turns", "all", ONLINE_STOCK, turns), ("days_of_inventory", "all", ONLINE_STOCK, DAYS_PER_YEAR / turns)]
        if ledger.sums[("stocked_days", "all", ONLINE_STOCK)] > 0:
            rows.append(("stockout_rate", "all", ONLINE_STOCK,
                         ledger.sums[("stockout_days", "all", ONLINE_STOCK)] / ledger.sums[("stocked_days", "all", ONLINE_STOCK)]))
    # Transfers by direction (lateral, top-ups from a source, pull-backs to it, emergency).
    for direction in TRANSFER_DIRECTIONS:
        group = f"transfer:{direction}"
        if ("transfer_units", "all", group) in ledger.sums:
            rows += [("transfer_units", "all", group, ledger.sums[("transfer_units", "all", group)]),
                     ("cost_transfer", "all", group, ledger.sums[("cost_transfer", "all", group)])]
    # Stockouts at each shock's nodes while it lasts.
    for shock in world.calendar.shocks:
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
    rows += _return_rows(ledger, world)
    # Total cost of the run: holding, backorders, transport, fulfilment, transfers, spoilage, shrink, returns and lost margin.
    parts = {"cost_holding", "cost_backorder", "cost_transport", "cost_fulfilment", "cost_transfer", "cost_spoilage",
             "cost_shrink", "cost_returns", "cost_lost_margin"}
    total = sum(v for (m, c, t, v) in rows if m in parts and c == "all" and t == "all")
    rows.append(("cost_total", "all", "all", total))
    table = pd.DataFrame(rows, columns=["metric", "channel", "node_type", "value"])
    bad = table[~np.isfinite(table["value"].to_numpy(float))]
    if len(bad):  # a KPI without a defined value is left out where it arises; one that slips through is a bug
        raise FloatingPointError(f"KPIs that are not finite numbers: {bad.to_dict('records')}")
    return table
