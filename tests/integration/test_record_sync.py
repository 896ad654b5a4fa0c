"""Store stock that reaches the online platform late (``policies.store_records.sync_interval_hours``): in real
time no line fails; with a daily sync a BOPIS line fails exactly as often as the walk-in sales since the sync
predict; units are conserved with every record mechanism on; bad settings name their field."""

import numpy as np
import pytest

import simulation as sim
from simulation.engine.observers import Observer
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import ScenarioError
from tests.conftest import SCENARIOS

Z = 4.0
SEED = 3




OPEN, CLOSE = 8.0, 22.0


def one_store(**records) -> dict:
    """One store beside its zone, one SKU, BOPIS only, one unit per order; the store holds about a day of
    walk-in demand, so its shelf is often empty by the time online orders are sourced."""
    return {
        "name": "one-store",
        "network": {
            "nodes": [{"id": "CW", "type": "central_warehouse", "location": [20, 0]},
                      {"id": "S", "type": "store", "location": [0, 0], "open_hour": OPEN, "close_hour": CLOSE,
                       "capacity_orders_per_hour": 50}],
            "zones": [{"id": "Z", "tier": 1, "location": [0, 0], "demand_scale": 3.0}],
            "lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 2}, {"from": "CW", "to": "S", "lead_time_days": 1}],
        },
        "catalog": {"skus": 1, "mean_daily_units": 3.0, "perishable_share": 0.0},
        "channels": {"bopis": {"unfilled": "lost"}},
        "demand": {"online": {"channel_mix": {"bopis": 1.0, "home_delivery": 0.0, "instant": 0.0},
                              "basket_lines_mean": 1.0, "units_per_line_mean": 1.0}},
        "policies": {"store_records": records},
        "replenishment": {"store": {"policy": "base_stock", "service_level": 0.5}},
        "run": {"horizon_days": 1000, "warmup_days": 20},
    }


class ShelfAtSourcing(Observer):
    """Per day: the store's walk-in units sold and its shelf when online sourcing starts; and every order."""

    def __init__(self):
        self.sold, self.shelf, self.orders = {}, {}, []

    def started(self, world, state):
        self.row = world.store_rows[0]

    def step_started(self, step, day, state):
        if step == "walk_in":
            self.before = int(state.today_sold[self.row, 0])

    def step_finished(self, step, day, state):
        if step == "walk_in":
            self.sold[day] = int(state.today_sold[self.row, 0]) - self.before
            self.shelf[day] = int(state.on_hand[self.row, 0])

    def orders_settled(self, orders, first_id):
        self.orders.append({k: orders[k].copy() for k in ("created_hour", "units_first", "record_failures")})


def share_by(hour_of_day: float) -> float:
    """Share of the walk-in day sold by this hour (sales spread evenly over opening hours)."""
    return min(max((hour_of_day - OPEN) / (CLOSE - OPEN), 0.0), 1.0)


def test_a_six_hourly_sync_fails_lines_as_often_as_the_walk_in_sales_since_it_predict():
    """Synced at 0, 6, 12 and 18 h, the platform shows the shelf plus the walk-in units sold since the last
    sync, so a one-unit line at hour h finds an empty shelf shown in stock with chance 1 - (1 - f)^S: S units
    sold today, each between the sync and h with chance f (sales spread evenly over opening hours).
    Replaying each day's lines in arrival order against the shelf, the failures expected sum to what the
    engine drew, within 4 sigma."""
    scenario = sim.scenario_from_dict(one_store(sync_interval_hours=6.0))
    seen = ShelfAtSourcing()
    simulate(scenario, seed=SEED, observers=[seen])
    orders = {k: np.concatenate([o[k] for o in seen.orders]) for k in seen.orders[0]}
    expected = variance = 0.0
    empty_lines = 0
    shelf, today = 0, -1
    for hour, filled, failed in zip(orders["created_hour"], orders["units_first"], orders["record_failures"], strict=True):
        day = int(hour // 24)
        if day != today:
            today, shelf = day, seen.shelf[day]
        if shelf > 0:
            assert filled == 1 and failed == 0
            shelf -= 1
            continue
        of_day = hour - 24 * day
        f = share_by(of_day) - share_by(6 * (of_day // 6))
        p = 1.0 - (1.0 - f) ** seen.sold[day]
        expected, variance, empty_lines = expected + p, variance + p * (1 - p), empty_lines + 1
        assert filled == 0
    failures = int(orders["record_failures"].sum())
    assert empty_lines > 1000 and 0.2 * empty_lines < expected < 0.8 * empty_lines, (empty_lines, expected)
    assert abs(failures - expected) < Z * np.sqrt(variance), (failures, expected, np.sqrt(variance))


def no_stock(records: dict, mode: str = "split", **settings) -> float:
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.inventory_mode": mode, "policies.store_records": records,
                                                     "network.nodes[type=store].record_inaccuracy": 0.0, **settings})
    result, ledger, stats = simulate(sc, seed=5)  # raises ConservationError on a leak
    kpis = kpi_table(ledger, stats, result.world).set_index(["metric", "channel", "node_type"])["value"]
    return kpis[("no_stock_rate", "bopis", "all")]


def test_records_synced_in_real_time_fail_no_line_and_a_lagging_sync_does():
    assert no_stock({}) == 0.0
    assert no_stock({"sync_interval_hours": 24, "lost_sync_share": 0.3}) > 0.02


def test_units_are_conserved_with_every_record_mechanism_on_in_pool_mode():
    """Drifting records, lost syncs and walk-in recapture together (simulate audits every unit, raising on a leak);
    the same customers with records true and synced in real time meet no BOPIS line short, so every short line comes
    from the records."""
    recapture = {"policies.walk_in_to_online.unmet_share": 0.3}
    assert no_stock({}, "pool", **recapture) == 0.0
    rate = no_stock({"shrink_share": 0.02, "scan_error_rate": 0.05, "count_interval_days": 30, "sync_interval_hours": 6,
                     "lost_sync_share": 0.2}, "pool", **recapture)
    assert rate > 0.02


@pytest.mark.parametrize(("settings", "message"), [
    ({"sync_interval_hours": -1}, "policies.store_records.sync_interval_hours"),
    ({"sync_interval_hours": 4, "lost_sync_share": 1.0}, "policies.store_records.lost_sync_share"),
    ({"lost_sync_share": 0.2}, "lost_sync_share: means nothing with sync_interval_hours 0"),
])
def test_bad_sync_settings_name_the_field(settings, message):
    with pytest.raises(ScenarioError, match=message):
        sim.load_scenario(SCENARIOS / "tiny.yaml", {"policies.store_records": settings})
