"""Per node-and-SKU statistics of one run, for validation and for analysts who need more than the KPI
table (the ledger aggregates by node type; a probe keeps every node x SKU apart).

Identical SKUs at one node are independent copies of the same inventory system when their demand
streams are independent (walk-in demand is drawn per store and SKU; Poisson online orders split into
independent Poisson streams per SKU), so one run yields many replicates.
"""

from __future__ import annotations

import numpy as np

from simulation.engine import Simulation


class Probe(Simulation):
    """A :class:`Simulation` that adds up, from the end of warm-up, per node and SKU: demand and demand
    met from stock on the day it arrived (walk-in and online apart), end-of-day on hand, backordered, owed by the source, days with
    nothing on hand, spoiled units and replenishment orders received from the supplier."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shape = self.on_hand.shape
        self.days = 0
        self.demand_by = {"walk_in": np.zeros(shape, np.int64), "online": np.zeros(shape, np.int64)}
        self.met_by = {"walk_in": np.zeros(shape, np.int64), "online": np.zeros(shape, np.int64)}
        self.spoiled_units = np.zeros(shape, np.int64)
        self.orders_placed = np.zeros(shape, np.int64)
        self.sums = {name: np.zeros(shape) for name in ("on_hand", "backordered", "owed", "empty")}

    def _measured(self, day: int) -> bool:
        return day >= self.warmup

    def _serve(self, serve, channel: str, day: int, *args):
        demand, sold = self.today_demand.copy(), self.today_sold.copy()
        result = serve(day, *args)
        if self._measured(day):
            self.demand_by[channel] += self.today_demand - demand
            self.met_by[channel] += self.today_sold - sold
        return result

    def _serve_walk_in(self, day: int, while_serving=None):
        return self._serve(super()._serve_walk_in, "walk_in", day, while_serving)

    def _serve_online(self, day: int, drawn=None) -> None:
        self._serve(super()._serve_online, "online", day, drawn)

    @property
    def demand(self) -> np.ndarray:
        return self.demand_by["walk_in"] + self.demand_by["online"]

    @property
    def met(self) -> np.ndarray:
        return self.met_by["walk_in"] + self.met_by["online"]

    def _order_and_ship(self, day, rows, ordering, lead, extra) -> None:
        supplied = self.supplied[rows].copy()
        super()._order_and_ship(day, rows, ordering, lead, extra)
        if self._measured(day):
            self.orders_placed[rows] += self.supplied[rows] > supplied

    def _close_day(self, day: int) -> None:
        spoiled = self.spoiled.copy()
        super()._close_day(day)
        if not self._measured(day):
            return
        self.days += 1
        self.spoiled_units += self.spoiled - spoiled
        self.sums["on_hand"] += self.on_hand
        self.sums["backordered"] += self.backordered
        self.sums["owed"] += self.owed
        self.sums["empty"] += self.on_hand == 0

    # ----------------------------------------------------------------------------------- results
    def per_day(self, name: str, rows) -> np.ndarray:
        """Mean end-of-day value of ``name`` (on_hand, backordered, owed, empty) per (row, SKU), flattened."""
        return (self.sums[name][rows] / self.days).ravel()

    def fill_rate(self, rows, channel: str | None = None) -> np.ndarray:
        """Share of demand (of ``walk_in`` or ``online`` customers, or both) met from stock on the day it
        arrived, per (row, SKU), flattened."""
        met = self.met if channel is None else self.met_by[channel]
        demand = self.demand if channel is None else self.demand_by[channel]
        return (met[rows] / np.maximum(demand[rows], 1)).ravel()

    def rate(self, counts: np.ndarray, rows) -> np.ndarray:
        """A count per (row, SKU) per measured day, flattened."""
        return (counts[rows] / self.days).ravel()

    def row(self, node_id: str) -> int:
        return self.world.node_index[node_id]
