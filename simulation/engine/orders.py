"""Online orders over a whole run: the order book and the backorder queue (growable arrays)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

ORDER_COLUMNS = {
    "created_hour": np.float64, "zone": np.int64, "channel": np.int64, "node": np.int64,
    "lines": np.int64, "units": np.int64, "lines_first": np.int64, "units_first": np.int64,
    "open_lines": np.int64, "lost_lines": np.int64, "lost_units": np.int64, "record_failures": np.int64,
    "shipments": np.int64, "fulfilment_cost": np.float64, "last_mile_cost": np.float64, "ready_hour": np.float64,
    "dispatch_hour": np.float64, "delivered_hour": np.float64, "transit": np.float64, "transit_local": np.float64,
}
# A line's return draws (engine/returns.py), drawn when the order arrived: its customer's days to return and
# uniforms for the units returned, the route and the units fit to sell again.
RETURN_DRAWS = ("return_days", "returned_u", "route_u", "resellable_u")
# work: the line's picking work (in units of one mean picking time), drawn when the order arrived.
LINE_COLUMNS = {"order": np.int64, "node": np.int64, "sku": np.int64, "remaining": np.int64, "day": np.int64, "work": np.float64,
                **dict.fromkeys(RETURN_DRAWS, np.float64)}


class Table:
    """Named columns that grow by appending whole arrays (amortised doubling, no per-row Python).

    Live rows are ``_start`` to ``_start + size`` of each column's buffer, so dropping rows from the
    front (:meth:`OrderBook.pop_front`) moves nothing; the rows are moved down when the buffer is full.
    """

    def __init__(self, columns: Mapping[str, type | np.dtype], capacity: int = 1024):
        self._data = {name: np.empty(capacity, dtype) for name, dtype in columns.items()}
        self._start = 0
        self.size = 0

    def append(self, **values) -> np.ndarray:
        n = len(next(iter(values.values())))
        capacity = len(next(iter(self._data.values())))
        if self._start + self.size + n > capacity:
            if self._start:  # reuse the space freed at the front first
                for arr in self._data.values():
                    arr[: self.size] = arr[self._start: self._start + self.size]
                self._start = 0
            if self.size + n > capacity:
                cap = max(self.size + n, 2 * capacity)
                for name, arr in self._data.items():
                    grown = np.empty(cap, arr.dtype)
                    grown[: self.size] = arr[: self.size]
                    self._data[name] = grown
        end = self._start + self.size
        for name, arr in self._data.items():
            arr[end: end + n] = values[name]
        ids = np.arange(self.size, self.size + n)
        self.size += n
        return ids

    def __getitem__(self, name: str) -> np.ndarray:
        """A live view of one column (writes go into the table)."""
        return self._data[name][self._start: self._start + self.size]

    def keep(self, mask: np.ndarray) -> None:
        """Drop rows where ``mask`` is False, keeping order."""
        kept = int(mask.sum())
        for arr in self._data.values():
            arr[:kept] = arr[self._start: self._start + self.size][mask]
        self._start, self.size = 0, kept


class OrderBook(Table):
    """The orders that have not settled yet: ids ``base`` to ``base + size - 1`` (ids never change;
    settled orders leave from the front, oldest first)."""

    def __init__(self):
        super().__init__(ORDER_COLUMNS)
        self.base = 0

    @property
    def count(self) -> int:
        """Orders placed so far, settled or not."""
        return self.base + self.size

    def append(self, **values) -> np.ndarray:
        return super().append(**values) + self.base

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Positions in the columns of the orders ``ids``."""
        return ids - self.base

    def pop_front(self, n: int) -> dict[str, np.ndarray]:
        """Remove the ``n`` oldest orders and return their columns."""
        out = {name: arr[self._start: self._start + n].copy() for name, arr in self._data.items()}
        self._start += n
        self.size -= n
        self.base += n
        return out


class BackorderQueue(Table):
    """Unfilled online order lines waiting at their serving node, oldest first."""

    def __init__(self):
        super().__init__(LINE_COLUMNS)
