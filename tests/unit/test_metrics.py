"""The metric registry is the one description of every KPI: each metric a run reports is in it with its
definition, the README's KPI table is generated from it, and the tables, plots and report print from it."""

from pathlib import Path

import pytest

import simulation as sim
from simulation.metrics.ledger import DAILY_METRICS
from simulation.metrics.registry import METRIC_GROUPS, METRICS, defined, headlines, metric
from simulation.reporting.reference import kpi_reference
from simulation.scenario import CHANNELS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_result():
    return sim.run(sim.load_scenario(ROOT / "scenarios" / "tiny.yaml", {"run.horizon_days": 60}), seed=3)


def test_every_reported_metric_is_registered_and_defined(tiny_result):
    reported = set(tiny_result.kpis.metric) | set(DAILY_METRICS)
    assert reported <= set(METRICS), reported - set(METRICS)
    assert all(m.definition for m in METRICS.values()), [m.name for m in METRICS.values() if not m.definition]
    in_reference = {m.name for metrics, _ in defined() for m in metrics}
    assert {m.name for m in METRICS.values() if m.group != "series"} == in_reference


def test_the_readmes_kpi_table_is_the_registrys_to_the_character():
    """The README's table between its markers is exactly what ``regenerate.py --kpis`` writes: a hand edit there
    (or a registry change without regenerating) fails here."""
    readme = (ROOT / "README.md").read_text()
    begin = readme.index("<!-- kpis: begin")
    block = readme[readme.index("\n", begin) + 1:readme.index("<!-- kpis: end -->")].strip()
    block = block.rsplit("\n<!-- written text's digest:", 1)[0]  # the seal (tests/smoke/test_experiments.py checks it)
    assert block == kpi_reference(), "README's KPI table differs from the registry: run python experiments/regenerate.py --kpis"


def test_every_registry_fact_names_what_exists():
    """Groups, channels and headline places in the registry name real ones: a typo would drop a KPI from a table."""
    known = {*CHANNELS, "all"}
    for m in METRICS.values():
        assert m.group in METRIC_GROUPS and set(m.also_in) <= set(METRIC_GROUPS), m.name
        assert set(m.compared) | set(m.summarised) | set(m.chart_channels) <= known, m.name
        assert bool(m.chart) == bool(m.chart_channels) == bool(m.caption), m.name
    ranks = [m.headline for m in METRICS.values() if m.headline]
    assert sorted(ranks) == list(range(1, len(ranks) + 1)), "headline places run 1, 2, ... without gaps or ties"
    assert headlines()[-1] == "cost_total", "the report's KPI table ends with the total"


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
