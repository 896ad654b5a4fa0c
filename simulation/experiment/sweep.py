"""Parameter sweeps: a grid of dotted-path overrides x replications, on common random numbers.

Replication r of every grid point runs on the same seed and replication, so it sees the same
customers, lead times and transit times (``common_random_numbers=False`` gives each point its own
streams, for comparison). Runs go to a local process pool or a Dask cluster (:mod:`executors`); with
``out`` each finished run is written at once to a resumable store (:mod:`store`), and the result is
one tidy long table: run_id, point, replication, seed, every swept parameter, metric, channel,
node_type, value.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.experiment.executors import completed, connect, local_workers
from simulation.experiment.run import check_seed, run
from simulation.experiment.stats import mean_ci
from simulation.experiment.store import RunStore
from simulation.scenario import Scenario, UsageError, build_each, load_scenario, with_overrides
from simulation.world.preflight import check_pool, check_sweep_size


@dataclass(frozen=True)
class Job:
    run_id: int
    point: int
    replication: int
    seed: int
    params: dict
    scenario: Scenario
    force: bool       # run past the memory check


def grid_points(grid: Mapping[str, Sequence] | None = None, zipped: Mapping[str, Sequence] | None = None) -> list[dict]:
    """Every combination of the ``grid`` values (full factorial), each crossed with the rows of the
    ``zipped`` lists (varied together, so they must be equally long). No grid: one point, no overrides."""
    grid, zipped = dict(grid or {}), dict(zipped or {})
    problems = [f"grid {k}: give at least one value" for k, v in grid.items() if len(v) == 0]
    problems += [f"zip {k}: also in grid (a parameter is swept one way)" for k in zipped if k in grid]
    lengths = {k: len(v) for k, v in zipped.items()}
    if len(set(lengths.values())) > 1:
        problems.append(f"zip: the zipped lists must be equally long, got {lengths}")
    if problems:
        raise UsageError(problems)
    rows = [dict(zip(zipped, values, strict=True)) for values in zip(*zipped.values(), strict=True)] if zipped else [{}]
    return [{**dict(zip(grid, combo, strict=True)), **row} for combo in itertools.product(*grid.values()) for row in rows]


def grid_size(grid: Mapping[str, Sequence] | None = None, zipped: Mapping[str, Sequence] | None = None) -> int:
    """How many points :func:`grid_points` makes, without making them (a huge grid is refused at once).

    >>> grid_size({"a": [1, 2, 3], "b": [1, 2]}, {"c": [1, 2], "d": [3, 4]}), grid_size()
    (12, 1)
    """
    size = math.prod(len(v) for v in (grid or {}).values())
    rows = {len(v) for v in (zipped or {}).values()}
    return size * (min(rows) if rows else 1)


def point_seed(seed: int, point: int, common_random_numbers: bool) -> int:
    """The seed a grid point runs on: the sweep's seed for every point (common random numbers), or
    one derived per point (independent streams)."""
    if common_random_numbers:
        return seed
    return int(np.random.SeedSequence([seed, point]).generate_state(1, np.uint32)[0])


def plan(scenario: Scenario, points: list[dict], replications: int, seed: int, common_random_numbers: bool = True,
         force: bool = False) -> list[Job]:
    """The sweep's runs, every grid point validated before anything runs (``force``: past the memory check)."""
    if replications < 1:
        raise UsageError([f"replications: must be >= 1, got {replications}"])
    scenarios = build_each([(f"grid point {i} ({describe(point)})", partial(with_overrides, scenario, point))
                            for i, point in enumerate(points)])
    return [Job(p * replications + r, p, r, point_seed(seed, p, common_random_numbers), point, sc, force)
            for p, (point, sc) in enumerate(zip(points, scenarios, strict=True)) for r in range(replications)]


def describe(point: dict) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in point.items()) or "base scenario"


def execute(job: Job) -> pd.DataFrame:
    """One run's KPIs as rows of the sweep table (module level, so worker processes can unpickle it)."""
    kpis = run(job.scenario, seed=job.seed, replication=job.replication, force=job.force).kpis
    head = {"run_id": job.run_id, "point": job.point, "replication": job.replication, "seed": job.seed}
    params = {k: v if np.isscalar(v) or v is None else json.dumps(v) for k, v in job.params.items()}
    return kpis.assign(**head, **params)[[*head, *params, "metric", "channel", "node_type", "value"]]


def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence] | None = None, zipped: Mapping[str, Sequence] | None = None,
          replications: int = 1, seed: int | None = None, *, executor: Any = None, workers: int | None = None,
          out: str | Path | None = None, restart: bool = False, common_random_numbers: bool = True,
          progress: bool | Callable[[int, int], None] = True, force: bool = False) -> pd.DataFrame:
    """Run ``scenario`` at every grid point, ``replications`` times each; return the tidy table.

    ``executor``: None for a local process pool of ``workers`` processes (default all cores), a
    ``distributed.Client``, or a Dask scheduler address (``"tcp://host:8786"``). Results are identical
    whichever is used. ``out``: a folder; finished runs are kept there and a rerun of the same sweep
    only runs what is missing (a different sweep in the folder is refused unless ``restart``).
    ``progress``: a progress bar on a terminal (True), none (False), or ``callback(done, total)``.
    ``force``: run even where a run's memory estimate exceeds the memory available.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seed = scenario.run.seed if seed is None else check_seed(seed)
    if not force:
        size = grid_size(grid, zipped)
        check_sweep_size(scenario, size, replications, local_workers(workers, size * replications) if executor is None else 1)
    points = grid_points(grid, zipped)
    jobs = plan(scenario, points, replications, seed, common_random_numbers, force)
    store = None
    if out is not None:
        store = RunStore(Path(out), _identity(scenario, grid, zipped, replications, seed, common_random_numbers), restart)
    done = store.completed() if store else set()
    todo = [j for j in jobs if j.run_id not in done]
    if executor is None and not force and todo:
        check_pool(list({j.point: j.scenario for j in todo}.values()), local_workers(workers, len(todo)))
    frames = {}
    client = connect(executor) if isinstance(executor, str) else executor
    bar = tqdm(total=len(jobs), initial=len(done), desc="runs", unit="run",
               disable=progress is not True or not sys.stderr.isatty())
    try:
        for finished, (i, frame) in enumerate(completed(execute, todo, workers, client), len(done) + 1):
            job = todo[i]
            if store:
                store.write(job.run_id, frame)
            else:
                frames[job.run_id] = frame
            bar.update()
            if callable(progress):
                progress(finished, len(jobs))
    finally:
        bar.close()
        if isinstance(executor, str):
            client.close()
    if store:
        return store.table(out_name="sweep.parquet")
    return pd.concat([frames[j.run_id] for j in jobs], ignore_index=True)


def _identity(scenario, grid, zipped, replications, seed, crn) -> dict:
    """What makes two sweeps the same sweep (their runs may be mixed in one store)."""
    return {"scenario": scenario.name, "scenario_hash": scenario.digest(), "grid": _plain(grid), "zip": _plain(zipped),
            "replications": replications, "seed": seed, "common_random_numbers": crn}


def _plain(mapping) -> dict:
    return json.loads(json.dumps({k: list(v) for k, v in (mapping or {}).items()}, default=str))


RUN_COLUMNS = ("run_id", "point", "replication", "seed", "metric", "channel", "node_type", "value")


def swept_parameters(table: pd.DataFrame) -> list[str]:
    """The swept fields of a sweep table (every column that is not a run's key or KPI), in grid order."""
    return [c for c in table.columns if c not in RUN_COLUMNS]


def summarise(table: pd.DataFrame, metrics: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Per grid point: the swept parameters and, for each (metric, channel), the mean and the half-width
    of its 95% confidence interval over replications (node type 'all')."""
    params = swept_parameters(table)
    rows = []
    for point, block in table[table["node_type"] == "all"].groupby("point", sort=True):
        row = {"point": point, **{p: block[p].iloc[0] for p in params}}
        for metric, channel in metrics:
            values = block[(block["metric"] == metric) & (block["channel"] == channel)]["value"].to_numpy(float)
            label = metric if channel == "all" else f"{metric} ({channel})"
            row[label], row[f"{label} ±"] = mean_ci(values[np.isfinite(values)])
        rows.append(row)
    return pd.DataFrame(rows)
