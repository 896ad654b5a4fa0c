"""The report of a comparison, a sweep or a run: the answer in sentences, the numbers with their 95% CIs, and
the charts with captions (``figures/*.png`` at 150 dpi and ``*.svg``), as ``report.html`` (self-contained:
figures inlined, no external references) and ``report.pdf`` (an A4 document). This module writes the words
and the tables; ``figures`` draws the charts, ``page`` and ``pdf`` lay them out.

Only differences whose 95% CI excludes zero are stated as effects; the rest are reported as "no
significant difference".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.experiment.results import ResultsFolder
from simulation.experiment.stats import mean_ci
from simulation.experiment.sweep import summarise, swept_parameters
from simulation.metrics.registry import CHANNEL_LABELS, headlines, in_group, kpi_label, metric
from simulation.reporting import figures
from simulation.reporting.figures import point_names
from simulation.reporting.publish import publish
from simulation.reporting.search import search_report
from simulation.scenario import CHANNELS

# (metric, channel) of the headline KPIs, in the registry's ranking; what each is called, which way is better and how it
# is printed come from the registry too.
HEADLINE = tuple((name, "all") for name in headlines())


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


# What a decomposition states in words (metric, channel, node type), the first leading; each KPI's shares are in
# shapley.parquet.
DECOMPOSED = (("days_of_inventory", "all", "all"), ("avg_inventory_value", "all", "all"),
              ("shelf_stockout_rate", "walk_in", "store"), ("fill_rate_units", "walk_in", "all"),
              ("fill_rate_units", "home_delivery", "all"), ("fill_rate_units", "instant", "all"), ("cost_total", "all", "all"))


def decomposition_sentence(shares: pd.DataFrame, kpi: tuple[str, str, str], baseline: str, policy: str, base_level: float,
                           names: dict[str, str] | None = None) -> str:
    """How ``policy``'s change in one KPI against ``baseline`` splits among its switches (or groups of switches), from
    ``decompose``'s table: each part's Shapley share with its 95% CI, its share of the whole where every part moves it
    the same way and the whole is significant, and its effect made first and made last (its range over orders)."""
    name, channel, node_type = kpi
    m, names = metric(name), names or {}
    mine = shares[(shares.metric == name) & (shares.channel == channel) & (shares.node_type == node_type)].set_index("switch")
    if mine.empty:
        return ""
    total, parts = mine.loc["total"], mine.drop(index="total")
    significant = total.ci_low > 0 or total.ci_high < 0
    proportional = significant and all(p.share * total.share > 0 for p in parts.itertuples())
    rel = f", {total.share / base_level:+.1%}" if base_level and not m.is_share else ""
    said = []
    for part in parts.itertuples():
        of_it = f"{part.share / total.share:.0%} of it; " if proportional else ""
        said.append(f"{names.get(part.Index, part.Index.replace('_', ' '))} {m.signed(part.share)} ({of_it}95% CI "
                    f"{m.signed(part.ci_low)} to {m.signed(part.ci_high)}; {m.signed(part.first)} made first, "
                    f"{m.signed(part.last)} made last)")
    where = f"{CHANNEL_LABELS.get(channel, channel)} " if channel != "all" else ""
    return (f"{policy} changes {where}{m.label} by {m.signed(total.share)} against {baseline} (95% CI {m.signed(total.ci_low)} "
            f"to {m.signed(total.ci_high)}{rel}): " + "; ".join(said) + ".")


def report(results_dir: str | Path) -> Path:
    """Write the report of a comparison (``invsim compare``), sweep (``invsim sweep``) or run (``invsim
    run``) folder; returns report.html's path. A search folder (``invsim optimize``) gets its own report (and
    search.md). A decomposed comparison folder (``invsim compare --decompose``, or
    ``experiments/pool_ladder.py``'s) leads with how the change splits among its groups of changes."""
    if (Path(results_dir) / "search.json").is_file():  # a policy search (invsim optimize): its own page
        return search_report(results_dir)
    results = ResultsFolder.open(results_dir)
    folder, manifest = results.path, results.manifest
    if results.kind == "comparison":
        title, sentences, summary, note, charts = _comparison(results)
    elif results.kind == "sweep":
        table = results.read("sweep")
        sentences, charts, summary = sweep_headline(table), figures.sweep_charts(table), _sweep_table(table)
        params = swept_parameters(table)
        title = f"Sweep over {', '.join(params)}"
        note = (f"Seed {manifest.get('seed', '?')}, {manifest.get('replications', '?')} replications per grid point, on common "
                "random numbers. Ranges are of means over replications; the table gives each point's mean ± the half-width "
                f"of its 95% CI. Charts name each grid point by its values of {point_names(params)}.")
    else:
        kpis = results.read("kpis")
        sentences, summary = run_headline(kpis), _run_table(kpis)
        charts = figures.detail_charts(results.read("daily"), results.read("orders"), manifest.get("calendar", []))
        title = f"Run of {manifest.get('scenario', folder.name)}"
        note = (f"Seed {manifest.get('seed', '?')}; {len(manifest['replication']) if isinstance(manifest.get('replication'), list) else 1} "
                "replication(s). Delivery times are those of the kept order sample.")
    return publish(folder, title, sentences, summary, note, charts)


def _comparison(results: ResultsFolder):
    """Title, headline, KPI table, note and charts of a comparison folder (or a decomposed one)."""
    table, manifest = results.read("comparison"), results.manifest
    policies = list(dict.fromkeys(table.policy))
    baseline = manifest.get("baseline", policies[0])
    parts = manifest.get("decomposition") if results.has("shapley") else None
    sentences, lead, charts_first = [], [], []
    if parts:  # the decomposition leads: it is what the meeting asks
        names = parts.get("names") or {}
        shares = results.read("shapley")
        policy, baseline = (str(names.get(p, p)) for p in (parts["policy"], parts["baseline"]))
        table = table.replace({"policy": names})
        policies = [str(names.get(p, p)) for p in (parts.get("shown") or policies)]
        table = table[table.policy.isin(policies)]
        for kpi in DECOMPOSED[:4]:
            base = _kpi(table, kpi[0], kpi[1], baseline, kpi[2])
            said = decomposition_sentence(shares, kpi, baseline, policy, 0.0 if base is None else base["mean"], names)
            lead += [said] if said else []
        charts_first.append(figures.decomposition_chart(shares, baseline, policy, names))
    # Decomposed, the cover says the whole change and how it splits; each group's corner is in the table (its effect
    # alone is one order of making the changes, not the group's share).
    compared = [policy] if parts else [p for p in policies if p != baseline]
    sentences = lead + [s for p in compared for s in headline(table, baseline, p)]
    charts = charts_first + figures.comparison_charts(table)
    if parts and len(parts["switches"]) > 2:
        title = f"One pool decomposed: {len(parts['switches'])} switches"
    elif parts:
        title = f"{policy} against {baseline}, decomposed: {' and '.join(str(names.get(s, s)) for s in parts['switches'])}"
    else:
        title = (f"Policy comparison: {', '.join(policies)} (baseline {baseline})" if len(policies) <= 3 else
                 f"Policy comparison: {len(policies) - 1} policies against {baseline}")
    if results.has("daily"):  # the first replication of each policy (older folders lack it)
        charts += figures.detail_charts(results.read("daily"), results.read("orders"), manifest.get("calendar", []))
    note = (f"Seed {manifest.get('seed', '?')}, {manifest.get('replications', '?')} paired replications per policy on "
            "common random numbers. Effects are stated only where the 95% CI of the paired difference excludes zero."
            + (" Shares are Shapley values: each change's effect averaged over every order of making the changes, "
               "computed replication by replication (so they add up to the whole in each)." if parts else ""))
    return title, sentences, _comparison_table(table, policies), note, charts


def _comparison_table(table, policies) -> tuple[list[str], list[list[str]]]:
    rows = []
    returns = [(m.name, c) for m in in_group("returns") for c in m.compared]  # shown when any policy has returns
    shown = [*HEADLINE[:-1], *[(n, c) for n, c in returns if any(_kpi(table, n, c, p) is not None for p in policies)], HEADLINE[-1]]
    for name, channel in shown:
        m, cells = metric(name), []
        for p in policies:
            k = _kpi(table, name, channel, p)
            cells.append("–" if k is None else f"{m.with_unit(k['mean'])}\n[{m.format(k['ci_low'])}, {m.format(k['ci_high'])}]")
        rows.append([kpi_label(name, channel), *cells])
    return ["KPI (mean, [95% CI])", *policies], rows


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
        out.append(f"{m.title} runs from {m.with_unit(by_point.min())} ({point(low)}) to "
                   f"{m.with_unit(by_point.max())} ({point(high)}); {effect}.")
    return out


def _sweep_table(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    summary = summarise(table, list(HEADLINE))
    params = swept_parameters(table)
    # a parameter by its last path segment (the note says so), a KPI by its registry label
    head = [*[p.rsplit(".", 1)[-1] for p in params], *[kpi_label(name, channel) for name, channel in HEADLINE]]
    rows = []
    for _, r in summary.iterrows():
        cells = [str(r[p]) for p in params]
        for name, _ in HEADLINE:
            m = metric(name)
            cells.append("–" if name not in r or pd.isna(r[name]) else f"{m.with_unit(r[name])}\n± {m.format(r[name + ' ±'])}")
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
            out.append(f"{m.title}: {m.with_unit(k['mean'])}{ci}.")
    return out


def _run_table(kpis: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    means = _run_means(kpis)
    shown = [(metric(name), channel) for channel in ("all", *CHANNELS)
             for name in ("fill_rate_units", "on_time_rate", "delivery_hours_p90") if (name, channel, "all") in means.index]
    return ["KPI", "value"], [[kpi_label(m.name, channel), m.with_unit(means.loc[(m.name, channel, "all")]["mean"])]
                              for m, channel in shown]


