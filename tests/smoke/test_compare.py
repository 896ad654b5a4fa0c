"""Paired comparisons: the arithmetic of the table, independence from the number of workers, the CLI."""

import json

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.cli import main
from simulation.experiment.compare import compare, paired_table, t975


def test_t_quantiles_match_tables():
    assert t975(2) == pytest.approx(4.303) and t975(30) == pytest.approx(2.042)
    assert t975(60) == pytest.approx(2.000, abs=1e-3) and t975(120) == pytest.approx(1.980, abs=1e-3)


def test_paired_table_is_the_paired_t_interval():
    base = np.array([10.0, 12.0, 11.0, 13.0])
    other = base + np.array([1.0, 1.5, 0.5, 1.0])  # noisy levels, a steady +1 difference
    runs = pd.DataFrame({"metric": "m", "channel": "all", "node_type": "all",
                         "policy": ["a"] * 4 + ["b"] * 4, "replication": list(range(4)) * 2,
                         "value": np.concatenate([base, other])})
    table = paired_table(runs, "a").set_index("policy")
    diff = other - base
    half = 3.182 * diff.std(ddof=1) / 2
    assert table.loc["b", "diff"] == pytest.approx(1.0)
    assert (table.loc["b", "diff_low"], table.loc["b", "diff_high"]) == pytest.approx((1 - half, 1 + half))
    assert table.loc["b", "significant"]
    level_half = 3.182 * other.std(ddof=1) / 2
    assert table.loc["b", "ci_high"] - table.loc["b", "mean"] == pytest.approx(level_half)
    assert level_half > 3 * half  # pairing removes the shared noise
    assert list(table.index) == ["a", "b"]


@pytest.fixture(scope="module")
def pair():
    return [sim.load_scenario("scenarios/tiny.yaml", {"policies.inventory_mode": m, "name": f"tiny_{m}", "run.horizon_days": 60})
            for m in ("split", "pool")]


def test_results_do_not_depend_on_the_number_of_workers(pair):
    one, two = compare(pair, replications=2, seed=3, workers=1), compare(pair, replications=2, seed=3, workers=2)
    for field in ("runs", "table", "daily", "orders"):
        pd.testing.assert_frame_equal(getattr(one, field), getattr(two, field))
    assert one.calendar == two.calendar and {e["name"] for e in one.calendar} == {"spring-sale", "rainstorm"}


def test_comparison_keeps_each_policys_first_replication_as_a_plain_run_gives_it(pair):
    """The time series and delivery times behind the report's charts are replication 0's, per policy."""
    result = compare(pair, replications=2, seed=3, workers=1)
    for scenario in pair:
        alone = sim.run(scenario, seed=3, replication=0)
        daily = result.daily[result.daily.policy == scenario.name].drop(columns="policy").reset_index(drop=True)
        pd.testing.assert_frame_equal(daily, alone.daily)
        orders = result.orders[result.orders.policy == scenario.name].drop(columns="policy").reset_index(drop=True)
        pd.testing.assert_frame_equal(orders, alone.orders[orders.columns].reset_index(drop=True))


def test_compare_refuses_what_it_cannot_do(pair):
    with pytest.raises(sim.ScenarioError, match="at least one other"):
        compare(pair[:1])
    with pytest.raises(sim.ScenarioError, match="names must differ"):
        compare([pair[0], pair[0]])
    with pytest.raises(sim.ScenarioError, match="replications: must be >= 2"):
        compare(pair, replications=1)


def test_cli_compare_prints_the_side_by_side_table_and_writes_it(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", "scenarios/city_split.yaml", "scenarios/city_pool.yaml", "--replications", "2",
                 "--set", "run.horizon_days=40", "--set", "run.warmup_days=10", "--workers", "1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "city_pool - city_split [95% CI]" in printed and "fill_rate_units (instant)" in printed
    table = pd.read_parquet(out / "comparison.parquet")
    assert set(table.policy) == {"city_split", "city_pool"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["baseline"] == "city_split" and manifest["replications"] == 2
    assert main(["compare", "scenarios/city_split.yaml", "scenarios/nope.yaml"]) == 2


def test_pooling_headline_splits_the_change_into_the_control_and_pooling_itself():
    """Baseline 40 days, the control (replenishment only) 22, the pool 20: the pool's -20 days are -18 of
    replenishment and -2 of pooling, the latter with its paired t interval."""
    from simulation.reporting.report import pooling_headline

    noise = np.array([0.0, 0.5, -0.5, 0.2])
    extra = np.array([-2.0, -2.2, -1.8, -2.0])   # the pool against the control, replication by replication
    values = {"split": 40 + noise, "control": 22 + noise, "pool": 22 + noise + extra}
    runs = pd.DataFrame([{"metric": "days_of_inventory", "channel": "all", "node_type": "all", "policy": p, "replication": r,
                          "value": v[r]} for p, v in values.items() for r in range(4)])
    text = pooling_headline(runs, "split", "control", "pool")
    half = 3.182 * extra.std(ddof=1) / 2
    assert "Of pool's change in days of inventory (-20.0 days, -50%), control reaches -18.0 days (90% of it)" in text
    assert f"changes it by -2.0 days (-5.0%, 95% CI {-2 - half:+.1f} days to {-2 + half:+.1f} days)" in text
    assert "not significant" not in text
    assert pooling_headline(runs, "split", "control", "absent") == ""


def test_cli_compare_with_a_control_says_how_much_is_pooling(tmp_path, capsys):
    small = ["--set", "catalog.skus=150", "--set", "run.horizon_days=40", "--set", "run.warmup_days=10", "--workers", "1"]
    files = ["scenarios/city_seed_split.yaml", "scenarios/city_seed_control.yaml", "scenarios/city_seed_pool.yaml"]
    assert main(["compare", *files, "--replications", "2", "--control", "city_seed_spilt", *small, "--out", str(tmp_path / "bad")]) == 2
    assert "--control: must name one of the compared policies" in capsys.readouterr().err
    out = tmp_path / "cmp"
    assert main(["compare", *files, "--replications", "2", "--control", "city_seed_control", *small, "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "Of city_seed_pool's change in days of inventory" in printed and "pooling itself (city_seed_pool against" in printed
    assert json.loads((out / "manifest.json").read_text())["control"] == "city_seed_control"
    assert "pooling itself" in (out / "report.html").read_text()
