"""Lot and shelf rules (issue 17, mechanisms 3 and 4): case packs and minimum orders on replenishment
orders, and a store's display minimum under its levels. Off by default, so every other test and the
golden values run without them."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine import Observer, Simulation
from simulation.experiment.run import simulate
from simulation.policies.levels import Planning
from simulation.policies.replenishment import build_policy
from simulation.scenario import ScenarioError
from tests.conftest import SCENARIOS, single_node


class Orders(Observer):
    """Each day's orders from the supplier, per row and SKU (the supplier ships what is ordered)."""

    def __init__(self):
        self.orders = []

    def step_started(self, step, day, state):
        if step == "replenishment":
            self.before = state.supplied.copy()

    def step_finished(self, step, day, state):
        if step == "replenishment":
            self.orders.append(state.supplied - self.before)


def store_world(**lane) -> dict:
    """Two stores fed straight by the supplier (case packs of 6, a supplier minimum of 8 per SKU)."""
    return single_node(**{
        "network.nodes": [{"id": "CW", "type": "central_warehouse"},
                          {"id": "S1", "type": "store", "demand_scale": 1.0}, {"id": "S2", "type": "store", "demand_scale": 0.5}],
        "network.zones": [],
        "network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 2},
                          {"from": "supplier", "to": ["S1", "S2"], "lead_time_days": 2, **lane}],
        "catalog": {"skus": 20, "mean_daily_units": 3.0, "case_pack": 6, "min_order_units": 8},
        "replenishment": {"central_warehouse": {"policy": "base_stock", "S": 0},
                          "store": {"policy": "base_stock", "service_level": 0.9}},
        "run": {"horizon_days": 120, "warmup_days": 10},
    })


def test_orders_on_a_case_lane_are_whole_cases_at_least_the_supplier_minimum():
    watch = Orders()
    run = Simulation(sim.scenario_from_dict(store_world(order_unit="case")), seed=3, observers=[watch]).execute()
    stores = run.world.store_rows
    placed = np.stack(watch.orders)[:, stores]
    positive = placed[placed > 0]
    assert positive.size > 300
    assert np.all(positive % 6 == 0) and np.all(positive >= 8)  # 8 rounds up to 12: two cases
    assert np.all(positive >= 12)


def test_a_lane_minimum_without_cases_orders_at_least_it_in_any_units():
    watch = Orders()
    raw = store_world(min_order_units=10)
    raw["catalog"]["min_order_units"] = 0
    Simulation(sim.scenario_from_dict(raw), seed=3, observers=[watch]).execute()
    placed = np.stack(watch.orders)[:, 1:]
    positive = placed[placed > 0]
    assert positive.size > 100 and positive.min() == 10 and (positive % 6 != 0).any()


def test_without_lot_rules_orders_are_what_the_policy_wants():
    watch = Orders()
    raw = store_world()
    raw["catalog"].update(case_pack=1, min_order_units=0)
    Simulation(sim.scenario_from_dict(raw), seed=3, observers=[watch]).execute()
    placed = np.stack(watch.orders)[:, 1:]
    assert placed[placed > 0].min() == 1  # daily base stock replaces the day's sales, one unit at a time


def test_case_packs_raise_stock_by_about_half_a_case():
    """(R, nQ): ordering whole cases lifts the position after an order to S + U with U in [0, Q - 1], so
    stock on hand rises by about (Q - 1) / 2 = 2.5 units per store-SKU over the unrounded policy."""
    def mean_stock(**lane):
        raw = store_world(**lane)
        raw["catalog"]["min_order_units"] = 0
        res = sim.run(sim.scenario_from_dict(raw), seed=5)
        daily = res.daily[(res.daily.metric == "on_hand_units") & (res.daily.node_type == "store") & (res.daily.day >= 10)]
        return daily.value.mean() / (2 * 20)
    lift = mean_stock(order_unit="case") - mean_stock()
    assert 2.0 < lift < 3.0, lift


@pytest.mark.parametrize("policy", [{"policy": "base_stock", "S": 1}, {"policy": "min_max", "s": 0, "S": 2},
                                    {"policy": "reorder_qty", "s": 0, "Q": 1}, {"policy": "forecast_order_up_to"}])
def test_no_level_falls_below_the_presentation_minimum(policy):
    """The floor holds for every policy kind, whatever the sized or given level, at the start and after
    a run of learning (the forecast policy re-sizes its level every day)."""
    raw = store_world()
    raw["catalog"].update(case_pack=1, min_order_units=0, presentation_units=4)
    raw["replenishment"]["store"] = policy
    run = Simulation(sim.scenario_from_dict(raw), seed=2).execute()
    rows, store_policy = run.replenishment.policies["store"]
    levels = [getattr(store_policy, name) for name in ("s", "S") if hasattr(store_policy, name)]
    if hasattr(store_policy, "levels"):
        levels.append(store_policy.levels(np.arange(rows.size)))
    assert levels and all(np.all(level >= 4) for level in levels)
    assert np.all(store_policy.initial_stock() >= 4)


def test_a_class_presentation_minimum_is_the_floor_for_every_sku():
    plan = Planning(np.full((2, 3), 0.1), np.full((2, 3), 0.1), np.ones(2), np.zeros(2))
    spec = sim.scenario_from_dict(store_world()).replenishment.store.model_copy(update={"presentation_units": 7})
    floor = np.maximum(np.zeros(3, np.int64), spec.presentation_units)
    assert np.all(build_policy(spec, plan, "replenishment.store", floor).S == 7)


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_units_are_conserved_with_every_lot_rule_on(mode):
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {
        "policies.inventory_mode": mode, "catalog.case_pack": 4, "catalog.min_order_units": 6, "catalog.presentation_units": 2,
        "network.lanes[*].order_unit": "case", "network.lanes[*].min_order_units": 3, "run.horizon_days": 90})
    run = Simulation(sc, seed=4).execute()  # raises ConservationError on any leak
    assert run.state.supplied.sum() > 0


@pytest.mark.parametrize("column, value, message", [
    ("case_pack", 0, "must be a whole number >= 1, got 0"), ("case_pack", 1.5, "must be a whole number >= 1, got 1.5"),
    ("min_order_units", -2, "must be a number >= 0, got -2"), ("presentation_units", 2.5, "must be a whole number >= 0, got 2.5")])
def test_bad_lot_columns_in_a_catalog_file_are_refused_by_row_and_column(tmp_path, column, value, message):
    path = tmp_path / "catalog.csv"
    rows = [{"sku": f"A{i}", "mean_daily_units": 1.0, "unit_cost": 2.0, "price": 3.0, column: value if i == 1 else 1} for i in range(3)]
    path.write_text("\n".join([",".join(rows[0])] + [",".join(str(v) for v in r.values()) for r in rows]))
    with pytest.raises(ScenarioError, match=rf"catalog.file: row 3 column '{column}': {message}"):
        sim.run(sim.load_scenario(SCENARIOS / "tiny.yaml", {"catalog": {"file": str(path)}}))


def test_an_unknown_order_unit_is_refused_by_field():
    with pytest.raises(ScenarioError, match=r"network.lanes\[1\].order_unit: .*'each'.*'case'"):
        sim.scenario_from_dict(store_world(order_unit="pallet"))


def test_economic_order_quantities_follow_the_formula():
    """lot_size: eoq sizes S - s (min_max) as sqrt(2 mu K / h): mu the store's mean daily demand, K the
    lane's cost per order, h the holding cost per unit and day."""
    raw = store_world(cost_per_order=12.0)
    raw["catalog"].update(case_pack=1, min_order_units=0)
    raw["replenishment"]["store"] = {"policy": "min_max", "lot_size": "eoq"}
    run = Simulation(sim.scenario_from_dict(raw), seed=1)
    rows, policy = run.replenishment.policies["store"]
    h = run.scenario.costs.holding_rate_per_year / 365.0 * run.world.skus.unit_cost
    eoq = np.sqrt(2 * run.world.planning_mean[rows] * 12.0 / h[None, :])
    np.testing.assert_array_equal(policy.S - policy.s, np.maximum(1, np.rint(eoq)))
    assert (policy.S - policy.s).max() > 5  # lots of several days' demand, not one unit


def test_a_fixed_cost_per_order_is_charged_for_every_sku_ordered():
    """cost_transport at the stores = units shipped x cost_per_unit + SKU orders x cost_per_order,
    counted by an observer from the supplier's shipments (the supplier ships all that is ordered)."""
    class Shipped(Observer):
        def __init__(self):
            self.units = self.orders = 0

        def step_started(self, step, day, state):
            if step == "replenishment":
                self.before = state.supplied.copy()

        def step_finished(self, step, day, state):
            if step == "replenishment" and day >= 10:
                placed = (state.supplied - self.before)[1:]  # the two stores
                self.units += placed.sum()
                self.orders += (placed > 0).sum()

    raw = store_world(cost_per_unit=0.2, cost_per_order=3.0)
    raw["catalog"].update(case_pack=1, min_order_units=0)
    watch = Shipped()
    _, ledger, _ = simulate(sim.scenario_from_dict(raw), seed=6, observers=[watch])
    assert watch.orders > 500
    assert ledger.sums[("cost_transport", "all", "store")] == pytest.approx(0.2 * watch.units + 3.0 * watch.orders, rel=1e-9)


def test_eoq_without_a_holding_cost_is_refused():
    raw = store_world()
    raw["replenishment"]["store"] = {"policy": "reorder_qty", "lot_size": "eoq"}
    raw["costs"] = {"holding_rate_per_year": 0.0}
    with pytest.raises(ScenarioError, match=r"replenishment.store.lot_size: eoq needs a holding cost"):
        sim.scenario_from_dict(raw)
