"""Every experiment script runs end to end at its --smoke size (CI keeps them from rotting): exit 0,
a result table that states the seed claim and the verdict, and its files in --out."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.py") if p.stem != "common")


def test_every_experiment_is_listed_in_the_experiments_readme():
    readme = (ROOT / "experiments" / "README.md").read_text()
    assert len(EXPERIMENTS) >= 6
    for name in EXPERIMENTS:
        assert f"`{name}.py`" in readme, name


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_smoke(name, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--smoke", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Seed" in done.stdout or "seed change" in done.stdout
    table = pd.read_csv(tmp_path / "result.csv")
    assert len(table) >= 3
    assert (tmp_path / "result.md").read_text().startswith("# ")
    if "direction agrees" in table.columns:
        assert set(table["direction agrees"]) <= {"yes", "no", "n.s."}


def test_experiment_bad_input_is_one_clear_message(tmp_path):
    (tmp_path / "manifest.json").write_text('{"scenario": "someone else"}')
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "manifest.json").write_text('{"scenario": "someone else"}')
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "capacity_sla.py"), "--smoke", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 2
    assert "holds a different sweep" in done.stderr and "Traceback" not in done.stderr
