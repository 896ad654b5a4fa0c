"""Cases on networks and queues: picking queues (M/M/c), the serial system, one warehouse with several
retailers against stockpyl's simulator, and two demand classes sharing a store's stock."""

from __future__ import annotations

import numpy as np

from simulation.experiment.run import run as run_scenario
from simulation.scenario import scenario_from_dict
from simulation.validation import theory
from simulation.validation.cases.checks import BATCHES, OWMR_COPIES, SAMPLE_HOURS, SEED, Check, case, check, difference
from simulation.validation.cases.worlds import copies, label, local_network, probe, probed, single_node
from simulation.validation.peers import OWMR, load_owmr


def number_in_system(created: np.ndarray, ready: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Orders at the node at each of ``times``: created by then and not yet picked (``ready`` NaN: never).

    >>> number_in_system(np.array([0.0, 1.0, 1.5]), np.array([2.0, 1.2, np.nan]), np.array([0.5, 1.1, 1.6, 3.0]))
    array([1, 2, 2, 1])
    """
    done = np.sort(np.where(np.isnan(ready), np.inf, ready))
    return np.searchsorted(np.sort(created), times, side="right") - np.searchsorted(done, times, side="right")


@case("picking_queues")
def picking_queues() -> list[Check]:
    """One node open round the clock, Poisson orders (one unit each, ample stock), exponential picking
    by c pickers: the time from order to picked is the M/M/c sojourn time (Erlang C). The number of
    orders at the node is measured apart from the sojourn times, by counting the orders present at
    instants every SAMPLE_HOURS through the day, and compared with the theory's time average (L = lambda W).
    Replicates are BATCHES equal blocks of days (batch means: each block is long against the queue's memory)."""
    out, group = [], "picking queues"
    for lam, mu, c in ((2.0, 3.0, 1), (5.0, 2.0, 3), (1.5, 1.0, 2)):
        raw = single_node(**{
            "network.nodes": [{"id": "CW", "type": "central_warehouse", "open_hour": 0, "close_hour": 24, "pickers": c,
                               "pick_time": "exponential", "capacity_orders_per_hour": mu * c}],
            "catalog.mean_daily_units": lam * 24, "demand.online.hourly_profile": [1.0] * 24,
            "replenishment.central_warehouse": {"policy": "base_stock", "S": int(lam * 24 * 6)},
            "run.horizon_days": 3600, "run.order_sample": 10**7})
        sc = scenario_from_dict(raw)
        every = run_scenario(sc, seed=SEED).orders
        warm, days = sc.run.warmup_days, sc.run.horizon_days - sc.run.warmup_days
        orders = every[every.created_day >= warm]
        sojourn = (orders.ready_hour - orders.created_hour).to_numpy()
        block = (orders.created_day.to_numpy() - warm) * BATCHES // days
        waits = np.bincount(block, weights=sojourn, minlength=BATCHES) / np.bincount(block, minlength=BATCHES)
        instants = 24.0 * warm + SAMPLE_HOURS * (np.arange(int(24 * days / SAMPLE_HOURS)) + 0.5)
        present = number_in_system(every.created_hour.to_numpy(), every.ready_hour.to_numpy(), instants)
        at_block = ((instants // 24 - warm) * BATCHES // days).astype(int)
        counted = np.bincount(at_block, weights=present, minlength=BATCHES) / np.bincount(at_block, minlength=BATCHES)
        n = f"{BATCHES} batches of {days // BATCHES} days ({len(orders):,} orders)"
        system = f"M/M/{c}: {lam:g} orders/h, {mu:g} picks/h per picker, {c} picker{'s' if c > 1 else ''}"
        out.append(check(group, system, "hours from order to picked", theory.mmc_sojourn_hours(lam, mu, c),
                         "theory.mmc_sojourn_hours (Erlang C)", waits, n))
        out.append(check(group, system, f"orders at the node (counted every {SAMPLE_HOURS:g} h)",
                         theory.mmc_number_in_system(lam, mu, c), "theory.mmc_number_in_system (Erlang C, L = lambda W)",
                         counted, f"{n}; {instants.size:,} instants"))
    return out


@case("serial")
def serial() -> list[Check]:
    out, group = [], "two-echelon serial"
    lam, L1, L2, h1, h2, b = 4.0, 1, 2, 2.0, 1.0, 19.0
    optimum = theory.clark_scarf_poisson(lam, L1, L2, h1, h2, b)
    for S1, S2 in (optimum.local_base_stock, (5, 4)):
        raw = copies(40, lam, **local_network(["FW"], 1, True, "CW", L1, cw_lead=L2, **{
            "replenishment.forward_warehouse": {"policy": "base_stock", "S": S1},
            "replenishment.central_warehouse": {"policy": "base_stock", "S": S2}}))
        p = probe(raw)
        fw, cw = p.row("FW"), p.row("CW")
        th = theory.serial_two_echelon_poisson(lam, L1, L2, S1, S2)
        tag = "Clark-Scarf optimum" if (S1, S2) == optimum.local_base_stock else "warehouse often short"
        system = f"supplier -L2={L2}-> warehouse -L1={L1}-> retailer, Poisson lambda={lam:g}: S1={S1}, S2={S2} ({tag})"
        n, source = label(p, [0]), "theory.serial_two_echelon_poisson"
        cost = h1 * p.per_day("on_hand", fw) + b * p.per_day("backordered", fw) + h2 * (p.per_day("on_hand", cw) + lam * L1)
        out += [check(group, system, "retailer fill rate", th.retailer.fill_rate, source, p.fill_rate(fw), n),
                check(group, system, "retailer on hand", th.retailer.on_hand, source, p.per_day("on_hand", fw), n),
                check(group, system, "warehouse on hand", th.warehouse_on_hand, source, p.per_day("on_hand", cw), n),
                check(group, system, "warehouse owes retailer", th.warehouse_owed, source, p.per_day("owed", fw), n)]
        if tag == "Clark-Scarf optimum":
            out.append(check(group, system, f"cost/day (h1={h1:g}, h2={h2:g}, p={b:g})", optimum.expected_cost,
                             "theory.clark_scarf_poisson", cost, n))
    return out


@case("one_warehouse_multi_retailer")
def one_warehouse_multi_retailer() -> list[Check]:
    """The engine against stockpyl's simulator on the same network (:data:`peers.OWMR`): one
    warehouse (lead 2 days, base stock 20) and three retailers (lead 1 day, base stock 5, Poisson 3/day
    each, backorders). A short warehouse serves retailers in index order in both (stockpyl's rule; the
    engine's priority rationing). stockpyl's replications are stored (``python -m
    simulation.validation.peers``); the engine runs OWMR_COPIES SKU copies, so each side's standard error
    is a few hundredths of a percentage point of fill rate and the check has the power its row states."""
    q = OWMR
    fws = [f"FW{i}" for i in range(q["retailers"])]
    raw = copies(OWMR_COPIES, q["demand"], **local_network(fws, q["retailers"], False, "CW", q["retailer_lead"], ranked=True,
                                                           cw_lead=q["warehouse_lead"], **{
        "replenishment.forward_warehouse": {"policy": "base_stock", "S": q["retailer_S"]},
        "replenishment.central_warehouse": {"policy": "base_stock", "S": q["warehouse_S"]},
        "replenishment.rationing": "priority", "run.horizon_days": q["periods"]}))
    # Lines wait at most 60 days (settled orders leave the order book, which keeps memory small); none
    # comes near it in this network, and a cancelled line would make it a different system than stockpyl's.
    raw["channels"]["instant"]["max_wait_days"] = 60
    p, stats = probed(raw)
    cancelled = stats.sums["lost_sales_units"].sum()
    if cancelled:
        raise RuntimeError(f"{cancelled:.0f} backordered units waited 60 days and were cancelled: not stockpyl's system")
    ours = {"warehouse on hand": p.per_day("on_hand", p.row("CW"))}
    for i, f in enumerate(fws):
        ours[f"retailer {i + 1} fill rate"] = p.fill_rate(p.row(f))
        ours[f"retailer {i + 1} on hand"] = p.per_day("on_hand", p.row(f))
    theirs = load_owmr()
    reps = len(theirs["warehouse on hand"])
    system = (f"1 warehouse (L={q['warehouse_lead']}, S={q['warehouse_S']}) -> {q['retailers']} retailers "
              f"(L={q['retailer_lead']}, S={q['retailer_S']}, Poisson {q['demand']:g}/day each), backorders")
    n = f"{label(p, [0])}; stockpyl {reps} x {q['periods'] - q['warmup']:,} periods"
    return [Check("one warehouse, multiple retailers", system, k, float(np.mean(theirs[k])), "stockpyl sim (simulated)",
                  float(np.mean(ours[k])), replicates=n, **difference(ours[k], theirs[k])) for k in ours]


@case("shared_pool")
def shared_pool() -> list[Check]:
    """Two channels sell from one store's stock: walk-in customers first each day, then home-delivery
    orders shipped from the store (both lost when short). Base stock S with a one-day lead time, so
    every day opens with S: walk-in sells min(S, D1), online min((S - D1)^+, D2)."""
    lam_walk, lam_online, S = 4.0, 3.0, 8
    raw = copies(40, lam_walk + lam_online, **{
        "network.nodes": [{"id": "CW", "type": "central_warehouse", "location": [500, 0]},
                          {"id": "S1", "type": "store", "demand_scale": lam_walk / (lam_walk + lam_online), "location": [0, 0],
                           "ship_from_store": True, "open_hour": 0, "close_hour": 24, "capacity_orders_per_hour": 100000}],
        "network.zones": [{"id": "Z", "tier": 1, "location": [0, 0], "demand_scale": lam_online / (lam_walk + lam_online),
                           "channel_mix": {"home_delivery": 1.0}}],
        "network.lanes": [{"from": "supplier", "to": ["CW", "S1"], "lead_time_days": 1}],
        "channels": {"home_delivery": {"promise_hours": 48, "transit_hours": 0, "unfilled": "lost"}},
        "policies": {"inventory_mode": "pool", "parcel_capacity_share": 1.0},
        "replenishment.central_warehouse": {"policy": "base_stock", "S": 0},
        "replenishment.store": {"policy": "base_stock", "S": S}})
    p = probe(raw)
    walk, online = theory.shared_stock_priority_fill(lam_walk, lam_online, S)
    row, n = p.row("S1"), label(p, [0])
    system = f"one store stock, walk-in {lam_walk:g}/day first, ship-from-store {lam_online:g}/day second, S={S}, L=1, lost sales"
    return [check("channels sharing one pool", system, "walk-in fill rate", walk, "theory.shared_stock_priority_fill",
                  p.fill_rate(row, "walk_in"), n),
            check("channels sharing one pool", system, "home-delivery fill rate", online, "theory.shared_stock_priority_fill",
                  p.fill_rate(row, "online"), n)]
