"""Channel allocation at shared stock (``policies.allocation``): what a node that both serves online orders and
supplies other nodes keeps back from online orders each day, so that the requests of the nodes it supplies
come first by the rule's measure.

Requests are filled at the evening review, after the day's online orders (``simulation.py``), so with no
reservation online orders come first (``online_first``). The other rules set, at the start of each day, the
units of each SKU online orders (waiting or new) may not take at such a node:

- ``first_come``: what the node still owes the nodes it supplies (requests placed on earlier days, before
  today's online orders; tonight's requests come after them);
- ``store_first``: that, and what those nodes would order if they reviewed now (their open need);
- ``reserve``: ``reserve_days`` of the supplied nodes' planned demand, by velocity class.
"""

from __future__ import annotations

import numpy as np

from simulation.engine.replenishment import Replenishment
from simulation.engine.state import InventoryState
from simulation.world.network import World


class ChannelAllocation:
    """The day's reservation per (row, SKU) at each row that supplies others and serves online orders."""

    def __init__(self, spec, world: World, replenishment: Replenishment):
        self.rule = spec.rule
        self.world, self.replenishment = world, replenishment
        serves_online = np.zeros(world.n_nodes, bool)
        serves_online[world.cand_node[world.cand_node >= 0]] = True
        supplied = world.source >= 0
        # rows whose source serves online orders: their requests compete with those orders
        self.supplied = np.flatnonzero(supplied & serves_online[np.maximum(world.source, 0)])
        self.active = self.rule != "online_first" and self.supplied.size > 0
        self.sources = np.unique(world.source[self.supplied])
        self.fixed = None
        if self.active and self.rule == "reserve":
            days = np.asarray(spec.days_by_class())[world.skus.velocity_class]
            need = np.zeros((world.n_nodes, world.skus.size))
            np.add.at(need, world.source[self.supplied], world.planning_mean[self.supplied])
            self.fixed = np.ceil(need * days[None, :] - 1e-9).astype(np.int64)

    def reserved(self, state: InventoryState) -> np.ndarray | None:
        """Units per (row, SKU) online orders may not take today (None: no reservation)."""
        if not self.active:
            return None
        if self.fixed is not None:
            return self.fixed
        kids = self.supplied
        claim = state.owed[kids]
        if self.rule == "store_first":
            claim = claim + self.replenishment.open_need(kids, state)
        out = np.zeros(state.shape, np.int64)
        for source in self.sources:  # a few rows: summed row by row (np.add.at is slow over whole rows)
            out[source] = claim[self.world.source[kids] == source].sum(axis=0)
        return out
