"""The analyst's own data end to end: a run's history replays to the same KPIs, a fit recovers the model that
made a history (inside confidence intervals computed from the model), censored days are fitted as such,
and a block bootstrap resamples weeks."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simulation as sim
from simulation.history.fitted import fit
from simulation.history.record import record_history, write_history
from simulation.world.calendar import month_of
from simulation.world.network import compile_world
from tests.conftest import SCENARIOS

YEAR = {"run.horizon_days": 364}
SMALL_CITY = {"run.horizon_days": 60, "run.warmup_days": 10, "catalog.skus": 200}


def replayed(scenario, folder, **trace):
    return sim.with_overrides(scenario, {"demand.trace": {"sales": str(folder / "sales.parquet"),
                                                          "orders": str(folder / "orders.parquet"), **trace}})


@pytest.mark.parametrize("file, overrides", [("tiny.yaml", {}), ("city_seed_pool.yaml", SMALL_CITY)])
def test_replaying_a_runs_own_history_gives_its_kpis_exactly(file, overrides, tmp_path):
    """tiny has a promotion and a rainstorm; the calibrated pool recaptures walk-in shoppers online, ships
    from stores and picks due-first: none of it draws from the demand streams, so nothing moves."""
    scenario = sim.load_scenario(SCENARIOS / file, overrides)
    write_history(scenario, 7, tmp_path)
    original, replay = sim.run(scenario, seed=7), sim.run(replayed(scenario, tmp_path), seed=7)
    a = original.kpis.set_index(["metric", "channel", "node_type"])["value"]
    b = replay.kpis.set_index(["metric", "channel", "node_type"])["value"]
    pd.testing.assert_series_equal(a, b, check_exact=True)
    assert original.manifest["online_orders"] == replay.manifest["online_orders"]


def test_replications_of_a_replay_share_the_demand_and_differ_in_the_rest(tmp_path):
    scenario = sim.load_scenario(SCENARIOS / "tiny.yaml")
    write_history(scenario, 7, tmp_path)
    runs = [sim.run(replayed(scenario, tmp_path), seed=7, replication=r) for r in (0, 1)]
    demand = [r.kpi("demand_units", "all") for r in runs]
    assert demand[0] == demand[1] and runs[0].manifest["online_orders"] == runs[1].manifest["online_orders"]
    assert runs[0].kpi("delivery_hours_mean", "home_delivery") != runs[1].kpi("delivery_hours_mean", "home_delivery")


def test_a_block_bootstrap_resamples_whole_weeks_on_their_weekday(tmp_path):
    scenario = sim.load_scenario(SCENARIOS / "tiny.yaml", YEAR)
    write_history(scenario, 7, tmp_path)
    short = sim.with_overrides(replayed(scenario, tmp_path, mode="block_bootstrap", block_days=7),
                               {"run.horizon_days": 56, "run.warmup_days": 7})
    a, b, again = (sim.run(short, seed=7, replication=r) for r in (0, 1, 0))
    assert a.kpi("demand_units", "all") != b.kpi("demand_units", "all")  # each replication its own weeks
    assert a.kpi("demand_units", "all") == again.kpi("demand_units", "all")  # and the same ones again
    from simulation.world.trace import block_days

    days = block_days(364, 56, 7, np.random.default_rng(1))
    assert ((days % 7) == (np.arange(56) % 7)).all() and (np.diff(days.reshape(8, 7), axis=1) == 1).all()


@pytest.fixture(scope="module")
def year_of_tiny(tmp_path_factory):
    """A year of tiny's demand (seed 3), and the fit of it with tiny as the base."""
    scenario = sim.load_scenario(SCENARIOS / "tiny.yaml", YEAR)
    out = tmp_path_factory.mktemp("year")
    write_history(scenario, 3, out)
    return scenario, fit(out / "sales.parquet", out / "orders.parquet", scenario)


def cell_variance(world, scenario, fitted, by):
    """Var of the units summed over every fitted store-SKU-day cell, grouped by SKU, store or weekday, under the
    true model (negative binomial: mu + alpha mu^2)."""
    used = fitted.walk_in.used
    day = np.arange(used.size)[used]
    season = np.array([scenario.demand.weekday[d % 7] * scenario.demand.monthly[month_of(d)] for d in day])
    rate, alpha = world.skus.rate, world.skus.overdispersion
    scale = world.store_scale
    mu = rate[:, None, None] * scale[None, :, None] * season[None, None, :]  # [sku, store, day]
    var = mu + alpha[:, None, None] * mu**2
    if by == "sku":
        return var.sum(axis=(1, 2)), mu.sum(axis=(1, 2))
    if by == "store":
        return var.sum(axis=(0, 2)), mu.sum(axis=(0, 2))
    weekday = day % 7
    return (np.array([var[:, :, weekday == j].sum() for j in range(7)]), np.array([mu[:, :, weekday == j].sum() for j in range(7)]))


def test_the_fit_recovers_the_rates_scales_weekdays_and_overdispersion_that_made_the_history(year_of_tiny):
    scenario, fitted = year_of_tiny
    world = compile_world(scenario)
    w = fitted.walk_in
    order = [list(world.skus.sku).index(s) for s in w.skus]
    true_rate = world.skus.rate[order]
    # Rates: each SKU's total over the fitted cells is its rate times a known exposure; z-scores against
    # the model's own variance, summed, are chi-square with one degree of freedom per SKU.
    var, mean = cell_variance(world, scenario, fitted, "sku")
    z = (w.rate - true_rate) / (np.sqrt(var[order]) / (mean[order] / world.skus.rate[order]))
    k = z.size
    assert stats.chi2.ppf(0.001, k) < (z**2).sum() < stats.chi2.ppf(0.999, k), (z**2).sum()
    # Store scales (their mean is the base's, so the rates are on its footing) and weekday multipliers.
    stores = [world.node_ids[r] for r in world.store_rows]
    var, mean = cell_variance(world, scenario, fitted, "store")
    true_scale = world.store_scale[[stores.index(s) for s in w.stores]]
    z_store = (w.scale - true_scale) / (np.sqrt(var) / mean * world.store_scale)[[stores.index(s) for s in w.stores]]
    assert np.abs(z_store).max() < 4, z_store
    var, mean = cell_variance(world, scenario, fitted, "weekday")
    weekday = np.array(scenario.demand.weekday)
    assert np.abs((w.weekday - weekday) / (np.sqrt(var) / mean * weekday)).max() < 4
    # Overdispersion: every SKU's is 0.2; the MLE's 95% intervals (observed information) cover it about 95%
    # of the time, and the shrunk values centre on it.
    z_alpha = (np.log(w.alpha_mle) - np.log(0.2)) * np.sqrt(w.alpha_information)
    covered = (np.abs(z_alpha) < 1.96).mean()
    assert covered >= 0.84, covered  # 50 SKUs: 0.95 less 3.5 binomial standard deviations
    assert np.median(w.alpha) == pytest.approx(0.2, rel=0.1)


def test_the_fit_of_an_order_log_recovers_mix_basket_and_hours(year_of_tiny):
    scenario, fitted = year_of_tiny
    o, online = fitted.online, scenario.demand.online
    # Lines per order are 1 + Poisson(mean - 1): standard error sqrt((mean - 1) / orders).
    assert o.basket_lines_mean == pytest.approx(online.basket_lines_mean, abs=4 * np.sqrt((online.basket_lines_mean - 1) / o.orders))
    # Each zone-channel's units per day over the catalog's rates: scale x mix, as the world has them. The
    # standard error of each is that of its yearly units, from the spread of its daily units (which, holding
    # the season's swings too, overstates it a little).
    world = compile_world(scenario)
    log = pd.read_parquet(Path(fitted.sales.path).parent / "orders.parquet")
    log = log[fitted.walk_in.used[log.day]]
    daily = log.groupby(["zone", "channel", "day"]).units.sum().unstack("day", fill_value=0)
    units = fitted_units = 0
    for z, zone in enumerate(world.zone_ids):
        for c, channel in enumerate(("bopis", "home_delivery", "instant")):
            true, got = world.zone_scale[z] * world.zone_mix[z, c], o.zone_scale[zone] * o.zone_mix[zone][channel]
            units += true
            fitted_units += got
            if true == 0:
                assert got == 0, (zone, channel)
                continue
            row = daily.loc[(zone, channel)].to_numpy(float)
            relative_se = row.std(ddof=1) * np.sqrt(row.size) / row.sum()
            assert abs(got / true - 1) < 4 * relative_se, (zone, channel, got / true - 1, relative_se)
    assert fitted_units == pytest.approx(units, rel=0.03)
    profile = np.array(online.hourly_profile) / np.sum(online.hourly_profile) * 24
    assert np.abs(np.array(o.hourly_profile) - profile).max() < 0.15


def test_censored_days_are_fitted_as_censored_and_naive_sales_are_biased_low(tmp_path):
    """What a till records (units sold, stock left) from a network short of stock: with on_hand the fit
    recovers the rates that made it; without, the mean of sales falls short by far more than its error."""
    scenario = sim.load_scenario(SCENARIOS / "tiny.yaml", {**YEAR, "replenishment.store.service_level": 0.7})
    sales, _ = record_history(scenario, 3, as_sold=True)
    assert (sales.on_hand == 0).mean() > 0.2  # a fifth of the rows ended empty
    sales.to_parquet(tmp_path / "sold.parquet")
    sales.drop(columns="on_hand").to_parquet(tmp_path / "naive.parquet")
    world = compile_world(scenario)
    censored, naive = fit(tmp_path / "sold.parquet", scenario=scenario), fit(tmp_path / "naive.parquet", scenario=scenario)
    truth = world.skus.rate.sum()
    var, mean = cell_variance(world, scenario, censored, "sku")
    se = np.sqrt(var.sum()) / (mean.sum() / truth)  # of the summed rates, from the model
    assert abs(censored.walk_in.rate.sum() - truth) < 3 * se
    assert naive.walk_in.rate.sum() < truth - 10 * se
    # The report's goodness of fit compares sales with what the model sells given each day's shelf stock:
    # the data came from the model, so no class rejects it at 0.1%.
    censored.write(tmp_path / "fit")
    import json

    gof = json.loads((tmp_path / "fit" / "fit.json").read_text())["goodness_of_fit"]
    assert all(g["p_value"] > 0.001 for g in gof), [g["p_value"] for g in gof]
    assert censored.walk_in.censored_cells.sum() == (sales.on_hand == 0).sum() - (sales.day.isin(
        [d for e in [*scenario.demand.promotions, *scenario.demand.shocks] for d in range(e.start_day, e.end_day)]) &
        (sales.on_hand == 0)).sum()


def test_a_fitted_scenario_runs_and_its_report_says_how_well_it_fits(year_of_tiny, tmp_path):
    _scenario, fitted = year_of_tiny
    base = SCENARIOS / "tiny.yaml"
    fitted.write(tmp_path, str(base))
    result = sim.run(sim.load_scenario(tmp_path / "scenario.yaml", YEAR), seed=1)
    assert result.kpi("fill_rate_units") > 0.5
    page = (tmp_path / "fit.html").read_text()
    assert page.count("<figure") == 3 and "Chi-square" in page
    import json

    gof = json.loads((tmp_path / "fit.json").read_text())["goodness_of_fit"]
    # The data came from the model: no class should reject it at 0.1% (three tests).
    assert all(g["p_value"] > 0.001 for g in gof), [g["p_value"] for g in gof]


def test_stores_own_mixes_are_fitted_where_the_data_shows_them(tmp_path):
    """A year of tiny with each store's own SKU mix (lognormal, cv 0.5): the fit finds the mix (the part the
    SKU rates and store scales leave: the interaction), its spread as a drawn mix, and the overdispersion
    the mix would otherwise inflate; the fitted scenario carries the multipliers as a table."""
    scenario = sim.load_scenario(SCENARIOS / "tiny.yaml", {**YEAR, "demand.store_mix_cv": 0.5})
    write_history(scenario, 3, tmp_path)
    fitted = fit(tmp_path / "sales.parquet", scenario=scenario)
    world = compile_world(scenario)
    true = world.store_mix  # [store, SKU], as drawn
    stores = [world.node_ids[r] for r in world.store_rows]
    true = true[np.ix_([stores.index(s) for s in fitted.walk_in.stores], [list(world.skus.sku).index(k) for k in fitted.walk_in.skus])].T
    interaction = true / (true.mean(axis=0, keepdims=True) * true.mean(axis=1, keepdims=True) / true.mean())
    assert np.corrcoef(np.log(fitted.walk_in.mix.ravel()), np.log(interaction.ravel()))[0, 1] > 0.75
    realised = true.std() / true.mean()  # the 200 draws' own spread
    assert abs(fitted.walk_in.mix_cv - realised) < 0.1  # 200 store-SKUs: the moment estimate's SE is about 0.025
    assert np.median(fitted.walk_in.alpha) == pytest.approx(0.2, rel=0.1)
    fitted.write(tmp_path / "fit", str(SCENARIOS / "tiny.yaml"))
    again = compile_world(sim.load_scenario(tmp_path / "fit" / "scenario.yaml", YEAR))
    assert again.store_mix is not None and np.allclose(np.sort(again.store_mix.ravel()), np.sort(fitted.walk_in.mix.ravel()))
    plain = fit(Path(SCENARIOS.parent / "scenarios" / "data" / "tiny_history" / "sales.parquet"), scenario=sim.load_scenario(
        SCENARIOS / "tiny.yaml", YEAR))
    assert plain.walk_in.mix is None  # no mix in the data: none fitted
