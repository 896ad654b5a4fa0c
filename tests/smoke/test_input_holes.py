"""Inputs a hostile or hurried user gives (issue 15): each ends in exit 2 with a message naming the
argument or field, never a traceback, never a silently different run."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.engine.demand import OrderGenerator
from simulation.experiment.sweep import grid_size
from simulation.scenario import ScenarioError, UsageError
from simulation.world import preflight
from simulation.world.catalog import build_catalog
from simulation.world.network import compile_world

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
TINY = str(SCENARIOS / "tiny.yaml")


def invsim(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=timeout, check=False)


def refused(done, *expected):
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    for text in expected:
        assert text in done.stderr, (text, done.stderr[-2000:])


# ------------------------------------------------------------------------------------------- library vs CLI words
def test_library_errors_name_parameters_and_the_command_line_names_its_flags(tmp_path):
    """The Python API says ``out``, ``workers=1`` and ``force=True``; ``invsim`` says ``--out``,
    ``--workers 1`` and ``--force`` for the same problems."""
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    tiny = sim.load_scenario(TINY, {"run.horizon_days": 20, "run.warmup_days": 2})
    with pytest.raises(UsageError, match=r"^invalid arguments: 1 problem\(s\)\n  out .*busy: exists and holds other files") as info:
        sim.run(tiny).write(busy)
    assert "--" not in str(info.value)
    with pytest.raises(UsageError, match=r"pass force=True to run it"):
        preflight.check_sweep_size(tiny, 10_001, 1, 2)
    refused(invsim("run", TINY, "--out", str(busy)), f"--out {busy}: exists and holds other files")


# ------------------------------------------------------------------------------------------- 12: huge grids
def test_a_huge_grid_is_sized_at_once_and_refused_with_its_size_and_time(tmp_path):
    values = ",".join(str(v) for v in range(1, 101))
    start = time.perf_counter()
    done = invsim("sweep", TINY, "--grid", f"run.seed={values}", "--grid", f"catalog.skus={values}",
                  "--grid", f"demand.online.basket_lines_mean={values}", "--out", str(tmp_path / "s"))
    assert time.perf_counter() - start < 60  # refused before a million points are built and validated
    refused(done, "sweep: 1,000,000 grid point(s) x 3 replication(s) = 3,000,000 runs",
            "more than 10,000 runs is refused", "--force", "days")
    assert done.stderr.index("grid point(s)") < done.stderr.index("refused")  # the size comes first
    assert not (tmp_path / "s").exists()


def test_the_sweep_size_check_counts_runs_and_can_be_forced():
    assert grid_size({"a": range(100), "b": range(100)}, {"c": [1, 2], "d": [3, 4]}) == 20_000
    sc = sim.load_scenario(TINY)
    with pytest.raises(UsageError, match=r"10,001 runs"):
        preflight.check_sweep_size(sc, 10_001, 1, 2)
    preflight.check_sweep_size(sc, 10_000, 1, 2)  # at the limit: allowed
    with pytest.raises(UsageError, match="grid points"):
        sim.sweep(sc, {"run.seed": list(range(5001))}, replications=2)


# ------------------------------------------------------------------------------------------- 13: arguments
BAD_ARGUMENTS = [
    (["run", TINY, "--seed", "-1"], "argument --seed: must be a whole number >= 0, got -1"),
    (["run", TINY, "--seed", "x"], "argument --seed: must be a whole number >= 0, got 'x'"),
    (["run", TINY, "--replications", "0"], "argument --replications: must be a whole number >= 1, got 0"),
    (["compare", TINY, TINY, "--replications", "1"], "argument --replications: must be a whole number >= 2, got 1"),
    (["compare", TINY, TINY, "--workers", "0"], "argument --workers: must be a whole number >= 1, got 0"),
    (["sweep", TINY, "--workers", "-1"], "argument --workers: must be a whole number >= 1, got -1"),
    (["sweep", TINY, "--replications", "0"], "argument --replications: must be a whole number >= 1, got 0"),
    (["sweep", TINY, "--seed", "-5"], "argument --seed: must be a whole number >= 0, got -5"),
    (["sweep", TINY, "--scheduler", "nonsense"], "argument --scheduler: expected a scheduler address such as tcp://"),
    (["compare", TINY, TINY, "--scheduler", "tcp://host"], "argument --scheduler: expected a scheduler address"),
]


@pytest.mark.parametrize("args, message", BAD_ARGUMENTS, ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD_ARGUMENTS])
def test_a_meaningless_argument_is_exit_2_naming_it(args, message):
    refused(invsim(*args), message)


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_an_out_path_that_is_a_file_is_exit_2(command, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    scenarios = [TINY, str(SCENARIOS / "city_pool.yaml")] if command == "compare" else [TINY]
    refused(invsim(command, *scenarios, "--out", str(tmp_path / "notes.txt")), "argument --out:", "is a file, not a folder")
    refused(invsim(command, *scenarios, "--out", str(tmp_path / "notes.txt" / "sub")), "is a file, not a folder")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_library_refuses_a_file_as_a_results_folder_and_a_negative_seed(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        sim.sweep(sim.load_scenario(TINY, {"run.horizon_days": 30}), out=tmp_path / "f")
    with pytest.raises(UsageError, match="seed: must be a whole number >= 0, got -1"):
        sim.run(sim.load_scenario(TINY, {"run.horizon_days": 30}), seed=-1)


def test_an_unreachable_scheduler_is_one_message(tmp_path):
    done = invsim("sweep", TINY, "--scheduler", "tcp://127.0.0.1:1", "--set", "run.horizon_days=30", "--out", str(tmp_path / "s"))
    refused(done, "--scheduler tcp://127.0.0.1:1: could not reach a Dask scheduler")


# ------------------------------------------------------------------------------------------- 14: catalog files
def test_a_catalog_with_duplicate_skus_is_refused_naming_the_sku_and_rows(tmp_path):
    path = tmp_path / "skus.csv"
    pd.DataFrame({"sku": ["A", "B", "A", "C", "B"], "mean_daily_units": [1.0, 2.0, 3.0, 1.0, 1.0],
                  "unit_cost": [1.0] * 5, "price": [2.0] * 5}).to_csv(path, index=False)
    done = invsim("validate", TINY, "--set", f"catalog={{file: {path}}}")
    refused(done, "catalog.file: SKU 'A' appears in rows 2, 4 (each SKU once)", "SKU 'B' appears in rows 3, 6")


def test_catalog_messages_write_numbers_as_people_do(tmp_path):
    path = tmp_path / "skus.csv"
    pd.DataFrame({"sku": ["A", "B"], "mean_daily_units": [1.0, np.nan], "unit_cost": [1.0, -1.0],
                  "price": [2.0, 2.0]}).to_csv(path, index=False)
    done = invsim("validate", TINY, "--set", f"catalog={{file: {path}}}")
    refused(done, "row 3 column 'mean_daily_units': must be a number >= 0, got nan", "column 'unit_cost': must be a number >= 0, got -1.0")
    assert "np.float64" not in done.stderr


# ------------------------------------------------------------------------------------------- 15: dead fields
DEAD_FIELDS = [
    ({"channels.walk_in.promise_hours": 1}, "channels.walk_in.promise_hours: means nothing for walk-in customers"),
    ({"channels.walk_in.transit_hours": 1}, "channels.walk_in.transit_hours: means nothing"),
    ({"channels.walk_in.dispatch_sla_hours": 12}, "channels.walk_in.dispatch_sla_hours: means nothing"),
    ({"channels.walk_in.max_wait_days": 2}, "channels.walk_in.max_wait_days: means nothing"),
    ({"channels.instant.max_wait_days": 2}, "channels.instant.max_wait_days: means nothing when unfilled is 'lost'"),
    ({"network.nodes[0].demand_scale": 2.0}, "network.nodes[0].demand_scale: means nothing for a central_warehouse"),
]


@pytest.mark.parametrize("override, message", DEAD_FIELDS, ids=[next(iter(o)) for o, _ in DEAD_FIELDS])
def test_a_field_that_would_do_nothing_is_refused(override, message):
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(TINY, override)
    assert message in str(info.value)


def test_the_same_fields_where_they_act_are_accepted():
    sim.load_scenario(TINY, {"channels.instant": {"unfilled": "backorder", "max_wait_days": 2},
                             "channels.walk_in.unfilled": "lost", "network.nodes[2].demand_scale": 2.0})
    for path in sorted(SCENARIOS.glob("*.yaml")):  # every bundled scenario stays valid
        sim.load_scenario(path)


# ------------------------------------------------------------------------------------------- 16: overdispersion
def test_online_orders_and_planning_use_one_overdispersion(tmp_path):
    """A loaded catalog with per-SKU overdispersion: online order counts use the rate^2-weighted mean,
    and the planning variance of online demand uses the same value, so levels are set for the demand
    the engine draws (walk-in keeps each SKU's own)."""
    path = tmp_path / "skus.csv"
    pd.DataFrame({"sku": ["fast", "slow"], "mean_daily_units": [4.0, 1.0], "unit_cost": [1.0, 1.0], "price": [2.0, 2.0],
                  "overdispersion": [0.1, 0.9]}).to_csv(path, index=False)
    sc = sim.load_scenario(TINY, {"catalog": {"file": str(path)}})
    skus = build_catalog(sc.catalog)
    expected = (0.1 * 16 + 0.9 * 1) / 17
    assert skus.online_overdispersion == pytest.approx(expected)
    world = compile_world(sc)
    assert OrderGenerator(world).order_alpha == pytest.approx(expected)
    # The FW serves only online (instant) demand: it is planned exactly as if every SKU had the online
    # value, while a store's walk-in demand keeps each SKU's own.
    flat = tmp_path / "flat.csv"
    pd.read_csv(path).assign(overdispersion=expected).to_csv(flat, index=False)
    same = compile_world(sim.load_scenario(TINY, {"catalog": {"file": str(flat)}}))
    fw, store = world.node_index["FW1"], world.node_index["S1"]
    assert world.planning_var[fw] == pytest.approx(same.planning_var[fw], rel=1e-12)
    assert world.planning_var[store] != pytest.approx(same.planning_var[store], rel=1e-6)
