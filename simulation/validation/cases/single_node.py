"""Cases on one stock point: base stock (Poisson, overdispersed, lost sales), (s, S), (r, Q), the newsvendor."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from simulation.validation import theory
from simulation.validation.cases.checks import Check, case, check
from simulation.validation.cases.worlds import copies, label, local_network, probe, single_node, with_stores
from simulation.validation.probe import Probe


@case("base_stock_poisson")
def base_stock_poisson() -> list[Check]:
    from stockpyl.loss_functions import poisson_loss
    out = []
    for lam, lead, S in ((5.0, 2, 12), (2.0, 1, 3), (10.0, 4, 45)):
        p = probe(copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                                     "replenishment.central_warehouse": {"policy": "base_stock", "S": S}}))
        cw, th = p.row("CW"), theory.base_stock_poisson(lam, lead, S)
        system, n = f"base stock, Poisson, backorders: lambda={lam:g}/day, L={lead}, S={S}", label(p, [0])
        group = "single node, base stock"
        out += [check(group, system, "fill rate", th.fill_rate, "theory.base_stock_poisson", p.fill_rate(cw), n),
                check(group, system, "on hand", th.on_hand, "theory.base_stock_poisson", p.per_day("on_hand", cw), n),
                check(group, system, "backorders", poisson_loss(S, lam * lead)[0], "stockpyl loss_functions.poisson_loss",
                      p.per_day("backordered", cw), n)]
    return out


@case("base_stock_with_returns")
def base_stock_with_returns() -> list[Check]:
    """Parcel customers send back a share of what they receive; the units are back in stock a fixed number of
    days after shipping (days to return + courier + inspection, at least the lead time), so replenishment
    orders the net demand and the returns add their own noise to it."""
    lam, rate, lead, S = 20.0, 0.2, 2, 36
    returns = {"home_delivery": {"rate": rate, "days_to_return": 3, "courier_days": 1, "inspection_days": 1,
                                 "resellable_share": 1.0}}
    p = probe(copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                                 "replenishment.central_warehouse": {"policy": "base_stock", "S": S}, "returns": returns}))
    cw, th = p.row("CW"), theory.base_stock_poisson_returns(lam, rate, lead, S)
    system = (f"base stock, Poisson, backorders, {rate:.0%} of units returned 5 days after shipping: lambda={lam:g}/day, "
              f"L={lead}, S={S}")
    group, n, source = "single node, base stock", label(p, [0]), "theory.base_stock_poisson_returns"
    return [check(group, system, "fill rate", th.fill_rate, source, p.fill_rate(cw), n),
            check(group, system, "on hand", th.on_hand, source, p.per_day("on_hand", cw), n)]


@case("base_stock_overdispersed")
def base_stock_overdispersed() -> list[Check]:
    """Overdispersed orders are drawn per zone (shared by the zone's SKUs), so the replicates here are
    40 zones, each served by its own forward warehouse holding one SKU."""
    from stockpyl.loss_functions import negative_binomial_loss
    lam, alpha, lead, S, sites = 40.0, 0.02, 3, 140, 40
    fws = [f"FW{i}" for i in range(sites)]
    raw = single_node(**{"catalog.mean_daily_units": lam, "catalog.overdispersion": alpha, "run.horizon_days": 3000,
                         **local_network(fws, sites, False, "supplier", lead,
                                         **{"replenishment.forward_warehouse": {"policy": "base_stock", "S": S}})})
    p = probe(raw)
    rows = [p.row(f) for f in fws]
    fill, on_hand = p.fill_rate(rows), p.per_day("on_hand", rows)
    sd = math.sqrt(lam + alpha * lam**2)
    exact, normal = theory.base_stock_negative_binomial(lam, alpha, lead, S), theory.base_stock_normal(lam, sd, lead, S)
    group, n = "single node, base stock", label(p, rows, "independent sites")
    system = f"base stock, negative binomial demand (mean {lam:g}, sd {sd:.2f}/day), backorders: L={lead}, S={S}"
    why = "normal approximation of whole-unit, skewed lead-time demand"
    return [
        check(group, system, "fill rate", exact.fill_rate, "theory.base_stock_negative_binomial", fill, n),
        check(group, system, "on hand", exact.on_hand, "theory.base_stock_negative_binomial", on_hand, n),
        check(group, system, "backorders", negative_binomial_loss(S, mean=lam * lead, sd=sd * math.sqrt(lead))[0],
              "stockpyl loss_functions.negative_binomial_loss", p.per_day("backordered", rows), n),
        check(group, system, "fill rate", normal.fill_rate, "theory.base_stock_normal", fill, n, tolerance=0.005, why=why),
        check(group, system, "on hand", normal.on_hand, "theory.base_stock_normal", on_hand, n,
              tolerance=round(0.03 * normal.on_hand, 2), why=why),
    ]


@case("base_stock_fill_rate_target")
def base_stock_fill_rate_target() -> list[Check]:
    """Levels sized by the engine for a fill-rate target (``fill_rate``), not given: the level it picks
    must be the smallest that reaches the target in theory, so the fill rate and on hand it runs at are
    the theory's at that level (a level one off moves on hand by about a unit, far outside the interval)."""
    out = []
    for lam, lead, target in ((0.3, 1, 0.97), (5.0, 2, 0.95)):
        p = probe(copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                                     "replenishment.central_warehouse": {"policy": "base_stock", "fill_rate": target}}))
        S = theory.base_stock_for_fill_rate(lam, lead, target)
        cw, th = p.row("CW"), theory.base_stock_poisson(lam, lead, S)
        system = f"base stock sized for fill rate {target:g}, Poisson, backorders: lambda={lam:g}/day, L={lead} (theory's S={S})"
        group, n = "single node, base stock", label(p, [0])
        out += [check(group, system, "fill rate", th.fill_rate, "theory.base_stock_for_fill_rate", p.fill_rate(cw), n),
                check(group, system, "on hand", th.on_hand, "theory.base_stock_for_fill_rate", p.per_day("on_hand", cw), n)]
    return out


@case("fill_rate_by_class")
def fill_rate_by_class() -> list[Check]:
    """Targets by velocity class (``by_class``): three classes of identical SKU copies, each with its own rate and
    fill-rate target, one policy. The engine sizes each class's level; each class must run at the theory's fill
    rate and on hand for the level theory picks for its rate and target (one level off moves on hand by about a
    unit, far outside the interval)."""
    lead, per_class = 2, 20
    # 20 copies each at 8, 1.5 and 0.5 a day: 80%, 15% and 5% of the units, so classes A, B and C exactly.
    classes = (("A", 8.0, 0.98), ("B", 1.5, 0.95), ("C", 0.5, 0.90))
    with tempfile.TemporaryDirectory(prefix="invsim-validation-") as folder:
        catalog = Path(folder) / "three_classes.csv"
        catalog.write_text("sku,mean_daily_units,unit_cost,price\n" + "".join(
            f"{name}{i:02d},{rate},10,15\n" for name, rate, _ in classes for i in range(per_class)))
        p = probe(single_node(**{
            "catalog": {"file": str(catalog), "overdispersion": 0.0},
            "network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
            "replenishment.central_warehouse": {"policy": "base_stock", "by_class": {
                name: {"fill_rate": target} for name, _, target in classes}}}))
    cw, out = p.row("CW"), []
    group = "single node, base stock"
    for c, (name, rate, target) in enumerate(classes):
        cols = slice(c * per_class, (c + 1) * per_class)
        S = theory.base_stock_for_fill_rate(rate, lead, target)
        th = theory.base_stock_poisson(rate, lead, S)
        system = (f"base stock by velocity class, class {name} sized for fill rate {target:g}: Poisson lambda={rate:g}/day, "
                  f"L={lead}, backorders (theory's S={S})")
        n = f"{per_class} SKU copies x {p.days:,} days"
        out += [check(group, system, "fill rate", th.fill_rate, "theory.base_stock_for_fill_rate",
                      p.fill_rate(cw).reshape(-1)[cols], n),
                check(group, system, "on hand", th.on_hand, "theory.base_stock_for_fill_rate",
                      (p.sums["on_hand"][cw] / p.days)[cols], n)]
    return out


@case("base_stock_lost_sales")
def base_stock_lost_sales() -> list[Check]:
    out = []
    for lam, lead, S in ((4.0, 1, 5), (3.0, 2, 8)):
        p = probe(copies(40, lam, **with_stores([{"id": "S1"}], lead, **{"replenishment.store": {"policy": "base_stock", "S": S}})))
        row, th = p.row("S1"), theory.lost_sales_base_stock_poisson(lam, lead, S)
        system, n = f"store, base stock, Poisson walk-in, lost sales: lambda={lam:g}/day, L={lead}, S={S}", label(p, [0])
        source = "theory.lost_sales_base_stock_poisson"
        out += [check("single node, base stock", system, "fill rate", th.fill_rate, source, p.fill_rate(row), n),
                check("single node, base stock", system, "on hand", th.on_hand, source, p.per_day("on_hand", row), n)]
    return out


def _reorder_case(policy: dict, lam: float, lead: int) -> Probe:
    return probe(copies(40, lam, **{"network.lanes": [{"from": "supplier", "to": "CW", "lead_time_days": lead}],
                                    "replenishment.central_warehouse": policy}))


def _reorder_checks(group, system, p: Probe, th, source) -> list[Check]:
    n = label(p, [0])
    return [check(group, system, "fill rate", th.fill_rate, source, p.fill_rate(0), n),
            check(group, system, "on hand", th.on_hand, source, p.per_day("on_hand", 0), n),
            check(group, system, "orders per day", th.order_frequency, source, p.rate(p.orders_placed, 0), n)]


@case("min_max")
def min_max() -> list[Check]:
    from stockpyl.ss import s_s_cost_discrete
    out, h, b, k = [], 1.0, 9.0, 20.0
    for lam, lead, s, S in ((4.0, 1, 3, 10), (2.0, 3, 5, 12)):
        p = _reorder_case({"policy": "min_max", "s": s, "S": S}, lam, lead)
        system = f"(s, S), daily review, Poisson, backorders: lambda={lam:g}/day, L={lead}, s={s}, S={S}"
        out += _reorder_checks("single node, (s, S) and (r, Q)", system, p, theory.min_max_poisson(lam, lead, s, S),
                               "theory.min_max_poisson")
        if lead == 1:  # stockpyl's periodic (s, S) has zero lead time: the engine's L = 1
            cost = k * p.rate(p.orders_placed, 0) + h * p.per_day("on_hand", 0) + b * p.per_day("backordered", 0)
            out.append(check("single node, (s, S) and (r, Q)", system, f"cost/day (K={k:g}, h={h:g}, p={b:g})",
                             s_s_cost_discrete(s, S, h, b, k, True, lam), "stockpyl ss.s_s_cost_discrete", cost, label(p, [0])))
    return out


@case("fixed_quantity")
def fixed_quantity() -> list[Check]:
    """(s, Q) one lot per review (``fixed_quantity``), daily review: a position still at or below s after its
    lot orders another the next day, where reorder_qty would order the multiples at once."""
    out = []
    for lam, lead, s, Q in ((4.0, 1, 3, 6), (2.0, 3, 5, 3)):
        p = _reorder_case({"policy": "fixed_quantity", "review_period_days": 1, "s": s, "Q": Q}, lam, lead)
        system = f"(s, Q) one lot a review, daily review, Poisson, backorders: lambda={lam:g}/day, L={lead}, s={s}, Q={Q}"
        out += _reorder_checks("single node, (s, S) and (r, Q)", system, p, theory.fixed_quantity_poisson(lam, lead, s, Q),
                               "theory.fixed_quantity_poisson")
    return out


@case("reorder_point")
def reorder_point() -> list[Check]:
    from stockpyl.rq import r_q_cost_poisson
    group = "single node, (s, S) and (r, Q)"
    p = _reorder_case({"policy": "reorder_qty", "s": 5, "Q": 8}, 3.0, 2)
    out = _reorder_checks(group, "(r, Q), daily review, Poisson, backorders: lambda=3/day, L=2, r=5, Q=8", p,
                          theory.reorder_point_poisson(3.0, 2, 5, 8), "theory.reorder_point_poisson")
    # Snyder & Shen Example 5.8 (stockpyl's doctest): r=3, Q=5, h=20, p=150, K=100, lambda=1.5, L=2.
    # The engine charges no ordering cost, so compare holding + backorder cost: g(r, Q) - K lambda / Q.
    h, b, k, lam = 20.0, 150.0, 100.0, 1.5
    p = _reorder_case({"policy": "reorder_qty", "s": 3, "Q": 5}, lam, 2)
    cost = h * p.per_day("on_hand", 0) + b * p.per_day("backordered", 0)
    out.append(check(group, "(r, Q), Poisson: Snyder & Shen Example 5.8 (lambda=1.5, L=2, r=3, Q=5)",
                     f"holding + backorder cost/day (h={h:g}, p={b:g})", r_q_cost_poisson(3, 5, h, b, k, lam, 2) - k * lam / 5,
                     "stockpyl rq.r_q_cost_poisson", cost, label(p, [0])))
    return out


@case("newsvendor")
def newsvendor() -> list[Check]:
    from stockpyl.newsvendor import newsvendor_poisson_cost
    lam, cost, margin = 20.0, 13.0, 0.35      # price 20: lost margin c_u = 7, spoiled cost c_o = 13
    under, over = cost / (1 - margin) - cost, cost
    best = theory.newsvendor_poisson(lam, under, over)
    out = []
    for S in (best.order, best.order + 4):
        raw = copies(40, lam, **with_stores([{"id": "S1"}], 1, **{"replenishment.store": {"policy": "base_stock", "S": S}}))
        raw["catalog"].update(unit_cost={"mean": cost, "cv": 0.0}, margin=margin, perishable_share=1.0, shelf_life_days=1)
        p = probe(raw)
        row = p.row("S1")
        simulated = over * p.rate(p.spoiled_units, row) + under * p.rate(p.demand - p.met, row)
        tag = "the critical-fractile optimum" if S == best.order else "above the optimum"
        system = (f"newsvendor: one-day shelf life, L=1, Poisson lambda={lam:g}, c_u={under:g}, c_o={over:g}, "
                  f"S={S} ({tag}, ratio {best.critical_ratio:.2f})")
        out.append(check("newsvendor", system, "cost/day", newsvendor_poisson_cost(S, over, under, lam),
                         "stockpyl newsvendor.newsvendor_poisson_cost", simulated, label(p, [0])))
    return out


LAM, LEAD, TARGET = 3.0, 2, 0.95
