"""A one-page report of a comparison or a sweep: the answer in a sentence, the numbers with their 95% CIs, and
the charts (``figures/*.png`` at 150 dpi and ``*.svg``), as ``report.html`` (self-contained: figures
inlined, no external references) and ``report.pdf``.

Only differences whose 95% CI excludes zero are stated as effects; the rest are reported as "no
significant difference".
"""

from __future__ import annotations

import base64
import html
import textwrap
from pathlib import Path

import pandas as pd

from simulation.experiment.results import ResultsFolder, atomic_write
from simulation.experiment.stats import mean_ci
from simulation.experiment.sweep import summarise, swept_parameters
from simulation.metrics.registry import metric
from simulation.reporting import plots
from simulation.spec import CHANNELS, ONLINE_CHANNELS

# (metric, channel) of the headline KPIs; what each is called, which way is better and how it is printed
# come from the metric registry.
HEADLINE = (("days_of_inventory", "all"), ("fill_rate_units", "all"), ("on_time_rate", "all"), ("cost_per_order", "all"),
            ("cost_total", "all"))


def _kpi(table: pd.DataFrame, metric: str, channel: str, policy: str, node_type: str = "all"):
    hit = table[(table.metric == metric) & (table.channel == channel) & (table.node_type == node_type) & (table.policy == policy)]
    return None if hit.empty else hit.iloc[0]


def headline(table: pd.DataFrame, baseline: str, policy: str) -> list[str]:
    """Sentences comparing ``policy`` with ``baseline``, computed from the comparison table."""
    out = []
    for name, channel in HEADLINE:
        m = metric(name)
        base, other = _kpi(table, name, channel, baseline), _kpi(table, name, channel, policy)
        if base is None or other is None:
            continue
        if not bool(other["significant"]):
            out.append(f"No significant difference in {m.label} ({m.with_unit(base['mean'])} against {m.with_unit(other['mean'])}).")
            continue
        rises = other["diff"] > 0
        verb = "raises" if rises else "cuts"
        good = rises == (m.better > 0)
        if m.is_share:  # the change in percentage points
            rel = f" ({other['diff'] * 100:+.1f} pp, 95% CI {other['diff_low'] * 100:+.1f} to {other['diff_high'] * 100:+.1f})"
        else:
            pct = "{:+.0%}" if abs(other["diff_pct"]) >= 0.1 else "{:+.1%}"  # small changes keep a decimal
            rel = (f" ({pct.format(other['diff_pct'])}, 95% CI {pct.format(other['diff_low'] / base['mean'])} to "
                   f"{pct.format(other['diff_high'] / base['mean'])})") if base["mean"] else ""
        out.append(f"{policy} {verb} {m.label} from {m.with_unit(base['mean'])} to {m.with_unit(other['mean'])}{rel}"
                   f"{'' if good else ', a change for the worse'}.")
    return out


def pooling_headline(runs: pd.DataFrame, baseline: str, control: str, policy: str,
                     name: str = "days_of_inventory") -> str:
    """How much of ``policy``'s change in a KPI (network-wide) is pooling: ``control`` is the baseline with
    the policy's other changes (its replenishment) and no pooling, so the paired difference policy -
    control is what pooling itself adds. Computed replication by replication from ``runs``."""
    m = metric(name)
    rows = runs[(runs.metric == name) & (runs.channel == "all") & (runs.node_type == "all")]
    wide = rows.pivot_table(index="replication", columns="policy", values="value", aggfunc="first")
    if not {baseline, control, policy} <= set(wide.columns):
        return ""
    base = float(wide[baseline].mean())
    total, by_control = wide[policy] - wide[baseline], wide[control] - wide[baseline]
    pooling, half = mean_ci((wide[policy] - wide[control]).to_numpy(float))
    share = f" ({by_control.mean() / total.mean():.0%} of it)" if total.mean() else ""
    verdict = "" if pooling - half > 0 or pooling + half < 0 else ": not significant"
    return (f"Of {policy}'s change in {m.label} ({m.signed(total.mean())}, {total.mean() / base:+.0%}), {control} reaches "
            f"{m.signed(by_control.mean())}{share} without pooling; pooling itself ({policy} against {control}) changes it "
            f"by {m.signed(pooling)} ({pooling / base:+.1%}, 95% CI {m.signed(pooling - half)} to {m.signed(pooling + half)}"
            f"{verdict}).")


def _chart(plot, *args, **kwargs):
    """A report-sized figure drawn by one of ``plots``' functions (matplotlib's object API: no pyplot
    state to select a backend for or to close)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context({"font.size": 12, "axes.labelsize": 12, "legend.fontsize": 11}):  # legible on a projector
        fig = Figure(figsize=(8, 4.5), layout="constrained")
        plot(*args, ax=fig.subplots(), **kwargs)
    return fig


def _figures(table: pd.DataFrame) -> dict[str, object]:
    figures = {}
    def present(metric):
        return [(metric, c) for c in CHANNELS if ((table.metric == metric) & (table.channel == c)).any()]
    for name, kpis in (("fill_rate_by_channel", present("fill_rate_units")), ("on_time_by_channel", present("on_time_rate")),
                       ("days_of_inventory", [("days_of_inventory", "all")]), ("cost_per_order_by_channel", present("cost_per_order"))):
        if kpis:
            figures[name] = _chart(plots.kpi_comparison, table, kpis)
    figures["stock_by_node_type"] = _chart(plots.stock_by_node_type, table)
    return figures


def report(results_dir: str | Path) -> Path:
    """Write the report of a comparison (``invsim compare``), sweep (``invsim sweep``) or run (``invsim
    run``) folder; returns report.html's path."""
    results = ResultsFolder.open(results_dir)
    folder, manifest = results.path, results.manifest
    if results.kind == "comparison":
        table = results.read("comparison")
        policies = list(dict.fromkeys(table.policy))
        baseline = manifest.get("baseline", policies[0])
        sentences = [s for p in policies if p != baseline for s in headline(table, baseline, p)]
        control = manifest.get("control")
        if control and results.has("runs"):  # the decomposition leads: it is what the meeting asks
            sentences = [s for p in policies if p not in (baseline, control)
                         for s in [pooling_headline(results.read("runs"), baseline, control, p)] if s] + sentences
        title = f"Policy comparison: {', '.join(policies)} (baseline {baseline})"
        figs, summary = _figures(table), _comparison_table(table, policies)
        if results.has("daily"):  # the first replication of each policy (older folders lack it)
            figs |= _detail_figures(results.read("daily"), results.read("orders"), manifest.get("calendar", []))
        note = (f"Seed {manifest.get('seed', '?')}, {manifest.get('replications', '?')} paired replications per policy on "
                "common random numbers. Effects are stated only where the 95% CI of the paired difference excludes zero.")
    elif results.kind == "sweep":
        table = results.read("sweep")
        sentences, figs, summary = sweep_headline(table), _sweep_figures(table), _sweep_table(table)
        title = f"Sweep over {', '.join(swept_parameters(table))}"
        note = (f"Seed {manifest.get('seed', '?')}, {manifest.get('replications', '?')} replications per grid point. Ranges "
                "are of means over replications; the table gives each point's 95% CI.")
    else:
        kpis = results.read("kpis")
        sentences, summary = run_headline(kpis), _run_table(kpis)
        figs = _detail_figures(results.read("daily"), results.read("orders"), manifest.get("calendar", []))
        title = f"Run of {manifest.get('scenario', folder.name)}"
        note = (f"Seed {manifest.get('seed', '?')}; {len(manifest['replication']) if isinstance(manifest.get('replication'), list) else 1} "
                "replication(s). Delivery times are those of the kept order sample.")
    out = folder / "figures"
    out.mkdir(exist_ok=True)
    images = {}
    for name, fig in figs.items():
        atomic_write(out / f"{name}.png", lambda tmp, fig=fig: fig.savefig(tmp, dpi=150, format="png"))
        atomic_write(out / f"{name}.svg", lambda tmp, fig=fig: fig.savefig(tmp, format="svg"))
        images[name] = base64.b64encode((out / f"{name}.png").read_bytes()).decode()
    _write_pdf(folder / "report.pdf", title, sentences, summary, figs)
    page = _html(title, sentences, summary, note, images)
    atomic_write(folder / "report.html", lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return folder / "report.html"


def _write_pdf(path: Path, title: str, sentences: list[str], summary, figs: dict) -> None:
    """An A4 cover with the title, the headline and the KPI table, then a page per chart."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    def write(tmp):
        with PdfPages(tmp) as pdf:
            cover = Figure(figsize=(8.27, 11.69))
            cover.text(0.08, 0.95, title, fontsize=16, va="top", wrap=True)
            y = 0.9
            for sentence in sentences:
                for line in textwrap.wrap(sentence, 80):
                    cover.text(0.08, y, line, fontsize=11, va="top")
                    y -= 0.025
                y -= 0.01
            head, rows = summary
            if rows:
                ax = cover.add_axes((0.08, 0.05, 0.84, y - 0.07))
                ax.axis("off")
                table = ax.table(cellText=rows, colLabels=head, loc="upper left", cellLoc="right", colLoc="right")
                table.auto_set_font_size(False)
                table.set_fontsize(8 if len(head) > 3 else 10)
                table.auto_set_column_width(list(range(len(head))))
                table.scale(1, 1.6)
            pdf.savefig(cover)
            for fig in figs.values():
                pdf.savefig(fig)

    atomic_write(path, write)


def _comparison_table(table, policies) -> tuple[list[str], list[list[str]]]:
    rows = []
    for name, channel in HEADLINE:
        m, cells = metric(name), []
        for p in policies:
            k = _kpi(table, name, channel, p)
            cells.append("–" if k is None else f"{m.with_unit(k['mean'])} [{m.with_unit(k['ci_low'])}, {m.with_unit(k['ci_high'])}]")
        rows.append([m.label, *cells])
    return ["KPI (mean [95% CI])", *policies], rows


def sweep_headline(table: pd.DataFrame) -> list[str]:
    """For each headline KPI: its range of means over the grid points, and the parameter that moves it most
    with the 95% CI of the difference between that parameter's extreme values (paired by replication;
    the extremes are picked from the data, so with many values the CI is a little optimistic)."""
    out = []
    params = swept_parameters(table)
    for name, channel in HEADLINE:
        m = metric(name)
        rows = table[(table.metric == name) & (table.channel == channel) & (table.node_type == "all")]
        if rows.empty:
            continue
        by_point = rows.groupby(params)["value"].mean()
        low, high = by_point.idxmin(), by_point.idxmax()
        spans = {p: rows.groupby(p)["value"].mean() for p in params}
        top = max(spans, key=lambda p: spans[p].max() - spans[p].min())
        def point(key):
            key = key if isinstance(key, tuple) else (key,)
            return ", ".join(f"{p}={v}" for p, v in zip(params, key, strict=True))
        # Is the top parameter's effect more than noise? Its two extreme values, paired replication by
        # replication (replication r of every point shares its random streams).
        per_rep = rows.groupby([top, "replication"])["value"].mean().unstack(top)
        diff, half = mean_ci((per_rep[spans[top].idxmax()] - per_rep[spans[top].idxmin()]).dropna().to_numpy(float))
        moves = (f"{m.with_unit(spans[top].min())} at {spans[top].idxmin()} to {m.with_unit(spans[top].max())} at "
                 f"{spans[top].idxmax()} on average; difference 95% CI {m.signed(diff - half)} to {m.signed(diff + half)}")
        effect = f"{top} moves it most ({moves})" if diff - half > 0 else \
            f"no parameter moves it significantly (the largest, {top}: {moves})"
        out.append(f"{m.label[0].upper() + m.label[1:]} runs from {m.with_unit(by_point.min())} ({point(low)}) to "
                   f"{m.with_unit(by_point.max())} ({point(high)}); {effect}.")
    return out


def _sweep_figures(table: pd.DataFrame) -> dict:
    figs = {f"sensitivity_{metric}": _chart(plots.sensitivity, table, (metric, channel))
            for metric, channel in (("fill_rate_units", "all"), ("days_of_inventory", "all"))}
    params = swept_parameters(table)
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(table[p])]
    if numeric:
        along = numeric[0]
        figs["service_vs_inventory"] = _chart(plots.tradeoff_curve, table, along=along,
                                              by=next((p for p in params if p != along), None))
    return figs


def _sweep_table(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    summary = summarise(table, list(HEADLINE))
    params = swept_parameters(table)
    head = [*params, *[metric(name).label for name, _ in HEADLINE]]
    rows = []
    for _, r in summary.iterrows():
        cells = [str(r[p]) for p in params]
        for name, _ in HEADLINE:
            m = metric(name)
            cells.append("–" if name not in r or pd.isna(r[name]) else f"{m.with_unit(r[name])} ± {m.with_unit(r[name + ' ±'])}")
        rows.append(cells)
    return head, rows


def _run_means(kpis: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% CI half-width per KPI over a run folder's replications (one replication: no CI)."""
    keys = ["metric", "channel", "node_type"]
    rows = [(*k, *mean_ci(g["value"].to_numpy(float))) for k, g in kpis.groupby(keys, sort=False)]
    return pd.DataFrame(rows, columns=[*keys, "mean", "half"]).set_index(keys)


def run_headline(kpis: pd.DataFrame) -> list[str]:
    means = _run_means(kpis)
    out = []
    for name, channel in HEADLINE:
        if (name, channel, "all") in means.index:
            m, k = metric(name), means.loc[(name, channel, "all")]
            ci = f" ± {m.with_unit(k['half'])}" if k["half"] == k["half"] and k["half"] > 0 else ""
            out.append(f"{m.label[0].upper() + m.label[1:]}: {m.with_unit(k['mean'])}{ci}.")
    return out


def _run_table(kpis: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    means = _run_means(kpis)
    shown = [(metric(name), channel) for channel in ("all", *CHANNELS)
             for name in ("fill_rate_units", "on_time_rate", "delivery_hours_p90") if (name, channel, "all") in means.index]
    return ["KPI", "value"], [[f"{m.label} ({channel.replace('_', ' ')})", m.with_unit(means.loc[(m.name, channel, "all")]["mean"])]
                              for m, channel in shown]


def _detail_figures(daily: pd.DataFrame, orders: pd.DataFrame, calendar: list[dict]) -> dict:
    """Stock and stockouts over time with promotions and shocks shaded, and delivery times per online
    channel: of a run's first replication, or of a comparison's policies (a line each)."""
    if "replication" in daily.columns:  # several replications: show the first
        daily = daily[daily["replication"] == daily["replication"].min()]
        orders = orders[orders["replication"] == orders["replication"].min()]
    windows = [(e["start_day"], e["end_day"], e["name"]) for e in calendar]
    figs = {name: _chart(plots.stock_over_time, daily, windows=windows, metric=metric)
            for name, metric in (("stock_over_time", "on_hand_value"), ("stockouts_over_time", "stockout_rate"))}
    done = orders.dropna(subset=["delivery_hours"])
    for channel in ONLINE_CHANNELS:
        mine = done[done["channel"].astype(str) == channel]
        if len(mine):  # each channel on its own scale: 30 minutes and two days do not share an axis
            limit = max(float(mine["delivery_hours"].quantile(0.99)), float(mine["promise_hours"].max())) * 1.1
            figs[f"delivery_time_{channel}"] = _chart(plots.delivery_ecdf, mine, max_hours=limit)
    return figs


def _html(title, sentences, summary, note, images) -> str:
    head, rows = summary
    table = ("<table><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in head) + "</tr>"
             + "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows) + "</table>")
    figures = "".join(f'<figure><img alt="{html.escape(n)}" src="data:image/png;base64,{b64}">'
                      f"<figcaption>{html.escape(n.replace('_', ' '))}</figcaption></figure>" for n, b64 in images.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
h1{{font-size:1.6rem}} .headline p{{font-size:1.15rem;margin:.4rem 0}}
table{{border-collapse:collapse;margin:1rem 0}} th,td{{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:right}}
th:first-child,td:first-child{{text-align:left}} figure{{margin:1rem 0}} img{{max-width:100%}}</style></head>
<body><h1>{html.escape(title)}</h1>
<section class="headline" id="headline">{''.join(f'<p>{html.escape(s)}</p>' for s in sentences)}</section>
{table}
<p><small>{html.escape(note)}</small></p>
{figures}
</body></html>
"""
