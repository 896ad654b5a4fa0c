"""Text tables for the terminal: a run's KPIs, a comparison side by side with paired differences, and a
sweep's summary per grid point. Numbers are formatted by the metric registry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.experiment.stats import t975
from simulation.metrics.registry import compared, in_group
from simulation.metrics.registry import metric as registered

# A run's tables, in print order: title, the registry's groups they print, their rows, and the rows they keep.
RUN_TABLES = (("Service by channel", ("service",), ["channel", "node_type"], None),
              ("Inventory and cost by node type", ("stock", "cost"), ["node_type"], ("channel", "all")),
              ("Store shelves", ("shelf",), ["node_type"], ("node_type", "store")),
              ("Returns by channel and receiving node type", ("returns",), ["channel", "node_type"], None))


def format_summary(summary: pd.DataFrame) -> str:
    """One line per grid point: its parameters, then each KPI as mean ±half-width."""
    value_cols = [c for c in summary.columns if c.endswith(" ±")]
    params = [c for c in summary.columns if c != "point" and c not in value_cols and f"{c} ±" not in summary.columns]
    rows = []
    for _, r in summary.iterrows():
        cells = [str(r[p]) for p in params]
        for c in value_cols:
            label = c[:-2]
            metric = label.split(" (")[0]
            if np.isfinite(r[label]):
                cells.append(_fmt(metric, r[label]) + (_pm(metric, r[label], r[label] + r[c]) if np.isfinite(r[c]) else ""))
            else:
                cells.append("")
        rows.append(cells)
    header = [*params, *[c[:-2] for c in value_cols]]
    keep = [i for i in range(len(header)) if i < len(params) or any(row[i] for row in rows)]
    header, rows = [header[i] for i in keep], [[row[i] for i in keep] for row in rows]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *rows])


def format_comparison(table: pd.DataFrame, baseline: str) -> str:
    """Side by side: each policy's mean ± 95% CI half-width, and each paired difference to the baseline."""
    table = table[table["node_type"] == "all"]
    policies = list(dict.fromkeys(table["policy"]))
    others = [p for p in policies if p != baseline]
    lines = []
    for metric, channels in compared():
        for channel in channels:
            rows = table[(table["metric"] == metric) & (table["channel"] == channel)].set_index("policy")
            if rows.empty or not rows["mean"].any():  # e.g. transfer units when no policy transfers
                continue
            cells = [f"{metric} ({channel})" if channel != "all" else metric]
            for p in policies:
                r = rows.loc[p] if p in rows.index else None
                cells.append("" if r is None else _fmt(metric, r["mean"]) + _pm(metric, r["mean"], r["ci_high"]))
            for p in others:
                r = rows.loc[p] if p in rows.index else None
                cells.append("" if r is None or not np.isfinite(r["diff"]) else _diff(metric, r))
            lines.append(cells)
    header = ["KPI", *policies, *[f"{p} - {baseline} [95% CI]" for p in others]]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
                     for row in [header, *lines])


def format_decomposition(shares: pd.DataFrame) -> str:
    """Per KPI of a decomposition (``decompose``'s table): the whole change, and each part's Shapley share with its 95%
    CI and its effect made first and made last."""
    parts = [s for s in dict.fromkeys(shares["switch"]) if s != "total"]
    lines = []
    for (metric, channel, node_type), rows in shares.groupby(["metric", "channel", "node_type"], sort=False):
        r = rows.set_index("switch")
        signed = registered(metric).signed
        label = metric if (channel, node_type) == ("all", "all") else \
            f"{metric} ({channel}{'' if node_type == 'all' else ', ' + node_type})"

        def ci(part, signed=signed, r=r):
            return f"{signed(r.loc[part, 'share'])} [{signed(r.loc[part, 'ci_low'])}, {signed(r.loc[part, 'ci_high'])}]"
        cells = [label, ci("total"), *[f"{ci(p)} ({signed(r.loc[p, 'first'])} .. {signed(r.loc[p, 'last'])})" for p in parts]]
        lines.append(cells)
    header = ["KPI", "whole change [95% CI]", *[f"{p} [95% CI] (made first .. last)" for p in parts]]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
                     for row in [header, *lines])


def _pm(metric_name: str, mean: float, high: float) -> str:
    half = high - mean
    if not np.isfinite(half):
        return ""
    return f" ±{half * 100:.1f}" if registered(metric_name).is_share else f" ±{_fmt(metric_name, half)}"


def _diff(metric_name: str, r) -> str:
    star = " *" if r["significant"] else " n.s."
    if registered(metric_name).is_share:  # percentage points
        return f"{r['diff'] * 100:+.1f} pp [{r['diff_low'] * 100:+.1f}, {r['diff_high'] * 100:+.1f}]{star}"
    pct = f" ({r['diff_pct']:+.0%})" if np.isfinite(r["diff_pct"]) else ""
    return f"{_fmt(metric_name, r['diff'])}{pct} [{_fmt(metric_name, r['diff_low'])}, {_fmt(metric_name, r['diff_high'])}]{star}"


def format_kpis(kpis: pd.DataFrame) -> str:
    """Two readable tables (service by channel, stock and cost by node type); with replications, the
    mean and the half-width of its 95% confidence interval."""
    group = ["metric", "channel", "node_type"]
    if "replication" in kpis and kpis["replication"].nunique() > 1:
        stats = kpis.groupby(group, sort=False)["value"].agg(["mean", "std", "count"]).reset_index()
        # Student t with n - 1 degrees of freedom: with a handful of replications 1.96 would claim too much
        half = np.array([t975(int(n) - 1) for n in stats["count"]]) * stats["std"] / np.sqrt(stats["count"])
        text = [_fmt(m, v) + (f" ±{_fmt(m, h)}" if np.isfinite(h) else "")
                for m, v, h in zip(stats["metric"], stats["mean"], half, strict=False)]
        table = stats.assign(text=text)
    else:
        table = kpis.assign(text=[_fmt(m, v) for m, v in zip(kpis["metric"], kpis["value"], strict=False)])
    parts = []
    for title, groups, index, keep in RUN_TABLES:
        metrics = [m.name for m in in_group(*groups)]
        sub = table[table["metric"].isin(metrics)]
        if keep is not None:
            sub = sub[sub[keep[0]] == keep[1]]
        if sub.empty:
            continue
        wide = sub.pivot_table(index=index, columns="metric", values="text", aggfunc="first", sort=False)
        wide = wide[[m for m in metrics if m in wide.columns]].fillna("")
        parts.append(f"{title}\n{wide.to_string()}")
    return "\n\n".join(parts)


def _fmt(metric_name: str, value: float) -> str:
    return registered(metric_name).format(value)
