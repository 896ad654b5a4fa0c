"""Omnichannel fulfilment: sourcing rules on hand-built networks, eligibility audits on the city,
BOPIS store choice, record inaccuracy against its closed form, cut-offs, and split vs pool."""

import math

import numpy as np
import pytest

import simulation as sim
from simulation import kernels
from simulation.engine import Simulation, next_cutoff
from simulation.experiment.run import simulate
from simulation.scenario import NODE_TYPES, ONLINE_CHANNELS
from simulation.scenario.eligibility import distance_km
from simulation.world.network import compile_world
from tests.conftest import single_node

BOPIS, HOME, INSTANT = (ONLINE_CHANNELS.index(c) for c in ("bopis", "home_delivery", "instant"))


def corner(**policies) -> dict:
    """A CW far out, a forward warehouse and a ship-from-store beside zone Z (marked so under one pool only: split
    stock refuses the mark), a plain store, and a forward warehouse 5 km away (outside the 3 km instant radius)."""
    return {
        "name": "corner",
        "network": {
            "nodes": [
                {"id": "CW", "type": "central_warehouse", "location": [20, 0], "capacity_orders_per_hour": 100, "pickers": 10},
                {"id": "FW", "type": "forward_warehouse", "location": [0, 0], "capacity_orders_per_hour": 45, "pickers": 6},
                {"id": "SFS", "type": "store", "location": [0.5, 0], "ship_from_store": policies["inventory_mode"] == "pool",
                 "capacity_orders_per_hour": 12, "pickers": 2},
                {"id": "S", "type": "store", "location": [1.0, 0], "capacity_orders_per_hour": 12, "pickers": 2},
                {"id": "FAR", "type": "forward_warehouse", "location": [5, 0], "capacity_orders_per_hour": 45, "pickers": 10},
            ],
            "zones": [{"id": "Z", "tier": 1, "location": [0, 0]}],
            "lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 3},
                      {"from": "CW", "to": ["FW", "SFS", "S", "FAR"], "lead_time_days": 1}],
        },
        "catalog": {"skus": 2},
        "channels": {"home_delivery": {"transit_hours": 24, "local_transit_hours": 4}},
        "policies": policies,
        "run": {"horizon_days": 20, "warmup_days": 0},
    }


def source(world, on_hand, channel, lines, rule="nearest"):
    """Source one order of zone 0 through the engine's kernel with ample picking capacity."""
    n_ch = len(ONLINE_CHANNELS)
    whole = np.array([rule == "single_node_first"] * n_ch)
    choose = np.array([c == BOPIS for c in range(n_ch)])
    quota = np.full((world.n_nodes, n_ch), 1000, np.int64)
    skus = np.array([k for k, _ in lines], np.int64)
    qty = np.array([q for _, q in lines], np.int64)
    order = kernels.OrderLines(zone=np.array([0]), channel=np.array([channel]), hour=np.zeros(1),
                               line_start=np.array([0, len(lines)]), line_sku=skus, line_qty=qty)
    node, filled, _ = kernels.source_orders(
        kernels.empty_stock(on_hand.shape, on_hand=on_hand), order, world.cand_node, whole, choose,
        np.zeros((world.n_nodes, n_ch), np.int64), None, np.zeros(world.n_nodes), np.ones(len(lines)), quota,
        np.zeros(len(lines)), kernels.exact_view(world.n_nodes))
    return [world.node_ids[n] for n in node], filled.tolist()


def stock(world, **units):
    """on_hand with given [sku0, sku1] units per node id, zero elsewhere."""
    out = np.zeros((world.n_nodes, 2), np.int64)
    for node, row in units.items():
        out[world.node_index[node]] = row
    return out


def ranked(world, channel):
    return [world.node_ids[n] for n in world.cand_node[0, channel] if n >= 0]


def test_candidates_are_ranked_by_the_rule_and_respect_eligibility():
    nearest = compile_world(sim.scenario_from_dict(corner(inventory_mode="pool")))
    # fastest first: local transit beats the CW's; then the quickest picker (hours per order per picker)
    assert ranked(nearest, HOME) == ["FW", "SFS", "FAR", "CW"]
    assert ranked(nearest, INSTANT) == ["FW", "SFS"]     # never a CW; FAR is outside 3 km; S does not ship
    assert ranked(nearest, BOPIS) == ["SFS", "S"]        # BOPIS: stores by distance, whatever the rule
    cheap = compile_world(sim.scenario_from_dict(corner(inventory_mode="pool", sourcing="min_cost")))
    assert ranked(cheap, HOME) == ["CW", "FW", "FAR", "SFS"]  # per-shipment cost 1.0 < 1.5 = 1.5 < 2.5
    split = compile_world(sim.scenario_from_dict(corner(inventory_mode="split")))
    assert ranked(split, HOME) == ["CW:online"]          # split: parcels only from the CW's online stock
    assert ranked(split, INSTANT) == ["FW"]              # split: instant only from forward-warehouse stock
    assert split.source[split.node_index["FW"]] == split.node_ids.index("CW:online")
    assert split.source[split.node_index["S"]] == split.node_index["CW"]


def test_each_rule_sends_the_order_to_the_known_node():
    w = compile_world(sim.scenario_from_dict(corner(inventory_mode="pool")))
    everywhere = {"CW": [9, 9], "FW": [9, 9], "SFS": [9, 9]}
    assert source(w, stock(w, **everywhere), HOME, [(0, 1), (1, 2)]) == (["FW", "FW"], [1, 2])
    cheap = compile_world(sim.scenario_from_dict(corner(inventory_mode="pool", sourcing="min_cost")))
    assert source(cheap, stock(cheap, **everywhere), HOME, [(0, 1), (1, 2)]) == (["CW", "CW"], [1, 2])
    # FW holds only SKU 0, the ship-from-store both: nearest splits, single_node_first does not.
    partial = {"FW": [5, 0], "SFS": [5, 5]}
    assert source(w, stock(w, **partial), HOME, [(0, 1), (1, 1)]) == (["FW", "SFS"], [1, 1])
    whole = compile_world(sim.scenario_from_dict(corner(inventory_mode="pool", sourcing="single_node_first")))
    assert source(whole, stock(whole, **partial), HOME, [(0, 1), (1, 1)], "single_node_first") == (["SFS", "SFS"], [1, 1])
    # ... and splits only when no single node can fill the order.
    apart = {"FW": [5, 0], "SFS": [0, 5]}
    assert source(whole, stock(whole, **apart), HOME, [(0, 1), (1, 1)], "single_node_first") == (["FW", "SFS"], [1, 1])
    # A line no node can fill in full takes what the first node with some stock has.
    assert source(w, stock(w, FW=[0, 0], SFS=[2, 0], CW=[1, 0]), HOME, [(0, 3)]) == (["SFS"], [2])


def test_bopis_customer_takes_the_nearest_store_showing_all_lines():
    w = compile_world(sim.scenario_from_dict(corner(inventory_mode="split")))
    assert source(w, stock(w, SFS=[3, 3], S=[3, 3]), BOPIS, [(0, 1), (1, 1)]) == (["SFS", "SFS"], [1, 1])
    assert source(w, stock(w, SFS=[3, 0], S=[3, 3]), BOPIS, [(0, 1), (1, 1)]) == (["S", "S"], [1, 1])
    # Neither shows every line: the store covering most lines, the nearest on ties; never split.
    assert source(w, stock(w, SFS=[3, 0], S=[0, 3]), BOPIS, [(0, 1), (1, 1)]) == (["SFS", "SFS"], [1, 0])
    assert source(w, stock(w, SFS=[0, 0], S=[3, 0]), BOPIS, [(0, 1), (1, 1)]) == (["S", "S"], [1, 0])


def test_a_closed_store_is_not_chosen_for_pickup():
    w = compile_world(sim.scenario_from_dict(corner(inventory_mode="split")))
    on_hand = stock(w, SFS=[3, 3], S=[3, 3])
    quota = np.full((w.n_nodes, len(ONLINE_CHANNELS)), 10, np.int64)
    quota[w.node_index["SFS"], BOPIS] = 0
    n_ch = len(ONLINE_CHANNELS)
    order = kernels.OrderLines(zone=np.array([0]), channel=np.array([BOPIS]), hour=np.zeros(1), line_start=np.array([0, 1]),
                               line_sku=np.array([0]), line_qty=np.array([1]))
    node, filled, _ = kernels.source_orders(
        kernels.empty_stock(on_hand.shape, on_hand=on_hand), order, w.cand_node, np.zeros(n_ch, bool),
        np.arange(n_ch) == BOPIS, np.zeros((w.n_nodes, n_ch), np.int64), None, np.zeros(w.n_nodes), np.ones(1), quota,
        np.zeros(1), kernels.exact_view(w.n_nodes))
    assert w.node_ids[node[0]] == "S" and filled[0] == 1


@pytest.fixture(scope="module")
def city_runs(tmp_path_factory):
    """60 days of the city in each mode with every shipment recorded (city_pool marks every third store to ship)."""
    runs = {}
    for mode in ("split", "pool"):
        sc = sim.load_scenario(f"scenarios/city_{mode}.yaml", {"run.horizon_days": 60, "run.warmup_days": 10})
        runs[mode] = Simulation(sc, seed=3, record_shipments=True).execute()
    return runs


@pytest.mark.parametrize("mode", ["split", "pool"])
def test_no_shipment_breaks_eligibility(city_runs, mode):
    run = city_runs[mode]
    w, sc = run.world, run.scenario
    order, node = run.fulfilment.shipments["order"], run.fulfilment.shipments["node"]
    channel, zone = run.fulfilment.shipments["channel"], run.fulfilment.shipments["zone"]
    assert order.size > 10_000
    nodes = {n.id: n for n in sc.network.nodes}
    zones = sc.network.zones
    kind = np.array(NODE_TYPES)[w.node_type[node]]
    for c, name in enumerate(ONLINE_CHANNELS):
        mine = channel == c
        if name == "instant":
            assert set(kind[mine]) <= ({"forward_warehouse", "store"} if mode == "pool" else {"forward_warehouse"})
        if name == "bopis":
            assert set(kind[mine]) == {"store"}
        if name == "home_delivery" and mode == "split":
            assert {w.node_ids[n] for n in np.unique(node[mine])} == {"CW:online"}
        for n, z in set(zip(node[mine].tolist(), zone[mine].tolist(), strict=True)):
            assert n in w.cand_node[z, c], f"{name} order of zone {zones[z].id} shipped from ineligible {w.node_ids[n]}"
            if name == "instant":
                here = nodes[w.node_ids[n]]
                assert distance_km(here.location, zones[z].location) <= sc.policies.instant_radius_km
            if NODE_TYPES[w.node_type[n]] == "store" and name != "bopis":  # n is a node: its type, not a shipment's
                assert mode == "pool" and nodes[w.node_ids[n]].ship_from_store


def test_pool_ships_from_stores_and_splits_more(city_runs):
    def from_stores(run, channel):
        mine = run.fulfilment.shipments["channel"] == channel
        return (run.world.node_type[run.fulfilment.shipments["node"][mine]] == NODE_TYPES.index("store")).mean()
    assert from_stores(city_runs["split"], HOME) == 0 and from_stores(city_runs["pool"], HOME) > 0.05


def test_record_inaccuracy_matches_its_closed_form():
    """Every BOPIS line fails with chance rho, so an order of 1 + Poisson(m - 1) lines meets a no-stock
    failure with chance 1 - E[(1 - rho)^L] = 1 - (1 - rho) exp(-(m - 1) rho)."""
    rho, m = 0.1, 2.2
    sc = sim.load_scenario("scenarios/city.yaml", {"network.nodes[type=store].record_inaccuracy": rho,
                                                   "run.horizon_days": 90, "run.warmup_days": 10})
    orders = sim.run(sc, seed=11).orders
    bopis = orders[(orders.channel == "bopis") & (orders.created_day >= 10)]
    failed = (bopis.record_failures > 0).to_numpy()
    theory = 1 - (1 - rho) * math.exp(-(m - 1) * rho)
    half = 2.576 * failed.std() / math.sqrt(failed.size)
    assert abs(failed.mean() - theory) <= half, (failed.mean(), theory, half, failed.size)


def test_online_promotion_cannibalises_store_traffic():
    base = sim.load_scenario("scenarios/tiny.yaml", {"demand.promotions": [], "demand.shocks": []})
    promo = sim.with_overrides(base, {"demand.promotions": [
        {"name": "online-sale", "start_day": 30, "end_day": 90, "lift": 1.5, "channels": ["home_delivery"],
         "cannibalise": {"walk_in": 0.32}}]})
    def walk_in(res):
        return res.kpi("demand_units", "walk_in")
    a, b = sim.run(base, seed=5), sim.run(promo, seed=5)
    # 60 of the 100 measured days lose 32% of walk-in demand: expect 1 - 0.32 * 0.6 = 0.808 of it.
    assert walk_in(b) / walk_in(a) == pytest.approx(1 - 0.32 * 0.6, abs=0.02)
    assert b.kpi("demand_units", "home_delivery") > 1.2 * a.kpi("demand_units", "home_delivery")


def test_parcels_leave_at_the_next_carrier_cutoff():
    cut = np.array([[11.0, 17.0, np.nan], [np.nan, np.nan, np.nan]])
    hours = np.array([24 * 2 + 9.0, 24 * 2 + 17.0, 24 * 2 + 20.0, 24 * 2 + 20.0])
    rows = cut[[0, 0, 0, 1]]
    np.testing.assert_allclose(next_cutoff(hours, rows), [24 * 2 + 11, 24 * 2 + 17, 24 * 3 + 11, 24 * 2 + 20])


@pytest.mark.parametrize("mode", ["split", "pool"])
@pytest.mark.parametrize("rule", ["nearest", "min_cost", "single_node_first"])
def test_units_are_conserved_with_shocks_and_transfers_in_every_mode(tiny_path, mode, rule):
    pooled = {"policies.store_protection_units": 1, "network.nodes[id=S1].ship_from_store": True} if mode == "pool" else {}
    sc = sim.load_scenario(tiny_path, {"policies.inventory_mode": mode, "policies.sourcing": rule, **pooled,
                                       "policies.shock_response": "respond",
                                       "policies.transfers": {"rule": "rebalance", "node_types": ["store", "forward_warehouse"],
                                                              "directions": ["lateral", "top_up", "pull_back"],
                                                              "excess_cover_days": 3, "target_cover_days": 1}})
    run, ledger, _ = simulate(sc, seed=2)  # execute() checks conservation and raises on any leak
    assert run.state.sold.sum() > 0 and (run.state.on_hand >= 0).all()
    assert ledger.sums[("transfer_units", "all", "store")] > 0  # transfers did move stock
    run.check_conservation()


def test_regression_city_pool_vs_split_seed_7():
    """A seeded regression test, not evidence: on seed 7 the bundled city's pool held fewer days of
    inventory (by about 1%) at equal or better online fill when this test was written. A change that
    flips it deserves a look; the evidence for the seed claim is ``experiments/split_vs_pool.py``'s paired
    comparison with its confidence interval."""
    split, pool = (sim.run(sim.load_scenario(f"scenarios/city_{m}.yaml"), seed=7) for m in ("split", "pool"))
    assert pool.kpi("days_of_inventory") < split.kpi("days_of_inventory")
    for channel in ("home_delivery", "instant"):
        assert pool.kpi("fill_rate_units", channel) >= split.kpi("fill_rate_units", channel)


def test_a_shipment_takes_the_same_picking_time_under_every_policy():
    """Common random numbers reach picking: at a node with exponential picking times, an order shipped
    in full at once takes the same picking time whatever else the policy changed (here, how many other
    orders go unfilled), because each line's picking work is drawn when the order arrives."""
    def orders(base_stock):
        raw = single_node(**{
            "network.nodes": [{"id": "CW", "type": "central_warehouse", "open_hour": 0, "close_hour": 24, "pickers": 50,
                               "pick_time": "exponential", "capacity_orders_per_hour": 100.0}],
            "channels.home_delivery": {"promise_hours": 48, "transit_hours": 0, "unfilled": "lost"},
            "replenishment.central_warehouse": {"policy": "base_stock", "S": base_stock},
            "run.horizon_days": 200, "run.warmup_days": 0, "run.order_sample": 10**6})
        return sim.run(sim.scenario_from_dict(raw), seed=3).orders.set_index("order_id")

    ample, short = orders(40), orders(9)
    assert (short.lost_units > 0).sum() > 50 and (ample.lost_units > 0).sum() < (short.lost_units > 0).sum()
    both = ample.index[(ample.lines_first == ample.lines).to_numpy() & (short.lines_first == short.lines).reindex(ample.index).to_numpy()]
    assert len(both) > 500
    picking = {name: (o.ready_hour - o.created_hour)[both] for name, o in (("ample", ample), ("short", short))}
    assert picking["ample"].std() > 0.1  # exponential times (mean 0.5 h at one picker's 2 orders an hour), no queue
    np.testing.assert_array_equal(picking["ample"].to_numpy(), picking["short"].to_numpy())
