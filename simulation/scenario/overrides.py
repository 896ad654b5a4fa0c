"""The dotted-path override language (``network.nodes[type=store].capacity=5``, as ``--set`` and a
file's ``overrides:`` write it)."""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from simulation.scenario.errors import ScenarioError
from simulation.scenario.yaml_safe import load_yaml, yaml_problem

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


VARIANT_TAGS = ("policy", "kind", "rule")  # the field that names a variant of a union, as loading's merge reads them


def _models(annotation) -> list:
    """The schema models an annotation admits, through ``Annotated``, unions and ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) if arg is not type(None) for m in _models(arg)] \
        if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated) else []


def _model(annotation, data) -> type | None:
    """The one model ``data`` is written for under ``annotation`` (a union's variant picked by its tag)."""
    models = _models(annotation)
    if len(models) > 1 and isinstance(data, dict):
        models = [m for m in models if any(t in m.model_fields and data.get(t) in typing.get_args(m.model_fields[t].annotation)
                                           for t in VARIANT_TAGS)]
    return models[0] if len(models) == 1 else None


def _below(annotation, part, data):
    """The annotation one path segment below ``annotation`` (a model's field, a list's item, a mapping's value);
    ``data`` is what is written at ``annotation``. None where the schema does not say."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _below(args[0], part, data)
    if origin in (list, dict):
        return args[-1] if origin is dict or not isinstance(part, str) else None
    model = _model(annotation, data)
    return model.model_fields[part].annotation if model is not None and isinstance(part, str) and part in model.model_fields \
        else None


def _shorthand(annotation) -> str | None:
    """The field a bare value stands for where ``annotation`` is expected (``transfers: none`` is ``{rule:
    none}``): the ``shorthand`` of the one model there, else None."""
    models = _models(annotation)
    return getattr(models[0], "shorthand", None) if len(models) == 1 else None


def _schema():
    from simulation.scenario.scenario import Scenario  # the schema (it loads after this module)

    return Scenario


def _written(value) -> str:
    """A value as a selector writes it (``true`` for True, ``S01``, ``3``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _set_path(target, parts: list, value, key: str, done: str, problems: list, schema=None) -> None:
    """Set ``value`` at ``parts`` below ``target`` (written for the ``schema`` annotation, None: unknown)."""
    part, rest = parts[0], parts[1:]
    where = f"{done}.{part}" if done else str(part)
    below = None if schema is None else _below(schema, 0 if isinstance(part, tuple) else part, target)
    if rest and isinstance(target, dict) and isinstance(part, str) and not isinstance(target.get(part, {}), (dict, list)):
        field = _shorthand(below)  # a bare value written for a section: set one of its fields, keep the value
        if field is not None:
            target[part] = {field: target[part]}
    if isinstance(part, tuple):  # every list item, or the items whose field equals a value
        if not isinstance(target, list):
            problems.append(f"override {key}: {done or '(top level)'} is not a list")
            return
        if part == ("*",):
            items = target
        else:
            items = [x for x in target if isinstance(x, dict) and _written(x.get(part[0])) == part[1]]
        if not items:
            problems.append(f"override {key}: no item of {done} has {part[0]}={part[1]}")
        for item in items:
            if rest:
                _set_path(item, rest, value, key, where, problems, below)
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
        _set_path(target[part], rest, value, key, where, problems, below)
    elif isinstance(target, dict):
        _set_path(target.setdefault(part, {}), rest, value, key, where, problems, below)
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
        _set_path(data, parts, value, key, "", problems, _schema())
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
