"""A forecast that sees the calendar (``calendar_order_up_to``): with no error and a flat calendar it is the
(R, S) policy run for run; its forecast of a promotion day errs by exactly the stated error, where exponential
smoothing, which only learns the lift after it has come, errs more; it sees a shock from its warning, at the
nodes the shock names."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine.observers import Observer
from simulation.engine.simulation import Simulation
from simulation.scenario import ScenarioError, scenario_from_dict
from simulation.validation.cases.worlds import copies, with_stores

FLAT = {"demand.weekday": [1] * 7, "demand.monthly": [1] * 12, "demand.promotions": [], "demand.shocks": []}


@pytest.mark.parametrize("cls, policy", [("store", {"policy": "base_stock", "service_level": 0.9}),
                                         ("central_warehouse", {"policy": "order_up_to", "review_period_days": 7})])
def test_no_error_and_a_flat_calendar_is_the_order_up_to_policy(cls, policy):
    """Every KPI identical, to the last bit, on tiny.yaml with its calendar flattened."""
    base = sim.load_scenario("scenarios/tiny.yaml", overrides={**FLAT, f"replenishment.{cls}": policy})
    calendar = sim.with_overrides(base, {f"replenishment.{cls}": {**policy, "policy": "calendar_order_up_to"}})
    a, b = sim.run(base, seed=3).kpis, sim.run(calendar, seed=3).kpis
    assert a.equals(b)


class Forecasts(Observer):
    """After each day's replenishment: the store policy's forecast of tomorrow's mean demand per store-SKU
    (a calendar forecast's ``forecast_tomorrow``, or smoothing's level), on the days asked for."""

    def __init__(self, days):
        self.days, self.seen = set(days), {}

    def step_finished(self, step, day, state):
        if step == "replenishment" and day in self.days:
            policy = self.sim.replenishment.policies["store"][1]
            level = getattr(policy, "forecast_tomorrow", None)
            self.seen[day] = (policy.forecast if level is None else level).copy()


PROMO = {"name": "sale", "start_day": 200, "end_day": 210, "lift": 2.0, "channels": ["walk_in"]}
RATE = 4.0


def promotion_forecasts(policy: dict) -> np.ndarray:
    """Forecasts of each promotion day's mean (made the day before), per store-SKU: 4 stores x 50 SKUs
    of walk-in demand RATE a day, doubled by the sale on days 200-209."""
    raw = copies(50, RATE, **with_stores([{"id": f"S{i}"} for i in range(4)], 2, **{"replenishment.store": policy}))
    raw.update({"demand": {"weekday": [1] * 7, "monthly": [1] * 12, "promotions": [PROMO]},
                "run": {"horizon_days": 215, "warmup_days": 30}})
    scenario = scenario_from_dict(raw)
    watch = Forecasts(range(199, 209))
    simulation = Simulation(scenario, 5, 0, observers=[watch])
    watch.sim = simulation
    simulation.execute()
    stores = simulation.world.store_rows
    return np.array([watch.seen[d][np.searchsorted(simulation.replenishment.policies["store"][0], stores)] for d in sorted(watch.seen)])


def test_a_calendar_forecast_errs_on_promotion_days_by_the_stated_error_and_smoothing_errs_more():
    """Stated error: bias 0.1, cv 0.25. Over 10 promotion days x 200 store-SKUs the forecast / truth ratio has
    mean 1.1 and cv 0.25 (lognormal draws: sample mean within 0.01, cv within 0.02, each over 4 standard
    errors), its log normal with the implied parameters and independent across reviews and stores; with no error it
    is the truth exactly. Smoothing (alpha 0.2) learns the lift only as it sells:
    the day before the sale it expects the old rate (half the truth), and over the sale it forecasts short by
    far more than the stated bias."""
    truth = 2 * RATE
    calendar = promotion_forecasts({"policy": "calendar_order_up_to", "error": {"bias": 0.1, "cv": 0.25}}) / truth
    assert calendar.mean() == pytest.approx(1.1, abs=0.01)
    assert calendar.std() / calendar.mean() == pytest.approx(0.25, abs=0.02)
    # The model behind those: log(ratio / 1.1) is Normal(-s^2/2, s) with s^2 = log(1 + 0.25^2), drawn afresh at every
    # review and for every store-SKU. Its mean and spread within 4 standard errors, and no carry-over from one
    # review to the next (a draw kept for the run would correlate fully) nor from one store to the next.
    logs = np.log(calendar / 1.1)
    n, s = logs.size, np.sqrt(np.log1p(0.25**2))
    assert abs(logs.mean() + s**2 / 2) < 4 * s / np.sqrt(n)
    assert abs(logs.std() - s) < 4 * s / np.sqrt(2 * n)
    for a, b in ((logs[1:], logs[:-1]), (logs[:, 1:], logs[:, :-1])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 4 / np.sqrt(a.size)
    assert (promotion_forecasts({"policy": "calendar_order_up_to"}) == truth).all()
    smoothing = promotion_forecasts({"policy": "forecast_order_up_to", "alpha": 0.2}) / truth
    assert smoothing[0].mean() == pytest.approx(0.5, abs=0.05)
    assert abs(smoothing.mean() - 1.0) > abs(calendar.mean() - 1.0) + 0.1, smoothing.mean()


def shock_policy(warning_days: int):
    """Stores S1 and S2 (5 SKUs, RATE a day, lead 3 days: P = 3) under a calendar forecast, and a shock
    doubling S1's demand over days 100-104 announced ``warning_days`` ahead: the policy and the two rows."""
    shock = {"name": "storm", "start_day": 100, "end_day": 105, "nodes": ["S1"], "demand_factor": 2.0,
             "warning_days": warning_days}
    raw = copies(5, RATE, **with_stores([{"id": "S1"}, {"id": "S2"}], 3,
                                       **{"replenishment.store": {"policy": "calendar_order_up_to"}}))
    raw.update({"demand": {"weekday": [1] * 7, "monthly": [1] * 12, "shocks": [shock]}, "run": {"horizon_days": 120, "warmup_days": 10}})
    simulation = Simulation(scenario_from_dict(raw), 5, 0)
    rows, policy = simulation.replenishment.policies["store"]
    return policy, *(int(np.searchsorted(rows, simulation.world.node_index[n])) for n in ("S1", "S2"))


def test_levels_see_a_shock_from_its_warning_at_the_nodes_it_names():
    """Announced 10 days ahead: S1's level rises from the review whose protection period first reaches day
    100 and with each shock day it covers; S2's never. Announced 1 day ahead: not before day 99."""
    policy, s1, s2 = shock_policy(10)
    calm = policy.look_ahead(80, None).copy()
    before = policy.look_ahead(96, None).copy()    # covers days 97-99 (P = 3): no shock day yet
    reached = policy.look_ahead(97, None).copy()   # covers 98-100: one shock day
    inside = policy.look_ahead(101, None).copy()   # covers 102-104: three
    assert (before == calm).all() and (reached[s2] == calm[s2]).all() and (inside[s2] == calm[s2]).all()
    assert (reached[s1] > calm[s1]).all() and (inside[s1] > reached[s1]).all()
    # Hand computation of the three-shock-day level: mean 3 x 2 x RATE, spread sqrt(3 x 2 x RATE) (Poisson, m = 2).
    z = policy.z
    assert (inside[s1] == np.ceil(6 * RATE + z * np.sqrt(3 * 2 * RATE) - 1e-9)).all()
    late, s1, _ = shock_policy(1)
    assert (late.look_ahead(97, None)[s1] == calm[s1]).all() and (late.look_ahead(98, None)[s1] == calm[s1]).all()
    assert (late.look_ahead(99, None)[s1] > calm[s1]).all()


def test_a_calendar_forecast_refuses_a_fill_rate_target():
    with pytest.raises(ScenarioError, match="calendar_order_up_to takes service_level"):
        sim.load_scenario("scenarios/tiny.yaml", overrides={"replenishment.store": {"policy": "calendar_order_up_to", "fill_rate": 0.9}})
