"""A policy search's folder drawn for a person: ``search.md`` (the search, the choice and its guarantee, the
finalists, which settings matter) and ``frontier.png`` (the objective against the first target, the chosen point
marked), from what :mod:`simulation.experiment.search_folder` wrote there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from simulation.experiment.goals import Setting, parse_kpi, parse_target
from simulation.experiment.optimize import Search
from simulation.experiment.results import atomic_write, commit_label
from simulation.metrics.registry import kpi_label, metric


@dataclass(frozen=True)
class Searched:
    """A search as its folder holds it."""

    trials: pd.DataFrame
    selection: pd.DataFrame
    chosen: dict | None
    guarantee: str
    search: Search
    timing: dict | None = None


def read_search(folder: Path) -> Searched:
    about = json.loads((folder / "search.json").read_text())
    search = Search(tuple(Setting(**{**x, "choices": tuple(x["choices"]) if x["choices"] is not None else None})
                          for x in about["settings"]), parse_kpi(about["objective"], "objective"),
                    tuple(parse_target(t) for t in about["targets"]), about["replications"], about["seed"], about["confidence"],
                    about["batch"])
    selection = pd.read_csv(folder / "selection.csv")
    if "chosen" in selection:
        selection["chosen"] = selection["chosen"].astype(bool)
    return Searched(pd.read_parquet(folder / "trials.parquet"), selection, about["chosen"], about["guarantee"], search,
                    about.get("timing"))


def search_report(folder: str | Path) -> Path:
    """Write ``search.md`` and ``frontier.png`` for a search folder; returns search.md's path."""
    folder = Path(folder)
    result = read_search(folder)
    figure = frontier(result.trials, result)
    atomic_write(folder / "frontier.png", lambda tmp: figure.savefig(tmp, dpi=150, format="png"))
    text = markdown(result.trials, result)
    atomic_write(folder / "search.md", lambda tmp: Path(tmp).write_text(text))
    return folder / "search.md"


def _axis(kpi) -> str:
    return f"{kpi_label(kpi.metric, kpi.channel)}{'' if kpi.node_type == 'all' else ', ' + kpi.node_type.replace('_', ' ')}"


def frontier(trials: pd.DataFrame, result):
    """Objective against the first target's KPI (or against trial number with no target): feasible points, the
    rest, the chosen one; the target as a line."""
    search = result.search
    fig = Figure(figsize=(7, 4.5), layout="constrained")  # the object API: no global pyplot state
    ax = fig.add_subplot()
    done = trials[trials["state"] == "complete"]
    if search.targets:
        target = search.targets[0]
        x, xlabel = done[f"{target.kpi} mean"], _axis(target.kpi)
        ax.axvline(target.value, color="grey", lw=1, ls="--", label=f"target {target.op} {target.value:g}")
    else:
        x, xlabel = done["trial"], "trial"
    ok = done["feasible"].to_numpy(bool)
    ax.scatter(x[~ok], done["objective"][~ok], s=18, c="#bbbbbb", label="target not met (one-sided bound)")
    ax.scatter(x[ok], done["objective"][ok], s=22, c="#1f77b4", label="feasible")
    if result.chosen is not None:
        row = result.selection[result.selection["chosen"]].iloc[0]
        cx = row[f"{search.targets[0].kpi} mean"] if search.targets else row["trial"]
        ax.scatter([cx], [row["objective"]], s=140, marker="*", c="#d62728", zorder=3,
                   label=f"chosen (trial {int(row['trial'])}, {int(row['replications'])} replications)")
    if search.targets and metric(search.targets[0].kpi.metric).is_share:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{_axis(search.objective)} (mean)")
    ax.set_title(f"Search: {len(trials)} points of {search.replications} replications")
    ax.legend(fontsize=8, loc="best")
    return fig


def markdown(trials: pd.DataFrame, result) -> str:
    """The search in words and tables, every figure computed here."""
    s = result.search
    done = trials[trials["state"] == "complete"]
    refused = trials[trials["state"] == "refused"]
    lines = [f"# Policy search at {commit_label()}", "",
             f"Minimise **{s.objective}** subject to {', '.join(f'**{t}**' for t in s.targets) or 'no targets'}; "
             f"a point is feasible when every target holds at one-sided {s.confidence:.0%} confidence (Student t over its "
             f"{s.replications} replications on common random numbers, seed {s.seed}).", "",
             f"Settings searched (optuna TPE, batches of {s.batch}):", *[f"- {x.describe()}" for x in s.settings], "",
             f"{len(trials)} points: {len(done)} run, {int(done['feasible'].sum())} feasible, {len(refused)} refused by the "
             f"scenario's own checks.", ""]
    if result.chosen is None:
        lines += ["**No point met every target**: nothing is chosen. Loosen a target or widen a range."]
        if len(done):
            best = done.sort_values("objective").iloc[0]
            lines += ["", f"Least objective among the points run: trial {int(best['trial'])} ({best['objective']:.4g})."]
    else:
        lines += ["## Choice", "", "**Chosen settings**: " + ", ".join(f"`{k}` = {v}" for k, v in result.chosen.items()) + ".",
                  "", f"Guarantee: {result.guarantee}.", "", _table(result.selection, s), ""]
    if result.timing:
        t = result.timing
        lines += ["## Where the time went", "",
                  f"{t['runs_executed']} runs executed ({t['runs_read_back']} read back from the folder's runs/), "
                  f"{t['total_seconds']:.0f} s in all: {t['run_seconds']:.0f} s running them, {t['proposal_seconds']:.1f} s "
                  f"proposing points (the search itself {t['search_seconds']:.0f} s, the selection the rest).", ""]
    matter = sensitivity(done, s)
    if len(matter):
        lines += ["## Which settings matter", "",
                  f"Spearman rank correlation of each setting with the objective over the {len(done)} points run "
                  "(a categorical setting: the objective's mean for each value). A search samples where it expects good "
                  "points, so read these as descriptions of the search, not as effects.", "", _plain_table(matter), ""]
    return "\n".join(lines) + "\n"


def sensitivity(done: pd.DataFrame, search) -> pd.DataFrame:
    rows = []
    for x in search.settings:
        if x.choices is None and done[x.path].nunique() > 1:
            rho = done[x.path].rank().corr(done["objective"].rank())
            rows.append({"setting": x.path, "measure": "Spearman rho", "value": f"{rho:+.2f}"})
        elif x.choices is not None:
            for value, block in done.groupby(x.path, sort=True):
                rows.append({"setting": x.path, "measure": f"mean objective at {value}", "value": f"{block['objective'].mean():.4g} "
                             f"({len(block)} points)"})
    return pd.DataFrame(rows)


def _table(selection: pd.DataFrame, search) -> str:
    cols = ["trial", *[x.path for x in search.settings], "replications", "objective", "eliminated_at", "chosen"]
    cols += [c for c in selection.columns if c.endswith(" bound")] + ["feasible"]
    shown = selection[[c for c in cols if c in selection.columns]].copy()
    shown["objective"] = [metric(search.objective.metric).format(v) for v in shown["objective"]]
    shown["eliminated_at"] = [("chosen" if c else f"after {e} replications") for e, c in zip(shown["eliminated_at"], shown["chosen"],
                                                                                            strict=True)]
    shown = shown.drop(columns="chosen").rename(columns={"eliminated_at": "KN"})
    return _plain_table(shown)


def _plain_table(frame: pd.DataFrame) -> str:
    def cell(v):
        return f"{v:.4g}" if isinstance(v, float | np.floating) else str(v)
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    return "\n".join([head, "|" + "---|" * len(frame.columns),
                      *["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]])

