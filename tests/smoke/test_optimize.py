"""``invsim optimize`` end to end on tiny: the files it writes, a best.yaml that runs, the same search on one process
and on two, and a search killed part-way that resumes to the uninterrupted one."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

import simulation as sim
from tests.conftest import ROOT
from tests.smoke.test_crash_resume import finished, run_and_kill

SEARCH = ["-m", "simulation", "optimize", "scenarios/tiny.yaml",
          "--vary", "replenishment.store.service_level=0.5..0.99", "--vary", "replenishment.store.review_period_days=1..7",
          "--minimize", "avg_inventory_value", "--subject-to", "fill_rate_units(walk_in)>=0.9",
          "--budget", "8", "--replications", "2", "--first-stage", "4", "--max-replications", "40",
          "--set", "run.horizon_days=60", "--set", "run.warmup_days=10", "--set", "replenishment.store.policy=order_up_to"]


def search(out, workers=1, check=True):
    return subprocess.run([sys.executable, *SEARCH, "--workers", str(workers), "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, check=check)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("search")
    done = search(out)
    return out, done


def test_a_search_writes_its_tables_its_choice_and_a_runnable_best_yaml(whole):
    out, done = whole
    assert "Chosen: replenishment.store.service_level = " in done.stdout and "Guarantee: probability of correct" in done.stdout
    for name in ("trials.parquet", "selection.csv", "search.md", "report.html", "report.pdf", "figures/frontier.png",
                 "figures/progress.png", "figures/settings.png", "best.yaml", "manifest.json", "search.json"):
        assert (out / name).stat().st_size > 0, name
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 8 and (trials["replications"] == 2).all()
    assert trials["feasible"].any() and (trials["feasible"] == (trials["fill_rate_units(walk_in) bound"] >= 0.9)).all()
    selection = pd.read_csv(out / "selection.csv")
    chosen = selection[selection["chosen"]].iloc[0]
    assert chosen["replications"] >= 4 and chosen["eliminated_at"] == 0 and selection["chosen"].sum() == 1
    assert (selection.loc[~selection["chosen"], "eliminated_at"] >= 4).all()   # every other finalist eliminated by KN
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert best["overrides"]["replenishment.store.review_period_days"] == int(chosen["replenishment.store.review_period_days"])
    assert isinstance(best["overrides"]["replenishment.store.review_period_days"], int)
    scenario = sim.load_scenario(out / "best.yaml")   # extends tiny.yaml by a path relative to best.yaml
    assert scenario.replenishment.store.service_level == pytest.approx(chosen["replenishment.store.service_level"])
    assert scenario.run.horizon_days == 60
    text = (out / "search.md").read_text()
    assert "Kim & Nelson" in text and "Which settings matter" in text


def test_the_search_is_the_same_on_two_processes(whole, tmp_path):
    out, _ = whole
    search(tmp_path / "two", workers=2)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "two" / "trials.parquet"), pd.read_parquet(out / "trials.parquet"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "two" / "selection.csv"), pd.read_csv(out / "selection.csv"))


def test_a_killed_search_resumes_to_the_uninterrupted_one(whole, tmp_path):
    out, _ = whole
    again = tmp_path / "again"
    command = [sys.executable, *SEARCH, "--workers", "1", "--out", str(again)]
    assert run_and_kill(command, again, after=5), "the search finished before it could be killed"
    kept = finished(again)
    assert 0 < kept
    search(again)
    pd.testing.assert_frame_equal(pd.read_parquet(again / "trials.parquet"), pd.read_parquet(out / "trials.parquet"))
    pd.testing.assert_frame_equal(pd.read_csv(again / "selection.csv"), pd.read_csv(out / "selection.csv"))
    assert finished(again) == finished(out)   # no run twice


def test_a_rerun_runs_nothing_new(whole):
    out, _ = whole
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    search(out)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == stamps


def test_bad_arguments_exit_2_naming_each():
    done = subprocess.run([sys.executable, "-m", "simulation", "optimize", "scenarios/tiny.yaml", "--vary",
                           "replenishment.store.service_level=0.5..1.5", "--minimize", "cost_totl", "--subject-to",
                           "fill_rate_units(walk_in)>=95"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    for expected in ("service_level: must be < 1.0, got 1.5", "unknown metric 'cost_totl'", "is a share"):
        assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_invsim_report_redraws_a_search_folder(whole):
    out, _ = whole
    (out / "search.md").unlink()
    (out / "figures" / "frontier.png").unlink()
    done = subprocess.run([sys.executable, "-m", "simulation", "report", str(out)], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert "report.html" in done.stdout and (out / "figures" / "frontier.png").stat().st_size > 0
    assert "Guarantee: probability of correct selection" in (out / "search.md").read_text()


def test_a_search_on_a_dask_cluster_gives_the_same_answer(whole):
    """The search of the module's fixture, run through sim.optimize on a local Dask cluster by its address: the same
    trials, finalists and choice as on local processes."""
    distributed = pytest.importorskip("distributed")
    out, _ = whole
    settings = ["replenishment.store.service_level=0.5..0.99", "replenishment.store.review_period_days=1..7"]
    overrides = {"run.horizon_days": 60, "run.warmup_days": 10, "replenishment.store.policy": "order_up_to"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = sim.optimize(ROOT / "scenarios" / "tiny.yaml", settings, "avg_inventory_value", ["fill_rate_units(walk_in)>=0.9"],
                              budget=8, replications=2, overrides=overrides, first_stage=4, max_replications=40,
                              executor=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(result.trials, pd.read_parquet(out / "trials.parquet"))
    pd.testing.assert_frame_equal(result.selection.reset_index(drop=True), pd.read_csv(out / "selection.csv"), check_dtype=False)


def test_a_search_can_start_at_a_given_point():
    """--start high: trial 0 is every range's high end (the rest proposed by TPE as before, from trial 1); the
    start is part of the search (a folder of a search without it is another search); a bad start names each problem."""
    base = dict(vary=["replenishment.store.service_level=0.5..0.99", "replenishment.store.review_period_days=1..7"],
                minimize="avg_inventory_value", subject_to=["fill_rate_units(walk_in)>=0.9"], budget=3, replications=2,
                first_stage=3, overrides={"replenishment.store.policy": "order_up_to", "run.horizon_days": 40,
                                          "run.warmup_days": 10}, progress=False, workers=1)
    high = sim.optimize("scenarios/tiny.yaml", start="high", **base)
    first = high.trials.iloc[0]
    assert (first["replenishment.store.service_level"], first["replenishment.store.review_period_days"]) == (0.99, 7)
    given = {"replenishment.store.service_level": 0.9, "replenishment.store.review_period_days": 2}
    tiny = sim.load_scenario("scenarios/tiny.yaml")
    assert high.search.identity(tiny)["start"] == dict(high.search.start)
    assert "start" not in sim.optimize("scenarios/tiny.yaml", **{**base, "budget": 1}).search.identity(tiny)
    assert sim.optimize("scenarios/tiny.yaml", start=given, **base).trials.iloc[0][list(given)].to_dict() == given
    done = subprocess.run([sys.executable, *SEARCH[:3], *SEARCH[3:], "--start", "replenishment.store.service_level=1.5"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "start: no value for replenishment.store.review_period_days" in done.stderr
    assert "service_level=1.5 is outside what is searched" in done.stderr and "Traceback" not in done.stderr
