"""The same benchmark on two commits in one sitting, runs interleaved, so a change's cost is measured
against the machine's drift rather than against last week's figures.

    python benchmarks/before_after.py 2fc752e HEAD                       # city, 5 runs each (about 3 min)
    python benchmarks/before_after.py BEFORE AFTER --scenario scenarios/tiny.yaml --repeats 3

Each commit is checked out in a temporary git worktree; every run is a fresh process importing that
worktree's package (after one untimed warm-up run per commit, which fills its numba cache). Prints, per
commit, the wall and engine seconds of each run and their medians, the change of the median, and the median of
the ratios of neighbouring runs (steadier when the machine's speed drifts during the sitting).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_RUN = """
import json, sys, time
import simulation as sim
sc = sim.load_scenario(sys.argv[1])
if len(sys.argv) > 2:
    sc = sim.with_overrides(sc, {"run.horizon_days": int(sys.argv[2]), "run.warmup_days": 0})
start = time.perf_counter()
res = sim.run(sc)
print(json.dumps({"wall": time.perf_counter() - start, "engine": res.manifest["engine_seconds"],
                  "node_sku_days": res.manifest["node_sku_days"]}))
"""


def one_run(tree: Path, scenario: str, horizon: int | None = None) -> dict:
    args = [sys.executable, "-c", ONE_RUN, str(ROOT / scenario)] + ([str(horizon)] if horizon else [])
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(args, cwd=tree, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--scenario", default="scenarios/city.yaml")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for label in (args.before, args.after):
            sha = subprocess.run(["git", "rev-parse", "--short", label], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.strip()
            tree = Path(tmp) / sha
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), sha], cwd=ROOT, check=True)
            trees[label] = (sha, tree)
        try:
            for _, tree in trees.values():
                one_run(tree, args.scenario, horizon=3)  # compile into this tree's numba cache
            times: dict[str, list[dict]] = {label: [] for label in trees}
            for i in range(args.repeats):
                for label, (_, tree) in (trees.items() if i % 2 == 0 else reversed(trees.items())):
                    times[label].append(one_run(tree, args.scenario))
        finally:
            for _, tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    medians = {}
    for label, runs in times.items():
        sha = trees[label][0]
        wall = [r["wall"] for r in runs]
        engine = [r["engine"] for r in runs]
        medians[label] = statistics.median(wall)
        rate = runs[0]["node_sku_days"] / statistics.median(wall) / 1e6
        print(f"{label} ({sha}): wall s {', '.join(f'{w:.2f}' for w in wall)}; median {statistics.median(wall):.2f}; "
              f"engine s median {statistics.median(engine):.2f}; {rate:.2f} M node-SKU-days/s")
    change = medians[args.after] / medians[args.before] - 1
    print(f"{args.scenario}: median wall time {change:+.1%} ({args.after} against {args.before}), {args.repeats} runs each, interleaved")
    # The machine's speed drifts within a sitting (a shared VM): a pair of neighbouring runs sees the same speed, so
    # the median of the pairs' ratios is the steadier figure.
    ratios = [a["wall"] / b["wall"] for a, b in zip(times[args.after], times[args.before], strict=True)]
    print(f"paired: {args.after}'s wall time over {args.before}'s, run by run: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios) - 1:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
