"""Guards before and after a run: the memory estimate and its refusal, demand too large for integer
counts, and the edge cases that must either work or be refused up front (zero demand, horizons
shorter than lead times, closed nodes), never a NaN or inf in a KPI table."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.cli import main
from simulation.world import preflight
from tests.conftest import ROOT, SCENARIOS

TINY = SCENARIOS / "tiny.yaml"


def finite_kpis(result) -> pd.DataFrame:
    values = result.kpis["value"].to_numpy(float)
    assert np.isfinite(values).all(), result.kpis[~np.isfinite(values)]
    return result.kpis


MEASURE = """
import re, simulation as sim
city = sim.load_scenario('scenarios/city.yaml', {'run.horizon_days': 40, 'run.warmup_days': 10})
sim.run(sim.with_overrides(city, {'run.horizon_days': 3, 'run.warmup_days': 1}), threads=1)  # loads (or compiles) the kernels
open('/proc/self/clear_refs', 'w').write('5')  # reset the peak: compiling is not the run's memory
sim.run(city, threads=1)
print(int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)) * 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to reset the peak RSS")
def test_the_memory_estimate_brackets_a_measured_peak():
    """The estimate may err high (it refuses a little early) but not low: within [1, 1.6] x the peak RSS
    of a 40-day city run in a fresh process (after a warm-up run, as BENCHMARKS.md measures)."""
    peak = int(subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    sc = sim.load_scenario(SCENARIOS / "city.yaml", {"run.horizon_days": 40, "run.warmup_days": 10})
    estimate = preflight.estimate_bytes(sc, sc.catalog.skus, sc.catalog.skus * sc.catalog.mean_daily_units)
    assert 1.0 <= estimate / peak <= 1.6, (estimate / 2**20, peak / 2**20)


def test_a_run_too_big_for_memory_is_refused_at_once_with_the_estimate(capsys):
    code = main(["run", str(TINY), "--set", "catalog.skus=100000000000", "--quiet", "--out", "unused"])
    err = capsys.readouterr().err
    assert code == 2
    assert "catalog.skus: this run needs about" in err and "GiB of memory" in err and "is available" in err and "--force" in err


def test_force_runs_past_the_size_check(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(preflight, "available_bytes", lambda: 1 << 20)  # pretend 1 MiB is free
    with pytest.raises(sim.ScenarioError, match="needs about"):
        sim.run(sim.load_scenario(TINY, {"run.horizon_days": 10, "run.warmup_days": 2}))
    assert main(["run", str(TINY), "--set", "run.horizon_days=10", "--set", "run.warmup_days=2", "--quiet",
                 "--out", str(tmp_path), "--force"]) == 0
    assert json.loads((tmp_path / "manifest.json").read_text())["conservation"] == "ok"


@pytest.mark.parametrize("overrides", [{"catalog.mean_daily_units": 5e5, "network.nodes[2].demand_scale": 1e4},
                                       {"catalog.mean_daily_units": 1e6, "demand.promotions[0].lift": 5e3}])
def test_demand_that_could_overflow_integer_stock_is_refused(overrides):
    with pytest.raises(sim.ScenarioError, match=r"catalog.mean_daily_units: the fastest SKU would sell about .* 64-bit"):
        sim.run(sim.load_scenario(TINY, overrides))


def test_a_catalog_file_with_a_huge_rate_is_refused(tmp_path):
    path = tmp_path / "catalog.csv"
    pd.DataFrame({"sku": ["A", "B"], "mean_daily_units": [1.0, 1e15], "unit_cost": [1.0, 1.0],
                  "price": [2.0, 2.0]}).to_csv(path, index=False)
    with pytest.raises(sim.ScenarioError, match=r"catalog\.file: the fastest SKU"):
        sim.run(sim.load_scenario(TINY, {"catalog": {"file": str(path)}}))


def test_skus_that_nobody_buys_leave_rates_out_not_nan(tmp_path):
    path = tmp_path / "catalog.csv"
    pd.DataFrame({"sku": ["A", "B", "C"], "mean_daily_units": [0.0, 0.0, 2.0], "unit_cost": [5.0, 5.0, 5.0],
                  "price": [8.0, 8.0, 8.0]}).to_csv(path, index=False)
    res = sim.run(sim.load_scenario(TINY, {"catalog": {"file": str(path)}, "run.horizon_days": 40, "run.warmup_days": 5}))
    finite_kpis(res)
    nobody = sim.run(sim.load_scenario(TINY, {"catalog": {"file": str(path)}, "run.horizon_days": 40, "run.warmup_days": 5,
                                              "network.nodes[type=store].demand_scale": 0, "network.zones[*].demand_scale": 0}))
    kpis = finite_kpis(nobody)
    assert not (kpis.metric.str.startswith("fill_rate")).any()  # no demand: no fill rate, rather than 0/0
    assert not (kpis.metric == "days_of_inventory").any()        # nothing sold: no days of cover, rather than inf
    assert nobody.kpi("avg_inventory_value") == 0  # levels follow demand: nothing is stocked for nobody


def test_a_horizon_shorter_than_the_lead_time_runs_on_initial_stock():
    sc = sim.load_scenario(TINY, {"network.lanes[0].lead_time_days": 60, "run.horizon_days": 30, "run.warmup_days": 5})
    res = sim.run(sc)
    finite_kpis(res)
    assert 0 < res.kpi("fill_rate_units") <= 1


def test_a_node_closed_by_a_shock_runs_and_zero_capacity_is_refused():
    closed = sim.load_scenario(TINY, {"demand.shocks[0].capacity_factor": 0.0, "demand.shocks[0].end_day": 110})
    finite_kpis(sim.run(closed))
    with pytest.raises(sim.ScenarioError, match=r"network.nodes\[0\].capacity_orders_per_hour: must be >= 0.01, got 0"):
        sim.load_scenario(TINY, {"network.nodes[0].capacity_orders_per_hour": 0})


@pytest.mark.parametrize("field, value", [("catalog.mean_daily_units", ".inf"), ("network.nodes[0].capacity_orders_per_hour", ".inf"),
                                          ("network.lanes[1].lead_time_days", "{kind: gamma, mean: 1e300, cv: 0.3}"),
                                          ("costs.holding_rate_per_year", ".nan"), ("demand.online.basket_lines_mean", "1.0e12"),
                                          ("demand.online.units_per_line_mean", "1.0e300"),
                                          ("costs.last_mile_per_order.bopis", "1.0e308")])
def test_infinite_and_absurd_numbers_are_refused_by_field(field, value, capsys):
    assert main(["validate", str(TINY), "--set", f"{field}={value}"]) == 2
    assert field.split(".lead_time_days")[0] in capsys.readouterr().err


def test_a_local_pool_whose_runs_together_exceed_memory_is_refused_with_the_workers_that_fit(monkeypatch):
    pair = [sim.load_scenario(TINY, {"name": m, "policies.inventory_mode": m, "run.horizon_days": 20, "run.warmup_days": 2})
            for m in ("split", "pool")]
    each = preflight.scenario_bytes(pair[0])
    monkeypatch.setattr(preflight, "available_bytes", lambda: int(1.5 * each))  # room for one run, not two
    with pytest.raises(sim.ScenarioError, match=r"workers: 2 runs at once need about .* use workers=1"):
        sim.compare(pair, replications=2, workers=2)
    with pytest.raises(sim.ScenarioError, match="workers: 2 runs at once"):
        sim.sweep(pair[0], {"policies.inventory_mode": ["split", "pool"]}, workers=2, progress=False)
    assert len(sim.compare(pair, replications=2, workers=1).runs)  # one at a time fits
