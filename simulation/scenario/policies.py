"""The policies and replenishment sections: inventory mode, sourcing, transfers, shock response and
the replenishment policy of each node type."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from simulation.scenario.distributions import MAX_CV, Spec
from simulation.scenario.levels import ClassTarget, Level
from simulation.scenario.vocabulary import VELOCITY_CLASSES, Days, Money, Share, VelocityClass


class Transfers(Spec):
    """Rebalancing (调拨): every ``period_days`` (from ``offset_days``), among the nodes of each of ``node_types``,
    the moves of ``directions`` in their order: ``lateral``, a node whose on hand is above ``excess_cover_days``
    of its mean demand gives the excess to nodes of its type whose inventory position is below
    ``target_cover_days``, largest need first, arriving ``lead_time_days`` later at ``cost_per_unit``;
    ``top_up``, a node still below ``target_cover_days`` is sent the gap by the node that supplies it, from the
    stock that node does not owe its children (the lane's mean lead time and cost per unit); ``pull_back``,
    what a node still holds above both ``excess_cover_days`` and its own order-up-to level goes back to the node
    that supplies it (the lane reversed). Lanes that ship cases move whole cases. Emergency transfers during
    shocks (``policies.shock_response: respond``) use the lateral lanes daily."""

    shorthand: ClassVar[str] = "rule"  # ``transfers: rebalance`` is ``{rule: rebalance}``
    rule: Literal["none", "rebalance"] = "none"
    period_days: int = Field(7, ge=1)
    offset_days: int = Field(0, ge=0)
    node_types: list[Literal["forward_warehouse", "store"]] = Field(["store"], min_length=1)
    directions: list[Literal["lateral", "top_up", "pull_back"]] = Field(
        ["lateral"], min_length=1, description="which moves, in this order: between nodes of a type, from the node that "
                                               "supplies them, back to it")
    excess_cover_days: Days = 21.0
    target_cover_days: Days = 7.0
    lead_time_days: int = Field(1, ge=1, description="lateral and emergency transfers' lead time")
    cost_per_unit: Money = Field(0.1, description="lateral and emergency transfers' cost per unit")

    @model_validator(mode="before")
    @classmethod
    def _rule_name(cls, data):
        return {"rule": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _covers(self) -> Transfers:
        if len(set(self.directions)) < len(self.directions):
            raise ValueError(f"directions: each at most once, got {self.directions}")
        if self.target_cover_days >= self.excess_cover_days:
            raise ValueError(f"target_cover_days: must be < excess_cover_days ({self.excess_cover_days:g}), "
                             f"got {self.target_cover_days:g}")
        return self


class Allocation(Spec):
    """Who is served first where one stock meets both online orders and the replenishment requests of the nodes
    it supplies: a central warehouse under one pool (its stores and forward warehouses), and under split stock
    the warehouse's online stock (its forward warehouses). Requests are filled at the evening review, after the
    day's online orders; a rule other than ``online_first`` keeps units back from online orders for them."""

    shorthand: ClassVar[str] = "rule"
    rule: Literal["online_first", "first_come", "store_first", "reserve"] = Field(
        "online_first", description="online_first: online orders take any unit on hand, the supplied nodes get what is "
        "left; first_come: requests in the order they are placed, so online orders cannot take the units the node still "
        "owes the nodes it supplies; store_first: nor the units those nodes would order if they reviewed now (their open "
        "need); reserve: online orders cannot take reserve_days of the supplied nodes' planned demand")
    reserve_days: Days | dict[VelocityClass, Annotated[float, Field(ge=0, le=10_000)]] | None = Field(
        None, description="rule reserve: days of the supplied nodes' planned demand kept from online orders, one number "
                          "or by velocity class (A: the fastest SKUs making up 80% of units, B: the next 15%, C: the rest; "
                          "a class not named keeps none)")

    @model_validator(mode="before")
    @classmethod
    def _rule_name(cls, data):
        return {"rule": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _days_with_reserve(self) -> Allocation:
        if self.rule == "reserve" and self.reserve_days is None:
            raise ValueError("reserve_days: rule 'reserve' needs it")
        if self.rule != "reserve" and self.reserve_days is not None:
            raise ValueError(f"reserve_days: means nothing with rule {self.rule!r} (it needs rule 'reserve')")
        return self

    def days_by_class(self) -> tuple[float, ...]:
        """Reserve days per velocity class, in VELOCITY_CLASSES order (0 where none)."""
        days = self.reserve_days
        if days is None:
            return (0.0,) * len(VELOCITY_CLASSES)
        by_class = {str(c): float(v) for c, v in days.items()} if isinstance(days, dict) else dict.fromkeys(VELOCITY_CLASSES, float(days))
        return tuple(by_class.get(c, 0.0) for c in VELOCITY_CLASSES)


class Ranging(Spec):
    """Which SKUs each store stocks: all, the ``top`` fastest movers, those whose planned walk-in demand
    at the store (catalog rate x the store's demand_scale) is at least ``min_daily_units``, or the
    (store, sku) pairs of a CSV ``file`` (relative to the scenario file)."""

    rule: Literal["all", "top", "min_daily_units", "file"] = "all"
    top: int | None = Field(None, ge=1, description="rule top: the number of fastest-moving SKUs each store ranges")
    min_daily_units: float | None = Field(None, gt=0, le=1e6, description="rule min_daily_units: the velocity threshold")
    file: str | None = Field(None, description="rule file: a CSV with columns store, sku; one row per SKU a store ranges")

    @model_validator(mode="after")
    def _parameter_of_the_rule(self) -> Ranging:
        wanted = {"all": None, "top": "top", "min_daily_units": "min_daily_units", "file": "file"}[self.rule]
        for name in ("top", "min_daily_units", "file"):
            given = getattr(self, name) is not None
            if name == wanted and not given:
                raise ValueError(f"{name}: rule {self.rule!r} needs it")
            if name != wanted and given:
                raise ValueError(f"{name}: means nothing with rule {self.rule!r}")
        return self


class WalkInToOnlineSettings(Spec):
    """Shares of walk-in demand that become online orders from the store's zone, sourced as any order of their
    channel: under one pool from the pool, under split stock from the online channel's own stock (the shopper
    orders from the online store). The rest is lost."""

    unmet_share: Share = Field(0.0, description="walk-in recapture: share of ranged units the shelf could not serve")
    unranged_share: Share = Field(0.0, description="endless aisle: share of units asked for SKUs the store does not range")
    channel: Literal["home_delivery", "bopis"] = Field("home_delivery", description="the online channel they order through")


class StoreRecordsSettings(Spec):
    """Store stock records that drift from the shelf (phantom stock), and how often the online platform
    receives them. Replenishment orders against the record; online sourcing and BOPIS customers see the
    record as last synced; shoppers and pickers take from the shelf. Off by default (records exact, synced
    in real time)."""

    shrink_share: float = Field(0.0, ge=0, le=0.5, description="units that leave a store's shelves unrecorded (theft, "
                                "damage, mislaid), as a share of units sold there")
    scan_error_rate: Share = Field(0.0, description="chance a unit sold is mis-recorded: the record ends one unit high "
                                                    "or low (equally likely)")
    count_interval_days: int = Field(0, ge=0, le=10_000, description="every store-SKU is counted and its record set to "
                                     "the shelf once in this many days, staggered (0: never)")
    sync_interval_hours: float = Field(0.0, ge=0, le=24 * 28, description="the online platform receives each store's stock "
                                       "every this many hours: walk-in sales since show as stock (0: in real time)")
    lost_sync_share: float = Field(0.0, ge=0, lt=1, description="chance a store's sync does not arrive (the platform keeps "
                                   "the last one that did)")

    @property
    def active(self) -> bool:
        return bool(self.shrink_share or self.scan_error_rate)

    @model_validator(mode="after")
    def _syncs(self) -> StoreRecordsSettings:
        if self.lost_sync_share and not self.sync_interval_hours:
            raise ValueError("lost_sync_share: means nothing with sync_interval_hours 0 (records reach the platform in real time)")
        return self


class Policies(Spec):
    """Who owns stock and which node serves each online order (README: "Fulfilment policies")."""

    inventory_mode: Literal["split", "pool"] = Field(
        "split", description="split: each channel its own stock; pool: one stock per node for every channel")
    sourcing: Literal["nearest", "min_cost", "single_node_first"] = "nearest"
    instant_radius_km: float = Field(3.0, gt=0, le=1e5, description="instant orders only from nodes this close to the zone")
    local_radius_km: float = Field(10.0, gt=0, le=1e5, description="pool: forward warehouses and ship-from-stores this close "
                                   "may send home deliveries")
    bopis_choices: int = Field(3, ge=1, le=50, description="BOPIS customers choose among this many nearest stores")
    store_protection_units: int = Field(0, ge=0, description="pool: units per SKU a store keeps back from "
                                                             "home-delivery and instant orders")
    parcel_capacity_share: Share = Field(0.5, description="share of a forward warehouse's or store's daily picking "
                                                          "capacity home deliveries may take (the rest: instant, BOPIS)")
    picking: Literal["first_come", "due_first"] = Field(
        "first_come", description="the order pickers take next at a node: the first to arrive, or the one due soonest "
                                  "(its promise) among those waiting, within each day's release (a backlog scheduled "
                                  "past midnight keeps its place when the next day's orders come)")
    transfers: Transfers = Transfers()
    allocation: Allocation = Allocation()
    ranging: Ranging = Ranging()
    walk_in_to_online: WalkInToOnlineSettings = WalkInToOnlineSettings()
    store_records: StoreRecordsSettings = StoreRecordsSettings()
    shock_response: Literal["none", "respond"] = Field(
        "none", description="respond: pre-position stock at nodes a shock will hit (from its warning) and "
                            "send them emergency transfers while it lasts")


class PolicyBase(Spec):
    review_period_days: int = Field(1, ge=1)
    review_offset_days: int = Field(0, ge=0)
    service_level: float = Field(0.95, gt=0, lt=1, description="cycle service level (the chance a review cycle ends "
                                 "with no stockout) for levels not given explicitly")
    fill_rate: float | None = Field(None, gt=0, lt=1, description="instead of service_level: the share of demand units "
                                    "met from stock that levels not given explicitly are sized for (order_up_to, base_stock)")
    order_cover_days: Days = Field(7.0, description="order size in days of mean demand (min_max, reorder_qty, "
                                   "fixed_quantity)")
    presentation_units: int = Field(0, ge=0, le=10_000, description="display minimum: no level below it, for every SKU "
                                    "(stores also take the catalog's per-SKU presentation_units, the larger of the two)")
    by_class: dict[VelocityClass, ClassTarget] | None = Field(
        None, description="targets by velocity class for the levels sized here (A: the fastest SKUs making up 80% of the "
                          "catalog's units, B: the next 15%, C: the rest); a class not named keeps service_level or fill_rate")
    by_group: dict[str, ClassTarget] | None = Field(
        None, description="targets by the catalog's SKU groups (catalog.groups, or a catalog file's group column): a SKU in "
                          "a group named here takes its group's target before its velocity class's")
    # Fill-rate sizing is the (R, S) formula: policies with a reorder point or a moving level refuse it.
    sizes_fill_rate: ClassVar[bool] = False

    @model_validator(mode="after")
    def _one_target(self):
        if self.fill_rate is not None and "service_level" in self.model_fields_set:
            raise ValueError("give service_level or fill_rate, not both (a scenario that extends another keeps what it "
                             "does not name: set the other to null)")
        levels = [name for name, value in self if isinstance(value, Level) and value.fill_rate is not None]
        by_fill = [f"by_class {c}" for c, t in (self.by_class or {}).items() if t.fill_rate is not None]
        by_fill += [f"by_group {g}" for g, t in (self.by_group or {}).items() if t.fill_rate is not None]
        if not self.sizes_fill_rate and (self.fill_rate is not None or levels or by_fill):
            where = f" ({', '.join(by_fill)})" if by_fill and self.fill_rate is None and not levels else ""
            raise ValueError(f"fill_rate sizes order-up-to levels (order_up_to, base_stock); "
                             f"{self.policy} takes service_level{where}")  # type: ignore[attr-defined]
        return self

    def targets(self) -> tuple[tuple[float, float | None], ...]:
        """(service level, fill rate or None) per velocity class in VELOCITY_CLASSES order: the class's own target
        where ``by_class`` names it, else the policy's. A fill rate, where given, is what sizes the level."""
        own = (self.service_level, self.fill_rate)
        by_class = self.by_class or {}
        return tuple(own if c not in by_class else (by_class[c].service_level or self.service_level, by_class[c].fill_rate)
                     for c in VELOCITY_CLASSES)

    def group_targets(self) -> dict[str, tuple[float, float | None]]:
        """(service level, fill rate or None) per SKU group ``by_group`` names; these come before the classes'."""
        return {g: (t.service_level or self.service_level, t.fill_rate) for g, t in (self.by_group or {}).items()}


class LotSized(PolicyBase):
    lot_size: Literal["cover", "eoq"] = Field(
        "cover", description="order size when not given: order_cover_days of mean demand, or the economic order "
                             "quantity sqrt(2 x demand x the lane's cost_per_order / holding cost)")


class MinMaxSpec(LotSized):
    """(s, S): when inventory position <= s, order up to S."""

    policy: Literal["min_max"]
    s: Level | None = None
    S: Level | None = None


class ReorderQtySpec(LotSized):
    """(s, Q): when inventory position <= s, order the smallest multiple of Q that lifts it above s."""

    policy: Literal["reorder_qty"]
    s: Level | None = None
    Q: Level | None = None


class FixedQuantitySpec(LotSized):
    """(R, s, Q): every R days, when inventory position <= s, order one lot of Q (the store's fixed order: a
    standing quantity, whatever the gap; Q default: order_cover_days of mean demand, or the EOQ)."""

    policy: Literal["fixed_quantity"]
    review_period_days: int = Field(7, ge=1)
    s: Level | None = None
    Q: Level | None = None

    @model_validator(mode="after")
    def _a_lot(self) -> FixedQuantitySpec:
        if self.Q is not None and self.Q.units == 0:
            raise ValueError("Q: a lot of 0 units orders nothing; give Q >= 1")
        return self


class OrderUpToSpec(PolicyBase):
    """(R, S): every R days order up to S."""

    policy: Literal["order_up_to"]
    review_period_days: int = Field(7, ge=1)
    S: Level | None = None
    sizes_fill_rate: ClassVar[bool] = True


class BaseStockSpec(PolicyBase):
    """Base stock S: review every day and replace what was used (one-for-one)."""

    policy: Literal["base_stock"]
    S: Level | None = None
    sizes_fill_rate: ClassVar[bool] = True

    @model_validator(mode="after")
    def _daily(self) -> BaseStockSpec:
        if self.review_period_days != 1:
            raise ValueError("base_stock reviews every day; use order_up_to for a longer review period")
        return self


class ForecastSpec(PolicyBase):
    """Order up to the forecast over the protection period (lead time + review - 1 days) plus z standard
    deviations of its error there, the forecast kept by exponential smoothing of what the node records."""

    policy: Literal["forecast_order_up_to"]
    alpha: float = Field(0.2, gt=0, le=1, description="smoothing weight of the newest day")
    learn_from: Literal["sales", "demand"] = Field(
        "sales", description="sales: what the node's system records (units sold, orders taken, requests of the nodes it "
                             "supplies); a day whose record ends empty at a node that turns customers away is censored and "
                             "learnt from its conditional mean under the current forecast (EM's expectation step); demand: "
                             "every unit asked for, met or not, an oracle no store system has")


class ForecastError(Spec):
    """How far a forecast of a day's mean demand is from the truth: the true mean times (1 + bias) times a
    lognormal factor with mean 1 and this cv, drawn afresh per node and SKU at every review."""

    bias: float = Field(0.0, gt=-1, le=10, description="relative bias: 0.2 forecasts 20% too much")
    cv: float = Field(0.0, ge=0, le=MAX_CV, description="spread of the error across node-SKUs and reviews")


class CalendarForecastSpec(PolicyBase):
    """Order up to the forecast demand over the protection period plus safety stock, where the forecast knows
    the calendar: the weekday and month profile, every promotion (the retailer announces its own), and each
    shock from its ``warning_days`` before it starts; with a stated forecast error. With no error and a flat
    calendar it is ``order_up_to`` at the same service level, level for level."""

    policy: Literal["calendar_order_up_to"]
    error: ForecastError = ForecastError()


class PushSpec(PolicyBase):
    """Push allocation (the practice before one pool): every review period the source sends each node its
    planned demand for the next ``horizon_days``, whatever the node holds; the node never orders."""

    policy: Literal["push"]
    review_period_days: int = Field(7, ge=1)
    horizon_days: Days | None = Field(None, description="days of planned demand sent each time (default: the review period)")


ReplenishmentSpec = Annotated[
    MinMaxSpec | ReorderQtySpec | FixedQuantitySpec | OrderUpToSpec | BaseStockSpec | ForecastSpec | CalendarForecastSpec
    | PushSpec,
    Field(discriminator="policy"),
]


class PlanningError(Spec):
    """How far the planner's demand estimate is from the truth, per node and SKU: the mean used to size
    levels is the true one times (1 + bias) times a lognormal factor with mean 1 and this cv, fixed by
    catalog.seed (a forecasting policy starts from it and then learns the real demand)."""

    bias: float = Field(0.0, gt=-1, le=10, description="relative bias of the planned mean: 0.2 plans 20% too much")
    cv: float = Field(0.0, ge=0, le=MAX_CV, description="spread of the error across node-SKUs")


class OnlineSizing(Spec):
    """Which online demand a node's levels are sized for. ``first_choice``: each zone's online demand, per
    channel, at the node the sourcing rule tries first. ``served``: at the nodes that actually served it in
    a pilot run (the scenario over ``run.warmup_days + pilot_days`` days, seeded by ``run.seed``, the same
    for every replication and seed), in the shares they served; orders that go past an empty or busy first
    choice, and BOPIS customers who choose another store, are then planned for where they land."""

    rule: Literal["first_choice", "served"] = "first_choice"
    pilot_days: int = Field(28, ge=7, le=366, description="rule served: days the pilot measures after its warm-up")


# The replenishment sections a node type's rows follow (the online stock: a central warehouse's, when given).
POLICY_GROUPS = ("central_warehouse", "forward_warehouse", "store", "online_stock")


class ReplenishmentSettings(Spec):
    rationing: Literal["proportional", "priority"] = Field(
        "proportional", description="how a short source splits stock among requesting nodes")
    central_warehouse: ReplenishmentSpec = OrderUpToSpec(policy="order_up_to", service_level=0.98)
    forward_warehouse: ReplenishmentSpec = BaseStockSpec(policy="base_stock")
    store: ReplenishmentSpec = BaseStockSpec(policy="base_stock")
    planning_error: PlanningError = PlanningError()
    online_sizing: OnlineSizing = OnlineSizing()
    online_stock: ReplenishmentSpec | None = Field(
        None, description="split mode: the policy of a central warehouse's online stock (default: the central_warehouse's)")
