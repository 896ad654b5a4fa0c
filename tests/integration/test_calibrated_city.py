"""The calibrated pool question (scenarios/city_seed_*.yaml, experiments/pool_ladder.py): the files say
what the ladder's switches say, and the split baseline lands where scenarios/README.md says it does."""

import sys
from pathlib import Path

import pytest

import simulation as sim

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "experiments"))
import pool_ladder  # noqa: E402  (the experiments are scripts, not a package)

SCENARIOS = ROOT / "scenarios"


def without_labels(scenario: sim.Scenario) -> dict:
    return scenario.model_dump(exclude={"name", "description"})


@pytest.mark.parametrize("file, on", [("city_seed_control", {"pull"}), ("city_seed_pool", set(pool_ladder.SWITCHES))])
def test_each_calibrated_variant_is_the_baseline_with_its_ladder_switches_on(file, on):
    """city_seed_pool is city_seed_split with every switch on and nothing else changed (the control with
    pull only), so the ladder decomposes exactly the comparison the README's main job prints."""
    split = sim.load_scenario(SCENARIOS / "city_seed_split.yaml")
    # ship_from_store 'on' keeps the stores the city marks; the ladder turns them off only when off
    switched = sim.load_scenario(SCENARIOS / "city_seed_split.yaml", pool_ladder.switched(frozenset(on) | {"ship_from_store"}))
    variant = sim.load_scenario(SCENARIOS / f"{file}.yaml")
    assert without_labels(variant) == without_labels(switched)
    assert without_labels(variant) != without_labels(split)


def test_the_calibrated_split_baseline_lands_in_its_seed_bands():
    """Stores 30-50 days and the split online stock 15-35 days (the seed: 40 and 25), and store records
    25-45% accurate (DeHoratius & Raman: 35%), one full-size run. The seed's network 28 days is dropped
    (scenarios/README.md says why); so is its 12% shelf stockout, which this engine's mechanisms at their
    sourced settings do not reach at this stock (the README gives the figures)."""
    result = sim.run(sim.load_scenario(SCENARIOS / "city_seed_split.yaml"))
    kpis = result.kpis.set_index(["metric", "channel", "node_type"])["value"]
    assert 30 <= kpis[("days_of_inventory", "all", "store")] <= 50
    assert 15 <= kpis[("days_of_inventory", "all", "online_stock")] <= 35
    assert 0.25 <= kpis[("record_accuracy", "all", "store")] <= 0.45
