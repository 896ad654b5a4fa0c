"""One results-folder type: it knows its kind (run, comparison, sweep, finished or part-way), refuses a
folder holding another kind or other files with one message, writes atomically, and is what the report
opens."""

import json

import pandas as pd
import pytest

from simulation.experiment.results import ResultsFolder, folder_kind
from simulation.scenario import UsageError


def frame():
    return pd.DataFrame({"metric": ["fill_rate_units"], "value": [0.9]})


@pytest.mark.parametrize("kind, name", [("run", "kpis"), ("comparison", "comparison"), ("sweep", "sweep")])
def test_a_folder_knows_its_kind_and_refuses_another(kind, name, tmp_path):
    folder = ResultsFolder(tmp_path / "out", kind)
    folder.write({"seed": 1}, **{name: frame()})
    assert folder_kind(folder.path) == kind
    opened = ResultsFolder.open(folder.path)
    assert opened.kind == kind and opened.manifest == {"seed": 1}
    pd.testing.assert_frame_equal(opened.read(name), frame())
    assert not opened.has("no_such_part") and opened.has(name)
    with pytest.raises(FileNotFoundError, match=r"no no_such_part\.parquet"):
        opened.read("no_such_part")
    ResultsFolder(folder.path, kind)  # the same kind again: allowed (a rerun replaces it)
    other = next(k for k in ("run", "comparison", "sweep") if k != kind)
    with pytest.raises(UsageError, match=f"holds the results of a {kind}, which this {other} would mix with"):
        ResultsFolder(folder.path, other)
    assert not list(folder.path.glob(".*.tmp"))


def test_a_part_way_store_is_known_by_its_manifest(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "comparison"}))
    assert folder_kind(tmp_path) == "comparison"
    ResultsFolder(tmp_path, "comparison")  # a killed comparison's folder may be resumed
    with pytest.raises(UsageError, match="holds the results of a comparison"):
        ResultsFolder(tmp_path, "sweep")
    with pytest.raises(FileNotFoundError, match="report needs"):  # not finished: nothing to report yet
        ResultsFolder.open(tmp_path)


def test_a_folder_of_other_files_is_refused_and_never_opened(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="holds other files"):
        ResultsFolder(tmp_path, "run")
    with pytest.raises(FileNotFoundError, match=r"no comparison\.parquet, sweep\.parquet or kpis\.parquet"):
        ResultsFolder.open(tmp_path)
    with pytest.raises(ValueError, match="kind: one of run, comparison, sweep"):
        ResultsFolder(tmp_path / "x", "report")
