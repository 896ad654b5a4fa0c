"""One stock point: base stock (backorders or lost sales), (s, S) and (r, Q) under Poisson demand, service
targets, two demand classes sharing a stock, and the newsvendor."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.validation.theory.losses import discrete_loss, negative_binomial_pmf, normal_loss, poisson_loss, poisson_pmf


@dataclass(frozen=True)
class StockPerformance:
    fill_rate: float       # share of demand units met from stock on the day they arrive
    on_hand: float         # expected on hand at the end of a day
    backorders: float      # expected units backordered at the end of a day


def _from_losses(daily_mean: float, loss_l: float, loss_l_minus_1: float, position: float, lead_mean: float) -> StockPerformance:
    # One day's demand short that day = (D_L - S)^+ - (D_{L-1} - S)^+ (the backlog it adds to).
    return StockPerformance(fill_rate=1 - (loss_l - loss_l_minus_1) / daily_mean,
                            on_hand=position - lead_mean + loss_l, backorders=loss_l)


def base_stock_poisson(daily_mean: float, lead_days: int, base_stock: int) -> StockPerformance:
    """Single-location base-stock policy, Poisson demand, fixed lead time, full backordering.

    With D_n the demand over n days (Poisson(n * lambda)) and S the base stock (Zipkin, *Foundations of
    Inventory Management*, section 6.2; Axsaeter, *Inventory Control*, section 5.3):

    * end-of-day backorders B = E[(D_L - S)^+], on hand I = S - L*lambda + B;
    * units of one day's demand not met that day = (D_L - S)^+ - (D_{L-1} - S)^+, so the fill rate is
      1 - (E[(D_L - S)^+] - E[(D_{L-1} - S)^+]) / lambda.

    >>> p = base_stock_poisson(5.0, 2, 12)
    >>> round(p.fill_rate, 4), round(p.on_hand, 4), round(p.backorders, 4)
    (0.8944, 2.5309, 0.5309)
    """
    lam, L, S = daily_mean, lead_days, base_stock
    return _from_losses(lam, poisson_loss(lam * L, S), poisson_loss(lam * (L - 1), S), S, lam * L)


def base_stock_negative_binomial(daily_mean: float, alpha: float, lead_days: int, base_stock: int) -> StockPerformance:
    """:func:`base_stock_poisson` for the engine's overdispersed (negative binomial) daily demand, exact:
    lead-time demand is negative binomial with mean L m and alpha / L.

    >>> round(base_stock_negative_binomial(5.0, 0.0, 2, 12).fill_rate, 4)
    0.8944
    """
    m, L, S = daily_mean, lead_days, base_stock
    upto = int(m * L * (1 + alpha * m) * 20 + 100)

    def loss(n):
        return discrete_loss(negative_binomial_pmf(m * n, alpha / n, upto), S) if n else max(-S, 0.0)

    return _from_losses(m, loss(L), loss(L - 1), S, m * L)


def base_stock_normal(daily_mean: float, daily_sd: float, lead_days: int, base_stock: float) -> StockPerformance:
    """:func:`base_stock_poisson` with normally distributed daily demand (mean mu, sd sigma): lead-time
    demand Normal(L mu, sigma sqrt L), losses from :func:`normal_loss`. An approximation for the
    engine's whole-unit demand, good when lead-time demand is large.

    >>> p = base_stock_normal(40.0, 8.0, 3, 140.0)
    >>> round(p.fill_rate, 4), round(p.on_hand, 3)
    (0.9885, 20.461)
    """
    m, sd, L, S = daily_mean, daily_sd, lead_days, base_stock
    return _from_losses(m, normal_loss(S, m * L, sd * math.sqrt(L)), normal_loss(S, m * (L - 1), sd * math.sqrt(L - 1)),
                        S, m * L)


def base_stock_for_fill_rate(daily_mean: float, lead_days: int, target: float) -> int:
    """The smallest base stock S whose :func:`base_stock_poisson` fill rate reaches ``target``.

    >>> base_stock_for_fill_rate(5.0, 2, 0.95)
    14
    """
    S = 0
    while base_stock_poisson(daily_mean, lead_days, S).fill_rate < target:
        S += 1
    return S


def base_stock_for_cycle_service(daily_mean: float, lead_days: int, target: float) -> int:
    """The smallest base stock S with P[D_L <= S] >= ``target`` (cycle service level, "type 1"), for
    Poisson lead-time demand D_L. Eppen's square-root law is stated for this measure.

    >>> base_stock_for_cycle_service(3.0, 2, 0.95), base_stock_for_cycle_service(12.0, 2, 0.95)
    (10, 32)
    """
    S, cdf = 0, 0.0
    pmf = poisson_pmf(daily_mean * lead_days, int(daily_mean * lead_days * 4 + 50))
    while S < pmf.size and (cdf := cdf + pmf[S]) < target:
        S += 1
    return S


def stock_for_empty_share(lead_mean: float, share: float) -> tuple[int, float]:
    """The base stock at which a share ``share`` of days end with nothing on hand, P[D_L >= S] = share for
    Poisson lead-time demand of mean ``lead_mean``: the whole unit S_lo just below (P >= share) and the
    stock interpolated linearly between S_lo and S_lo + 1, which the validation suite measures the same way.

    >>> S_lo, S = stock_for_empty_share(6.0, 0.05)
    >>> S_lo, round(S, 3)
    (10, 10.821)
    """
    pmf = poisson_pmf(lead_mean, int(lead_mean + 12 * math.sqrt(lead_mean) + 20))
    empty = 1 - np.concatenate([[0.0], np.cumsum(pmf)])  # empty[S] = P[D_L >= S]
    lo = int(np.flatnonzero(empty >= share)[-1])
    return lo, float(lo + (empty[lo] - share) / (empty[lo] - empty[lo + 1]))


def _position_policy(daily_mean: float, lead_days: int, position: np.ndarray, prob: np.ndarray) -> StockPerformance:
    """Performance when the inventory position after each day's review is y with probability prob[y]
    and independent of future demand (true for (s, S) and (r, Q) under backordering): net stock L days
    later is y - D_L."""
    lam, L = daily_mean, lead_days
    upto = int(lam * L + 12 * math.sqrt(lam * L + 1) + position.max() + 20)
    pmf_l, pmf_lm1 = poisson_pmf(lam * L, upto), poisson_pmf(lam * (L - 1), upto)
    loss_l = np.array([discrete_loss(pmf_l, y) for y in position])
    loss_lm1 = np.array([discrete_loss(pmf_lm1, y) for y in position])
    return _from_losses(lam, float(prob @ loss_l), float(prob @ loss_lm1), float(prob @ position), lam * L)


@dataclass(frozen=True)
class ReorderPerformance(StockPerformance):
    order_frequency: float  # expected orders placed per day


def min_max_poisson(daily_mean: float, lead_days: int, s: int, S: int) -> ReorderPerformance:
    """Daily-review (s, S) policy with Poisson demand, fixed lead time, backorders: when the position
    falls to s or below, order up to S. The position after review is a Markov chain on s+1..S (from y,
    demand d leaves y - d if above s, else returns to S); its stationary law gives the performance
    and the order frequency P[y - D <= s] (Zheng & Federgruen 1991; Axsaeter section 5.8).

    >>> p = min_max_poisson(4.0, 1, 3, 10)
    >>> round(p.fill_rate, 4), round(p.on_hand, 4), round(p.order_frequency, 4)
    (0.9571, 3.9795, 0.4439)
    """
    lam = daily_mean
    position = np.arange(s + 1, S + 1)
    pmf = poisson_pmf(lam, S - s + 1)
    n = position.size
    move = np.zeros((n, n))
    for i, y in enumerate(position):
        for d in range(y - s):               # stays above s
            move[i, y - d - s - 1] += pmf[d]
        move[i, n - 1] += 1 - pmf[: y - s].sum()  # reorders up to S
    prob = _stationary(move)
    perf = _position_policy(lam, lead_days, position, prob)
    reorder = np.array([1 - pmf[: y - s].sum() for y in position])
    return ReorderPerformance(**perf.__dict__, order_frequency=float(prob @ reorder))


def reorder_point_poisson(daily_mean: float, lead_days: int, r: int, Q: int) -> ReorderPerformance:
    """Daily-review (r, Q) policy with Poisson demand, fixed lead time, backorders: when the position
    falls to r or below, order the fewest multiples of Q that lift it above r. The position after review
    is uniform on r+1..r+Q (it moves as a random walk modulo Q, whose stationary law is uniform;
    Hadley & Whitin 1963; Zipkin section 6.6).

    >>> p = reorder_point_poisson(3.0, 2, 5, 8)
    >>> round(p.fill_rate, 4), round(p.on_hand, 4), round(p.order_frequency, 4)
    (0.9139, 3.7677, 0.3743)
    """
    lam = daily_mean
    position = np.arange(r + 1, r + Q + 1)
    prob = np.full(Q, 1.0 / Q)
    perf = _position_policy(lam, lead_days, position, prob)
    pmf = poisson_pmf(lam, Q + 1)
    reorder = np.array([1 - pmf[: y - r].sum() for y in position])
    return ReorderPerformance(**perf.__dict__, order_frequency=float(prob @ reorder))


def fixed_quantity_poisson(daily_mean: float, lead_days: int, s: int, Q: int) -> ReorderPerformance:
    """Daily-review (s, Q) with one lot per review: when the position falls to s or below, order exactly Q
    (a position that is still at or below s after it orders again the next day). From position y after
    review, demand d leaves y - d, plus Q when y - d <= s: a Markov chain on positions up to s + Q, bounded
    below in law when Q > daily_mean (the chain is truncated where its mass is below 1e-12). Poisson demand,
    fixed lead time, backorders; the position after review is independent of later demand, so net stock
    L days later is y - D_L.

    >>> p = fixed_quantity_poisson(2.0, 3, 5, 3)   # orders Q a day 2/3 of days: lambda / Q, as it must
    >>> round(p.fill_rate, 4), round(p.on_hand, 4), round(p.order_frequency, 4)
    (0.6776, 1.3967, 0.6667)
    """
    lam = daily_mean
    if Q <= lam:
        raise ValueError(f"Q ({Q}) must exceed the daily mean ({lam:g}): one lot a day cannot keep up otherwise")
    dmax = int(lam + 12 * math.sqrt(lam) + 12)
    lowest = s + 1 - 40 * dmax  # far below anything the chain reaches with noticeable mass
    position = np.arange(lowest, s + Q + 1)
    pmf = poisson_pmf(lam, dmax)
    move = np.zeros((position.size, position.size))
    for i, y in enumerate(position):
        for d in range(dmax + 1):
            z = y - d
            after = z + Q if z <= s else z
            move[i, max(after, lowest) - lowest] += pmf[d]
        move[i, max(y - dmax + Q, lowest) - lowest] += 1 - pmf.sum()  # the tail past dmax (negligible)
    prob = np.maximum(_stationary(move), 0.0)
    prob /= prob.sum()
    perf = _position_policy(lam, lead_days, position, prob)
    reorder = np.array([1 - pmf[: max(y - s, 0)].sum() for y in position])  # P[y - D <= s]
    return ReorderPerformance(**perf.__dict__, order_frequency=float(prob @ reorder))


def _stationary(move: np.ndarray) -> np.ndarray:
    """Stationary distribution of a finite Markov chain with transition matrix ``move``."""
    n = move.shape[0]
    a = np.vstack([move.T - np.eye(n), np.ones(n)])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    return np.linalg.lstsq(a, b, rcond=None)[0]


def lost_sales_base_stock_poisson(daily_mean: float, lead_days: int, base_stock: int) -> StockPerformance:
    """Base stock S with lost sales, Poisson demand, fixed lead time L (orders each day for what was
    sold). On hand after the morning receipt plus the pipeline is always S, so the pipeline
    (q_1..q_{L-1}) is the state of a finite Markov chain, solved exactly (Karlin & Scarf 1958; Zipkin
    section 9.3). For L = 1 every day opens with S: lost units = E[(D - S)^+].

    >>> p = lost_sales_base_stock_poisson(4.0, 1, 5)
    >>> round(p.fill_rate, 4), round(1 - poisson_loss(4.0, 5) / 4.0, 4)
    (0.8974, 0.8974)
    >>> round(lost_sales_base_stock_poisson(3.0, 2, 8).fill_rate, 4)
    0.9269
    """
    lam, L, S = daily_mean, lead_days, base_stock
    pmf = poisson_pmf(lam, S)
    tail = 1 - np.cumsum(pmf)                   # P[D > k]
    states = [c for c in np.ndindex(*(S + 1,) * (L - 1)) if sum(c) <= S]  # L = 1: one empty state
    index = {state: i for i, state in enumerate(states)}
    move = np.zeros((len(states), len(states)))
    sold, left = np.zeros(len(states)), np.zeros(len(states))
    for i, state in enumerate(states):
        on_hand = S - sum(state)
        for d in range(on_hand + 1):            # d = on_hand stands for every demand >= on_hand
            p = pmf[d] if d < on_hand else (tail[on_hand - 1] if on_hand > 0 else 1.0)
            end = on_hand - d
            order = S - end - sum(state)
            nxt = (*state[1:], order) if L > 1 else ()
            move[i, index[nxt]] += p
            left[i] += p * end
        sold[i] = on_hand - left[i]
    prob = _stationary(move)
    return StockPerformance(fill_rate=float(prob @ sold) / lam, on_hand=float(prob @ left),
                            backorders=0.0)


def shared_stock_priority_fill(first_mean: float, second_mean: float, stock: int) -> tuple[float, float]:
    """Fill rates of two Poisson demand streams sharing ``stock`` units each period, the first served
    before the second (lost sales, the stock restored every period): the first sells min(S, D1), the
    second min((S - D1)^+, D2). In the engine: a store's walk-in customers (served first each day)
    and ship-from-store orders, base stock S with a one-day lead time.

    >>> walk, online = shared_stock_priority_fill(4.0, 3.0, 8)
    >>> round(walk, 4), round(online, 4)
    (0.9916, 0.7973)
    """
    S = stock
    pmf = poisson_pmf(first_mean, S)
    first = (first_mean - poisson_loss(first_mean, S)) / first_mean
    second = sum(pmf[d] * (second_mean - poisson_loss(second_mean, S - d)) for d in range(S)) / second_mean
    return float(first), float(second)


@dataclass(frozen=True)
class Newsvendor:
    order: int           # optimal stock each period
    critical_ratio: float
    expected_cost: float  # per period at the optimum


def newsvendor_cost_poisson(daily_mean: float, stock: int, underage: float, overage: float) -> float:
    """Expected cost of stocking ``stock`` for one period of Poisson demand: overage c_o E[(S - D)^+]
    plus underage c_u E[(D - S)^+]."""
    short = poisson_loss(daily_mean, stock)
    return overage * (stock - daily_mean + short) + underage * short


def newsvendor_poisson(daily_mean: float, underage: float, overage: float) -> Newsvendor:
    """Single-period newsvendor with Poisson demand: the optimal stock is the smallest S with
    F(S) >= c_u / (c_u + c_o) (critical fractile; Arrow, Harris & Marschak 1951; Snyder & Shen,
    *Fundamentals of Supply Chain Theory*, eq. 4.20). In the engine: a perishable SKU with a one-day
    shelf life, replenished each day to S with a one-day lead time, so each day opens with S fresh
    units and what is left spoils at close (c_o = unit cost, c_u = lost margin).

    >>> nv = newsvendor_poisson(20.0, 7.0, 13.0)
    >>> nv.order, round(nv.critical_ratio, 3), round(nv.expected_cost, 3)
    (18, 0.35, 32.501)
    """
    ratio = underage / (underage + overage)
    pmf = poisson_pmf(daily_mean, int(daily_mean * 4 + 50))
    order = int(np.searchsorted(np.cumsum(pmf), ratio - 1e-12))
    return Newsvendor(order, ratio, newsvendor_cost_poisson(daily_mean, order, underage, overage))
