"""Charts for decision meetings: each function takes the engine's tidy DataFrames and an optional
``ax`` and returns the Axes, so analysts reuse them in notebooks. Policies keep one colour across all
charts (Okabe-Ito, readable by colour-blind viewers); every axis carries its unit.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulation.metrics import registry
from simulation.metrics.registry import CHANNEL_LABELS, kpi_label, metric

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
NODE_TYPE_LABELS = {"central_warehouse": "central warehouse", "forward_warehouse": "forward warehouses", "store": "stores"}
LINESTYLES = ("-", ":", "-.", (0, (6, 2)))  # channels, where colour is the policy's


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """One colour per policy, in the order given (the same order gives the same colours everywhere); past
    the palette's eight, matplotlib's tab20 (a sweep's grid points)."""
    names = list(dict.fromkeys(policies))
    if len(names) <= len(PALETTE):
        return {p: PALETTE[i] for i, p in enumerate(names)}
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    return {p: to_hex(colormaps["tab20"](i % 20)) for i, p in enumerate(names)}


def _wrapped(text: str, width: int = 16) -> str:
    """Text in lines of at most ``width`` characters (long names cut where they must)."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _legend_outside(ax, **kwargs) -> None:
    """The legend to the right of the data, where it hides nothing however many policies there are."""
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), **kwargs)


def _category_ticks(ax, names: Sequence[str]) -> None:
    """Category names under bars, wrapped (narrower the more there are), and slanted past six or when more than
    three are long (a sweep's grid points), so none overlaps the next."""
    slant = len(names) > 6 or (len(names) > 3 and max(len(str(n)) for n in names) > 16)
    labels = [str(n) if slant else _wrapped(n, 10 if len(names) > 3 else 20) for n in names]  # slanted lines never touch
    ax.set_xticks(np.arange(len(names)), labels, rotation=35 if slant else 0, ha="right" if slant else "center",
                  rotation_mode="anchor" if slant else "default")


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
        ax.bar(x, mean, width, color=colors[policy], label=_wrapped(policy, 24),
               yerr=np.vstack([mean - low, high - mean]), capsize=3, error_kw={"elinewidth": 1})
    names = {m for m, _ in kpis}
    if len(kpis) == 1 and kpis[0][1] == "all":
        ticks = ["whole network"]
    else:
        ticks = [CHANNEL_LABELS.get(c, c) if len(names) == 1 else kpi_label(m, c) for m, c in kpis]
    _category_ticks(ax, ticks)
    first = metric(kpis[0][0])  # one metric by channel: named on the axis; several of one unit: the unit
    ax.set_ylabel(_wrapped(first.axis_label if len(names) == 1 else "%" if share else first.unit, 34))
    _legend_outside(ax, title="bars: mean\nwhiskers: 95% CI")
    _thousands(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


ECDF_POINTS = 3000


def delivery_ecdf(orders: pd.DataFrame, ax=None, max_hours: float | None = None):
    """Share of orders delivered within x hours, a line per channel, with each channel's promise (its most
    common promise, when most orders have it, else the median) dashed. ``orders``: ``RunResult.orders``, or a comparison's orders with a
    ``policy`` column: then a line per policy in its colour (a line style per channel) and the promises in grey."""
    ax = _axes(ax)
    done = orders.dropna(subset=["delivery_hours"])
    policies = list(pd.unique(done["policy"])) if "policy" in done.columns else [None]
    colors, several = policy_colors(policies), len(policies) > 1
    channels = [str(c) for c in pd.unique(done["channel"].astype(str))]
    for i, channel in enumerate(channels):
        mine = done[done["channel"].astype(str) == channel]
        name = channel.replace("_", " ")
        color = "0.4" if several else PALETTE[i % len(PALETTE)]
        for policy in policies:
            hours = np.sort((mine if policy is None else mine[mine["policy"] == policy])["delivery_hours"].to_numpy())
            if hours.size:
                label = (f"{policy}, {name}" if len(channels) > 1 else str(policy)) if several else name
                # at most ECDF_POINTS steps drawn, evenly by rank: the same curve at any printed size, far faster
                step = np.unique(np.linspace(0, hours.size - 1, min(hours.size, ECDF_POINTS)).astype(np.int64))
                ax.step(hours[step], (step + 1) / hours.size * 100, where="post", label=label,
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
    _legend_outside(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def stock_over_time(daily: pd.DataFrame, ax=None, windows: Sequence[tuple[float, float, str]] = (),
                    metric: str = "on_hand_value"):
    """A daily series (``RunResult.daily``; default: stock at cost), a line per node type, or, given a
    comparison's daily series with a ``policy`` column, the network's (node type ``all``) per policy in
    its colour. Calendar windows (start day, end day, label), such as shocks and promotions, are shaded."""
    ax = _axes(ax)
    rows = daily[daily["metric"] == metric]
    metric_info = registry.metric(metric)
    share = metric_info.is_share
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
    ax.set_ylabel(_wrapped(metric_info.axis_label, 34))  # the series' unit, from the registry
    _legend_outside(ax)
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
        ax.bar(np.arange(len(wide)), values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=NODE_TYPE_LABELS[node_type])
        bottom += values
    _category_ticks(ax, list(wide.index))
    ax.set_ylabel("Average inventory value (currency)")
    _legend_outside(ax)
    _thousands(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _kpi_means(table: pd.DataFrame, kpi: tuple[str, str], keys: list[str]) -> pd.Series:
    rows = table[(table["metric"] == kpi[0]) & (table["channel"] == kpi[1]) & (table["node_type"] == "all")]
    return rows.groupby(keys, sort=True)["value"].mean()


def non_dominated(cost: np.ndarray, service: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Indices, in order of cost, of the points no other point beats on both: less cost and better service (higher,
    or lower where ``higher_is_better`` is False). Each kept point serves better than every cheaper one.

    >>> non_dominated(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.9, 0.95, 0.97, 0.96])).tolist()
    [0, 1, 2]
    """
    better = service if higher_is_better else -service
    order = np.lexsort((-better, cost))            # by cost, the better service first among equal costs
    best = np.maximum.accumulate(better[order])
    kept = np.r_[True, best[1:] > best[:-1]]       # raises the best service of every cheaper point
    return order[kept]


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
    frontier = both.iloc[non_dominated(both["x"].to_numpy(float), both["y"].to_numpy(float))]
    ax.plot(frontier["x"], frontier["y"] * 100, linestyle="--", color="0.3", label="efficient frontier", zorder=0)
    ax.set_xlabel(f"{kpi_label(*x)} ({metric(x[0]).axis_unit})")
    ax.set_ylabel(_wrapped(f"{kpi_label(*y)} ({metric(y[0]).axis_unit})", 34))
    _legend_outside(ax, title=by)
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
    ax.set_yticks(range(len(spans)), [_wrapped(s[0].replace(".", ". "), 18).replace(". ", ".") for s in spans])  # break at the dots
    if spans:  # room for the values printed at each end (bars pin the axis to their ends otherwise)
        low, high = min(sp[1] for sp in spans) * scale, max(sp[2] for sp in spans) * scale
        pad = 0.15 * (high - low) if high > low else max(abs(high) * 0.05, 1e-6)
        ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel(_wrapped(f"{kpi_label(*kpi)} ({metric(kpi[0]).axis_unit}): range of the mean over each parameter's values", 60))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def decomposition_waterfall(shares: pd.DataFrame, kpi: tuple[str, str, str] = ("days_of_inventory", "all", "all"),
                            names: dict[str, str] | None = None, ax=None):
    """What each switch (or group of switches) adds to a KPI's change: a waterfall of their Shapley shares
    (``decompose``'s table: switch, metric, channel, node_type, share, ci_low, ci_high, first, last; bars float from
    the running total, whiskers the 95% CI of each share) ending in the total; beside each bar, its range over orders:
    the switch's effect turned on first (from none) and last (onto all the others), a grey bar with ticks at both
    ends. ``names``: what to call the switches."""
    ax = _axes(ax)
    m, names = metric(kpi[0]), names or {}
    mine = shares[(shares["metric"] == kpi[0]) & (shares["channel"] == kpi[1]) & (shares["node_type"] == kpi[2])]
    parts = [r for _, r in mine.iterrows() if r["switch"] != "total"]
    total = mine[mine["switch"] == "total"].iloc[0]
    labels, x = [], 0
    good, bad = PALETTE[2], PALETTE[3]

    def tone(change):
        return good if change * m.better > 0 else bad if change * m.better < 0 else "0.6"

    def bar(label, start, change, low, high, color, orders=None):
        nonlocal x
        ax.bar(x, change, bottom=start, color=color, width=0.6)
        ax.errorbar(x, start + change, yerr=[[change - low], [high - change]], color="0.2", capsize=3, elinewidth=1)
        if orders is not None:  # the range over orders, beside the bar
            ends = [start + orders[0], start + orders[1]]
            ax.plot([x + 0.42] * 2, ends, color="0.55", linewidth=3, solid_capstyle="butt")
            ax.scatter([x + 0.42] * 2, ends, marker="_", s=60, color="0.3", zorder=3)
        ax.annotate(m.signed(change), (x, max(start, start + change)), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize=9)
        labels.append((x, label))
        x += 1.2
    level = 0.0
    for r in parts:
        label = names.get(r["switch"], r["switch"].replace("_", " "))
        bar(label, level, r["share"], r["ci_low"], r["ci_high"], tone(r["share"]),
            (r["first"], r["last"]) if "first" in r and r["first"] == r["first"] else None)
        level += r["share"]
    bar("total", 0.0, total["share"], total["ci_low"], total["ci_high"], PALETTE[0])
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks([p for p, _ in labels], [_wrapped(t, 14) for _, t in labels], fontsize=9)
    from matplotlib.lines import Line2D  # proxies: what the whiskers and the grey bars are

    ax.legend(handles=[Line2D([], [], color="0.2", marker="_", markersize=8, linewidth=1, label="95% CI of the share"),
                       Line2D([], [], color="0.55", linewidth=3, label="range over orders\n(made first .. made last)")],
              frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_ylabel(_wrapped(f"Change in {m.label} ({m.axis_unit})", 34))
    ax.spines[["top", "right"]].set_visible(False)
    return ax
