"""Independent implementations the engine is checked against: plain Python and NumPy, written from the documented
rules (README, the policies' docstrings), not from the engine's code."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def forecast_order_up_to_short_days(daily_mean: float, lead: int, alpha: float, service_level: float, days: int, warmup: int,
                                    copies: int, seed: int) -> np.ndarray:
    """Per copy, the share of days after ``warmup`` ending with a backorder, for one stock reviewed daily that orders
    up to the documented forecast level: forecast f and mean squared one-step error m smoothed with weight ``alpha``
    (starting at the true mean and variance), level ceil(f P + z sqrt(m P (2 - alpha + alpha P) / 2)) with P = the
    lead time (an order placed at the end of day t arrives before day t + L's demand) and z = Phi^-1(service level);
    Poisson demand, backordered; the day's demand is learnt after the day's order."""
    rng = np.random.default_rng(seed)
    z, p = NormalDist().inv_cdf(service_level), float(lead)
    over_p = p * (2.0 - alpha + alpha * p) / 2.0
    forecast, mse = np.full(copies, float(daily_mean)), np.full(copies, float(daily_mean))

    def level():
        target = forecast * p + z * np.sqrt(mse * over_p)
        return np.where(target > 0, np.ceil(target - 1e-9), 0).astype(np.int64)

    net = level()                                   # on hand - backorders
    arriving = np.zeros((days + lead + 1, copies), np.int64)
    on_order = np.zeros(copies, np.int64)
    short = np.zeros(copies)
    for t in range(days):
        net += arriving[t]
        on_order -= arriving[t]
        demand = rng.poisson(daily_mean, copies)
        net -= demand
        order = np.maximum(level() - (net + on_order), 0)
        arriving[t + lead] += order
        on_order += order
        error = demand - forecast
        forecast += alpha * error
        mse = (1.0 - alpha) * mse + alpha * error**2
        if t >= warmup:
            short += net < 0
    return short / (days - warmup)


def rebalancing_moves(world, on_hand, position, owed, levels, rule) -> dict[str, dict[tuple[int, int, int], int]]:
    """The three rebalancing moves of ``policies.transfers`` among a world's stores, by direction: {(from row, to row,
    SKU): units}. Planned moves count in the givers' stock and the receivers' positions as they are planned:

    - lateral, SKU by SKU: the store with the largest need (the gap to ``target_cover_days`` of its planned demand, a
      store with excess of the SKU asking none) first, from the store with the largest excess (on hand above
      ``excess_cover_days``) first, the givers ranked once by their excess before any move, ties to the lower row;
    - top-up: the stores' source fills the remaining needs, the largest first, from what it holds beyond what it owes
      the nodes it supplies, rounded up to whole case packs on a case lane while its stock lasts;
    - pull-back: what lifts a store's on hand and position above both its excess cover and its ``levels`` goes back to
      its source, in whole case packs on a case lane.
    """
    stock, position = on_hand.copy(), position.copy()
    mean, source = world.planning_mean, world.source
    stores = [int(r) for r in world.store_rows]

    def cover(r, k, days):
        return int(np.ceil(mean[r, k] * days))

    def pack(r, k):
        return int(world.skus.case_pack[k]) if world.lane_cases[r] else 1

    moves: dict[str, dict[tuple[int, int, int], int]] = {"lateral": {}, "top_up": {}, "pull_back": {}}
    for k in range(on_hand.shape[1]):
        give = {r: max(int(stock[r, k]) - cover(r, k, rule.excess_cover_days), 0) for r in stores}
        need = {r: max(cover(r, k, rule.target_cover_days) - int(position[r, k]), 0) if give[r] == 0 else 0 for r in stores}
        givers = sorted(stores, key=lambda d: (-give[d], d))
        for r in sorted(stores, key=lambda r: (-need[r], r)):
            for d in givers:
                q = min(need[r], give[d])
                if q > 0:
                    give[d], need[r] = give[d] - q, need[r] - q
                    stock[d, k] -= q
                    position[r, k] += q
                    moves["lateral"][(d, r, k)] = moves["lateral"].get((d, r, k), 0) + q
    for k in range(on_hand.shape[1]):
        src = int(source[stores[0]])
        free = max(int(stock[src, k]) - int(owed[source == src, k].sum()), 0)
        left = int(stock[src, k])
        gaps = {r: max(cover(r, k, rule.target_cover_days) - int(position[r, k]), 0) for r in stores}
        for r in sorted(stores, key=lambda r: (-gaps[r], r)):
            q = min(gaps[r], free)
            free -= q
            if q > 0:
                q = min(-(-q // pack(r, k)) * pack(r, k), max(left, 0) // pack(r, k) * pack(r, k))
                left -= q
                if q > 0:
                    moves["top_up"][(src, r, k)] = q
                    stock[src, k] -= q
                    position[r, k] += q
    for k in range(on_hand.shape[1]):
        for r in stores:
            keep = max(cover(r, k, rule.excess_cover_days), int(levels[r, k]))
            q = max(min(int(position[r, k]), int(stock[r, k])) - keep, 0) // pack(r, k) * pack(r, k)
            if q > 0:
                moves["pull_back"][(r, int(source[r]), k)] = q
    return moves
