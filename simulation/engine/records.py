"""Store records that drift from the shelf (``policies.store_records``): the close's unrecorded loss,
mis-recorded sales and cycle counts, and the online platform's view of them, synchronised at intervals.

The record is the shelf plus :attr:`~.state.InventoryState.record_gap`; replenishment orders against the
record (:meth:`~.state.InventoryState.position`), shoppers and pickers take from the shelf. A unit lost
unrecorded keeps its place in the record, so a store whose record shows stock it does not have stops
reordering until a count finds the gap (phantom stock; Kang & Gershwin 2005).

Online sourcing and the BOPIS customer's choice of store see the record as the platform last received it
(:class:`OnlineView`): walk-in sales since the store's last sync that arrived still show as stock, so a
picker can find the shelf short of what was promised.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.engine.observers import RecordsClosed
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

    def close(self, day: int, state: InventoryState) -> RecordsClosed:
        """Today's loss and mis-recording, then today's counts (writes on_hand, record_gap, lost,
        today_lost). Returns per store row the units and value lost, and the records wrong among those kept."""
        shape = (3, self.rows.size, state.shape[1])
        u = self.stream.random(shape)
        lost = np.zeros((self.rows.size, 2))
        kernels.drift_records(rows=self.rows, sold=state.today_sold, on_hand=state.on_hand, gap=state.record_gap, lost=state.lost,
                              today_lost=state.today_lost, shrink_share=self.shrink_share, half_error_rate=self.half_error_rate,
                              u_loss=u[0], u_high=u[1], u_low=u[2], unit_cost=self.unit_cost, out=lost)
        gap = state.record_gap[self.rows]
        if self.interval:
            gap[self.count_day == day % self.interval] = 0
            state.record_gap[self.rows] = gap
        kept = state.stocked[self.rows]
        return RecordsClosed(lost_units=lost[:, 0], lost_value=lost[:, 1], wrong=np.count_nonzero((gap != 0) & kept, axis=1),
                             kept=np.count_nonzero(kept, axis=1))


class OnlineView:
    """The online platform's view of store stock: the store record as of the store's last sync that arrived
    (syncs every ``sync_interval_hours``, each lost with chance ``lost_sync_share``; interval 0: in real
    time). The platform books its own online sales, receipts and transfers as they happen; walk-in sales
    reach it only with a sync. Sync outcomes and the split of walk-in sales around them are drawn from the
    ``record_sync`` stream in fixed shapes, so policies see the same syncs (common random numbers)."""

    def __init__(self, world: World, spec, stream: np.random.Generator, state: InventoryState):
        self.rows = world.store_rows
        self.interval = float(spec.sync_interval_hours)
        self.lost_share = spec.lost_sync_share
        self.stream = stream
        self.open_hour, self.close_hour = world.open_hour.astype(float), world.close_hour.astype(float)
        exact = kernels.exact_view(world.n_nodes)
        self.lagged, self.gap = exact.lagged, exact.gap
        self.unseen = self.sold = np.zeros((0, 0), np.int64)  # kept only when walk-in sales reach the platform late
        self.sync_hours, self.sync_ok = np.zeros(0), np.zeros((world.n_nodes, 0), bool)
        if self.lags or state.record_gap is not None:
            self.lagged[self.rows] = True
        if state.record_gap is not None:
            self.gap = state.record_gap
        if self.lags:
            self.unseen = np.zeros(state.shape, np.int64)  # walk-in units sold before today since the last sync that arrived
            self.sold = np.zeros(state.shape, np.int64)    # walk-in units sold today

    @property
    def lags(self) -> bool:
        """Whether walk-in sales reach the platform late (else only record gaps separate it from the shelf)."""
        return self.interval > 0

    def open_day(self, day: int) -> None:
        """Today's syncs (absolute hours, every ``interval`` from hour 0 of the run) and which arrived."""
        if not self.lags:
            return
        first, last = np.ceil(24.0 * day / self.interval), np.ceil(24.0 * (day + 1) / self.interval)
        self.sync_hours = np.arange(first, last) * self.interval
        self.sync_ok = np.zeros((self.lagged.size, self.sync_hours.size), bool)
        self.sync_ok[self.rows] = self.stream.random((self.rows.size, self.sync_hours.size)) >= self.lost_share

    def line_uniforms(self, lines: int) -> np.ndarray:
        """Each online line's uniform for the unsynced share of walk-in sales (zeros when nothing lags)."""
        return self.stream.random(lines) if self.lags else np.zeros(lines)

    def before_walk_in(self, state: InventoryState) -> None:
        if self.lags:
            self.sold[self.rows] = -state.today_sold[self.rows]

    def after_walk_in(self, state: InventoryState) -> None:
        if self.lags:
            self.sold[self.rows] += state.today_sold[self.rows]

    def today(self) -> kernels.PlatformView:
        """The view as :func:`~simulation.kernels.records.unseen_units` reads it (every shelf exactly when records
        are exact and nothing lags)."""
        return kernels.PlatformView(lagged=self.lagged, gap=self.gap)

    def syncs(self) -> kernels.Syncs | None:
        """Today's syncs as :func:`~simulation.kernels.records.unseen_units` reads them; None when walk-in sales reach
        the platform at once."""
        if not self.lags:
            return None
        return kernels.Syncs(unseen=self.unseen, sold=self.sold, hours=self.sync_hours, arrived=self.sync_ok,
                             open_hour=self.open_hour, close_hour=self.close_hour)

    def close(self, day: int) -> None:
        """Walk-in units sold after each store's last sync that arrived today stay unseen into tomorrow."""
        if not self.lags:
            return
        ok = self.sync_ok[self.rows]
        last = np.where(ok.any(axis=1), self.sync_hours[::-1][np.argmax(ok[:, ::-1], axis=1)] - 24.0 * day, -1.0) \
            if self.sync_hours.size else np.full(self.rows.size, -1.0)
        kernels.carry_unseen(rows=self.rows, sold=self.sold, unseen=self.unseen, last_sync=last, open_hour=self.open_hour,
                             close_hour=self.close_hour, u=self.stream.random((self.rows.size, self.sold.shape[1])))

