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

    def spoiled(self, day: int, value_per_row: np.ndarray, units_per_row: np.ndarray, out_per_row: np.ndarray,
                sold_per_row: np.ndarray) -> None:
        """Tonight's spoilage per row: its value and units, and the day's perishable units that left the row
        (to customers or other rows) and that were sold to customers."""

    def records_closed(self, day: int, lost_units: np.ndarray, lost_value: np.ndarray, wrong: np.ndarray,
                       kept: np.ndarray) -> None:
        """Tonight's store records, per store row: units lost unrecorded and their value at unit cost, and
        after the day's counts the records that differ from the shelf among those kept (ranged SKUs)."""

    def returns_drawn(self, day: int, lines: ShippedLines) -> None:
        """Online lines shipped today and the units their customers return."""

    def returns_moved(self, day: int, event: str, rows: np.ndarray, channel: np.ndarray, units: np.ndarray,
                      values: np.ndarray) -> None:
        """Returns that moved today, per batch of a line: ``event`` is ``picked_up`` (by courier; values: its cost),
        ``inspected`` (handling cost), ``written_off`` (value at unit cost), ``shipped_back`` (split: on the reverse
        lane; its cost) or ``restocked`` (values: days from the return's start to sellable); ``rows`` receive them."""

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

    def spoiled(self, day: int, value_per_row: np.ndarray, units_per_row: np.ndarray, out_per_row: np.ndarray,
                sold_per_row: np.ndarray) -> None:
        for member in self.members:
            member.spoiled(day, value_per_row, units_per_row, out_per_row, sold_per_row)

    def records_closed(self, day: int, lost_units: np.ndarray, lost_value: np.ndarray, wrong: np.ndarray, kept: np.ndarray) -> None:
        for member in self.members:
            member.records_closed(day, lost_units, lost_value, wrong, kept)

    def returns_drawn(self, day: int, lines: ShippedLines) -> None:
        for member in self.members:
            member.returns_drawn(day, lines)

    def returns_moved(self, day: int, event: str, rows: np.ndarray, channel: np.ndarray, units: np.ndarray, values: np.ndarray) -> None:
        for member in self.members:
            member.returns_moved(day, event, rows, channel, units, values)

    def returns_closed(self, day: int, in_flow: np.ndarray) -> None:
        for member in self.members:
            member.returns_closed(day, in_flow)

    def day_closed(self, day: int, per_node: dict[str, np.ndarray], state: InventoryState) -> None:
        for member in self.members:
            member.day_closed(day, per_node, state)

    def orders_settled(self, orders: dict[str, np.ndarray], first_id: int) -> None:
        for member in self.members:
            member.orders_settled(orders, first_id)
