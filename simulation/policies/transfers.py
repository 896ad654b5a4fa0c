"""Lateral transfers (调拨): stock moved between nodes of the same type, apart from replenishment.

Two triggers share one matching rule (``kernels.match_transfers``: largest need first, from the
largest excess first):

- periodic rebalancing (``policies.transfers.rule: rebalance``): every ``period_days``, stock above
  ``excess_cover_days`` of a node's mean demand goes to nodes whose inventory position is below
  ``target_cover_days``;
- emergency transfers (``policies.shock_response: respond``): every day of a shock, unaffected nodes
  give what they hold above ``target_cover_days`` to the shocked nodes of their type, whose target is
  raised by the shock's demand factor.

Transfers stay within one node type, so in ``split`` mode channel stocks never mix.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.spec import NODE_TYPES


def _cover(mean: np.ndarray, days: float) -> np.ndarray:
    return np.ceil(mean * days).astype(np.int64)


def plan_moves(on_hand, position, mean, donors, receivers, give_above_days, fill_to_days, boost=None):
    """Moves (from row, to row, SKU, units) from ``donors`` to ``receivers`` (row arrays).

    Donors give on hand above ``give_above_days`` of cover; receivers ask for the gap between
    ``fill_to_days`` of cover (times ``boost`` per receiver, or per receiver and SKU, if given) and their
    inventory position.
    """
    empty = np.zeros(0, np.int64)
    if donors.size == 0 or receivers.size == 0:
        return empty, empty, empty, empty
    excess = np.maximum(on_hand[donors] - _cover(mean[donors], give_above_days), 0)
    target = mean[receivers] * fill_to_days * (1.0 if boost is None else boost if boost.ndim == 2 else boost[:, None])
    need = np.maximum(np.ceil(target).astype(np.int64) - position[receivers], 0)
    _, in_d, in_r = np.intersect1d(donors, receivers, return_indices=True)
    need[in_r] *= excess[in_d] == 0  # a node with excess of a SKU never also asks for it
    d, r, k, q = kernels.match_transfers(excess, need)
    return donors[d], receivers[r], k, q


def rebalance_moves(day: int, rule, world, state, blocks):
    """Periodic rebalancing moves due today under ``rule`` (``policies.transfers``): none when the rule
    is off or it is not a transfer day. ``state`` is read, never written; ``blocks`` run its position kernel."""
    empty = np.zeros(0, np.int64)
    if rule.rule != "rebalance" or day < rule.offset_days or (day - rule.offset_days) % rule.period_days:
        return empty, empty, empty, empty
    moves = []
    position = state.position(blocks=blocks)
    for name in rule.node_types:
        rows = np.flatnonzero(world.node_type == NODE_TYPES.index(name))
        moves.append(plan_moves(state.on_hand, position, world.planning_mean, rows, rows,
                                rule.excess_cover_days, rule.target_cover_days))
    return tuple(np.concatenate(parts) for parts in zip(*moves, strict=True))
