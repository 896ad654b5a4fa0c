"""Cases on the policy search (``invsim optimize``): on systems whose optimum is known exactly, the search (TPE
proposals, one-sided feasibility, Kim & Nelson's selection) must choose that optimum, and what it measures at its
choice must be what theory expects there."""

from __future__ import annotations

from simulation.experiment.optimize import optimize
from simulation.spec import scenario_from_dict
from simulation.validation import theory
from simulation.validation.cases.checks import SEED, Check, case, check
from simulation.validation.cases.worlds import copies, with_stores

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
