"""Walk-in recapture and the endless aisle: shares of the walk-in demand a store's shelf could not meet
(recapture) or that asked for SKUs the store does not range (endless aisle) become online orders from the
store's zone, sourced like any other order of their channel: under one pool from the pool, under split
stock from the online channel's own stock (a home delivery from the warehouse's online stock).

Converted units are drawn binomially from a stream of their own ('recapture'), so no other stream moves.
"""

from __future__ import annotations

import numpy as np

from simulation.engine.demand import DrawnOrders, OrderBatch, OrderGenerator
from simulation.scenario import ONLINE_CHANNELS
from simulation.scenario.policies import WalkInToOnlineSettings
from simulation.world.network import World

# Per store, as walk_in_converted reports them: recaptured units, endless-aisle units, their margin.
RECAPTURED, ENDLESS_AISLE, MARGIN = range(3)


class WalkInToOnline:
    """Reads the walk-in step's demand and sales at the stores and turns shares of what went unmet into
    one-line online orders (one per store and SKU with converted units)."""

    def __init__(self, rule: WalkInToOnlineSettings, world: World, orders: OrderGenerator | None, rng: np.random.Generator):
        self.world, self.orders, self.rng = world, orders, rng
        self.unmet_share, self.unranged_share = rule.unmet_share, rule.unranged_share
        self.channel = ONLINE_CHANNELS.index(rule.channel)
        self.active = bool(self.unmet_share or self.unranged_share) and orders is not None
        if self.active:
            stores = world.store_rows
            self.zone = world.node_zone[stores]
            self.open_hour, self.close_hour = world.open_hour[stores].astype(float), world.close_hour[stores].astype(float)
        self.margin = world.skus.price - world.skus.unit_cost

    def before(self, state) -> None:
        """Remember the stores' demand and sales before the walk-in step."""
        s = self.world.store_rows
        self.asked, self.sold = state.today_demand[s].copy(), state.today_sold[s].copy()

    def convert(self, day: int, state, stretch: np.ndarray | None = None) -> tuple[DrawnOrders, np.ndarray]:
        """Today's converted orders (with their record uniforms and picking work; the caller draws the rest)
        and, per store, the units recaptured and sent down the endless aisle and their margin.
        ``stretch``: the shocks' transit stretch per zone."""
        w, rng = self.world, self.rng
        s = w.store_rows
        unmet = (state.today_demand[s] - self.asked) - (state.today_sold[s] - self.sold)
        ranged = np.ones(unmet.shape, bool) if w.ranged is None else w.ranged
        share = np.where(ranged, self.unmet_share, self.unranged_share)
        where = np.flatnonzero((unmet > 0) & (share > 0))
        converted = np.zeros(unmet.shape, np.int64)
        converted.flat[where] = rng.binomial(unmet.flat[where], share.flat[where])
        store, sku = np.nonzero(converted)
        qty = converted[store, sku]
        per_store = np.zeros((s.size, 3))
        np.add.at(per_store[:, RECAPTURED], store, np.where(ranged[store, sku], qty, 0))
        np.add.at(per_store[:, ENDLESS_AISLE], store, np.where(ranged[store, sku], 0, qty))
        np.add.at(per_store[:, MARGIN], store, qty * self.margin[sku])
        n = store.size
        zone, channel = self.zone[store], np.full(n, self.channel, np.int64)
        hour = 24.0 * day + self.open_hour[store] + rng.random(n) * (self.close_hour[store] - self.open_hour[store])
        transit = self.orders.transit(zone, channel, rng, stretch)
        order = np.argsort(hour, kind="stable")
        batch = OrderBatch(zone=zone[order], channel=channel, hour=hour[order], transit=transit[0, order],
                           transit_local=transit[1, order], line_order=np.arange(n), line_sku=sku[order],
                           line_qty=qty[order].astype(np.int64))
        return DrawnOrders(batch, fail_u=rng.random(n), work=rng.exponential(size=n), sync_u=None, returns=None), per_store
