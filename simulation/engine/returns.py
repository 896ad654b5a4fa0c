"""The reverse flow: online units customers send back, from the delivery to sellable stock or a write-off.

Each online line draws, when its order arrives, its customer's days to return and three uniforms (units
returned, route, units fit to sell again): the same customer returns the same units under every policy
(common random numbers, stream ``returns``). When a line ships, :meth:`ReverseFlow.delivered` turns them into a
return that starts ``days_to_return`` after the delivery. From then on it moves in daily batches at the
start of each day (:meth:`ReverseFlow.step`), through these stages:

=============== ==================================================================================
with customer   until the day the return starts: then to the nearest open store to the zone (route
                ``store``) or picked up by courier to the zone's central warehouse (its online stock
                under split)
by courier      ``courier_days`` in transit
in inspection   ``inspection_days`` at the receiving node (sellable no earlier than the day after
                the return started); then the unsellable units (and every perishable) are written off
awaiting lane   split only, a store's resellable units: the next reverse-lane departure
on lane         ``reverse_lane.lead_time_days`` to the warehouse's online stock
=============== ==================================================================================

and then are restocked: on hand at the receiving node (or, via the lane, the warehouse's online stock),
in its inventory position from that day. Units in a stage after "with customer" are the reverse flow.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.engine.observers import Observer, ReturnsMoved, ShippedLines
from simulation.engine.orders import RETURN_DRAWS, Table
from simulation.scenario import CENTRAL_CODE, STORE_CODE
from simulation.world.returns import ReturnPlan

WITH_CUSTOMER, BY_COURIER, IN_INSPECTION, AWAITING_LANE, ON_LANE = range(5)
PENDING_COLUMNS = {"due": np.int64, "stage": np.int64, "start": np.int64, "zone": np.int64, "channel": np.int64,
                   "row": np.int64, "store": np.int64, "sku": np.int64, "units": np.int64, "resellable": np.int64}


class ReverseFlow:
    """Returns in progress for one run, reported to the run's ``observers`` (write-offs valued at the SKUs' unit
    cost)."""

    def __init__(self, plan: ReturnPlan, world, observers: Observer):
        self.plan, self.world, self.observers = plan, world, observers
        self.pending = Table(PENDING_COLUMNS)
        k = world.skus.size
        self.returned, self.restocked, self.written_off = np.zeros(k, np.int64), np.zeros(k, np.int64), np.zeros(k, np.int64)

    # ------------------------------------------------------------------------------------ drawing
    def draws(self, rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
        """Each line's return draws (columns ``RETURN_DRAWS``): days to return from its channel's distribution,
        then uniforms for the units returned, the route and the units fit to sell again."""
        out = rng.random((channel.size, len(RETURN_DRAWS)))
        for c, dist in enumerate(self.plan.days_to_return):
            mine = channel == c
            if dist is not None and mine.any():
                out[mine, 0] = dist.sample(rng, int(mine.sum()))
        return out

    def delivered(self, day: int, channel: np.ndarray, zone: np.ndarray, sku: np.ndarray, units: np.ndarray,
                  delivered_hour: np.ndarray, draws: np.ndarray) -> None:
        """Shipped lines (delivered at ``delivered_hour``, never if not finite): their customers' returns begin."""
        plan = self.plan
        units = np.where(np.isfinite(delivered_hour), units, 0)
        returned, resellable = kernels.return_draws(units=units, rate=plan.rate[channel, sku], resellable=plan.resellable[channel, sku],
                                                    u_returned=draws[:, 1], u_resellable=draws[:, 3])
        to_store = (draws[:, 2] < plan.to_store[channel]) & (plan.store_by_zone[zone, 0] >= 0)
        days = draws[:, 0]
        self.observers.returns_drawn(day, ShippedLines(channel=channel, sku=sku, node_type=np.where(to_store, STORE_CODE, CENTRAL_CODE),
                                                       delivered=units, returned=returned, days_to_return=days))
        back = returned > 0
        if not back.any():
            return
        start = np.floor(delivered_hour[back] / 24.0 + days[back]).astype(np.int64)
        np.add.at(self.returned, sku[back], returned[back])
        self.pending.append(due=start, stage=np.full(start.size, WITH_CUSTOMER), start=start, zone=zone[back],
                            channel=channel[back], row=np.full(start.size, -1), store=to_store[back].astype(np.int64),
                            sku=sku[back], units=returned[back], resellable=resellable[back])

    # ------------------------------------------------------------------------------------ moving
    def step(self, day: int, state, capacity_factor: np.ndarray) -> None:
        """Move every return due today on through its stages (a store that is closed today takes none: the
        customer goes to the next nearest open one, else sends it by courier). Writes on_hand through
        ``state.restock``."""
        p = self.pending
        if p.size == 0 or p["due"].min() > day:
            return
        plan, w = self.plan, self.world
        due, stage, row, channel = p["due"], p["stage"], p["row"], p["channel"]
        units, resellable, sku = p["units"], p["resellable"], p["sku"]

        at = np.flatnonzero((due <= day) & (stage == WITH_CUSTOMER))
        if at.size:
            stores = plan.store_by_zone[p["zone"][at]]
            open_store = (stores >= 0) & (capacity_factor[np.maximum(stores, 0)] > 0)
            to_store = (p["store"][at] == 1) & open_store.any(axis=1)
            nearest_open = stores[np.arange(at.size), np.argmax(open_store, axis=1)]
            row[at] = np.where(to_store, nearest_open, plan.courier_row[p["zone"][at]])
            courier = at[~to_store]
            due[courier] += plan.courier_days[channel[courier]]
            stage[courier] = BY_COURIER
            self.observers.returns_moved(day, ReturnsMoved("picked_up", row[courier], channel[courier], units[courier],
                                                           values=units[courier] * plan.courier_cost[channel[courier]]))
            self._inspect(at[to_store], p)
        arrived = np.flatnonzero((due <= day) & (stage == BY_COURIER))
        self._inspect(arrived, p)

        done = np.zeros(p.size, bool)
        inspected = np.flatnonzero((due <= day) & (stage == IN_INSPECTION))
        if inspected.size:
            r, ch, k = row[inspected], channel[inspected], sku[inspected]
            handled = units[inspected] * plan.handling_cost[w.node_type[r]]
            self.observers.returns_moved(day, ReturnsMoved("inspected", r, ch, units[inspected], values=handled))
            lost = units[inspected] - resellable[inspected]
            np.add.at(self.written_off, k, lost)
            self.observers.returns_moved(day, ReturnsMoved("written_off", r, ch, lost, values=lost * w.skus.unit_cost[k]))
            via_lane = (plan.lane_row[r] >= 0) & (resellable[inspected] > 0)
            lane = inspected[via_lane]
            stage[lane] = AWAITING_LANE
            due[lane] = -(-np.maximum(due[lane], day) // plan.lane_every_days) * plan.lane_every_days
            done[inspected[~via_lane]] = True
            self._restock(day, inspected[~via_lane & (resellable[inspected] > 0)], p, state)
        leaving = np.flatnonzero((due <= day) & (stage == AWAITING_LANE))
        if leaving.size:
            self.observers.returns_moved(day, ReturnsMoved("shipped_back", row[leaving], channel[leaving], resellable[leaving],
                                                           values=resellable[leaving] * plan.lane_cost))
            row[leaving] = plan.lane_row[row[leaving]]
            due[leaving] = day + plan.lane_lead_days
            stage[leaving] = ON_LANE
        landed = np.flatnonzero((due <= day) & (stage == ON_LANE))
        if landed.size:
            self._restock(day, landed, p, state)
            done[landed] = True
        if done.any():
            p.keep(~done)

    def _inspect(self, at: np.ndarray, p: Table) -> None:
        """Returns received at their node today go into inspection: sellable ``inspection_days`` on, and no
        earlier than the day after the return started."""
        if at.size:
            p["due"][at] = np.maximum(p["due"][at] + self.plan.inspection_days[p["channel"][at]], p["start"][at] + 1)
            p["stage"][at] = IN_INSPECTION

    def _restock(self, day: int, at: np.ndarray, p: Table, state) -> None:
        rows, skus, qty = p["row"][at], p["sku"][at], p["resellable"][at]
        state.restock(rows, skus, qty)
        np.add.at(self.restocked, skus, qty)
        self.observers.returns_moved(day, ReturnsMoved("restocked", rows, p["channel"][at], qty,
                                                       values=(day - p["start"][at]).astype(float)))

    # ------------------------------------------------------------------------------------ reading
    def in_flow(self) -> np.ndarray:
        """Units per row in the reverse flow now (returns started, not yet restocked or written off), at the
        row that has them or they travel to."""
        p = self.pending
        moving = p["stage"] > WITH_CUSTOMER
        out = np.zeros(self.world.n_nodes)
        np.add.at(out, p["row"][moving], np.where(p["stage"][moving] >= AWAITING_LANE, p["resellable"][moving],
                                                  p["units"][moving]))
        return out

    def audit(self) -> list[str]:
        """Problems with the returns' units: per SKU, returned = not yet started + in reverse flow + restocked +
        written off."""
        p = self.pending
        held = np.where(p["stage"] >= AWAITING_LANE, p["resellable"], p["units"])  # the rest was written off
        pending = np.bincount(p["sku"], weights=held, minlength=self.returned.size).astype(np.int64)
        gap = self.returned - pending - self.restocked - self.written_off
        if (gap != 0).any():
            k = int(np.flatnonzero(gap)[0])
            return [f"returns of SKU {k}: returned - pending - restocked - written off = {gap[k]}"]
        return []
