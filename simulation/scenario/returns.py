"""The returns section: online units customers send back, how they travel, and what becomes of them.

Per online channel (none by default: every delivered unit is kept). A returned unit travels by courier to the
zone's central warehouse, or the customer takes it to the store nearest the zone; it is inspected there, and
the resellable share goes back to sellable stock (perishables never do). Under ``split`` stock a store may
not sell an online return: it goes back over the reverse lane to the warehouse's online stock.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.scenario.distributions import Distribution, Gamma, Spec
from simulation.scenario.vocabulary import Money, Share


class ChannelReturns(Spec):
    """Returns of one online channel's delivered units."""

    rate: Share = Field(0.0, description="share of delivered units returned (a catalog file's return_rate column overrides it per SKU)")
    days_to_return: Distribution = Field(Gamma(kind="gamma", mean=7.0, cv=0.5),
                                         description="days from delivery to the return starting (the customer's keeping time)")
    route: Literal["courier", "store", "mixed"] = Field(
        "courier", description="courier: picked up and carried to the zone's central warehouse; store: taken to the store "
        "nearest the zone; mixed: store_share of returns to a store, the rest by courier")
    store_share: Share | None = Field(None, description="mixed route only: the share of returns taken to a store")
    courier_days: int = Field(2, ge=1, le=60, description="whole days from courier pick-up to arrival at the warehouse")
    inspection_days: int = Field(1, ge=0, le=60, description="whole days of inspection at the receiving node")
    resellable_share: Share = Field(0.8, description="share of inspected units fit to sell again; the rest are written off")
    courier_cost_per_unit: Money = Field(1.0, description="reverse courier cost per unit returned by courier")

    @model_validator(mode="after")
    def _share_with_mixed(self) -> ChannelReturns:
        if self.route == "mixed" and self.store_share is None:
            raise ValueError("store_share: a mixed route needs the share of returns taken to a store")
        if self.route != "mixed" and self.store_share is not None:
            raise ValueError(f"store_share: only a mixed route splits returns, got route {self.route!r}")
        return self

    @property
    def to_store(self) -> float:
        """The share of returns taken to a store."""
        return {"courier": 0.0, "store": 1.0}.get(self.route, self.store_share or 0.0)


class ReverseLane(Spec):
    """Split stock: a store's online returns ride back to its central warehouse's online stock on a lane that
    leaves every ``every_days`` days (days 0, every_days, ...)."""

    every_days: int = Field(7, ge=1, le=365)
    lead_time_days: int = Field(2, ge=1, le=60)
    cost_per_unit: Money = 0.2


class HandlingCost(Spec):
    """Receiving, inspecting and re-labelling one returned unit, by the type of node that receives it: a courier
    brings returns to the central warehouse, a customer to a store counter (slowest)."""

    central_warehouse: Money = 0.5
    store: Money = 1.0


class Returns(Spec):
    bopis: ChannelReturns | None = None
    home_delivery: ChannelReturns | None = None
    instant: ChannelReturns | None = None
    handling_cost_per_unit: HandlingCost = HandlingCost()
    reverse_lane: ReverseLane = ReverseLane()

    def channel(self, name: str) -> ChannelReturns | None:
        return getattr(self, name)

    @property
    def active(self) -> bool:
        """Any online channel has a returns section (its rate may be 0: the reverse flow then runs and moves nothing)."""
        return any(getattr(self, name) is not None for name in ("bopis", "home_delivery", "instant"))
