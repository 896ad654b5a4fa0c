"""Named SKU groups (``catalog.groups``, or a file's ``group`` column): a shock or promotion may touch only
their SKUs, e.g. a rainstorm lifting umbrellas and bottled water threefold near the flooded stores."""

import re

import numpy as np
import pytest

from simulation.engine.observers import Observer
from simulation.experiment.run import simulate
from simulation.scenario import scenario_from_dict
from simulation.validation.cases.worlds import copies, with_stores
from simulation.world.network import compile_world

START, END, FACTOR = 100, 160, 3.0


class StoreDemand(Observer):
    """Walk-in units asked of store S1 per day and SKU."""

    def __init__(self):
        self.days = []

    def step_started(self, step, day, state):
        if step == "walk_in":
            self.before = state.today_demand.copy()

    def step_finished(self, step, day, state):
        if step == "walk_in":
            self.days.append((state.today_demand - self.before)[self.row])


def rainstorm(**window) -> dict:
    """Stores S1, S2 with 40 identical SKUs (4 units a day); 20% of SKUs are umbrellas; a shock at S1 over
    days 100-159 multiplying demand by 3 for the SKUs ``window`` names."""
    raw = copies(40, 4.0, **with_stores([{"id": "S1"}, {"id": "S2"}], 1))
    raw["catalog"]["groups"] = {"umbrellas": 0.2, "water": 0.1}
    raw["demand"] = {"weekday": [1] * 7, "monthly": [1] * 12,
                     "shocks": [{"name": "rain", "start_day": START, "end_day": END, "nodes": ["S1"], "demand_factor": FACTOR,
                                 **window}]}
    raw["run"] = {"horizon_days": 220, "warmup_days": 10}
    return raw


def test_a_shock_lifts_only_the_groups_it_names_by_its_factor():
    """Mean walk-in units per SKU-day at S1, inside the shock over outside it: umbrellas x3, the rest x1, each
    within 4 standard errors (Poisson counts: 8 umbrella SKUs x 60 days inside, 32 other SKUs)."""
    scenario = scenario_from_dict(rainstorm(sku_groups=["umbrellas"]))
    world = compile_world(scenario)
    watch = StoreDemand()
    watch.row = world.node_index["S1"]
    simulate(scenario, 4, observers=[watch], world=world)
    demand = np.array(watch.days, float)  # [day, SKU]
    inside = np.zeros(len(demand), bool)
    inside[START:END] = True
    umbrellas = world.skus.group == world.skus.group_names.index("umbrellas")
    assert umbrellas.sum() == 8
    for members, factor in ((umbrellas, FACTOR), (~umbrellas, 1.0)):
        during, before = demand[inside][:, members], demand[~inside][:, members]
        ratio = during.mean() / before.mean()
        # delta method for a ratio of two independent Poisson means
        se = ratio * np.sqrt(1 / during.sum() + 1 / before.sum())
        assert abs(ratio - factor) < 4 * se, (factor, ratio, se)


def test_groups_are_drawn_at_their_shares_and_read_from_a_file(tmp_path):
    skus = compile_world(scenario_from_dict(rainstorm())).skus
    assert [(skus.group == skus.group_names.index(g)).sum() for g in ("umbrellas", "water")] == [8, 4]
    path = tmp_path / "catalog.csv"
    path.write_text("sku,mean_daily_units,unit_cost,price,group\na,1,1,2,umbrellas\nb,2,1,2,\nc,3,1,2,water\n")
    raw = rainstorm(sku_groups=["water"])
    raw["catalog"] = {"file": str(path)}
    table = compile_world(scenario_from_dict(raw)).skus
    named = dict(zip(table.sku, [table.group_names[g] if g >= 0 else "" for g in table.group], strict=True))
    assert named == {"a": "umbrellas", "b": "", "c": "water"}


def test_an_unknown_group_is_named():
    from simulation.scenario import ScenarioError
    message = "demand.shocks[0].sku_groups[0]: unknown SKU group 'tents' (the catalog's: umbrellas, water)"
    with pytest.raises(ScenarioError, match=re.escape(message)):
        compile_world(scenario_from_dict(rainstorm(sku_groups=["tents"])))
