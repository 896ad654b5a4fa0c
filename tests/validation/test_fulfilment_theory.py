"""Validation of fulfilment against theory: picking queues (M/M/1, M/M/c with Erlang C) and the
pooling effect (one stock for N locations needs safety stock growing like sqrt(N), Eppen 1979).

Each case runs long seeded replications; the confidence interval comes from batch means over 40
equal blocks of days per replication (the blocks are long against the queue's and the stock's
memory, so nearly independent).
"""

import math

import numpy as np
import pytest

import simulation as sim
from simulation.theory import (
    base_stock_for_cycle_service,
    base_stock_for_fill_rate,
    base_stock_poisson,
    mmc_sojourn_hours,
    poisson_pmf,
)
from tests.conftest import single_node

pytestmark = pytest.mark.validation

BATCHES = 40
Z99 = 2.576  # two-sided 99% normal quantile (at least 40 batches: Student t is within 5% of it)


def batch_ratios(day: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """sum(numerator) / sum(denominator) in each of BATCHES equal blocks of days."""
    edges = np.linspace(day.min(), day.max() + 1, BATCHES + 1)
    block = np.searchsorted(edges, day, side="right") - 1
    return (np.bincount(block, weights=numerator, minlength=BATCHES)
            / np.bincount(block, weights=denominator, minlength=BATCHES))


def ci99(ratios: np.ndarray):
    half = Z99 * ratios.std(ddof=1) / math.sqrt(ratios.size)
    return ratios.mean() - half, ratios.mean() + half


def batch_ci(day, numerator, denominator):
    return ci99(batch_ratios(day, numerator, denominator))


@pytest.mark.parametrize("arrivals_per_hour, picks_per_hour_each, pickers", [(2.0, 3.0, 1), (5.0, 2.0, 3), (1.5, 1.0, 2)])
def test_picking_queue_matches_mmc_theory(arrivals_per_hour, picks_per_hour_each, pickers):
    """One node open round the clock, Poisson orders (one unit each, ample stock), exponential picking
    by c pickers: the mean time from order to picked is the M/M/c sojourn time."""
    sc = sim.scenario_from_dict(single_node(**{
        "network.nodes": [{"id": "CW", "type": "central_warehouse", "open_hour": 0, "close_hour": 24, "pickers": pickers,
                           "pick_time": "exponential", "capacity_orders_per_hour": picks_per_hour_each * pickers}],
        "catalog.mean_daily_units": arrivals_per_hour * 24,
        "demand.online.hourly_profile": [1.0] * 24,
        "replenishment.central_warehouse": {"policy": "base_stock", "S": int(arrivals_per_hour * 24 * 6)},
        "run.horizon_days": 1500, "run.order_sample": 10**7,
    }))
    orders = sim.run(sc, seed=20261124).orders
    orders = orders[orders.created_day >= sc.run.warmup_days]
    assert (orders.lines_first == orders.lines).all()  # never short: the queue is all there is
    sojourn = (orders.ready_hour - orders.created_hour).to_numpy()
    lo, hi = batch_ci(orders.created_day.to_numpy(), sojourn, np.ones_like(sojourn))
    theory = mmc_sojourn_hours(arrivals_per_hour, picks_per_hour_each, pickers)
    assert lo <= theory <= hi, f"M/M/{pickers} sojourn {theory:.4f} h outside 99% CI [{lo:.4f}, {hi:.4f}]"


def locations(n: int, pooled: bool, lam: float, lead: int, base_stock: int) -> dict:
    """n zones with independent Poisson instant demand; either each served by its own forward
    warehouse (100 km apart) or all by one forward warehouse holding the stock together."""
    zones = [{"id": f"Z{i}", "tier": 1, "location": [0, 0] if pooled else [100 * i, 0],
              "channel_mix": {"instant": 1.0}} for i in range(n)]
    fws = ["FW"] if pooled else [f"FW{i}" for i in range(n)]
    nodes = [{"id": "CW", "type": "central_warehouse"}]
    nodes += [{"id": f, "type": "forward_warehouse", "location": [0 if pooled else 100 * i, 0], "open_hour": 0,
               "close_hour": 24, "capacity_orders_per_hour": 1000} for i, f in enumerate(fws)]
    return single_node(**{
        "network.nodes": nodes, "network.zones": zones,
        "network.lanes": [{"from": "supplier", "to": ["CW", *fws], "lead_time_days": lead}],
        "catalog.mean_daily_units": lam,
        "channels": {"instant": {"promise_hours": 1, "unfilled": "backorder", "max_wait_days": 100000}},
        "replenishment.central_warehouse": {"policy": "base_stock", "S": 0},
        "replenishment.forward_warehouse": {"policy": "base_stock", "S": base_stock},
        "run.horizon_days": 3000, "run.order_sample": 10**7,
    })


def simulate(raw: dict, replications: int = 3):
    """99% CIs of the instant fill rate and of the share of forward-warehouse days ending with no stock
    (fill rates near 1 come from rare, clustered stockouts: replications keep the CI honest)."""
    sc, warm = sim.scenario_from_dict(raw), raw["run"]["warmup_days"]
    fill, stockout = [], []
    for rep in range(replications):
        res = sim.run(sc, seed=20261124, replication=rep)
        orders = res.orders[res.orders.created_day >= warm]
        fill.append(batch_ratios(orders.created_day.to_numpy(), orders.units_first.to_numpy(float),
                                 orders.units.to_numpy(float)))
        daily = res.daily[(res.daily.node_type == "forward_warehouse") & (res.daily.metric == "stockout_rate")
                          & (res.daily.day >= warm)]
        stockout.append(batch_ratios(daily.day.to_numpy(), daily.value.to_numpy(), np.ones(len(daily))))
    return ci99(np.concatenate(fill)), ci99(np.concatenate(stockout))


LAM, LEAD, TARGET = 3.0, 2, 0.95


@pytest.mark.parametrize("n", [4, 16])
def test_pooling_follows_the_square_root_law(n):
    """Sized for the same cycle service level (P[lead-time demand <= S] >= 95%), n separate stocks carry
    n * (S1 - lambda L) units of safety stock and one pooled stock S_n - n lambda L: sqrt(n) times
    less (Eppen 1979; the law is stated for this measure, so theory sizes it, discrete S and all).
    The simulator must then deliver the theory's fill rate and stockout-day share at both sizes, so
    the saving holds in the engine, not only on paper. A day ends with no stock when D_L >= S."""
    s1 = base_stock_for_cycle_service(LAM, LEAD, TARGET)
    sn = base_stock_for_cycle_service(n * LAM, LEAD, TARGET)
    ratio = (sn - n * LAM * LEAD) / (n * (s1 - LAM * LEAD))
    assert ratio == pytest.approx(1 / math.sqrt(n), rel=0.15), ratio
    for pooled, S, lam in ((False, s1, LAM), (True, sn, n * LAM)):
        (lo, hi), (slo, shi) = simulate(locations(n, pooled, LAM, LEAD, S))
        label = "pooled" if pooled else "separate"
        theory = base_stock_poisson(lam, LEAD, S).fill_rate
        assert lo <= theory <= hi, f"{label} fill {theory:.4f} outside 99% CI [{lo:.4f}, {hi:.4f}]"
        empty = 1 - poisson_pmf(lam * LEAD, S - 1).sum()
        assert slo <= empty <= shi, f"{label} stockout days {empty:.4f} outside 99% CI [{slo:.4f}, {shi:.4f}]"


def test_pooling_raises_fill_rate_at_equal_total_stock():
    n, s1 = 4, base_stock_for_fill_rate(LAM, LEAD, 0.85)
    separate, _ = simulate(locations(n, False, LAM, LEAD, s1), replications=1)
    pooled, _ = simulate(locations(n, True, LAM, LEAD, n * s1), replications=1)
    assert pooled[0] > separate[1], (separate, pooled)  # the CIs do not even overlap
