"""Charts for decision meetings: each function takes the engine's tidy DataFrames and an optional
``ax`` and returns the Axes, so analysts reuse them in notebooks. Policies keep one colour across all
charts (Okabe-Ito, readable by colour-blind viewers); every axis carries its unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulation.metrics.registry import metric

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
NODE_TYPE_LABELS = {"central_warehouse": "central warehouse", "forward_warehouse": "forward warehouses", "store": "stores"}
LINESTYLES = ("-", ":", "-.", (0, (6, 2)))  # channels, where colour is the policy's


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """One colour per policy, in the order given (the same order gives the same colours everywhere)."""
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(dict.fromkeys(policies))}


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 4.5), layout="constrained")[1]


def _thousands(ax) -> None:
    """Plain numbers with thousands separators on the y axis (no '1e6' offset a room cannot read), with
    as many decimals as the ticks need (ticks 0.05 or 2.5 apart are not printed rounded)."""
    from matplotlib.ticker import FuncFormatter

    def label(value, _):
        ticks = np.asarray(ax.yaxis.get_majorticklocs())
        decimals = next((d for d in range(7) if np.allclose(ticks * 10**d, np.round(ticks * 10**d), atol=1e-6)), 6)
        return f"{value:,.{decimals}f}"

    ax.yaxis.set_major_formatter(FuncFormatter(label))


def _is_share(name: str) -> bool:
    return metric(name).is_share


def _unit(name: str) -> str:
    """The unit of a KPI that is not a share (the metric registry's)."""
    return metric(name).unit


def kpi_comparison(table: pd.DataFrame, kpis: Sequence[tuple[str, str]], ax=None, node_type: str = "all"):
    """Grouped bars of KPI means by policy with 95% CI error bars, from a comparison table
    (``compare(...).table``: metric, channel, node_type, policy, mean, ci_low, ci_high). ``kpis`` are
    (metric, channel) pairs of one unit: shares (plotted in %) or one quantity."""
    ax = _axes(ax)
    rows = table[table["node_type"] == node_type]
    policies = list(dict.fromkeys(rows["policy"]))
    colors = policy_colors(policies)
    width = 0.8 / max(len(policies), 1)
    share = all(_is_share(m) for m, _ in kpis)
    scale = 100.0 if share else 1.0
    for j, policy in enumerate(policies):
        mine = rows[rows["policy"] == policy].set_index(["metric", "channel"])
        got = [mine.loc[k] if k in mine.index else None for k in kpis]
        mean = np.array([np.nan if g is None else g["mean"] for g in got]) * scale
        low = np.array([np.nan if g is None else g["ci_low"] for g in got]) * scale
        high = np.array([np.nan if g is None else g["ci_high"] for g in got]) * scale
        x = np.arange(len(kpis)) + (j - (len(policies) - 1) / 2) * width
        ax.bar(x, mean, width, color=colors[policy], label=policy,
               yerr=np.vstack([mean - low, high - mean]), capsize=3, error_kw={"elinewidth": 1})
    ax.set_xticks(np.arange(len(kpis)), [f"{m.replace('_', ' ')}\n({c.replace('_', ' ')})" for m, c in kpis])
    ax.set_ylabel("% (mean, 95% CI)" if share else f"{kpis[0][0].replace('_', ' ')} ({_unit(kpis[0][0])}; mean, 95% CI)")
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=max(len(policies), 1))
    _thousands(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def delivery_ecdf(orders: pd.DataFrame, ax=None, max_hours: float | None = None):
    """Share of orders delivered within x hours, a line per channel, with each channel's promise (its most
    common promise, when most orders have it, else the median) dashed. ``orders``: ``RunResult.orders``, or a comparison's orders with a
    ``policy`` column: then a line per policy in its colour (a line style per channel) and the promises in grey."""
    ax = _axes(ax)
    done = orders.dropna(subset=["delivery_hours"])
    policies = list(dict.fromkeys(done["policy"])) if "policy" in done.columns else [None]
    colors, several = policy_colors(policies), len(policies) > 1
    channels = list(dict.fromkeys(done["channel"].astype(str)))
    for i, channel in enumerate(channels):
        mine = done[done["channel"].astype(str) == channel]
        name = channel.replace("_", " ")
        color = "0.4" if several else PALETTE[i % len(PALETTE)]
        for policy in policies:
            hours = np.sort((mine if policy is None else mine[mine["policy"] == policy])["delivery_hours"].to_numpy())
            if hours.size:
                label = (f"{policy}, {name}" if len(channels) > 1 else str(policy)) if several else name
                ax.step(hours, np.arange(1, hours.size + 1) / hours.size * 100, where="post", label=label,
                        color=colors[policy] if several else color, linestyle=LINESTYLES[i % len(LINESTYLES)] if several else "-")
        # Promises vary by tier, by the opening clock and by windows: the most common, or the median when none is most orders'.
        promises = mine["promise_hours"]
        common = promises.mode().iloc[0]
        usual = (promises == common).mean() >= 0.5
        promise = common if usual else float(promises.median())
        ax.axvline(promise, color=color, linestyle="--", linewidth=1)
        ax.annotate(f"{'promise' if usual else 'median promise'} {promise:.3g} h", (promise, 2), xytext=(3, 0),
                    textcoords="offset points", fontsize=10, color=color)
    if max_hours is not None:
        ax.set_xlim(0, max_hours)
    ax.set_xlabel("hours from order to delivery (dashed: the promise)")
    ax.set_ylabel("orders delivered (%)")
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def stock_over_time(daily: pd.DataFrame, ax=None, windows: Sequence[tuple[float, float, str]] = (),
                    metric: str = "on_hand_value"):
    """A daily series (``RunResult.daily``; default: stock at cost), a line per node type, or, given a
    comparison's daily series with a ``policy`` column, the network's (node type ``all``) per policy in
    its colour. Calendar windows (start day, end day, label), such as shocks and promotions, are shaded."""
    ax = _axes(ax)
    rows = daily[daily["metric"] == metric]
    share = _is_share(metric)
    scale = 100.0 if share else 1.0
    policies = list(dict.fromkeys(rows["policy"])) if "policy" in rows.columns else []
    if len(policies) > 1:
        colors = policy_colors(policies)
        for policy, g in rows[rows["node_type"] == "all"].groupby("policy", sort=False):
            ax.plot(g["day"], g["value"] * scale, color=colors[policy], label=policy)
    else:
        rows = rows[rows["node_type"].isin(list(NODE_TYPE_LABELS))]
        for i, (node_type, g) in enumerate(rows.groupby("node_type", sort=False)):
            ax.plot(g["day"], g["value"] * scale, color=PALETTE[i % len(PALETTE)], label=NODE_TYPE_LABELS[node_type])
    last = rows["day"].max() if len(rows) else 0
    for start, end, label in windows:
        if start <= last:  # calendar entries past the horizon are not drawn
            ax.axvspan(start, min(end, last), color="0.85", zorder=0)
            ax.annotate(label, (start, 0.98), xycoords=("data", "axes fraction"), va="top", ha="right", rotation=90, fontsize=8)
    ax.set_xlabel("day")
    unit = "% of stocked node-SKUs" if share else "currency" if metric.endswith("value") else "units"
    ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit})")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _thousands(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def stock_by_node_type(table: pd.DataFrame, ax=None):
    """Where the stock sits: average inventory value by node type, stacked, one bar per policy (from a
    comparison table's ``avg_inventory_value`` rows)."""
    ax = _axes(ax)
    rows = table[(table["metric"] == "avg_inventory_value") & (table["node_type"] != "all")]
    wide = rows.pivot_table(index="policy", columns="node_type", values="mean", sort=False)
    bottom = np.zeros(len(wide))
    for i, node_type in enumerate(t for t in NODE_TYPE_LABELS if t in wide.columns):
        values = wide[node_type].fillna(0.0).to_numpy()
        ax.bar(wide.index, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=NODE_TYPE_LABELS[node_type])
        bottom += values
    ax.set_ylabel("average inventory value (currency)")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _thousands(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _kpi_means(table: pd.DataFrame, kpi: tuple[str, str], keys: list[str]) -> pd.Series:
    rows = table[(table["metric"] == kpi[0]) & (table["channel"] == kpi[1]) & (table["node_type"] == "all")]
    return rows.groupby(keys, sort=True)["value"].mean()


def tradeoff_curve(table: pd.DataFrame, along: str, by: str | None = None, ax=None,
                   x: tuple[str, str] = ("days_of_inventory", "all"), y: tuple[str, str] = ("fill_rate_units", "all")):
    """Service against inventory across a swept target (``along``, e.g. a service level), one line per
    value of ``by`` (e.g. the inventory mode), from a sweep table. The dashed line is the efficient
    frontier: the points no other point beats on both (less inventory and more service)."""
    ax = _axes(ax)
    keys = [k for k in (by, along) if k]
    xs, ys = _kpi_means(table, x, keys), _kpi_means(table, y, keys)
    both = pd.DataFrame({"x": xs, "y": ys}).dropna().reset_index()
    groups = both.groupby(by, sort=False) if by else [("all points", both)]
    for i, (label, group) in enumerate(groups):
        g = group.sort_values(along)
        ax.plot(g["x"], g["y"] * 100, marker="o", color=PALETTE[i % len(PALETTE)], label=str(label))
        for _, r in g.iterrows():
            ax.annotate(f"{r[along]:g}", (r["x"], r["y"] * 100), textcoords="offset points", xytext=(4, -10), fontsize=8)
    frontier = both.sort_values(["x", "y"], ascending=[True, False])
    frontier = frontier[frontier["y"] > frontier["y"].cummax().shift(fill_value=-np.inf)]  # beats every cheaper point
    ax.plot(frontier["x"], frontier["y"] * 100, linestyle="--", color="0.3", label="efficient frontier", zorder=0)
    ax.set_xlabel(f"{x[0].replace('_', ' ')} ({'days' if x[0] == 'days_of_inventory' else x[1]})")
    ax.set_ylabel(f"{y[0].replace('_', ' ')} (%)")
    ax.legend(frameon=False, title=by)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def sensitivity(table: pd.DataFrame, kpi: tuple[str, str] = ("fill_rate_units", "all"), ax=None):
    """How far each swept parameter moves a KPI: for each parameter, the range of the KPI's mean over
    its values (averaged over the other parameters and the replications), largest on top."""
    from simulation.experiment.sweep import swept_parameters

    ax = _axes(ax)
    params = swept_parameters(table)
    spans = []
    for p in params:
        means = _kpi_means(table, kpi, [p])
        spans.append((p, means.min(), means.max(), means.idxmin(), means.idxmax()))
    spans.sort(key=lambda s: s[2] - s[1])
    share = _is_share(kpi[0])
    scale = 100.0 if share else 1.0
    for i, (_, low, high, at_low, at_high) in enumerate(spans):
        ax.barh(i, (high - low) * scale, left=low * scale, color=PALETTE[0])
        ax.annotate(f"{at_low}", (low * scale, i), xytext=(-4, 0), textcoords="offset points", ha="right", va="center", fontsize=8)
        ax.annotate(f"{at_high}", (high * scale, i), xytext=(4, 0), textcoords="offset points", ha="left", va="center", fontsize=8)
    ax.set_yticks(range(len(spans)), [s[0] for s in spans])
    unit = " (%)" if share else ""
    ax.set_xlabel(f"{kpi[0].replace('_', ' ')} ({kpi[1].replace('_', ' ')}){unit}: range of the mean over each parameter's values")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
