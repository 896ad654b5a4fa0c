"""The KPI registry: every metric the engine reports, with every fact a table, a chart, a report or a document
states about it: its label, unit, which way is better, how it is printed, the group it belongs to, how it is
computed, and where it is shown (the channels `invsim compare` and a report's table show, a report's headline, a
sweep's summary line, a comparison's bar chart). The CLI tables, the plots, the reports, the experiments and the
README's KPI table (``python experiments/regenerate.py --kpis``) read it from here, so nothing guesses a unit from a
name and a new KPI is described once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simulation.scenario import CHANNELS, ONLINE_CHANNELS

SPOKEN_UNITS = ("days", "hours", "turns per year")  # said after the number; money and counts go bare

# What a metric is about; "series" are the daily series by node type, not KPI table rows.
METRIC_GROUPS = ("service", "shelf", "stock", "cost", "returns", "series")


@dataclass(frozen=True)
class Metric:
    name: str
    label: str                        # what a person calls it
    unit: str                         # "share" (printed in %), or the unit of the number
    better: int = 0                   # +1 higher is better, -1 lower is better, 0 neither (a volume)
    decimals: int = 0                 # decimals of a non-share value
    group: str = "service"            # one of METRIC_GROUPS: the run table that prints it
    also_in: tuple[str, ...] = ()     # other groups' tables that print it too
    compared: tuple[str, ...] = ()    # channels `invsim compare` and a report's KPI table show
    headline: int = 0                 # its place among a report's headline KPIs (channel all; 0: not one)
    summarised: tuple[str, ...] = ()  # channels a sweep's one-line summary per grid point shows
    chart: str = ""                   # a comparison's bar chart of it (the figure's name; "": none)
    chart_channels: tuple[str, ...] = ()
    caption: str = ""                 # what the bars show, as the chart's caption says it
    definition: str = ""              # how it is computed (the KPI reference)

    @property
    def is_share(self) -> bool:
        return self.unit.startswith("share")

    @property
    def title(self) -> str:
        """The label as a chart or a table heading starts it: "Fill rate (units)"."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def axis_unit(self) -> str:
        """What an axis of this KPI is measured in: "% of orders" for a share, else the unit."""
        return "%" + self.unit.removeprefix("share") if self.is_share else self.unit

    @property
    def axis_label(self) -> str:
        """The KPI and its unit, as an axis reads: "Days of inventory (days)", "Fill rate (units), % of units"."""
        return f"{self.title}, {self.axis_unit}" if self.title.endswith(")") else f"{self.title} ({self.axis_unit})"

    def format(self, value: float) -> str:
        """The value as the tables print it: 95.2% for a share, 1,234 or 10.3 otherwise.

        >>> metric("fill_rate_units").format(0.9523), metric("cost_total").format(1234.4), metric("cost_per_order").format(9.127)
        ('95.2%', '1,234', '9.13')
        """
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return f"{value:.1%}" if self.is_share else f"{value:,.{self.decimals}f}"

    def with_unit(self, value: float) -> str:
        """The value as a sentence writes it: 95.2%, 10.3 days, 12.3 hours, 1,234 (money and counts bare)."""
        text = self.format(value)
        return f"{text} {self.unit}" if self.unit in SPOKEN_UNITS else text

    def signed(self, value: float) -> str:
        """A change as a sentence writes it: +1.2 pp for a share, +0.4 days, -1,234.

        >>> metric("fill_rate_units").signed(0.012), metric("days_of_inventory").signed(0.4), metric("cost_total").signed(-1234)
        ('+1.2 pp', '+0.4 days', '-1,234')
        """
        if self.is_share:
            return f"{value * 100:+.1f} pp"
        return ("+" if value >= 0 else "") + self.with_unit(value)


_METRICS = (
    # service, by channel
    Metric("demand_units", "units demanded", "units"),
    Metric("fill_rate_units", "fill rate (units)", "share of units", +1, compared=(*CHANNELS, "all"), headline=2,
           summarised=("all", "home_delivery", "instant"), chart="fill_rate_by_channel", chart_channels=CHANNELS,
           caption="the share of units asked for that were delivered"),
    Metric("fill_rate_lines", "fill rate (lines)", "share of lines", +1),
    Metric("fill_rate_orders", "orders filled complete", "share of orders", +1),
    Metric("lost_sales_units", "lost sales", "units", -1),
    Metric("orders", "online orders", "orders", 0, 1),  # a mean over replications keeps a decimal
    Metric("on_time_rate", "online orders on time", "share of orders", +1, compared=ONLINE_CHANNELS, headline=3,
           summarised=("home_delivery",), chart="on_time_by_channel", chart_channels=ONLINE_CHANNELS,
           caption="the share of online orders delivered complete within their promise"),
    Metric("delivery_hours_mean", "mean delivery time", "hours", -1, 1),
    Metric("delivery_hours_p50", "median delivery time", "hours", -1, 1, compared=ONLINE_CHANNELS),
    Metric("delivery_hours_p90", "90th-percentile delivery time", "hours", -1, 1, chart="delivery_p90_by_channel",
           chart_channels=ONLINE_CHANNELS, caption="the time within which 90% of delivered orders arrive"),
    Metric("delivery_hours_p95", "95th-percentile delivery time", "hours", -1, 1, compared=ONLINE_CHANNELS),
    Metric("dispatch_within_sla", "orders dispatched within the SLA", "share of orders", +1, compared=("home_delivery",),
           summarised=("home_delivery",)),
    Metric("split_rate", "orders split into several shipments", "share of orders", -1, compared=("all",)),
    Metric("no_stock_rate", "orders that found no stock", "share of orders", -1),
    # what a shopper meets at the store (channel walk_in, or all for the records)
    Metric("shelf_stockout_rate", "shelf stockout", "share of store-SKU-days", -1, group="shelf", compared=("walk_in",)),
    Metric("recaptured_units", "walk-in units recaptured online", "units", +1, group="shelf"),
    Metric("endless_aisle_units", "endless-aisle units", "units", +1, group="shelf"),
    Metric("record_accuracy", "store records matching the shelf", "share of store-SKU-days", +1, group="shelf"),
    Metric("shrink_units", "units lost unrecorded (shrink)", "units", -1, group="shelf"),
    # stock, by node type
    Metric("avg_inventory_value", "average inventory value", "currency", -1, group="stock", compared=("all",)),
    Metric("inventory_turns", "inventory turns", "turns per year", +1, 1, group="stock"),
    Metric("days_of_inventory", "days of inventory", "days", -1, 1, group="stock", compared=("all",), headline=1,
           summarised=("all",), chart="days_of_inventory", chart_channels=("all",),
           caption="average stock at cost over the cost of a day's sales, network-wide"),
    Metric("stockout_rate", "stockout rate", "share of node-SKU-days", -1, group="stock"),
    Metric("replenishment_fill_rate", "replenishment filled the day asked", "share of units requested", +1, group="stock"),
    Metric("spoilage_rate", "perishables spoiled", "share of perishable units", -1, group="stock"),
    Metric("transfer_units", "units transferred", "units", group="stock", compared=("all",)),
    # cost, by node type
    Metric("cost_holding", "holding cost", "currency", -1, group="cost"),
    Metric("cost_backorder", "backorder cost", "currency", -1, group="cost"),
    Metric("cost_transport", "transport cost", "currency", -1, group="cost"),
    Metric("cost_fulfilment", "fulfilment cost", "currency", -1, group="cost"),
    Metric("cost_transfer", "transfer cost", "currency", -1, group="cost"),
    Metric("cost_lost_margin", "lost margin", "currency", -1, group="cost"),
    Metric("cost_spoilage", "spoilage cost", "currency", -1, group="cost"),
    Metric("cost_shrink", "shrink cost", "currency", -1, group="cost"),
    Metric("cost_returns", "returns cost", "currency", -1, group="cost", also_in=("returns",), compared=("all",)),
    Metric("cost_per_order", "cost per online order", "currency per order", -1, 2, group="cost", compared=(*ONLINE_CHANNELS, "all"),
           headline=4, chart="cost_per_order_by_channel", chart_channels=ONLINE_CHANNELS,
           caption="picking, packing, transport and last mile per online order"),
    Metric("cost_total", "total cost", "currency", -1, group="cost", compared=("all",), headline=5, summarised=("all",)),
    # online returns, by channel and the node type that receives them
    Metric("returned_units", "units returned", "units", group="returns"),
    Metric("return_rate", "return rate", "share of delivered units", -1, group="returns", compared=(*ONLINE_CHANNELS, "all")),
    Metric("days_to_return", "days from delivery to return", "days", 0, 1, group="returns"),
    Metric("restocked_units", "returned units restocked", "units", +1, group="returns"),
    Metric("written_off_units", "returned units written off", "units", -1, group="returns"),
    Metric("days_to_resellable", "days from return to sellable", "days", -1, 1, group="returns", compared=("all",)),
    # the daily series (node type level)
    Metric("on_hand_units", "on hand", "units", group="series", definition="units on hand at the end of each day"),
    Metric("on_hand_value", "on-hand value", "currency", group="series", definition="on hand at the end of each day × unit cost"),
    Metric("in_transit_units", "in transit", "units", group="series",
           definition="units shipped to the node type and not yet received, at the end of each day"),
    Metric("backordered_units", "backordered", "units", -1, group="series",
           definition="units owed to online customers at the node type at the end of each day"),
    Metric("sold_units", "units sold", "units", group="series", definition="units sold to customers each day"),
    Metric("outflow_units", "units out (sold and shipped to other nodes)", "units", group="series",
           definition="units that left the node type each day: sold, and shipped to other nodes"),
    Metric("returns_in_flow_units", "returns in reverse flow", "units", group="series",
           definition="returned units started and not yet restocked or written off, at the end of each day"),
)

# How each KPI is computed, stated once for the metrics that share a definition (the KPI reference groups them).
_DEFINITIONS = {
    'demand_units': 'units customers asked for',
    'fill_rate_units': 'units served from stock on first attempt ÷ units demanded (walk-in: sold ÷ demand)',
    'fill_rate_lines': 'lines filled completely on first attempt ÷ lines (walk-in: a store-SKU-day with demand is a line)',
    'fill_rate_orders': 'online orders with every line filled on first attempt ÷ online orders (no walk-in rows)',
    'lost_sales_units': (
        'units never delivered: walk-in shortfalls (less the units converted to online orders), lost online lines, backorders '
        'cancelled after `max_wait_days`'
    ),
    ('recaptured_units', 'endless_aisle_units'): (
        'with `policies.walk_in_to_online`, channel `walk_in`: walk-in units the shelf could not serve (recapture) or asked for'
        ' SKUs the store does not range (endless aisle) that became online orders; from then on they count in their online '
        "channel's demand, fill and delivery"
    ),
    ('record_accuracy', 'shrink_units', 'cost_shrink'): (
        'with `policies.store_records` only, node type `store` (and `all`): ranged store-SKU-days whose record equals the shelf'
        " after the day's counts ÷ ranged store-SKU-days; units lost unrecorded; those units × unit cost"
    ),
    'orders': 'online orders placed',
    ('delivery_hours_mean', 'delivery_hours_p50', 'delivery_hours_p90', 'delivery_hours_p95'): (
        'per resolved online order (no line still waiting at the end), hours from placing it to the delivery (or pickup-ready '
        "time) of its last shipment. The mean is exact; quantiles come from a one-minute histogram (pandas' linear "
        "interpolation with each order statistic at its bin's middle, so within 30 seconds of the exact value; deliveries over "
        '30 days are kept exactly)'
    ),
    'on_time_rate': (
        "resolved orders delivered complete by the time they were due ÷ resolved orders. Due: the channel's promise for the "
        "zone's tier after the order (or after the serving node's opening, `promise_from: opening`), or by its "
        '`promise_windows`'
    ),
    'dispatch_within_sla': (
        "resolved orders with a shipment whose last shipment left (cut-off included) within the channel's `dispatch_sla_hours` "
        'of the order ÷ those orders'
    ),
    'split_rate': (
        'resolved orders sent in more than one shipment (several nodes, or a later backorder release) ÷ resolved orders with a '
        'shipment'
    ),
    'no_stock_rate': (
        'resolved orders with at least one line that failed because the shelf had less than the record showed '
        "(`record_inaccuracy`, or the platform's view lagging or drifting from the shelf) ÷ resolved orders"
    ),
    'stockout_rate': (
        'node-SKU-days ending with zero on hand ÷ node-SKU-days of SKUs the node stocks (target level > 0); channel `all`. With'
        ' node type `shock:<name>`: the nodes that shock hits, over its days'
    ),
    'replenishment_fill_rate': (
        'by requesting node type (channel `all`): units nodes of the type asked of a source that holds stock (not the outside '
        "supplier) and got shipped the same day ÷ units they asked that day (a node's older debts ship first); what "
        '`policies.allocation` decides where that source also serves online orders'
    ),
    'shelf_stockout_rate': (
        'channel `walk_in`, node type `store`: store-SKU-days of ranged SKUs (every SKU without `policies.ranging`) ending with'
        ' nothing on the shelf ÷ ranged store-SKU-days; unlike `stockout_rate` it counts SKUs whose level is 0 (never stocked) '
        'as empty: the stockout a shopper meets'
    ),
    'avg_inventory_value': 'mean over days of end-of-day on hand × unit cost',
    'inventory_turns': (
        "annualised outflow at cost ÷ `avg_inventory_value`; a node type's outflow is everything leaving it (sales and "
        "shipments to other nodes), the network's (`all`) only sales to customers"
    ),
    'days_of_inventory': '365 ÷ `inventory_turns` (absent when nothing left the stock: turns 0)',
    'cost_holding': 'Σ days of on-hand value × `holding_rate_per_year` ÷ 365',
    'cost_backorder': (
        'Σ days of units owed to online customers at the end of the day × `costs.backorder_per_unit_day` (only when it is '
        'priced)'
    ),
    'cost_transport': (
        'replenishment lanes (units × `cost_per_unit` + SKUs ordered × `cost_per_order` + deliveries × `cost_per_shipment`, by '
        "destination node type, channel `all`) plus last mile (every shipment of an online order at its origin's rate: fixed + "
        "per km × distance, × the zone's tier multiplier)"
    ),
    'cost_lost_margin': 'lost units × (price − unit cost), counted when the loss happens',
    'cost_spoilage': 'spoiled units × unit cost',
    'spoilage_rate': (
        'perishable units spoiled ÷ (spoiled + those that left the node: to customers or other nodes), per node type; for '
        "`all`, spoiled ÷ (spoiled + sold to customers): the network's loss rate of fresh goods"
    ),
    'cost_fulfilment': 'shipments × `fulfilment_per_order` of the shipping node type, by channel and node type',
    'cost_per_order': (
        '(`cost_fulfilment` + last-mile `cost_transport`) of online orders ÷ `orders`, by channel and serving node type: what '
        'getting an order to the customer costs (replenishment lanes are not in it)'
    ),
    ('transfer_units', 'cost_transfer'): (
        'units moved by transfers, by receiving node type and by direction (node type `transfer:lateral`, `transfer:top_up`, '
        '`transfer:pull_back`, `transfer:emergency`), and their cost: × `transfers.cost_per_unit` for lateral and emergency '
        "moves, × the lane's `cost_per_unit` for top-ups and pull-backs"
    ),
    'returned_units': (
        'with `returns`, by channel and the node type the return heads to (store or central warehouse, by its route): units of '
        'online lines shipped after warm-up that their customers return (counted when the line ships, whether or not the return'
        ' completes within the run)'
    ),
    'return_rate': '`returned_units` ÷ units shipped to online customers after warm-up, by channel (node type `all`)',
    'days_to_return': 'unit-weighted mean days from delivery to the return starting, by channel',
    ('restocked_units', 'written_off_units'): (
        "returned units sold again (on hand at the receiving node, or via the reverse lane the warehouse's online stock) and "
        'written off after inspection, by channel and the node type that restocks or writes them off, counted on the day'
    ),
    'days_to_resellable': (
        'mean whole days from the day a return starts to the day its units are sellable again (courier + inspection, or '
        'inspection, + lane wait + lane under split), over restocked units'
    ),
    'cost_returns': (
        'courier (`courier_cost_per_unit`) + handling (`handling_cost_per_unit` of the receiving node type) + write-offs at '
        'unit cost + reverse lane (`cost_per_unit`), by channel and receiving node type'
    ),
    'cost_total': 'holding + transport + fulfilment + transfers + spoilage + shrink + returns + lost margin (channel and node type `all`)',
}


def _defined(m: Metric) -> Metric:
    found = [text for names, text in _DEFINITIONS.items() if m.name == names or m.name in names]
    return replace(m, definition=found[0]) if found else m


METRICS: dict[str, Metric] = {m.name: _defined(m) for m in _METRICS}


def defined() -> list[tuple[list[Metric], str]]:
    """Each definition and the metrics it defines (the KPI reference's rows, in their order; no daily series)."""
    return [([METRICS[n] for n in ((names,) if isinstance(names, str) else names)], text) for names, text in _DEFINITIONS.items()]


def in_group(*groups: str) -> list[Metric]:
    """The metrics printed in these groups' table, in registry order."""
    return [m for m in METRICS.values() if m.group in groups or set(m.also_in) & set(groups)]


def compared() -> list[tuple[str, tuple[str, ...]]]:
    """(metric, channels) a comparison shows, in registry order."""
    return [(m.name, m.compared) for m in METRICS.values() if m.compared]


def headlines() -> list[str]:
    """A report's headline KPIs (channel all), in their order."""
    return [m.name for m in sorted(METRICS.values(), key=lambda m: m.headline) if m.headline]


def summarised() -> list[tuple[str, list[str]]]:
    """(metric, channels) of a sweep's one-line summary per grid point, in registry order."""
    return [(m.name, list(m.summarised)) for m in METRICS.values() if m.summarised]


def charted() -> list[Metric]:
    """The metrics a comparison draws as bars by channel, in registry order."""
    return [m for m in METRICS.values() if m.chart]


# What a person calls each channel; "all" is the network-wide figure.
CHANNEL_LABELS = {"walk_in": "walk-in", "bopis": "BOPIS", "home_delivery": "home delivery", "instant": "instant delivery",
                  "all": "all channels"}


def kpi_label(name: str, channel: str = "all") -> str:
    """A KPI of one channel as a chart or a table names it.

    >>> kpi_label("fill_rate_units", "walk_in"), kpi_label("days_of_inventory")
    ('Fill rate (units), walk-in', 'Days of inventory')
    """
    m = metric(name)
    if channel == "all" and not m.is_share and m.name != "cost_per_order":  # stock and cost are network-wide anyway
        return m.title
    return f"{m.title}, {CHANNEL_LABELS.get(channel, channel.replace('_', ' '))}"


def metric(name: str) -> Metric:
    """The registered metric ``name``; a KeyError naming the known ones otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None
