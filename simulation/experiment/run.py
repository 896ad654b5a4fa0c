"""The Python entry points: ``run`` a scenario with a seed and get a :class:`RunResult`; ``simulate`` for
the engine itself with the KPI recorders (and any observers of yours) attached."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from simulation.engine import Observer, Simulation
from simulation.engine.streams import order_sample_stream
from simulation.experiment.results import RunResult, environment
from simulation.metrics.kpis import kpi_table
from simulation.metrics.ledger import Ledger
from simulation.metrics.order_stats import OrderStats
from simulation.scenario import Scenario, UsageError
from simulation.world.network import World


def check_seed(seed) -> int:
    """A run seed: a whole number >= 0 (numpy's SeedSequence takes no other)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError([f"seed: must be a whole number >= 0, got {seed!r}"])
    return int(seed)


def calendar(scenario: Scenario) -> list[dict]:
    """The scenario's promotions and shocks: kind, name, start and end day (for plots and reports)."""
    return [{"kind": kind, "name": e.name, "start_day": e.start_day, "end_day": e.end_day}
            for kind, events in (("promotion", scenario.demand.promotions), ("shock", scenario.demand.shocks)) for e in events]


def simulate(scenario: Scenario, seed: int, replication: int = 0, world: World | None = None, threads: int | None = None,
             observers: Sequence[Observer] = (), record_shipments: bool = False) -> tuple[Simulation, Ledger, OrderStats]:
    """Execute one run with the KPI recorders attached (a :class:`Ledger` and :class:`OrderStats`, then
    ``observers``); returns the finished simulation and the two recorders (see :func:`kpi_table`)."""
    world = Simulation.sized_world(scenario) if world is None else world
    ledger = Ledger(world)
    stats = OrderStats(world, scenario.run.warmup_days, scenario.run.order_sample, order_sample_stream(seed, replication))
    sim = Simulation(scenario, seed, replication, world, record_shipments=record_shipments, threads=threads,
                     observers=[ledger, stats, *observers]).execute()
    return sim, ledger, stats


def run(scenario: Scenario, seed: int | None = None, replication: int = 0, threads: int | None = None,
        force: bool = False) -> RunResult:
    """Simulate ``scenario`` once. ``seed`` defaults to ``scenario.run.seed``; replication ``r`` of a
    seed draws its own streams, the same for every policy (common random numbers). ``threads`` (default:
    ``INVSIM_THREADS`` or every core) changes the speed only, never the results. A run estimated to need
    more memory than is available is refused (ScenarioError) unless ``force``."""
    seed = scenario.run.seed if seed is None else check_seed(seed)
    start = time.perf_counter()
    world = Simulation.sized_world(scenario, force)
    sim, ledger, stats = simulate(scenario, seed, replication, world, threads)
    kpis, daily, orders = kpi_table(ledger, stats, world), ledger.daily_frame(), stats.sample_frame()
    wall = time.perf_counter() - start
    node_sku_days = world.n_nodes * world.skus.size * scenario.run.horizon_days
    manifest = {
        "scenario": scenario.name, "scenario_hash": scenario.digest(), "seed": seed, "replication": replication,
        "horizon_days": scenario.run.horizon_days, "warmup_days": scenario.run.warmup_days,
        "nodes": world.n_nodes, "skus": world.skus.size, "node_sku_days": node_sku_days,
        "online_orders": int(sim.fulfilment.orders.count), "online_lines": int(sim.fulfilment.online_lines), "orders_kept": len(orders),
        "wall_seconds": round(wall, 3), "engine_seconds": round(sim.wall_seconds, 3), "threads": sim.threads,
        "phase_seconds": {k: round(v, 3) for k, v in sim.phase_seconds.items()},
        "node_sku_days_per_second": round(node_sku_days / sim.wall_seconds) if sim.wall_seconds > 0 else None,
        "calendar": calendar(scenario),
        "conservation": "ok", **environment(),
    }
    for frame in (kpis, daily, orders):
        frame.attrs.update(scenario=scenario.name, seed=seed, replication=replication)
    return RunResult(kpis=kpis, daily=daily, orders=orders, manifest=manifest)

