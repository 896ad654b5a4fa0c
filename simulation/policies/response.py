"""The shock response plan (``policies.shock_response: respond``), the seeds' "12-level response plans":

- pre-positioning: from a shock's warning (``warning_days`` before it starts) until it ends, the
  nodes it will hit review every day and order up to their usual level plus the extra demand the
  shock brings (mean x (demand_factor - 1) x its days, on the SKUs it touches), the days its closed lanes
  deliver nothing (mean x its days, when it ``closes_lanes``) and the extra lead time (mean x
  (lead_time_factor - 1) x mean lead time);
- emergency transfers: every day of the shock, each shocked node is topped up to
  ``transfers.target_cover_days`` of its mean demand times the shock's demand factor, first from its
  own source (an expedited shipment in ``transfers.lead_time_days``, not slowed by the shock), then
  from unaffected nodes of its type with stock above that cover (``transfers.plan_moves``).

Without a plan the network meets the shock with its ordinary policies.
"""

from __future__ import annotations

import numpy as np

from simulation.policies.transfers import EMERGENCY, Moves, apply_in_plan, plan_moves
from simulation.scenario import CENTRAL_CODE
from simulation.world.calendar import shock_sku_factor


def _hit_rows(world, shock) -> np.ndarray:
    rows = [world.node_rows[n] for n in shock.nodes]
    rows = np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int64)
    return rows[world.node_type[rows] != CENTRAL_CODE]


def preposition(w, calendar, respond: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(rows to review today, extra units per node and SKU to order up to, or None) for the shocks
    ``calendar`` has announced, under a response plan (``respond``)."""
    due = np.zeros(w.n_nodes, bool)
    if not respond or not calendar.announced:
        return due, None
    extra = np.zeros((w.n_nodes, w.skus.size), np.int64)
    for shock in calendar.announced:
        rows = _hit_rows(w, shock)
        surge = (shock_sku_factor(shock, w.skus) - 1.0)[None, :] * (shock.end_day - shock.start_day)  # the SKUs it touches
        # Lanes slower by the factor, or shut for the shock's days (nothing arrives until it ends).
        shut = float(shock.end_day - shock.start_day) if shock.closes_lanes else 0.0
        slower = ((shock.lead_time_factor - 1.0) * w.mean_lead_days[rows] + shut)[:, None]
        due[rows] = True
        extra[rows] += np.ceil(w.planning_mean[rows] * np.maximum(surge + slower, 0.0)).astype(np.int64)
    return due, extra


def emergency_moves(w, calendar, rule, respond: bool, state, blocks) -> Moves:
    """Emergency transfers into the nodes hit by the shocks in force today, under a response plan
    (``respond``); ``rule`` is ``policies.transfers``. ``state`` is read, never written."""
    moves = []
    if respond:
        position = state.position(blocks=blocks)
        stock = state.on_hand.copy()
        for shock in calendar.shocks:
            hit = _hit_rows(w, shock)
            boost = np.broadcast_to(np.maximum(shock_sku_factor(shock, w.skus), 1.0), (hit.size, w.skus.size))
            for src in np.unique(w.source[hit]):
                if src < 0:
                    continue
                mine = w.source[hit] == src
                moves.append(plan_moves(stock, position, w.planning_mean, np.array([src]), hit[mine],
                                        0.0, rule.target_cover_days, boost[mine]))
                apply_in_plan(stock, position, moves[-1])
            for code in np.unique(w.node_type[hit]):
                receivers = hit[w.node_type[hit] == code]
                donors = np.setdiff1d(np.flatnonzero(w.node_type == code), receivers)
                moves.append(plan_moves(stock, position, w.planning_mean, donors, receivers,
                                        rule.target_cover_days, rule.target_cover_days, boost[w.node_type[hit] == code]))
                apply_in_plan(stock, position, moves[-1])
    return Moves.join([Moves.of(planned, EMERGENCY) for planned in moves])
