"""Store records that drift from the shelf (``policies.store_records``): the close's unrecorded loss,
mis-recorded sales and cycle counts.

The record is the shelf plus :attr:`~.state.InventoryState.record_gap`; replenishment orders against the
record (:meth:`~.state.InventoryState.position`), shoppers and pickers take from the shelf. A unit lost
unrecorded keeps its place in the record, so a store whose record shows stock it does not have stops
reordering until a count finds the gap (phantom stock; Kang & Gershwin 2005).
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.engine.state import InventoryState
from simulation.world.network import World

COUNT_STAGGER = 37  # stores start their count cycle this many SKUs apart, so a day's counts spread over stores


class StoreRecords:
    """The drift of every store's records, drawn from its own stream (three uniforms per store-SKU and
    day, whatever the stock, so the draws line up across policies)."""

    def __init__(self, world: World, spec, stream: np.random.Generator):
        self.rows = world.store_rows
        self.shrink_share = spec.shrink_share
        self.half_error_rate = spec.scan_error_rate / 2.0
        self.interval = spec.count_interval_days
        self.stream = stream
        self.unit_cost = world.skus.unit_cost
        k = world.skus.size
        self.count_day = (np.arange(k)[None, :] + COUNT_STAGGER * np.arange(self.rows.size)[:, None]) % max(self.interval, 1)

    def close(self, day: int, state: InventoryState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Today's loss and mis-recording, then today's counts (writes on_hand, record_gap, lost,
        today_lost). Returns per store row: units and value (at unit cost) lost, and among the SKUs it stocks
        the records that differ from the shelf and their number."""
        shape = (3, self.rows.size, state.shape[1])
        u = self.stream.random(shape)
        lost = np.zeros((self.rows.size, 2))
        kernels.drift_records(self.rows, state.today_sold, state.on_hand, state.record_gap, state.lost, state.today_lost,
                              self.shrink_share, self.half_error_rate, u[0], u[1], u[2], self.unit_cost, lost)
        gap = state.record_gap[self.rows]
        if self.interval:
            gap[self.count_day == day % self.interval] = 0
            state.record_gap[self.rows] = gap
        kept = state.stocked[self.rows]
        return lost[:, 0], lost[:, 1], np.count_nonzero((gap != 0) & kept, axis=1), np.count_nonzero(kept, axis=1)
