"""The charts of a report, each with the caption that says what it shows and how to read it: a comparison's
KPI bars and where its stock sits, a sweep's (its grid points as the policies, plus the trade-off and the
sensitivity), a run's time series and delivery times, and a decomposition's waterfall."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulation.experiment.compare import paired_table
from simulation.experiment.sweep import swept_parameters
from simulation.metrics.registry import CHANNEL_LABELS, charted, metric
from simulation.reporting import plots
from simulation.scenario import ONLINE_CHANNELS


@dataclass(frozen=True)
class Chart:
    name: str       # the file stem under figures/
    figure: object  # a matplotlib Figure
    caption: str


def draw(plot, *args, **kwargs):
    """A report-sized figure drawn by one of ``plots``' functions (matplotlib's object API: no pyplot
    state to select a backend for or to close)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context({"font.size": 12, "axes.labelsize": 12, "legend.fontsize": 11}):  # legible on a projector
        fig = Figure(figsize=(8, 4.5), layout="constrained")
        plot(*args, ax=fig.subplots(), **kwargs)
    return fig


def _whiskers(table: pd.DataFrame, kpis: list[tuple[str, str]], of: str) -> str:
    shown = table[table.set_index(["metric", "channel"]).index.isin(kpis) & (table.node_type == "all")]
    n = sorted(set(shown["replications"].astype(int)) - {0}) if "replications" in shown else []
    count = f"{n[0]}" if len(n) == 1 else f"{n[0]}-{n[-1]}" if n else "the"
    return (f"Bars are means over {count} replications {of}; whiskers are the 95% confidence interval of each mean "
            "(Student t over replications).")



def comparison_charts(table: pd.DataFrame, of: str = "per policy", delivery_bars: bool = False) -> list[Chart]:
    """KPI bars with 95% CIs per policy (or grid point) and where the stock sits, from a comparison table.
    ``delivery_bars``: also the 90th-percentile delivery time by channel (for sweeps, which keep no orders
    to draw distributions from)."""
    charts = []
    for m in charted():
        if m.chart == "delivery_p90_by_channel" and not delivery_bars:  # runs with orders draw their distributions instead
            continue
        kpis = [(m.name, c) for c in m.chart_channels
                if ((table.metric == m.name) & (table.channel == c) & (table.node_type == "all")).any()]
        if kpis:
            where = "" if kpis == [(m.name, "all")] else " by channel"
            charts.append(Chart(m.chart, draw(plots.kpi_comparison, table, kpis),
                                f"{m.title}{where} ({m.caption}), {of}. {_whiskers(table, kpis, of)}"))
    if ((table.metric == "avg_inventory_value") & (table.node_type != "all")).any():
        charts.append(Chart("stock_by_node_type", draw(plots.stock_by_node_type, table),
                            f"Where the stock sits: average inventory value at cost by node type, stacked, {of} (means over "
                            "replications)."))
    return charts


def point_label(params: list[str], values) -> str:
    """A grid point as a chart names it: its values in the parameters' order (the caption names them).

    >>> point_label(["policies.inventory_mode", "replenishment.store.service_level"], ("pool", 0.95))
    'pool, 0.95'
    """
    values = values if isinstance(values, tuple) else (values,)
    return ", ".join(str(v) for v in values)


def point_names(params: list[str]) -> str:
    """The parameters a grid point's label lists, by their last path segments."""
    return ", ".join(p.rsplit(".", 1)[-1] for p in params)


def sweep_as_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """A sweep's runs as a comparison table whose policies are the grid points (in grid order; paired
    differences against the first point: replication r of every point shares its random streams)."""
    params = swept_parameters(table)
    labels = {point: point_label(params, tuple(block[p].iloc[0] for p in params))
              for point, block in table.groupby("point", sort=True)}
    runs = table.assign(policy=table["point"].map(labels)).sort_values(["point", "replication"], kind="stable")
    return paired_table(runs, baseline=labels[min(labels)])


def sweep_charts(table: pd.DataFrame) -> list[Chart]:
    """Every grid point's KPI bars with CIs and stock by node type; the trade-off curve along a numeric
    parameter; the sensitivity ranking when there is more than one parameter or a numeric one."""
    params = swept_parameters(table)
    charts = comparison_charts(sweep_as_comparison(table), of=f"per grid point ({point_names(params)})", delivery_bars=True)
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(table[p])]
    if numeric:
        along = numeric[0]
        by = next((p for p in params if p != along), None)
        charts.append(Chart("service_vs_inventory", draw(plots.tradeoff_curve, table, along=along, by=by),
                            f"Service against stock along {along}{f', a line per {by}' if by else ''}: each point is a grid "
                            "point's mean over replications; the dashed line joins the points no other point beats on both."))
    if numeric or len(params) > 1:
        for kpi in ("fill_rate_units", "days_of_inventory"):
            charts.append(Chart(f"sensitivity_{kpi}", draw(plots.sensitivity, table, (kpi, "all")),
                                f"How far each swept parameter moves {metric(kpi).label}: the bar spans the lowest to the highest "
                                "mean over that parameter's values (averaged over the other parameters and the replications); "
                                "the value at each end is printed beside it."))
    return charts


def detail_charts(daily: pd.DataFrame, orders: pd.DataFrame, calendar: list[dict]) -> list[Chart]:
    """Stock and stockouts over time with promotions and shocks shaded, and delivery times per online
    channel: of a run's first replication, or of a comparison's policies (a line each)."""
    if "replication" in daily.columns:  # several replications: show the first
        daily = daily[daily["replication"] == daily["replication"].min()]
        orders = orders[orders["replication"] == orders["replication"].min()]
    windows = [(e["start_day"], e["end_day"], e["name"]) for e in calendar]
    shaded = " Shaded: promotions and shocks." if windows else ""
    charts = [Chart("stock_over_time", draw(plots.stock_over_time, daily, windows=windows, metric="on_hand_value"),
                    f"Stock on hand at cost, day by day, in the first replication.{shaded}"),
              Chart("stockouts_over_time", draw(plots.stock_over_time, daily, windows=windows, metric="stockout_rate"),
                    f"Share of stocked node-SKUs with nothing on hand, day by day, in the first replication.{shaded}")]
    done = orders.dropna(subset=["delivery_hours"])
    for channel in ONLINE_CHANNELS:
        mine = done[done["channel"].astype(str) == channel]
        if len(mine):  # each channel on its own scale: 30 minutes and two days do not share an axis
            limit = max(float(mine["delivery_hours"].quantile(0.99)), float(mine["promise_hours"].max())) * 1.1
            charts.append(Chart(f"delivery_time_{channel}", draw(plots.delivery_ecdf, mine, max_hours=limit),
                                f"{CHANNEL_LABELS[channel].capitalize()}: the share of delivered orders that arrived within "
                                "x hours of ordering (first replication's kept orders); dashed, the promise."))
    return charts


def decomposition_chart(shares: pd.DataFrame, baseline: str, policy: str, names: dict[str, str] | None = None,
                        kpi: tuple[str, str, str] = ("days_of_inventory", "all", "all")) -> Chart:
    """The decomposition waterfall: each switch's (or group's) Shapley share of the change, with its range over orders."""
    label = metric(kpi[0]).label
    return Chart(f"decomposition_{kpi[0]}", draw(plots.decomposition_waterfall, shares, kpi, names),
                 f"What each change adds to the change in {label} from {baseline} to {policy}: each bar is its Shapley "
                 "share (the mean of its effect over every order of making the changes), stacked to the total, whiskers "
                 "the 95% CI over paired replications; the grey bar beside it runs from its effect made first (from "
                 f"{baseline}) to its effect made last (onto all the others), so its length shows how much the order "
                 "matters. Green is a change for the better, red for the worse.")
