"""Delivery cost by origin and distance (``costs.last_mile_by_origin``, ``last_mile_per_km``) and a fixed
cost per delivery on replenishment lanes (``lanes[].cost_per_shipment``), against costs worked out by hand
from the scenario's own locations and tiers."""

import math

import numpy as np
import pytest

import simulation as sim
from simulation.engine.observers import Observer
from simulation.experiment.run import simulate
from simulation.metrics.kpis import kpi_table
from simulation.scenario import ScenarioError
from simulation.scenario.eligibility import candidates
from tests.conftest import SCENARIOS

COSTS = {"costs.last_mile_per_order": {"bopis": 1.0, "home_delivery": 5.0, "instant": 7.0},
         "costs.last_mile_by_origin": {"central_warehouse": {"home_delivery": {"fixed": 4.0, "per_km": 0.1}},
                                       "forward_warehouse": {"instant": 6.0},
                                       "store": {"home_delivery": {"fixed": 3.0, "per_km": 0.5}, "instant": {"fixed": 4.0, "per_km": 1.0}}}}
RUN = {"run.horizon_days": 60, "run.warmup_days": 0}


def by_hand(sc, node_id: str, zone_id: str, channel: str) -> float:
    """One shipment's last mile, from the scenario alone: the origin's fixed part, plus the per-km rate
    times the distance (0 from a node placed in the zone), times the zone tier's multiplier."""
    node = next(n for n in sc.network.nodes if n.id == node_id.split(":")[0])
    zone = next(z for z in sc.network.zones if z.id == zone_id)
    rate = COSTS["costs.last_mile_by_origin"].get(node.type, {}).get(channel, COSTS["costs.last_mile_per_order"][channel])
    fixed, per_km = (rate, 0.0) if isinstance(rate, float) else (rate["fixed"], rate["per_km"])
    km = 0.0 if node.zone == zone.id else math.hypot(node.location[0] - zone.location[0], node.location[1] - zone.location[1])
    return (fixed + per_km * km) * sc.costs.tier_cost_multiplier[zone.tier]


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_each_channels_last_mile_is_the_sum_of_its_shipments_costed_by_hand(mode):
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**COSTS, **RUN, "policies.inventory_mode": mode})
    run, ledger, stats = simulate(sc, seed=4, record_shipments=True)
    kpis = kpi_table(ledger, stats, run.world).set_index(["metric", "channel", "node_type"])["value"]
    ships, w = run.fulfilment.shipments, run.world
    channels = sim.scenario.ONLINE_CHANNELS
    types = set()
    for c, name in enumerate(channels):
        mine = ships["channel"] == c
        expected = sum(by_hand(sc, w.node_ids[n], w.zone_ids[z], name) for n, z in zip(ships["node"][mine], ships["zone"][mine],
                                                                                       strict=True))
        types |= {w.node_type[n] for n in ships["node"][mine]}
        assert mine.sum() > 20
        assert kpis[("cost_transport", name, "all")] == pytest.approx(expected, rel=1e-9)
    assert len(types) >= 2  # shipments left from more than one kind of node, so the origin mattered


def test_min_cost_sourcing_ranks_by_the_last_mile_from_each_node():
    """Instant orders near a ship-from-store and a forward warehouse: the faster forward warehouse comes
    first for the nearest rule and under min_cost while its last mile is cheap; priced out, the store."""
    base = {"policies.inventory_mode": "pool", "policies.sourcing": "min_cost", "network.nodes[id=S1].ship_from_store": True}
    def first(extra):
        sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**base, **extra})
        return candidates(sc, sc.network.zones[0])["instant"][0].node
    assert first({"costs.fulfilment_per_order.store": 1.5}) == "FW1"
    assert first({"costs.fulfilment_per_order.store": 1.5, "costs.last_mile_by_origin": {"forward_warehouse": {"instant": 50}}}) == "S1"


def test_a_cost_per_km_needs_locations():
    with pytest.raises(ScenarioError, match=r"costs.last_mile_by_origin.central_warehouse.home_delivery.per_km: .*CW"):
        sim.load_scenario(SCENARIOS / "tiny.yaml", {**COSTS, "network.nodes[0].location": None})


class Deliveries(Observer):
    """Replenishment deliveries counted from the stock itself: rows whose pipeline grew during the step."""

    def __init__(self):
        self.count = {}

    def started(self, world, state):
        self.node_type = world.node_type

    def step_started(self, step, day, state):
        if step == "replenishment":
            self.before = state.pipeline.copy()

    def step_finished(self, step, day, state):
        if step == "replenishment":
            for t in self.node_type[(state.pipeline > self.before).any(axis=1)]:
                self.count[t] = self.count.get(t, 0) + 1


def test_a_lane_charges_its_fixed_cost_once_per_delivery():
    lanes = {f"network.lanes[{i}].{field}": value for i in range(3) for field, value in
             (("cost_per_unit", 0.0), ("cost_per_order", 0.0), ("cost_per_shipment", 2.5))}
    free_last_mile = {"costs.last_mile_per_order": {"bopis": 0.0, "home_delivery": 0.0, "instant": 0.0}}
    sc = sim.load_scenario(SCENARIOS / "tiny.yaml", {**lanes, **free_last_mile, **RUN})  # transport: the lanes only
    counted = Deliveries()
    run, ledger, stats = simulate(sc, seed=2, observers=[counted])
    kpis = kpi_table(ledger, stats, run.world).set_index(["metric", "channel", "node_type"])["value"]
    assert sum(counted.count.values()) > 50
    for code, n in counted.count.items():
        assert kpis[("cost_transport", "all", sim.scenario.NODE_TYPES[code])] == pytest.approx(2.5 * n)
    assert np.isclose(kpis[("cost_transport", "all", "all")], 2.5 * sum(counted.count.values()))
