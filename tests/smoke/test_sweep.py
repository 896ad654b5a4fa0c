"""Sweeps: grids, common random numbers, executors (local processes, a real Dask cluster), the
resumable results store and the CLI."""

import json
import os
import signal
import sys

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.cli import as_flags, main
from simulation.engine.threads import available_cores, default_threads
from simulation.experiment.compare import paired_table
from simulation.experiment.executors import completed
from simulation.experiment.sweep import grid_points

MODES = {"policies.inventory_mode": ["split", "pool"]}


@pytest.fixture(scope="module")
def tiny():
    return sim.load_scenario("scenarios/tiny.yaml", {"run.horizon_days": 60, "run.warmup_days": 10})


def test_grid_is_full_factorial_and_zip_varies_together():
    points = grid_points({"a": [1, 2], "b": ["x", "y"]}, {"c": [10, 20], "d": [0.1, 0.2]})
    assert len(points) == 8
    assert {"a": 1, "b": "y", "c": 20, "d": 0.2} in points
    assert all((p["c"], p["d"]) in ((10, 0.1), (20, 0.2)) for p in points)
    assert grid_points() == [{}]


@pytest.mark.parametrize("grid, zipped, message, flags", [
    ({"a": []}, None, "grid a: give at least one value", "--grid a: give at least one value"),
    (None, {"c": [1, 2], "d": [1]}, "equally long", "--zip: the zipped lists must be equally long"),
    ({"a": [1]}, {"a": [2]}, "zip a: also in grid", "--zip a: also in grid"),
])
def test_bad_grids_are_refused_by_name(grid, zipped, message, flags):
    """The library names its parameters (grid, zip); the command line names them as flags."""
    with pytest.raises(sim.UsageError, match=message) as refused:
        grid_points(grid, zipped)
    assert "--" not in str(refused.value)
    assert flags in str(as_flags(refused.value))


def test_an_invalid_grid_value_is_refused_before_anything_runs(tiny, tmp_path):
    with pytest.raises(sim.ScenarioError) as err:
        sim.sweep(tiny, {"catalog.skus": [10, 0]}, replications=1, out=tmp_path / "s")
    assert "grid point 1 (catalog.skus=0): catalog.skus: must be >= 1, got 0" in str(err.value)
    assert not (tmp_path / "s").exists()


def test_table_is_tidy_and_identical_for_any_worker_count(tiny):
    one = sim.sweep(tiny, MODES, replications=2, seed=3, workers=1)
    two = sim.sweep(tiny, MODES, replications=2, seed=3, workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.columns) == ["run_id", "point", "replication", "seed", "policies.inventory_mode", "metric", "channel",
                                 "node_type", "value"]
    assert sorted(one.run_id.unique()) == [0, 1, 2, 3]
    assert set(one.groupby("run_id")["policies.inventory_mode"].first()) == {"split", "pool"}
    # Each run equals a plain run() of its point.
    direct = sim.run(sim.with_overrides(tiny, {"policies.inventory_mode": "pool"}), seed=3, replication=1).kpis
    mine = one[one.run_id == 3][["metric", "channel", "node_type", "value"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, direct[["metric", "channel", "node_type", "value"]])


def test_common_random_numbers_narrow_the_paired_difference():
    """Replication r of both service levels sees the same customers (the paired difference in walk-in
    demand is exactly zero), so the CI of the paired difference in fill rate is narrower than with
    independent streams per point. With 12 replications of 120 days the half-width ratio is about 0.5
    (seeds 11-14 gave 0.41-0.66); 0.8 leaves room for the noise of two estimated variances."""
    tiny = sim.load_scenario("scenarios/tiny.yaml")
    grid = {"replenishment.store.service_level": [0.85, 0.97]}

    def paired(crn):
        table = sim.sweep(tiny, grid, replications=12, seed=11, common_random_numbers=crn, workers=2)
        runs = paired_table(table.assign(policy=table["point"].astype(str)), "0")
        walk_in = runs.query("channel == 'walk_in' and node_type == 'all' and policy == '1'").set_index("metric")
        return walk_in.loc["fill_rate_units"], walk_in.loc["demand_units"]

    (crn, crn_demand), (independent, independent_demand) = paired(True), paired(False)
    assert crn["diff"] > 0 and independent["diff"] > 0  # more stock serves more, either way
    assert crn["diff_high"] - crn["diff"] < 0.8 * (independent["diff_high"] - independent["diff"])
    assert crn_demand["diff_low"] == crn_demand["diff_high"] == 0 and independent_demand["diff"] != 0


def test_store_resumes_and_refuses_a_different_sweep(tiny, tmp_path):
    out = tmp_path / "sweep"
    calls = []
    full = sim.sweep(tiny, MODES, replications=2, seed=5, out=out, progress=lambda done, total: calls.append(done))
    assert len(calls) == 4 and (out / "sweep.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_hash"] == tiny.digest() and manifest["grid"] == {"policies.inventory_mode": ["split", "pool"]}
    # A finished sweep reruns nothing; a lost run file and a half-written temp file cost one run.
    calls.clear()
    pd.testing.assert_frame_equal(sim.sweep(tiny, MODES, replications=2, seed=5, out=out, progress=lambda d, t: calls.append(d)), full)
    assert calls == []
    (out / "runs" / "run-000002.parquet").unlink()
    (out / "runs" / ".run-000002.parquet.x.tmp").write_bytes(b"PAR1 half a file")
    again = sim.sweep(tiny, MODES, replications=2, seed=5, out=out, progress=lambda d, t: calls.append(d))
    pd.testing.assert_frame_equal(again, full)
    assert calls == [4] and not list((out / "runs").glob(".*.tmp"))
    # Another seed is another sweep: refused, unless told to start over.
    with pytest.raises(sim.ScenarioError, match="holds a different sweep \\(seed differ\\)"):
        sim.sweep(tiny, MODES, replications=2, seed=6, out=out)
    restarted = sim.sweep(tiny, MODES, replications=2, seed=6, out=out, restart=True)
    assert set(restarted.seed) == {6} and len(list((out / "runs").glob("*.parquet"))) == 4


def test_a_folder_that_is_not_a_sweep_is_not_overwritten(tiny, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(sim.ScenarioError, match="not a sweep folder"):
        sim.sweep(tiny, MODES, replications=1, out=tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_dask_cluster_gives_the_same_table(tiny):
    distributed = pytest.importorskip("distributed")
    local = sim.sweep(tiny, MODES, replications=2, seed=3, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = sim.sweep(tiny, MODES, replications=2, seed=3, executor=client)
        by_address = sim.compare([sim.with_overrides(tiny, {"name": "a"}), sim.with_overrides(tiny, {"name": "b"})],
                                 replications=2, seed=3, executor=cluster.scheduler_address)
    pd.testing.assert_frame_equal(local, on_dask)
    assert np.allclose(by_address.table.query("policy == 'b'")["diff"].fillna(0), 0)  # same scenario: no difference


def test_a_dask_worker_shares_its_cores_among_its_task_threads(monkeypatch):
    """A worker runs one task per thread at once: each run's engine gets the cores divided among them (two task
    threads on this machine's cores: one engine thread each; one task thread: every core), as the local pool gives
    each process one. Without this, a cluster of multi-thread workers ran runs of every core each, oversubscribed."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.delenv("INVSIM_THREADS", raising=False)
    for per_worker in (1, 2):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=per_worker, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            engine_threads = [threads for _, threads in completed(lambda _: default_threads(), range(4), client=client)]
        assert engine_threads == [max(1, available_cores() // per_worker)] * 4


def test_a_dask_worker_reuses_the_memory_a_day_frees_despite_the_nannys_trim_setting():
    """A Dask nanny starts its workers with MALLOC_TRIM_THRESHOLD_, which makes glibc hand every freed array over
    128 KiB back to the kernel and fault it in anew: a run's day allocates hundreds. On a worker the engine's
    tasks set the thresholds back, so 200 arrays of 2 MiB made and freed in turn fault in about one's pages (512),
    not all of them (102,400)."""
    distributed = pytest.importorskip("distributed")
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's malloc")

    def page_faults_making_arrays(_):
        import resource
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(200):
            np.ones(2**18).sum()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")), "the nanny no longer sets the trim threshold"
        faults = [f for _, f in completed(page_faults_making_arrays, range(3), client=client)]
    assert max(faults) < 10_000, f"page faults per 200 arrays: {faults}"


def test_a_sweep_survives_a_dask_worker_killed_mid_run(tiny, tmp_path):
    """SIGKILL a worker process while it runs a job: the nanny restarts it, the scheduler reruns its
    jobs, and the table equals a local sweep's (runs are fixed by seed and replication)."""
    distributed = pytest.importorskip("distributed")
    grid = {"policies.inventory_mode": ["split", "pool"], "replenishment.store.service_level": [0.8, 0.9, 0.95]}
    reference = sim.sweep(tiny, grid, replications=3, seed=3, workers=1)
    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = client.run(os.getpid)  # worker address -> its process id

        def kill_a_busy_worker(done, total):
            if done >= 3 and not killed:
                busy = [(w, len(keys)) for w, keys in client.processing().items() if keys]  # one snapshot
                if busy:
                    killed.append(busy[0])
                    os.kill(pids[busy[0][0]], signal.SIGKILL)

        table = sim.sweep(tiny, grid, replications=3, seed=3, executor=client, out=tmp_path / "s", progress=kill_a_busy_worker)
    assert killed and killed[0][1] > 0, "no worker was killed while it held a job"
    pd.testing.assert_frame_equal(table, reference)

def test_cli_sweep_prints_a_summary_and_resumes(tmp_path, capsys):
    args = ["sweep", "scenarios/tiny.yaml", "--grid", "policies.inventory_mode=split,pool", "--replications", "2",
            "--set", "run.horizon_days=60", "--set", "run.warmup_days=10", "--out", str(tmp_path / "s"), "--workers", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "policies.inventory_mode" in out and "split" in out and "pool" in out and "2 grid points x 2 replications" in out
    first = pd.read_parquet(tmp_path / "s" / "sweep.parquet")
    assert main(args) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s" / "sweep.parquet"), first)


@pytest.mark.parametrize("flag, message", [("--grid", "expected PATH=V1,V2"), ("--zip", "expected PATH=V1,V2")])
def test_cli_bad_grid_exits_2(flag, message, capsys):
    assert main(["sweep", "scenarios/tiny.yaml", flag, "no-equals-sign"]) == 2
    assert message in capsys.readouterr().err
