"""The run's stock arrays as one bundle for the kernels that read or write several of them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Stock(NamedTuple):
    """Node x SKU stock as the kernels read and write it (``engine/state.py`` owns the arrays; a kernel writes into
    them in place): what a row holds, what is on its way and owed, today's flows, and the run's totals."""

    on_hand: np.ndarray
    pipeline: np.ndarray      # shipped to the row, not yet arrived
    owed: np.ndarray          # requested from the row's source, not yet shipped
    backordered: np.ndarray   # owed by the row to its online customers
    supplied: np.ndarray      # received from the outside supplier (as shipped by it)
    stocked: np.ndarray       # node-SKUs the network holds (stockouts count there)
    today_in: np.ndarray
    today_out: np.ndarray     # sold + shipped to other rows today
    today_sold: np.ndarray
    today_demand: np.ndarray  # what each row was asked for today
    spoiled: np.ndarray
    received: np.ndarray      # the run's totals ...
    outflow: np.ndarray
    sold: np.ndarray


def empty_stock(shape: tuple[int, int], **arrays: np.ndarray) -> Stock:
    """A :class:`Stock` of zeros (``stocked``: False) of ``shape``, with ``arrays`` in place of the named ones."""
    def zeros(name):
        return np.zeros(shape, np.bool_ if name == "stocked" else np.int64)
    return Stock(**{name: arrays[name] if name in arrays else zeros(name) for name in Stock._fields})
