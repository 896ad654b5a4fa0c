"""Shared fixtures, and one marker per kind of test, from the folder a test lives in:

unit/ (one function or class against a reference), property/ (hypothesis and fuzzing), integration/
(whole runs of the engine), validation/ (the engine against theory, stockpyl and independent
recomputation), regression/ (seeded golden values), smoke/ (the CLI, experiments and report end to end),
benchmarks/ (the runner at its smallest; alone: ``python -m pytest -m benchmark``). Doctests in the package are unit tests.
Select a kind with ``-m``, e.g. ``python -m pytest -m "unit or property"``."""

from pathlib import Path

import pytest

from simulation.validation.cases.worlds import single_node

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
__all__ = ["single_node"]  # tests import the one-SKU world builder from here


@pytest.fixture
def tiny_path():
    return SCENARIOS / "tiny.yaml"


@pytest.fixture
def city_path():
    return SCENARIOS / "city.yaml"


KINDS = {"unit": "unit", "property": "property", "integration": "integration", "validation": "validation",
         "regression": "regression", "smoke": "smoke", "benchmarks": "benchmark"}


def pytest_collection_modifyitems(items):
    for item in items:
        folder = item.path.parent.name
        kind = KINDS.get(folder, "unit" if "simulation" in item.path.parts else None)
        if kind:
            item.add_marker(getattr(pytest.mark, kind))
