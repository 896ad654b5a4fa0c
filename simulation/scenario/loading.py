"""Reading scenarios: PyYAML's safe loader (refusing duplicate keys and alias bombs), ``extends``,
overrides, pydantic validation into frozen objects, then the cross-field checks. Every problem becomes
one line naming its field path; they are raised together as a :class:`~.errors.ScenarioError`. The run
never writes into a scenario."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulation.scenario.checks import reference_problems
from simulation.scenario.effects import idle_settings
from simulation.scenario.errors import ScenarioError, describe
from simulation.scenario.overrides import VARIANT_TAGS, apply_overrides
from simulation.scenario.scenario import Scenario
from simulation.scenario.yaml_safe import load_yaml, yaml_problem


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read a YAML scenario, apply ``{"dotted.path": value}`` overrides and validate it.

    A file may start from another: ``extends: city.yaml`` (relative to the file) loads that one,
    merges this file's sections into it (mappings key by key, anything else replaced; a mapping that
    names another ``policy``, ``kind`` or ``rule`` than the base's replaces it whole) and then
    applies this file's ``overrides:`` (dotted paths, as ``--set``)."""
    raw = _read_raw(Path(path), ())
    return scenario_from_dict(raw, overrides, source=str(path))


def _read_raw(path: Path, chain: tuple[Path, ...]) -> dict:
    if not path.is_file():
        if chain:
            raise ScenarioError([f"extends: no such file {str(path)!r} (extended by {chain[-1]})"], str(chain[0]))
        raise ScenarioError([f"(file): no such file {str(path)!r}"], str(path))
    if path.resolve() in chain:
        raise ScenarioError([f"extends: {path} extends itself through {' -> '.join(map(str, chain))}"], str(chain[0]))
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, str(path)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"YAML syntax: {yaml_problem(exc)}"], str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError(["(file): not a text (UTF-8) file"], str(path)) from None
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else type(raw).__name__
        raise ScenarioError([f"(top level): must be a mapping of sections (name, network, catalog, ...), got {got}"], str(path))
    # Files a scenario names are relative to it.
    catalog, policies = raw.get("catalog"), raw.get("policies")
    ranging = policies.get("ranging") if isinstance(policies, dict) else None
    for section in (catalog, ranging):
        if isinstance(section, dict) and isinstance(section.get("file"), str):
            section["file"] = str((path.parent / section["file"]).resolve())
    demand = raw.get("demand")
    trace = demand.get("trace") if isinstance(demand, dict) else None
    for key in ("sales", "orders"):
        if isinstance(trace, dict) and isinstance(trace.get(key), str):
            trace[key] = str((path.parent / trace[key]).resolve())
    if isinstance(demand, dict) and isinstance(demand.get("store_mix_file"), str):
        demand["store_mix_file"] = str((path.parent / demand["store_mix_file"]).resolve())
    base_name, extra = raw.pop("extends", None), raw.pop("overrides", None)
    if extra is not None and not isinstance(extra, dict):
        raise ScenarioError([f"overrides: must be a mapping of dotted paths to values, got {type(extra).__name__}"], str(path))
    if base_name is not None:
        if not isinstance(base_name, str) or not base_name:
            raise ScenarioError([f"extends: must be a file name, got {base_name!r}"], str(path))
        raw = _merge(_read_raw(path.parent / base_name, (*chain, path.resolve())), raw)
    return apply_overrides(raw, extra or {}, str(path))


# A mapping naming another variant of a tagged choice (a policy, a distribution's kind, a ranging rule)
# replaces the base's mapping: the base's fields belong to its own variant (S of order_up_to means
# nothing to forecast_order_up_to).
def _merge(base: dict, top: Mapping) -> dict:
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, dict) and isinstance(below, dict) and not _other_variant(below, value):
            out[key] = _merge(below, value)
        else:
            out[key] = value
    return out


def _other_variant(base: dict, top: Mapping) -> bool:
    return any(tag in top and tag in base and top[tag] != base[tag] for tag in VARIANT_TAGS)


def scenario_from_dict(raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                       source: str | None = None) -> Scenario:
    """Validate a plain dict (as YAML would give) into a :class:`Scenario`."""
    raw = apply_overrides(raw, overrides or {}, source)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([describe(err) for err in exc.errors()], source) from None
    problems = reference_problems(scenario)
    if not problems:  # settings that would do nothing, once the scenario holds together
        problems = idle_settings(scenario)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


def build_each(builders: Sequence[tuple[str, Callable[[], Scenario]]]) -> list[Scenario]:
    """Build every labelled scenario; if any is invalid, one ScenarioError lists every problem of every
    one, each prefixed by its label (so a user fixes them all in one pass)."""
    problems, built = [], []
    for label, build in builders:
        try:
            built.append(build())
        except ScenarioError as exc:
            problems += [f"{label}: {p}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return built


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario equal to ``scenario`` with dotted-path overrides applied (and re-validated)."""
    return scenario_from_dict(scenario.model_dump(mode="json", by_alias=True, exclude_unset=True), overrides)
