"""Benchmarks: throughput and memory of the engine at the DESIGN sizes, against a per-event SimPy model.

    python benchmarks/run.py                      # tiny, city, retail and the SimPy comparison (about 8 min)
    python benchmarks/run.py --sizes tiny --reference-stores 4 --reference-skus 50 --reference-sample 200   # seconds

Every measurement runs in a fresh process (spawned), so peak resident memory is that run's alone.
Writes ``results/benchmarks/benchmark-<time>.json`` and ``.md`` and prints the tables. Figures are
for this machine only; BENCHMARKS.md records a full run with the machine, date and commit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
SIZES = {"tiny": "scenarios/tiny.yaml", "city": "scenarios/city.yaml", "retail": "scenarios/retail.yaml"}


def _rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _warm_up(scenario) -> float:
    """Its first 3 days, so the measured run finds the kernels loaded (from numba's on-disk cache)."""
    import simulation as sim

    start = time.perf_counter()
    sim.run(sim.with_overrides(scenario, {"run.horizon_days": 3, "run.warmup_days": 0}), threads=1)
    return time.perf_counter() - start


def measure_engine(scenario: str, threads: int | None) -> dict:
    """Run in a fresh process: a 3-day warm-up, then the full run."""
    import simulation as sim

    scenario = sim.load_scenario(scenario)
    warmup = _warm_up(scenario)
    before = _current_rss_mib()
    res = sim.run(scenario, threads=threads)
    m = res.manifest
    return {"warmup_seconds": warmup, "wall_seconds": m["wall_seconds"], "engine_seconds": m["engine_seconds"],
            "nodes": m["nodes"], "skus": m["skus"], "node_sku_days": m["node_sku_days"], "horizon_days": m["horizon_days"],
            "online_orders": m["online_orders"], "online_lines": m["online_lines"], "threads": m["threads"],
            "phase_seconds": m["phase_seconds"], "rss_before_run_mib": before, "peak_rss_mib": _rss_mib(),
            "fill_rate_walk_in": res.kpi("fill_rate_units", "walk_in")}


def measure_single_echelon(raw: dict, threads: int | None) -> dict:
    """The engine on the single-echelon comparison scenario, with per store-SKU fill rates (a Probe)."""
    import simulation as sim
    from simulation.experiment.run import simulate
    from simulation.validation.probe import Probe

    scenario = sim.scenario_from_dict(raw)
    _warm_up(scenario)
    start = time.perf_counter()
    res = sim.run(scenario, threads=threads)
    wall = time.perf_counter() - start
    probe = Probe(scenario.run.warmup_days)
    simulate(scenario, scenario.run.seed, threads=threads, observers=[probe])
    stores = probe.world.store_rows
    fill = probe.fill_rate(stores, "walk_in")
    return {"wall_seconds": wall, "engine_seconds": res.manifest["engine_seconds"], "threads": res.manifest["threads"],
            "fill_rate_walk_in": res.kpi("fill_rate_units", "walk_in"), "fill_rate_mean": float(fill.mean()),
            "store_fill_rates": fill.tolist(), "peak_rss_mib": _rss_mib()}


def measure_compile() -> dict:
    """Numba compile time: the tiny scenario's first 3 days with an empty kernel cache, then again."""
    code = ("import time, simulation as sim\n"
            "sc = sim.load_scenario('scenarios/tiny.yaml', {'run.horizon_days': 3, 'run.warmup_days': 0})\n"
            "t = time.perf_counter(); sim.run(sc, threads=1); a = time.perf_counter() - t\n"
            "t = time.perf_counter(); sim.run(sc, threads=1); b = time.perf_counter() - t\n"
            "print(a, b)\n")
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={**os.environ, "NUMBA_CACHE_DIR": cache})
    first, second = map(float, out.stdout.split())
    start = time.perf_counter()  # a new process with the cache warm: what a second `invsim run` pays to start
    subprocess.run([sys.executable, "-m", "simulation", "run", "scenarios/tiny.yaml", "--out",
                    tempfile.mkdtemp(prefix="bench-tiny-")], cwd=ROOT, capture_output=True, check=True)
    return {"first_call_cold_cache_seconds": first, "same_call_compiled_seconds": second,
            "compile_seconds": first - second, "invsim_run_tiny_warm_cache_seconds": time.perf_counter() - start}


def in_fresh_process(fn, *args):
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def single_echelon(stores: int, skus: int, daily_mean: float, s: int, S: int, lead: int, horizon: int, warmup: int,
                   seed: int) -> dict:
    """N stores x K identical SKUs, Poisson walk-in demand, daily (s, S), fixed lead time, lost sales:
    the scenario both the engine and the SimPy reference run."""
    from simulation.validation.cases import copies, with_stores

    return copies(skus, daily_mean, **with_stores(
        [{"id": f"S{i}"} for i in range(stores)], lead, **{
            "name": f"single-echelon-{stores}x{skus}", "replenishment.store": {"policy": "min_max", "s": s, "S": S},
            "run.horizon_days": horizon, "run.warmup_days": warmup, "run.seed": seed}))


def welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """Difference of means and its 99% half-width (normal quantile: hundreds of replicates each)."""
    diff = statistics.fmean(a) - statistics.fmean(b)
    se = (statistics.variance(a) / len(a) + statistics.variance(b) / len(b)) ** 0.5
    return diff, 2.576 * se


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="tiny,city,retail", help="comma-separated: tiny, city, retail")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: every core)")
    ap.add_argument("--reference-stores", type=int, default=50)
    ap.add_argument("--reference-skus", type=int, default=2000)
    ap.add_argument("--reference-sample", type=int, default=10000,
                    help="store-SKUs the SimPy model runs (independent copies of the engine's); its throughput falls as "
                         "it grows, so a sample makes the comparison conservative")
    ap.add_argument("--no-memory-scaling", action="store_true", help="skip the retail catalogue-size memory sweep")
    ap.add_argument("--out", default=str(ROOT / "results" / "benchmarks"))
    args = ap.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        ap.error(f"--sizes: unknown {unknown}; choose from {sorted(SIZES)}")
    os.chdir(ROOT)
    import numba
    import numpy
    import simpy

    import simulation

    report = {"machine": {"platform": platform.platform(), "processor": _cpu_name(), "cpus": os.cpu_count(),
                          "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                          "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__,
                          "simpy": simpy.__version__},
              "commit": _commit(), "package_version": simulation.__version__,
              "date": datetime.now(UTC).isoformat(timespec="seconds"), "sizes": {}}
    report["compile"] = measure_compile()
    for name in sizes:
        r = in_fresh_process(measure_engine, SIZES[name], args.threads)
        r["node_sku_days_per_second"] = r["node_sku_days"] / r["wall_seconds"]
        r["online_lines_per_second"] = r["online_lines"] / r["wall_seconds"]
        r["bytes_per_node_sku"] = (r["peak_rss_mib"] - r["rss_before_run_mib"]) * 2**20 / (r["nodes"] * r["skus"])
        report["sizes"][name] = r
        print(f"{name}: {r['wall_seconds']:.1f} s, {r['node_sku_days_per_second'] / 1e6:.2f} M node-SKU-days/s, "
              f"peak {r['peak_rss_mib']:.0f} MiB", flush=True)
    if "retail" in sizes and not args.no_memory_scaling:
        from memory import scaling
        report["memory_scaling"] = scaling(in_fresh_process)
        print(f"memory: {report['memory_scaling']['bytes_per_node_sku']:.0f} bytes per node-SKU", flush=True)
    report["single_echelon"] = compare_with_simpy(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"benchmark-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    stem.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    print(f"wrote {stem}.json and .md")
    return 0


def compare_with_simpy(args) -> dict:
    from simpy_reference import simulate

    p = {"daily_mean": 1.0, "s": 2, "S": 6, "lead": 2, "horizon": 365, "warmup": 30, "seed": 1}
    raw = single_echelon(args.reference_stores, args.reference_skus, **p)
    engine = in_fresh_process(measure_single_echelon, raw, args.threads)
    engine_one = in_fresh_process(measure_single_echelon, raw, 1)
    cells = args.reference_stores * args.reference_skus
    sample = min(args.reference_sample, cells)
    def reference(n):
        return simulate(stores=1, skus=n, daily_mean=p["daily_mean"], s=p["s"], S=p["S"], lead_days=p["lead"],
                        horizon_days=p["horizon"], warmup_days=p["warmup"], seed=p["seed"])
    half_run = reference(max(sample // 2, 2))  # its throughput at half the size
    ref = reference(sample)
    diff, half = welch(engine["store_fill_rates"], ref["fill_rates"])
    days = cells * p["horizon"]
    out = {"stores": args.reference_stores, "skus": args.reference_skus, "parameters": p, "simpy_store_skus": sample,
           "engine": engine, "engine_one_thread": engine_one,
           "simpy": {"wall_seconds": ref["wall_seconds"], "events": ref["events"],
                     "fill_rate_mean": statistics.fmean(ref["fill_rates"]),
                     "store_sku_days_per_second": sample * p["horizon"] / ref["wall_seconds"],
                     "store_sku_days_per_second_at_half_size": half_run["cell_days"] / half_run["wall_seconds"]},
           "engine_store_sku_days_per_second": days / engine["wall_seconds"],
           "engine_one_thread_store_sku_days_per_second": days / engine_one["wall_seconds"],
           "fill_rate_difference": diff, "fill_rate_difference_99ci_half_width": half,
           "fill_rates_agree": abs(diff) <= half}
    out["speedup"] = out["engine_store_sku_days_per_second"] / out["simpy"]["store_sku_days_per_second"]
    out["speedup_one_thread"] = out["engine_one_thread_store_sku_days_per_second"] / out["simpy"]["store_sku_days_per_second"]
    for e in (engine, engine_one):
        e.pop("store_fill_rates")
    print(f"single echelon: engine {out['engine_store_sku_days_per_second'] / 1e6:.2f} M store-SKU-days/s, SimPy "
          f"{out['simpy']['store_sku_days_per_second'] / 1e3:.1f} k/s: {out['speedup']:.0f}x; fill rates differ by "
          f"{diff:+.4f} (99% CI +-{half:.4f})", flush=True)
    return out


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [f"Machine: {m['processor']}, {m['cpus']} CPUs, {m['memory_gib']} GiB; {m['platform']}; Python {m['python']}, "
             f"NumPy {m['numpy']}, numba {m['numba']}, SimPy {m['simpy']}. Commit {report['commit']}, {report['date']}.", "",
             "| size | nodes x SKUs x days | node-SKU-days | wall (s) | M node-SKU-days/s | online lines | lines/s | "
             "peak RSS (MiB) | bytes per node-SKU | threads |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in report["sizes"].items():
        lines.append(f"| {name} | {r['nodes']} x {r['skus']:,} x {r['horizon_days']} | {r['node_sku_days']:,} | "
                     f"{r['wall_seconds']:.1f} | {r['node_sku_days_per_second'] / 1e6:.2f} | {r['online_lines']:,} | "
                     f"{r['online_lines_per_second']:,.0f} | {r['peak_rss_mib']:,.0f} | {r['bytes_per_node_sku']:,.0f} | "
                     f"{r['threads']} |")
    c = report["compile"]
    lines += ["", f"Compile: the first 3-day tiny run with an empty numba cache takes {c['first_call_cold_cache_seconds']:.1f} s "
              f"({c['compile_seconds']:.1f} s of it compiling); a second `invsim run scenarios/tiny.yaml` in a new process "
              f"(kernels cached) takes {c['invsim_run_tiny_warm_cache_seconds']:.1f} s including start-up.", ""]
    if "memory_scaling" in report:
        ms = report["memory_scaling"]
        points = ", ".join(f"{p['skus']:,} SKUs: {p['peak_rss_mib']:,.0f} MiB" for p in ms["points"])
        lines += [f"Memory against size (retail network, {ms['days']} days, peak RSS): {points}. Slope "
                  f"**{ms['bytes_per_node_sku']:,.0f} bytes per node-SKU** over a fixed {ms['fixed_mib']:,.0f} MiB "
                  f"(largest relative residual of the straight line {ms['max_relative_residual']:.1%}).", ""]
    for name, r in report["sizes"].items():
        phases = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["phase_seconds"].items(), key=lambda kv: -kv[1]))
        lines.append(f"- {name} time by step (s): {phases}")
    s = report["single_echelon"]
    lines += ["", f"Single echelon ({s['stores']} stores x {s['skus']:,} SKUs, Poisson {s['parameters']['daily_mean']}/day, "
              f"(s, S) = ({s['parameters']['s']}, {s['parameters']['S']}), L = {s['parameters']['lead']}, lost sales, "
              f"{s['parameters']['horizon']} days):", "",
              "| model | store-SKUs run | wall (s) | store-SKU-days/s | mean store-SKU fill rate (compared below) |",
              "| --- | ---: | ---: | ---: | ---: |",
              f"| engine, {s['engine']['threads']} threads | {s['stores'] * s['skus']:,} | {s['engine']['wall_seconds']:.1f} | "
              f"{s['engine_store_sku_days_per_second']:,.0f} | {s['engine']['fill_rate_mean']:.4f} |",
              f"| engine, 1 thread | {s['stores'] * s['skus']:,} | {s['engine_one_thread']['wall_seconds']:.1f} | "
              f"{s['engine_one_thread_store_sku_days_per_second']:,.0f} | {s['engine_one_thread']['fill_rate_mean']:.4f} |",
              f"| SimPy per event | {s['simpy_store_skus']:,} | {s['simpy']['wall_seconds']:.1f} | "
              f"{s['simpy']['store_sku_days_per_second']:,.0f} | {s['simpy']['fill_rate_mean']:.4f} |", "",
              f"The SimPy model runs {s['simpy_store_skus']:,} of the store-SKUs (independent copies of the engine's). At "
              f"half that size it ran {s['simpy']['store_sku_days_per_second_at_half_size']:,.0f} store-SKU-days/s: its "
              "throughput falls as the model grows (more processes in its event heap), so the ratio below, against "
              "the sample, understates the ratio against all of them.", "",
              f"Speed-up: {s['speedup']:.0f}x ({s['speedup_one_thread']:.0f}x on one thread). The fill rate compared is "
              "each store-SKU's share of its walk-in demand met, averaged over store-SKUs (the engine's KPI, which "
              f"weights by units, is {s['engine']['fill_rate_walk_in']:.4f}). Mean fill rates differ by "
              f"{s['fill_rate_difference']:+.4f} (99% CI half-width {s['fill_rate_difference_99ci_half_width']:.4f}): "
              f"{'agree' if s['fill_rates_agree'] else 'DISAGREE'}."]
    return "\n".join(lines) + "\n"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
