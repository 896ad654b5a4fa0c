"""The run's stock: :class:`InventoryState`, the one owner of the node x SKU arrays, and their audit.

Day steps write into it (through the kernels, which update the arrays passed in); observers read it and
never write it. Rows are the compiled world's stock rows, columns its SKUs.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.engine.threads import Blocks

SERIAL = Blocks(1)


class ConservationError(RuntimeError):
    """Units were created or destroyed: a bug in the engine, never a property of the scenario."""


class InventoryState:
    """On hand, in transit, owed and backordered stock, the cumulative flows that audit it, and today's
    flows (reset at each close). ``source[i]`` is the row that supplies row ``i`` (-1: the supplier);
    ``shelf_life_days`` per SKU (0: not perishable)."""

    def __init__(self, initial: np.ndarray, source: np.ndarray, shelf_life_days: np.ndarray):
        n, k = initial.shape
        self.source = source
        self.on_hand = initial.astype(np.int64)
        self.initial = self.on_hand.copy()
        self.stocked = self.on_hand > 0                 # node-SKUs the network holds (stockouts count there)

        def zeros():
            return np.zeros((n, k), np.int64)
        self.pipeline = zeros()      # shipped to the row, not yet arrived
        self.backordered = zeros()   # owed by the row to its online customers
        self.owed = zeros()          # requested from the row's source, not yet shipped
        self.supplied = zeros()      # received from the outside supplier (as shipped by it)
        self.received = zeros()
        self.outflow = zeros()       # sold + shipped to other rows
        self.sold = zeros()          # sold to customers (walk-in and online)
        self.spoiled = zeros()
        self.restocked = zeros()     # returned by online customers and sellable again (engine/returns.py)
        self.today_in, self.today_out, self.today_sold = zeros(), zeros(), zeros()
        self.today_demand = zeros()  # what each row was asked for today (the forecasts' input)
        self.today_turned_away: np.ndarray | None = None  # of it, units lost unserved (``track_turned_away``)
        # Records that drift from the shelf (``keep_records``): record - shelf, and units lost unrecorded.
        self.record_gap: np.ndarray | None = None
        self.lost: np.ndarray | None = None
        self.today_lost: np.ndarray | None = None
        # Perishable stock by age: cohorts[row, j, a] units of perishable SKU j aged a days.
        self.perishable = np.flatnonzero(shelf_life_days > 0)
        life = shelf_life_days[self.perishable]
        self.shelf_life = life.astype(np.int64)
        self.cohorts = np.zeros((n, self.perishable.size, int(life.max()) if life.size else 1), np.int64)
        self.cohorts[:, :, 0] = self.on_hand[:, self.perishable]
        # Per row, the share of perishable outflow taken freshest first (shoppers at stores; None: none).
        self.freshest_first: np.ndarray | None = None

    def keep_records(self) -> None:
        """Start keeping store records apart from the shelf (``policies.store_records``); until then the
        record is the shelf and nothing is lost unrecorded."""
        self.record_gap, self.lost, self.today_lost = (np.zeros(self.shape, np.int64) for _ in range(3))

    def track_turned_away(self) -> None:
        """Start counting the demand each row turns away unserved (walk-in shoppers at an empty shelf, online
        lines lost): forecasts that learn from sales leave it out, as a store system never sees it."""
        self.today_turned_away = np.zeros(self.shape, np.int64)

    @property
    def shape(self) -> tuple[int, int]:
        return self.on_hand.shape

    @property
    def arrays(self) -> kernels.Stock:
        """The stock arrays as the kernels take them (the same arrays: a kernel's writes land here)."""
        return kernels.Stock(on_hand=self.on_hand, pipeline=self.pipeline, owed=self.owed, backordered=self.backordered,
                             supplied=self.supplied, stocked=self.stocked, today_in=self.today_in, today_out=self.today_out,
                             today_sold=self.today_sold, today_demand=self.today_demand, spoiled=self.spoiled,
                             received=self.received, outflow=self.outflow, sold=self.sold)

    # ------------------------------------------------------------------------------------ moving stock
    def receive(self, rows: np.ndarray, skus: np.ndarray, qty: np.ndarray) -> None:
        """Shipments arrive: pipeline -> on hand (writes on_hand, pipeline, today_in)."""
        kernels.receive(stock=self.arrays, rows=rows, skus=skus, qty=qty)

    def restock(self, rows: np.ndarray, skus: np.ndarray, qty: np.ndarray) -> None:
        """Returned units become sellable: into on hand from outside the supply chain (writes on_hand,
        today_in, restocked)."""
        np.add.at(self.on_hand, (rows, skus), qty)
        np.add.at(self.today_in, (rows, skus), qty)
        np.add.at(self.restocked, (rows, skus), qty)

    def send(self, frm: np.ndarray, to: np.ndarray, skus: np.ndarray, qty: np.ndarray) -> None:
        """Lateral transfers leave ``frm`` for ``to`` (writes on_hand, today_out, pipeline)."""
        np.subtract.at(self.on_hand, (frm, skus), qty)
        np.add.at(self.today_out, (frm, skus), qty)
        np.add.at(self.pipeline, (to, skus), qty)

    def age(self, newest: np.ndarray | None = None) -> np.ndarray:
        """Tonight's ageing: perishable stock a day older, the expired removed (writes on_hand, spoiled,
        cohorts); ``newest`` [row, perishable SKU]: units of today's outflow taken freshest first (default
        none: all oldest first). Returns the spoiled units per row and perishable SKU."""
        p = self.perishable
        gone = self._gone_today(p)
        newest = np.zeros_like(gone) if newest is None else newest
        spoiled = kernels.age_stock(cohorts=self.cohorts, shelf_life=self.shelf_life, received=self.today_in[:, p], outflow=gone,
                                    newest=newest)
        self.on_hand[:, p] -= spoiled
        self.spoiled[:, p] += spoiled
        return spoiled

    def _gone_today(self, p: np.ndarray, rows=slice(None)) -> np.ndarray:
        """Units of SKUs ``p`` that left ``rows`` today: shipped or sold, and lost unrecorded."""
        out = self.today_out[rows, p]
        return out if self.today_lost is None else out + self.today_lost[rows, p]

    # ------------------------------------------------------------------------------------ reading
    def position(self, rows: np.ndarray | None = None, blocks: Blocks = SERIAL) -> np.ndarray:
        """Inventory position of ``rows`` (default all) as the records show it: on hand (plus any record
        gap) + in transit + owed by the source - backordered to customers - owed to child rows (a
        source's unshipped commitments count against it, as in echelon/Clark-Scarf accounting), less
        perishable units that spoil tonight (they can serve no future demand)."""
        rows = np.arange(self.shape[0]) if rows is None else rows
        position = np.empty((rows.size, self.shape[1]), np.int64)
        stock = self.arrays
        blocks.map(lambda block: kernels.position_rows(rows=rows[block], stock=stock, out=position[block]), rows.size,
                   position.size)
        for i in np.flatnonzero(np.isin(rows, self.source)):
            position[i] -= self.owed[self.source == rows[i]].sum(axis=0)
        if self.perishable.size:
            position[:, self.perishable] -= self.expiring_tonight(rows)
        if self.record_gap is not None:
            position += self.record_gap[rows]
        return position

    def expiring_tonight(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Units of each perishable SKU that will spoil at tonight's close unless sold before it (the
        oldest cohort, less today's outflow taken oldest first: all of it, or at stores whose shoppers take a
        share freshest first, the rest of it in expectation)."""
        p = self.perishable
        r = (np.arange(self.shape[0]) if rows is None else rows)[:, None]
        oldest = self.cohorts[r, np.arange(p.size)[None, :], self.shelf_life[None, :] - 1]
        oldest = oldest + np.where(self.shelf_life == 1, self.today_in[r, p[None, :]], 0)
        gone = self._gone_today(p[None, :], r)
        if self.freshest_first is not None:  # expected: tonight draws which of today's units were the freshest
            gone = np.floor(gone * (1.0 - self.freshest_first[r])).astype(np.int64)
        return np.maximum(oldest - gone, 0)

    # ------------------------------------------------------------------------------------ audit
    def check_conservation(self, node_ids: list[str], open_backorder_units: int, more: list[str] | None = None) -> None:
        """Raise :class:`ConservationError` unless every unit is accounted for: per row,
        ``initial + received == outflow + spoiled + lost + on hand``; network-wide, ``initial + supplied +
        restocked == sold + spoiled + lost + on hand + in transit`` (restocked: online returns sold again); the
        backordered units equal the open backorder lines' (``lost``: units gone unrecorded, when records are
        kept); and ``more`` lists other audits' problems."""
        problems = list(more or [])  # others' audits (the returns')
        lost = 0 if self.lost is None else self.lost
        if (self.on_hand < 0).any():
            problems.append(f"negative on hand at {int((self.on_hand < 0).sum())} node-SKUs")
        node_gap = self.initial + self.received - self.outflow - self.spoiled - lost - self.on_hand
        if node_gap.any():
            n, k = np.argwhere(node_gap)[0]
            problems.append(f"node {node_ids[n]} SKU {k}: initial + received - out - spoiled - lost - on hand = {node_gap[n, k]}")
        total_in = self.initial.sum() + self.supplied.sum() + self.restocked.sum()
        total_out = self.sold.sum() + self.spoiled.sum() + np.sum(lost) + self.on_hand.sum() + self.pipeline.sum()
        if total_in != total_out:
            problems.append(f"network: initial + supplied + restocked = {total_in} but sold + spoiled + lost + on hand + "
                            f"in transit = {total_out}")
        if (self.backordered < 0).any() or self.backordered.sum() != open_backorder_units:
            problems.append("backordered units do not match the open backorder lines")
        if problems:
            raise ConservationError("unit conservation failed: " + "; ".join(problems))
