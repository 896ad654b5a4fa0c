"""Shared plumbing for the experiment scripts: sizes (full or ``--smoke``), paired comparisons and
sweeps with their results stores, and the verdict against a seed report's claim.

A verdict follows ``../shared/SEEDS.md`` section 6: the seeds are illustrative, so an experiment
checks the *direction* (the paired difference's 95% CI excludes zero on the claimed side) and the
*rough size* (the simulated relative change within 0.5x to 1.5x of the seed's). Every verdict is
computed from the confidence interval, never written in:

* a directional claim whose difference is not significant is "inconclusive", and gets no size verdict;
* a "no worse" claim states its equivalence margin: "yes" when the CI's worse end stays inside the
  margin, "no" when the whole CI lies beyond it, "inconclusive" otherwise (a CI too wide to tell, as
  with two replications, is never read as agreement).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import simulation as sim
from simulation.cli import arguments
from simulation.experiment.results import ResultsFolder, atomic_write
from simulation.experiment.stats import mean_ci
from simulation.metrics.registry import metric

ROOT = Path(__file__).resolve().parents[1]

SCENARIOS = ROOT / "scenarios"


def parse_args(description: str, smoke_horizon: int, replications: int = 5) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long version (200 SKUs, short horizon, 2 replications) for CI")
    parser.add_argument("--replications", type=arguments.whole(2), default=None, help=f"default {replications} (2 with --smoke)")
    parser.add_argument("--seed", type=arguments.seed, default=7)
    parser.add_argument("--workers", type=arguments.whole(1), default=None, help="local processes (default: all cores)")
    parser.add_argument("--scheduler", type=arguments.address, default=None, help="run on a Dask cluster (tcp://host:8786)")
    parser.add_argument("--out", type=arguments.folder, default=None, help="results folder (default: results/experiments/<name>)")
    parser.add_argument("--restart", action="store_true", help="start over when --out holds a different sweep or comparison")
    args = parser.parse_args()
    args.replications = args.replications or (2 if args.smoke else replications)
    args.sizes = ({"catalog.skus": 200, "run.horizon_days": smoke_horizon, "run.warmup_days": 20} if args.smoke else {})
    return args


def entry(main) -> None:
    """Run an experiment's ``main``; bad input ends in one clear message and exit 2, not a traceback."""
    try:
        main()
    except (sim.ScenarioError, ConnectionError) as exc:
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
    """Paired comparison on common random numbers; its tables land in ``out``, its runs in the resumable
    store ``out/comparison`` (rerun after an interruption and only the missing runs execute)."""
    result = sim.compare(scenarios, args.replications, args.seed, args.workers, executor=args.scheduler,
                         out=out / "comparison", restart=args.restart)
    # beside the script's own result.csv and result.md, so the folder is not claimed as a comparison's alone
    ResultsFolder(out, "comparison", claim=False).write(comparison=result.table, runs=result.runs)
    return result


@dataclass(frozen=True)
class Claim:
    text: str               # the seed's claim, in words
    metric: str
    seed_change: float | None  # the seed's relative change (-0.46 for 28 -> 15 days); None: "no worse"
    channel: str = "all"
    node_type: str = "all"
    better: int = +1        # for "no worse" claims: +1 if higher is better, -1 if lower is
    margin: float | None = None  # for "no worse" claims: how much worse still counts as equal, in the KPI's units

    def __post_init__(self):
        if self.seed_change is None and not (self.margin and self.margin > 0):
            raise ValueError(f"{self.text!r}: a 'no worse' claim needs an equivalence margin > 0")


def in_units(name: str, value: float) -> str:
    """A KPI difference as a person writes it, signed (the metric registry's): percentage points for
    shares, else the number with its unit.

    >>> in_units("fill_rate_units", -0.0123), in_units("cost_total", 1234.4), in_units("days_of_inventory", -0.25)
    ('-1.2 pp', '+1,234', '-0.2 days')
    """
    return metric(name).signed(value)


def no_worse(low: float, high: float, margin: float, better: int) -> str:
    """Non-inferiority from the CI [low, high] of a difference: 'yes' when its worse end is within
    ``margin``, 'no' when all of it is beyond, else 'inconclusive'.

    >>> no_worse(-0.004, 0.010, 0.01, +1), no_worse(-0.030, -0.015, 0.01, +1), no_worse(-0.020, 0.010, 0.01, +1)
    ('yes', 'no', 'inconclusive')
    """
    worst, best = sorted((better * low, better * high))
    return "yes" if worst > -margin else ("no" if best < -margin else "inconclusive")


def direction_and_size(diff: float, significant: bool, change: float, seed_change: float) -> tuple[str, str]:
    """Whether a significant difference has the seed's sign, and only then whether its relative size is
    0.5x to 1.5x the seed's.

    >>> direction_and_size(-1.0, True, -0.40, -0.46), direction_and_size(-1.0, False, -0.40, -0.46)
    (('yes', 'yes'), ('inconclusive', 'n/a (not significant)'))
    >>> direction_and_size(1.0, True, 0.10, -0.46)
    ('no', 'no (opposite sign)')
    """
    if not significant:
        return "inconclusive", "n/a (not significant)"
    if np.sign(diff) != np.sign(seed_change):
        return "no", "no (opposite sign)"
    ratio = change / seed_change
    return "yes", ("yes" if 0.5 <= ratio <= 1.5 else f"no ({ratio:.2f}x)")


def verdict(table: pd.DataFrame, claim: Claim, policy: str) -> dict:
    """The claim against the paired difference of ``policy`` to the baseline in a comparison table."""
    row = table[(table.metric == claim.metric) & (table.channel == claim.channel) & (table.node_type == claim.node_type)]
    base = row[row["diff"].isna()].iloc[0]
    r = row[row.policy == policy].iloc[0]
    change = r["diff"] / base["mean"] if base["mean"] else np.nan
    low, high = r["diff_low"] / base["mean"], r["diff_high"] / base["mean"]
    if claim.seed_change is None:
        direction, size = no_worse(r["diff_low"], r["diff_high"], claim.margin, claim.better), "n/a"
        seed = f"no worse (margin {in_units(claim.metric, -claim.margin)})"
        # the margin is in the KPI's units, so is the change it is judged on
        shown = f"{in_units(claim.metric, r['diff'])} [{in_units(claim.metric, r['diff_low'])}, {in_units(claim.metric, r['diff_high'])}]"
    else:
        direction, size = direction_and_size(r["diff"], bool(r["significant"]), change, claim.seed_change)
        seed = f"{claim.seed_change:+.0%}"
        shown = f"{change:+.1%} [{low:+.1%}, {high:+.1%}]"
    return {"claim": claim.text, "KPI": f"{claim.metric} ({claim.channel}, {claim.node_type})",
            "baseline": base["mean"], "policy": r["mean"], "seed change": seed, "simulated change [95% CI]": shown,
            "direction agrees": direction, "size agrees (0.5-1.5x)": size}


def unanswered(claim: Claim, why: str) -> dict:
    """A claim's row when there is nothing to compare (``why``): every verdict inconclusive, none judged on size."""
    return {"claim": claim.text, "KPI": f"{claim.metric} ({claim.channel}, {claim.node_type})",
            "seed change": f"{claim.seed_change:+.0%}" if claim.seed_change is not None else "no worse",
            "simulated change [95% CI]": f"n/a ({why})", "direction agrees": "inconclusive", "size agrees (0.5-1.5x)": "n/a"}


def _per_replication(table: pd.DataFrame, metric: str, channel: str, at: dict) -> pd.Series:
    """A KPI per replication at the sweep points matching ``at`` ({swept parameter: value}), several matching
    points averaged within a replication."""
    rows = table[(table.metric == metric) & (table.channel == channel) & (table.node_type == "all")]
    match = np.logical_and.reduce([rows[k] == v for k, v in at.items()])
    return rows[match].groupby("replication")["value"].mean()


def point_mean(table: pd.DataFrame, metric: str, channel: str, at: dict) -> tuple[float, float, float]:
    """Mean and 95% CI over replications of a KPI at the sweep points matching ``at``."""
    mean, half = mean_ci(_per_replication(table, metric, channel, at).to_numpy(float))
    return mean, mean - half, mean + half


def grid_difference(table: pd.DataFrame, metric: str, channel: str, at_a: dict, at_b: dict) -> tuple[float, float, float]:
    """Mean and 95% CI of (value at grid point ``at_b`` - value at ``at_a``) in a sweep table, paired by
    replication (the points share their customers: common random numbers)."""
    diff = (_per_replication(table, metric, channel, at_b) - _per_replication(table, metric, channel, at_a)).dropna()
    mean, half = mean_ci(diff.to_numpy(float))
    return mean, mean - half, mean + half


def ci_text(x: tuple[float, float, float]) -> str:
    """A share's mean and 95% CI as '12.3% [10.1%, 14.5%]'."""
    return f"{x[0]:.1%} [{x[1]:.1%}, {x[2]:.1%}]"


def diff_text(name: str, x: tuple[float, float, float]) -> str:
    """A paired difference of KPI ``name`` and its 95% CI in the KPI's units ('+1.2 pp [+0.4 pp, +2.0 pp]')."""
    return f"{in_units(name, x[0])} [{in_units(name, x[1])}, {in_units(name, x[2])}]"


def within(x: tuple[float, float, float], low: float, high: float) -> str:
    """'yes' when the CI of ``x`` lies inside [low, high], 'no' when it lies wholly outside, else 'inconclusive'.

    >>> within((0.2, 0.15, 0.25), 0.14, 0.42), within((0.05, 0.04, 0.06), 0.14, 0.42), within((0.15, 0.1, 0.2), 0.14, 0.42)
    ('yes', 'no', 'inconclusive')
    """
    if low <= x[1] and x[2] <= high:
        return "yes"
    return "no" if x[2] < low or x[1] > high else "inconclusive"


def on_side(x: tuple[float, float, float], expected: int) -> str:
    """Whether a difference's 95% CI lies on the ``expected`` side of zero (+1: above, -1: below): 'yes', 'no'
    when it lies on the other side, else 'inconclusive'.

    >>> on_side((0.02, 0.01, 0.03), +1), on_side((0.02, 0.01, 0.03), -1), on_side((0.0, -0.01, 0.01), +1)
    ('yes', 'no', 'inconclusive')
    """
    low, high = sorted((expected * x[1], expected * x[2]))
    return "yes" if low > 0 else ("no" if high < 0 else "inconclusive")


def significance(low: float, high: float) -> str:
    """'rises', 'falls' or 'inconclusive' from a difference's 95% CI."""
    return "rises" if low > 0 else ("falls" if high < 0 else "inconclusive (the 95% CI includes zero)")


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
