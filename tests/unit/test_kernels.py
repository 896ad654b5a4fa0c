"""Each numba kernel against a plain Python/NumPy reference on random inputs."""

import math
from itertools import pairwise

import numpy as np
import pytest

from simulation import kernels
from simulation.validation import theory

SEEDS = range(25)


def rng_for(seed):
    return np.random.default_rng(1000 + seed)


def _nb_reference(rng, mean, alpha):
    """Plain-Python inversion (one uniform per draw) for means up to the kernel's limit."""
    u = rng.random()
    if mean <= 0:
        return 0
    r, q = (1 / alpha, alpha * mean / (1 + alpha * mean)) if alpha > 0 else (0.0, 0.0)
    p = math.exp(-r * math.log1p(alpha * mean)) if alpha > 0 else math.exp(-mean)
    k, cdf = 0, p
    while u > cdf and p > 0:
        p *= (r + k) / (k + 1) * q if alpha > 0 else mean / (k + 1)
        k, cdf = k + 1, cdf + p
    return k


@pytest.mark.parametrize("mean, alpha", [(0.02, 0.0), (0.4, 0.3), (3.0, 0.0), (7.0, 1.2), (29.0, 0.3), (45.0, 0.3),
                                         (80.0, 0.0)])
def test_negative_binomial_draws_follow_the_exact_pmf(mean, alpha):
    """Chi-square goodness of fit against theory.negative_binomial_pmf (200,000 draws; cells with an
    expected count under 5 are pooled into the tails), at the 0.1% level."""
    n = 200_000
    draws = kernels.negative_binomial_draws(np.random.default_rng(17), np.full(n, mean), np.full(n, alpha))
    upto = int(mean + 40 * math.sqrt(mean + alpha * mean**2) + 40)
    pmf = theory.negative_binomial_pmf(mean, alpha, upto)
    expected, observed = n * pmf, np.bincount(np.minimum(draws, upto), minlength=upto + 1).astype(float)
    keep = np.flatnonzero(expected >= 5)
    lo, hi = keep[0], keep[-1]
    exp_cells = np.concatenate(([expected[: lo + 1].sum()], expected[lo + 1: hi], [expected[hi:].sum()]))
    obs_cells = np.concatenate(([observed[: lo + 1].sum()], observed[lo + 1: hi], [observed[hi:].sum()]))
    if exp_cells.size < 2:  # nearly all mass at 0: compare P[0] directly
        exp_cells, obs_cells = np.array([expected[0], n - expected[0]]), np.array([observed[0], n - observed[0]])
    chi2 = float(((obs_cells - exp_cells) ** 2 / exp_cells).sum())
    df = exp_cells.size - 1
    z = 3.09  # Wilson-Hilferty 99.9% quantile of chi-square(df)
    assert chi2 < df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3, (chi2, df)


@pytest.mark.parametrize("seed", SEEDS)
def test_walk_in_store_matches_reference(seed):
    """Draws equal a plain-Python inversion on the same stream (numba shares NumPy's bit generator),
    and serving matches a plain loop."""
    rng = rng_for(seed)
    k = 40
    mean = np.minimum(rng.gamma(0.5, 4.0, k), kernels.INVERSION_MAX_MEAN) * rng.choice([0.0, 1.0], k, p=[0.1, 0.9])
    alpha = rng.choice([0.0, 0.3, 1.2], k)
    open_share = float(rng.choice([1.0, 0.5, 0.0]))
    on_hand, margin = rng.integers(0, 6, k), rng.uniform(0, 5, k)
    days = [np.zeros(k, np.int64) for _ in range(3)]
    draws = np.random.default_rng(seed)
    stock, want_all, sold_all = on_hand.copy(), np.zeros(k, np.int64), np.zeros(k, np.int64)
    for j in range(k):
        want_all[j] = _nb_reference(draws, mean[j], alpha[j])
        serve = want_all[j] if open_share >= 1 else int(np.floor(want_all[j] * open_share))
        sold_all[j] = min(serve, stock[j])
        stock[j] -= sold_all[j]
    want = np.zeros(k, np.int64)
    got = kernels.walk_in_store(np.random.default_rng(seed), mean, alpha, open_share, on_hand, *days, margin, want)
    np.testing.assert_array_equal(want, want_all)  # what a history records, and a replay serves
    np.testing.assert_array_equal(on_hand, stock)
    np.testing.assert_array_equal(days[0], want_all)
    np.testing.assert_array_equal(days[1], sold_all)
    np.testing.assert_array_equal(days[2], sold_all)
    wanted = want_all > 0
    assert got[:4] == (want_all.sum(), sold_all.sum(), wanted.sum(), (wanted & (sold_all == want_all)).sum())
    assert got[4] == pytest.approx(((want_all - sold_all) * margin).sum(), rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_allocate_lines_matches_reference(seed):
    rng = rng_for(seed)
    on_hand = rng.integers(0, 4, (3, 5))
    n = 40
    node, sku, qty, held = rng.integers(0, 3, n), rng.integers(0, 5, n), rng.integers(1, 4, n), rng.integers(0, 2, n)
    expected_stock = on_hand.copy()
    expected = []
    for j in range(n):
        take = min(qty[j], max(expected_stock[node[j], sku[j]] - held[j], 0))
        expected_stock[node[j], sku[j]] -= take
        expected.append(take)
    filled = kernels.allocate_lines(on_hand, node, sku, qty, held)
    np.testing.assert_array_equal(filled, expected)
    np.testing.assert_array_equal(on_hand, expected_stock)


def _source_reference(stock, orders, cands, whole_first, choose_store, held, reserved, inaccuracy, fail_u, quota, gap):
    """Plain-Python statement of the sourcing rules (kernels.source_orders' docstring), the platform seeing
    each node's stock plus its record ``gap`` (records synced in real time), less what each channel is held
    back and what each node keeps for the nodes it supplies (``reserved``)."""
    stock, quota = stock.copy(), quota.copy()
    out = []
    j = 0
    for zone, channel, lines in orders:
        nodes = [n for n in cands[zone, channel] if n >= 0]
        used = set()

        def open_to(n, used=used, channel=channel):
            return n in used or quota[n, channel] > 0

        def avail(n, k, channel=channel):
            return max(stock[n, k] + gap[n, k] - held[n, channel] - reserved[n, k], 0)

        def shelf(n, k, channel=channel):
            return max(stock[n, k] - held[n, channel] - reserved[n, k], 0)

        def fits(n, lines=lines, avail=avail):
            need = {}
            for k, q in lines:
                need[k] = need.get(k, 0) + q
            return sum(avail(n, k) >= need[k] for k, _ in lines)

        chosen = None
        if choose_store[channel]:
            open_stores = [n for n in nodes if quota[n, channel] > 0]
            if not open_stores:
                out += [(nodes[0], 0, False)] * len(lines)
                j += len(lines)
                continue
            scores = [fits(n) for n in open_stores]
            full = [n for n, sc in zip(open_stores, scores, strict=True) if sc == len(lines)]
            chosen = full[0] if full else open_stores[int(np.argmax(scores))]
        elif whole_first[channel]:
            full = [n for n in nodes if open_to(n) and fits(n) == len(lines)]
            chosen = full[0] if full else None
        for k, q in lines:
            node = chosen
            if node is None:
                options = ([n for n in nodes if open_to(n) and avail(n, k) >= q] + [n for n in nodes if avail(n, k) >= q]
                           + [n for n in nodes if avail(n, k) > 0] + nodes)
                node = options[0]
            take = min(q, avail(node, k))
            if fail_u[j] < inaccuracy[node] or shelf(node, k) < take:
                out.append((node, 0, True))
            else:
                stock[node, k] -= take
                out.append((node, take, False))
                if take > 0 and node not in used:
                    used.add(node)
                    quota[node, :] -= 1
            j += 1
    return out, stock, quota


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reserving", [False, True])
def test_source_orders_matches_reference(seed, reserving):
    rng = rng_for(seed)
    n_nodes, n_skus, n_zones, n_channels = 5, 4, 3, 3
    stock = rng.integers(0, 4, (n_nodes, n_skus))
    cands = np.full((n_zones, n_channels, 4), -1)
    for z in range(n_zones):
        for c in range(n_channels):
            m = rng.integers(1, 5)
            cands[z, c, :m] = rng.permutation(n_nodes)[:m]
    orders = [(rng.integers(n_zones), rng.integers(n_channels),
               [(int(rng.integers(n_skus)), int(rng.integers(1, 4))) for _ in range(rng.integers(1, 4))]) for _ in range(30)]
    whole_first, choose_store = np.array([False, True, False]), np.array([False, False, True])
    held = rng.integers(0, 2, (n_nodes, n_channels))
    reserved = rng.integers(0, 3, (n_nodes, n_skus)) if reserving else None
    inaccuracy = rng.choice([0.0, 0.0, 0.3], n_nodes)
    n_lines = sum(len(lines) for *_, lines in orders)
    fail_u = rng.random(n_lines)
    quota = rng.integers(0, 4, (n_nodes, n_channels))
    view = kernels.exact_view(n_nodes)._replace(  # nodes whose records the platform sees, with gaps either way
        lagged=rng.random(n_nodes) < 0.6, gap=rng.integers(-2, 3, (n_nodes, n_skus)))
    gap = np.where(view.lagged[:, None], view.gap, 0)
    expected, expected_stock, expected_quota = _source_reference(
        stock, orders, cands, whole_first, choose_store, held, reserved if reserving else np.zeros_like(stock), inaccuracy,
        fail_u, quota, gap)
    line_start = np.concatenate(([0], np.cumsum([len(lines) for *_, lines in orders])))
    skus = np.array([k for *_, lines in orders for k, _ in lines])
    qty = np.array([q for *_, lines in orders for _, q in lines])
    demand, out, sold = np.zeros_like(stock), np.zeros_like(stock), np.zeros_like(stock)
    lines = kernels.OrderLines(zone=np.array([o[0] for o in orders]), channel=np.array([o[1] for o in orders]),
                               hour=np.zeros(len(orders)), line_start=line_start, line_sku=skus, line_qty=qty)
    node, filled, failed = kernels.source_orders(
        kernels.empty_stock(stock.shape, on_hand=stock, today_demand=demand, today_out=out, today_sold=sold), lines, cands,
        whole_first, choose_store, held, reserved, inaccuracy, fail_u, quota, np.zeros(n_lines), view)
    assert list(zip(node.tolist(), filled.tolist(), failed.tolist(), strict=True)) == expected
    expected_demand, expected_out = np.zeros_like(stock), np.zeros_like(stock)
    np.add.at(expected_demand, (node, skus), qty)
    np.add.at(expected_out, (node, skus), filled)
    np.testing.assert_array_equal(demand, expected_demand)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(sold, expected_out)
    np.testing.assert_array_equal(stock, expected_stock)
    np.testing.assert_array_equal(quota, expected_quota)


def _pick_reference(ready, job_node, busy, pickers, rate, open_h, close_h, work):
    busy = busy.copy()
    done = []
    for t, node, w in zip(ready, job_node, work, strict=True):
        p = int(np.argmin(busy[node, : pickers[node]]))
        start, r = _open_from(max(t, busy[node, p]), node, rate, open_h, close_h)
        busy[node, p] = start + w * pickers[node] / r
        done.append(busy[node, p])
    return np.array(done), busy


def _open_from(start, node, rate, open_h, close_h):
    while True:
        day = int(start // 24)
        r = rate[node, min(day, rate.shape[1] - 1)]
        hour = start - 24 * day
        if r <= 0 or hour >= close_h[node]:
            start = 24 * (day + 1) + open_h[node]
        elif hour < open_h[node]:
            start = 24 * day + open_h[node]
        else:
            return start, r


def _due_first_reference(ready, job_node, busy, pickers, rate, open_h, close_h, work, due):
    """Plain Python: per node, whenever the soonest-free picker may start, it takes the released job due
    soonest (ties by position), or waits for the next job."""
    busy, done = busy.copy(), np.full(ready.size, np.inf)
    for node in range(busy.shape[0]):
        waiting = [j for j in range(ready.size) if job_node[j] == node]
        while waiting:
            p = int(np.argmin(busy[node, : pickers[node]]))
            t = busy[node, p]
            released = [j for j in waiting if ready[j] <= t]
            if not released:
                t = min(ready[j] for j in waiting)
            t, r = _open_from(t, node, rate, open_h, close_h)
            j = min((j for j in waiting if ready[j] <= t), key=lambda j: (due[j], j))
            waiting.remove(j)
            busy[node, p] = done[j] = t + work[j] * pickers[node] / r
    return done, busy


def _picking_case(seed):
    rng = rng_for(seed)
    n_nodes, days = 3, 6
    rate = rng.choice([0.0, 2.0, 5.0, 10.0], (n_nodes, days))
    rate[:, -1] = 4.0  # never closed for good
    open_h, close_h = np.array([6.0, 8.0, 0.0]), np.array([22.0, 20.0, 24.0])
    pickers = np.array([1, 3, 2])
    ready = np.sort(rng.uniform(0, 24 * 3, 60))
    return rng, ready, rng.integers(0, n_nodes, 60), rng.uniform(0, 30, (n_nodes, 3)), pickers, rate, open_h, close_h, \
        rng.exponential(size=60)


@pytest.mark.parametrize("seed", SEEDS)
def test_pick_orders_matches_reference(seed):
    _, ready, job_node, busy, pickers, rate, open_h, close_h, work = _picking_case(seed)
    expected, expected_busy = _pick_reference(ready, job_node, busy, pickers, rate, open_h, close_h, work)
    done = kernels.pick_orders(ready, job_node, busy, pickers, rate, open_h, close_h, work)
    np.testing.assert_allclose(done, expected)
    np.testing.assert_allclose(busy, expected_busy)
    assert np.all(done > ready)


@pytest.mark.parametrize("seed", SEEDS)
def test_pick_orders_due_first_matches_reference(seed):
    rng, ready, job_node, busy, pickers, rate, open_h, close_h, work = _picking_case(seed)
    due = ready + rng.choice([1.0, 24.0, 48.0], ready.size)  # instant, next-day and later promises mixed
    expected, expected_busy = _due_first_reference(ready, job_node, busy, pickers, rate, open_h, close_h, work, due)
    done = kernels.pick_orders_due_first(ready, job_node, busy, pickers, rate, open_h, close_h, work, due,
                                         np.argsort(job_node, kind="stable"))
    np.testing.assert_allclose(done, expected)
    np.testing.assert_allclose(busy, expected_busy)


@pytest.mark.parametrize("seed", range(5))
def test_due_first_with_due_in_arrival_order_is_first_come_first_served(seed):
    """Due hours in the order jobs arrive: the released job due soonest is always the next in line."""
    _, ready, job_node, busy, pickers, rate, open_h, close_h, work = _picking_case(seed)
    fifo_busy = busy.copy()
    fifo = kernels.pick_orders(ready, job_node, fifo_busy, pickers, rate, open_h, close_h, work)
    due_first = kernels.pick_orders_due_first(ready, job_node, busy, pickers, rate, open_h, close_h, work, ready + 5.0,
                                              np.argsort(job_node, kind="stable"))
    np.testing.assert_allclose(due_first, fifo)
    np.testing.assert_allclose(busy, fifo_busy)


def test_pick_orders_at_a_node_closed_for_good_never_finish():
    rate = np.zeros((1, 3))
    done = kernels.pick_orders(np.array([1.0, 2.0]), np.array([0, 0]), np.zeros((1, 1)), np.array([1]), rate,
                               np.array([0.0]), np.array([24.0]), np.ones(2))
    assert np.isinf(done).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_ordering_rules_match_reference(seed):
    rng = rng_for(seed)
    position = rng.integers(-5, 30, (4, 9))
    s = rng.integers(0, 15, (4, 9))
    S = s + rng.integers(0, 15, (4, 9))
    Q = rng.integers(0, 6, (4, 9))
    np.testing.assert_array_equal(kernels.order_min_max(position, np.arange(len(position)), s, S), np.where(position <= s, S - position, 0))
    np.testing.assert_array_equal(kernels.order_up_to(position, np.arange(len(position)), S), np.maximum(S - position, 0))
    expected = np.zeros_like(position)
    for idx in np.ndindex(position.shape):
        q, p = Q[idx], position[idx]
        while q > 0 and p + expected[idx] <= s[idx]:
            expected[idx] += q
    got = kernels.order_reorder_qty(position, np.arange(len(position)), s, Q)
    np.testing.assert_array_equal(got, expected)
    lifted = position + got
    assert np.all((lifted > s) | (Q == 0) | (position > s))


@pytest.mark.parametrize("seed", SEEDS)
def test_lot_rules_match_reference(seed):
    """Each positive order rises to its minimum (the lane's; the supplier's per SKU where the row is fed
    by the supplier), then to whole cases on a case lane; zero orders stay zero."""
    rng = rng_for(seed)
    wanted = np.where(rng.random((5, 8)) < 0.3, 0, rng.integers(1, 40, (5, 8)))
    cases, supplier_fed = rng.random(5) < 0.5, rng.random(5) < 0.5
    lane_min, case_pack, supplier_min = rng.integers(0, 10, 5), rng.integers(1, 13, 8), rng.integers(0, 25, 8)
    expected = wanted.copy()
    for i, k in np.ndindex(wanted.shape):
        if wanted[i, k] > 0:
            q = max(wanted[i, k], lane_min[i], supplier_min[k] if supplier_fed[i] else 0)
            expected[i, k] = math.ceil(q / case_pack[k]) * case_pack[k] if cases[i] else q
    got = wanted.copy()
    kernels.round_orders(got, cases, lane_min, supplier_fed, case_pack, supplier_min)
    np.testing.assert_array_equal(got, expected)
    assert np.all(got[cases] % case_pack[None, :] == 0) and np.all(got >= wanted)


@pytest.mark.parametrize("seed", SEEDS)
def test_forecast_kernels_match_reference(seed):
    rng = rng_for(seed)
    level, mse = rng.uniform(0, 5, (3, 4)), rng.uniform(0, 3, (3, 4))
    observed = rng.integers(0, 10, (3, 4)).astype(float)
    alpha = 0.3
    error = observed - level
    want_level, want_mse = level + alpha * error, (1 - alpha) * mse + alpha * error**2
    kernels.smooth_forecast(level, mse, observed, alpha)
    np.testing.assert_allclose(level, want_level)
    np.testing.assert_allclose(mse, want_mse)
    p, lead_var = np.array([1.0, 3.0, 8.0]), np.array([0.0, 0.5, 2.0])
    over_p = p * (2 - alpha + alpha * p) / 2
    z = np.array([1.645, 0.0, 2.33, -0.5])  # per SKU: each its velocity class's service level
    target = level * p[:, None] + z[None, :] * np.sqrt(mse * over_p[:, None] + level**2 * lead_var[:, None])
    np.testing.assert_array_equal(kernels.forecast_levels(level, mse, p, lead_var, z, alpha),
                                  np.where(target > 0, np.ceil(target - 1e-9), 0))


def test_fixed_quantity_orders_one_lot_at_or_below_the_reorder_point():
    """(R, s, Q): a position at or below s orders exactly Q (not the multiples reorder_qty takes), above s nothing."""
    position = np.array([[-7, 3, 4, 10], [0, 0, 9, 2]])
    s, Q = np.array([[3, 3, 3, 3], [5, 0, 8, 1]]), np.array([[4, 4, 4, 4], [2, 6, 1, 9]])
    got = kernels.order_fixed_quantity(position, np.array([0, 1]), s, Q)
    np.testing.assert_array_equal(got, [[4, 4, 0, 0], [2, 6, 0, 0]])
    assert kernels.order_reorder_qty(position, np.array([0, 1]), s, Q)[0, 0] == 12  # reorder_qty lifts -7 above 3


@pytest.mark.parametrize("sold, mean, variance", [(0, 2.0, 2.0), (3, 2.0, 2.0), (3, 2.0, 5.0), (12, 4.0, 9.0), (1, 0.05, 0.05),
                                                  (40, 3.0, 3.0), (5, 0.0, 0.0)])
def test_censored_moments_are_the_conditional_moments(sold, mean, variance):
    """E[D | D >= s] and E[(D - m)^2 | D >= s] against scipy's Poisson and negative binomial (the kernel's
    recursion and tail sums, by an independent route); a tail of no probability gives the sale itself."""
    from scipy import stats

    first, square = kernels.censored_moments(sold, mean, variance)
    if mean == 0.0:
        assert (first, square) == (sold, sold**2)
        return
    dist = stats.poisson(mean) if variance <= mean else stats.nbinom(mean**2 / (variance - mean), mean / variance)
    k = np.arange(sold, sold + 2000)
    tail = dist.pmf(k)
    if tail.sum() < 1e-9:
        assert (first, square) == (sold, (sold - mean) ** 2)
        return
    assert first == pytest.approx((k * tail).sum() / tail.sum(), rel=1e-7)
    assert square == pytest.approx((((k - mean) ** 2) * tail).sum() / tail.sum(), rel=1e-7)
    assert first >= sold


def test_forecasts_learn_from_sales_and_unconstrain_empty_days():
    """``smooth_forecast_from_sales`` against a plain reference: rows learn demand less what they turned away;
    where a row that can turn customers away ends with its record (shelf plus gap) at zero or below, the
    update uses the censored moments under the forecast and the planner's overdispersion instead."""
    rng = rng_for(3)
    n, k = 5, 6
    demand = rng.integers(0, 8, (n, k))
    turned_away = np.where(rng.random((n, k)) < 0.3, rng.integers(0, 3, (n, k)), 0)
    turned_away = np.minimum(turned_away, demand)
    on_hand, gap = rng.integers(0, 3, (n, k)), rng.integers(-1, 2, (n, k))
    censors = np.array([True, True, False, True, False])
    rows = np.array([0, 2, 3])
    level, mse, dispersion = rng.uniform(0.5, 4, (3, k)), rng.uniform(0.5, 6, (3, k)), rng.uniform(0, 0.5, (3, k))
    want_level, want_mse = level.copy(), mse.copy()
    alpha = 0.2
    for i, r in enumerate(rows):
        for j in range(k):
            sold, f = demand[r, j] - turned_away[r, j], level[i, j]
            if censors[r] and on_hand[r, j] + gap[r, j] <= 0:
                first, square = kernels.censored_moments(sold, f, f + dispersion[i, j] * f * f)
            else:
                first, square = sold, (sold - f) ** 2
            want_level[i, j] = f + alpha * (first - f)
            want_mse[i, j] = (1 - alpha) * mse[i, j] + alpha * square
    kernels.smooth_forecast_from_sales(level, mse, dispersion, rows, demand, turned_away, on_hand, gap, censors, alpha)
    np.testing.assert_allclose(level, want_level)
    np.testing.assert_allclose(mse, want_mse)
    censored = censors[rows][:, None] & (on_hand[rows] + gap[rows] <= 0)
    assert censored.any() and (~censored).any()  # both branches ran


@pytest.mark.parametrize("lam, shelf, a", [(4.0, 4, 0.0), (2.0, 1, 0.0), (4.0, 4, 0.3)])
def test_learning_from_censored_sales_recovers_the_demand(lam, shelf, a):
    """A shelf of ``shelf`` units every morning against demand of mean ``lam`` (Poisson, or negative binomial
    with overdispersion ``a``): smoothing the sales converges on E[min(D, shelf)] (the exact expectation of a
    linear filter, here 20-60% below the demand), while unconstraining the days the shelf ran out recovers the
    demand's mean to within 3% (the update is not linear in the forecast, so a small bias is left; measured
    at 0.4-2%). 1,000 independent copies x 900 days after a warm-up of 100."""
    rng = np.random.default_rng(5)
    copies, days, alpha = 1000, 1000, 0.2
    level, mse = np.full((1, copies), lam), np.full((1, copies), lam + a * lam**2)
    naive, naive_mse = level.copy(), mse.copy()
    learnt, filtered = [], []
    for day in range(days):
        demand = rng.poisson(rng.gamma(1 / a, a * lam, copies) if a else lam, copies)[None, :]
        sold = np.minimum(demand, shelf)
        kernels.smooth_forecast_from_sales(level, mse, np.full((1, copies), a), np.array([0]), demand, demand - sold,
                                           shelf - sold, np.zeros((0, 0), np.int64), np.array([True]), alpha)
        kernels.smooth_forecast(naive, naive_mse, sold.astype(float), alpha)
        if day >= 100:
            learnt.append(level.mean())
            filtered.append(naive.mean())
    k = np.arange(shelf)
    pmf = theory.negative_binomial_pmf(lam, a, shelf + 200)
    expected_sales = (k * pmf[:shelf]).sum() + shelf * (1 - pmf[:shelf].sum())
    assert np.mean(filtered) == pytest.approx(expected_sales, rel=0.01)
    assert np.mean(learnt) == pytest.approx(lam, rel=0.03)


def _fill(available, requests, rank, proportional, blocks=2):
    """The engine's ``fill_requests`` for one source (row 0) and its children (rows 1..m), nothing owed
    before, in ``blocks`` SKU blocks; checks its bookkeeping and returns the shipped matrix."""
    m, k = requests.shape
    on_hand = np.zeros((m + 1, k), np.int64)
    on_hand[0] = available
    owed, pipeline, supplied, today_out, today_demand = (np.zeros_like(on_hand) for _ in range(5))
    shipped = np.zeros_like(requests)
    edges = np.linspace(0, k, blocks + 1).astype(int)
    for first, stop in pairwise(edges):
        stock = kernels.empty_stock(on_hand.shape, on_hand=on_hand, owed=owed, pipeline=pipeline, supplied=supplied,
                                    today_out=today_out, today_demand=today_demand)
        r, sku, units, _ = kernels.fill_requests(np.arange(1, m + 1), requests, 0, stock, rank, proportional, first, stop)
        shipped[r, sku] = units
    np.testing.assert_array_equal(pipeline[1:], shipped)
    np.testing.assert_array_equal(owed[1:], requests - shipped)
    np.testing.assert_array_equal(on_hand[0], available - shipped.sum(axis=0))
    np.testing.assert_array_equal(today_demand[0], requests.sum(axis=0))
    return shipped


@pytest.mark.parametrize("seed", SEEDS)
def test_ration_proportional_matches_reference(seed):
    rng = rng_for(seed)
    m, k = 4, 6
    requests = rng.integers(0, 10, (m, k))
    available = rng.integers(0, 30, k)
    shipped = _fill(available, requests, np.arange(m), proportional=True)
    for j in range(k):
        total = requests[:, j].sum()
        if total <= available[j]:
            np.testing.assert_array_equal(shipped[:, j], requests[:, j])
            continue
        exact = requests[:, j] * available[j] / total
        base = np.floor(exact).astype(int)
        left = available[j] - base.sum()
        order = sorted(range(m), key=lambda i: (-(exact[i] - base[i]), i))
        for i in order[:left]:
            base[i] += 1
        np.testing.assert_array_equal(shipped[:, j], base)
        assert shipped[:, j].sum() == available[j]
    assert np.all(shipped <= requests)


@pytest.mark.parametrize("seed", SEEDS)
def test_fill_requests_counts_what_ships_on_the_day_asked(seed):
    """Per requesting row (``REQUEST_COLUMNS``): units shipped, units asked today, and of today's units those
    shipped today, older debts shipping first; over two SKU blocks, priority rationing."""
    rng = rng_for(seed)
    m, k = 4, 6
    wanted, debt = rng.integers(0, 10, (m, k)), np.where(rng.random((m, k)) < 0.4, rng.integers(1, 6, (m, k)), 0)
    available, rank = rng.integers(0, 30, k), rng.permutation(m)
    on_hand = np.zeros((m + 1, k), np.int64)
    on_hand[0] = available
    owed = np.zeros_like(on_hand)
    owed[1:] = debt
    pipeline, supplied, today_out, today_demand = (np.zeros_like(on_hand) for _ in range(4))
    per_row = np.zeros((m, len(kernels.REQUEST_COLUMNS)), np.int64)
    for first, stop in ((0, 3), (3, k)):
        stock = kernels.empty_stock(on_hand.shape, on_hand=on_hand, owed=owed, pipeline=pipeline, supplied=supplied,
                                    today_out=today_out, today_demand=today_demand)
        per_row += kernels.fill_requests(np.arange(1, m + 1), wanted, 0, stock, rank, False, first, stop).per_row
    sent = pipeline[1:]
    columns = dict(zip(kernels.REQUEST_COLUMNS, per_row.T, strict=True))
    np.testing.assert_array_equal(columns["shipped"], sent.sum(axis=1))
    np.testing.assert_array_equal(columns["asked"], wanted.sum(axis=1))
    np.testing.assert_array_equal(columns["shipped_on_day"], np.maximum(sent - debt, 0).sum(axis=1))
    np.testing.assert_array_equal(owed[1:], debt + wanted - sent)


@pytest.mark.parametrize("seed", SEEDS)
def test_ration_priority_matches_reference(seed):
    rng = rng_for(seed)
    m, k = 4, 6
    requests = rng.integers(0, 10, (m, k))
    available = rng.integers(0, 30, k)
    rank = rng.permutation(m)
    expected = np.zeros_like(requests)
    for j in range(k):
        left = available[j]
        for i in rank:
            expected[i, j] = min(requests[i, j], left)
            left -= expected[i, j]
    np.testing.assert_array_equal(_fill(available, requests, rank, proportional=False), expected)


def _age_reference(cohorts, life, received, outflow, newest):
    cohorts = cohorts.copy()
    spoiled = np.zeros(received.shape, np.int64)
    for n in range(cohorts.shape[0]):
        for p in range(cohorts.shape[1]):
            ages = list(cohorts[n, p, : life[p]])
            ages[0] += received[n, p]
            fresh = min(newest[n, p], outflow[n, p])
            for a in range(life[p]):  # the freshest first, for the shoppers who reach past the rest
                take = min(fresh, ages[a])
                ages[a] -= take
                fresh -= take
            need = outflow[n, p] - min(newest[n, p], outflow[n, p])
            for a in reversed(range(life[p])):  # oldest first
                take = min(need, ages[a])
                ages[a] -= take
                need -= take
            spoiled[n, p] = ages[-1]
            ages = [0, *ages[:-1]]
            cohorts[n, p, : life[p]] = ages
    return cohorts, spoiled


@pytest.mark.parametrize("seed", SEEDS)
def test_age_stock_matches_reference(seed):
    rng = rng_for(seed)
    life = rng.integers(1, 5, 3)
    cohorts = np.zeros((2, 3, 4), np.int64)
    for p in range(3):
        cohorts[:, p, : life[p]] = rng.integers(0, 5, (2, life[p]))
    received = rng.integers(0, 5, (2, 3))
    stock = cohorts.sum(axis=2) + received
    outflow = rng.integers(0, 1 + stock)
    newest = rng.integers(0, 1 + outflow) * (rng.random(outflow.shape) < 0.6)  # some node-SKUs all oldest first
    want_cohorts, want_spoiled = _age_reference(cohorts, life, received, outflow, newest)
    spoiled = kernels.age_stock(cohorts, life, received, outflow, newest)
    np.testing.assert_array_equal(spoiled, want_spoiled)
    np.testing.assert_array_equal(cohorts, want_cohorts)
    # units are conserved: what was there + received = sold + spoiled + what is left
    assert (stock - outflow - spoiled == cohorts.sum(axis=2)).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_match_transfers_matches_reference(seed):
    rng = rng_for(seed)
    excess, need = rng.integers(0, 6, (4, 5)) * (rng.random((4, 5)) < 0.5), rng.integers(0, 6, (3, 5))
    expected = []
    for k in range(5):
        give, take = excess[:, k].copy(), need[:, k].copy()
        for r in sorted(range(3), key=lambda i: (-take[i], i)):
            for d in sorted(range(4), key=lambda i: (-excess[i, k], i)):
                moved = min(take[r], give[d])
                if moved > 0:
                    expected.append((d, r, k, moved))
                    take[r] -= moved
                    give[d] -= moved
    got = list(zip(*(a.tolist() for a in kernels.match_transfers(excess, need)), strict=True))
    assert got == expected


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_book_shipments_matches_ufunc_at(seed):
    rng = rng_for(seed)
    n_orders, n = 6, 15
    rows, nodes = rng.integers(0, n_orders, n), rng.integers(0, 3, n)
    hours = [rng.uniform(0, 50, n) for _ in range(3)]
    cost = rng.uniform(0, 3, 3)
    start = [np.where(rng.random(n_orders) < 0.5, np.nan, rng.uniform(0, 50, n_orders)) for _ in range(3)]
    last_mile = rng.uniform(0, 9, n)
    got = [h.copy() for h in start] + [np.zeros(n_orders, np.int64), np.zeros(n_orders), np.zeros(n_orders)]
    kernels.book_shipments(rows, nodes, *hours, cost, last_mile, *got)
    for column, value, before in zip(got[:3], hours, start, strict=True):
        expected = before.copy()
        np.fmax.at(expected, rows, value)
        np.testing.assert_array_equal(column, expected)
    np.testing.assert_array_equal(got[3], np.bincount(rows, minlength=n_orders))
    np.testing.assert_allclose(got[4], np.bincount(rows, weights=cost[nodes], minlength=n_orders), rtol=1e-12)
    np.testing.assert_allclose(got[5], np.bincount(rows, weights=last_mile, minlength=n_orders), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_close_day_matches_numpy(seed):
    rng = rng_for(seed)
    shape = (4, 9)
    on_hand, pipeline, backordered = (rng.integers(0, 5, shape) for _ in range(3))
    stocked = rng.random(shape) < 0.8
    today = [rng.integers(0, 4, shape) for _ in range(3)]  # in, out, sold
    spoiled, cost = rng.integers(0, 3, shape), rng.uniform(1, 20, shape[1])
    totals = [rng.integers(0, 9, shape) for _ in range(3)]  # received, outflow, sold
    expected_totals = [t + d for t, d in zip(totals, today, strict=True)]
    today_in, today_out, today_sold = (t.copy() for t in today)
    expected = {"on_hand_units": on_hand.sum(1), "on_hand_value": on_hand @ cost, "in_transit_units": pipeline.sum(1),
                "backordered_units": backordered.sum(1), "stockout_days": ((on_hand == 0) & stocked).sum(1),
                "stocked": stocked.sum(1), "sold_units": today_sold.sum(1), "outflow_units": today_out.sum(1),
                "outflow_value": today_out @ cost, "sold_value": today_sold @ cost, "spoiled_units": spoiled.sum(1)}
    got = np.zeros((shape[0], len(kernels.CLOSE_COLUMNS)))
    stock = kernels.empty_stock(shape, on_hand=on_hand, pipeline=pipeline, backordered=backordered, stocked=stocked,
                                today_in=today_in, today_out=today_out, today_sold=today_sold, spoiled=spoiled,
                                received=totals[0], outflow=totals[1], sold=totals[2])
    kernels.close_day(np.arange(shape[0]), stock, cost, got)
    for name, column in zip(kernels.CLOSE_COLUMNS, got.T, strict=True):
        np.testing.assert_allclose(column, expected[name], rtol=1e-12, err_msg=name)
    for t, e in zip(totals, expected_totals, strict=True):
        np.testing.assert_array_equal(t, e)
    assert not (today_in.any() or today_out.any() or today_sold.any())


@pytest.mark.parametrize("mean", [0.0, 0.05, 0.8, 6.0, 25.0])
def test_poisson_inverse_follows_the_poisson_pmf(mean):
    """Chi-square goodness of fit of 100,000 inversions against theory's Poisson pmf (negative binomial
    with alpha 0), pooling cells expected under 5, at the 0.1% level; mean 0 gives only zeros."""
    n = 100_000
    u = np.random.default_rng(23).random(n)
    draws = np.array([kernels.poisson_inverse(x, mean) for x in u])
    if mean == 0.0:
        assert not draws.any()
        return
    upto = int(mean + 12 * math.sqrt(mean) + 12)
    expected = n * theory.negative_binomial_pmf(mean, 0.0, upto)
    observed = np.bincount(np.minimum(draws, upto), minlength=upto + 1).astype(float)
    keep = np.flatnonzero(expected >= 5)
    lo, hi = keep[0], keep[-1]
    exp_cells = np.concatenate(([expected[: lo + 1].sum()], expected[lo + 1: hi], [n - expected[: hi].sum()]))
    obs_cells = np.concatenate(([observed[: lo + 1].sum()], observed[lo + 1: hi], [n - observed[: hi].sum()]))
    chi2, df = float(((obs_cells - exp_cells) ** 2 / exp_cells).sum()), exp_cells.size - 1
    assert chi2 < df * (1 - 2 / (9 * df) + 3.09 * math.sqrt(2 / (9 * df))) ** 3, (chi2, df)


@pytest.mark.parametrize("seed", SEEDS)
def test_drift_records_matches_reference(seed):
    rng = rng_for(seed)
    n, k = 4, 6
    rows = np.array([0, 2, 3])
    sold = rng.integers(0, 8, (n, k)) * (rng.random((n, k)) < 0.7)
    on_hand = rng.integers(0, 5, (n, k))
    gap = rng.integers(-2, 3, (n, k))
    lost, today_lost = np.zeros((n, k), np.int64), np.zeros((n, k), np.int64)
    u = rng.random((3, rows.size, k))
    cost = rng.random(k) * 10
    shrink, half = 0.3, 0.1
    want = [a.copy() for a in (on_hand, gap, lost)]
    want_out = np.zeros((rows.size, 2))
    for i, r in enumerate(rows):
        for j in range(k):
            if sold[r, j]:
                loss = min(_poisson_reference(u[0, i, j], shrink * sold[r, j]), want[0][r, j])
                want[0][r, j] -= loss
                want[2][r, j] += loss
                want_out[i] += (loss, loss * cost[j])
                want[1][r, j] += loss + _poisson_reference(u[1, i, j], half * sold[r, j]) \
                    - _poisson_reference(u[2, i, j], half * sold[r, j])
    out = np.zeros((rows.size, 2))
    kernels.drift_records(rows, sold, on_hand, gap, lost, today_lost, shrink, half, u[0], u[1], u[2], cost, out)
    for got, expect in zip((on_hand, gap, lost), want, strict=True):
        np.testing.assert_array_equal(got, expect)
    np.testing.assert_array_equal(today_lost, lost)
    np.testing.assert_allclose(out, want_out)


def _poisson_reference(u, mean):
    k, p = 0, math.exp(-mean)
    cdf = p
    while u > cdf:
        k += 1
        p *= mean / k
        cdf += p
    return k


def _binomial_reference(u, n, p):
    """The smallest k whose Binomial(n, p) cdf reaches u, from the pmf written out."""
    cdf = 0.0
    for k in range(n + 1):
        cdf += math.comb(n, k) * p ** k * (1 - p) ** (n - k)
        if u <= cdf:
            return k
    return n


@pytest.mark.parametrize(("n", "p"), [(0, 0.4), (1, 0.5), (7, 0.2), (7, 0.8), (60, 0.05), (200, 0.6), (5, 1.0), (5, 0.0)])
def test_binomial_inverse_matches_the_cdf_written_out(n, p):
    for u in np.random.default_rng(n).random(300):
        assert kernels.binomial_inverse(u, n, p) == _binomial_reference(u, n, p), u


def test_return_draws_are_two_binomial_inversions_at_each_lines_uniforms():
    """Units returned ~ Binomial(units, rate), of them resellable ~ Binomial(returned, share), each at its own uniform."""
    rng = np.random.default_rng(5)
    units, rate, share = rng.integers(0, 9, 400), rng.random(400) * 0.5, rng.random(400)
    u, v = rng.random(400), rng.random(400)
    returned, resold = kernels.return_draws(units, rate, share, u, v)
    for i in range(400):
        assert returned[i] == _binomial_reference(u[i], units[i], rate[i])
        assert resold[i] == _binomial_reference(v[i], returned[i], share[i])


def _share_reference(open_h, close_h, a, b):
    def by(t):
        return min(max((t - open_h) / (close_h - open_h), 0.0), 1.0)
    return max(by(b) - by(a), 0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_unseen_units_and_carry_match_reference(seed):
    """The platform's view: record gap, plus walk-in sales since the last sync that arrived (today's split by
    opening hours; before today's first arrived sync, those carried from earlier days too)."""
    rng = rng_for(seed)
    n, k, day, interval = 4, 3, 5, float(rng.choice([1.5, 4.0, 7.0, 30.0]))
    lagged = rng.random(n) < 0.7
    gap, unseen, sold = rng.integers(-2, 3, (n, k)), rng.integers(0, 4, (n, k)), rng.integers(0, 9, (n, k))
    first, last = math.ceil(24 * day / interval), math.ceil(24 * (day + 1) / interval)
    sync_hours = np.arange(first, last) * interval
    sync_ok = rng.random((n, sync_hours.size)) < 0.6
    open_h, close_h = rng.uniform(5, 10, n), rng.uniform(17, 23, n)
    view = kernels.PlatformView(lagged=lagged, gap=gap)
    syncs = kernels.Syncs(unseen=unseen, sold=sold, hours=sync_hours, arrived=sync_ok, open_hour=open_h, close_hour=close_h)
    for _ in range(40):
        node, sku, hour, u = int(rng.integers(n)), int(rng.integers(k)), 24 * day + rng.uniform(0, 24), rng.random()
        arrived = [t - 24 * day for t, ok in zip(sync_hours, sync_ok[node], strict=True) if ok and t <= hour]
        since = arrived[-1] if arrived else 0.0
        want = 0 if not lagged[node] else (gap[node, sku] + (0 if arrived else unseen[node, sku])
                                          + _binomial_reference(u, sold[node, sku], _share_reference(open_h[node], close_h[node], since,
                                                                                                       hour - 24 * day)))
        assert kernels.unseen_units(view, syncs, node, sku, hour, u) == want
        assert kernels.unseen_units(view, None, node, sku, hour, u) == (gap[node, sku] if lagged[node] else 0)
    rows = np.flatnonzero(lagged)
    last_sync = np.array([max([t - 24 * day for t, ok in zip(sync_hours, sync_ok[r], strict=True) if ok], default=-1.0) for r in rows])
    u = rng.random((rows.size, k))
    want = unseen.copy()
    for i, r in enumerate(rows):
        for j in range(k):
            want[r, j] = unseen[r, j] + sold[r, j] if last_sync[i] < 0 else \
                _binomial_reference(u[i, j], sold[r, j], _share_reference(open_h[r], close_h[r], last_sync[i], 24.0))
    kernels.carry_unseen(rows, sold, unseen, last_sync, open_h, close_h, u)
    np.testing.assert_array_equal(unseen, want)


def _shortfall_reference(m_p, alpha_p, m_q, alpha_q, S):
    """E[(D_P - S)^+] - E[(D_Q - S)^+] from the validation suite's negative binomial pmfs (alpha per period)."""
    def loss(m, alpha):
        if m == 0:
            return 0.0
        upto = int(m + 60 * math.sqrt(m + alpha * m * m) + 60)
        return theory.discrete_loss(theory.negative_binomial_pmf(m, alpha, upto), S)
    return loss(m_p, alpha_p) - loss(m_q, alpha_q)


@pytest.mark.parametrize("seed", range(10))
def test_fill_rate_levels_match_a_brute_force_search(seed):
    """The smallest S whose cycle shortfall is within (1 - target) x cycle demand, found by walking S up
    with the pmf recurrence, equals a search over S with the validation suite's exact losses."""
    rng = rng_for(seed)
    n = 30
    mu = rng.lognormal(-1.0, 1.5, n)
    alpha = rng.choice([0.0, 0.3, 1.5], n)
    lead, review = rng.integers(1, 4, n), rng.integers(1, 8, n)
    target = float(rng.choice([0.9, 0.95, 0.97, 0.99]))
    p, q = lead + review - 1.0, lead - 1.0
    # P days of NB(mu, alpha) demand: mean P mu, variance P (mu + alpha mu^2), i.e. alpha / P per period.
    got = kernels.fill_rate_levels(mu * p, p * (mu + alpha * mu**2), mu * q, q * (mu + alpha * mu**2), mu * review, target)
    for i in range(n):
        allowed = (1 - target) * mu[i] * review[i]
        S = 0
        while _shortfall_reference(mu[i] * p[i], alpha[i] / p[i], mu[i] * q[i], alpha[i] / q[i] if q[i] else 0.0, S) > allowed:
            S += 1
        assert got[i] == S, (i, mu[i], alpha[i], lead[i], review[i], target)


def test_fill_rate_levels_use_the_normal_loss_past_its_threshold():
    """Above NORMAL_FROM_MEAN units over the protection period: the smallest S by the normal loss function."""
    from simulation.kernels.sizing import NORMAL_FROM_MEAN
    mean_p, var_p, mean_q, var_q, cycle = (x * NORMAL_FROM_MEAN for x in (2.5, 4.0, 1.5, 2.4, 1.0))
    got = kernels.fill_rate_levels(*(np.array([x]) for x in (mean_p, var_p, mean_q, var_q, cycle)), 0.98)[0]
    S = 0
    while (theory.normal_loss(S, mean_p, math.sqrt(var_p)) - theory.normal_loss(S, mean_q, math.sqrt(var_q))) > 0.02 * cycle:
        S += 1
    assert got == S
    assert kernels.fill_rate_levels(*(np.zeros(1) for _ in range(5)), 0.98)[0] == 0  # no demand, no stock


@pytest.mark.parametrize("seed", SEEDS)
def test_line_skus_match_numpy_searchsorted(seed):
    """Each line's SKU is numpy's searchsorted (side right, capped at the last SKU) in its row of cumulative weights,
    with SKUs of zero weight, keys on a row's exact cumulative values, at 0 and at the row's total."""
    rng = rng_for(seed)
    n_skus = int(rng.integers(1, 300))
    weights = rng.gamma(0.4, 1.0, (3, n_skus)) * (rng.random((3, n_skus)) > 0.2)
    weights[:, 0] += 1e-3  # every row has some weight
    cdf = np.cumsum(weights, axis=1)
    group = rng.integers(0, 3, 5000)
    key = rng.random(group.size) * cdf[group, -1]
    edge = rng.integers(0, n_skus, 300)
    key[:300] = cdf[group[:300], edge]
    key[300:310], key[310:320] = 0.0, cdf[group[310:320], -1]
    want = np.minimum([np.searchsorted(cdf[g], x, side="right") for g, x in zip(group, key, strict=True)], n_skus - 1)
    np.testing.assert_array_equal(kernels.line_skus(key=key, group=group, cdf=cdf), want)


@pytest.mark.parametrize("seed", SEEDS)
def test_lines_in_order_keep_each_orders_lines_behind_it(seed):
    rng = rng_for(seed)
    n_lines = rng.integers(0, 4, 50)
    order = rng.permutation(50)
    perm, line_order = kernels.lines_in_order(n_lines=n_lines, order=order)
    placed = [(o, i) for o in range(50) for i in range(n_lines[o])]  # (order, line within it) of each placed line
    want = [placed.index((o, i)) for o in order for i in range(n_lines[o])]
    np.testing.assert_array_equal(perm, want)
    np.testing.assert_array_equal(line_order, np.repeat(np.arange(50), n_lines[order]))
