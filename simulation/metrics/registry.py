"""The KPI registry: every metric the engine reports, with its label, unit, which way is better and how
it is printed. The CLI tables, the plots, the report's headlines and the experiments read it from here,
so nothing guesses a unit from a name and a new KPI is described once."""

from __future__ import annotations

from dataclasses import dataclass

SPOKEN_UNITS = ("days", "hours", "turns per year")  # said after the number; money and counts go bare


@dataclass(frozen=True)
class Metric:
    name: str
    label: str           # what a person calls it
    unit: str            # "share" (printed in %), or the unit of the number
    better: int = 0      # +1 higher is better, -1 lower is better, 0 neither (a volume)
    decimals: int = 0    # decimals of a non-share value

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
    Metric("demand_units", "units demanded", "units"),
    Metric("fill_rate_units", "fill rate (units)", "share of units", +1),
    Metric("fill_rate_lines", "fill rate (lines)", "share of lines", +1),
    Metric("fill_rate_orders", "orders filled complete", "share of orders", +1),
    Metric("lost_sales_units", "lost sales", "units", -1),
    Metric("shelf_stockout_rate", "shelf stockout", "share of store-SKU-days", -1),
    Metric("recaptured_units", "walk-in units recaptured online", "units", +1),
    Metric("endless_aisle_units", "endless-aisle units", "units", +1),
    Metric("record_accuracy", "store records matching the shelf", "share of store-SKU-days", +1),
    Metric("shrink_units", "units lost unrecorded (shrink)", "units", -1),
    Metric("orders", "online orders", "orders", 0, 1),  # a mean over replications keeps a decimal
    Metric("delivery_hours_mean", "mean delivery time", "hours", -1, 1),
    Metric("delivery_hours_p50", "median delivery time", "hours", -1, 1),
    Metric("delivery_hours_p90", "90th-percentile delivery time", "hours", -1, 1),
    Metric("delivery_hours_p95", "95th-percentile delivery time", "hours", -1, 1),
    Metric("on_time_rate", "online orders on time", "share of orders", +1),
    Metric("dispatch_within_sla", "orders dispatched within the SLA", "share of orders", +1),
    Metric("split_rate", "orders split into several shipments", "share of orders", -1),
    Metric("no_stock_rate", "orders that found no stock", "share of orders", -1),
    Metric("stockout_rate", "stockout rate", "share of node-SKU-days", -1),
    Metric("replenishment_fill_rate", "replenishment filled the day asked", "share of units requested", +1),
    Metric("avg_inventory_value", "average inventory value", "currency", -1),
    Metric("inventory_turns", "inventory turns", "turns per year", +1, 1),
    Metric("days_of_inventory", "days of inventory", "days", -1, 1),
    Metric("cost_holding", "holding cost", "currency", -1),
    Metric("cost_backorder", "backorder cost", "currency", -1),
    Metric("cost_transport", "transport cost", "currency", -1),
    Metric("cost_fulfilment", "fulfilment cost", "currency", -1),
    Metric("cost_transfer", "transfer cost", "currency", -1),
    Metric("cost_spoilage", "spoilage cost", "currency", -1),
    Metric("spoilage_rate", "perishables spoiled", "share of perishable units", -1),
    Metric("cost_shrink", "shrink cost", "currency", -1),
    Metric("cost_lost_margin", "lost margin", "currency", -1),
    Metric("cost_per_order", "cost per online order", "currency per order", -1, 2),
    Metric("cost_total", "total cost", "currency", -1),
    Metric("transfer_units", "units transferred", "units"),
    Metric("returned_units", "units returned", "units"),
    Metric("return_rate", "return rate", "share of delivered units", -1),
    Metric("restocked_units", "returned units restocked", "units", +1),
    Metric("written_off_units", "returned units written off", "units", -1),
    Metric("days_to_return", "days from delivery to return", "days", 0, 1),
    Metric("days_to_resellable", "days from return to sellable", "days", -1, 1),
    Metric("cost_returns", "returns cost", "currency", -1),
    # the daily series (node type level)
    Metric("on_hand_units", "on hand", "units"),
    Metric("on_hand_value", "on-hand value", "currency"),
    Metric("in_transit_units", "in transit", "units"),
    Metric("backordered_units", "backordered", "units", -1),
    Metric("sold_units", "units sold", "units"),
    Metric("outflow_units", "units out (sold and shipped to other nodes)", "units"),
    Metric("returns_in_flow_units", "returns in reverse flow", "units"),
)
METRICS: dict[str, Metric] = {m.name: m for m in _METRICS}


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
