"""Planning error and store mix (issue 17, mechanism 7): planners size levels on a mean that is off by a
stated bias and spread, and each store sells its own mix of SKUs, which planners do not see."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine.demand import Calendar, WalkIn, walk_in_demand
from simulation.world.network import compile_world
from tests.conftest import SCENARIOS

Z = 4.0  # standard errors: each check below fails by chance about once in 15,000 runs


def test_planning_error_has_the_stated_bias_and_spread():
    clean = compile_world(sim.load_scenario(SCENARIOS / "city.yaml"))
    erred = compile_world(sim.load_scenario(SCENARIOS / "city.yaml", {"replenishment.planning_error": {"bias": 0.25, "cv": 0.4}}))
    known = clean.planning_mean > 0
    factor = erred.planning_mean[known] / clean.planning_mean[known]
    assert factor.size > 50_000
    se = factor.std() / np.sqrt(factor.size)
    assert abs(factor.mean() - 1.25) < Z * se
    assert factor.std() / factor.mean() == pytest.approx(0.4, rel=0.03)
    np.testing.assert_allclose(erred.planning_var[known] / clean.planning_var[known], factor)  # variance scales with the mean


def test_levels_are_sized_on_the_planned_mean_not_the_true_one():
    over = {"replenishment.planning_error": {"bias": 1.0}, "run.horizon_days": 10, "run.warmup_days": 1}
    a = sim.engine.Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml", {"run.horizon_days": 10, "run.warmup_days": 1}), seed=1)
    b = sim.engine.Simulation(sim.load_scenario(SCENARIOS / "tiny.yaml", over), seed=1)
    stores = a.world.store_rows
    assert (b.state.initial[stores] >= a.state.initial[stores]).all()
    assert b.state.initial[stores].sum() > 1.6 * a.state.initial[stores].sum()  # about twice the cover


def test_store_mix_factors_have_mean_one_and_the_stated_spread():
    w = compile_world(sim.load_scenario(SCENARIOS / "city.yaml", {"demand.store_mix_cv": 0.6}))
    mix = w.store_mix.ravel()
    assert mix.size == 30 * 2000
    assert abs(mix.mean() - 1.0) < Z * mix.std() / np.sqrt(mix.size)
    assert mix.std() == pytest.approx(0.6, rel=0.03)
    assert compile_world(sim.load_scenario(SCENARIOS / "city.yaml")).store_mix is None


def test_walk_in_demand_follows_each_stores_mix():
    """Over 400 days of Poisson walk-in demand, the SKUs a store sells most of (mix > 1.5) and least of
    (mix < 0.67) sell in the ratio the mix predicts, not the planner's 1:1."""
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {"demand.store_mix_cv": 0.8, "catalog.overdispersion": 0.0})
    w = compile_world(sc)
    calendar, walk_in = Calendar(w), WalkIn(w, seed=3, replication=0)
    days = 400
    sold = sum(walk_in_demand(w, calendar, day, walk_in) for day in range(days)).astype(float)
    seasons = sum(calendar.season(day) for day in range(days))  # weekday factors (tiny has no walk-in promotion)
    planned = np.outer(w.store_scale, w.skus.rate) * seasons  # what the planner expects, without the mix
    expected = planned * w.store_mix
    for group in (w.store_mix > 1.5, w.store_mix < 0.67):
        assert group.sum() >= 10
        observed, mean = sold[group].sum(), expected[group].sum()
        assert abs(observed - mean) < Z * np.sqrt(mean)  # Poisson: variance = mean
        assert abs(observed / planned[group].sum() - 1) > 0.3  # far from what the planner thinks
