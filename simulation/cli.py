"""``invsim`` (also ``python -m simulation``): validate a scenario, run it, print and save its KPIs.

Exit codes: 0 success, 2 invalid scenario or arguments (every problem listed by field path),
3 a run failed its unit-conservation check (an engine bug: please report it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .api import run
from .engine import ConservationError, Simulation
from .results import RunResult
from .scenario import ScenarioError, load_scenario, parse_set_options

SERVICE = ["demand_units", "fill_rate_units", "fill_rate_lines", "fill_rate_orders", "lost_sales_units",
           "on_time_rate", "delivery_hours_mean", "delivery_hours_p50", "delivery_hours_p95"]
STOCK = ["avg_inventory_value", "inventory_turns", "days_of_inventory", "stockout_rate", "cost_holding",
         "cost_transport", "cost_lost_margin", "cost_spoilage"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check a scenario; list every problem by field path")
    v.add_argument("scenario")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    r = sub.add_parser("run", help="simulate a scenario and report its KPIs")
    r.add_argument("scenario")
    r.add_argument("--seed", type=int, default=None, help="random seed (default: run.seed in the scenario)")
    r.add_argument("--replications", type=int, default=None, help="default: run.replications in the scenario")
    r.add_argument("--out", default=None, help="output folder (default: results/<scenario name>)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field (repeatable)")
    r.add_argument("--quiet", action="store_true", help="do not print the KPI table")
    args = parser.parse_args(argv)
    try:
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
    except ConservationError as exc:
        print(f"invsim: {exc}", file=sys.stderr)
        return 3


def _run(scenario, args) -> int:
    seed = scenario.run.seed if args.seed is None else args.seed
    reps = scenario.run.replications if args.replications is None else args.replications
    if reps < 1:
        raise ScenarioError([f"--replications: must be >= 1, got {reps}"])
    results = [run(scenario, seed=seed, replication=r)
               for r in tqdm(range(reps), desc="replications", unit="run", disable=reps == 1 or not sys.stderr.isatty())]
    result = results[0] if reps == 1 else combine(results)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    result.write(out)
    if not args.quiet:
        print(format_kpis(result.kpis))
    m = result.manifest
    print(f"\n{scenario.name}: seed {seed}, {reps} replication(s), {m['node_sku_days']:,} node-SKU-days per replication, "
          f"{m['wall_seconds']:.1f} s. Wrote {out}/ (kpis.parquet, daily.parquet, manifest.json)", file=sys.stderr)
    return 0


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
        half = 1.96 * stats["std"] / np.sqrt(stats["count"])
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


def _fmt(metric: str, value: float) -> str:
    if not np.isfinite(value):
        return str(value)
    if "rate" in metric:
        return f"{value:.1%}"
    if metric.startswith(("cost", "avg_inventory")) or metric.endswith("units"):
        return f"{value:,.0f}"
    return f"{value:,.1f}"
