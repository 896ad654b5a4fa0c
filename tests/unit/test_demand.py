"""Demand generators agree with the moments they promise (fixed seeds, 99.9% normal bands)."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine.demand import Calendar, OrderGenerator, WalkIn, month_of, walk_in_demand
from simulation.engine.streams import make_streams, store_streams
from simulation.kernels import negative_binomial_draws
from simulation.scenario import ONLINE_CHANNELS
from simulation.world.network import compile_world

Z999 = 3.29


@pytest.mark.parametrize("mean, alpha", [(0.3, 0.0), (4.0, 0.0), (4.0, 0.5), (25.0, 0.2)])
def test_negative_binomial_mean_and_variance(mean, alpha):
    n = 400_000
    x = negative_binomial_draws(np.random.default_rng(8), np.full(n, mean), np.full(n, alpha))
    var = mean + alpha * mean**2
    assert abs(x.mean() - mean) < Z999 * np.sqrt(var / n)
    # variance of the sample variance ~ (mu4 - var^2)/n; a 2% band is > 5 standard errors at this n
    assert x.var() == pytest.approx(var, rel=0.02)


def test_streams_are_independent_of_each_other_and_of_policy():
    a, b = make_streams(1, 0), make_streams(1, 0)
    assert a["walk_in"].random() == b["walk_in"].random()
    assert make_streams(1, 0)["walk_in"].random() != make_streams(1, 1)["walk_in"].random()
    assert make_streams(1, 0)["walk_in"].random() != make_streams(1, 0)["online_orders"].random()
    stores = store_streams(1, 0, 3)
    assert len({g.random() for g in stores}) == 3 and store_streams(1, 0, 2)[1].random() == store_streams(1, 0, 5)[1].random()


TINY_FLAT = {"demand.promotions": [], "demand.shocks": []}


@pytest.fixture(scope="module")
def tiny_world():
    return compile_world(sim.load_scenario("scenarios/tiny.yaml", TINY_FLAT))


def test_walk_in_demand_has_the_scenario_mean(tiny_world):
    w = tiny_world
    walk_in, cal, days = WalkIn(w, 3, 0), Calendar(w), 700
    total = np.zeros((w.store_rows.size, w.skus.size))
    expected = np.zeros_like(total)
    nodes = sim.load_scenario("scenarios/tiny.yaml", TINY_FLAT).network.nodes
    scale = np.array([nodes[w.twin_of[r]].demand_scale for r in w.store_rows])
    for day in range(days):
        total += walk_in_demand(w, cal, day, walk_in)
        expected += cal.season(day) * scale[:, None] * w.skus.rate[None, :]
    # network total per day: sum of many NB variables; check against the exact mean with its sd
    mu = expected.sum()
    var = (expected + w.skus.overdispersion[None, :] * (expected / days) ** 2 * days).sum()
    assert abs(total.sum() - mu) < Z999 * np.sqrt(var)


def test_online_orders_carry_the_expected_units_per_channel_and_follow_the_hourly_profile(tiny_world):
    w = tiny_world
    gen, cal = OrderGenerator(w), Calendar(w)
    rng, transit_rng = np.random.default_rng(5), np.random.default_rng(6)
    days = 300
    units = np.zeros((days, len(ONLINE_CHANNELS)))
    expected = np.zeros(len(ONLINE_CHANNELS))
    hours = []
    for day in range(days):
        batch = gen.draw(cal, day, rng, transit_rng)
        assert np.all(np.diff(batch.hour) >= 0)  # arrival order
        assert np.all((batch.hour >= 24 * day) & (batch.hour < 24 * (day + 1)))
        units[day] = np.bincount(batch.channel[batch.line_order], weights=batch.line_qty, minlength=3)
        expected += cal.season(day) * (w.zone_scale[:, None] * w.zone_mix).sum(axis=0) * w.skus.rate.sum()
        hours.append(batch.hour - 24 * day)
    total = units.sum(axis=0)
    se = units.std(axis=0, ddof=1) * np.sqrt(days)  # days are independent
    assert np.all(np.abs(total - expected) < Z999 * se), (total, expected)
    hours = np.concatenate(hours)
    profile = np.asarray(w.online_demand.hourly_profile)
    share = np.bincount(hours.astype(int), minlength=24) / hours.size
    p = profile / profile.sum()
    assert np.all(np.abs(share - p) < Z999 * np.sqrt(p * (1 - p) / hours.size) + 1e-12)


def test_month_of_day():
    assert [month_of(d) for d in (0, 30, 31, 58, 59, 364, 365)] == [0, 0, 1, 1, 2, 11, 0]


def test_a_shock_on_a_share_of_skus_multiplies_only_their_demand(tiny_path):
    """Panic buying of the fastest fifth of SKUs: in the stores and zones hit, those SKUs' demand doubles
    and the others' is unchanged, in walk-in and online demand alike (Poisson demand, 400 days each)."""
    sc = sim.load_scenario(tiny_path, {"demand.promotions": [], "demand.shocks": [], "catalog.overdispersion": 0.0,
                                       "demand.weekday": [1.0] * 7})
    stores = [n.id for n in sc.network.nodes if n.type == "store"]
    panic = sim.with_overrides(sc, {"demand.shocks": [
        {"name": "panic", "start_day": 0, "end_day": 400, "nodes": stores, "zones": [z.id for z in sc.network.zones],
         "demand_factor": 2.0, "sku_share": 0.2}]}).demand.shocks[0]
    w = compile_world(sc)
    top = round(0.2 * w.skus.size)
    totals = {}
    for label, shocks in (("calm", []), ("panic", [panic])):
        calendar = Calendar(w, shocks=list(shocks))
        walk, online = np.zeros(w.skus.size), np.zeros(w.skus.size)
        rng, transit, walk_in = np.random.default_rng(5), np.random.default_rng(6), WalkIn(w, 5, 0)
        generator = OrderGenerator(w)
        for day in range(400):
            walk += walk_in_demand(w, calendar, day, walk_in).sum(axis=0)
            batch = generator.draw(calendar, day, rng, transit)
            online += np.bincount(batch.line_sku, weights=batch.line_qty, minlength=w.skus.size)
        totals[label] = (walk, online)
    for i, name in enumerate(("walk-in", "online")):
        calm, hit = totals["calm"][i], totals["panic"][i]
        assert hit[:top].sum() / calm[:top].sum() == pytest.approx(2.0, rel=0.04), name
        assert hit[top:].sum() / calm[top:].sum() == pytest.approx(1.0, rel=0.04), name
