"""The demand section: walk-in and online demand, promotions and shocks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.scenario.distributions import MAX_CV, Spec
from simulation.scenario.vocabulary import CHANNELS, ChannelName, Factor, Share


class _Window(Spec):
    """Something on the calendar over days [start_day, end_day), touching a share of SKUs (the fastest movers
    first) or the SKUs of named catalog groups."""

    name: str
    start_day: int = Field(ge=0)
    end_day: int = Field(gt=0)
    sku_groups: list[str] = Field(default_factory=list, description="catalog groups (catalog.groups or a file's group "
                                                                    "column) whose SKUs it touches, instead of sku_share")

    @model_validator(mode="after")
    def _days(self):
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day: must be > start_day ({self.start_day}), got {self.end_day}")
        if self.sku_groups and "sku_share" in self.model_fields_set:
            raise ValueError("give sku_share or sku_groups, not both")
        return self


class Promotion(_Window):
    """A demand lift on some channels (and optionally a share of SKUs)."""

    lift: float = Field(gt=0, le=1e4, description="demand multiplier while the promotion runs")
    channels: list[ChannelName] = list(CHANNELS)
    sku_share: Share = Field(1.0, description="share of SKUs promoted (the fastest movers first)")
    cannibalise: dict[Literal["walk_in", "bopis", "home_delivery", "instant"], Share] = Field(
        default_factory=dict, description="share of each other channel's demand (all SKUs) the promotion takes away")

    @model_validator(mode="after")
    def _not_self(self) -> Promotion:
        both = sorted(set(self.cannibalise) & set(self.channels))
        if both:
            raise ValueError(f"cannibalise: {both} are also promoted; a promotion lifts some channels and takes from others")
        return self


class Shock(_Window):
    """A disruption (typhoon, rainstorm) at some nodes and zones."""

    nodes: list[str] = Field(default_factory=list)
    zones: list[str] = Field(default_factory=list)
    capacity_factor: Share = Field(1.0, description="picking capacity and store opening (0 closes the node)")
    lead_time_factor: float = Field(1.0, ge=1, le=100, description="stretch of lead times on lanes into and out of the nodes")
    transit_factor: float = Field(1.0, ge=1, le=100, description="stretch of last-mile transit to the zones (flooded roads) "
                                                                 "for orders placed while it lasts")
    walk_in_factor: Share = Field(1.0, description="share of shoppers a store still takes while it lasts (0: closed to "
                                                   "walk-in; its pickers still serve online orders at capacity_factor)")
    closes_lanes: bool = Field(False, description="nothing ships into or out of the nodes on replenishment lanes while it "
                                                  "lasts: their orders, and what they owe, wait until it ends")
    demand_factor: Factor = Field(1.0, description="demand multiplier at the nodes and zones")
    sku_share: Share = Field(1.0, description="share of SKUs whose demand is multiplied (the fastest movers first)")
    warning_days: int = Field(2, ge=0, description="days of notice before start_day (forecast), for a response plan")


def _default_hourly() -> list[float]:
    # Online orders by hour of day: a quiet night, a lunchtime bump and an evening peak.
    return [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.8, 1.0, 1.1, 1.2, 1.4,
            1.5, 1.3, 1.1, 1.1, 1.2, 1.4, 1.7, 2.0, 2.1, 1.8, 1.2, 0.6]


class Online(Spec):
    channel_mix: dict[Literal["bopis", "home_delivery", "instant"], Share] = {
        "bopis": 0.25, "home_delivery": 0.6, "instant": 0.15}
    basket_lines_mean: float = Field(2.0, ge=1, le=1000, description="order lines per order: 1 + Poisson(mean - 1)")
    units_per_line_mean: float = Field(1.0, ge=1, le=1000, description="units per line: 1 + Poisson(mean - 1)")
    hourly_profile: list[Factor] = Field(default_factory=_default_hourly, min_length=24, max_length=24)


class Trace(Spec):
    """A recorded history that drives demand instead of the model's draws (``invsim history`` writes one; an
    analyst's own sales and order log are read the same way): walk-in units per store, SKU and day from
    ``sales``, online orders line by line from ``orders``. Either may be left out, and the model draws that
    part. Replications of an exact replay differ only in the other streams (lead times, transit, picking)."""

    sales: str | None = Field(None, description="walk-in units wanted per store, SKU and day (CSV or Parquet; columns "
                                                "day or date, location, sku, units, optional channel)")
    orders: str | None = Field(None, description="online order lines (CSV or Parquet; columns order_id, day and hour or "
                                                 "time, zone, channel, sku, units)")
    mode: Literal["exact", "block_bootstrap"] = Field("exact", description="exact: the history day by day; block_bootstrap: "
                                                      "each replication resamples whole blocks of days (stream 'bootstrap')")
    block_days: int = Field(7, ge=1, le=366, description="days per resampled block (a week keeps the weekday pattern)")

    @model_validator(mode="after")
    def _something(self) -> Trace:
        if self.sales is None and self.orders is None:
            raise ValueError("give sales, orders or both (the history to replay)")
        return self


class Demand(Spec):
    weekday: list[Factor] = Field([1.0] * 7, min_length=7, max_length=7,
                                                         description="multipliers Monday..Sunday")
    monthly: list[Factor] = Field([1.0] * 12, min_length=12, max_length=12)
    online: Online = Online()
    promotions: list[Promotion] = Field(default_factory=list)
    shocks: list[Shock] = Field(default_factory=list)
    trace: Trace | None = Field(None, description="replay a recorded history instead of drawing demand")
    store_mix_cv: float = Field(0.0, ge=0, le=MAX_CV, description=(
        "spread of each store's own SKU mix: walk-in demand of SKU k at store i is multiplied by a lognormal "
        "factor with mean 1 and this cv, fixed by catalog.seed; planners do not know it (forecasts learn it)"))
    store_mix_file: str | None = Field(None, description=(
        "each store's own SKU mix as a table (CSV or Parquet: location, sku, multiplier; pairs not listed are 1), "
        "e.g. invsim fit's store_mix.parquet; instead of store_mix_cv, and like it unknown to planners"))

    @model_validator(mode="after")
    def _one_mix(self) -> Demand:
        if self.store_mix_cv and self.store_mix_file:
            raise ValueError("give store_mix_cv (a drawn mix) or store_mix_file (a table), not both")
        return self
