"""The command line end to end: run writes its files atomically, overrides apply, python -m works."""

import json
import subprocess
import sys

import pandas as pd

from simulation.cli import main


def test_run_prints_kpis_and_writes_outputs(tiny_path, tmp_path, capsys):
    out = tmp_path / "tiny"
    assert main(["run", str(tiny_path), "--seed", "7", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Service by channel" in printed and "Inventory and cost by node type" in printed
    assert "fill_rate_units" in printed and "walk_in" in printed
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert list(kpis.columns) == ["metric", "channel", "node_type", "value"]
    daily = pd.read_parquet(out / "daily.parquet")
    assert {"day", "node_type", "metric", "value"} <= set(daily.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["scenario"] == "tiny" and len(manifest["scenario_hash"]) == 64
    assert manifest["nodes"] == 7  # six nodes and, in split mode, the central warehouse's online stock
    assert manifest["node_sku_days"] == 7 * 50 * 120
    assert not list(out.glob(".*tmp"))  # no temp files left behind


def test_overrides_change_the_run(tiny_path, tmp_path):
    out = tmp_path / "short"
    assert main(["run", str(tiny_path), "--out", str(out), "--quiet", "--set", "run.horizon_days=60",
                 "--set", "replenishment.store.policy=min_max"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["horizon_days"] == 60
    assert manifest["node_sku_days"] == 7 * 50 * 60


def test_replications_are_tagged_and_summarised(tiny_path, tmp_path, capsys):
    out = tmp_path / "reps"
    assert main(["run", str(tiny_path), "--out", str(out), "--replications", "3", "--set", "run.horizon_days=50"]) == 0
    assert "±" in capsys.readouterr().out
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert sorted(kpis.replication.unique()) == [0, 1, 2]
    fill = kpis[(kpis.metric == "fill_rate_units") & (kpis.channel == "all") & (kpis.node_type == "all")]
    assert fill.value.nunique() == 3  # replications draw different streams


def test_python_dash_m_is_the_same_cli(tiny_path, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "simulation", "run", str(tiny_path), "--out", str(tmp_path / "m"),
                           "--set", "run.horizon_days=40", "--quiet"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "m" / "kpis.parquet").exists()
