"""Observers: what watches a run without changing it.

The engine calls each hook at a fixed point of the day (see :mod:`.simulation`); an observer reads what
it is handed and never writes it. The KPI ledger, the order statistics and the validation probe are
observers: pass yours as ``Simulation(..., observers=[...])`` to measure something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulation.engine.state import InventoryState
    from simulation.policies.transfers import Moves
    from simulation.world.network import World
    from simulation.world.trace import PlacedOrders

# The steps of a day that step_started/step_finished bracket, in the order they run ("returns" only with returns).
STEPS = ("returns", "backorders", "walk_in", "online", "transfers", "replenishment", "close_day")


@dataclass(frozen=True)
class ShippedLines:
    """Online lines shipped today, one entry per line, as their customers' returns are drawn (``engine/returns.py``)."""

    channel: np.ndarray         # channel code
    sku: np.ndarray
    node_type: np.ndarray       # the node type a return is headed to (store or central warehouse, by its route)
    delivered: np.ndarray       # units delivered (0: never delivered within the run)
    returned: np.ndarray        # of them, units the customer returns
    days_to_return: np.ndarray  # days from delivery to the return starting


@dataclass(frozen=True)
class Spoilage:
    """Tonight's spoilage of perishables, per row."""

    value: np.ndarray  # units spoiled, at unit cost
    units: np.ndarray  # units spoiled
    out: np.ndarray    # the day's perishable units that left the row (to customers or other rows)
    sold: np.ndarray   # of them, units sold to customers


@dataclass(frozen=True)
class RecordsClosed:
    """Tonight's store records, per store row."""

    lost_units: np.ndarray  # units lost unrecorded
    lost_value: np.ndarray  # their value at unit cost
    wrong: np.ndarray       # after the day's counts: records that differ from the shelf, among those kept
    kept: np.ndarray        # records kept (ranged SKUs)


@dataclass(frozen=True)
class ReturnsMoved:
    """Returns that moved today, one entry per batch of a line."""

    event: str           # picked_up (by courier), inspected, written_off, shipped_back (split: the reverse lane), restocked
    rows: np.ndarray     # the rows that receive them
    channel: np.ndarray  # channel code
    units: np.ndarray
    values: np.ndarray   # picked_up: courier cost; inspected: handling cost; written_off: value at unit cost;
    #                      shipped_back: the reverse lane's cost; restocked: days from the return's start to sellable


class Observer:
    """Every hook does nothing here: override those you need. ``state`` is the run's
    :class:`~.state.InventoryState`; rows are stock rows of ``world``; days count from 0, warm-up
    included (an observer that measures after warm-up checks ``day`` itself)."""

    def started(self, world: World, state: InventoryState) -> None:
        """Once, before day 0, with the initial stock in place."""

    def step_started(self, step: str, day: int, state: InventoryState) -> None:
        """Before a step of the day (one of ``STEPS``)."""

    def step_finished(self, step: str, day: int, state: InventoryState) -> None:
        """After a step of the day."""

    def walk_in_served(self, day: int, per_store: np.ndarray) -> None:
        """Each store's walk-in day: units wanted, sold, lines wanted, lines filled in full, margin lost."""

    def walk_in_wanted(self, day: int, want: np.ndarray) -> None:
        """Today's walk-in units wanted per (store, SKU) (stores in the world's ``store_rows`` order): what a
        history records. The array is reused tomorrow: copy what you keep."""

    def online_orders_placed(self, day: int, placed: PlacedOrders) -> None:
        """Today's online orders as customers placed them (:class:`~.demand.PlacedOrders`), before any
        walk-in shopper's recaptured order: what a history records."""

    def walk_in_converted(self, day: int, per_store: np.ndarray) -> None:
        """Walk-in demand turned into online orders today, per store: units recaptured (the shelf
        was short), units down the endless aisle (a SKU the store does not range), and their margin."""

    def online_lost(self, day: int, rows: np.ndarray, channels: np.ndarray, margin: np.ndarray) -> None:
        """Online units lost (never to ship): serving row, channel code and the margin lost, per line."""

    def replenishment_shipped(self, day: int, rows: np.ndarray, cost: np.ndarray, requests: np.ndarray | None) -> None:
        """Today's replenishment shipments: the receiving rows and each one's lane cost; from a source other than
        the supplier, ``requests`` [row, 2]: units each row asked for today and of them units shipped today."""

    def transferred(self, day: int, moves: Moves, cost: np.ndarray) -> None:
        """Today's transfers (:class:`~simulation.policies.transfers.Moves`: from row, to row, SKU, units and
        direction per move) and each move's cost."""

    def spoiled(self, day: int, spoilage: Spoilage) -> None:
        """Tonight's spoilage of perishables."""

    def records_closed(self, day: int, records: RecordsClosed) -> None:
        """Tonight's store records: units lost unrecorded and records that differ from the shelf."""

    def returns_drawn(self, day: int, lines: ShippedLines) -> None:
        """Online lines shipped today and the units their customers return."""

    def returns_moved(self, day: int, moved: ReturnsMoved) -> None:
        """Returns that moved today (picked up, inspected, written off, shipped back or restocked)."""

    def returns_closed(self, day: int, in_flow: np.ndarray) -> None:
        """Tonight's units in the reverse flow per row (returns started, not yet restocked or written off)."""

    def day_closed(self, day: int, per_node: dict[str, np.ndarray], state: InventoryState) -> None:
        """The day's close, per row (``kernels.CLOSE_COLUMNS``: stock, flows and stockouts)."""

    def orders_settled(self, orders: dict[str, np.ndarray], first_id: int) -> None:
        """Orders that can no longer change (the order book's columns), ids from ``first_id``."""


class Observers(Observer):
    """The run's observers as one: the engine calls each hook here by name, typed (mypy checks every call against
    :class:`Observer`), and each is passed on to every observer in the order given."""

    def __init__(self, members: Sequence[Observer] = ()):
        self.members = list(members)

    def started(self, world: World, state: InventoryState) -> None:
        for member in self.members:
            member.started(world, state)

    def step_started(self, step: str, day: int, state: InventoryState) -> None:
        for member in self.members:
            member.step_started(step, day, state)

    def step_finished(self, step: str, day: int, state: InventoryState) -> None:
        for member in self.members:
            member.step_finished(step, day, state)

    def walk_in_served(self, day: int, per_store: np.ndarray) -> None:
        for member in self.members:
            member.walk_in_served(day, per_store)

    def walk_in_wanted(self, day: int, want: np.ndarray) -> None:
        for member in self.members:
            member.walk_in_wanted(day, want)

    def online_orders_placed(self, day: int, placed: PlacedOrders) -> None:
        for member in self.members:
            member.online_orders_placed(day, placed)

    def walk_in_converted(self, day: int, per_store: np.ndarray) -> None:
        for member in self.members:
            member.walk_in_converted(day, per_store)

    def online_lost(self, day: int, rows: np.ndarray, channels: np.ndarray, margin: np.ndarray) -> None:
        for member in self.members:
            member.online_lost(day, rows, channels, margin)

    def replenishment_shipped(self, day: int, rows: np.ndarray, cost: np.ndarray, requests: np.ndarray | None) -> None:
        for member in self.members:
            member.replenishment_shipped(day, rows, cost, requests)

    def transferred(self, day: int, moves: Moves, cost: np.ndarray) -> None:
        for member in self.members:
            member.transferred(day, moves, cost)

    def spoiled(self, day: int, spoilage: Spoilage) -> None:
        for member in self.members:
            member.spoiled(day, spoilage)

    def records_closed(self, day: int, records: RecordsClosed) -> None:
        for member in self.members:
            member.records_closed(day, records)

    def returns_drawn(self, day: int, lines: ShippedLines) -> None:
        for member in self.members:
            member.returns_drawn(day, lines)

    def returns_moved(self, day: int, moved: ReturnsMoved) -> None:
        for member in self.members:
            member.returns_moved(day, moved)

    def returns_closed(self, day: int, in_flow: np.ndarray) -> None:
        for member in self.members:
            member.returns_closed(day, in_flow)

    def day_closed(self, day: int, per_node: dict[str, np.ndarray], state: InventoryState) -> None:
        for member in self.members:
            member.day_closed(day, per_node, state)

    def orders_settled(self, orders: dict[str, np.ndarray], first_id: int) -> None:
        for member in self.members:
            member.orders_settled(orders, first_id)
