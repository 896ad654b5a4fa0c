"""Each numba kernel against a plain Python/NumPy reference on random inputs."""

import numpy as np
import pytest

from simulation import kernels

SEEDS = range(25)


def rng_for(seed):
    return np.random.default_rng(1000 + seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_serve_walk_in_matches_reference(seed):
    rng = rng_for(seed)
    on_hand = rng.integers(0, 6, (5, 7))
    rows = np.array([1, 3, 4])
    demand = rng.integers(0, 8, (3, 7))
    open_share = rng.choice([1.0, 0.5, 0.0], 3)
    expected_stock, expected_sold = on_hand.copy(), np.zeros_like(demand)
    for i, node in enumerate(rows):
        for k in range(7):
            want = int(np.floor(demand[i, k] * open_share[i])) if open_share[i] < 1 else demand[i, k]
            expected_sold[i, k] = min(want, expected_stock[node, k])
            expected_stock[node, k] -= expected_sold[i, k]
    sold = kernels.serve_walk_in(on_hand, rows, demand, open_share)
    np.testing.assert_array_equal(sold, expected_sold)
    np.testing.assert_array_equal(on_hand, expected_stock)


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


def _source_reference(stock, orders, cands, whole_first, choose_store, held, inaccuracy, fail_u, quota):
    """Plain-Python statement of the sourcing rules (kernels.source_orders' docstring)."""
    stock, quota = stock.copy(), quota.copy()
    out = []
    j = 0
    for zone, channel, lines in orders:
        nodes = [n for n in cands[zone, channel] if n >= 0]
        used = set()

        def open_to(n, used=used, channel=channel):
            return n in used or quota[n, channel] > 0

        def avail(n, k, channel=channel):
            return max(stock[n, k] - held[n, channel], 0)

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
            if fail_u[j] < inaccuracy[node]:
                out.append((node, 0, True))
            else:
                take = min(q, avail(node, k))
                stock[node, k] -= take
                out.append((node, take, False))
                if take > 0 and node not in used:
                    used.add(node)
                    quota[node, :] -= 1
            j += 1
    return out, stock, quota


@pytest.mark.parametrize("seed", SEEDS)
def test_source_orders_matches_reference(seed):
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
    inaccuracy = rng.choice([0.0, 0.0, 0.3], n_nodes)
    n_lines = sum(len(lines) for *_, lines in orders)
    fail_u = rng.random(n_lines)
    quota = rng.integers(0, 4, (n_nodes, n_channels))
    expected, expected_stock, expected_quota = _source_reference(stock, orders, cands, whole_first, choose_store, held,
                                                                 inaccuracy, fail_u, quota)
    line_start = np.concatenate(([0], np.cumsum([len(lines) for *_, lines in orders])))
    skus = np.array([k for *_, lines in orders for k, _ in lines])
    qty = np.array([q for *_, lines in orders for _, q in lines])
    node, filled, failed = kernels.source_orders(
        stock, np.array([o[0] for o in orders]), np.array([o[1] for o in orders]), line_start, skus, qty, cands,
        whole_first, choose_store, held, inaccuracy, fail_u, quota)
    assert list(zip(node.tolist(), filled.tolist(), failed.tolist(), strict=True)) == expected
    np.testing.assert_array_equal(stock, expected_stock)
    np.testing.assert_array_equal(quota, expected_quota)


def _pick_reference(ready, job_node, busy, pickers, rate, open_h, close_h, work):
    busy = busy.copy()
    done = []
    for t, node, w in zip(ready, job_node, work, strict=True):
        p = int(np.argmin(busy[node, : pickers[node]]))
        start = max(t, busy[node, p])
        while True:
            day = int(start // 24)
            r = rate[node, min(day, rate.shape[1] - 1)]
            hour = start - 24 * day
            if r <= 0 or hour >= close_h[node]:
                start = 24 * (day + 1) + open_h[node]
            elif hour < open_h[node]:
                start = 24 * day + open_h[node]
            else:
                break
        busy[node, p] = start + w * pickers[node] / r
        done.append(busy[node, p])
    return np.array(done), busy


@pytest.mark.parametrize("seed", SEEDS)
def test_pick_orders_matches_reference(seed):
    rng = rng_for(seed)
    n_nodes, days = 3, 6
    rate = rng.choice([0.0, 2.0, 5.0, 10.0], (n_nodes, days))
    rate[:, -1] = 4.0  # never closed for good
    open_h, close_h = np.array([6.0, 8.0, 0.0]), np.array([22.0, 20.0, 24.0])
    pickers = np.array([1, 3, 2])
    ready = np.sort(rng.uniform(0, 24 * 3, 60))
    job_node = rng.integers(0, n_nodes, 60)
    work = rng.exponential(size=60)
    busy = rng.uniform(0, 30, (n_nodes, 3))
    expected, expected_busy = _pick_reference(ready, job_node, busy, pickers, rate, open_h, close_h, work)
    done = kernels.pick_orders(ready, job_node, busy, pickers, rate, open_h, close_h, work)
    np.testing.assert_allclose(done, expected)
    np.testing.assert_allclose(busy, expected_busy)
    assert np.all(done > ready)


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
    np.testing.assert_array_equal(kernels.order_min_max(position, s, S), np.where(position <= s, S - position, 0))
    np.testing.assert_array_equal(kernels.order_up_to(position, S), np.maximum(S - position, 0))
    expected = np.zeros_like(position)
    for idx in np.ndindex(position.shape):
        q, p = Q[idx], position[idx]
        while q > 0 and p + expected[idx] <= s[idx]:
            expected[idx] += q
    got = kernels.order_reorder_qty(position, s, Q)
    np.testing.assert_array_equal(got, expected)
    lifted = position + got
    assert np.all((lifted > s) | (Q == 0) | (position > s))


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
    p = np.array([1.0, 3.0, 8.0])
    target = level * p[:, None] + 1.645 * np.sqrt(mse * p[:, None])
    np.testing.assert_array_equal(kernels.forecast_levels(level, mse, p, 1.645),
                                  np.where(target > 0, np.ceil(target - 1e-9), 0))


@pytest.mark.parametrize("seed", SEEDS)
def test_ration_proportional_matches_reference(seed):
    rng = rng_for(seed)
    m, k = 4, 6
    requests = rng.integers(0, 10, (m, k))
    available = rng.integers(0, 30, k)
    shipped = kernels.ration_proportional(available, requests)
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
    np.testing.assert_array_equal(kernels.ration_priority(available, requests, rank), expected)


def _age_reference(cohorts, life, received, outflow):
    cohorts = cohorts.copy()
    spoiled = np.zeros(received.shape, np.int64)
    for n in range(cohorts.shape[0]):
        for p in range(cohorts.shape[1]):
            ages = list(cohorts[n, p, : life[p]])
            ages[0] += received[n, p]
            need = outflow[n, p]
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
    want_cohorts, want_spoiled = _age_reference(cohorts, life, received, outflow)
    spoiled = kernels.age_stock(cohorts, life, received, outflow)
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
