"""Policy search: the settings that minimise one KPI while service targets hold, with a stated guarantee.

The search proposes points with optuna's TPE sampler (a Bayesian optimiser that handles whole-number,
continuous, log-scale and categorical settings and learns which points break constraints; Watanabe 2023,
arXiv:2304.11127), ``batch`` points at a time, seeded by the search's seed and the batch. Every point runs
``replications`` replications on common random numbers (replication r of every point on the same seed), so two
points differ by their settings, not their luck. A point is **feasible** when each target holds with one-sided
``confidence`` (Student t over its replications). The best ``finalists`` feasible points (by mean) then go to
Kim & Nelson's procedure KN (:mod:`selection`), which runs them further and chooses one with a stated
probability of correct selection.

Runs go to the executors sweeps use (local processes or a Dask cluster) and, with ``out``, to a resumable
store: a killed search replays its proposals (they depend only on the seed and the runs before them) and runs
only what is missing. Same scenario, settings and seed: the same points, runs and choice, on any executor.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.experiment.executors import completed, connect, local_pool, local_workers
from simulation.experiment.goals import Kpi, Setting, Target, as_overrides, parse_kpi, parse_setting, parse_target, start_point
from simulation.experiment.run import check_seed
from simulation.experiment.search_folder import write_search
from simulation.experiment.selection import Selection, kim_nelson
from simulation.experiment.stats import mean_ci
from simulation.experiment.store import RunStore
from simulation.experiment.sweep import Job, execute
from simulation.scenario import Scenario, ScenarioError, UsageError, load_scenario, with_overrides

MAX_TRIALS = 999        # run ids are trial x 1000 + replication: six digits
MAX_REPLICATIONS = 999


@dataclass(frozen=True)
class Search:
    """What a search varies, minimises and requires, and how it decides."""

    settings: tuple[Setting, ...]
    objective: Kpi
    targets: tuple[Target, ...]
    replications: int
    seed: int
    confidence: float = 0.95
    batch: int = 4
    start: tuple[tuple[str, Any], ...] | None = None   # the first point, (path, value) per setting; TPE from the second

    def identity(self, scenario: Scenario) -> dict:
        """What makes two searches the same search (their runs may share one store)."""
        import optuna

        return {"scenario": scenario.name, "scenario_hash": scenario.digest(), "settings": [s.describe() for s in self.settings],
                "objective": str(self.objective), "targets": [str(t) for t in self.targets], "replications": self.replications,
                "seed": self.seed, "confidence": self.confidence, "batch": self.batch, "sampler": f"optuna {optuna.__version__} TPE",
                **({"start": dict(self.start)} if self.start else {})}   # absent when unset: older searches still resume


@dataclass(frozen=True)
class SearchResult:
    """A search's outcome: every trial, the finalists' selection, and the chosen settings (None when no point met
    every target) with the base scenario they apply to."""

    trials: pd.DataFrame
    selection: pd.DataFrame
    chosen: dict[str, Any] | None
    scenario: Scenario | None
    guarantee: str
    search: Search
    out: Path | None
    source: Path | None = None                   # the scenario file searched, when it came from one
    overrides: dict[str, Any] | None = None      # and the overrides applied to it before the search
    chosen_table: pd.DataFrame | None = None     # the chosen point's KPI rows, every replication KN ran
    timing: dict[str, float] | None = None       # runs executed and read back; seconds proposing, running, in all

    def chosen_runs(self, metric: str, channel: str = "all", node_type: str = "all") -> np.ndarray:
        """A KPI of the chosen point, one value per replication (empty when nothing was chosen)."""
        if self.chosen_table is None:
            return np.array([])
        return Kpi(metric, channel, node_type).values(self.chosen_table)


def optimize(scenario: Scenario | str | Path, vary: Sequence[str | Setting], minimize: str | Kpi,
             subject_to: Sequence[str | Target] = (), budget: int = 40, replications: int = 3, seed: int | None = None, *,
             overrides: Mapping[str, Any] | None = None,
             finalists: int = 5, first_stage: int = 10, indifference: float | None = None, alpha: float = 0.05,
             confidence: float = 0.95, max_replications: int = 100, batch: int = 4, start: str | Mapping[str, Any] | None = None,
             executor: Any = None, workers: int | None = None, out: str | Path | None = None, restart: bool = False,
             progress: bool | Callable[[int, int], None] = True, force: bool = False) -> SearchResult:
    """Search ``vary`` (``PATH=LOW..HIGH[:log]`` or ``PATH=a,b,c``) for the point of least mean ``minimize``
    (``METRIC[(channel[, node_type])]``) among those meeting every ``subject_to`` target (``KPI>=VALUE``) with
    one-sided ``confidence``: ``budget`` points of ``replications`` runs each; then Kim & Nelson's KN over the best
    ``finalists``, first stage ``first_stage`` replications, indifference zone ``indifference`` in the objective's
    units (default 1% of the best finalist's mean), probability of correct selection ``1 - alpha``, at most
    ``max_replications`` per finalist. ``start``: the first point, ``{path: value}`` for every setting, or ``"high"``
    / ``"low"`` (every range at that end; a list of values at its last or first), e.g. the corner of most stock, where service
    targets are likeliest met, so the constrained sampler knows a feasible point from the start.
    ``executor``/``workers``/``out``/``restart``/``progress``/``force`` as for
    :func:`~simulation.experiment.sweep.sweep`. ``overrides`` apply to the scenario before the search (and go into
    ``best.yaml`` with the chosen settings)."""
    source = None
    if not isinstance(scenario, Scenario):
        source, scenario = Path(scenario), load_scenario(scenario, dict(overrides or {}))
    elif overrides:
        scenario = with_overrides(scenario, dict(overrides))
    search = _search(scenario, vary, minimize, subject_to, budget, replications, seed, finalists, first_stage, indifference,
                     alpha, confidence, max_replications, batch, start)
    store = RunStore(Path(out), search.identity(scenario), restart, kind="search") if out is not None else None
    client = connect(executor) if isinstance(executor, str) else executor
    with contextlib.ExitStack() as stack:
        if isinstance(executor, str):
            stack.callback(client.close)
        if client is None and local_workers(workers, replications * search.batch) > 1:
            client = stack.enter_context(local_pool(local_workers(workers, replications * search.batch)))
        began = time.perf_counter()
        runner = _Runner(scenario, search, store, client, workers, force)
        trials = _explore(runner, budget, progress)
        runner.timing["search_seconds"] = time.perf_counter() - began
        selection, chosen, best, chosen_table = _select(runner, trials, finalists, first_stage, indifference, alpha,
                                                        max_replications)
        runner.timing["total_seconds"] = time.perf_counter() - began
    guarantee = chosen.guarantee if isinstance(chosen, Selection) else "no point met every target: nothing to choose"
    result = SearchResult(trials, selection, best, with_overrides(scenario, as_overrides(best)) if best else None, guarantee, search,
                          Path(out) if out is not None else None, source, dict(overrides or {}), chosen_table, runner.timing)
    if out is not None:
        write_search(result, scenario)
    return result


def _search(scenario, vary, minimize, subject_to, budget, replications, seed, finalists, first_stage, indifference, alpha,
            confidence, max_replications, batch, start=None) -> Search:
    """The search, every argument checked (all problems at once)."""
    problems = []
    checks = [(budget, 1, MAX_TRIALS, "budget"), (replications, 2, MAX_REPLICATIONS, "replications"),
              (finalists, 1, 50, "finalists"), (first_stage, 2, MAX_REPLICATIONS, "first_stage"),
              (max_replications, 2, MAX_REPLICATIONS, "max_replications"), (batch, 1, 64, "batch")]
    for value, low, high, name in checks:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            why = " (a one-sided confidence bound needs two)" if name == "replications" else ""
            problems.append(f"{name}: must be a whole number in [{low}, {high}]{why}, got {value!r}")
    if isinstance(max_replications, int) and isinstance(first_stage, int) and max_replications < first_stage:
        problems.append(f"max_replications: must be >= first_stage ({first_stage}), got {max_replications}")
    for value, name in ((alpha, "alpha"), (confidence, "confidence")):
        if not isinstance(value, float | int) or not 0 < value < 1:
            problems.append(f"{name}: must be in (0, 1), got {value!r}")
    if not subject_to and confidence != 0.95:
        problems.append(f"confidence (--confidence): means nothing without a target to hold (subject_to, --subject-to); "
                        f"got {confidence!r}")
    if indifference is not None and not (isinstance(indifference, float | int) and math.isfinite(indifference) and indifference > 0):
        problems.append(f"indifference: must be a number > 0 (in the objective's units), got {indifference!r}")
    if not vary:
        problems.append("vary: give at least one setting to search (PATH=LOW..HIGH or PATH=a,b,c)")
    settings, objective, targets = [], None, []
    for item in vary:
        try:
            settings.append(item if isinstance(item, Setting) else parse_setting(item, scenario))
        except UsageError as exc:
            problems += exc.problems
    fields = [f for s in settings for f in s.fields]
    problems += [f"vary {p}: given twice" for p in sorted({p for p in fields if fields.count(p) > 1})]
    try:
        objective = minimize if isinstance(minimize, Kpi) else parse_kpi(minimize, "--minimize")
    except UsageError as exc:
        problems += exc.problems
    for item in subject_to:
        try:
            targets.append(item if isinstance(item, Target) else parse_target(item))
        except UsageError as exc:
            problems += exc.problems
    try:
        seed = scenario.run.seed if seed is None else check_seed(seed)
    except ScenarioError as exc:
        problems += exc.problems
    first, wrong = start_point(start, settings)
    problems += wrong
    if problems:
        raise UsageError(problems)
    assert objective is not None
    return Search(tuple(settings), objective, tuple(targets), replications, int(seed), float(confidence), batch, first)


class _Runner:
    """Runs a point's replications (reading those a store already holds) and measures it."""

    def __init__(self, scenario: Scenario, search: Search, store: RunStore | None, client, workers, force: bool):
        self.scenario, self.search, self.store, self.client, self.workers, self.force = scenario, search, store, client, workers, force
        self.done = store.completed() if store else set()
        self.memory: dict[int, pd.DataFrame] = {}
        # Where the time went: runs executed here and read back, seconds running them, seconds proposing points.
        self.timing = {"runs_executed": 0, "runs_read_back": 0, "run_seconds": 0.0, "proposal_seconds": 0.0}

    def runs(self, points: dict[int, tuple[dict, Scenario]], replications: dict[int, range]) -> dict[int, pd.DataFrame]:
        """Every replication ``replications[t]`` of trial t's point: its KPI rows, one table per trial."""
        jobs = [Job(t * 1000 + r, t, r, self.search.seed, params, sc, self.force)
                for t, (params, sc) in points.items() for r in replications[t]]
        found = {}
        for job in jobs:
            frame = self._stored(job)
            if frame is not None:
                found[job.run_id] = frame
        todo = [j for j in jobs if j.run_id not in found]
        start = time.perf_counter()
        self.timing["runs_read_back"] += len(found)
        self.timing["runs_executed"] += len(todo)
        for i, frame in completed(execute, todo, self.workers, self.client):
            job = todo[i]
            if self.store:
                self.store.write(job.run_id, frame)
                self.done.add(job.run_id)
            else:
                self.memory[job.run_id] = frame
            found[job.run_id] = frame
        self.timing["run_seconds"] += time.perf_counter() - start
        return {t: pd.concat([found[j.run_id] for j in jobs if j.point == t], ignore_index=True) for t in points}

    def _stored(self, job: Job) -> pd.DataFrame | None:
        """The run if kept, and run at these settings (a replayed proposal always is; a store is never trusted blindly)."""
        if job.run_id in self.memory:
            frame = self.memory[job.run_id]
        elif job.run_id in self.done and self.store is not None:
            frame = self.store.read(job.run_id)
        else:
            return None
        same = set(job.params) <= set(frame.columns) and all(str(frame[p].iloc[0]) == str(v) for p, v in job.params.items())
        return frame if same else None

    def measure(self, table: pd.DataFrame) -> dict:
        """A trial's objective (mean and 95% CI half-width), each target's mean and one-sided bound, feasibility."""
        s = self.search
        values = s.objective.values(table)
        mean, half = mean_ci(values[np.isfinite(values)])
        row: dict[str, Any] = {"replications": int(values.size), "objective": mean, "objective_ci95": half}
        slacks = []
        for target in s.targets:
            v = target.kpi.values(table)
            slack = target.slack(v, s.confidence)
            row[f"{target.kpi} mean"] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
            row[f"{target.kpi} bound"] = target.value - slack if target.op == ">=" else target.value + slack
            slacks.append(slack)
        row["feasible"] = bool(all(x <= 0 for x in slacks)) and math.isfinite(mean)
        row["_slacks"] = slacks
        return row


def _explore(runner: _Runner, budget: int, progress) -> pd.DataFrame:
    """The search's trials, batch by batch, each batch proposed from every trial before it."""
    s, rows = runner.search, list[dict]()
    bar = tqdm(total=budget, desc="search", unit="point", disable=progress is not True or not sys.stderr.isatty())
    try:
        while len(rows) < budget:
            start = time.perf_counter()
            proposals = _propose(s, rows, min(s.batch, budget - len(rows)))
            runner.timing["proposal_seconds"] += time.perf_counter() - start
            points, refused = {}, {}
            for t, params in proposals.items():
                try:
                    points[t] = (params, with_overrides(runner.scenario, as_overrides(params)))
                except ScenarioError as exc:
                    refused[t] = "; ".join(exc.problems)
            tables = runner.runs(points, dict.fromkeys(points, range(s.replications)))
            for t, params in proposals.items():
                row = {"trial": t, **params}
                if t in refused:
                    row.update(state="refused", problem=refused[t], feasible=False, _slacks=None)
                else:
                    row.update(state="complete", problem="", **runner.measure(tables[t]))
                rows.append(row)
            bar.update(len(proposals))
            if callable(progress):
                progress(len(rows), budget)
    finally:
        bar.close()
    return pd.DataFrame(rows).drop(columns="_slacks")


def _distributions(search: Search) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    def distribution(s: Setting):
        if s.choices is not None:
            return CategoricalDistribution(s.choices)
        assert s.low is not None and s.high is not None
        return IntDistribution(int(s.low), int(s.high), log=s.log) if s.integer else FloatDistribution(s.low, s.high, log=s.log)
    return {s.path: distribution(s) for s in search.settings}


def _propose(search: Search, rows: list[dict], count: int) -> dict[int, dict]:
    """``count`` new points from TPE, seeded by the search's seed and the first new trial's number, having seen
    every trial in ``rows`` (complete with value and constraint slacks; refused as failed)."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    first = len(rows)
    sampler = optuna.samplers.TPESampler(seed=int(np.random.SeedSequence([search.seed, first]).generate_state(1)[0]),
                                         n_startup_trials=min(10, max(2, 2 * len(search.settings))))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    dists = _distributions(search)
    for row in rows:
        params = {p: row[p] for p in dists}
        if row["state"] == "complete" and math.isfinite(row["objective"]):
            study.add_trial(create_trial(params=params, distributions=dists, value=row["objective"],
                                         constraints={f"target {i}": float(min(x, 1e300)) for i, x in enumerate(row["_slacks"])}))
        else:
            study.add_trial(create_trial(state=TrialState.FAIL, params=params, distributions=dists))
    out = {}
    if first == 0 and search.start is not None:
        out[0] = dict(search.start)
    for t in range(first + len(out), first + count):
        trial = study.ask(dists)
        out[t] = {p: _plain(trial.params[p]) for p in dists}
    return out


def _select(runner: _Runner, trials: pd.DataFrame, finalists: int, first_stage: int, indifference, alpha: float,
            max_replications: int) -> tuple[pd.DataFrame, Selection | None, dict | None, pd.DataFrame | None]:
    """KN over the best feasible distinct points: the selection table (one row per finalist), KN's outcome, the
    chosen settings and the chosen point's runs."""
    s = runner.search
    paths = [x.path for x in s.settings]
    feasible = trials[trials["feasible"]].sort_values(["objective", "trial"])
    distinct = feasible.drop_duplicates(subset=[str(p) for p in paths]).head(finalists) if len(feasible) else feasible
    if distinct.empty:
        return pd.DataFrame(columns=["trial", *paths, "replications", "objective", "eliminated_at", "chosen"]), None, None, None
    ids = [int(t) for t in distinct["trial"]]
    points = {t: (params, with_overrides(runner.scenario, as_overrides(params))) for t in ids
              for params in [{x.path: _value(x, distinct.loc[distinct["trial"] == t, x.path].iloc[0]) for x in s.settings}]}
    tables: dict[int, list[pd.DataFrame]] = {t: [] for t in ids}

    def sample(which, reps):
        chosen = [ids[i] for i in which]
        got = runner.runs({t: points[t] for t in chosen}, dict.fromkeys(chosen, reps))
        for t in chosen:
            tables[t].append(got[t])
        return np.array([s.objective.values(got[t]) for t in chosen])

    n0 = max(first_stage, s.replications)
    delta = indifference
    if delta is None:  # 1% of the best finalist's search mean, stated in the guarantee
        delta = max(0.01 * abs(float(distinct["objective"].iloc[0])), 1e-9)
    chosen = kim_nelson(sample, len(ids), n0, float(delta), alpha, max_replications)
    rows = []
    for i, t in enumerate(ids):
        row = {"trial": t, **points[t][0], "replications": int(chosen.replications[i]), "objective": float(chosen.means[i]),
               "eliminated_at": int(chosen.eliminated_at[i]), "chosen": i == chosen.chosen}
        measured = runner.measure(pd.concat(tables[t], ignore_index=True))
        row.update({k: v for k, v in measured.items() if k.endswith((" mean", " bound"))}, feasible=measured["feasible"])
        rows.append(row)
    best = ids[chosen.chosen]
    return pd.DataFrame(rows), chosen, points[best][0], pd.concat(tables[best], ignore_index=True)


def _value(setting: Setting, value):
    """A setting's value as proposed: a whole number for a whole-number setting (a table column may hold floats)."""
    value = _plain(value)
    return int(value) if setting.integer else value


def _plain(value):
    """A numpy scalar as the Python value a scenario (and YAML) takes."""
    return value.item() if isinstance(value, np.generic) else value

