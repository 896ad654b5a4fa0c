"""Every experiment script runs end to end at its --smoke size (CI keeps them from rotting): exit 0,
a result table that states the seed claim and the verdict, and its files in --out."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.py") if p.stem not in ("common", "regenerate", "front_pages"))
sys.path.insert(0, str(ROOT / "experiments"))
import common  # noqa: E402  (the experiments' shared plumbing is not a package)


def comparison(diff: float, low: float, high: float, metric="fill_rate_units") -> pd.DataFrame:
    """A two-policy comparison table as ``simulation.compare`` returns it, for one KPI."""
    base = {"metric": metric, "channel": "all", "node_type": "all", "policy": "split", "mean": 0.90,
            "diff": float("nan"), "diff_low": float("nan"), "diff_high": float("nan"), "significant": False}
    other = {**base, "policy": "pool", "mean": 0.90 + diff, "diff": diff, "diff_low": low, "diff_high": high,
             "significant": low > 0 or high < 0}
    return pd.DataFrame([base, other])


def test_no_worse_needs_a_margin_and_a_ci_inside_it():
    with pytest.raises(ValueError, match="equivalence margin"):
        common.Claim("no worse", "fill_rate_units", None)
    claim = common.Claim("no worse", "fill_rate_units", None, margin=0.01)
    # two replications: a CI far wider than the margin is never read as agreement
    assert common.verdict(comparison(0.002, -0.12, 0.124), claim, "pool")["direction agrees"] == "inconclusive"
    assert common.verdict(comparison(0.002, -0.004, 0.008), claim, "pool")["direction agrees"] == "yes"
    assert common.verdict(comparison(-0.03, -0.04, -0.02), claim, "pool")["direction agrees"] == "no"
    lower_better = common.Claim("no slower", "delivery_hours_p95", None, better=-1, margin=2.0)
    assert common.verdict(comparison(1.0, -0.5, 1.5, "delivery_hours_p95"), lower_better, "pool")["direction agrees"] == "yes"
    assert common.verdict(comparison(5.0, 3.0, 7.0, "delivery_hours_p95"), lower_better, "pool")["direction agrees"] == "no"


def test_a_size_verdict_only_for_a_significant_direction():
    claim = common.Claim("falls 46%", "fill_rate_units", -0.46)
    insignificant = common.verdict(comparison(-0.3, -0.7, 0.1), claim, "pool")
    assert (insignificant["direction agrees"], insignificant["size agrees (0.5-1.5x)"]) == ("inconclusive", "n/a (not significant)")
    right = common.verdict(comparison(-0.36, -0.40, -0.32), claim, "pool")  # -40% of 0.90
    assert (right["direction agrees"], right["size agrees (0.5-1.5x)"]) == ("yes", "yes")
    small = common.verdict(comparison(-0.009, -0.010, -0.008), claim, "pool")
    assert (small["direction agrees"], small["size agrees (0.5-1.5x)"]) == ("yes", "no (0.02x)")
    opposite = common.verdict(comparison(0.05, 0.03, 0.07), claim, "pool")
    assert (opposite["direction agrees"], opposite["size agrees (0.5-1.5x)"]) == ("no", "no (opposite sign)")


VERDICTS = ("agrees", "no worse", "verdict")   # a result-table column holding a verdict names one of these


def typed_verdicts(source: str) -> list[str]:
    """Where a script's source writes a verdict in: a string literal as the value of a verdict column in a dict
    literal (``{"direction agrees": "yes"}``), or a sentence typing one (``"... agrees: yes"``).

    >>> typed_verdicts('row = {"claim": c, "direction agrees": "yes"}'), typed_verdicts('row = {"direction agrees": d}')
    (['line 1: direction agrees = yes'], [])
    >>> typed_verdicts('print("the seed agrees: yes")'), typed_verdicts('print("no worse (a margin): yes needs")')
    (['line 1: the seed agrees: yes'], [])
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (isinstance(key, ast.Constant) and isinstance(key.value, str) and any(v in key.value for v in VERDICTS)
                        and isinstance(value, ast.Constant) and isinstance(value.value, str)
                        and value.value.split(" ")[0] in ("yes", "no", "inconclusive")):   # "n/a" judges nothing
                    found.append(f"line {node.lineno}: {key.value} = {value.value}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
                r"(agrees|no worse|verdict)\s*:\s*(yes|no|inconclusive)\b", node.value):
            found.append(f"line {node.lineno}: {node.value}")
    return found


def test_no_experiment_writes_a_verdict_in_as_text():
    """Verdicts are computed (common.py's functions decide them from confidence intervals): no script puts a verdict
    literal in a result row or types one into a sentence."""
    for path in (ROOT / "experiments").glob("*.py"):
        if path.name == "common.py":   # where the rules live
            continue
        assert typed_verdicts(path.read_text()) == [], path.name


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
    table = pd.read_csv(tmp_path / "result.csv", keep_default_na=False)  # "n/a" is a verdict, not a missing value
    assert len(table) >= 3
    assert (tmp_path / "result.md").read_text().startswith("# ")
    if "direction agrees" in table.columns:
        assert set(table["direction agrees"]) <= {"yes", "no", "inconclusive"}
        # a size verdict only where the direction is significant
        assert (table.loc[table["direction agrees"] == "inconclusive", "size agrees (0.5-1.5x)"].isin(
            ["n/a", "n/a (not significant)"])).all()
    if name == "pool_ladder":  # its folder is decomposed: the report leads with the shares' waterfall
        assert main(["report", str(tmp_path)]) == 0
        assert (tmp_path / "figures" / "decomposition_days_of_inventory.png").is_file()
        page = (tmp_path / "report.html").read_text()
        assert "made first" in page and "pooling itself" not in page
        shares = pd.read_csv(tmp_path / "shapley.csv")
        days = shares[(shares.metric == "days_of_inventory") & (shares.channel == "all") & (shares.node_type == "all")]
        assert len(days) >= 8 and days[days.switch != "total"].share.sum() == pytest.approx(days[days.switch == "total"].share.iloc[0])


def test_experiment_bad_input_is_one_clear_message(tmp_path):
    (tmp_path / "manifest.json").write_text('{"scenario": "someone else"}')
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "manifest.json").write_text('{"scenario": "someone else"}')
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "capacity_sla.py"), "--smoke", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 2
    assert "holds a different sweep" in done.stderr and "Traceback" not in done.stderr


def test_the_results_section_is_regenerated_by_one_command_naming_its_commit(tmp_path):
    """experiments/README.md's figures come from experiments/regenerate.py: the section is replaced
    between its markers (the rest of the file kept), names the commit, and holds the script's own table."""
    import regenerate
    readme = tmp_path / "README.md"
    readme.write_text("# Experiments\n\nintro\n\n## Results at full size\n\ntyped by hand: 1.4%\n")
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "regenerate.py"), "--smoke", "--only", "bopis_accuracy",
                           "--readme", str(readme), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    text = readme.read_text()
    assert text.startswith("# Experiments\n\nintro\n") and "typed by hand" not in text
    assert regenerate.BEGIN in text and regenerate.END in text
    assert f"at commit {regenerate.commit_label()}" in text
    result = (tmp_path / "out" / "bopis_accuracy" / "result.md").read_text()
    assert result.partition("\n")[2].strip() in text
    # a second run replaces the section, it does not add another
    regenerate.rewrite(readme, regenerate.section({"x": ("# t\nbody", 1.0)}, smoke=True))
    assert readme.read_text().count(regenerate.BEGIN) == 1 and "body" in readme.read_text()


def test_the_bundled_readme_results_come_from_the_regenerator():
    text = (ROOT / "experiments" / "README.md").read_text()
    import regenerate
    assert regenerate.BEGIN in text and "Regenerated by `python experiments/regenerate.py` at commit" in text
    assert set(regenerate.SCRIPTS) == set(EXPERIMENTS)


def test_only_replaces_its_own_block_and_keeps_the_rest(tmp_path):
    """``--only NAME`` reruns one script: its block is replaced and says the commit it was rerun at; the other
    blocks, and the section's header with the full run's commit, are kept as they were."""
    import regenerate
    readme = tmp_path / "README.md"
    full = regenerate.section({"split_vs_pool": ("# A\nold a", 1.0), "typhoon_response": ("# T\nold t", 2.0)}, smoke=False)
    readme.write_text("# Experiments\n\n" + full)
    regenerate.rewrite(readme, regenerate.merged(readme, {"typhoon_response": ("# T\nnew t", 3.0)}, smoke=False))
    text = readme.read_text()
    assert "old a" in text and "new t" in text and "old t" not in text
    assert f"### `typhoon_response.py`: T (3 s, rerun alone at commit {regenerate.commit_label()})" in text
    assert text.count(regenerate.BEGIN) == 1 and text.count("### `") == 2
    assert text.index("split_vs_pool.py") < text.index("typhoon_response.py")  # the scripts' order


def test_the_front_pages_figures_come_from_their_commands():
    """The README's main-job block and the calibrated network's figures in scenarios/README.md are written between
    their markers by ``experiments/regenerate.py --main-job``, ``--calibration`` and ``--search``, each naming its commit;
    the main job it runs is the README's quick start, and the search the README's example, word for word."""
    import front_pages
    readme, scenarios = (ROOT / "README.md").read_text(), (ROOT / "scenarios" / "README.md").read_text()
    main_block = readme.split(front_pages.MAIN_BEGIN, 1)[1].split(front_pages.MAIN_END, 1)[0]
    assert "Measured by `python experiments/regenerate.py --main-job` at commit" in main_block and "What it says" in main_block
    calibration = scenarios.split(front_pages.CALIBRATION_BEGIN, 1)[1].split(front_pages.CALIBRATION_END, 1)[0]
    assert "**What it gives**" in calibration and "at commit" in calibration
    command = front_pages.main_job_command()
    quick_start = readme.split("```bash\n", 1)[1].splitlines()[0]
    assert command[0] == "invsim" and " ".join(command) in quick_start and command.count("--decompose") == 2
    search = readme.split(front_pages.SEARCH_BEGIN, 1)[1].split(front_pages.SEARCH_END, 1)[0]
    assert "Run by `python experiments/regenerate.py --search` at commit" in search
    assert "Chosen: " in search and "Guarantee: " in search and "(docs/search_frontier.png)" in search
    example = front_pages.search_command()
    assert example[:2] == ["invsim", "optimize"] and "fill_rate_units(walk_in)>=0.95" in example
    assert all(part in readme for part in example)   # the command the block ran is the README's, word for word


def test_between_markers_replaces_only_what_lies_between_and_seals_it(tmp_path):
    import front_pages
    page = tmp_path / "page.md"
    page.write_text("before\n<!-- a -->\nold\n<!-- b -->\nafter\n")
    front_pages.between(page, "<!-- a -->", "<!-- b -->", "new 1.5%")
    text = page.read_text()
    assert text.startswith("before\n<!-- a -->\nnew 1.5%\n<!-- written text's digest: ") and text.endswith("\n<!-- b -->\nafter\n")
    block = text.split("<!-- a -->", 1)[1].split("<!-- b -->", 1)[0]
    assert front_pages.seal_holds(block)
    assert not front_pages.seal_holds(block.replace("1.5%", "1.6%")), "an edit by hand breaks the seal"
    with pytest.raises(SystemExit, match="no"):
        front_pages.between(page, "<!-- x -->", "<!-- b -->", "z")


def _generated_blocks():
    import front_pages
    import regenerate
    bench, dask_sweep = _benchmark_module("run"), _benchmark_module("dask_sweep")
    return [(front_pages.README, front_pages.MAIN_BEGIN, front_pages.MAIN_END),
            (front_pages.README, front_pages.SEARCH_BEGIN, front_pages.SEARCH_END),
            (front_pages.README, front_pages.KPIS_BEGIN, front_pages.KPIS_END),
            (front_pages.SCENARIOS_README, front_pages.CALIBRATION_BEGIN, front_pages.CALIBRATION_END),
            (ROOT / "experiments" / "README.md", regenerate.BEGIN, regenerate.END),
            (ROOT / "BENCHMARKS.md", bench.BEGIN, bench.END), (ROOT / "BENCHMARKS.md", dask_sweep.BEGIN, dask_sweep.END)]


def _benchmark_module(name: str):
    """benchmarks/<name>.py as a module (the folder is not a package, and its run.py would shadow other names)."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_generated_block_was_edited_by_hand():
    """Every block the regenerator writes still is the text it sealed: a figure typed over a generated one fails
    here (rerun its command instead)."""
    import front_pages
    for path, begin, end in _generated_blocks():
        block = path.read_text().split(begin, 1)[1].split(end, 1)[0]
        assert front_pages.seal_holds(block), f"{path.name}: the block after {begin[:30]!r} was edited by hand"
