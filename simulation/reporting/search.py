"""A policy search's folder drawn for a person: ``report.html`` and ``report.pdf`` (the choice and its guarantee, the
finalists, which settings matter; the frontier, the search's progress and the objective by setting, under
``figures/``) and ``search.md`` (the same in Markdown), from what :mod:`simulation.experiment.search_folder` wrote
there."""

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
from simulation.reporting.figures import Chart
from simulation.reporting.page import Section
from simulation.reporting.plots import non_dominated
from simulation.reporting.publish import publish


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
                    about["batch"], tuple(about["start"].items()) if about.get("start") else None)
    selection = pd.read_csv(folder / "selection.csv")
    if "chosen" in selection:
        selection["chosen"] = selection["chosen"].astype(bool)
    return Searched(pd.read_parquet(folder / "trials.parquet"), selection, about["chosen"], about["guarantee"], search,
                    about.get("timing"))


def search_report(folder: str | Path) -> Path:
    """Write a search folder's report: report.html and report.pdf (the choice and its guarantee, the finalists,
    which settings matter, and the charts: the frontier, the search's progress, the objective by setting), and
    search.md (the same in Markdown); returns report.html's path."""
    folder = Path(folder)
    result = read_search(folder)
    text = markdown(result.trials, result)
    atomic_write(folder / "search.md", lambda tmp: Path(tmp).write_text(text))
    return publish(folder, _title(result.search), headline(result), _selection_rows(result.selection, result.search),
                   method(result), charts(result), _sections(result))


def _title(search) -> str:
    targets = " and ".join(f"{_lower(_axis(t.kpi))} {_bound(t)}" for t in search.targets)
    return f"Policy search: least {_lower(_axis(search.objective))}{' with ' + targets if targets else ''}"


def _lower(label: str) -> str:
    """A KPI label inside a sentence: 'Fill rate (units)' reads 'fill rate (units)'; 'EOQ' stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _bound(target) -> str:
    return f"{'at least' if target.op == '>=' else 'at most'} {_value(target.kpi, target.value)}"


def _value(kpi, value: float) -> str:
    return metric(kpi.metric).format(value)


def headline(result) -> list[str]:
    """The answer in sentences, every figure read from the folder."""
    s, trials = result.search, result.trials
    done = trials[trials["state"] == "complete"]
    counts = (f"{len(trials)} points searched: {len(done)} run, {int(done['feasible'].sum())} met every target, "
              f"{int((trials['state'] == 'refused').sum())} refused by the scenario's own checks.")
    if result.chosen is None:
        return ["No point met every target, so nothing is chosen: loosen a target or widen a range.", counts]
    row = result.selection[result.selection["chosen"]].iloc[0]
    out = [f"Chosen: {', '.join(f'{k} = {_setting(v)}' for k, v in result.chosen.items())}, with "
           f"{_lower(_axis(s.objective))} {_value(s.objective, row['objective'])} (mean of {int(row['replications'])} replications)."]
    out += [f"{_axis(t.kpi)}: {_value(t.kpi, row[f'{t.kpi} mean'])} on average, one-sided {s.confidence:.0%} bound "
            f"{_value(t.kpi, row[f'{t.kpi} bound'])} against the target of {_bound(t)}."
            for t in s.targets if f"{t.kpi} mean" in row]
    return [*out, f"Guarantee: {result.guarantee}.", counts]


def _setting(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def method(result) -> str:
    s = result.search
    text = (f"Settings proposed by optuna's TPE in batches of {s.batch} ({'; '.join(x.describe() for x in s.settings)}); "
            f"{'the first point given (' + ', '.join(f'{k} = {_setting(v)}' for k, v in s.start) + '); ' if s.start else ''}"
            f"each point run {s.replications} times on common random numbers (seed {s.seed}). A point is feasible when "
            f"every target holds at one-sided {s.confidence:.0%} confidence (Student t over its replications). The best "
            "distinct feasible points (the finalists, tabled above) were re-run and one chosen by Kim & Nelson's KN.")
    if result.timing:
        t = result.timing
        text += (f" {t['runs_executed']} runs executed ({t['runs_read_back']} read back from runs/) in {t['total_seconds']:.0f} s:"
                 f" {t['run_seconds']:.0f} s running them, {t['proposal_seconds']:.1f} s proposing points.")
    return text


def _selection_rows(selection: pd.DataFrame, search) -> tuple[list[str], list[list[str]]]:
    """The finalists as the report's main table: settings, replications, objective, each target's bound, KN's verdict."""
    bounds = [t for t in search.targets if f"{t.kpi} bound" in selection]
    head = ["trial", *[_column(x.path) for x in search.settings], "replications",
            f"{_axis(search.objective)} (mean)", *[f"{_axis(t.kpi)} (one-sided bound)" for t in bounds], "KN"]
    rows = [[str(int(r["trial"])), *[_setting(r[x.path]) for x in search.settings], str(int(r["replications"])),
             _value(search.objective, r["objective"]), *[_value(t.kpi, r[f"{t.kpi} bound"]) for t in bounds],
             "chosen" if r["chosen"] else f"eliminated after {int(r['eliminated_at'])}"]
            for _, r in selection.iterrows()]
    return head, rows


def _column(path: str) -> str:
    """A setting as a column head: without the ``replenishment.`` every policy path starts with, a line a part, so a
    narrow column breaks it between its parts rather than inside a word."""
    return " +\n".join(p.removeprefix("replenishment.") for p in path.split("+")).replace(".", ".\n")


def _sections(result) -> tuple:
    done = result.trials[result.trials["state"] == "complete"]
    matter = sensitivity(done, result.search)
    if matter.empty:
        return ()
    return (Section("Which settings matter", [_SENSITIVITY.format(n=len(done))],
                    (list(matter.columns), matter.astype(str).to_numpy().tolist())),)


_SENSITIVITY = ("Spearman rank correlation of each setting with the objective over the {n} points run (a categorical "
                "setting: the objective's mean for each value). A search samples where it expects good points, so read "
                "these as descriptions of the search, not as effects.")


def _axis(kpi) -> str:
    return f"{kpi_label(kpi.metric, kpi.channel)}{'' if kpi.node_type == 'all' else ', ' + kpi.node_type.replace('_', ' ')}"


def charts(result) -> list:
    """The report's charts with their captions."""
    s, done = result.search, result.trials[result.trials["state"] == "complete"]
    against = f"the first target's KPI ({_axis(s.targets[0].kpi)}, mean over replications)" if s.targets else "trial number"
    return [Chart("frontier", frontier(result.trials, result),
                  f"Each point searched: {_axis(s.objective)} (mean over {s.replications} replications) against {against}. "
                  "Blue points met every target at the one-sided bound, grey did not; the line joins the points no other beats "
                  "on both; the star is the chosen point (its mean over KN's replications)."),
            Chart("progress", progress(done, result),
                  f"The search's progress: each point's {_axis(s.objective)} in the order proposed, and the best feasible "
                  "mean so far (the line). A line that has stopped falling says more points would likely not help."),
            Chart("settings", by_setting(done, result),
                  f"{_axis(s.objective)} against each setting searched, one panel a setting (blue: met every target). "
                  "Where the points rise or fall steeply along a setting, that setting matters.")]


def _figure():
    from matplotlib import rc_context

    with rc_context({"font.size": 12, "axes.labelsize": 12, "legend.fontsize": 10}):
        return Figure(figsize=(8, 4.5), layout="constrained")  # the report's chart size; no global pyplot state


def _scatter(ax, x, y, ok) -> None:
    ax.scatter(x[~ok], y[~ok], s=18, c="#bbbbbb", label="target not met (one-sided bound)")
    ax.scatter(x[ok], y[ok], s=22, c="#1f77b4", label="feasible")


def frontier(trials: pd.DataFrame, result):
    """Objective against the first target's KPI (or against trial number with no target): feasible points, the
    rest, the points no other beats on both, the chosen one; the target as a line."""
    search = result.search
    fig = _figure()
    ax = fig.add_subplot()
    done = trials[trials["state"] == "complete"]
    ok = done["feasible"].to_numpy(bool)
    if search.targets:
        target = search.targets[0]
        x, xlabel = done[f"{target.kpi} mean"].to_numpy(float), _axis(target.kpi)
        ax.axvline(target.value, color="grey", lw=1, ls="--", label=f"target {target.op} {target.value:g}")
        cost = done["objective"].to_numpy(float)
        best = non_dominated(cost, x, higher_is_better=target.op == ">=")
        best = best[np.argsort(x[best], kind="stable")]   # drawn along the target's KPI
        ax.plot(x[best], cost[best], color="0.3", lw=1, drawstyle="steps-post" if target.op == ">=" else "steps-pre",
                label="no other point better on both", zorder=0)
    else:
        x, xlabel = done["trial"].to_numpy(float), "trial"
    _scatter(ax, x, done["objective"].to_numpy(float), ok)
    if result.chosen is not None:
        row = result.selection[result.selection["chosen"]].iloc[0]
        cx = row[f"{search.targets[0].kpi} mean"] if search.targets else row["trial"]
        ax.scatter([cx], [row["objective"]], s=160, marker="*", c="#d62728", zorder=3,
                   label=f"chosen (trial {int(row['trial'])}, {int(row['replications'])} replications)")
    if search.targets and metric(search.targets[0].kpi.metric).is_share:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{_axis(search.objective)} (mean)")
    ax.legend(loc="best")
    return fig


def progress(done: pd.DataFrame, result):
    """Each point's objective by trial, and the best feasible mean so far."""
    fig = _figure()
    ax = fig.add_subplot()
    trial, objective = done["trial"].to_numpy(float), done["objective"].to_numpy(float)
    ok = done["feasible"].to_numpy(bool)
    _scatter(ax, trial, objective, ok)
    best = pd.Series(np.where(ok, objective, np.inf)).cummin().replace(np.inf, np.nan)
    ax.plot(trial, best, color="#d62728", drawstyle="steps-post", label="best feasible so far")
    ax.set_xlabel("trial (order proposed)")
    ax.set_ylabel(f"{_axis(result.search.objective)} (mean)")
    ax.legend(loc="best")
    return fig


def by_setting(done: pd.DataFrame, result):
    """The objective against each setting, one panel a setting (categories in their listed order)."""
    settings = result.search.settings
    fig = _figure()
    axes = np.atleast_1d(fig.subplots(1, len(settings), sharey=True, squeeze=False)[0])
    ok = done["feasible"].to_numpy(bool)
    for ax, x in zip(axes, settings, strict=True):
        values = done[x.path]
        if x.choices is not None:
            ax.set_xticks(range(len(x.choices)), [str(c) for c in x.choices])
            values = values.map({c: i for i, c in enumerate(x.choices)})
        _scatter(ax, values.to_numpy(float), done["objective"].to_numpy(float), ok)
        ax.set_xlabel(x.path.rsplit(".", 1)[-1] if len(settings) > 1 else x.path)
        ax.set_title(x.path.rsplit(".", 2)[-2] if len(settings) > 1 and "." in x.path else "", fontsize=10)
    axes[0].set_ylabel(f"{_axis(result.search.objective)} (mean)")
    axes[0].legend(loc="best", fontsize=8)
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
        lines += ["## Which settings matter", "", _SENSITIVITY.format(n=len(done)), "", _plain_table(matter), ""]
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

