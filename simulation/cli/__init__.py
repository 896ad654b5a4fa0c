"""``invsim`` (also ``python -m simulation``): validate a scenario, run it, compare policies or sweep parameters.

Exit codes: 0 success, 2 invalid scenario or arguments (every problem listed by field path or argument),
3 a run failed its unit-conservation check or produced a KPI that is not a finite number (an engine bug:
please report it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.cli import arguments
from simulation.engine import ConservationError, Simulation
from simulation.experiment.compare import compare, identity
from simulation.experiment.results import ResultsFolder, RunResult, environment
from simulation.experiment.run import run
from simulation.experiment.stats import t975
from simulation.experiment.sweep import grid_size, summarise, sweep
from simulation.metrics.registry import metric as registered
from simulation.reporting.report import report
from simulation.spec import ScenarioError, build_each, load_scenario, parse_set_options, split_assignment

SERVICE = ["demand_units", "fill_rate_units", "fill_rate_lines", "fill_rate_orders", "lost_sales_units",
           "on_time_rate", "delivery_hours_mean", "delivery_hours_p50", "delivery_hours_p90", "delivery_hours_p95",
           "dispatch_within_sla", "split_rate", "no_stock_rate"]
STOCK = ["avg_inventory_value", "inventory_turns", "days_of_inventory", "stockout_rate", "transfer_units", "cost_holding",
         "cost_transport", "cost_fulfilment", "cost_transfer", "cost_lost_margin", "cost_spoilage", "cost_total"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check a scenario; list every problem by field path")
    v.add_argument("scenario")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    r = sub.add_parser("run", help="simulate a scenario and report its KPIs")
    r.add_argument("scenario")
    r.add_argument("--seed", type=arguments.seed, default=None, help="random seed (default: run.seed in the scenario)")
    r.add_argument("--replications", type=arguments.whole(1), default=None, help="default: run.replications in the scenario")
    r.add_argument("--out", type=arguments.folder, default=None, help="output folder (default: results/<scenario name>)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    r.add_argument("--quiet", action="store_true", help="do not print the KPI table")
    c = sub.add_parser("compare", help="run a baseline and other policies on common random numbers; paired CIs")
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="the baseline first, then the policies to compare")
    c.add_argument("--replications", type=arguments.whole(2), default=3, help="at least 2 (a CI needs two)")
    c.add_argument("--seed", type=arguments.seed, default=None, help="random seed (default: run.seed of the baseline)")
    c.add_argument("--workers", type=arguments.whole(1), default=None, help="processes (default: all cores); results do not depend on it")
    c.add_argument("--out", type=arguments.folder, default=None, help="output folder (default: results/compare_<baseline>_vs_<other>)")
    c.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field in every scenario")
    c.add_argument("--scheduler", type=arguments.address, default=None, metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786)")
    c.add_argument("--no-report", action="store_true", help="skip report.html / report.pdf and the figures")
    c.add_argument("--restart", action="store_true", help="delete the runs of a different comparison in --out and start over")
    rp = sub.add_parser("report", help="write report.html, report.pdf and figures/ for an `invsim compare` folder")
    rp.add_argument("folder")
    w = sub.add_parser("sweep", help="run a scenario over a grid of parameters x replications; resumable results store")
    w.add_argument("scenario")
    w.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="sweep a field over values (repeatable: full factorial)")
    w.add_argument("--zip", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="vary fields together, value by value (repeatable; equal lengths)")
    w.add_argument("--replications", type=arguments.whole(1), default=3)
    w.add_argument("--seed", type=arguments.seed, default=None, help="random seed (default: run.seed in the scenario)")
    w.add_argument("--out", type=arguments.folder, default=None, help="results folder (default: results/sweep_<scenario name>)")
    w.add_argument("--workers", type=arguments.whole(1), default=None, help="local processes (default: all cores)")
    w.add_argument("--scheduler", type=arguments.address, default=None, metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786)")
    w.add_argument("--restart", action="store_true", help="delete the runs of a different sweep in --out and start over")
    w.add_argument("--independent-streams", action="store_true",
                   help="give each grid point its own random streams (default: common random numbers)")
    w.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field at every point")
    for command in (r, c, w):
        command.add_argument("--force", action="store_true", help="run even when the memory estimate exceeds the memory available")
    args = parser.parse_args(argv)
    try:
        if args.command == "compare":
            return _compare(args)
        if args.command == "report":
            print(f"Wrote {report(args.folder)} (and report.pdf, figures/)")
            return 0
        if args.command == "sweep":
            return _sweep(args)
        scenario = load_scenario(args.scenario, parse_set_options(args.set))
        if args.command == "validate":
            Simulation(scenario, seed=scenario.run.seed)  # builds catalog, network and policies as a run would
            w = scenario.network
            print(f"{args.scenario}: valid scenario {scenario.name!r} ({len(w.nodes)} nodes, {len(w.zones)} zones, "
                  f"{scenario.run.horizon_days} days)")
            return 0
        return _run(scenario, args)
    except ScenarioError as exc:
        print(f"invsim: {exc}", file=sys.stderr)
        return 2
    except (ConservationError, FloatingPointError) as exc:  # an engine bug: units leaked, or a KPI is not a number
        print(f"invsim: {exc}", file=sys.stderr)
        return 3
    except FileNotFoundError as exc:  # report: not a comparison folder
        print(f"invsim: {exc}", file=sys.stderr)
        return 2
    except ConnectionError as exc:  # --scheduler: well formed, but nobody answers there
        print(f"invsim: --scheduler {args.scheduler}: {exc}", file=sys.stderr)
        return 2


def _run(scenario, args) -> int:
    seed = scenario.run.seed if args.seed is None else args.seed
    reps = scenario.run.replications if args.replications is None else args.replications
    out = Path(args.out) if args.out else Path("results") / scenario.name
    ResultsFolder(out, "run")  # claimed before the runs: a refusal must not cost the user the wait
    results = [run(scenario, seed=seed, replication=r, force=args.force)
               for r in tqdm(range(reps), desc="replications", unit="run", disable=reps == 1 or not sys.stderr.isatty())]
    result = results[0] if reps == 1 else combine(results)
    result.write(out)
    if not args.quiet:
        print(format_kpis(result.kpis))
    m = result.manifest
    print(f"\n{scenario.name}: seed {seed}, {reps} replication(s), {m['node_sku_days']:,} node-SKU-days per replication, "
          f"{m['wall_seconds']:.1f} s. Wrote {out}/ (kpis.parquet, daily.parquet, orders.parquet, manifest.json)", file=sys.stderr)
    return 0


def _compare(args) -> int:
    overrides = parse_set_options(args.set)
    scenarios = build_each([(path, lambda path=path: load_scenario(path, overrides)) for path in args.scenarios])
    seed = scenarios[0].run.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("results") / ("compare_" + "_vs_".join(s.name for s in scenarios))
    folder = ResultsFolder(out, "comparison")
    total = args.replications * len(scenarios)
    with tqdm(total=total, desc="runs", unit="run", disable=not sys.stderr.isatty()) as bar:
        result = compare(scenarios, args.replications, seed, args.workers, progress=lambda _: bar.update(),
                         executor=args.scheduler, force=args.force, out=out, restart=args.restart)
    manifest = {**identity(scenarios, args.replications, seed), "baseline": result.baseline, "overrides": overrides,
                "calendar": list(result.calendar), **environment()}
    folder.write(manifest, comparison=result.table, runs=result.runs, daily=result.daily, orders=result.orders)
    print(format_comparison(result.table, result.baseline))
    print(f"\nSeed {seed}, {args.replications} paired replications per policy (common random numbers). "
          "* = the 95% CI of the difference excludes zero; n.s. = no significant difference."
          f"\nWrote {out}/ (comparison.parquet, runs.parquet, manifest.json; daily.parquet and orders.parquet of "
          "replication 0; runs/ keeps each run, so a rerun after an interruption runs only what is missing)")
    if not args.no_report:
        print(f"Report: {report(out)}")
    return 0


def _sweep(args) -> int:
    scenario = load_scenario(args.scenario, parse_set_options(args.set))
    grid, zipped = parse_grid_options(args.grid, "--grid"), parse_grid_options(args.zip, "--zip")
    points = grid_size(grid, zipped)
    print(f"sweep: {points:,} grid point(s) x {args.replications:,} replication(s) = {points * args.replications:,} runs",
          file=sys.stderr, flush=True)  # at once: building and validating a large grid takes a while
    out = Path(args.out) if args.out else Path("results") / f"sweep_{scenario.name}"
    table = sweep(scenario, grid, zipped, args.replications, args.seed, executor=args.scheduler, workers=args.workers,
                  out=out, restart=args.restart, common_random_numbers=not args.independent_streams, force=args.force)
    summary = summarise(table, [(m, c) for m, channels in SWEEP_SUMMARY for c in channels])
    print(format_summary(summary))
    seed = scenario.run.seed if args.seed is None else args.seed
    print(f"\n{table['point'].nunique()} grid points x {args.replications} replications, seed {seed} "
          f"({'independent streams per point' if args.independent_streams else 'common random numbers'}); "
          f"mean ± 95% CI half-width.\nWrote {out}/ (sweep.parquet, runs/, manifest.json)")
    return 0


def parse_grid_options(items: list[str], flag: str) -> dict[str, list]:
    """``path=v1,v2`` -> {path: [v1, v2]}; values are YAML (``[1,2],[3,4]`` is two lists)."""
    parts = [split_assignment(item) for item in items]
    paths = [path.strip() for path, sep, _ in parts if sep]
    if len(set(paths)) < len(paths):
        raise ScenarioError([f"{flag} {p}: given twice" for p in sorted({p for p in paths if paths.count(p) > 1})])
    return parse_set_options([f"{path}=[{text}]" if sep else path for path, sep, text in parts], flag, "PATH=V1,V2,...")


SWEEP_SUMMARY = [("fill_rate_units", ["all", "home_delivery", "instant"]), ("days_of_inventory", ["all"]),
                 ("on_time_rate", ["home_delivery"]), ("dispatch_within_sla", ["home_delivery"]), ("cost_total", ["all"])]


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


# (metric, channels) shown by `invsim compare`, in order.
HEADLINE = [("fill_rate_units", ["walk_in", "bopis", "home_delivery", "instant", "all"]),
            ("days_of_inventory", ["all"]), ("avg_inventory_value", ["all"]),
            ("delivery_hours_p50", ["bopis", "home_delivery", "instant"]),
            ("delivery_hours_p95", ["bopis", "home_delivery", "instant"]),
            ("on_time_rate", ["bopis", "home_delivery", "instant"]),
            ("dispatch_within_sla", ["home_delivery"]), ("split_rate", ["all"]), ("transfer_units", ["all"]),
            ("cost_per_order", ["bopis", "home_delivery", "instant", "all"]), ("cost_total", ["all"])]


def format_comparison(table: pd.DataFrame, baseline: str) -> str:
    """Side by side: each policy's mean ± 95% CI half-width, and each paired difference to the baseline."""
    table = table[table["node_type"] == "all"]
    policies = list(dict.fromkeys(table["policy"]))
    others = [p for p in policies if p != baseline]
    lines = []
    for metric, channels in HEADLINE:
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


def combine(results: list[RunResult]) -> RunResult:
    """Replications of one scenario and seed as one result, each row tagged with its replication."""
    kpis = pd.concat([r.kpis.assign(replication=r.manifest["replication"]) for r in results], ignore_index=True)
    daily = pd.concat([r.daily.assign(replication=r.manifest["replication"]) for r in results], ignore_index=True)
    orders = pd.concat([r.orders.assign(replication=r.manifest["replication"]) for r in results], ignore_index=True)
    manifest = {**results[0].manifest, "replication": [r.manifest["replication"] for r in results],
                "wall_seconds": round(sum(r.manifest["wall_seconds"] for r in results), 3)}
    return RunResult(kpis=kpis, daily=daily, orders=orders, manifest=manifest)


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
    for title, metrics, index in (("Service by channel", SERVICE, ["channel", "node_type"]),
                                  ("Inventory and cost by node type", STOCK, ["node_type"])):
        sub = table[table["metric"].isin(metrics) & ((table["channel"] == "all") | (title.startswith("Service")))]
        if sub.empty:
            continue
        wide = sub.pivot_table(index=index, columns="metric", values="text", aggfunc="first", sort=False)
        wide = wide[[m for m in metrics if m in wide.columns]].fillna("")
        parts.append(f"{title}\n{wide.to_string()}")
    return "\n\n".join(parts)


def _fmt(metric_name: str, value: float) -> str:
    return registered(metric_name).format(value)
