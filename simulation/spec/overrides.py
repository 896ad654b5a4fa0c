"""The dotted-path override language (``network.nodes[type=store].capacity=5``, as ``--set`` and a
file's ``overrides:`` write it)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import yaml

from simulation.spec.errors import ScenarioError
from simulation.spec.yaml_safe import load_yaml, yaml_problem

_SEGMENT = re.compile(r"\[(\*)\]|\[([A-Za-z_]\w*)=([^\]]*)\]|\[(\d+)\]|([^.\[\]]+)")


def _split_path(key: str) -> list:
    """'a.b[2].c', 'nodes[*].x', 'nodes[type=store].x' -> segments: names, indices, ('*',) or (key, value)."""
    parts: list = []
    for star, sel_key, sel_value, index, name in _SEGMENT.findall(key):
        if star:
            parts.append(("*",))
        elif sel_key:
            parts.append((sel_key, sel_value))
        elif index:
            parts.append(int(index))
        else:
            parts.append(int(name) if name.isdigit() else name)
    return parts


def _set_path(target, parts: list, value, key: str, done: str, problems: list) -> None:
    part, rest = parts[0], parts[1:]
    where = f"{done}.{part}" if done else str(part)
    if isinstance(part, tuple):  # every list item, or the items whose field equals a value
        if not isinstance(target, list):
            problems.append(f"override {key}: {done or '(top level)'} is not a list")
            return
        if part == ("*",):
            items = target
        else:
            items = [x for x in target if isinstance(x, dict) and str(x.get(part[0])) == part[1]]
        if not items:
            problems.append(f"override {key}: no item of {done} has {part[0]}={part[1]}")
        for item in items:
            if rest:
                _set_path(item, rest, value, key, where, problems)
            else:
                problems.append(f"override {key}: a selector must be followed by a field")
        return
    if not rest:
        settable = isinstance(target, dict) if isinstance(part, str) else (isinstance(target, list) and part < len(target))
        if settable:
            target[part] = copy.deepcopy(value)
        else:
            problems.append(f"override {key}: cannot set {part!r} there")
        return
    if isinstance(part, int):
        if not isinstance(target, list) or part >= len(target):
            problems.append(f"override {key}: {where} is not a list item that exists")
            return
        _set_path(target[part], rest, value, key, where, problems)
    elif isinstance(target, dict):
        _set_path(target.setdefault(part, {}), rest, value, key, where, problems)
    else:
        problems.append(f"override {key}: {where} is not a section")


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any], source: str | None = None) -> dict:
    """Set each dotted path in a deep copy of ``raw``; missing mappings are created. A list segment
    may be an index (``nodes[2]``), every item (``nodes[*]``) or the items with a field equal to a
    value (``nodes[type=store]``)."""
    data = copy.deepcopy(dict(raw))
    problems: list[str] = []
    for key, value in overrides.items():
        parts = _split_path(key)
        if not parts:
            problems.append(f"override {key!r}: empty path")
            continue
        _set_path(data, parts, value, key, "", problems)
    if problems:
        raise ScenarioError(problems, source)
    return data


_ASSIGNMENT = re.compile(r"^((?:[^=\[]|\[[^\]]*\])*)=(.*)$", re.DOTALL)


def split_assignment(item: str) -> tuple[str, str, str]:
    """``"PATH=VALUE"`` -> (path, "=", value), like ``str.partition`` but at the first ``=`` outside
    brackets, so selectors work: ``network.nodes[type=store].pickers=3``."""
    match = _ASSIGNMENT.match(item)
    return (match.group(1), "=", match.group(2)) if match else (item, "", "")


def parse_set_options(items: list[str], flag: str = "--set", form: str = "PATH=VALUE") -> dict[str, Any]:
    """``["a.b=3", "c=[1, 2]"]`` -> ``{"a.b": 3, "c": [1, 2]}``; values are parsed as YAML. ``flag`` and
    ``form`` name the option in error messages."""
    out: dict[str, Any] = {}
    problems = []
    for item in items:
        key, sep, text = split_assignment(item)
        if not sep or not key.strip():
            problems.append(f"{flag} {item!r}: expected {form}")
            continue
        try:
            out[key.strip()] = load_yaml(text)
        except yaml.YAMLError as exc:
            problems.append(f"{flag} {item!r}: value is not valid YAML ({yaml_problem(exc)})")
        except ScenarioError as exc:
            problems += [f"{flag} {item!r}: {p}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return out
