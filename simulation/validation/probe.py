"""Per node-and-SKU statistics of one run, for validation and for analysts who need more than the KPI
table (the ledger aggregates by node type; a probe keeps every node x SKU apart).

Identical SKUs at one node are independent copies of the same inventory system when their demand
streams are independent (walk-in demand is drawn per store and SKU; Poisson online orders split into
independent Poisson streams per SKU), so one run yields many replicates.
"""

from __future__ import annotations

import numpy as np

from simulation.engine import Observer


class Probe(Observer):
    """An observer that adds up, from the end of warm-up (``warmup`` days), per node and SKU: demand and
    demand met from stock on the day it arrived (walk-in and online apart), end-of-day on hand,
    backordered, owed by the source, days with nothing on hand, days ending with a backorder, days whose
    store record equals the shelf, spoiled units, replenishment orders received from the supplier, and units
    asked of the source and of them shipped the same day. Pass it as ``Simulation(..., observers=[probe])``."""

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.days = 0

    def started(self, world, state) -> None:
        self.world = world
        shape = state.shape
        self.demand_by = {"walk_in": np.zeros(shape, np.int64), "online": np.zeros(shape, np.int64)}
        self.met_by = {"walk_in": np.zeros(shape, np.int64), "online": np.zeros(shape, np.int64)}
        self.spoiled_units = np.zeros(shape, np.int64)
        self.orders_placed = np.zeros(shape, np.int64)
        self.requested, self.requested_on_day = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
        self.sums = {name: np.zeros(shape) for name in ("on_hand", "backordered", "owed", "empty", "short", "record_exact")}

    def step_started(self, step: str, day: int, state) -> None:
        if day < self.warmup:
            return
        if step in ("walk_in", "online"):
            self._before = state.today_demand.copy(), state.today_sold.copy()
        elif step == "replenishment":
            self._before = state.supplied.copy(), state.owed.copy(), state.pipeline.copy()
        elif step == "close_day":
            self._before = state.spoiled.copy()

    def step_finished(self, step: str, day: int, state) -> None:
        if day < self.warmup:
            return
        if step in ("walk_in", "online"):
            demand, sold = self._before
            self.demand_by[step] += state.today_demand - demand
            self.met_by[step] += state.today_sold - sold
        elif step == "replenishment":  # no shipment arrives during the step: what entered the pipeline was shipped today
            supplied, owed, pipeline = self._before
            self.orders_placed += state.supplied > supplied
            shipped = state.pipeline - pipeline
            self.requested += state.owed - owed + shipped
            self.requested_on_day += np.maximum(shipped - owed, 0)
        elif step == "close_day":
            self.days += 1
            self.spoiled_units += state.spoiled - self._before
            self.sums["on_hand"] += state.on_hand
            self.sums["backordered"] += state.backordered
            self.sums["owed"] += state.owed
            self.sums["empty"] += state.on_hand == 0
            self.sums["short"] += state.backordered > 0
            if state.record_gap is not None:
                self.sums["record_exact"] += state.record_gap == 0

    @property
    def demand(self) -> np.ndarray:
        return self.demand_by["walk_in"] + self.demand_by["online"]

    @property
    def met(self) -> np.ndarray:
        return self.met_by["walk_in"] + self.met_by["online"]

    # ----------------------------------------------------------------------------------- results
    def per_day(self, name: str, rows) -> np.ndarray:
        """Mean end-of-day value of ``name`` (on_hand, backordered, owed, empty, short, record_exact) per (row, SKU),
        flattened."""
        return (self.sums[name][rows] / self.days).ravel()

    def fill_rate(self, rows, channel: str | None = None) -> np.ndarray:
        """Share of demand (of ``walk_in`` or ``online`` customers, or both) met from stock on the day it
        arrived, per (row, SKU), flattened."""
        met = self.met if channel is None else self.met_by[channel]
        demand = self.demand if channel is None else self.demand_by[channel]
        return (met[rows] / np.maximum(demand[rows], 1)).ravel()

    def replenishment_fill(self, rows) -> np.ndarray:
        """Share of the units each (row, SKU) asked of its source that shipped the day it asked, flattened."""
        return (self.requested_on_day[rows] / np.maximum(self.requested[rows], 1)).ravel()

    def rate(self, counts: np.ndarray, rows) -> np.ndarray:
        """A count per (row, SKU) per measured day, flattened."""
        return (counts[rows] / self.days).ravel()

    def row(self, node_id: str) -> int:
        return self.world.node_index[node_id]
