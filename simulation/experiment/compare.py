"""Compare policies on common random numbers: each replication r of every scenario runs on the same
seed and replication, so it sees the same customers, lead times and transit times. The difference
to the baseline is taken replication by replication (a paired comparison), which removes the shared
noise; its 95% confidence interval uses Student's t with R - 1 degrees of freedom.

Given a folder, a comparison keeps each finished run in the same resumable store as a sweep (a
sweep over the policy axis): a killed comparison reruns only its missing runs, and a rerun of a
finished one runs nothing and returns the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment.executors import completed, connect, local_workers
from simulation.experiment.run import calendar, check_seed, run
from simulation.experiment.stats import mean_ci, t975
from simulation.experiment.store import RunStore
from simulation.scenario import Scenario, UsageError
from simulation.world.preflight import check_pool

__all__ = ["Comparison", "compare", "paired_table", "t975"]

@dataclass(frozen=True)
class Comparison:
    """``runs``: every KPI of every replication (policy, replication, metric, channel, node_type, value).
    ``table``: per KPI and policy the mean with its 95% CI, and the paired difference to the baseline
    with its 95% CI and whether that CI excludes zero."""

    runs: pd.DataFrame
    table: pd.DataFrame
    baseline: str
    daily: pd.DataFrame | None = None   # the first replication's daily series, per policy
    orders: pd.DataFrame | None = None  # ... and its kept order sample (delivery times), per policy
    calendar: tuple = ()                # promotions and shocks of any policy (name, start_day, end_day)


# What a comparison keeps of each policy's orders: enough for delivery-time distributions by channel.
COMPARED_ORDER_COLUMNS = ["channel", "tier", "node_type", "created_day", "delivery_hours", "promise_hours"]


def _one(args):
    scenario, seed, replication, force = args
    result = run(scenario, seed=seed, replication=replication, force=force)
    kpis = result.kpis.assign(policy=scenario.name, replication=replication)
    if replication:  # one replication's detail per policy is enough to draw; all runs share its customers
        return kpis, {}
    return kpis, {"daily": result.daily.assign(policy=scenario.name),
                  "orders": result.orders[COMPARED_ORDER_COLUMNS].assign(policy=scenario.name)}


def compare(scenarios: list[Scenario], replications: int = 3, seed: int = 0, workers: int | None = None,
            progress=None, executor=None, force: bool = False, out: str | Path | None = None,
            restart: bool = False) -> Comparison:
    """Run every scenario ``replications`` times on the same seeds; the first is the baseline.

    Results do not depend on ``workers`` or ``executor`` (each run is fixed by its seed and
    replication): a local process pool by default, or a ``distributed.Client`` / scheduler address.
    ``progress`` is called once per finished run; ``force`` runs past the memory check. ``out``: a
    folder where finished runs are kept, so a rerun only runs what is missing (a folder holding another
    comparison is refused unless ``restart``).
    """
    names = [s.name for s in scenarios]
    if len(scenarios) < 2:
        raise UsageError(["compare: give a baseline and at least one other scenario"])
    if len(set(names)) != len(names):
        raise UsageError([f"compare: scenario names must differ (they label the policies), got {names}"])
    if replications < 2:
        raise UsageError([f"replications: must be >= 2 for a confidence interval, got {replications}"])
    seed = check_seed(seed)
    jobs = [(s, seed, r, force) for r in range(replications) for s in scenarios]
    store = None if out is None else RunStore(Path(out), identity(scenarios, replications, seed), restart, kind="comparison")
    done = store.completed() if store else set()
    todo = [i for i in range(len(jobs)) if i not in done]
    if executor is None and not force and todo:
        check_pool(scenarios, local_workers(workers, len(todo)))
    kept: dict[int, tuple] = {}
    client = connect(executor) if isinstance(executor, str) and todo else executor
    try:
        for i, (kpis, detail) in completed(_one, [jobs[i] for i in todo], workers, client):
            if store:
                store.write(todo[i], kpis, detail)
            else:
                kept[todo[i]] = kpis, detail
            if progress:
                progress(todo[i])
    finally:
        if isinstance(executor, str) and todo:
            client.close()
    if store:
        kept = {i: (store.read(i), {n: store.read(i, n) for n in ("daily", "orders") if jobs[i][2] == 0}) for i in range(len(jobs))}
    runs = pd.concat([kept[i][0] for i in range(len(jobs))], ignore_index=True)
    first = [i for i in range(len(jobs)) if jobs[i][2] == 0]  # job order: the policies as given
    return Comparison(runs=runs, table=paired_table(runs, names[0]), baseline=names[0],
                      daily=pd.concat([kept[i][1]["daily"] for i in first], ignore_index=True),
                      orders=pd.concat([kept[i][1]["orders"] for i in first], ignore_index=True),
                      calendar=calendar_of(scenarios))


def identity(scenarios: list[Scenario], replications: int, seed: int) -> dict:
    """What makes two comparisons the same (their runs may be mixed in one store)."""
    return {"kind": "comparison", "policies": [s.name for s in scenarios],
            "scenario_hashes": {s.name: s.digest() for s in scenarios}, "seed": seed, "replications": replications}


def calendar_of(scenarios: list[Scenario]) -> tuple:
    """Promotions and shocks of any policy, each once (name, start and end day), by start day."""
    events = {(e["name"], e["start_day"], e["end_day"]): e for s in scenarios for e in calendar(s)}
    return tuple(sorted(events.values(), key=lambda e: (e["start_day"], e["name"])))


def paired_difference(runs: pd.DataFrame, a: str, b: str, kpi: tuple[str, str, str]) -> tuple[float, float, float, float]:
    """Mean and 95% CI of policy ``b`` minus policy ``a`` in one KPI (metric, channel, node type), paired
    replication by replication from a comparison's ``runs``; and ``a``'s mean."""
    metric, channel, node_type = kpi
    rows = runs[(runs.metric == metric) & (runs.channel == channel) & (runs.node_type == node_type)]
    wide = rows.pivot_table(index="replication", columns="policy", values="value", aggfunc="first")
    mean, half = mean_ci((wide[b] - wide[a]).to_numpy(float))
    return mean, mean - half, mean + half, float(wide[a].mean())


def paired_table(runs: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Means with 95% CIs per policy, and paired differences to ``baseline`` with 95% CIs."""
    key = ["metric", "channel", "node_type"]
    wide = runs.pivot_table(index=[*key, "replication"], columns="policy", values="value", aggfunc="first", sort=False)
    wide = wide[list(dict.fromkeys(runs["policy"]))]  # the baseline first, as given
    rows = []
    policies = list(wide.columns)
    for (metric, channel, node_type), block in wide.groupby(level=[0, 1, 2], sort=False):
        # one array per policy, taken at once (a ladder's 192 policies x 170 KPIs made pandas the bottleneck)
        by_policy = np.ascontiguousarray(block.to_numpy(float).T)
        base = by_policy[policies.index(baseline)]
        for policy, values in zip(policies, by_policy, strict=True):
            ok = np.isfinite(values)
            mean, half = mean_ci(values[ok])
            row = {"metric": metric, "channel": channel, "node_type": node_type, "policy": policy,
                   "replications": int(ok.sum()), "mean": mean, "ci_low": mean - half, "ci_high": mean + half}
            if policy != baseline:
                diff = values - base
                both = np.isfinite(diff)
                d, dh = mean_ci(diff[both])
                level = np.mean(base[both]) if both.any() else 0.0
                row.update(diff=d, diff_low=d - dh, diff_high=d + dh, diff_pct=d / level if level else np.nan,
                           significant=bool(both.sum() > 1 and (d - dh > 0 or d + dh < 0)))
            rows.append(row)
    return pd.DataFrame(rows)
