"""What a policy search varies and what it asks of a point: the settings it may change (``--vary``), the KPI it
minimises (``--minimize``) and the service targets a point must meet (``--subject-to``), parsed and checked
against the scenario and the metric registry before anything runs.

A setting varies over ``LOW..HIGH`` (whole numbers where the field holds whole numbers; ``:log`` searches
its logarithm) or a list of values ``a,b,c``; ``PATH+PATH=...`` sets several fields to one value (a warehouse and its
online stock at one service level, which one pool requires). A KPI is ``METRIC``, ``METRIC(channel)`` or
``METRIC(channel, node_type)``, as the KPI table names them; a target is ``KPI>=VALUE`` or ``KPI<=VALUE``,
a share written as 0.95 or 95%.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.experiment.stats import t_quantile
from simulation.metrics.registry import METRICS
from simulation.scenario import CHANNELS, NODE_TYPES, Scenario, ScenarioError, UsageError, with_overrides
from simulation.scenario.overrides import _split_path
from simulation.scenario.yaml_safe import load_yaml

_RANGE = re.compile(r"^\s*(?P<low>[^.][^:]*?)\s*\.\.\s*(?P<high>[^:]+?)\s*(?::(?P<log>log))?\s*$")
_KPI = re.compile(r"^\s*(?P<metric>[a-z_]+)\s*(?:\(\s*(?P<channel>[a-z_]+)\s*(?:,\s*(?P<node_type>[a-z_]+)\s*)?\))?\s*$")
_TARGET = re.compile(r"^(?P<kpi>[^<>=]+?)\s*(?P<op>>=|<=)\s*(?P<value>[^<>=]+?)\s*$")


@dataclass(frozen=True)
class Setting:
    """One setting the search varies: between ``low`` and ``high`` (``integer``: whole numbers; ``log``: on a
    log scale), or among ``choices``. ``path`` may join several fields with ``+``: each takes the one value."""

    path: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    log: bool = False
    choices: tuple | None = None

    @property
    def fields(self) -> list[str]:
        return self.path.split("+")

    def describe(self) -> str:
        if self.choices is not None:
            return f"{self.path} in {{{', '.join(map(str, self.choices))}}}"
        kind = "whole numbers" if self.integer else "log scale" if self.log else "continuous"
        return f"{self.path} in [{self.low:g}, {self.high:g}] ({kind}{', log scale' if self.integer and self.log else ''})"


@dataclass(frozen=True)
class Kpi:
    """A KPI of the table: metric, channel and node type (``all`` where not named)."""

    metric: str
    channel: str = "all"
    node_type: str = "all"

    def __str__(self) -> str:
        inside = [self.channel] + ([self.node_type] if self.node_type != "all" else [])
        return self.metric if inside == ["all"] else f"{self.metric}({', '.join(inside)})"

    def values(self, table: pd.DataFrame) -> np.ndarray:
        """This KPI per run, in the table's run order (NaN where a run lacks it)."""
        rows = table[(table["metric"] == self.metric) & (table["channel"] == self.channel) & (table["node_type"] == self.node_type)]
        return rows.set_index("run_id")["value"].reindex(pd.unique(table["run_id"])).to_numpy(float)


@dataclass(frozen=True)
class Target:
    """A service target a point must meet: ``kpi`` at least (``>=``) or at most (``<=``) ``value``."""

    kpi: Kpi
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {self.value:g}"

    def slack(self, values: np.ndarray, confidence: float) -> float:
        """How far the one-sided ``confidence`` bound on the mean of ``values`` (Student t over replications) is
        on the wrong side of the target: <= 0 when the target holds with that confidence. Positive (infinite
        slack) where the KPI is missing."""
        values = values[np.isfinite(values)]
        if values.size < 2:
            return float("inf")
        bound = t_quantile(confidence, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
        mean = values.mean()
        return self.value - (mean - bound) if self.op == ">=" else (mean + bound) - self.value


def parse_kpi(text: str, what: str) -> Kpi:
    """``METRIC``, ``METRIC(channel)`` or ``METRIC(channel, node_type)``; ``what`` names the argument in errors."""
    m = _KPI.match(text)
    if not m:
        raise UsageError([f"{what} {text!r}: expected METRIC, METRIC(channel) or METRIC(channel, node_type)"])
    kpi = Kpi(m["metric"], m["channel"] or "all", m["node_type"] or "all")
    problems = []
    if kpi.metric not in METRICS:
        problems.append(f"{what} {text!r}: unknown metric {kpi.metric!r}; known: {', '.join(METRICS)}")
    if kpi.channel not in ("all", *CHANNELS):
        problems.append(f"{what} {text!r}: unknown channel {kpi.channel!r}; known: all, {', '.join(CHANNELS)}")
    if kpi.node_type not in ("all", *NODE_TYPES):
        problems.append(f"{what} {text!r}: unknown node type {kpi.node_type!r}; known: all, {', '.join(NODE_TYPES)}")
    if problems:
        raise UsageError(problems)
    return kpi


def parse_target(text: str) -> Target:
    """``KPI>=VALUE`` or ``KPI<=VALUE``; a share may be written 95%."""
    m = _TARGET.match(text)
    if not m:
        raise UsageError([f"--subject-to {text!r}: expected KPI>=VALUE or KPI<=VALUE, e.g. 'fill_rate_units(walk_in)>=0.95'"])
    kpi = parse_kpi(m["kpi"], "--subject-to")
    raw = m["value"].strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UsageError([f"--subject-to {text!r}: the target {raw!r} is not a number"]) from None
    if not np.isfinite(value):
        raise UsageError([f"--subject-to {text!r}: the target must be a finite number, got {raw}"])
    if METRICS[kpi.metric].is_share and not 0 <= value <= 1:
        raise UsageError([f"--subject-to {text!r}: {kpi.metric} is a share: give it in [0, 1] or as a percentage, got {raw}"])
    return Target(kpi, m["op"], value)


def as_overrides(params: dict[str, Any]) -> dict[str, Any]:
    """A point's settings as scenario overrides: a joined path (``a+b``) sets each of its fields.

    >>> as_overrides({"x.a+x.b": 0.9, "y": 3})
    {'x.a': 0.9, 'x.b': 0.9, 'y': 3}
    """
    return {field: value for path, value in params.items() for field in path.split("+")}


def start_point(start, settings: list[Setting]) -> tuple[tuple[tuple[str, Any], ...] | None, list[str]]:
    """A search's first point, ``"high"``, ``"low"`` or ``{path: value}`` for every setting, as (path, value) per
    setting; and the problems with ``start``, each named."""
    if start is None:
        return None, []
    if start in ("high", "low"):
        def end(x: Setting):
            if x.choices is not None:
                return x.choices[-1 if start == "high" else 0]
            value = x.high if start == "high" else x.low
            assert value is not None   # a range's ends are set where its choices are not
            return int(value) if x.integer else value
        return tuple((x.path, end(x)) for x in settings), []
    if not isinstance(start, Mapping):
        return None, [f"start: 'high', 'low' or a value for every setting ({{path: value}}), got {start!r}"]
    problems = [f"start: no value for {x.path}" for x in settings if x.path not in start]
    problems += [f"start: {p} is not a setting searched" for p in start if p not in {x.path for x in settings}]
    for x in settings:
        value = start.get(x.path)
        if value is None:
            continue
        inside = value in x.choices if x.choices is not None else (
            isinstance(value, int | float) and not isinstance(value, bool) and x.low is not None and x.high is not None
            and x.low <= value <= x.high
            and (not x.integer or float(value).is_integer()))
        if not inside:
            problems.append(f"start: {x.path}={value!r} is outside what is searched ({x.describe()})")
    return (None if problems else tuple((x.path, int(start[x.path]) if x.integer else start[x.path]) for x in settings)), problems


def parse_setting(item: str, scenario: Scenario) -> Setting:
    """``PATH=LOW..HIGH``, ``PATH=LOW..HIGH:log`` or ``PATH=a,b,c``, checked against ``scenario``: the path must
    name a field, and both ends (or every choice) must be values the field accepts. ``PATH+PATH=...`` sets several
    fields to one value: the ends must suit all of them together."""
    path, sep, text = item.partition("=")
    path, text = "+".join(p.strip() for p in path.split("+")), text.strip()
    if not sep or not path or not text or "" in path.split("+"):
        raise UsageError([f"--vary {item!r}: expected PATH=LOW..HIGH, PATH=LOW..HIGH:log or PATH=a,b,c"])
    if len(set(path.split("+"))) < len(path.split("+")):
        raise UsageError([f"--vary {path}: a field is named twice"])
    where = f"--vary {path}"
    if (m := _RANGE.match(text)) is not None:
        low, high = (_number(m[end], where) for end in ("low", "high"))
        if not low < high:
            raise UsageError([f"{where}: LOW must be below HIGH, got {low:g}..{high:g}"])
        if m["log"] and low <= 0:
            raise UsageError([f"{where}: a log scale needs LOW > 0, got {low:g}"])
        ends = [_held(scenario, path, v, where) for v in (low, high)]
        integer = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in ends)
        if integer and (low != int(low) or high != int(high)):
            raise UsageError([f"{where}: {path} holds whole numbers; give whole ends, got {low:g}..{high:g}"])
        return Setting(path, float(low), float(high), integer, bool(m["log"]))
    choices = tuple(load_yaml(v.strip()) for v in text.split(","))
    if len(choices) < 2 or len(set(map(str, choices))) < len(choices):
        raise UsageError([f"{where}: give at least two different values (a,b,c) or a range LOW..HIGH, got {text!r}"])
    for choice in choices:
        _held(scenario, path, choice, where)
    return Setting(path, choices=choices)


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError([f"{where}: {text!r} is not a number (a range is LOW..HIGH)"]) from None
    if not np.isfinite(value):
        raise UsageError([f"{where}: the range's ends must be finite, got {text}"])
    return value


def _held(scenario: Scenario, path: str, value: Any, where: str) -> Any:
    """The value the field at ``path`` holds once set to ``value`` (so a whole-number field reads back an int); a
    UsageError naming the field's own problem when the scenario refuses it. Joined fields must all hold the same kind."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 3.0 from a range end: a whole-number field takes it; a float field reads 3 as 3.0
    try:
        built = with_overrides(scenario, as_overrides({path: value}))
    except ScenarioError as exc:
        raise UsageError([f"{where}={value}: {p}" for p in exc.problems]) from None
    held = [read_path(built, field) for field in path.split("+")]
    held = [getattr(h, shorthand) if (shorthand := getattr(type(h), "shorthand", None)) else h for h in held]  # S: 12 is {units: 12}
    if len({type(h) for h in held}) > 1:
        raise UsageError([f"{where}: the joined fields hold different kinds of value ({', '.join(type(h).__name__ for h in held)})"])
    return held[0]


def read_path(scenario: Scenario, path: str) -> Any:
    """The value at a dotted override path (``replenishment.store.service_level``, ``network.nodes[id=S1].x``)."""
    here: Any = scenario
    for part in _split_path(path):
        if isinstance(part, tuple):
            here = next(x for x in here if part == ("*",) or str(getattr(x, part[0], None)) == part[1])
        elif isinstance(part, int):
            here = here[part]
        else:
            here = here[part] if isinstance(here, dict) else getattr(here, part)
    return here
