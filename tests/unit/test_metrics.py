"""The metric registry is the one description of every KPI: each metric a run reports is in it and in
the README's KPI table, and the tables, plots and report print from it."""

import re
from pathlib import Path

import pytest

import simulation as sim
from simulation.metrics.ledger import DAILY_METRICS
from simulation.metrics.registry import METRICS, metric

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_result():
    return sim.run(sim.load_scenario(ROOT / "scenarios" / "tiny.yaml", {"run.horizon_days": 60}), seed=3)


def test_every_reported_metric_is_registered_and_documented(tiny_result):
    reported = set(tiny_result.kpis.metric) | set(DAILY_METRICS)
    assert reported <= set(METRICS), reported - set(METRICS)
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`([a-z_0-9]+)`", readme))
    documented |= {f"delivery_hours{q}" for q in ("_p50", "_p90", "_p95") if "`delivery_hours_mean`, `_p50`" in readme}
    missing = set(tiny_result.kpis.metric) - documented
    assert not missing, f"KPIs missing from the README's KPI table: {sorted(missing)}"


def test_units_and_directions_are_stated_not_guessed():
    assert metric("fill_rate_units").is_share and metric("dispatch_within_sla").is_share
    assert not metric("days_of_inventory").is_share and metric("days_of_inventory").unit == "days"
    assert metric("cost_per_order").unit == "currency per order" and metric("orders").unit == "orders"
    assert metric("fill_rate_units").better == 1 and metric("cost_total").better == -1 and metric("demand_units").better == 0
    assert all(m.label and m.unit for m in METRICS.values())


def test_formats_match_what_the_tables_printed():
    assert metric("stockout_rate").format(0.0512) == "5.1%"
    assert metric("avg_inventory_value").format(8668337.8) == "8,668,338"
    assert metric("delivery_hours_p95").with_unit(58.245) == "58.2 hours"
    assert metric("days_of_inventory").with_unit(10.292) == "10.3 days"
    assert metric("cost_per_order").with_unit(9.127) == "9.13"
    assert metric("on_time_rate").signed(-0.004) == "-0.4 pp"


def test_an_unknown_metric_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown metric 'fill_rate'; known: demand_units"):
        metric("fill_rate")
