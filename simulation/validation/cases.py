"""The validation cases: each builds small scenarios, runs the engine with fixed seeds and compares what
it measures with a reference: a closed form from :mod:`simulation.theory`, a stockpyl function, or
stockpyl's own simulator (an independent implementation).

A check passes when the reference lies inside the simulated confidence interval (Student t over
independent replicates) at level PER_CHECK_LEVEL = 1 - (1 - JOINT_LEVEL) / MAX_CHECKS each, so that a
table of up to MAX_CHECKS checks holds at JOINT_LEVEL or more jointly (Bonferroni: at a plain 99% per check,
one check in a hundred would fail by chance alone); or, where the reference is an approximation, when
the simulated mean lies within a stated tolerance whose reason is written beside it. Each check also
states its power: the smallest true difference it detects with probability POWER. Replicates are
identical SKUs of one run (independent demand streams, see :mod:`simulation.probe`) or, where demand is
shared across SKUs, independent replications of a one-SKU run.

Rows that compare one closed form with another never run the engine: they are *theory cross-checks*
(``engine=False``), published apart and not counted among the simulation checks.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from simulation.experiment.run import run as run_scenario
from simulation.experiment.run import simulate
from simulation.experiment.stats import t_quantile
from simulation.metrics.order_stats import OrderStats
from simulation.spec import scenario_from_dict
from simulation.validation import theory
from simulation.validation.peers import OWMR, load_owmr
from simulation.validation.probe import Probe

SEED = 20261124
BATCHES = 40
SAMPLE_HOURS = 0.1   # how often the picking-queue check counts the orders at a node
OWMR_COPIES = 800    # engine replicates against stockpyl's simulator (its own are stored: peers.py)
JOINT_LEVEL = 0.99     # the level the whole table holds at
MAX_CHECKS = 100       # the most simulation checks that level is split over (Bonferroni)
PER_CHECK_LEVEL = 1 - (1 - JOINT_LEVEL) / MAX_CHECKS
TAIL = (1 - PER_CHECK_LEVEL) / 2   # two-sided, per check
POWER = 0.80           # a check's power is the smallest true difference it detects this often
CASES: dict[str, Callable[[], list[Check]]] = {}


# --------------------------------------------------------------------------------------------- checks
@dataclass(frozen=True)
class Check:
    group: str          # the family of systems
    system: str         # the system and its parameters, in one line
    quantity: str
    reference: float
    source: str         # where the reference comes from
    mean: float         # simulated mean
    half_width: float   # of the confidence interval (of the difference, against a simulated reference)
    std_error: float
    replicates: str
    tolerance: float | None = None  # set where the reference is an approximation
    why: str = ""
    detectable: float = math.nan    # smallest true difference detected with probability POWER
    engine: bool = True             # False: a theory cross-check that never runs the engine

    @property
    def passed(self) -> bool:
        allowed = self.half_width if self.tolerance is None else self.tolerance
        return bool(abs(self.mean - self.reference) <= allowed)

    @property
    def score(self) -> float:
        """Distance from the reference in standard errors."""
        return abs(self.mean - self.reference) / self.std_error if self.std_error > 0 else float("nan")


def spread(se: float, df: float) -> dict:
    """Half-width of the per-check interval, standard error and power of an estimate with ``df`` degrees
    of freedom: a true difference d is detected with probability about POWER when
    d >= (t_{1 - TAIL} + z_POWER) se."""
    t = t_quantile(1 - TAIL, df)
    return {"half_width": t * se, "std_error": se, "detectable": (t + NormalDist().inv_cdf(POWER)) * se}


def interval(samples) -> tuple[float, dict]:
    """Mean and :func:`spread` over independent replicates."""
    x = np.asarray(samples, float)
    return float(x.mean()), spread(float(x.std(ddof=1)) / math.sqrt(x.size), x.size - 1)


def difference(a, b) -> dict:
    """:func:`spread` of mean(a) - mean(b), independent samples (Welch's degrees of freedom)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return spread(math.sqrt(va + vb), df)


def check(group, system, quantity, reference, source, samples, replicates, **approx) -> Check:
    mean, s = interval(samples)
    return Check(group, system, quantity, float(reference), source, mean, replicates=replicates, **s, **approx)


def case(name: str):
    def register(fn):
        CASES[name] = fn
        return fn
    return register


# --------------------------------------------------------------------------------------------- worlds
def single_node(**overrides) -> dict:
    """A one-SKU world as a plain dict: a central warehouse fed by the supplier, serving one zone's
    parcel orders (one unit per order, Poisson counts), with optional stores. Callers edit the copy
    through dotted keys."""
    raw = {
        "name": "single-node",
        "network": {
            "nodes": [{"id": "CW", "type": "central_warehouse", "capacity_orders_per_hour": 1000,
                       "open_hour": 0, "close_hour": 24}],
            "zones": [{"id": "Z", "tier": 1, "demand_scale": 1.0, "channel_mix": {"home_delivery": 1.0}}],
            "lanes": [{"from": "supplier", "to": "CW", "lead_time_days": 2}],
        },
        "catalog": {"skus": 1, "mean_daily_units": 5.0, "overdispersion": 0.0},
        "channels": {"home_delivery": {"promise_hours": 48, "transit_hours": 0, "unfilled": "backorder",
                                       "max_wait_days": 100000}},
        "demand": {"online": {"basket_lines_mean": 1.0, "units_per_line_mean": 1.0}},
        "replenishment": {"central_warehouse": {"policy": "base_stock", "S": 12}},
        "run": {"horizon_days": 2000, "warmup_days": 50},
    }
    for path, value in overrides.items():
        target = raw
        *head, last = path.split(".")
        for part in head:
            target = target[part]
        target[last] = value
    return copy.deepcopy(raw)


def copies(skus: int, daily_mean: float, **overrides) -> dict:
    """:func:`single_node` with ``skus`` identical SKUs (flat popularity, one cost)."""
    return single_node(**{"catalog": {"skus": skus, "mean_daily_units": daily_mean, "overdispersion": 0.0,
                                      "popularity": {"kind": "zipf", "exponent": 0.0},
                                      "unit_cost": {"mean": 10.0, "cv": 0.0}}, **overrides})


def probed(raw: dict, seed: int = SEED, replication: int = 0) -> tuple[Probe, OrderStats]:
    """Run the scenario ``raw`` with a :class:`Probe` watching; the probe and the run's order statistics."""
    scenario = scenario_from_dict(raw)
    p = Probe(scenario.run.warmup_days)
    _, _, stats = simulate(scenario, seed, replication, observers=[p])
    return p, stats


def probe(raw: dict, seed: int = SEED, replication: int = 0) -> Probe:
    return probed(raw, seed, replication)[0]


def label(p: Probe, rows, what: str = "SKU copies") -> str:
    n = np.size(rows) * p.world.skus.size
    return f"{n} {what} x {p.days:,} days"


def with_stores(stores: list[dict], lead: int, **overrides) -> dict:
    """Stores fed straight from the supplier, no online demand (walk-in only, lost sales)."""
    nodes = [{"id": "CW", "type": "central_warehouse"}, *[{"type": "store", "demand_scale": 1.0, **s} for s in stores]]
    return {"network.nodes": nodes, "network.zones": [],
            "network.lanes": [{"from": "supplier", "to": ["CW", *[s["id"] for s in stores]], "lead_time_days": lead}],
            "replenishment.central_warehouse": {"policy": "base_stock", "S": 0}, **overrides}


def local_network(fws: list[str], zones: int, pooled: bool, fed_by: str, lead: int, **overrides) -> dict:
    """``zones`` zones with instant demand (backordered), served by forward warehouses ``fws``: one
    per zone 100 km apart, or one (``pooled``) beside all of them. Forward warehouses are fed by
    ``fed_by`` (``supplier`` or ``CW``)."""
    zone_list = [{"id": f"Z{i}", "tier": 1, "location": [0, 0] if pooled else [100 * i, 0],
                  "channel_mix": {"instant": 1.0}} for i in range(zones)]
    nodes = [{"id": "CW", "type": "central_warehouse"}]
    nodes += [{"id": f, "type": "forward_warehouse", "location": [0 if pooled else 100 * i, 0], "open_hour": 0,
               "close_hour": 24, "capacity_orders_per_hour": 100000, "priority": i} for i, f in enumerate(fws)]
    lanes = ([{"from": "supplier", "to": ["CW", *fws], "lead_time_days": lead}] if fed_by == "supplier"
             else [{"from": "supplier", "to": "CW", "lead_time_days": overrides.pop("cw_lead")},
                   {"from": "CW", "to": fws, "lead_time_days": lead}])
    return {"network.nodes": nodes, "network.zones": zone_list, "network.lanes": lanes,
            "channels": {"instant": {"promise_hours": 1, "unfilled": "backorder", "max_wait_days": 100000}},
            "replenishment.central_warehouse": {"policy": "base_stock", "S": 0}, **overrides}


# --------------------------------------------------------------------------------------------- cases
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
    raw = copies(OWMR_COPIES, q["demand"], **local_network(fws, q["retailers"], False, "CW", q["retailer_lead"],
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
