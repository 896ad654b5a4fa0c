"""The returns section compiled: per online channel and SKU how many delivered units come back, and per zone
and store where a return goes (:class:`ReturnPlan`, read by :mod:`simulation.engine.returns`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.scenario import CENTRAL_CODE, NODE_TYPES, ONLINE_CHANNELS, Scenario
from simulation.scenario.eligibility import stores_by_distance, zone_central


@dataclass(frozen=True)
class ReturnPlan:
    rate: np.ndarray             # [online channel, sku] share of delivered units returned
    resellable: np.ndarray       # [online channel, sku] share of inspected units sold again (0: perishables)
    to_store: np.ndarray         # [online channel] share of returns a customer takes to a store
    courier_days: np.ndarray     # [online channel] whole days from pick-up to the warehouse
    inspection_days: np.ndarray  # [online channel] whole days of inspection at the receiving node
    courier_cost: np.ndarray     # [online channel] per unit returned by courier
    days_to_return: list         # [online channel] Distribution of days from delivery to the return starting (None: no returns)
    store_by_zone: np.ndarray    # [zone, rank] store rows nearest the zone first, -1 padded
    courier_row: np.ndarray      # [zone] the row a courier return is received at (split: the warehouse's online stock)
    lane_row: np.ndarray         # [row] split: the row a store's returns ride back to (-1: pool, none)
    handling_cost: np.ndarray    # [node type code] per unit received
    lane_every_days: int
    lane_lead_days: int
    lane_cost: float
    split: bool


def compile_returns(sc: Scenario, world) -> ReturnPlan | None:
    """The scenario's returns as arrays (None when no channel returns anything)."""
    spec = sc.returns
    if not spec.active:
        return None
    skus, n_ch = world.skus, len(ONLINE_CHANNELS)
    rate, resellable = np.zeros((n_ch, skus.size)), np.zeros((n_ch, skus.size))
    to_store, courier_cost = np.zeros(n_ch), np.zeros(n_ch)
    courier_days, inspection_days = np.ones(n_ch, np.int64), np.zeros(n_ch, np.int64)
    days: list = [None] * n_ch
    perishable = skus.shelf_life_days > 0
    for c, name in enumerate(ONLINE_CHANNELS):
        channel = spec.channel(name)
        if channel is None:
            continue
        rate[c] = channel.rate
        if skus.return_rate is not None:
            rate[c] = np.where(np.isnan(skus.return_rate), channel.rate, skus.return_rate)
        resellable[c] = np.where(perishable, 0.0, channel.resellable_share)
        to_store[c], courier_cost[c] = channel.to_store, channel.courier_cost_per_unit
        courier_days[c], inspection_days[c], days[c] = channel.courier_days, channel.inspection_days, channel.days_to_return

    index = {n.id: i for i, n in enumerate(sc.network.nodes)}
    twin = {int(world.twin_of[r]): r for r in world.online_rows}  # a warehouse's online stock (split mode)
    by_zone = [[index[c.node] for c in stores_by_distance(sc, zone)] for zone in sc.network.zones]  # checked: none empty if routed
    store_by_zone = np.full((len(by_zone), max([len(z) for z in by_zone] + [1])), -1, np.int64)
    for z, rows in enumerate(by_zone):
        store_by_zone[z, : len(rows)] = rows
    central = [index[zone_central(sc, zone)] for zone in sc.network.zones]
    courier_row = np.array([twin.get(row, row) for row in central], np.int64)
    split = sc.policies.inventory_mode == "split"
    lane_row = np.full(world.n_nodes, -1, np.int64)
    if split:
        for row in world.store_rows:
            root = int(row)
            while world.source[root] >= 0 and world.node_type[root] != CENTRAL_CODE:
                root = int(world.source[root])
            lane_row[row] = twin.get(root, root)
    handling = np.array([getattr(spec.handling_cost_per_unit, t, 0.0) for t in NODE_TYPES])  # no return reaches a forward warehouse
    lane = spec.reverse_lane
    return ReturnPlan(rate, resellable, to_store, courier_days, inspection_days, courier_cost, days, store_by_zone,
                      courier_row, lane_row, handling, lane.every_days, lane.lead_time_days, lane.cost_per_unit, split)
