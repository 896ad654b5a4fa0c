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


@pytest.mark.parametrize("file, on", [("city_seed_control", pool_ladder.REPLENISHMENT), ("city_seed_pooling", pool_ladder.POOLING),
                                      ("city_seed_pool", pool_ladder.REPLENISHMENT + pool_ladder.POOLING)])
def test_each_calibrated_variant_is_the_baseline_with_its_ladder_switches_on(file, on):
    """The main job's policies are city_seed_split with the ladder's switches of each group on and nothing else changed
    (records stay as they are: the ladder shows them apart), so the ladder decomposes the comparison the main job
    prints."""
    split = sim.load_scenario(SCENARIOS / "city_seed_split.yaml")
    switched = sim.load_scenario(SCENARIOS / "city_seed_split.yaml", pool_ladder.switched(frozenset(on)))
    variant = sim.load_scenario(SCENARIOS / f"{file}.yaml")
    assert without_labels(variant) == without_labels(switched)
    assert without_labels(variant) != without_labels(split)


# What each switch may change in the baseline: one thing each (a pattern of flattened paths, * for a list index).
TOUCHES = {"pull": [r"replenishment\.(central_warehouse|forward_warehouse|store|online_stock)\..*"],
           "served_sizing": [r"replenishment\.online_sizing\.rule"],
           "recapture": [r"policies\.walk_in_to_online\..*"], "rebalancing": [r"policies\.transfers\..*"],
           "allocation": [r"policies\.allocation\.rule"], "accurate_records": [r"policies\.store_records\.count_interval_days"],
           "one_pool": [r"policies\.inventory_mode"], "ship_from_store": [r"network\.nodes\.\d+\.ship_from_store"]}


def flat(tree, prefix=""):
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items() for k, v in flat(value, f"{prefix}{key}.").items()}
    if isinstance(tree, list) and tree and isinstance(tree[0], dict):
        return {k: v for i, value in enumerate(tree) for k, v in flat(value, f"{prefix}{i}.").items()}
    return {prefix[:-1]: tree}


@pytest.mark.parametrize("switch", list(pool_ladder.SWITCHES))
def test_each_switch_changes_only_its_own_settings(switch):
    """A switch's scenario differs from the one without it only in that switch's fields (one_pool merges stock and
    nothing else: the online stock keeps its rule; whatever the online stock's rule becomes is pull's)."""
    import re

    needs = frozenset({pool_ladder.NEEDS[switch]}) if switch in pool_ladder.NEEDS else frozenset()
    load = lambda on: flat(sim.load_scenario(SCENARIOS / "city_seed_split.yaml", pool_ladder.switched(on)).model_dump())  # noqa: E731
    before, after = load(needs), load(needs | {switch})
    changed = [k for k in set(before) | set(after) if before.get(k) != after.get(k)]
    assert changed, f"{switch} changes nothing"
    strays = [k for k in changed if not any(re.fullmatch(p, k) for p in TOUCHES[switch])]
    assert not strays, f"{switch} also changes {strays}"


@pytest.fixture(scope="module")
def baseline_year():
    """The calibrated split network, one full-size year at seed 7 (what scenarios/README.md states)."""
    result = sim.run(sim.load_scenario(SCENARIOS / "city_seed_split.yaml"), seed=7)
    return result.kpis.set_index(["metric", "channel", "node_type"])["value"]


# Each figure of scenarios/README.md's "What it gives", how it is printed there, and the KPI it is.
STATED = [(r"stores \*\*([\d.]+) days\*\*", "{:.1f}", ("days_of_inventory", "all", "store")),
          (r"forward warehouses\) \*\*([\d.]+) days\*\*", "{:.1f}", ("days_of_inventory", "all", "online_stock")),
          (r"network \*\*([\d.]+) days\*\*", "{:.1f}", ("days_of_inventory", "all", "all")),
          (r"shelf stockout \*\*([\d.]+%)\*\*", "{:.1%}", ("shelf_stockout_rate", "walk_in", "store")),
          (r"walk-in fill rate ([\d.]+%)", "{:.1%}", ("fill_rate_units", "walk_in", "all")),
          (r"store records ([\d.]+%) accurate", "{:.1%}", ("record_accuracy", "all", "store")),
          (r"([\d,]+) units lost unrecorded", "{:,.0f}", ("shrink_units", "all", "store"))]


def test_regression_the_calibrated_baseline_gives_the_figures_scenarios_readme_states(baseline_year):
    """Seeded regression check (seed 7): a run gives every figure of the calibration block to the digit it is printed
    with, so the README's figures are the engine's, and an engine change that moves them fails here until
    ``python experiments/regenerate.py --calibration`` rewrites the block."""
    import re

    gives = (SCENARIOS / "README.md").read_text().split("**What it gives**", 1)[1].split("\n", 1)[0]
    for pattern, form, kpi in STATED:
        stated = re.search(pattern, gives)
        assert stated, f"scenarios/README.md no longer states {pattern}"
        got = form.format(baseline_year[kpi])
        assert got == stated.group(1), f"{kpi}: the engine gives {got}, scenarios/README.md {stated.group(1)}"


def test_the_calibrated_split_baseline_lands_in_its_seed_bands(baseline_year):
    """The calibration's claim: stores 30-50 days and the split online stock 15-35 days (the seed: 40 and 25), and
    store records 25-45% accurate (DeHoratius & Raman: 35%). The seed's network 28 days is dropped
    (scenarios/README.md says why); so is its 12% shelf stockout, which this engine's mechanisms at their
    sourced settings do not reach at this stock (the README gives the figures)."""
    kpis = baseline_year
    assert 30 <= kpis[("days_of_inventory", "all", "store")] <= 50
    assert 15 <= kpis[("days_of_inventory", "all", "online_stock")] <= 35
    assert 0.25 <= kpis[("record_accuracy", "all", "store")] <= 0.45
