"""Transfers (调拨): stock moved between nodes apart from replenishment.

Two triggers share one matching rule (``kernels.match_transfers``: largest need first, from the
largest excess first):

- periodic rebalancing (``policies.transfers.rule: rebalance``): every ``period_days``, among the nodes of
  each of ``node_types``, in the order of ``directions``' three moves:

  * ``lateral``: stock above ``excess_cover_days`` of a node's mean demand goes to nodes of its type whose
    inventory position is below ``target_cover_days``;
  * ``top_up``: a node still below ``target_cover_days`` is sent the gap by the node that supplies it, from
    the stock that node does not owe the nodes it supplies (the shared position; on the lane's lead time
    and cost, in whole case packs on a lane that ships cases);
  * ``pull_back``: what lifts a node's stock above ``excess_cover_days`` and its own order-up-to level goes
    back to the node that supplies it (the lane reversed, at its lead time and cost; whole cases on a case lane),
    so a pull-back never makes the node reorder what it gave (a lateral donor gives above ``excess_cover_days``
    only: set it above the levels' cover, or the donor reorders what it gave);

- emergency transfers (``policies.shock_response: respond``): every day of a shock, unaffected nodes
  give what they hold above ``target_cover_days`` to the shocked nodes of their type, whose target is
  raised by the shock's demand factor.

Transfers follow the supply tree or stay within a node type, so in ``split`` mode channel stocks never mix
(a store's source is the warehouse's store stock; a forward warehouse's its online stock).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation import kernels
from simulation.scenario import NODE_TYPES

# Why a unit moved; the KPI table reports transfers by direction (node type ``transfer:<direction>``).
TRANSFER_DIRECTIONS = ("lateral", "top_up", "pull_back", "emergency")
LATERAL, TOP_UP, PULL_BACK, EMERGENCY = range(len(TRANSFER_DIRECTIONS))


@dataclass(frozen=True)
class Moves:
    """Planned transfers, one entry per (from row, to row, SKU): units and direction (``TRANSFER_DIRECTIONS``)."""

    frm: np.ndarray
    to: np.ndarray
    sku: np.ndarray
    qty: np.ndarray
    direction: np.ndarray

    @classmethod
    def of(cls, planned: kernels.Matched, direction: int) -> Moves:
        return cls(planned.donor, planned.receiver, planned.sku, planned.units,
                   np.full(planned.donor.size, direction, np.int64))

    @classmethod
    def join(cls, parts: list[Moves]) -> Moves:
        if not parts:
            empty = np.zeros(0, np.int64)
            return cls(empty, empty, empty, empty, empty)
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("frm", "to", "sku", "qty", "direction")))

    def keep(self, mask: np.ndarray) -> Moves:
        return Moves(self.frm[mask], self.to[mask], self.sku[mask], self.qty[mask], self.direction[mask])


def _cover(mean: np.ndarray, days: float) -> np.ndarray:
    return np.ceil(mean * days).astype(np.int64)


def plan_moves(on_hand, position, mean, donors, receivers, give_above_days, fill_to_days, boost=None) -> kernels.Matched:
    """Moves from ``donors`` to ``receivers`` (row arrays; the moves name rows of the network).

    Donors give on hand above ``give_above_days`` of cover; receivers ask for the gap between
    ``fill_to_days`` of cover (times ``boost`` per receiver, or per receiver and SKU, if given) and their
    inventory position.
    """
    if donors.size == 0 or receivers.size == 0:
        return _concat([])
    excess = np.maximum(on_hand[donors] - _cover(mean[donors], give_above_days), 0)
    target = mean[receivers] * fill_to_days * (1.0 if boost is None else boost if boost.ndim == 2 else boost[:, None])
    need = np.maximum(np.ceil(target).astype(np.int64) - position[receivers], 0)
    _, in_d, in_r = np.intersect1d(donors, receivers, return_indices=True)
    need[in_r] *= excess[in_d] == 0  # a node with excess of a SKU never also asks for it
    matched = kernels.match_transfers(excess, need)
    return matched._replace(donor=donors[matched.donor], receiver=receivers[matched.receiver])


def apply_in_plan(stock: np.ndarray, position: np.ndarray, planned: kernels.Matched) -> None:
    """Count planned moves in donors' stock and receivers' positions, so no unit is planned twice."""
    np.add.at(stock, (planned.donor, planned.sku), -planned.units)
    np.add.at(position, (planned.receiver, planned.sku), planned.units)


def transfer_day(rule, day: int) -> bool:
    """Whether ``rule`` (``policies.transfers``) rebalances on ``day``."""
    return rule.rule == "rebalance" and day >= rule.offset_days and (day - rule.offset_days) % rule.period_days == 0


def rebalance_moves(day: int, rule, world, state, blocks, levels: np.ndarray | None = None) -> Moves:
    """Periodic rebalancing moves due today under ``rule`` (``policies.transfers``): none when the rule
    is off or it is not a transfer day. A pull-back leaves a node its order-up-to ``levels`` [row, SKU] (if
    given). ``state`` is read, never written; ``blocks`` run its position kernel."""
    if not transfer_day(rule, day):
        return Moves.join([])
    position = state.position(blocks=blocks)
    stock = state.on_hand.copy()  # what is left to give as moves are planned
    mean, parts = world.planning_mean, []
    groups = [np.flatnonzero(world.node_type == NODE_TYPES.index(name)) for name in rule.node_types]
    for direction in rule.directions:
        for rows in groups:
            if direction == "lateral":
                planned = plan_moves(stock, position, mean, rows, rows, rule.excess_cover_days, rule.target_cover_days)
            elif direction == "top_up":
                planned = _in_cases(_from_sources(stock, position, mean, rows, world.source, state.owed, rule.target_cover_days),
                                    world, stock, up=True)
            else:
                planned = _in_cases(_to_sources(stock, position, mean, rows, world.source, rule.excess_cover_days, levels),
                                    world, stock, up=False)
            apply_in_plan(stock, position, planned)
            parts.append(Moves.of(planned, TRANSFER_DIRECTIONS.index(direction)))
    return Moves.join(parts)


def _from_sources(stock, position, mean, rows, source, owed, fill_to_days) -> kernels.Matched:
    """Each source of ``rows`` tops them up to ``fill_to_days`` of cover from the stock it does not owe its children."""
    parts = []
    for src in np.unique(source[rows]):
        if src < 0:
            continue
        owing = np.minimum(stock[src], owed[source == src].sum(axis=0))
        stock[src] -= owing  # set aside while planning, then back
        parts.append(plan_moves(stock, position, mean, np.array([src]), rows[source[rows] == src], 0.0, fill_to_days))
        stock[src] += owing
    return _concat(parts)


def _to_sources(stock, position, mean, rows, source, give_above_days, levels) -> kernels.Matched:
    """``rows`` send back to their sources what lifts both their on hand and their inventory position above
    ``give_above_days`` of cover and their ``levels`` (if given)."""
    rows = rows[source[rows] >= 0]
    keep = _cover(mean[rows], give_above_days)
    if levels is not None:
        keep = np.maximum(keep, levels[rows])
    excess = np.maximum(np.minimum(position[rows], stock[rows]) - keep, 0)
    i, k = np.nonzero(excess)
    return kernels.Matched(rows[i], source[rows[i]], k, excess[i, k])


def _in_cases(planned: kernels.Matched, world, stock: np.ndarray, up: bool) -> kernels.Matched:
    """Moves along a lane that ships whole case packs (``order_unit: case``) in whole cases: a top-up rounded up
    (as far as the source's stock allows, else down), a pull-back down (a part case stays)."""
    frm, to, sku, qty = planned.donor, planned.receiver, planned.sku, planned.units
    lane = to if up else frm
    pack = np.where(world.lane_cases[lane], world.skus.case_pack[sku], 1)
    if not up:
        qty = qty // pack * pack
    else:  # rounded up in the planned order, each source's SKU until its stock runs out
        qty = -(-qty // pack) * pack
        order = np.lexsort((np.arange(qty.size), sku, frm))
        f, k, q, p = frm[order], sku[order], qty[order], pack[order]
        first = np.r_[True, (f[1:] != f[:-1]) | (k[1:] != k[:-1])]
        before = np.cumsum(q) - q
        before -= np.maximum.accumulate(np.where(first, before, 0))  # units planned before, within the group
        left = np.maximum(stock[f, k] - before, 0)
        qty = np.empty_like(q)
        qty[order] = np.minimum(q, left // p * p)
    keep = qty > 0
    return kernels.Matched(frm[keep], to[keep], sku[keep], qty[keep])


def _concat(parts: list[kernels.Matched]) -> kernels.Matched:
    if not parts:
        empty = np.zeros(0, np.int64)
        return kernels.Matched(empty, empty, empty, empty)
    return kernels.Matched(*(np.concatenate(column) for column in zip(*parts, strict=True)))
