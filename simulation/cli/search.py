"""``invsim optimize``: the settings that minimise one KPI while service targets hold (a policy search on common
random numbers, the choice made by Kim & Nelson's KN with its guarantee stated)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.cli import arguments
from simulation.experiment.optimize import MAX_REPLICATIONS, MAX_TRIALS, optimize
from simulation.reporting.search import search_report
from simulation.scenario import UsageError, parse_set_options
from simulation.scenario.yaml_safe import load_yaml


def share(text: str) -> float:
    """A probability strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {value:g}")
    return value


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {value:g}")
    return value


def at_most(limit: int, minimum: int):
    parse_whole = arguments.whole(minimum)

    def parse(text: str) -> int:
        value = parse_whole(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"must be at most {limit}, got {value}")
        return value
    parse.__name__ = f"whole number in [{minimum}, {limit}]"
    return parse


def add_commands(sub) -> None:
    o = sub.add_parser("optimize", help="search settings for the least KPI that meets service targets (CRN, KN selection)")
    o.add_argument("scenario")
    o.add_argument("--vary", action="append", default=[], required=True, metavar="PATH=LOW..HIGH",
                   help="a setting to search: PATH=LOW..HIGH, PATH=LOW..HIGH:log or PATH=a,b,c (repeatable)")
    o.add_argument("--minimize", required=True, metavar="METRIC[(channel[, node_type])]",
                   help="the KPI to minimise, e.g. cost_total or days_of_inventory(all, store)")
    o.add_argument("--subject-to", action="append", default=[], metavar="'KPI>=VALUE'",
                   help="a target every chosen point must meet with one-sided --confidence, e.g. 'fill_rate_units(walk_in)>=0.95' "
                        "(repeatable)")
    o.add_argument("--budget", type=at_most(MAX_TRIALS, 1), default=40, help="points to try (default 40)")
    o.add_argument("--replications", type=at_most(MAX_REPLICATIONS, 2), default=3, help="per point (default 3; at least 2)")
    o.add_argument("--seed", type=arguments.seed, default=None, help="random seed (default: run.seed in the scenario)")
    o.add_argument("--confidence", type=share, default=0.95, help="one-sided confidence a target must hold with (default 0.95)")
    o.add_argument("--finalists", type=at_most(50, 1), default=5, help="feasible points KN chooses among (default 5)")
    o.add_argument("--first-stage", type=at_most(MAX_REPLICATIONS, 2), default=10, help="KN's first-stage replications (default 10)")
    o.add_argument("--indifference", type=positive, default=None,
                   help="KN's indifference zone in the KPI's units (default 1%% of the best finalist's mean)")
    o.add_argument("--alpha", type=share, default=0.05, help="KN picks the best with probability >= 1 - alpha (default 0.05)")
    o.add_argument("--max-replications", type=at_most(MAX_REPLICATIONS, 2), default=100,
                   help="at most this many per finalist (default 100); stopping there voids the guarantee, and says so")
    o.add_argument("--batch", type=at_most(64, 1), default=4, help="points proposed at a time (default 4; results depend on it, "
                   "not on --workers)")
    o.add_argument("--start", action="append", default=[], metavar="high|low|PATH=VALUE",
                   help="the first point: every range at its high or low end, or a value for each setting (repeat PATH=VALUE)")
    o.add_argument("--out", type=arguments.folder, default=None, help="results folder (default: results/optimize_<scenario name>)")
    o.add_argument("--workers", type=arguments.whole(1), default=None, help="local processes (default: all cores)")
    o.add_argument("--scheduler", type=arguments.address, default=None, metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786)")
    o.add_argument("--restart", action="store_true", help="delete the runs of a different search in --out and start over")
    o.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field before the search")
    o.add_argument("--force", action="store_true", help="run even when the memory estimate exceeds the memory available")


def start_point(items: list[str]):
    """``--start``: nothing, ``high`` or ``low`` alone, or PATH=VALUE items (values read as YAML) making one point."""
    if not items:
        return None
    if len(items) == 1 and items[0] in ("high", "low"):
        return items[0]
    bad = [i for i in items if "=" not in i]
    if bad:
        raise UsageError([f"--start {bad[0]!r}: give high, low or PATH=VALUE for each setting"])
    return {path.strip(): load_yaml(value.strip()) for path, _, value in (i.rpartition("=") for i in items)}


def run_optimize(args) -> int:
    overrides = parse_set_options(args.set)
    out = Path(args.out) if args.out else Path("results") / f"optimize_{Path(args.scenario).stem}"
    result = optimize(args.scenario, args.vary, args.minimize, args.subject_to, args.budget, args.replications, args.seed,
                      overrides=overrides, finalists=args.finalists, first_stage=args.first_stage, indifference=args.indifference,
                      alpha=args.alpha, confidence=args.confidence, max_replications=args.max_replications, batch=args.batch,
                      start=start_point(args.start),
                      executor=args.scheduler, workers=args.workers, out=out, restart=args.restart, force=args.force)
    search_report(out)
    trials = result.trials
    done = trials[trials["state"] == "complete"]
    print(f"{len(trials)} points tried, {int(done['feasible'].sum())} met every target "
          f"(one-sided {result.search.confidence:.0%} over {result.search.replications} replications).")
    if result.chosen is None:
        print("No point met every target: nothing chosen. Loosen a target or widen a range.")
    else:
        print("Chosen: " + ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in result.chosen.items()))
        print(f"Guarantee: {result.guarantee}.")
    t = result.timing or {}
    print(f"{t.get('runs_executed', 0)} runs executed here ({t.get('runs_read_back', 0)} read back from runs/) in "
          f"{t.get('total_seconds', 0):.0f} s: {t.get('run_seconds', 0):.0f} s running them, {t.get('proposal_seconds', 0):.1f} s "
          f"proposing points.", file=sys.stderr)
    print(f"Wrote {out}/ (report.html, report.pdf, figures/, search.md, trials.parquet, selection.csv"
          f"{', best.yaml' if result.chosen else ''}; "
          "runs/ keeps each run, so a rerun after an interruption runs only what is missing)", file=sys.stderr)
    return 0


SEARCH_COMMANDS = {"optimize": run_optimize}
