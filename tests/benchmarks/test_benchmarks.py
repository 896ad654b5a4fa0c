"""The benchmark runner at its smallest (seconds), so it cannot rot. Speed itself is measured by hand
(python benchmarks/run.py) and recorded in BENCHMARKS.md, never asserted in tests."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_smoke_writes_a_report_and_the_models_agree(tmp_path):
    out = subprocess.run([sys.executable, "benchmarks/run.py", "--sizes", "tiny", "--reference-stores", "4",
                          "--reference-skus", "100", "--reference-sample", "400", "--no-main-job", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    (report_file,) = tmp_path.glob("benchmark-*.json")
    report = json.loads(report_file.read_text())
    tiny = report["sizes"]["tiny"]
    assert tiny["node_sku_days"] == 7 * 50 * 120 and tiny["online_lines"] > 0 and tiny["peak_rss_mib"] > 0
    assert set(tiny["phase_seconds"]) >= {"walk_in_and_order_draws", "replenishment", "close_day"}
    echelon = report["single_echelon"]
    # The engine and the per-event SimPy model are the same system: their fill rates agree (99% CI).
    assert echelon["fill_rates_agree"], echelon
    assert 0.85 < echelon["simpy"]["fill_rate_mean"] < 0.99
    assert report["compile"]["compile_seconds"] > 0
    text = (tmp_path / report_file.name.replace(".json", ".md")).read_text()
    assert text.count("|") > 20
    # The table shows the statistic the agreement compares (the mean of per-store-SKU fill rates), for both models.
    assert "mean store-SKU fill rate (compared below)" in text
    assert f"| {echelon['engine']['fill_rate_mean']:.4f} |" in text and f"| {echelon['simpy']['fill_rate_mean']:.4f} |" in text
    # The bare-loop bound is measured in the same run, and each target's verdict is computed from the figures.
    assert report["bare_loop"]["1"]["cell_days_per_second"] > 0
    compiled = report["compile"]["first_call_cold_cache_seconds"]
    verdict = "yes" if compiled <= 10 else "no"
    assert f"| first tiny run after install (numba compiling) <= 10 s | {compiled:.1f} s | {verdict} |" in text


def test_a_sweep_on_a_dask_cluster_gives_the_local_pools_results():
    """benchmarks/dask_sweep.py at its smallest: the same sweep on the local pool and on a LocalCluster, identical."""
    out = subprocess.run([sys.executable, "benchmarks/dask_sweep.py", "--days", "4", "--skus", "300", "--replications", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Result tables" in out.stdout and "all four identical" in out.stdout
