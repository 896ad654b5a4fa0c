"""Benchmarks: throughput and memory of the engine at the DESIGN sizes, against a per-event SimPy model.

    python benchmarks/run.py --write              # every size, the main job, the bounds; rewrites BENCHMARKS.md (about 12 min)
    python benchmarks/run.py --sizes tiny --reference-stores 4 --reference-skus 50 --reference-sample 200 --no-main-job   # seconds

Every measurement runs in a fresh process (spawned), so peak resident memory is that run's alone, after a
three-week warm-up run that loads (or compiles) every kernel the measured run calls.
Writes ``results/benchmarks/benchmark-<time>.json`` and ``.md`` and prints the tables; ``--write`` also puts the
report between BENCHMARKS.md's markers (sealed: an edit by hand fails the tests). Figures are for this machine
only; the report names the machine, date and commit, and states each target of DESIGN.md and issue 34 with the
measured figure and a computed verdict.
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
SIZES = {"tiny": "scenarios/tiny.yaml", "city": "scenarios/city.yaml", "city_seed_split": "scenarios/city_seed_split.yaml",
         "city_seed_pool": "scenarios/city_seed_pool.yaml", "retail": "scenarios/retail.yaml"}
BENCHMARKS = ROOT / "BENCHMARKS.md"
WARM_UP_DAYS = 21
BEGIN, END = "<!-- benchmarks: begin (written by benchmarks/run.py --write; do not edit by hand) -->", "<!-- benchmarks: end -->"
# A national chain (issue 34): stores and SKUs; its other nodes scale with the stores as in retail.yaml.
NATIONAL_STORES, NATIONAL_SKUS = 3_000, 50_000


def _rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _warm_up(scenario) -> float:
    """Its first 3 weeks, so the measured run finds the kernels loaded (from numba's on-disk cache, or compiled
    now): weekly steps such as rebalancing (a few days in) and every review period start within them."""
    import simulation as sim

    start = time.perf_counter()
    sim.run(sim.with_overrides(scenario, {"run.horizon_days": WARM_UP_DAYS, "run.warmup_days": 0}), threads=1)
    return time.perf_counter() - start


def measure_engine(scenario: str, threads: int | None) -> dict:
    """Run in a fresh process: a three-week warm-up, then the full run."""
    import simulation as sim

    scenario = sim.load_scenario(scenario)
    warmup = _warm_up(scenario)
    before = _current_rss_mib()
    res = sim.run(scenario, threads=threads)
    m = res.manifest
    return {"warmup_seconds": warmup, "wall_seconds": m["wall_seconds"], "engine_seconds": m["engine_seconds"],
            "nodes": m["nodes"], "stores": _stores(scenario), "skus": m["skus"], "node_sku_days": m["node_sku_days"],
            "horizon_days": m["horizon_days"],
            "online_orders": m["online_orders"], "online_lines": m["online_lines"], "threads": m["threads"],
            "phase_seconds": m["phase_seconds"], "rss_before_run_mib": before, "peak_rss_mib": _rss_mib(),
            "fill_rate_walk_in": res.kpi("fill_rate_units", "walk_in")}


def _stores(scenario) -> int:
    return sum(1 for node in scenario.network.nodes if node.type == "store")


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


def measure_main_job() -> dict:
    """The README's main job (its quick start's command after the install), kernels compiled, into a fresh folder."""
    sys.path.insert(0, str(ROOT / "experiments"))
    from front_pages import main_job_command

    command = main_job_command()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([*command, "--out", out], cwd=ROOT, capture_output=True, check=True)
        seconds = time.perf_counter() - start
    return {"command": " ".join(command), "wall_seconds": seconds}


def measure_bare_loop(threads: int) -> dict:
    from bare_loop import measure

    return measure(threads=threads)


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
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated: {', '.join(SIZES)}")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: every core)")
    ap.add_argument("--reference-stores", type=int, default=50)
    ap.add_argument("--reference-skus", type=int, default=2000)
    ap.add_argument("--reference-sample", type=int, default=10000,
                    help="store-SKUs the SimPy model runs (independent copies of the engine's); its throughput falls as "
                         "it grows, so a sample makes the comparison conservative")
    ap.add_argument("--no-memory-scaling", action="store_true", help="skip the retail catalogue-size memory sweep")
    ap.add_argument("--no-main-job", action="store_true", help="skip timing the README's main job (about a minute)")
    ap.add_argument("--write", action="store_true", help="also write the report between BENCHMARKS.md's markers")
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
        r["node_sku_days_per_engine_second"] = r["node_sku_days"] / r["engine_seconds"]
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
    report["bare_loop"] = {str(t): in_fresh_process(measure_bare_loop, t) for t in (1, 2)}
    if not args.no_main_job:
        report["main_job"] = measure_main_job()
        print(f"main job: {report['main_job']['wall_seconds']:.0f} s", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"benchmark-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    stem.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    print(f"wrote {stem}.json and .md")
    if args.write:
        sys.path.insert(0, str(ROOT / "experiments"))
        from front_pages import between

        between(BENCHMARKS, BEGIN, END, f"Written by `python benchmarks/run.py --write`: its own report "
                                        f"(`{stem.name}.md`, outside git), unedited.\n\n" + markdown(report))
        print(f"rewrote the report in {BENCHMARKS.name}")
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
             "| scenario | nodes x SKUs x days | node-SKU-days | engine (s) | run wall (s) | M node-SKU-days/s (engine) | "
             "online lines | lines/s (run) | peak RSS (MiB) | bytes per node-SKU | threads |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in report["sizes"].items():
        lines.append(f"| {name} | {r['nodes']} x {r['skus']:,} x {r['horizon_days']} | {r['node_sku_days']:,} | "
                     f"{r['engine_seconds']:.1f} | {r['wall_seconds']:.1f} | {r['node_sku_days_per_engine_second'] / 1e6:.2f} | "
                     f"{r['online_lines']:,} | {r['online_lines_per_second']:,.0f} | {r['peak_rss_mib']:,.0f} | "
                     f"{r['bytes_per_node_sku']:,.0f} | {r['threads']} |")
    lines += ["", "Engine: `Simulation.execute` (the year, day by day); run wall: `simulation.run()` (the served-sizing pilot, "
              "the world, the engine and the KPI tables)."]
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
    if "bare_loop" in report:
        b = report["bare_loop"]
        lines += ["", f"Bare-loop bound (`benchmarks/bare_loop.py`: the same single-echelon model as one numba loop, Poisson "
                  f"by inversion, no engine around it, {b['1']['cells']:,} store-SKUs x {b['1']['days']} days): "
                  f"{b['1']['cell_days_per_second'] / 1e6:.1f} M store-SKU-days/s on one thread, "
                  f"{b['2']['cell_days_per_second'] / 1e6:.1f} M on two."]
    if "main_job" in report:
        lines += ["", f"Main job (the README's quick start command after the install, kernels compiled, into a fresh folder): "
                  f"{report['main_job']['wall_seconds']:.0f} s."]
    lines += ["", "### Targets", "", "| target | measured | met? |", "| --- | --- | --- |",
              *[f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in targets(report)]]
    national_scale = national(report)
    if national_scale:
        lines += ["", "### A national network, projected from these slopes", "", national_scale]
    return "\n".join(lines) + "\n"


def targets(report: dict) -> list[tuple[str, str, bool]]:
    """Each target of issue 34 that this report measured: (target, measured figure, met)."""
    out = []
    sizes = report["sizes"]

    def rate(name):
        return sizes[name]["node_sku_days_per_engine_second"] / 1e6
    if "city" in sizes:
        out.append(("`city.yaml`: >= 10 M node-SKU-days per engine second", f"{rate('city'):.2f} M/s", rate("city") >= 10))
    for name in ("city_seed_split", "city_seed_pool"):
        if name in sizes:
            r = sizes[name]
            over = r["wall_seconds"] / r["engine_seconds"] - 1
            out.append((f"`{name}.yaml`: >= 8 M node-SKU-days per engine second, run wall within 10% of engine time",
                        f"{rate(name):.2f} M/s; run wall {over:+.0%} of engine", rate(name) >= 8 and over <= 0.10))
    if "retail" in sizes:
        r = sizes["retail"]
        gib = r["peak_rss_mib"] / 1024
        out.append(("`retail.yaml`, every channel: <= 150 s and <= 2.5 GiB", f"{r['wall_seconds']:.0f} s, {gib:.2f} GiB",
                    r["wall_seconds"] <= 150 and gib <= 2.5))
    if "main_job" in report:
        seconds = report["main_job"]["wall_seconds"]
        out.append(("the main job <= 30 s, kernels compiled", f"{seconds:.0f} s", seconds <= 30))
    c = report["compile"]
    out.append(("first tiny run after install (numba compiling) <= 10 s", f"{c['first_call_cold_cache_seconds']:.1f} s",
                c["first_call_cold_cache_seconds"] <= 10))
    s = report["single_echelon"]
    out.append(("single echelon: engine >= 100x the per-event SimPy model", f"{s['speedup']:.0f}x", s["speedup"] >= 100))
    return out


def national(report: dict) -> str:
    """What a year of a national chain needs at retail.yaml's measured time and memory slopes (empty without both)."""
    if "retail" not in report["sizes"] or "memory_scaling" not in report:
        return ""
    r, ms = report["sizes"]["retail"], report["memory_scaling"]
    nodes = round(NATIONAL_STORES * r["nodes"] / r["stores"]) if r.get("stores") else NATIONAL_STORES
    node_skus = nodes * NATIONAL_SKUS
    gib = (ms["fixed_mib"] * 2**20 + ms["bytes_per_node_sku"] * node_skus) / 2**30
    seconds = node_skus * 365 / r["node_sku_days_per_engine_second"]
    return (f"{NATIONAL_STORES:,} stores and {NATIONAL_SKUS:,} SKUs ({nodes:,} stock rows as retail.yaml has per store): "
            f"{node_skus / 1e6:,.0f} M node-SKUs. At {ms['bytes_per_node_sku']:,.0f} bytes per node-SKU over "
            f"{ms['fixed_mib']:,.0f} MiB it needs **{gib:,.0f} GiB**; at retail.yaml's "
            f"{r['node_sku_days_per_engine_second'] / 1e6:.1f} M node-SKU-days per engine second a year takes "
            f"**{seconds / 3600:.1f} hours** on this machine if the memory were there. See \"National scale\" below for "
            f"how it splits across a Dask cluster.")


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
