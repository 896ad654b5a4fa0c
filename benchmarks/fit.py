"""What fitting an analyst's history costs: a city-size year (``invsim history scenarios/city.yaml``: 30 stores x
2,000 SKUs x 365 days of walk-in demand and 1.9 M online orders) fitted by ``invsim fit`` in a fresh process,
wall time by phase and peak resident memory.

    python benchmarks/fit.py                      # about 1 minute; prints a Markdown table
    python benchmarks/fit.py --dense              # the sales file with a row for every store-SKU-day (22 M rows)
    python benchmarks/fit.py --scenario scenarios/tiny.yaml

The history is written once (to a temporary folder) and fitted three times, each in its own process
(after one untimed fit that fills numba's cache). ``invsim history`` writes the non-zero rows; ``--dense``
rewrites the sales file with a row for every store-SKU-day, zeros included (the city's 22 M rows), as a
point-of-sale extract often comes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_FIT = """
import json, resource, sys, time
t0 = time.perf_counter()
import simulation as sim
from simulation.history.fitted import fit
from simulation.world.order_file import read_orders
from simulation.world.network import compile_world
scenario = sim.load_scenario(sys.argv[1])
world = compile_world(scenario)
t1 = time.perf_counter()
orders = read_orders(sys.argv[3], "orders", list(world.zone_ids), list(world.skus.sku)) if sys.argv[3] != "-" else None
t2 = time.perf_counter()
fitted = fit(sys.argv[2], orders, scenario)  # the sales file is streamed: read, checked and gathered in one pass
t3 = time.perf_counter()
fitted.write(sys.argv[4], sys.argv[1])
t4 = time.perf_counter()
print(json.dumps({"start-up": t1 - t0, "order log read and checked": t2 - t1, "sales streamed and fitted": t3 - t2,
                  "write and report": t4 - t3, "total": t4 - t0, "rows": fitted.sales.rows,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def densify(path: Path) -> None:
    """Rewrite a sales file with a row for every (day, store, SKU), zeros included."""
    import numpy as np
    import pandas as pd

    sales = pd.read_parquet(path)
    stores, skus = np.unique(sales.location.astype(str)), np.unique(sales.sku.astype(str))
    days = int(sales.day.max()) + 1
    units = np.zeros((days, stores.size, skus.size), np.int64)
    store, sku = np.searchsorted(stores, sales.location.astype(str)), np.searchsorted(skus, sales.sku.astype(str))
    units[sales.day.to_numpy(), store, sku] = sales.units
    d, i, k = (a.ravel() for a in np.meshgrid(np.arange(days), np.arange(stores.size), np.arange(skus.size), indexing="ij"))
    dense = pd.DataFrame({"day": d, "location": pd.Categorical.from_codes(i, stores), "sku": pd.Categorical.from_codes(k, skus),
                          "units": units.ravel(), "channel": pd.Categorical.from_codes(np.zeros(d.size, np.int8), ["walk_in"])})
    dense.to_parquet(path, index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/city.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dense", action="store_true", help="a sales row for every store-SKU-day, zeros included")
    parser.add_argument("--history", default=None, help="fit this folder's sales.parquet (and orders.parquet) instead of writing one")
    parser.add_argument("--no-orders", action="store_true", help="fit the sales file alone")
    args = parser.parse_args(argv)
    scenario = str(ROOT / args.scenario)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.history) if args.history else Path(tmp)
        if not args.history:
            subprocess.run([sys.executable, "-m", "simulation", "history", scenario, "--out", tmp], check=True, cwd=ROOT)
        if args.dense:
            densify(folder / "sales.parquet")
        orders = "-" if args.no_orders else str(folder / "orders.parquet")
        call = [sys.executable, "-c", ONE_FIT, scenario, str(folder / "sales.parquet"), orders, f"{tmp}/fit"]
        subprocess.run(call, check=True, cwd=ROOT, capture_output=True)  # fills the numba cache
        runs = [json.loads(subprocess.run(call, check=True, cwd=ROOT, capture_output=True, text=True).stdout)
                for _ in range(args.repeats)]
    phases = [k for k in runs[0] if k not in ("rows", "peak_rss_mib")]
    print(f"{args.scenario}{' (dense sales)' if args.dense else ''}: {runs[0]['rows']:,} sales rows"
          f"{'' if args.no_orders else ' and the order log'}, {args.repeats} fits, each in a fresh process\n")
    print("| phase | median (s) | range (s) |\n| --- | ---: | ---: |")
    for phase in phases:
        values = [r[phase] for r in runs]
        print(f"| {phase} | {statistics.median(values):.1f} | {min(values):.1f}-{max(values):.1f} |")
    print(f"\nPeak resident memory: {max(r['peak_rss_mib'] for r in runs):,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
