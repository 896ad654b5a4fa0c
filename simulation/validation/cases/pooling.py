"""Cases on pooling: shared against separate stocks, and the square-root law measured in the engine."""

from __future__ import annotations

import math

import numpy as np

from simulation.validation import theory
from simulation.validation.cases.checks import Check, case, check, spread
from simulation.validation.cases.single_node import LAM, LEAD, TARGET
from simulation.validation.cases.worlds import copies, label, local_network, probe, with_stores
from simulation.validation.probe import Probe


def _pooling(n: int, pooled: bool, S: int, skus: int) -> tuple[Probe, list[int]]:
    fws = ["FW"] if pooled else [f"FW{i}" for i in range(n)]
    raw = copies(skus, LAM, **local_network(fws, n, pooled, "supplier", LEAD,
                                             **{"replenishment.forward_warehouse": {"policy": "base_stock", "S": S}}))
    p = probe(raw)
    return p, [p.row(f) for f in fws]


@case("pooling")
def pooling() -> list[Check]:
    """Eppen (1979): sized for the same cycle service level, one stock for n locations needs sqrt(n)
    times less safety stock; the engine must then deliver the theory's fill rate and stockout-day share
    at every size, so the saving holds in the engine, not only on paper. The sizing ratio itself is a
    theory cross-check (whole-unit Poisson base stocks against Eppen's normal theory); the engine's own
    test of the square-root law is the case ``square_root_law``."""
    out, group = [], "pooling (one stock vs separate)"
    s1 = theory.base_stock_for_cycle_service(LAM, LEAD, TARGET)
    for n in (1, 4, 16):
        sn = theory.base_stock_for_cycle_service(n * LAM, LEAD, TARGET)
        if n > 1:
            eppen = theory.eppen_safety_stock(n, math.sqrt(LAM * LEAD), 1.645)
            out.append(Check(group, f"{n} locations, Poisson lambda={LAM:g}/day each, L={LEAD}, 95% cycle service",
                             "safety stock pooled / separate", eppen.ratio, "theory.eppen_safety_stock",
                             (sn - n * LAM * LEAD) / (n * (s1 - LAM * LEAD)), 0.0, 0.0,
                             "theory.base_stock_for_cycle_service (whole-unit Poisson sizing)", tolerance=0.15 * eppen.ratio,
                             why="whole-unit base stocks round the normal-theory safety stock", engine=False))
        for pooled, S, lam in ((False, s1, LAM), (True, sn, n * LAM)):
            if n == 1 and pooled:
                continue
            p, rows = _pooling(n, pooled, S, 40 if pooled or n == 1 else max(4, 40 // n))
            th = theory.base_stock_poisson(lam, LEAD, S)
            empty = 1 - theory.poisson_pmf(lam * LEAD, S - 1).sum()
            stock = "one pooled stock" if pooled else ("its own stock" if n == 1 else "a stock each")
            system = f"{n} zone{'s' if n > 1 else ''}, {stock}, S={S}, L={LEAD}"
            n_label = label(p, rows, "location-SKU copies")
            out += [check(group, system, "fill rate", th.fill_rate, "theory.base_stock_poisson", p.fill_rate(rows), n_label),
                    check(group, system, "share of days ending empty", empty, "theory: P[D_L >= S]", p.per_day("empty", rows), n_label)]
    # Equal total stock: four separate stocks of S1 against one of 4 S1.
    s85 = theory.base_stock_for_fill_rate(LAM, LEAD, 0.85)
    for pooled, S, lam in ((False, s85, LAM), (True, 4 * s85, 4 * LAM)):
        p, rows = _pooling(4, pooled, S, 40 if pooled else 10)
        system = f"4 zones, equal total stock {4 * s85}: {'one pooled stock' if pooled else 'four stocks of ' + str(s85)}"
        out.append(check(group, system, "fill rate", theory.base_stock_poisson(lam, LEAD, S).fill_rate, "theory.base_stock_poisson",
                         p.fill_rate(rows), label(p, rows, "location-SKU copies")))
    return out


EMPTY_SHARE = 0.05  # the service both stocks are held to: 5% of days end with nothing on hand
WALK_IN = 1000.0    # a mean large enough for the normal theory: its whole-unit and skewness term is ~1% of the ratio


def _zones_pooled(n: int, S: int) -> tuple[Probe, list[int]]:
    """One forward warehouse serving the instant orders of ``n`` zones (Poisson LAM each, lead LEAD)."""
    return _pooling(n, True, S, 40)


def _store_facing(n: int, S: int) -> tuple[Probe, list[int]]:
    """One store stock facing ``n`` independent Poisson streams of WALK_IN units a day (lead 1 day, so
    every day opens at S and a day ends empty exactly when its demand reaches S, lost sales or not)."""
    p = probe(copies(40, WALK_IN, **with_stores([{"id": "S1", "demand_scale": float(n)}], 1,
                                                 **{"replenishment.store": {"policy": "base_stock", "S": S}})))
    return p, [p.row("S1")]


def _stock_needed(run, n: int, lead_mean: float) -> tuple[float, float, int, str]:
    """The safety stock (base stock minus lead-time demand ``lead_mean``) a stock run by ``run(n, S)``
    needs for EMPTY_SHARE, measured in the engine: runs at the whole units S_lo and S_lo + 1 on the same
    demand (common random numbers), then interpolates linearly between their mean shares of days ending
    empty, as :func:`theory.stock_for_empty_share` does on the exact distribution. Returns it, its
    jackknife standard error over the SKU copies, their number and a label."""
    lo, _ = theory.stock_for_empty_share(lead_mean, EMPTY_SHARE)
    runs = [run(n, S) for S in (lo, lo + 1)]
    empty = np.array([p.per_day("empty", rows) for p, rows in runs])  # (2, copies)
    k = empty.shape[1]

    def safety(e_lo, e_hi):
        return lo + (e_lo - EMPTY_SHARE) / (e_lo - e_hi) - lead_mean

    total = empty.sum(axis=1)
    leave_one_out = safety((total[0] - empty[0]) / (k - 1), (total[1] - empty[1]) / (k - 1))
    se = math.sqrt((k - 1) / k * ((leave_one_out - leave_one_out.mean()) ** 2).sum())
    return safety(*(total / k)), se, k, f"{label(runs[0][0], runs[0][1], 'SKU copies')}, at S={lo} and {lo + 1}"


@case("square_root_law")
def square_root_law() -> list[Check]:
    """The square-root law in the engine: the safety stock one stock needs to serve n zones' demand at
    the same service as n separate stocks (EMPTY_SHARE of days ending empty, a cycle-service measure),
    found by search over S in the simulation, against n times one zone's. Eppen's normal theory gives
    1/sqrt(n). Two systems: forward warehouses pooling n zones' instant orders (Poisson 3/day: small
    means, where whole units and skewness add a fixed term that does not grow with n, so the exact
    Poisson reference applies and 1/sqrt(n) does not), and a store stock facing n streams of WALK_IN a
    day (large means, where the normal theory holds to about 1%)."""
    group = "pooling: the square-root law, measured"
    out = []
    systems = [(_zones_pooled, LAM, LEAD, "zones' instant orders pooled in one forward warehouse", "exact Poisson"),
               (_store_facing, WALK_IN, 1, "walk-in streams on one store stock", "1/sqrt(n)")]
    for run, lam, lead, what, reference in systems:
        one, one_se, k1, _ = _stock_needed(run, 1, lam * lead)
        exact_one = theory.stock_for_empty_share(lam * lead, EMPTY_SHARE)[1] - lam * lead
        for n in (4, 16):
            pooled, pooled_se, kn, runs = _stock_needed(run, n, n * lam * lead)
            ratio = pooled / (n * one)
            s = spread(ratio * math.hypot(pooled_se / pooled, one_se / one), min(k1, kn) - 1)
            system = (f"{n} {what}, Poisson {lam:g}/day each, L={lead}: safety stock for {EMPTY_SHARE:.0%} of days "
                      f"ending empty, one stock / {n} separate")
            exact = (theory.stock_for_empty_share(n * lam * lead, EMPTY_SHARE)[1] - n * lam * lead) / (n * exact_one)
            ref = ((exact, "theory.stock_for_empty_share (exact Poisson)") if reference == "exact Poisson"
                   else (1 / math.sqrt(n), f"theory.eppen_safety_stock (1/sqrt(n); exact Poisson {exact:.4f})"))
            out.append(Check(group, system, "safety stock ratio", *ref, ratio, replicates=f"{runs}; one separate stock: {k1} copies", **s))
    return out
