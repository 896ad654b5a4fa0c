"""Errors a user can act on: :class:`ScenarioError` (the scenario), :class:`UsageError` (arguments and
folders), and the translation of pydantic's errors into one line per field path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class ScenarioError(ValueError):
    """A scenario (or an override) is invalid. ``problems`` holds one line per problem."""

    what = "invalid scenario"

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{self.what} {source}" if source else self.what
        super().__init__(f"{head}: {len(self.problems)} problem(s)\n" + "\n".join(f"  {p}" for p in self.problems))

    def __reduce__(self):
        # Rebuilt from its parts when it crosses a process boundary (a sweep's worker), not from the message.
        return type(self), (self.problems, self.source)


class UsageError(ScenarioError):
    """An argument or an output folder is unusable (not the scenario): a count out of range, a folder
    that is a file or holds other results, a sweep too large to mean it."""

    what = "invalid arguments"


class DataError(ScenarioError):
    """A data file (a sales history, an order log) is unusable: each problem names the file, the row and the
    column."""

    what = "invalid data"


_TYPE_TAG = re.compile(r"[\[(]|^(function-|tagged-union|constrained-|union)|^(int|float|str|bool|dict|list|single|by_tier)$")


def _path(loc: tuple) -> str:
    """('network', 'nodes', 3, 'capacity') -> 'network.nodes[3].capacity', without pydantic's type tags."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            text += " (key)"
        elif _TYPE_TAG.search(str(part)):
            continue
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", str(part)):  # an odd key (empty, spaces, dots, '¹'): quoted
            text += f"[{str(part)!r}]"
        else:
            name = "from" if part == "from_" else str(part)
            text += f".{name}" if text else name
    return text or "(top level)"


def describe(err: Mapping[str, Any]) -> str:
    loc, kind, ctx, value = err["loc"], err["type"], err.get("ctx") or {}, err.get("input")
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        message = f"must be {bounds[kind]} {limit}, got {value!r}"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif kind == "invalid_key":  # the last part of the location is the offending key, not a list index
        loc, message = loc[:-1], f"keys must be text, got {loc[-1]!r}"
    elif kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        # A model-level check names the field it is about as "field: problem"; put it in the path.
        field, sep, rest = message.partition(": ")
        if sep and all(part.isidentifier() for part in field.split(".")):
            loc, message = (*loc, *field.split(".")), rest
    else:
        shown = value if isinstance(value, (int, float, str, bool)) or value is None else type(value).__name__
        message = f"{err['msg'][0].lower()}{err['msg'][1:]}, got {shown!r}"
    return f"{_path(loc)}: {message}"
