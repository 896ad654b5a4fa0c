"""The per-event SimPy model an analyst would write by hand, for the speed comparison.

Every store-SKU has its own customer process (Poisson arrivals, one unit each, lost if the shelf is
empty) and its own daily (s, S) review process; replenishment orders arrive after a fixed lead time
at the start of a day. Timing matches the engine's day (DESIGN: receipts at the start of the day,
demand through it, the review at its end), so the two models are the same system and their fill
rates must agree within confidence intervals.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import simpy


@dataclass
class StoreSku:
    on_hand: int
    on_order: int = 0
    demand: int = 0
    sold: int = 0


def simulate(stores: int, skus: int, daily_mean: float, s: int, S: int, lead_days: int, horizon_days: int,
             warmup_days: int, seed: int) -> dict:
    """Run the model; returns per store-SKU fill rates (after warm-up), the events processed and the
    wall time."""
    env = simpy.Environment()
    rng = random.Random(seed)
    cells = [StoreSku(on_hand=S) for _ in range(stores * skus)]
    events = 0

    def customers(cell: StoreSku):
        nonlocal events
        while True:
            yield env.timeout(rng.expovariate(daily_mean))
            events += 1
            if env.now >= warmup_days:
                cell.demand += 1
            if cell.on_hand > 0:
                cell.on_hand -= 1
                if env.now >= warmup_days:
                    cell.sold += 1

    def deliver(cell: StoreSku, units: int):
        yield env.timeout(lead_days - 1.0)  # ordered at the end of day d, on the shelf at the start of d + L
        cell.on_hand += units
        cell.on_order -= units

    def review(cell: StoreSku):
        nonlocal events
        yield env.timeout(1.0)  # the end of day 0
        while True:
            events += 1
            position = cell.on_hand + cell.on_order
            if position <= s:
                cell.on_order += S - position
                env.process(deliver(cell, S - position))
            yield env.timeout(1.0)

    for cell in cells:
        env.process(customers(cell))
        env.process(review(cell))
    start = time.perf_counter()
    env.run(until=horizon_days)
    wall = time.perf_counter() - start
    return {"fill_rates": [c.sold / c.demand for c in cells if c.demand], "events": events, "wall_seconds": wall,
            "cell_days": stores * skus * horizon_days}
