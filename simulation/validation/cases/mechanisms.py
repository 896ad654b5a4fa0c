"""Cases on the mechanisms one pool brings: a forecast-driven order-up-to on stationary demand, push allocation,
store records between counts, rebalancing across the pool, and two demand classes at one shared stock under each
channel-allocation rule."""

from __future__ import annotations

import numpy as np

from simulation.engine import Observer, Simulation
from simulation.policies.transfers import TRANSFER_DIRECTIONS, transfer_day
from simulation.scenario import scenario_from_dict
from simulation.validation import independent, theory
from simulation.validation.cases.checks import SEED, Check, case, check, difference
from simulation.validation.cases.worlds import copies, label, probe, with_stores


@case("forecast_order_up_to")
def forecast_order_up_to() -> list[Check]:
    """A stock reviewed daily that orders up to its smoothed forecast over the protection period plus z standard
    deviations of that forecast's error there (``forecast_order_up_to``): on stationary Poisson demand it reaches
    its target cycle service level (the share of days ending without a backorder), and runs as an independent
    implementation of the documented rule does."""
    lam, lead, alpha, target = 20.0, 2, 0.2, 0.9
    raw = copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                             "replenishment.central_warehouse": {"policy": "forecast_order_up_to", "alpha": alpha,
                                                                 "service_level": target},
                             "run.horizon_days": 1500})
    p = probe(raw)
    met = 1 - p.per_day("short", p.row("CW"))
    theirs = 1 - independent.forecast_order_up_to_short_days(lam, lead, alpha, target, 1500, 50, 400, SEED)
    group = "forecast-driven order-up-to"
    system = f"forecast order-up-to, daily review, smoothing alpha={alpha:g}, Poisson {lam:g}/day, backorders, L={lead}"
    n = label(p, [0])
    why = "normal approximation of Poisson demand over the protection period; the forecast and its error are estimates"
    return [check(group, system, "cycle service level (days ending without a backorder)", target, "its target", met, n,
                  tolerance=0.02, why=why),
            Check(group, system, "cycle service level (days ending without a backorder)", float(theirs.mean()),
                  "validation.independent (400 copies)", float(met.mean()), replicates=f"{n}; 400 copies independently",
                  **difference(met, theirs))]


@case("push")
def push() -> list[Check]:
    """Push allocation sends the node its planned demand for the horizon at every review, whatever it holds: what
    it receives is exactly its plan, and its net stock (on hand less backorders) follows plan less demand."""
    lam, lead, review, days = 5.0, 2, 7, 2000
    raw = copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                             "replenishment.central_warehouse": {"policy": "push", "review_period_days": review},
                             "run.horizon_days": days})
    run = Simulation(scenario_from_dict(raw), SEED).execute()
    cw = run.world.node_index["CW"]
    plan = round(lam * review)
    arrived = len(range(0, days - lead, review))  # pushes on days 0, 7, ... that arrive before the last day ends
    state = run.state
    group, system = "push allocation", f"push every {review} days of planned demand, Poisson {lam:g}/day, backorders, L={lead}"
    n = f"40 SKU copies x {days:,} days"
    net = (state.on_hand[cw] - state.backordered[cw]).astype(float)
    return [check(group, system, "units received", plan * arrived, f"the plan: {arrived} pushes of {plan}",
                  state.received[cw].astype(float), n),
            check(group, system, "net stock at the end (on hand - backorders)", plan * (1 + arrived) - lam * days,
                  "initial + pushes arrived - expected demand", net, n)]


@case("store_records")
def store_records() -> list[Check]:
    """Store records that drift from the shelf (unrecorded loss, mis-recorded sales) and are counted every few days:
    the share of store-SKU-days whose record equals the shelf, against its closed form (a random walk reset at each
    count), on a shelf that never runs out."""
    out = []
    for lam, shrink, scan, interval_days in ((3.0, 0.05, 0.2, 10), (1.0, 0.02, 0.1, 30)):
        raw = copies(40, lam, **with_stores([{"id": "S1"}], 1, **{
            "replenishment.store": {"policy": "base_stock", "S": 200},
            "policies": {"store_records": {"shrink_share": shrink, "scan_error_rate": scan, "count_interval_days": interval_days}}}))
        p = probe(raw)
        system = (f"store records: Poisson {lam:g} sold/day, {shrink:.0%} lost unrecorded, scan errors {scan:.0%}, "
                  f"counted every {interval_days} days")
        out.append(check("store records", system, "records matching the shelf",
                         theory.record_accuracy_poisson(lam, shrink, scan, interval_days), "theory.record_accuracy_poisson",
                         p.per_day("record_exact", p.row("S1")), label(p, [0])))
    return out


class _Rebalancing(Observer):
    """Recomputes every rebalancing day's moves from the state before them (``validation.independent``) and adds up
    both: units by direction, and the days whose moves differ."""

    def __init__(self, rule, push_days: int):
        self.rule, self.push_days = rule, push_days
        self.ours = dict.fromkeys(TRANSFER_DIRECTIONS[:3], 0)
        self.theirs = dict.fromkeys(TRANSFER_DIRECTIONS[:3], 0)
        self.days = self.different = 0

    def started(self, world, state) -> None:
        self.world = world
        # a pushed store's order-up-to level is its push: its planned demand over the push's days
        self.levels = np.rint(world.planning_mean * self.push_days).astype(np.int64)

    def step_started(self, step, day, state) -> None:
        if step != "transfers" or not transfer_day(self.rule, day):
            return
        self.expected = independent.rebalancing_moves(self.world, state.on_hand, state.position(), state.owed, self.levels,
                                                      self.rule)
        for direction, moves in self.expected.items():
            self.theirs[direction] += sum(moves.values())
        self.days += 1
        self.seen: dict[str, dict] = {d: {} for d in self.expected}

    def transferred(self, day, moves, cost) -> None:
        for f, t, k, q, d in zip(moves.frm, moves.to, moves.sku, moves.qty, moves.direction, strict=True):
            key = TRANSFER_DIRECTIONS[d]
            self.ours[key] += int(q)
            self.seen[key][(int(f), int(t), int(k))] = self.seen[key].get((int(f), int(t), int(k)), 0) + int(q)

    def step_finished(self, step, day, state) -> None:
        if step == "transfers" and transfer_day(self.rule, day):
            self.different += self.seen != self.expected


@case("rebalancing")
def rebalancing() -> list[Check]:
    """Rebalancing across one pool (lateral moves between stores, top-ups from the warehouse, pull-backs to it) moves
    on every transfer day exactly what its rule says, recomputed from the state before it by an independent
    statement of the rule; and no unit is made or lost (every node and SKU's audit balances)."""
    stores = [{"id": f"S{i}", "demand_scale": s} for i, s in enumerate((0.6, 1.0, 1.4, 2.2), 1)]
    rule = {"rule": "rebalance", "period_days": 3, "directions": ["lateral", "top_up", "pull_back"], "excess_cover_days": 8,
            "target_cover_days": 3}
    raw = copies(40, 2.0, **{
        "network.nodes": [{"id": "CW", "type": "central_warehouse"}, *[{"type": "store", **s} for s in stores]],
        "network.zones": [],
        "network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 3},
                          {"from": "CW", "to": [s["id"] for s in stores], "lead_time_days": 2, "order_unit": "case"}],
        "catalog.case_pack": 2, "policies": {"transfers": rule}, "run.horizon_days": 600,
        # pushed on a plan that misses each store-SKU's demand: some pile up stock, others run short
        "replenishment": {"central_warehouse": {"policy": "base_stock", "service_level": 0.9},
                          "store": {"policy": "push", "review_period_days": 5}, "planning_error": {"cv": 0.6}}})
    sc = scenario_from_dict(raw)
    watch = _Rebalancing(sc.policies.transfers, 5)
    run = Simulation(sc, SEED, observers=[watch]).execute()
    st = run.state
    balance = st.initial + st.received - st.outflow - st.spoiled - st.on_hand
    group, n = "rebalancing", f"{watch.days} transfer days, 4 stores x 40 SKUs"
    system = ("rebalancing every 3 days among 4 stores pushed on a plan with error (cv 0.6): lateral, top-up from the "
              "warehouse, pull-back to it; case lanes (2 units)")
    out = [Check(group, system, f"units moved, {d.replace('_', '-')}", float(watch.theirs[d]),
                 "validation.independent.rebalancing_moves", float(watch.ours[d]), 0.0, 0.0, n) for d in watch.ours]
    out.append(Check(group, system, "transfer days whose moves differ from the rule's", 0.0,
                     "validation.independent.rebalancing_moves", float(watch.different), 0.0, 0.0, n))
    out.append(Check(group, system, "largest unit imbalance of a node and SKU (initial + received - out - on hand)", 0.0,
                     "conservation", float(np.abs(balance).max()), 0.0, 0.0, n))
    return out


def _shared(rule: dict, review_days: int, lam_online: float, lam_store: float, stock: int) -> dict:
    """One pooled warehouse (base stock ``stock``, one-day lead) serving parcels that are lost when short and
    supplying one store that never runs out and reviews every ``review_days`` days, one day away."""
    total = lam_online + lam_store
    return copies(40, total, **{
        "network.nodes": [{"id": "CW", "type": "central_warehouse", "location": [0, 0], "capacity_orders_per_hour": 100000},
                          {"id": "S1", "type": "store", "demand_scale": lam_store / total, "location": [50, 0]}],
        "network.zones": [{"id": "Z", "tier": 1, "location": [0, 0], "demand_scale": lam_online / total,
                           "channel_mix": {"home_delivery": 1.0}}],
        "network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 1}, {"from": "CW", "to": "S1", "lead_time_days": 1}],
        "channels": {"home_delivery": {"promise_hours": 48, "transit_hours": 0, "unfilled": "lost"}},
        "policies": {"inventory_mode": "pool", "allocation": rule},
        "replenishment.central_warehouse": {"policy": "base_stock", "S": stock},
        "replenishment.store": {"policy": "order_up_to", "review_period_days": review_days, "S": 100000}})


@case("channel_allocation")
def channel_allocation() -> list[Check]:
    """Online orders and a store's replenishment at one pooled warehouse, under each rule of who comes first
    (``policies.allocation``), against an exact Markov chain of the warehouse's debt to the store: online fill and
    the share of the store's requested units shipped the night it asks."""
    lam_online, lam_store, stock, review = 4.0, 3.0, 9, 2
    rules = {"online_first": ({"rule": "online_first"}, 0), "first_come": ({"rule": "first_come"}, 0),
             "store_first": ({"rule": "store_first"}, 0), "reserve": ({"rule": "reserve", "reserve_days": 1.0}, 3)}
    out, group = [], "two classes at one pooled stock"
    for name, (rule, reserved) in rules.items():
        p = probe(_shared(rule, review, lam_online, lam_store, stock))
        exact = theory.two_class_allocation(lam_online, lam_store, stock, name, review, reserved)
        system = (f"{name}: warehouse base stock {stock}, L=1; parcels Poisson {lam_online:g}/day (lost); a store's requests, "
                  f"Poisson {lam_store:g}/day, every {review} days" + (f"; {reserved} units reserved" if reserved else ""))
        n = label(p, [0])
        out += [check(group, system, "online fill rate", exact.online_fill, "theory.two_class_allocation",
                      p.fill_rate(p.row("CW"), "online"), n),
                check(group, system, "store's units shipped the day asked", exact.same_day_fill, "theory.two_class_allocation",
                      p.replenishment_fill(p.row("S1")), n)]
    return out

