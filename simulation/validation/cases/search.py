"""Cases on the policy search (``invsim optimize``): on systems whose optimum is known exactly, the search (TPE
proposals, one-sided feasibility, Kim & Nelson's selection) must choose that optimum, and what it measures at its
choice must be what theory expects there."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from simulation.experiment.optimize import optimize
from simulation.experiment.selection import kim_nelson
from simulation.scenario import scenario_from_dict
from simulation.validation import theory
from simulation.validation.cases.checks import PER_CHECK_LEVEL, POWER, SEED, Check, case, check
from simulation.validation.cases.worlds import copies, probe, with_stores

GROUP = "policy search"
NO_COSTS = {"fulfilment_per_order": {"central_warehouse": 0, "forward_warehouse": 0, "store": 0},
            "last_mile_per_order": {"bopis": 0, "home_delivery": 0, "instant": 0}}


def _exact(system: str, quantity: str, chosen: float, optimum: float, source: str, replicates: str) -> Check:
    """The search's choice against the exact optimum: equal, or the check fails (no interval: one choice)."""
    return Check(GROUP, system, quantity, float(optimum), source, float(chosen), half_width=0.0, std_error=0.0,
                 replicates=replicates)


def _days(raw: dict) -> int:
    """Days a run measures (after its warm-up)."""
    return raw["run"]["horizon_days"] - raw["run"]["warmup_days"]


@case("search_critical_fractile")
def search_critical_fractile() -> list[Check]:
    """Minimise holding plus backorder cost over a base stock S (backorders, Poisson demand): the newsvendor on
    lead-time demand, so the optimum is the critical-fractile level, the smallest S with P[D_L <= S] >= b / (b + h)
    (stockpyl's newsvendor_poisson on D_L), and the expected cost per SKU-day h E[on hand] + b E[backorders] is exact
    at every S (theory.base_stock_poisson)."""
    from stockpyl.newsvendor import newsvendor_poisson

    lam, lead, h, b, skus = 5.0, 2, 1.0, 9.0, 40
    best = int(newsvendor_poisson(h, b, lam * lead)[0])
    raw = copies(skus, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                               "replenishment.central_warehouse": {"policy": "base_stock", "S": 10}})
    # Holding 36.5 a year on a unit cost of 10: h = 1 a unit-day; each unit owed at a day's end costs b; nothing else.
    raw["costs"] = {"holding_rate_per_year": 36.5 * h, "backorder_per_unit_day": b, **NO_COSTS}
    raw["run"] = {"horizon_days": 250, "warmup_days": 50}
    result = optimize(scenario_from_dict(raw), ["replenishment.central_warehouse.S=5..25"], "cost_total", budget=15,
                      replications=2, seed=SEED, first_stage=6, progress=False)
    chosen = result.selection[result.selection["chosen"]].iloc[0]
    S = int(result.chosen["replenishment.central_warehouse.S"])
    th = theory.base_stock_poisson(lam, lead, S)
    system = (f"search S in 5..25 minimising holding (h={h:g}/unit-day) + backorders (b={b:g}/unit-day): base stock, "
              f"Poisson lambda={lam:g}/day, L={lead}, backorders (critical fractile {b / (b + h):g})")
    n = f"15 points x 2 replications; KN: {int(chosen['replications'])} replications of the choice"
    return [_exact(system, "level chosen", S, best, "stockpyl newsvendor.newsvendor_poisson on lead-time demand", n),
            check(GROUP, system, "cost per SKU-day at the choice", h * th.on_hand + b * th.backorders, "theory.base_stock_poisson",
                  result.chosen_runs("cost_total") / (skus * _days(raw)), n)]


@case("search_s_S_fixed_cost")
def search_s_S_fixed_cost() -> list[Check]:
    """Minimise holding + backorder + ordering cost over (s, S) (min_max, a fixed cost K a SKU's order, backorders,
    Poisson demand, one-day lead time: the engine's day is Zheng & Federgruen's period with its order in hand before
    the day's demand). The cost surface is flat near its optimum (the next best points are within 0.1%), so what the
    search guarantees is KN's: a choice within the indifference zone (here 1% of the optimal cost; 8 of the 162
    points qualify) of the best, with probability at least 95%. The choice's exact cost (stockpyl's s_s_cost_discrete)
    is checked against the exact optimum's (stockpyl's s_s_discrete_exact), and the engine's cost there against it."""
    from stockpyl.ss import s_s_cost_discrete, s_s_discrete_exact

    lam, h, b, K, skus = 5.0, 1.0, 9.0, 20.0, 40
    s_best, S_best, optimum = s_s_discrete_exact(h, b, K, True, lam)
    raw = copies(skus, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 1, "cost_per_order": K}],
                               "replenishment.central_warehouse": {"policy": "min_max", "s": 3, "S": 17}})
    raw["costs"] = {"holding_rate_per_year": 36.5 * h, "backorder_per_unit_day": b, **NO_COSTS}
    raw["run"] = {"horizon_days": 250, "warmup_days": 50}
    zone = 0.01 * optimum
    # Every s below every S, so each proposal is a valid policy; both ranges hold the optimum well inside.
    result = optimize(scenario_from_dict(raw), ["replenishment.central_warehouse.s=0..8",
                                                "replenishment.central_warehouse.S=9..26"], "cost_total", budget=30,
                      replications=2, seed=SEED, first_stage=6, indifference=zone * skus * _days(raw), progress=False)
    chosen = result.selection[result.selection["chosen"]].iloc[0]
    s, S = (int(result.chosen[f"replenishment.central_warehouse.{x}"]) for x in ("s", "S"))
    exact = s_s_cost_discrete(s, S, h, b, K, True, lam)
    system = (f"search (s, S) over 0..8 x 9..26 minimising holding (h={h:g}) + backorders (b={b:g}) a unit-day + K={K:g} an "
              f"order: min_max, Poisson lambda={lam:g}/day, L=1, backorders (optimum ({s_best:g}, {S_best:g}))")
    n = f"30 points x 2 replications; KN: {int(chosen['replications'])} replications of the choice ({s}, {S})"
    return [Check(GROUP, system, "exact cost per SKU-day of the chosen (s, S)", float(optimum),
                  "stockpyl ss.s_s_discrete_exact (Zheng & Federgruen 1991)", float(exact), half_width=0.0, std_error=0.0,
                  replicates=n, tolerance=float(zone), why="KN's indifference zone, 1% of the optimal cost"),
            check(GROUP, system, "cost per SKU-day at the choice", exact, "stockpyl ss.s_s_cost_discrete",
                  result.chosen_runs("cost_total") / (skus * _days(raw)), n)]


@case("search_lost_sales_cost")
def search_lost_sales_cost() -> list[Check]:
    """Minimise holding plus lost margin over a store's base stock S (lost sales, Poisson walk-in): the expected
    cost per SKU-day h E[on hand] + m lambda (1 - fill) is exact for every S
    (theory.lost_sales_base_stock_poisson), so its argmin is the optimum the search must choose."""
    lam, lead, h, margin, skus = 4.0, 1, 1.0, 5.0, 40
    costs = {S: h * p.on_hand + margin * lam * (1 - p.fill_rate)
             for S in range(1, 16) for p in [theory.lost_sales_base_stock_poisson(lam, lead, S)]}
    best = min(costs, key=costs.__getitem__)
    raw = copies(skus, lam, **with_stores([{"id": "S1"}], lead, **{"replenishment.store": {"policy": "base_stock", "S": 1}}))
    # Holding 36.5 a year on a unit cost of 10: 1 a unit-day; price 15 (margin 1/3): 5 lost a unit; nothing else costs.
    raw["costs"] = {"holding_rate_per_year": 36.5 * h, **NO_COSTS}
    raw["catalog"]["margin"] = 1 / 3
    raw["run"] = {"horizon_days": 250, "warmup_days": 50}
    result = optimize(scenario_from_dict(raw), ["replenishment.store.S=1..15"], "cost_total", budget=15, replications=2,
                      seed=SEED, progress=False)
    chosen = result.selection[result.selection["chosen"]].iloc[0]
    system = (f"search S in 1..15 minimising holding (h={h:g}/unit-day) + lost margin ({margin:g}/unit): store base stock, "
              f"Poisson walk-in lambda={lam:g}/day, L={lead}, lost sales")
    per_day = result.chosen_runs("cost_total") / (skus * _days(raw))
    n = f"15 points x 2 replications; KN: {int(chosen['replications'])} replications of the choice"
    return [_exact(system, "level chosen", result.chosen["replenishment.store.S"], best,
                   "argmin of theory.lost_sales_base_stock_poisson's cost", n),
            check(GROUP, system, "cost per SKU-day at the choice", costs[int(result.chosen["replenishment.store.S"])],
                  "theory.lost_sales_base_stock_poisson", per_day, n)]


@case("search_fill_rate_constraint")
def search_fill_rate_constraint() -> list[Check]:
    """Minimise stock subject to a fill rate of at least 0.95 (base stock, backorders, Poisson): stock rises with S
    and so does the fill rate, so the optimum is the smallest S whose fill rate reaches the target
    (theory.base_stock_for_fill_rate: 14, filling 0.963, where 13 fills 0.936)."""
    lam, lead, target = 5.0, 2, 0.95
    best = theory.base_stock_for_fill_rate(lam, lead, target)
    raw = copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                              "replenishment.central_warehouse": {"policy": "base_stock", "S": 10}})
    raw["run"] = {"horizon_days": 250, "warmup_days": 50}
    result = optimize(scenario_from_dict(raw), ["replenishment.central_warehouse.S=5..25"], "avg_inventory_value",
                      [f"fill_rate_units>={target}"], budget=15, replications=3, seed=SEED, first_stage=6, progress=False)
    chosen = result.selection[result.selection["chosen"]].iloc[0]
    S = int(result.chosen["replenishment.central_warehouse.S"])
    system = (f"search S in 5..25 minimising stock value subject to fill rate >= {target:g}: base stock, Poisson "
              f"lambda={lam:g}/day, L={lead}, backorders")
    n = f"15 points x 3 replications; KN: {int(chosen['replications'])} replications of the choice"
    return [_exact(system, "level chosen", S, best, "theory.base_stock_for_fill_rate", n),
            check(GROUP, system, "fill rate at the choice", theory.base_stock_poisson(lam, lead, S).fill_rate,
                  "theory.base_stock_poisson", result.chosen_runs("fill_rate_units"), n)]


@case("search_selection_rate")
def search_selection_rate() -> list[Check]:
    """KN's promise on the engine's own output: two store base-stock levels whose exact costs differ by delta
    (theory.lost_sales_base_stock_poisson), KN with indifference zone delta (the least favourable case for two
    systems) over many macro-replications, each on its own block of SKU copies (independent replicates; the two
    levels see the same demand, common random numbers). Replicates are 8 days, so outputs are far from normal and KN
    needs several stages. The rate of correct selection must reach 1 - alpha (its one-sided Clopper-Pearson upper
    bound); the two mean costs are checked against theory over every copy."""
    from scipy.stats import beta

    lam, lead, h, margin, alpha, n0 = 4.0, 1, 1.0, 5.0, 0.05, 10
    macro, block, days = 1000, 100, 8
    levels = (6, 7)   # the optimum and its neighbour
    exact = {S: h * p.on_hand + margin * lam * (1 - p.fill_rate)
             for S in levels for p in [theory.lost_sales_base_stock_poisson(lam, lead, S)]}
    delta = exact[levels[1]] - exact[levels[0]]
    cost = []
    for S in levels:
        raw = copies(macro * block, lam, **with_stores([{"id": "S1"}], lead, **{"replenishment.store": {"policy": "base_stock", "S": S}}))
        raw["run"] = {"horizon_days": 20 + days, "warmup_days": 20}
        p = probe(raw)
        row = p.row("S1")
        lost = p.demand_by["walk_in"][row] - p.met_by["walk_in"][row]
        cost.append((h * p.sums["on_hand"][row] + margin * lost) / p.days)
    outputs = np.stack(cost)   # [level, SKU copy]: one replicate per copy
    picks = [kim_nelson(lambda ids, reps, m=m: outputs[np.ix_(list(ids), [m * block + r for r in reps])], 2, n0, delta,
                        alpha, block) for m in range(macro)]
    correct = sum(s.chosen == 0 for s in picks)
    assert not any(s.stopped_at_cap for s in picks), "a macro-replication ran out of copies: raise the block"
    rate = correct / macro
    upper = 1.0 if correct == macro else float(beta.ppf(PER_CHECK_LEVEL, correct + 1, macro - correct))
    se = math.sqrt((1 - alpha) * alpha / macro)
    tail = NormalDist().inv_cdf(PER_CHECK_LEVEL) + NormalDist().inv_cdf(POWER)
    system = (f"KN choosing between store base stock S={levels[0]} and S={levels[1]} (exact costs {exact[levels[0]]:.4f} and "
              f"{exact[levels[1]]:.4f} a SKU-day: holding h={h:g} + lost margin {margin:g}/unit, Poisson walk-in "
              f"lambda={lam:g}/day, L={lead}), indifference zone = the true difference, alpha={alpha:g}, n0={n0}")
    stages = np.mean([s.replications.max() for s in picks])
    n = f"{macro} macro-replications of {days}-day replicates, {stages:.1f} replications a system on average"
    return [Check(GROUP, system, "rate of correct selection", 1 - alpha, "KN's promise, 1 - alpha (Kim & Nelson 2001)", rate,
                  half_width=upper - rate, std_error=se, replicates=n, floor=True, detectable=tail * se),
            *(check(GROUP, system, f"cost per SKU-day at S={S}", exact[S], "theory.lost_sales_base_stock_poisson", c,
                    f"{c.size:,} SKU copies x {days} days") for S, c in zip(levels, cost, strict=True))]
