"""What a policy search leaves in its folder besides its runs: ``trials.parquet`` (every point: settings,
objective, each target's mean and one-sided bound, feasible or not), ``selection.csv`` (the finalists KN ran, and
the choice), ``best.yaml`` (a runnable scenario extending the input with the chosen settings) and ``search.json``
(the search itself and its guarantee, what the report is drawn from). Each file is written atomically."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import yaml

from simulation.experiment.goals import as_overrides
from simulation.experiment.results import atomic_write


def write_search(result, scenario) -> None:
    out: Path = result.out
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "trials.parquet", lambda tmp: result.trials.to_parquet(tmp, index=False))
    atomic_write(out / "selection.csv", lambda tmp: result.selection.to_csv(tmp, index=False))
    if result.chosen is not None:
        text = best_yaml(result, scenario)
        atomic_write(out / "best.yaml", lambda tmp: Path(tmp).write_text(text))
    elif (out / "best.yaml").exists():
        (out / "best.yaml").unlink()  # a rerun that finds nothing feasible must not leave an old choice behind
    s = result.search
    about = {"scenario": scenario.name, "source": str(result.source) if result.source else None,
             "settings": [dataclasses.asdict(x) for x in s.settings], "objective": str(s.objective),
             "targets": [f"{t.kpi}{t.op}{t.value!r}" for t in s.targets], "replications": s.replications, "seed": s.seed,
             "confidence": s.confidence, "batch": s.batch, "start": dict(s.start) if s.start else None,
             "chosen": result.chosen, "guarantee": result.guarantee,
             "timing": result.timing}
    text = json.dumps(about, indent=2, default=str)
    atomic_write(out / "search.json", lambda tmp: Path(tmp).write_text(text))


def best_yaml(result, scenario) -> str:
    """The chosen settings as a scenario file extending the input (by its path relative to the folder when it came
    from a file, with the overrides the search ran under), or the whole scenario when it was built in Python."""
    head = [f"# Chosen by invsim optimize: {result.search.objective} minimised subject to "
            f"{'; '.join(str(t) for t in result.search.targets) or 'no targets'}.", f"# {result.guarantee}."]
    name = {"name": f"{scenario.name}_best"[:100]}
    if result.source is not None:
        body = {"extends": os.path.relpath(Path(result.source).resolve(), result.out.resolve()), **name,
                "overrides": {**(result.overrides or {}), **as_overrides(result.chosen)}}
    else:
        body = result.scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True) | name
    return "\n".join(head) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
