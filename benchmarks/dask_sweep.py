"""One sweep of the retail network on the local process pool and on a Dask cluster: wall times, and whether
the results are identical (they must be: a run is fixed by its scenario, seed and replication).

    python benchmarks/dask_sweep.py --write      # retail.yaml cut to 30 days, 2 points x 2 replications, each executor twice (about 10 min)
    python benchmarks/dask_sweep.py --days 10 --skus 2000   # a minute

The cluster is a ``distributed.LocalCluster`` of worker processes on this machine (one thread each, as the local
pool's): the same route a sweep takes to a real cluster (``--scheduler tcp://host:8786``), so its overhead
(shipping scenarios and result tables, the scheduler) is measured on the same work. ``--write`` puts the table
between BENCHMARKS.md's Dask markers (sealed).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- dask: begin (written by benchmarks/dask_sweep.py --write; do not edit by hand) -->", "<!-- dask: end -->"
GRID = {"replenishment.store.service_level": [0.9, 0.95]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30, help="horizon of each run (retail.yaml's network and catalogue)")
    ap.add_argument("--skus", type=int, default=None, help="catalogue size (default retail.yaml's 20,000)")
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--write", action="store_true", help="write the table into BENCHMARKS.md")
    args = ap.parse_args(argv)
    os.environ.setdefault("INVSIM_THREADS", "1")  # each worker process one thread, on either executor
    from distributed import Client, LocalCluster

    import simulation as sim
    from simulation.experiment.results import commit_label

    overrides = {"run.horizon_days": args.days, "run.warmup_days": min(30, args.days // 3),
                 **({"catalog.skus": args.skus} if args.skus else {})}
    scenario = sim.load_scenario(ROOT / "scenarios" / "retail.yaml", overrides)
    runs = len(GRID[next(iter(GRID))]) * args.replications
    sim.run(sim.with_overrides(scenario, {"run.horizon_days": 2, "run.warmup_days": 0}))  # kernels compiled first

    def timed(executor):
        start = time.perf_counter()
        table = sim.sweep(scenario, GRID, replications=args.replications, executor=executor, workers=args.workers,
                          progress=False)
        return table, time.perf_counter() - start

    # Each executor twice, in the order local, cluster, cluster, local: a drift of the machine's speed during the
    # sitting then weighs on both alike.
    start = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(args.workers)
        startup = time.perf_counter() - start
        local, first = timed(None)
        dask, second = timed(client)
        again, third = timed(client)
        local_again, fourth = timed(None)
    key = [c for c in local.columns if c != "value"]

    def same_as_local(table):
        return local.sort_values(key).reset_index(drop=True).equals(table.sort_values(key).reset_index(drop=True))
    same = all(same_as_local(t) for t in (dask, again, local_again))
    local_seconds, dask_seconds = (first + fourth) / 2, (second + third) / 2
    nodes = len(scenario.network.nodes)
    text = "\n".join([
        f"Measured by `python benchmarks/dask_sweep.py{' --write' if args.write else ''}` at commit {commit_label()} on "
        f"{os.cpu_count()} cores (Python {platform.python_version()}): `retail.yaml` ({nodes} nodes x "
        f"{scenario.catalog.skus:,} SKUs) cut to {args.days} days, a sweep of {len(GRID[next(iter(GRID))])} points "
        f"(`{next(iter(GRID))}`) x {args.replications} replications = {runs} runs, {args.workers} worker processes of "
        "one thread each; each executor ran the sweep twice, in the order local, cluster, cluster, local.", "",
        "| executor | wall of each sweep (s) | mean (s) | runs per minute |", "| --- | --- | ---: | ---: |",
        f"| local process pool (`--workers {args.workers}`) | {first:.0f}, {fourth:.0f} | {local_seconds:.0f} | "
        f"{runs / local_seconds * 60:.1f} |",
        f"| Dask `LocalCluster` ({args.workers} worker processes; started in {startup:.1f} s, not counted) | "
        f"{second:.0f}, {third:.0f} | {dask_seconds:.0f} | {runs / dask_seconds * 60:.1f} |", "",
        f"Result tables ({len(local):,} rows each): {'all four identical' if same else 'DIFFERENT'}."])
    print(text)
    if args.write:
        sys.path.insert(0, str(ROOT / "experiments"))
        from front_pages import between

        between(ROOT / "BENCHMARKS.md", BEGIN, END, text)
        print("rewrote the Dask section of BENCHMARKS.md")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
