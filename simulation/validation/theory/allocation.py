"""Two demand classes at one stock: online orders (lost when not served) and a store's replenishment requests (owed
when not shipped), under each channel-allocation rule, as an exact Markov chain.

The system (the engine's day, ``policies.allocation``): a warehouse reviews daily to base stock S with a one-day
lead time from the supplier, so each morning it holds S + B, B what it still owes the store. Online units arrive
Poisson(lambda1) a day and take what the rule leaves them; at night the store (whose shelf never runs out) asks for
its walk-in demand since its last review (Poisson(lambda2) a day, reviewing every R days) and is shipped what is
left, its older debt first; the rest is owed. The rule decides what online orders may not take:
``online_first`` nothing, ``first_come`` the debt B, ``store_first`` B and the store's open need (its demand since
its last review), ``reserve`` a fixed number of units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.validation.theory.losses import poisson_pmf


@dataclass(frozen=True)
class AllocationPerformance:
    online_fill: float      # share of online units served
    same_day_fill: float    # share of the store's requested units shipped the night it asks
    debt: float             # expected units owed to the store each morning


def _support(mean: float) -> tuple[np.ndarray, np.ndarray]:
    upto = int(mean + 14 * np.sqrt(mean) + 15)
    p = poisson_pmf(mean, upto)
    return np.arange(upto + 1), p / p.sum()


def two_class_allocation(online_mean: float, store_mean: float, base_stock: int, rule: str, review_days: int = 1,
                         reserve: int = 0, max_debt: int = 80) -> AllocationPerformance:
    """Online fill, the store's same-day replenishment fill and its expected debt, from the stationary distribution
    of the debt B at the start of each store review cycle (``review_days`` 1 or 2; a cycle of 2 is a day without the
    store's review, then one with it).

    >>> first, fcfs = (two_class_allocation(3.0, 2.0, 7, rule) for rule in ("online_first", "first_come"))
    >>> first.online_fill > fcfs.online_fill, fcfs.debt < first.debt
    (True, True)
    """
    if review_days not in (1, 2):
        raise ValueError(f"review_days: 1 or 2, got {review_days}")
    k1, p1 = _support(online_mean)
    k2, p2 = _support(store_mean)
    debts = np.arange(max_debt + 1)
    move = np.zeros((debts.size, debts.size))
    sold_by, shipped_by = np.zeros(debts.size), np.zeros(debts.size)
    for b in debts:
        # one day without the store's review (review_days 2), then the review day; each a grid over the day's demand
        if review_days == 2:
            b1, prob, sold_a, need = _quiet_day(b, base_stock, rule, reserve, k1, p1, k2, p2)
        else:
            b1, prob, sold_a, need = np.array([b]), np.array([1.0]), np.array([0.0]), np.array([0])
        # the review day, for every outcome of the day before at once: [outcome, online units, store units]
        held = {"online_first": 0 * b1, "first_come": b1, "store_first": b1 + need, "reserve": 0 * b1 + reserve}[rule]
        on_hand = base_stock + b1
        sold = np.minimum(k1[None, :], np.maximum(on_hand - held, 0)[:, None])           # [o, k1]
        left = (on_hand[:, None] - sold)[:, :, None]
        owed = (b1 + need)[:, None, None] + k2[None, None, :]                             # [o, 1, k2]
        shipped = np.minimum(left, owed)
        after = owed - shipped
        weight = prob[:, None, None] * p1[None, :, None] * p2[None, None, :]
        move[b] += np.bincount(np.minimum(after, max_debt).ravel(), weight.ravel(), minlength=debts.size)[: debts.size]
        sold_by[b] = (prob * sold_a).sum() + (prob[:, None] * p1[None, :] * sold).sum()
        shipped_by[b] = (weight * np.maximum(shipped - b1[:, None, None], 0)).sum()
    stationary = _stationary(move)
    if stationary[-1] > 1e-9:
        raise ValueError(f"max_debt {max_debt} truncates the chain (P[B = {max_debt}] = {stationary[-1]:.2g}); raise it")
    return AllocationPerformance(online_fill=float(stationary @ sold_by) / (review_days * online_mean),
                                 same_day_fill=float(stationary @ shipped_by) / (review_days * store_mean),
                                 debt=float(stationary @ debts))


def _quiet_day(b, base_stock, rule, reserve, k1, p1, k2, p2):
    """A day the store does not review: online orders take what the rule leaves (the store's open need is 0: it
    ordered up to its level last night), the debt ships at night. Returns, per outcome (tomorrow's debt, the
    store's demand today), its debt, probability, the expected online units sold today given it, and the store's
    open need tomorrow morning."""
    held = {"online_first": 0, "first_come": b, "store_first": b, "reserve": reserve}[rule]
    on_hand = base_stock + b
    sold = np.minimum(k1, max(on_hand - held, 0))
    debt_after = b - np.minimum(on_hand - sold, b)                # [k1]
    debts = np.unique(debt_after)
    prob = np.array([p1[debt_after == d].sum() for d in debts])
    sold_given = np.array([(p1 * sold)[debt_after == d].sum() for d in debts]) / prob
    return (np.repeat(debts, k2.size), np.outer(prob, p2).ravel(), np.repeat(sold_given, k2.size),
            np.tile(k2, debts.size))


def _stationary(move: np.ndarray) -> np.ndarray:
    """The stationary distribution of a row-stochastic matrix (left eigenvector of eigenvalue 1)."""
    n = move.shape[0]
    a = np.vstack([move.T - np.eye(n), np.ones(n)])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    return np.clip(np.linalg.lstsq(a, b, rcond=None)[0], 0.0, None)
