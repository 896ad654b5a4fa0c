"""``invsim`` (also ``python -m simulation``): validate a scenario, run it, compare, sweep or search (optimize) policies.

Exit codes: 0 success, 2 invalid scenario or arguments (every problem listed by field path or argument),
3 a run failed its unit-conservation check or produced a KPI that is not a finite number (an engine bug:
please report it).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

from tqdm import tqdm

from simulation.cli import arguments, data, search
from simulation.engine import ConservationError, Simulation
from simulation.experiment.compare import compare, identity
from simulation.experiment.results import ResultsFolder, combine, environment
from simulation.experiment.run import run
from simulation.experiment.shapley import decompose, write_decomposition
from simulation.experiment.sweep import grid_size, summarise, sweep
from simulation.metrics.registry import summarised
from simulation.reporting.report import DECOMPOSED, decomposition_sentence, report
from simulation.reporting.tables import format_comparison, format_decomposition, format_kpis, format_summary
from simulation.scenario import ScenarioError, UsageError, build_each, load_scenario, parse_set_options, split_assignment


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
    c.add_argument("--decompose", action="append", default=[], metavar="GROUP=POLICY",
                   help="twice: each group of changes and the compared policy that has it alone (e.g. replenishment=city_seed_control, "
                        "pooling=city_seed_pooling); the remaining policy has both: its change splits into the groups' Shapley shares")
    c.add_argument("--no-report", action="store_true", help="skip report.html / report.pdf and the figures")
    c.add_argument("--restart", action="store_true", help="delete the runs of a different comparison in --out and start over")
    rp = sub.add_parser("report", help="write report.html, report.pdf and figures/ for a compare, sweep or run folder")
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
    data.add_commands(sub)
    search.add_commands(sub)
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
        if args.command in data.DATA_COMMANDS:
            return data.DATA_COMMANDS[args.command](args)
        if args.command in search.SEARCH_COMMANDS:
            return search.SEARCH_COMMANDS[args.command](args)
        scenario = load_scenario(args.scenario, parse_set_options(args.set))
        if args.command == "validate":
            Simulation(scenario, seed=scenario.run.seed)  # builds catalog, network and policies as a run would
            w = scenario.network
            print(f"{args.scenario}: valid scenario {scenario.name!r} ({len(w.nodes)} nodes, {len(w.zones)} zones, "
                  f"{scenario.run.horizon_days} days)")
            return 0
        return _run(scenario, args)
    except ScenarioError as exc:
        print(f"invsim: {as_flags(exc)}", file=sys.stderr)
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


# The library names its parameters (out, workers=2, force=True); the command line names its flags.
_PARAMETER = re.compile(r"(?<![\w.-])(force|restart)=True\b|(?<![\w.-])(workers)=(\d+)|^(out|grid|zip|workers)(?=[ :])")


def as_flags(exc: ScenarioError) -> ScenarioError:
    """The same error with each problem in the command line's words (``--out``, ``--workers 2``, ``--force``)."""
    def flag(m: re.Match) -> str:
        return f"--{m[1]}" if m[1] else f"--{m[2]} {m[3]}" if m[2] else f"--{m[4]}"
    return type(exc)([_PARAMETER.sub(flag, p) for p in exc.problems], exc.source)


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
    names = [s.name for s in scenarios]
    groups, whole = decomposition_groups(args.decompose, names)
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
    if groups:
        coalition_of = {result.baseline: frozenset(), **{p: frozenset({g}) for g, p in groups.items()}, whole: frozenset(groups)}
        present = set(zip(result.runs.metric, result.runs.channel, result.runs.node_type, strict=True))
        shares = decompose(result.runs, coalition_of, list(groups), [k for k in DECOMPOSED if k in present])
        write_decomposition(out, shares, result.baseline, whole, list(groups), seed, args.replications)
        base = result.table[result.table.policy == result.baseline].set_index(["metric", "channel", "node_type"])["mean"]
        print(f"\nHow {whole}'s change against {result.baseline} splits between {' and '.join(groups)} ("
              f"{', '.join(f'{g}: {p}' for g, p in groups.items())} alone): each group's Shapley share (the mean of its effect "
              "made first and made last) with its 95% CI over the paired replications, and the two ends of its range:\n")
        print(format_decomposition(shares))
        lead = DECOMPOSED[0]
        print("\n" + textwrap.fill(decomposition_sentence(shares, lead, result.baseline, whole, float(base.get(lead, 0.0))), 110))
    print(f"\nSeed {seed}, {args.replications} paired replications per policy (common random numbers). "
          "* = the 95% CI of the difference excludes zero; n.s. = no significant difference."
          f"\nWrote {out}/ (comparison.parquet, runs.parquet, manifest.json{', shapley.parquet' if groups else ''}; daily.parquet "
          "and orders.parquet of replication 0; runs/ keeps each run, so a rerun after an interruption runs only what is missing)")
    if not args.no_report:
        print(f"Report: {report(out)}")
    return 0


def decomposition_groups(items: list[str], policies: list[str]) -> tuple[dict[str, str], str | None]:
    """``--decompose GROUP=POLICY`` twice: {group: the policy that has that group alone}, and the policy that has both
    (the one compared policy left after the baseline and those); ({}, None) without the flag."""
    if not items:
        return {}, None
    pairs = [split_assignment(item) for item in items]
    groups = {g.strip(): p.strip() for g, sep, p in pairs if sep}
    others = policies[1:]
    problems = [f"--decompose {item!r}: expected GROUP=POLICY" for item, (_, sep, _) in zip(items, pairs, strict=True) if not sep]
    problems += [f"--decompose {g}={p}: {p!r} is not a compared policy after the baseline ({', '.join(others)})"
                 for g, p in groups.items() if p not in others]
    left = [p for p in others if p not in groups.values()]
    if len(groups) != 2 or len(set(groups.values())) != 2 or len(left) != 1 or len(policies) != 4:
        problems.append(f"--decompose: give two groups, each with the policy that has it alone, among four policies: the "
                        f"baseline first, then each group alone and both (got {len(policies)} policies: {', '.join(policies)})")
    if problems:
        raise UsageError(problems)
    return groups, left[0]


def _sweep(args) -> int:
    scenario = load_scenario(args.scenario, parse_set_options(args.set))
    grid, zipped = parse_grid_options(args.grid, "--grid"), parse_grid_options(args.zip, "--zip")
    points = grid_size(grid, zipped)
    print(f"sweep: {points:,} grid point(s) x {args.replications:,} replication(s) = {points * args.replications:,} runs",
          file=sys.stderr, flush=True)  # at once: building and validating a large grid takes a while
    out = Path(args.out) if args.out else Path("results") / f"sweep_{scenario.name}"
    table = sweep(scenario, grid, zipped, args.replications, args.seed, executor=args.scheduler, workers=args.workers,
                  out=out, restart=args.restart, common_random_numbers=not args.independent_streams, force=args.force)
    summary = summarise(table, [(m, c) for m, channels in summarised() for c in channels])
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
        raise UsageError([f"{flag} {p}: given twice" for p in sorted({p for p in paths if paths.count(p) > 1})])
    return parse_set_options([f"{path}=[{text}]" if sep else path for path, sep, text in parts], flag, "PATH=V1,V2,...")
