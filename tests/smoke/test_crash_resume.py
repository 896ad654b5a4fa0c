"""A sweep killed with SIGKILL part-way, several times, then rerun with the same command, ends with the
same table as a sweep that was never interrupted: no run lost, duplicated or half-written."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation.experiment.store import RUN_FILE
from tests.conftest import ROOT

RUNS = 24  # 3 x 2 grid points x 4 replications
SWEEP = ["-m", "simulation", "sweep", "scenarios/tiny.yaml", "--grid", "replenishment.store.service_level=0.8,0.9,0.95",
         "--grid", "policies.inventory_mode=split,pool", "--replications", "4", "--set", "run.horizon_days=60",
         "--set", "run.warmup_days=10"]


def sweep_command(out, workers):
    return [sys.executable, *SWEEP, "--workers", str(workers), "--out", str(out)]


def finished(out) -> int:
    runs = out / "runs"
    return sum(1 for p in runs.iterdir() if RUN_FILE.match(p.name)) if runs.exists() else 0


def run_and_kill(command, out, after: int) -> bool:
    """Start ``command`` (a sweep or comparison into ``out``) in its own process group; SIGKILL the group
    (workers too) once ``after`` runs are stored. False if it finished first."""
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while finished(out) < after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    alive = proc.poll() is None
    if alive:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return alive


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    subprocess.run(sweep_command(out, 1), cwd=ROOT, check=True, capture_output=True)
    return pd.read_parquet(out / "sweep.parquet")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_sweep_killed_three_times_resumes_to_the_uninterrupted_table(tmp_path, workers, uninterrupted):
    out = tmp_path / "sweep"
    kills = [run_and_kill(sweep_command(out, workers), out, after) for after in (2, 9, 16)]
    assert sum(kills) >= 2, "the sweep finished before it could be killed"
    before = finished(out)
    assert 0 < before < RUNS
    done = subprocess.run(sweep_command(out, workers), cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out / "sweep.parquet")
    pd.testing.assert_frame_equal(table, uninterrupted)
    assert sorted(table.run_id.unique()) == list(range(RUNS))                 # none lost
    assert not table.duplicated(["run_id", "metric", "channel", "node_type"]).any()  # none twice
    for path in (out / "runs").iterdir():  # no half-written file left: every file a whole Parquet run
        assert RUN_FILE.match(path.name), path.name
        assert pq.ParquetFile(path).metadata.num_rows > 0
    assert not list(out.rglob("*.tmp"))


# --------------------------------------------------------------------------------------------- compare
COMPARE_RUNS = 12  # 2 policies x 6 replications
COMPARE = ["-m", "simulation", "compare", "scenarios/city_split.yaml", "scenarios/city_pool.yaml", "--replications", "6",
           "--set", "catalog.skus=60", "--set", "run.horizon_days=60", "--set", "run.warmup_days=10", "--no-report"]


def compare_command(out, workers=1):
    return [sys.executable, *COMPARE, "--workers", str(workers), "--out", str(out)]


@pytest.fixture(scope="module")
def whole_comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole_comparison")
    done = subprocess.run(compare_command(out), cwd=ROOT, check=True, capture_output=True, text=True)
    return out, done.stdout


def test_a_comparison_killed_twice_resumes_to_the_uninterrupted_tables(tmp_path, whole_comparison):
    whole, printed = whole_comparison
    out = tmp_path / "comparison"
    kills = [run_and_kill(compare_command(out), out, after) for after in (2, 7)]
    assert sum(kills) >= 1, "the comparison finished before it could be killed"
    assert 0 < finished(out) < COMPARE_RUNS
    done = subprocess.run(compare_command(out), cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\nWrote")[0] == printed.split("\nWrote")[0]  # the same side-by-side table
    for name in ("comparison", "runs", "daily", "orders"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"), pd.read_parquet(whole / f"{name}.parquet"))
    assert finished(out) == COMPARE_RUNS and not list(out.rglob("*.tmp"))


def test_a_finished_comparison_rerun_runs_nothing_and_prints_the_same_table(whole_comparison, tmp_path):
    whole, printed = whole_comparison
    stamps = {p.name: p.stat().st_mtime_ns for p in (whole / "runs").iterdir()}
    done = subprocess.run(compare_command(whole), cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == printed
    assert {p.name: p.stat().st_mtime_ns for p in (whole / "runs").iterdir()} == stamps  # no run was redone
    # another comparison in the same folder is refused, naming what differs
    other = subprocess.run([*compare_command(whole)[:-2], "--replications", "3", "--out", str(whole)], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    assert other.returncode == 2 and "holds a different comparison (replications differ)" in other.stderr
