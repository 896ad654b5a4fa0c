"""Scenario files cannot run code, names cannot write outside the results folder, and a folder holding
other results (or other files) is not overwritten."""

import pytest

import simulation as sim
from simulation.cli import main
from tests.conftest import SCENARIOS

TINY = SCENARIOS / "tiny.yaml"
SHORT = ["--set", "run.horizon_days=20", "--set", "run.warmup_days=2", "--quiet"]


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system",
                                 "!!python/name:os.system", "!!python/module:os"])
def test_yaml_tags_that_build_python_objects_are_refused_and_never_run(tag, tmp_path, capsys):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: evil\ndescription: {tag} ['touch {marker}']\n")
    assert main(["validate", str(path)]) == 2
    assert "YAML syntax: could not determine a constructor" in capsys.readouterr().err
    assert not marker.exists()


def test_duplicate_keys_are_refused_rather_than_silently_dropped(tmp_path, capsys):
    path = tmp_path / "twice.yaml"
    path.write_text(TINY.read_text() + "\nrun: {horizon_days: 10}\n")  # a second run: section
    assert main(["validate", str(path)]) == 2
    assert "duplicate key 'run' (the first would be ignored)" in capsys.readouterr().err


def test_alias_bombs_are_refused_before_they_expand(tmp_path, capsys):
    lines = ["a: &a [" + ",".join(["x"] * 10) + "]"]
    lines += [f"{b}: &{b} [" + ",".join([f"*{a}"] * 10) + "]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert main(["validate", str(path)]) == 2
    assert "YAML aliases: the file expands to" in capsys.readouterr().err


def test_nesting_too_deep_to_read_is_refused_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    assert main(["validate", str(path)]) == 2
    assert "YAML nesting: lists or mappings nested too deeply" in capsys.readouterr().err
    assert main(["validate", str(TINY), "--set", "description=" + "[" * 5000 + "]" * 5000]) == 2

@pytest.mark.parametrize("name", ["..", ".", "../elsewhere", "/etc", "a/b", "", "x" * 101])
def test_scenario_names_cannot_leave_the_results_folder(name):
    with pytest.raises(sim.ScenarioError, match=r"^invalid scenario.*\n  name: "):
        sim.load_scenario(TINY, {"name": name})


def test_a_run_does_not_write_into_a_sweep_or_a_foreign_folder(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    assert main(["sweep", str(TINY), "--grid", "policies.inventory_mode=split,pool", "--replications", "1", "--workers", "1",
                 "--out", str(sweep), *SHORT[:4]]) == 0
    before = {p: p.read_bytes() for p in sweep.rglob("*") if p.is_file()}
    assert main(["run", str(TINY), "--out", str(sweep), *SHORT]) == 2
    assert "holds the results of a sweep" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in sweep.rglob("*") if p.is_file()} == before
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.md").write_text("keep me")
    assert main(["compare", str(TINY), str(TINY), "--set", "name=x", "--out", str(foreign)]) == 2
    assert "holds other files (not a results folder)" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["chapter1.md"]


def test_rerunning_into_the_same_kind_of_folder_replaces_it(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(TINY), "--out", str(out), *SHORT]) == 0
    assert main(["run", str(TINY), "--out", str(out), "--seed", "9", *SHORT]) == 0
    assert sim.load_scenario(TINY).name in (out / "manifest.json").read_text()
