"""Charts plot exactly the numbers of the tables they are given (read back from the Axes)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer

import simulation as sim
from simulation.experiment.sweep import swept_parameters
from simulation.reporting import plots
from tests.conftest import SCENARIOS


def marked(promises):
    """The promise a delivery chart marks: the most common when most orders have it, else the median."""
    common = promises.mode().iloc[0]
    return common if (promises == common).mean() >= 0.5 else promises.median()


@pytest.fixture(scope="module")
def comparison():
    base = sim.load_scenario(SCENARIOS / "tiny.yaml", {"run.horizon_days": 60, "run.warmup_days": 10})
    policies = [sim.with_overrides(base, {"name": "split", "policies.inventory_mode": "split"}),
                sim.with_overrides(base, {"name": "pool", "policies.inventory_mode": "pool"})]
    return sim.compare(policies, replications=2, seed=3, workers=1)


def test_policy_colours_are_stable_and_distinct():
    a, b = plots.policy_colors(["split", "pool"]), plots.policy_colors(["split", "pool", "split"])
    assert a == b and len(set(a.values())) == 2


def test_kpi_comparison_bars_and_error_bars_are_the_table(comparison):
    kpis = [("fill_rate_units", "walk_in"), ("fill_rate_units", "all")]
    ax = plots.kpi_comparison(comparison.table, kpis)
    table = comparison.table[comparison.table.node_type == "all"].set_index(["policy", "metric", "channel"])
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in bars] == ["split", "pool"]
    for container in bars:
        policy = container.get_label()
        heights = [patch.get_height() for patch in container.patches]
        expected = [100 * table.loc[(policy, m, c), "mean"] for m, c in kpis]
        np.testing.assert_allclose(heights, expected)
        segments = [seg for coll in ax.collections if isinstance(coll, LineCollection) for seg in coll.get_segments()]
        lows = {round(s[0][1], 9) for s in segments}
        assert {round(100 * table.loc[(policy, m, c), "ci_low"], 9) for m, c in kpis} <= lows
    assert "%" in ax.get_ylabel()


def test_delivery_ecdf_steps_through_every_delivered_order(comparison):
    res = sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", {"run.horizon_days": 60, "run.warmup_days": 10}), seed=3)
    ax = plots.delivery_ecdf(res.orders)
    steps = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    for channel, g in res.orders.dropna(subset=["delivery_hours"]).groupby("channel", observed=True):
        x, y = steps[channel.replace("_", " ")].get_data()
        np.testing.assert_allclose(x, np.sort(g.delivery_hours))
        assert y[-1] == pytest.approx(100.0)
    promises = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--")
    assert promises == sorted(res.orders.groupby("channel", observed=True).promise_hours.agg(marked))


def test_stock_over_time_plots_the_daily_series_and_shades_windows():
    res = sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", {"run.horizon_days": 60, "run.warmup_days": 10}), seed=3)
    ax = plots.stock_over_time(res.daily, windows=[(20, 25, "typhoon")])
    stores = res.daily[(res.daily.metric == "on_hand_value") & (res.daily.node_type == "store")]
    line = next(line for line in ax.get_lines() if line.get_label() == "stores")
    np.testing.assert_allclose(line.get_ydata(), stores.value)
    assert len(ax.patches) == 1 and "currency" in ax.get_ylabel()


def test_comparison_delivery_ecdf_has_a_line_per_policy_in_its_colour(comparison):
    orders = comparison.orders[comparison.orders.channel == "home_delivery"].dropna(subset=["delivery_hours"])
    ax = plots.delivery_ecdf(orders)
    colors = plots.policy_colors(["split", "pool"])
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == {"split", "pool"}
    for policy, g in orders.groupby("policy"):
        np.testing.assert_allclose(lines[policy].get_xdata(), np.sort(g.delivery_hours))
        assert lines[policy].get_color() == colors[policy]
    promise = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert promise == [marked(orders.promise_hours)]


def test_comparison_stock_over_time_plots_each_policys_network_stock(comparison):
    ax = plots.stock_over_time(comparison.daily, metric="stockout_rate")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"split", "pool"} and "%" in ax.get_ylabel()
    for policy, g in comparison.daily[(comparison.daily.metric == "stockout_rate")
                                      & (comparison.daily.node_type == "all")].groupby("policy"):
        np.testing.assert_allclose(lines[policy].get_ydata(), 100 * g.value)  # a share, in %
        assert lines[policy].get_color() == plots.policy_colors(["split", "pool"])[policy]

def test_stock_by_node_type_stacks_to_the_policy_totals(comparison):
    ax = plots.stock_by_node_type(comparison.table)
    rows = comparison.table[comparison.table.metric == "avg_inventory_value"].set_index(["policy", "node_type"])
    tops = {}
    for container in ax.containers:
        for patch, policy in zip(container.patches, ["split", "pool"], strict=True):
            tops[policy] = max(tops.get(policy, 0.0), patch.get_y() + patch.get_height())
    for policy, top in tops.items():
        assert top == pytest.approx(rows.loc[(policy, "all"), "mean"], rel=1e-9)


@pytest.fixture(scope="module")
def sweep_table():
    base = sim.load_scenario(SCENARIOS / "tiny.yaml", {"run.horizon_days": 60, "run.warmup_days": 10})
    return sim.sweep(base, {"policies.inventory_mode": ["split", "pool"], "replenishment.store.service_level": [0.8, 0.95]},
                     replications=2, seed=3, workers=1)


def test_tradeoff_curve_plots_the_means_of_every_point_and_the_frontier(sweep_table):
    ax = plots.tradeoff_curve(sweep_table, along="replenishment.store.service_level", by="policies.inventory_mode")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"split", "pool", "efficient frontier"}
    t = sweep_table[sweep_table.node_type == "all"]
    for mode in ("split", "pool"):
        mine = t[t["policies.inventory_mode"] == mode]
        doi = mine[(mine.metric == "days_of_inventory") & (mine.channel == "all")].groupby("replenishment.store.service_level").value.mean()
        fill = mine[(mine.metric == "fill_rate_units") & (mine.channel == "all")].groupby("replenishment.store.service_level").value.mean()
        x, y = lines[mode].get_data()
        np.testing.assert_allclose(x, doi.sort_index())
        np.testing.assert_allclose(y, 100 * fill.sort_index())
    fx, fy = lines["efficient frontier"].get_data()
    assert np.all(np.diff(fx) >= 0) and np.all(np.diff(fy) > 0)  # less stock never buys more service on it


def test_sensitivity_bars_span_each_parameters_mean_range(sweep_table):
    ax = plots.sensitivity(sweep_table, ("fill_rate_units", "all"))
    t = sweep_table[(sweep_table.metric == "fill_rate_units") & (sweep_table.channel == "all") & (sweep_table.node_type == "all")]
    labels = [tick.get_text().replace("\n", "") for tick in ax.get_yticklabels()]  # parameter paths wrap at their dots
    assert sorted(labels) == sorted(swept_parameters(sweep_table))
    for patch, label in zip(ax.patches, labels, strict=True):
        means = t.groupby(label).value.mean()
        assert patch.get_x() == pytest.approx(100 * means.min()) and patch.get_width() == pytest.approx(100 * (means.max() - means.min()))


def test_charts_speak_the_registrys_plain_language(comparison):
    """Axis and tick labels come from the metric registry ("Fill rate (units)", "walk-in"), not metric codes."""
    ax = plots.kpi_comparison(comparison.table, [("fill_rate_units", c) for c in ("walk_in", "bopis", "home_delivery", "instant")])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["walk-in", "BOPIS", "home\ndelivery", "instant\ndelivery"]
    assert ax.get_ylabel() == "Fill rate (units), % of units"
    mixed = plots.kpi_comparison(comparison.table, [("fill_rate_units", "walk_in"), ("on_time_rate", "home_delivery")])
    ticks = [t.get_text().replace("\n", " ") for t in mixed.get_xticklabels()]  # wrapped to fit under the bars
    assert ticks == ["Fill rate (units), walk-in", "Online orders on time, home delivery"]
    texts = [ax.get_ylabel(), *(t.get_text() for t in ax.get_xticklabels()),
             plots.stock_by_node_type(comparison.table).get_ylabel()]
    assert not any("_" in t for t in texts)
