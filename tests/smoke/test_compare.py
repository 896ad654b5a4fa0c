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


def test_a_decomposition_sentence_states_each_groups_share_its_ci_and_its_range_over_orders():
    """Baseline 40 days; replenishment alone 22, pooling alone 39, both 20: replenishment's share is the mean of -18
    (made first) and -19 (made last), pooling's of -1 and -2, with paired t intervals."""
    from simulation.experiment.shapley import decompose
    from simulation.reporting.report import decomposition_sentence

    noise = np.array([0.0, 0.5, -0.5, 0.2])
    extra = np.array([-2.0, -2.2, -1.8, -2.0])
    values = {"split": 40 + noise, "repl": 22 + noise, "pooled": 39 + noise, "pool": 22 + noise + extra}
    runs = pd.DataFrame([{"metric": "days_of_inventory", "channel": "all", "node_type": "all", "policy": p, "replication": r,
                          "value": v[r]} for p, v in values.items() for r in range(4)])
    coalition_of = {"split": frozenset(), "repl": frozenset({"replenishment"}), "pooled": frozenset({"pooling"}),
                    "pool": frozenset({"replenishment", "pooling"})}
    shares = decompose(runs, coalition_of, ["replenishment", "pooling"], [("days_of_inventory", "all", "all")])
    text = decomposition_sentence(shares, ("days_of_inventory", "all", "all"), "split", "pool", 40.1)
    pooling = (-1.0 + extra) / 2  # per replication: (made first -1, made last extra) / 2
    half = 3.182 * pooling.std(ddof=1) / 2
    assert text.startswith("pool changes days of inventory by -20.0 days against split")
    assert "replenishment -18.5 days (92% of it; 95% CI" in text and "-18.0 days made first, -19.0 days made last" in text
    assert f"pooling -1.5 days (8% of it; 95% CI {-1.5 - half:+.1f} days to {-1.5 + half:+.1f} days; -1.0 days made first" in text


def test_cli_compare_decomposes_the_change_into_its_two_groups(tmp_path, capsys):
    small = ["--set", "catalog.skus=150", "--set", "run.horizon_days=40", "--set", "run.warmup_days=10", "--workers", "1"]
    files = [f"scenarios/city_seed_{p}.yaml" for p in ("split", "control", "pooling", "pool")]
    groups = ["--decompose", "replenishment=city_seed_control", "--decompose", "pooling=city_seed_pooling"]
    assert main(["compare", *files, "--replications", "2", "--decompose", "replenishment=city_seed_contrl", "--decompose",
                 "pooling=city_seed_pooling", *small, "--out", str(tmp_path / "bad")]) == 2
    assert "'city_seed_contrl' is not a compared policy after the baseline" in capsys.readouterr().err
    assert main(["compare", *files[:3], "--replications", "2", *groups, *small, "--out", str(tmp_path / "bad")]) == 2
    assert "--decompose: give two groups, each with the policy that has it alone, among four policies" in capsys.readouterr().err
    out = tmp_path / "cmp"
    assert main(["compare", *files, "--replications", "2", *groups, *small, "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "How city_seed_pool's change against city_seed_split splits between replenishment and pooling" in printed
    assert "city_seed_pool changes days of inventory by" in printed and "made first" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["decomposition"]["switches"] == ["replenishment", "pooling"] and manifest["scenario_hashes"]
    shares = pd.read_parquet(out / "shapley.parquet")
    total = shares[(shares.switch == "total") & (shares.metric == "days_of_inventory")].share.iloc[0]
    parts = shares[(shares.switch != "total") & (shares.metric == "days_of_inventory")].share.sum()
    assert parts == pytest.approx(total)
    page = (out / "report.html").read_text()
    assert "pooling itself" not in page and "made first" in page
