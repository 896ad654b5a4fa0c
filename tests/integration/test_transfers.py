"""Lateral transfers and the shock response plan: they move stock where it is short, never create or
destroy a unit, and the response plan holds stockouts down at the nodes a shock hits."""

import numpy as np

import simulation as sim
from simulation.engine import Observer, Simulation
from simulation.experiment.run import simulate
from tests.conftest import single_node


def two_stores(transfers: str) -> dict:
    """One store overstocked for its demand, one starved: only transfers can help the second."""
    return single_node(**{
        "network.nodes": [{"id": "CW", "type": "central_warehouse"},
                          {"id": "RICH", "type": "store", "demand_scale": 0.05},
                          {"id": "POOR", "type": "store", "demand_scale": 1.0}],
        "network.zones": [],
        "network.lanes": [{"from": "supplier", "to": ["CW", "RICH", "POOR"], "lead_time_days": 3}],
        "catalog": {"skus": 5, "mean_daily_units": 4.0},
        "replenishment": {"central_warehouse": {"policy": "base_stock", "S": 0},
                          "store": {"policy": "base_stock", "S": 6}},
        "policies": {"transfers": {"rule": transfers, "period_days": 1, "excess_cover_days": 10, "target_cover_days": 4}},
        "run": {"horizon_days": 200, "warmup_days": 20},
    })


def test_rebalancing_moves_excess_to_the_short_store():
    # RICH needs 0.2 units a day but holds 6; POOR needs 4 a day and holds 6 against a 3-day lead time.
    (off, off_ledger, _), (on, on_ledger, _) = (simulate(sim.scenario_from_dict(two_stores(rule)), seed=4)
                                                for rule in ("none", "rebalance"))
    off, on = off.state, on.state
    rich, poor = 1, 2
    assert off_ledger.sums[("transfer_units", "all", "store")] == 0
    moved = on_ledger.sums[("transfer_units", "all", "store")]
    assert moved > 0
    # RICH never receives (it has excess); what it sends shows up as its outflow beyond its sales.
    assert (on.outflow[rich] - on.sold[rich]).sum() >= moved
    assert (on.received[poor] > off.received[poor]).any()
    assert on.sold[poor].sum() > off.sold[poor].sum()  # the same customers, more of them served


def test_response_plan_holds_typhoon_stockouts_down():
    sc = sim.load_scenario("scenarios/city_typhoon.yaml", {"run.horizon_days": 240})
    none = sim.run(sc, seed=1)
    respond = sim.run(sim.with_overrides(sc, {"policies.shock_response": "respond"}), seed=1)
    hit = "shock:typhoon"
    assert respond.kpi("stockout_rate", node_type=hit) < 0.5 * none.kpi("stockout_rate", node_type=hit)
    assert none.kpi("transfer_units") == 0 and respond.kpi("transfer_units") > 0
    series = respond.daily[(respond.daily.node_type == hit) & (respond.daily.metric == "on_hand_units")]
    before = series[series.day.between(220, 226)].value.mean()
    warned = series[series.day.between(228, 229)].value.mean()
    assert warned > before  # pre-positioned during the 3-day warning


class Recording(Observer):
    """Keeps every transfer the engine makes."""

    def __init__(self):
        self.moves = []

    def transferred(self, day, frm, to, skus, units, cost_per_unit):
        self.moves.append((frm, to, units))


def test_transfers_keep_channel_stocks_apart_in_split_mode():
    sc = sim.load_scenario("scenarios/city_typhoon.yaml", {"policies.inventory_mode": "split", "policies.shock_response": "respond",
                                                            "policies.transfers": "rebalance", "run.horizon_days": 240})
    recording = Recording()
    run = Simulation(sc, seed=2, observers=[recording]).execute()  # conservation is checked inside
    w = run.world
    frm = np.concatenate([m[0] for m in recording.moves])
    to = np.concatenate([m[1] for m in recording.moves])
    assert frm.size > 0
    online = w.node_ids.index("CW:online")
    fws = np.flatnonzero(w.node_type == 1)
    stores = np.flatnonzero(w.node_type == 2)
    # Online stock (the CW's online row, forward warehouses) and store stock never trade units.
    assert not np.isin(frm[np.isin(to, stores)], [online, *fws]).any()
    assert not np.isin(frm[np.isin(to, fws)], [w.node_index["CW"], *stores]).any()
    assert np.isin(to[np.isin(frm, [online])], fws).all()
