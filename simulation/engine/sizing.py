"""Pool-aware sizing: plan each node for the online demand the sourcing rule actually sends it.

With ``replenishment.online_sizing: served`` a pilot run (the scenario cut to its warm-up plus
``pilot_days``, seeded by ``run.seed`` on a replication index of its own, so every replication and seed
of a scenario shares one set of levels, as a planner's history would) counts the online units each row
ships per zone and channel; the world is then compiled with those shares (``compile_world(served=...)``).
The pilot itself is sized by first choice: it is the history of the network as it was planned before.
"""

from __future__ import annotations

import numpy as np

from simulation.engine.observers import Observer
from simulation.scenario import ONLINE_CHANNELS, Scenario
from simulation.scenario.loading import with_overrides
from simulation.world.network import World
from simulation.world.planning import first_choice_shares

# The pilot's replication index: no run uses it, so the pilot's customers are none of the measured runs'.
PILOT_REPLICATION = 2**31 - 1


class ServedUnits(Observer):
    """Online units shipped per (zone, channel, serving row), over orders placed after the warm-up (an
    order is counted at the row that served it; the few split orders are counted at their first row)."""

    def __init__(self, world: World, warmup: int):
        self.warmup = warmup
        self.units = np.zeros((len(world.zone_ids), len(ONLINE_CHANNELS), world.n_nodes))

    def orders_settled(self, orders: dict[str, np.ndarray], first_id: int) -> None:
        keep = (orders["created_hour"] >= self.warmup * 24) & (orders["node"] >= 0)
        shipped = (orders["units"] - orders["lost_units"])[keep]
        np.add.at(self.units, (orders["zone"][keep], orders["channel"][keep], orders["node"][keep]), shipped)

    def shares(self, world: World) -> np.ndarray:
        """Each row's share of a zone's channel units; first choice where the pilot shipped none."""
        total = self.units.sum(axis=2, keepdims=True)
        measured = np.divide(self.units, total, out=np.zeros_like(self.units), where=total > 0)
        fallback = first_choice_shares(world.cand_node, world.n_nodes)
        return np.where(total > 0, measured, fallback)


def pilot_scenario(scenario: Scenario) -> Scenario:
    """The scenario the pilot runs: its first ``warmup + pilot_days`` days, sized by first choice, on the
    model's demand (a replayed history is the run's, not the plan's: the pilot is the same with or without it)."""
    days = scenario.run.warmup_days + scenario.replenishment.online_sizing.pilot_days
    return with_overrides(scenario, {"run.horizon_days": min(days, scenario.run.horizon_days),
                                     "replenishment.online_sizing.rule": "first_choice", "demand.trace": None})
