"""The closed forms in simulation/theory.py against independent implementations (stockpyl's functions,
brute-force search, plain Monte Carlo), before the validation suite trusts them as references."""

import itertools
import math

import numpy as np
import pytest
from stockpyl.loss_functions import negative_binomial_loss, normal_loss, poisson_loss
from stockpyl.newsvendor import newsvendor_poisson
from stockpyl.rq import r_q_cost_poisson
from stockpyl.ss import s_s_cost_discrete

from simulation.validation import theory


@pytest.mark.parametrize("mean, x", [(4.0, 4), (12.0, 9), (0.5, 0), (30.0, 45)])
def test_loss_functions_match_stockpyl(mean, x):
    assert theory.poisson_loss(mean, x) == pytest.approx(poisson_loss(x, mean)[0], abs=1e-9)
    sd = math.sqrt(mean + 0.1 * mean**2)
    pmf = theory.negative_binomial_pmf(mean, 0.1, int(mean * 20 + 100))
    assert theory.discrete_loss(pmf, x) == pytest.approx(negative_binomial_loss(x, mean=mean, sd=sd)[0], abs=1e-7)
    assert theory.normal_loss(x, mean, sd) == pytest.approx(normal_loss(x, mean, sd)[0], abs=1e-9)


@pytest.mark.parametrize("mean, under, over", [(20.0, 7.0, 13.0), (5.0, 9.0, 1.0), (50.0, 1.0, 1.0)])
def test_newsvendor_matches_stockpyl(mean, under, over):
    ours = theory.newsvendor_poisson(mean, under, over)
    order, cost = newsvendor_poisson(over, under, mean)
    assert ours.order == order
    assert ours.expected_cost == pytest.approx(cost, rel=1e-9)


@pytest.mark.parametrize("lam, lead, r, Q", [(3.0, 2, 5, 8), (1.5, 2, 3, 5), (6.0, 3, 15, 4)])
def test_reorder_point_cost_matches_stockpyl(lam, lead, r, Q):
    """stockpyl's exact (r, Q) cost is continuous review; with a tiny ordering cost it is h E[I] + p E[B]."""
    h, p = 2.0, 9.0
    perf = theory.reorder_point_poisson(lam, lead, r, Q)
    assert h * perf.on_hand + p * perf.backorders == pytest.approx(r_q_cost_poisson(r, Q, h, p, 1e-9, lam, lead), rel=1e-8)


@pytest.mark.parametrize("lam, s, S", [(4.0, 3, 10), (2.0, 0, 6), (8.0, 5, 20)])
def test_min_max_cost_matches_stockpyl_zero_lead_time(lam, s, S):
    """stockpyl's periodic (s, S) has zero lead time, the engine's L = 1; two fixed costs separate the
    order frequency from the holding and backorder terms."""
    h, p = 1.0, 9.0
    perf = theory.min_max_poisson(lam, 1, s, S)
    for K in (1.0, 30.0):
        ours = K * perf.order_frequency + h * perf.on_hand + p * perf.backorders
        assert ours == pytest.approx(s_s_cost_discrete(s, S, h, p, K, True, lam), rel=1e-8)


def test_clark_scarf_equals_brute_force_over_installation_levels():
    for lam, L1, L2, h1, h2, p in [(4.0, 1, 2, 2.0, 1.0, 19.0), (2.0, 2, 1, 3.0, 1.0, 30.0)]:
        best = theory.clark_scarf_poisson(lam, L1, L2, h1, h2, p)
        grid = {(a, b): theory.serial_two_echelon_poisson(lam, L1, L2, a, b).cost(h1, h2, p)
                for a, b in itertools.product(range(25), range(25))}
        assert min(grid.values()) == pytest.approx(best.expected_cost, rel=1e-9)
        assert grid[best.local_base_stock] == pytest.approx(best.expected_cost, rel=1e-9)


def test_serial_system_matches_monte_carlo():
    """A plain-Python simulation of the same two-stage system and sequence of events (independent of
    the engine): retailer fill and on hand, warehouse on hand, within 4 standard errors."""
    rng = np.random.default_rng(3)
    lam, L1, L2, S1, S2, days = 4.0, 1, 2, 7, 9, 200_000
    demand = rng.poisson(lam, days)
    retailer, warehouse, owed, backlog, arriving_r, arriving_w = S1, S2, 0, 0, {}, {}
    met, on_hand_r, on_hand_w = np.zeros(days), np.zeros(days), np.zeros(days)
    for t, d in enumerate(demand):
        retailer += arriving_r.pop(t, 0)
        warehouse += arriving_w.pop(t, 0)
        released = min(retailer, backlog)
        retailer, backlog = retailer - released, backlog - released
        met[t] = min(retailer, d)
        retailer, backlog = retailer - met[t], backlog + d - met[t]
        request = owed + d
        shipped = min(warehouse, request)
        warehouse, owed = warehouse - shipped, request - shipped
        arriving_r[t + L1] = arriving_r.get(t + L1, 0) + shipped
        arriving_w[t + L2] = arriving_w.get(t + L2, 0) + d
        on_hand_r[t], on_hand_w[t] = retailer, warehouse
    perf = theory.serial_two_echelon_poisson(lam, L1, L2, S1, S2)
    batches = 100
    for simulated, exact in ((met / lam, perf.retailer.fill_rate), (on_hand_r, perf.retailer.on_hand),
                             (on_hand_w, perf.warehouse_on_hand)):
        means = simulated.reshape(batches, -1).mean(axis=1)
        assert abs(means.mean() - exact) < 4 * means.std(ddof=1) / math.sqrt(batches), (means.mean(), exact)


def test_lost_sales_chain_matches_monte_carlo():
    rng = np.random.default_rng(1)
    lam, S, days = 3.0, 8, 200_000
    demand = rng.poisson(lam, days)
    on_hand, pipeline, sold = S, [0], np.zeros(days)
    for t, d in enumerate(demand):
        sold[t] = min(on_hand, d)
        on_hand -= sold[t]
        order = S - on_hand - sum(pipeline)
        on_hand += pipeline.pop(0)
        pipeline.append(order)
    means = (sold / lam).reshape(100, -1).mean(axis=1)
    exact = theory.lost_sales_base_stock_poisson(lam, 2, S).fill_rate
    assert abs(means.mean() - exact) < 4 * means.std(ddof=1) / 10


def test_eppen_square_root_law_and_correlation():
    independent = [theory.eppen_safety_stock(n, 2.0, 1.645).ratio for n in (1, 4, 16, 64)]
    assert independent == pytest.approx([1, 1 / 2, 1 / 4, 1 / 8])
    assert theory.eppen_safety_stock(9, 2.0, 1.645, correlation=0.5).ratio == pytest.approx(math.sqrt(9 + 72 * 0.5) / 9)


@pytest.mark.parametrize("lam, lead, s, Q", [(4.0, 1, 3, 6), (2.0, 3, 5, 3), (0.7, 2, 1, 1)])
def test_fixed_quantity_orders_lambda_over_q_lots_a_day_and_is_between_its_neighbours(lam, lead, s, Q):
    """Units in equal units out: one lot of Q per order, so orders per day are lambda / Q exactly. Its fill rate
    is at most reorder_qty's at the same (s, Q), which lifts the position above s at once where one lot may not."""
    fixed, multiples = theory.fixed_quantity_poisson(lam, lead, s, Q), theory.reorder_point_poisson(lam, lead, s, Q)
    assert fixed.order_frequency == pytest.approx(lam / Q, rel=1e-9)
    assert fixed.fill_rate < multiples.fill_rate
