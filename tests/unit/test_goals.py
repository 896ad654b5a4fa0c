"""What a policy search varies and requires (simulation/experiment/goals.py): settings read against the schema,
KPIs against the registry, targets' one-sided bounds against a hand computation."""

from __future__ import annotations

import numpy as np
import pytest

import simulation as sim
from simulation.experiment.goals import Kpi, Target, as_overrides, parse_kpi, parse_setting, parse_target
from simulation.scenario import UsageError
from tests.conftest import SCENARIOS

TINY = sim.load_scenario(SCENARIOS / "tiny.yaml", {"replenishment.store": {"policy": "order_up_to"}})


@pytest.mark.parametrize("item, integer, log, low, high", [
    ("replenishment.store.service_level=0.8..0.99", False, False, 0.8, 0.99),
    ("replenishment.store.review_period_days=1..14", True, False, 1, 14),
    ("replenishment.store.review_period_days=1..14:log", True, True, 1, 14),
    ("replenishment.store.S=5..40", True, False, 5, 40),            # a Level: its shorthand, units, holds whole numbers
    ("catalog.mean_daily_units=1..3", False, False, 1, 3),   # a float field with whole ends stays continuous
])
def test_a_range_takes_the_fields_own_kind(item, integer, log, low, high):
    s = parse_setting(item, TINY)
    assert (s.integer, s.log, s.low, s.high, s.choices) == (integer, log, low, high, None)


def test_choices_are_yaml_values_each_checked():
    s = parse_setting("policies.allocation.rule=online_first,first_come", TINY)
    assert s.choices == ("online_first", "first_come")
    with pytest.raises(UsageError, match=r"policies\.allocation\.rule: input should be"):
        parse_setting("policies.allocation.rule=online_first,nearest_first", TINY)


@pytest.mark.parametrize("item, message", [
    ("replenishment.store.service_level=0.99..0.8", r"LOW must be below HIGH"),
    ("replenishment.store.service_level=0.5..1.5", r"service_level: must be < 1\.0, got 1\.5"),
    ("replenishment.store.sevice_level=0.5..0.9", r"sevice_level: unknown field"),
    ("replenishment.store.review_period_days=1.5..4", r"holds whole numbers|valid integer"),
    ("catalog.mean_daily_units=0..10:log", r"a log scale needs LOW > 0"),
    ("replenishment.store.service_level=0.9", r"at least two different values"),
    ("replenishment.store.service_level", r"expected PATH=LOW\.\.HIGH"),
    ("replenishment.store.service_level=a..b", r"'a' is not a number"),
])
def test_a_setting_that_cannot_be_searched_is_refused_naming_it(item, message):
    with pytest.raises(UsageError, match=message):
        parse_setting(item, TINY)


def test_kpis_and_targets_parse_as_the_kpi_table_names_them():
    assert parse_kpi("cost_total", "--minimize") == Kpi("cost_total")
    assert parse_kpi("days_of_inventory(all, store)", "--minimize") == Kpi("days_of_inventory", "all", "store")
    target = parse_target("fill_rate_units(walk_in) >= 95%")
    assert target == Target(Kpi("fill_rate_units", "walk_in"), ">=", 0.95)
    assert str(target) == "fill_rate_units(walk_in) >= 0.95"
    with pytest.raises(UsageError, match="is a share"):
        parse_target("fill_rate_units(walk_in)>=95")
    with pytest.raises(UsageError, match="unknown node type 'shop'"):
        parse_kpi("days_of_inventory(all, shop)", "--minimize")


def test_a_target_holds_when_its_one_sided_bound_does():
    """Values 0.94, 0.96, 0.95, 0.97: mean 0.955, sd 0.012910, t(0.95, 3) = 2.353363: lower bound 0.939809 (the
    code's t by the Cornish-Fisher series is within 0.05% at df 3, hence the tolerance)."""
    values = np.array([0.94, 0.96, 0.95, 0.97])
    half = 2.353363 * values.std(ddof=1) / 2
    holds = Target(Kpi("fill_rate_units", "walk_in"), ">=", 0.93)
    assert holds.slack(values, 0.95) == pytest.approx(0.93 - (0.955 - half), abs=1e-5) and holds.slack(values, 0.95) < 0
    assert Target(Kpi("fill_rate_units"), ">=", 0.945).slack(values, 0.95) > 0   # the mean clears it, the bound does not
    at_most = Target(Kpi("delivery_hours_p95"), "<=", 0.97)
    assert at_most.slack(values, 0.95) == pytest.approx(0.955 + half - 0.97, abs=1e-5)
    assert holds.slack(values[:1], 0.95) == float("inf")  # one replication: no bound, never feasible


def test_joined_fields_take_one_value_and_one_pool_needs_them():
    """Under one pool a warehouse's online stock must keep the warehouse's own level: searched alone the warehouse's
    level is refused, joined with the online stock's it is one setting writing both fields."""
    pool = sim.load_scenario(SCENARIOS / "city_seed_pool.yaml")
    joined = "replenishment.central_warehouse.service_level+replenishment.online_stock.service_level"
    s = parse_setting(f"{joined}=0.95..0.995", pool)
    assert (s.fields, s.low, s.high, s.integer) == (joined.split("+"), 0.95, 0.995, False)
    built = sim.with_overrides(pool, as_overrides({s.path: 0.97}))
    assert built.replenishment.central_warehouse.service_level == built.replenishment.online_stock.service_level == 0.97
    with pytest.raises(UsageError, match=r"online_stock: under one pool the warehouse keeps one stock"):
        parse_setting("replenishment.central_warehouse.service_level=0.95..0.995", pool)
    with pytest.raises(UsageError, match=r"different kinds of value"):
        parse_setting("catalog.mean_daily_units+replenishment.store.review_period_days=1..3", TINY)
    with pytest.raises(UsageError, match=r"named twice"):
        parse_setting("replenishment.store.service_level+replenishment.store.service_level=0.5..0.9", TINY)
