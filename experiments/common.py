"""Shared plumbing for the experiment scripts: sizes (full or ``--smoke``), paired comparisons and
sweeps with their results stores, and the verdict against a seed report's claim.

A verdict follows ``../shared/SEEDS.md`` section 6: the seeds are illustrative, so an experiment
checks the *direction* (the paired difference's 95% CI excludes zero on the claimed side) and the
*rough size* (the simulated relative change within 0.5x to 1.5x of the seed's).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import simulation as sim
from simulation.results import atomic_write

ROOT = Path(__file__).resolve().parents[1]

SCENARIOS = ROOT / "scenarios"


def parse_args(description: str, smoke_horizon: int, replications: int = 5) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long version (200 SKUs, short horizon, 2 replications) for CI")
    parser.add_argument("--replications", type=int, default=None, help=f"default {replications} (2 with --smoke)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, help="run on a Dask cluster (tcp://host:8786)")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: results/experiments/<name>)")
    parser.add_argument("--restart", action="store_true", help="start a sweep over when --out holds a different one")
    args = parser.parse_args()
    args.replications = args.replications or (2 if args.smoke else replications)
    args.sizes = ({"catalog.skus": 200, "run.horizon_days": smoke_horizon, "run.warmup_days": 20} if args.smoke else {})
    return args


def entry(main) -> None:
    """Run an experiment's ``main``; bad input ends in one clear message and exit 2, not a traceback."""
    try:
        main()
    except sim.ScenarioError as exc:
        print(f"{Path(sys.argv[0]).name}: {exc}", file=sys.stderr)
        sys.exit(2)


def out_dir(args, name: str) -> Path:
    out = args.out or ROOT / "results" / "experiments" / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def load(file: str, args, overrides: dict | None = None) -> sim.Scenario:
    """A bundled scenario (``scenarios/<file>.yaml``) at the run's size, with dotted-path overrides."""
    return sim.load_scenario(SCENARIOS / f"{file}.yaml", {**args.sizes, **(overrides or {})})


def compare(scenarios: list[sim.Scenario], args, out: Path):
    """Paired comparison on common random numbers; its tables land in ``out``."""
    result = sim.compare(scenarios, args.replications, args.seed, args.workers, executor=args.scheduler)
    atomic_write(out / "comparison.parquet", lambda tmp: result.table.to_parquet(tmp, index=False))
    atomic_write(out / "runs.parquet", lambda tmp: result.runs.to_parquet(tmp, index=False))
    return result


@dataclass(frozen=True)
class Claim:
    text: str               # the seed's claim, in words
    metric: str
    seed_change: float | None  # the seed's relative change (-0.46 for 28 -> 15 days); None: "no worse"
    channel: str = "all"
    node_type: str = "all"
    better: int = +1        # for "no worse" claims: +1 if higher is better, -1 if lower is


def verdict(table: pd.DataFrame, claim: Claim, policy: str) -> dict:
    """The claim against the paired difference of ``policy`` to the baseline in a comparison table."""
    row = table[(table.metric == claim.metric) & (table.channel == claim.channel) & (table.node_type == claim.node_type)]
    base = row[row["diff"].isna()].iloc[0]
    r = row[row.policy == policy].iloc[0]
    change = r["diff"] / base["mean"] if base["mean"] else np.nan
    low, high = r["diff_low"] / base["mean"], r["diff_high"] / base["mean"]
    if claim.seed_change is None:  # "equal or better": agrees unless significantly worse
        worse = r["significant"] and np.sign(r["diff"]) == -claim.better
        direction, size, seed = ("no" if worse else "yes"), "n/a", "no worse"
    else:
        same = np.sign(r["diff"]) == np.sign(claim.seed_change)
        direction = "n.s." if not r["significant"] else ("yes" if same else "no")
        ratio = change / claim.seed_change
        size, seed = ("yes" if 0.5 <= ratio <= 1.5 else f"no ({ratio:.2f}x)"), f"{claim.seed_change:+.0%}"
    return {"claim": claim.text, "KPI": f"{claim.metric} ({claim.channel}, {claim.node_type})",
            "baseline": base["mean"], "policy": r["mean"], "seed change": seed,
            "simulated change [95% CI]": f"{change:+.1%} [{low:+.1%}, {high:+.1%}]",
            "direction agrees": direction, "size agrees (0.5-1.5x)": size}


def report(rows: list[dict], out: Path, title: str, footer: str = "") -> pd.DataFrame:
    """Print the result table and write it (CSV and Markdown) into ``out``."""
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 70,
                           "display.float_format", "{:,.3f}".format):
        text = f"{title}\n\n{frame.to_string(index=False)}" + (f"\n\n{footer}" if footer else "")
    print(text)
    atomic_write(out / "result.csv", lambda tmp: frame.to_csv(tmp, index=False))
    atomic_write(out / "result.md", lambda tmp: Path(tmp).write_text(f"# {title}\n\n{markdown(frame)}\n\n{footer}\n"))
    print(f"\nWrote {out}/ (result.csv, result.md)")
    return frame


def markdown(frame: pd.DataFrame) -> str:
    cells = [[f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])
