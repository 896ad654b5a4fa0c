"""Whole runs: conservation under every policy, reproducibility, and the shape of the results."""

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.engine import ConservationError, Simulation
from simulation.engine import threads as parallel
from simulation.engine.observers import Observer
from simulation.experiment.run import simulate

POLICIES = ["min_max", "reorder_qty", "order_up_to", "base_stock", "forecast_order_up_to"]


def every_class(policy):
    return {f"replenishment.{cls}": {"policy": policy} for cls in ("central_warehouse", "forward_warehouse", "store")}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name, horizon", [("tiny", 120), ("city", 150)])
def test_units_are_conserved_under_every_policy(name, horizon, policy):
    sc = sim.load_scenario(f"scenarios/{name}.yaml", {**every_class(policy), "run.horizon_days": horizon})
    run, ledger, _ = simulate(sc, seed=3)  # execute() raises ConservationError if units leak
    st = run.state
    assert st.sold.sum() > 0 and st.supplied.sum() > 0  # the run did something
    # Independent of the audit's own arrays: the daily series' last stock is the engine's, and what the
    # ledger counted as sold to walk-in customers never exceeds what the engine counted as sold.
    last = ledger.daily_frame().query("day == @run.horizon - 1 and node_type == 'all'").set_index("metric")["value"]
    assert last["on_hand_units"] == st.on_hand.sum() and last["in_transit_units"] == st.pipeline.sum()
    assert ledger.sums[("units_first", "walk_in", "store")] <= st.sold.sum()


def test_conservation_check_catches_a_leak(tiny_path):
    run = Simulation(sim.load_scenario(tiny_path, {"run.horizon_days": 30}), seed=1).execute()
    run.state.on_hand[2, 5] += 1  # a unit from nowhere
    with pytest.raises(ConservationError, match="node S1"):
        run.check_conservation()


def test_same_seed_same_results_and_other_seed_differs(tiny_path):
    sc = sim.load_scenario(tiny_path)
    a, b, c = sim.run(sc, seed=11), sim.run(sc, seed=11), sim.run(sc, seed=12)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    assert not a.kpis["value"].equals(c.kpis["value"])


def test_results_do_not_depend_on_the_number_of_threads(city_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_CELLS", 0)  # every kernel that can runs in thread blocks
    sc = sim.load_scenario(city_path, {"policies.inventory_mode": "pool", "run.horizon_days": 40, "run.warmup_days": 5})
    one, three = sim.run(sc, seed=6, threads=1), sim.run(sc, seed=6, threads=3)
    assert (one.manifest["threads"], three.manifest["threads"]) == (1, 3)
    pd.testing.assert_frame_equal(one.kpis, three.kpis)
    pd.testing.assert_frame_equal(one.daily, three.daily)
    pd.testing.assert_frame_equal(one.orders, three.orders)


def test_policies_share_demand_on_one_seed(tiny_path):
    """Common random numbers: a different policy sees exactly the same customers."""
    base = sim.load_scenario(tiny_path)
    other = sim.with_overrides(base, every_class("min_max"))
    a, b = sim.run(base, seed=4), sim.run(other, seed=4)
    for channel in ("walk_in", "home_delivery", "bopis", "instant"):
        assert a.kpi("demand_units", channel=channel) == b.kpi("demand_units", channel=channel)
    assert len(a.orders) == len(b.orders)
    assert a.kpi("avg_inventory_value") != b.kpi("avg_inventory_value")


def test_kpis_have_the_stable_names_and_sensible_ranges(tiny_path):
    res = sim.run(sim.load_scenario(tiny_path), seed=2)
    k = res.kpis
    assert list(k.columns) == ["metric", "channel", "node_type", "value"]
    required = {"fill_rate_units", "fill_rate_lines", "fill_rate_orders", "stockout_rate", "lost_sales_units",
                "avg_inventory_value", "inventory_turns", "days_of_inventory", "delivery_hours_mean",
                "delivery_hours_p50", "delivery_hours_p90", "delivery_hours_p95", "on_time_rate", "split_rate",
                "dispatch_within_sla", "no_stock_rate", "cost_holding", "cost_transport", "cost_fulfilment",
                "cost_lost_margin"}
    assert required <= set(k.metric)
    rates = k[k.metric.str.contains("rate")]
    assert rates.value.between(0, 1).all()
    assert (k[k.metric.str.startswith("cost")].value >= 0).all()
    assert res.kpi("days_of_inventory") == pytest.approx(365 / res.kpi("inventory_turns"))
    p50, p95 = res.kpi("delivery_hours_p50", "home_delivery"), res.kpi("delivery_hours_p95", "home_delivery")
    assert 0 < p50 <= p95
    # 'all' rows come from summed counts: the demand-weighted mean of the four channels' fill rates
    channels = ["walk_in", "bopis", "home_delivery", "instant"]
    demand = np.array([res.kpi("demand_units", c) for c in channels])
    fill = np.array([res.kpi("fill_rate_units", c) for c in channels])
    assert res.kpi("fill_rate_units") == pytest.approx((demand * fill).sum() / demand.sum(), rel=1e-12)
    for key in ("scenario_hash", "seed", "package_version", "wall_seconds", "node_sku_days"):
        assert key in res.manifest
    assert res.manifest["node_sku_days"] == 7 * 50 * 120  # split mode adds the central warehouse's online stock
    assert set(res.daily.node_type) == {"central_warehouse", "forward_warehouse", "store", "all", "shock:rainstorm"}


def test_shock_closes_stores_and_promotion_lifts_demand(tiny_path):
    quiet = sim.load_scenario(tiny_path, {"demand.shocks": [], "demand.promotions": []})
    closed = sim.with_overrides(quiet, {"demand.shocks": [
        {"name": "typhoon", "start_day": 40, "end_day": 60, "nodes": ["S1", "S2", "S3", "S4"], "capacity_factor": 0.0}]})
    promo = sim.with_overrides(quiet, {"demand.promotions": [
        {"name": "sale", "start_day": 40, "end_day": 60, "lift": 2.0, "channels": ["home_delivery"]}]})
    a, b, c = (sim.run(s, seed=9) for s in (quiet, closed, promo))
    def sold(r):
        return r.daily[(r.daily.node_type == "store") & (r.daily.metric == "sold_units") & r.daily.day.between(40, 59)].value.sum()
    assert sold(a) > 0 and sold(b) == 0  # closed stores sell nothing
    assert b.kpi("lost_sales_units", "walk_in") > a.kpi("lost_sales_units", "walk_in")
    assert c.kpi("demand_units", "home_delivery") > 1.1 * a.kpi("demand_units", "home_delivery")
    assert c.kpi("demand_units", "walk_in") == a.kpi("demand_units", "walk_in")


def test_a_shock_stretches_last_mile_transit_in_its_zones_while_it_lasts(tiny_path):
    """Common random numbers: the same orders draw the same transit times; a shock with transit_factor 3 on
    zones Z1 and Z2 for days 40-59 triples exactly those orders' transit (central and local) and no other."""
    quiet = sim.load_scenario(tiny_path, {"demand.shocks": [], "demand.promotions": [], "run.order_sample": 10**6})
    flood = sim.with_overrides(quiet, {"demand.shocks": [
        {"name": "rainstorm", "start_day": 40, "end_day": 60, "zones": ["Z1", "Z2"], "transit_factor": 3.0}]})
    a, b = (sim.run(s, seed=9).orders.set_index("order_id") for s in (quiet, flood))
    assert a.index.equals(b.index) and (a.zone == b.zone).all()
    hit = a.zone.astype(str).isin(["Z1", "Z2"]) & a.created_day.between(40, 59)
    assert hit.sum() > 100 and (~hit).sum() > 100
    for column in ("transit", "transit_local"):
        np.testing.assert_allclose(b[column][hit], 3.0 * a[column][hit], rtol=1e-12)
        np.testing.assert_array_equal(b[column][~hit], a[column][~hit])
    late = b.delivery_hours[hit & (b.channel == "home_delivery")].median() > a.delivery_hours[hit & (a.channel == "home_delivery")].median()
    assert late  # the delivery tail moves with it


class Departures(Observer):
    """Units shipped to each row on each day, read from the stock: the pipeline's growth during replenishment."""

    def started(self, world, state):
        self.by_day = []

    def step_started(self, step, day, state):
        if step == "replenishment":
            self.before = state.pipeline.sum(axis=1)

    def step_finished(self, step, day, state):
        if step == "replenishment":
            self.by_day.append(state.pipeline.sum(axis=1) - self.before)


@pytest.mark.parametrize("node", ["S1", "CW"])
def test_a_shock_that_closes_lanes_stops_every_shipment_in_and_out_until_it_ends(tiny_path, node):
    """Closed S1: nothing ships to it on days 40-59, and its orders wait (owed) and ship after. Closed CW:
    nothing ships out of it to any node, nor in from the supplier. Units are conserved (the run audits)."""
    sc = sim.load_scenario(tiny_path, {"demand.shocks": [
        {"name": "flood", "start_day": 40, "end_day": 60, "nodes": [node], "closes_lanes": True}], "demand.promotions": []})
    seen = Departures()
    run, _, _ = simulate(sc, seed=5, observers=[seen])
    shipped = np.array(seen.by_day)  # [day, row]
    w = run.world
    row = w.node_index[node]
    affected = [row] if node == "S1" else [r for r in range(w.n_nodes) if w.source[r] == row or r == row]
    assert shipped[40:60][:, affected].sum() == 0
    assert shipped[30:40][:, affected].sum() > 0 and shipped[60:70][:, affected].sum() > 0
    others = [r for r in range(w.n_nodes) if r not in affected]
    if node == "S1":
        assert shipped[40:60][:, others].sum() > 0  # the rest of the network still moves


class WalkInDays(Observer):
    """Each store's walk-in units wanted and sold per day."""

    def started(self, world, state):
        self.rows, self.days = world.store_rows, []

    def walk_in_served(self, day, per_store):
        self.days.append(per_store[:, :2].copy())


def test_a_shock_that_closes_a_store_to_walk_in_keeps_its_pickers_serving_online(tiny_path):
    """S1 closed to shoppers on days 40-59 (walk_in_factor 0, capacity untouched): it sells nothing to walk-in
    customers then, who still come (the same demand, common random numbers) and are lost; it keeps picking
    online orders; the days before are untouched."""
    quiet = sim.load_scenario(tiny_path, {"demand.shocks": [], "demand.promotions": [], "run.order_sample": 10**6})
    shut = sim.with_overrides(quiet, {"demand.shocks": [
        {"name": "closed-to-shoppers", "start_day": 40, "end_day": 60, "nodes": ["S1"], "walk_in_factor": 0.0}]})
    runs = []
    for scenario in (quiet, shut):
        seen = WalkInDays()
        result, _, stats = simulate(scenario, seed=4, observers=[seen])
        runs.append((result, np.array(seen.days), stats.sample_frame()))
    (a, a_days, _), (_, b_days, orders) = runs
    s1 = [a.world.node_ids[r] for r in a.world.store_rows].index("S1")
    np.testing.assert_array_equal(a_days[:, :, 0], b_days[:, :, 0])     # the same shoppers come
    assert b_days[40:60, s1, 1].sum() == 0 < a_days[40:60, s1, 1].sum()  # none served while it is closed
    assert b_days[60:, s1, 1].sum() > 0
    np.testing.assert_array_equal(a_days[:40], b_days[:40])
    picked = orders[(orders.node.astype(str) == "S1") & orders.created_day.between(40, 59) & orders.ready_hour.notna()]
    assert len(picked) > 10  # its pickers still serve online orders
