from pathlib import Path

import pytest

from simulation.validation.cases import single_node

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
__all__ = ["single_node"]  # tests import the one-SKU world builder from here


@pytest.fixture
def tiny_path():
    return SCENARIOS / "tiny.yaml"


@pytest.fixture
def city_path():
    return SCENARIOS / "city.yaml"
