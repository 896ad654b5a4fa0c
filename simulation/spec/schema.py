"""The scenario: a validated, immutable description of one simulated world.

``load_scenario`` reads YAML with PyYAML's safe loader (refusing duplicate keys and alias bombs),
applies dotted-path overrides, validates with pydantic into frozen objects (finite numbers within
sane bounds), then checks cross-references (lanes name real nodes, tiers are covered, warm-up is
shorter than the horizon, ...). Every problem becomes one line naming its field path;
they are raised together as a :class:`ScenarioError`. The run never writes into a scenario.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from simulation.spec.distributions import MAX_CV, MAX_TIME, Distribution, Spec

NodeType = Literal["central_warehouse", "forward_warehouse", "store"]
NODE_TYPES: tuple[str, ...] = ("central_warehouse", "forward_warehouse", "store")
TIERS: tuple = (1, 2, 3, 4, "remote")


def _tier_from_text(value):
    """YAML keys and JSON round trips give tiers as text: accept "2" for 2."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


Tier = Annotated[Literal[1, 2, 3, 4, "remote"], BeforeValidator(_tier_from_text)]
ONLINE_CHANNELS: tuple[str, ...] = ("bopis", "home_delivery", "instant")
CHANNELS: tuple[str, ...] = ("walk_in", *ONLINE_CHANNELS)
SUPPLIER = "supplier"

Share = Annotated[float, Field(ge=0, le=1)]
# Upper bounds far past any real network that keep every product of them finite (the fuzzer found
# 1e300s turning into inf and NaN deep inside runs).
Money = Annotated[float, Field(ge=0, le=1e9)]               # a cost per unit, order or shipment
Factor = Annotated[float, Field(ge=0, le=1e4)]              # a demand scale, lift, or relative weight
Hours = Annotated[float, Field(ge=0, le=MAX_TIME)]
Days = Annotated[float, Field(gt=0, le=MAX_TIME)]


class ScenarioError(ValueError):
    """A scenario (or an override) is invalid. ``problems`` holds one line per problem."""

    what = "invalid scenario"

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{self.what} {source}" if source else self.what
        super().__init__(f"{head}: {len(self.problems)} problem(s)\n" + "\n".join(f"  {p}" for p in self.problems))

    def __reduce__(self):
        # Rebuilt from its parts when it crosses a process boundary (a sweep's worker), not from the message.
        return type(self), (self.problems, self.source)


class UsageError(ScenarioError):
    """An argument or an output folder is unusable (not the scenario): a count out of range, a folder
    that is a file or holds other results, a sweep too large to mean it."""

    what = "invalid arguments"


# --------------------------------------------------------------------------------------------- network


Km = Annotated[float, Field(ge=-1e6, le=1e6)]
Location = tuple[Km, Km]


class Node(Spec):
    """A stocking location. Capacity is the picking rate for online orders while open, shared by its
    pickers; parcels leave at the carrier cut-offs."""

    id: str = Field(min_length=1)
    type: NodeType
    location: Location | None = Field(None, description="[x, y] in km; distances rank nodes for sourcing and BOPIS")
    demand_scale: Factor = Field(1.0, description="walk-in demand at a store, in multiples of the catalog rate")
    capacity_orders_per_hour: float = Field(100.0, ge=0.01, le=1e6, description="online orders picked per open hour")
    pickers: int = Field(1, ge=1, le=1000, description="parallel pickers sharing the capacity")
    pick_time: Literal["fixed", "exponential"] = Field("fixed", description="each order's picking time: fixed or exponential")
    open_hour: float = Field(8.0, ge=0, lt=24)
    close_hour: float = Field(22.0, gt=0, le=24)
    carrier_cutoffs_hours: list[Annotated[float, Field(ge=0, lt=24)]] = Field(
        default_factory=list, description="hours of day parcels leave (home delivery); none: as soon as picked")
    ship_from_store: bool = Field(False, description="a store that also fulfils home-delivery and instant orders (pool mode)")
    record_inaccuracy: Share = Field(0.0, description="chance a line sourced here fails because the record shows units the shelf lacks")
    priority: int = Field(0, ge=0, description="rationing priority when the source is short (0 served first)")
    zone: str | None = Field(None, description="the demand zone the store sits in")

    @model_validator(mode="after")
    def _hours(self) -> Node:
        if self.close_hour <= self.open_hour:
            raise ValueError(f"close_hour: must be > open_hour ({self.open_hour}), got {self.close_hour}")
        if self.ship_from_store and self.type != "store":
            raise ValueError(f"ship_from_store: only stores take this flag ({self.type} nodes always fulfil online orders)")
        if "demand_scale" in self.model_fields_set and self.type != "store":
            raise ValueError(f"demand_scale: means nothing for a {self.type} (walk-in demand is at stores; a zone's "
                             "demand_scale scales its online demand)")
        return self


class Zone(Spec):
    """A demand zone (a catchment, district or county) that places online orders."""

    id: str = Field(min_length=1)
    tier: Tier
    location: Location | None = Field(None, description="[x, y] in km of the zone's centre")
    demand_scale: Factor = Field(1.0, description="online demand in multiples of the catalog rate")
    forward_warehouse: str | None = Field(None, description="a forward warehouse that serves the zone's instant orders")
    channel_mix: dict[Literal["bopis", "home_delivery", "instant"], Share] | None = None


class Lane(Spec):
    """Replenishment lane(s) from one source to one or more nodes, with a lead time in days."""

    from_: str = Field(alias="from", min_length=1)
    to: list[str] = Field(min_length=1)
    lead_time_days: Distribution
    cost_per_unit: Money = 0.0

    @model_validator(mode="before")
    @classmethod
    def _single_to(cls, data):
        if isinstance(data, dict) and isinstance(data.get("to"), str):
            data = {**data, "to": [data["to"]]}
        return data


class Network(Spec):
    nodes: list[Node] = Field(min_length=1)
    zones: list[Zone] = Field(default_factory=list)
    lanes: list[Lane] = Field(min_length=1)


# --------------------------------------------------------------------------------------------- catalog


class Popularity(Spec):
    """How per-SKU demand rates are spread: lognormal (sigma) or Zipf (exponent) around the mean; 0 for
    either makes every SKU sell at the mean (identical SKUs, e.g. independent copies for validation)."""

    kind: Literal["lognormal", "zipf"] = "lognormal"
    sigma: float = Field(1.2, ge=0, le=5)
    exponent: float = Field(0.9, ge=0, le=5)


class CostSpread(Spec):
    mean: float = Field(20.0, gt=0, le=1e7)
    cv: float = Field(0.8, ge=0, le=MAX_CV)


class Catalog(Spec):
    """SKUs: generated from a few parameters, or loaded from ``file`` (CSV or Parquet)."""

    skus: int | None = Field(None, ge=1)
    file: str | None = None
    seed: int = Field(0, ge=0, description="catalog generation seed (fixed apart from the run seed)")
    mean_daily_units: float = Field(1.0, gt=0, le=1e6)
    popularity: Popularity = Popularity()
    overdispersion: float = Field(0.0, ge=0, le=100, description="negative binomial alpha: variance = mean + alpha*mean^2")
    unit_cost: CostSpread = CostSpread()
    margin: float = Field(0.35, ge=0, lt=1, description="gross margin: price = cost / (1 - margin)")
    perishable_share: Share = 0.0
    shelf_life_days: int = Field(7, ge=1, le=120)

    @model_validator(mode="after")
    def _one_source(self) -> Catalog:
        if (self.skus is None) == (self.file is None):
            raise ValueError("give exactly one of 'skus' (generate) or 'file' (load)")
        return self


# --------------------------------------------------------------------------------------------- channels


def _single_or_by_tier(value) -> str:
    # A mapping without 'kind' is a per-tier table; anything else is one value for every tier.
    return "by_tier" if isinstance(value, dict) and "kind" not in value else "single"


def ByTier(single):
    """One value for every tier, or a mapping ``{1: ..., 2: ..., remote: ...}``."""
    return Annotated[Annotated[single, Tag("single")] | Annotated[dict[Tier, single], Tag("by_tier")],
                     Discriminator(_single_or_by_tier)]


class Channel(Spec):
    """A sales channel: its promise, transit time to the customer, and what happens to unmet demand."""

    promise_hours: ByTier(Hours) = 24.0
    transit_hours: ByTier(Distribution) = Field(0.0, description="hand-over to delivery, from a central warehouse")
    local_transit_hours: ByTier(Distribution) | None = Field(
        None, description="the same from a forward warehouse or store near the zone (default: transit_hours)")
    dispatch_sla_hours: float = Field(18.0, gt=0, le=MAX_TIME, description="target from order to hand-over to the carrier")
    unfilled: Literal["lost", "backorder"] = "lost"
    max_wait_days: int = Field(3, ge=1, description="a backordered line still open after this many days is cancelled")


def _default_channels() -> dict[str, Channel]:
    return {
        "walk_in": Channel(unfilled="lost"),
        "bopis": Channel(promise_hours=2.0, transit_hours=0.0, unfilled="backorder", max_wait_days=2),
        "home_delivery": Channel(promise_hours=48.0, transit_hours=24.0, local_transit_hours=4.0, unfilled="backorder",
                                 max_wait_days=5),
        "instant": Channel(promise_hours=1.0, transit_hours=0.4, unfilled="lost"),
    }


class Channels(Spec):
    walk_in: Channel = _default_channels()["walk_in"]
    bopis: Channel = _default_channels()["bopis"]
    home_delivery: Channel = _default_channels()["home_delivery"]
    instant: Channel = _default_channels()["instant"]

    @model_validator(mode="after")
    def _walk_in_is_lost(self) -> Channels:
        if self.walk_in.unfilled != "lost":
            raise ValueError("walk_in.unfilled: must be 'lost': a walk-in customer does not wait")
        return self

    @model_validator(mode="after")
    def _no_field_without_effect(self) -> Channels:
        """A field the engine never reads in its context is refused, so a user never tunes a dead knob."""
        problems = [f"walk_in.{f}: means nothing for walk-in customers, who are served at the shelf (only 'unfilled' applies)"
                    for f in sorted(self.walk_in.model_fields_set - {"unfilled"})]
        problems += [f"{name}.max_wait_days: means nothing when unfilled is 'lost' (only backordered lines wait)"
                     for name in ONLINE_CHANNELS
                     if getattr(self, name).unfilled == "lost" and "max_wait_days" in getattr(self, name).model_fields_set]
        if problems:  # one at a time: the describer turns "field: problem" into the field's path
            raise ValueError(problems[0])
        return self


# --------------------------------------------------------------------------------------------- demand


class _Window(Spec):
    """Something on the calendar over days [start_day, end_day)."""

    name: str
    start_day: int = Field(ge=0)
    end_day: int = Field(gt=0)

    @model_validator(mode="after")
    def _days(self):
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day: must be > start_day ({self.start_day}), got {self.end_day}")
        return self


class Promotion(_Window):
    """A demand lift on some channels (and optionally a share of SKUs)."""

    lift: float = Field(gt=0, le=1e4, description="demand multiplier while the promotion runs")
    channels: list[Literal["walk_in", "bopis", "home_delivery", "instant"]] = list(CHANNELS)
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


class Demand(Spec):
    weekday: list[Factor] = Field([1.0] * 7, min_length=7, max_length=7,
                                                         description="multipliers Monday..Sunday")
    monthly: list[Factor] = Field([1.0] * 12, min_length=12, max_length=12)
    online: Online = Online()
    promotions: list[Promotion] = Field(default_factory=list)
    shocks: list[Shock] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------- policies


class Transfers(Spec):
    """Lateral transfers (调拨) between nodes of the same type: every ``period_days`` a node whose stock is
    above ``excess_cover_days`` of its mean demand gives the excess to nodes whose inventory position
    is below ``target_cover_days``, largest need first, arriving ``lead_time_days`` later. Emergency
    transfers during shocks (``policies.shock_response: respond``) use the same lanes daily."""

    rule: Literal["none", "rebalance"] = "none"
    period_days: int = Field(7, ge=1)
    offset_days: int = Field(0, ge=0)
    node_types: list[Literal["forward_warehouse", "store"]] = Field(["store"], min_length=1)
    excess_cover_days: Days = 21.0
    target_cover_days: Days = 7.0
    lead_time_days: int = Field(1, ge=1)
    cost_per_unit: Money = 0.1

    @model_validator(mode="before")
    @classmethod
    def _rule_name(cls, data):
        return {"rule": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _covers(self) -> Transfers:
        if self.target_cover_days >= self.excess_cover_days:
            raise ValueError(f"target_cover_days: must be < excess_cover_days ({self.excess_cover_days:g}), "
                             f"got {self.target_cover_days:g}")
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
    transfers: Transfers = Transfers()
    shock_response: Literal["none", "respond"] = Field(
        "none", description="respond: pre-position stock at nodes a shock will hit (from its warning) and "
                            "send them emergency transfers while it lasts")


class Level(Spec):
    """A stock level for every SKU at a node: exactly one of ``units`` (the same for all SKUs),
    ``days_of_cover`` (mean daily demand x days) or ``service_level`` (cycle service level over the
    protection period, normal approximation)."""

    units: int | None = Field(None, ge=0)
    days_of_cover: float | None = Field(None, ge=0, le=MAX_TIME)
    service_level: float | None = Field(None, gt=0, lt=1)

    @model_validator(mode="before")
    @classmethod
    def _number_is_units(cls, data):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"units": data}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Level:
        given = [k for k in ("units", "days_of_cover", "service_level") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of units, days_of_cover, service_level (got {given or 'none'})")
        return self


class PolicyBase(Spec):
    review_period_days: int = Field(1, ge=1)
    review_offset_days: int = Field(0, ge=0)
    service_level: float = Field(0.95, gt=0, lt=1, description="target for levels not given explicitly")
    order_cover_days: Days = Field(7.0, description="order size in days of mean demand (min_max, reorder_qty)")


class MinMaxSpec(PolicyBase):
    """(s, S): when inventory position <= s, order up to S."""

    policy: Literal["min_max"]
    s: Level | None = None
    S: Level | None = None


class ReorderQtySpec(PolicyBase):
    """(s, Q): when inventory position <= s, order the smallest multiple of Q that lifts it above s."""

    policy: Literal["reorder_qty"]
    s: Level | None = None
    Q: Level | None = None


class OrderUpToSpec(PolicyBase):
    """(R, S): every R days order up to S."""

    policy: Literal["order_up_to"]
    review_period_days: int = Field(7, ge=1)
    S: Level | None = None


class BaseStockSpec(PolicyBase):
    """Base stock S: review every day and replace what was used (one-for-one)."""

    policy: Literal["base_stock"]
    S: Level | None = None

    @model_validator(mode="after")
    def _daily(self) -> BaseStockSpec:
        if self.review_period_days != 1:
            raise ValueError("base_stock reviews every day; use order_up_to for a longer review period")
        return self


class ForecastSpec(PolicyBase):
    """Order up to forecast x (lead time + review) + z * forecast error, with exponential smoothing."""

    policy: Literal["forecast_order_up_to"]
    alpha: float = Field(0.2, gt=0, le=1, description="smoothing weight of the newest day")


ReplenishmentSpec = Annotated[
    MinMaxSpec | ReorderQtySpec | OrderUpToSpec | BaseStockSpec | ForecastSpec,
    Field(discriminator="policy"),
]


class Replenishment(Spec):
    rationing: Literal["proportional", "priority"] = Field(
        "proportional", description="how a short source splits stock among requesting nodes")
    central_warehouse: ReplenishmentSpec = OrderUpToSpec(policy="order_up_to", service_level=0.98)
    forward_warehouse: ReplenishmentSpec = BaseStockSpec(policy="base_stock")
    store: ReplenishmentSpec = BaseStockSpec(policy="base_stock")


# --------------------------------------------------------------------------------------------- costs, run


class FulfilmentCost(Spec):
    """Picking and packing cost per shipment, by the type of node that ships it (stores pick slowest)."""

    central_warehouse: Money = 1.0
    forward_warehouse: Money = 1.5
    store: Money = 2.5


class Costs(Spec):
    holding_rate_per_year: float = Field(0.25, ge=0, le=100, description="holding cost as a share of unit cost per year")
    last_mile_per_order: dict[Literal["bopis", "home_delivery", "instant"], Money] = {
        "bopis": 1.5, "home_delivery": 6.0, "instant": 8.0}
    tier_cost_multiplier: dict[Tier, Annotated[float, Field(gt=0, le=1e4)]] = {1: 1.0, 2: 1.2, 3: 1.6, 4: 2.3, "remote": 3.0}
    fulfilment_per_order: FulfilmentCost = FulfilmentCost()


class Run(Spec):
    horizon_days: int = Field(365, ge=1, le=3650)
    warmup_days: int = Field(30, ge=0)
    seed: int = Field(0, ge=0)
    replications: int = Field(1, ge=1)
    order_sample: int = Field(200_000, ge=0, description="orders kept in RunResult.orders (a uniform sample past this)")

    @model_validator(mode="after")
    def _warmup_inside(self) -> Run:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(f"warmup_days: must be < horizon_days ({self.horizon_days}), got {self.warmup_days}")
        return self


class Scenario(Spec):
    """A whole scenario. Build with :func:`load_scenario` or :func:`scenario_from_dict`."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    network: Network
    catalog: Catalog
    channels: Channels = Channels()
    demand: Demand = Demand()
    policies: Policies = Policies()
    replenishment: Replenishment = Replenishment()
    costs: Costs = Costs()
    run: Run = Run()

    @field_validator("name")
    @classmethod
    def _folder_name(cls, name: str) -> str:
        # The name labels policies and becomes a folder name (results/<name>): no path separators, no '..'.
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
            raise ValueError(f"use letters, digits, '_', '.' and '-', starting with a letter, digit or '_' (it names "
                             f"the results folder), got {name!r}")
        return name

    def digest(self) -> str:
        """sha256 of the canonical JSON form: equal scenarios have equal digests."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def node_ids(self, node_type: str) -> list[str]:
        return [n.id for n in self.network.nodes if n.type == node_type]


# --------------------------------------------------------------------------------------------- loading


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read a YAML scenario, apply ``{"dotted.path": value}`` overrides and validate it.

    A file may start from another: ``extends: city.yaml`` (relative to the file) loads that one,
    merges this file's sections into it (mappings key by key, anything else replaced) and then
    applies this file's ``overrides:`` (dotted paths, as ``--set``)."""
    raw = _read_raw(Path(path), ())
    return scenario_from_dict(raw, overrides, source=str(path))


MAX_YAML_VALUES = 1_000_000  # values a scenario file may hold once its aliases are expanded


class _ScenarioLoader(yaml.SafeLoader):
    """YAML's safe loader (no tags that build Python objects), refusing duplicate keys, which plain YAML
    resolves silently by keeping the last, and alias bombs (a few lines expanding to billions of values)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} (the first would be ignored)",
                                                            key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def _expanded_size(node, sizes: dict) -> int:
    """Values a YAML node stands for with every alias expanded (each shared node is counted once per use)."""
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a recursive structure counts itself once, then its parts
        children = [v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) else \
            node.value if isinstance(node, yaml.SequenceNode) else []
        sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[id(node)]


def _load_yaml(text: str):
    loader = _ScenarioLoader(text)
    try:
        try:
            node = loader.get_single_node()  # PyYAML composes recursively: a deep enough nest exhausts the stack
        except RecursionError:
            raise ScenarioError(["YAML nesting: lists or mappings nested too deeply to read (is the file generated "
                                 "by mistake?)"]) from None
        if node is not None and (size := _expanded_size(node, {})) > MAX_YAML_VALUES:
            raise ScenarioError([f"YAML aliases: the file expands to {size:,} values (more than {MAX_YAML_VALUES:,}); "
                                 "is it an alias bomb?"])
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """'mapping values are not allowed here at line 3, column 7' rather than PyYAML's multi-line report."""
    problem = " ".join(str(x) for x in (getattr(exc, "context", None), getattr(exc, "problem", None)) if x) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    return " ".join(f"{problem} at line {mark.line + 1}, column {mark.column + 1}".split()) if mark else " ".join(problem.split())


def _read_raw(path: Path, chain: tuple[Path, ...]) -> dict:
    if not path.is_file():
        if chain:
            raise ScenarioError([f"extends: no such file {str(path)!r} (extended by {chain[-1]})"], str(chain[0]))
        raise ScenarioError([f"(file): no such file {str(path)!r}"], str(path))
    if path.resolve() in chain:
        raise ScenarioError([f"extends: {path} extends itself through {' -> '.join(map(str, chain))}"], str(chain[0]))
    try:
        raw = _load_yaml(path.read_text(encoding="utf-8"))
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, str(path)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"YAML syntax: {_yaml_problem(exc)}"], str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError(["(file): not a text (UTF-8) file"], str(path)) from None
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else type(raw).__name__
        raise ScenarioError([f"(top level): must be a mapping of sections (name, network, catalog, ...), got {got}"], str(path))
    catalog = raw.get("catalog")
    if isinstance(catalog, dict) and isinstance(catalog.get("file"), str):
        catalog["file"] = str((path.parent / catalog["file"]).resolve())
    base_name, extra = raw.pop("extends", None), raw.pop("overrides", None)
    if extra is not None and not isinstance(extra, dict):
        raise ScenarioError([f"overrides: must be a mapping of dotted paths to values, got {type(extra).__name__}"], str(path))
    if base_name is not None:
        if not isinstance(base_name, str) or not base_name:
            raise ScenarioError([f"extends: must be a file name, got {base_name!r}"], str(path))
        raw = _merge(_read_raw(path.parent / base_name, (*chain, path.resolve())), raw)
    return apply_overrides(raw, extra or {}, str(path))


def _merge(base: dict, top: Mapping) -> dict:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def scenario_from_dict(raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                       source: str | None = None) -> Scenario:
    """Validate a plain dict (as YAML would give) into a :class:`Scenario`."""
    raw = apply_overrides(raw, overrides or {}, source)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([_describe(err) for err in exc.errors()], source) from None
    problems = _reference_problems(scenario)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


def build_each(builders: Sequence[tuple[str, Callable[[], Scenario]]]) -> list[Scenario]:
    """Build every labelled scenario; if any is invalid, one ScenarioError lists every problem of every
    one, each prefixed by its label (so a user fixes them all in one pass)."""
    problems, built = [], []
    for label, build in builders:
        try:
            built.append(build())
        except ScenarioError as exc:
            problems += [f"{label}: {p}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return built


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario equal to ``scenario`` with dotted-path overrides applied (and re-validated)."""
    return scenario_from_dict(scenario.model_dump(mode="json", by_alias=True, exclude_unset=True), overrides)


_SEGMENT = re.compile(r"\[(\*)\]|\[([A-Za-z_]\w*)=([^\]]*)\]|\[(\d+)\]|([^.\[\]]+)")


def _split_path(key: str) -> list:
    """'a.b[2].c', 'nodes[*].x', 'nodes[type=store].x' -> segments: names, indices, ('*',) or (key, value)."""
    parts: list = []
    for star, sel_key, sel_value, index, name in _SEGMENT.findall(key):
        if star:
            parts.append(("*",))
        elif sel_key:
            parts.append((sel_key, sel_value))
        elif index:
            parts.append(int(index))
        else:
            parts.append(int(name) if name.isdigit() else name)
    return parts


def _set_path(target, parts: list, value, key: str, done: str, problems: list) -> None:
    part, rest = parts[0], parts[1:]
    where = f"{done}.{part}" if done else str(part)
    if isinstance(part, tuple):  # every list item, or the items whose field equals a value
        if not isinstance(target, list):
            problems.append(f"override {key}: {done or '(top level)'} is not a list")
            return
        if part == ("*",):
            items = target
        else:
            items = [x for x in target if isinstance(x, dict) and str(x.get(part[0])) == part[1]]
        if not items:
            problems.append(f"override {key}: no item of {done} has {part[0]}={part[1]}")
        for item in items:
            if rest:
                _set_path(item, rest, value, key, where, problems)
            else:
                problems.append(f"override {key}: a selector must be followed by a field")
        return
    if not rest:
        settable = isinstance(target, dict) if isinstance(part, str) else (isinstance(target, list) and part < len(target))
        if settable:
            target[part] = copy.deepcopy(value)
        else:
            problems.append(f"override {key}: cannot set {part!r} there")
        return
    if isinstance(part, int):
        if not isinstance(target, list) or part >= len(target):
            problems.append(f"override {key}: {where} is not a list item that exists")
            return
        _set_path(target[part], rest, value, key, where, problems)
    elif isinstance(target, dict):
        _set_path(target.setdefault(part, {}), rest, value, key, where, problems)
    else:
        problems.append(f"override {key}: {where} is not a section")


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any], source: str | None = None) -> dict:
    """Set each dotted path in a deep copy of ``raw``; missing mappings are created. A list segment
    may be an index (``nodes[2]``), every item (``nodes[*]``) or the items with a field equal to a
    value (``nodes[type=store]``)."""
    data = copy.deepcopy(dict(raw))
    problems: list[str] = []
    for key, value in overrides.items():
        parts = _split_path(key)
        if not parts:
            problems.append(f"override {key!r}: empty path")
            continue
        _set_path(data, parts, value, key, "", problems)
    if problems:
        raise ScenarioError(problems, source)
    return data


_ASSIGNMENT = re.compile(r"^((?:[^=\[]|\[[^\]]*\])*)=(.*)$", re.DOTALL)


def split_assignment(item: str) -> tuple[str, str, str]:
    """``"PATH=VALUE"`` -> (path, "=", value), like ``str.partition`` but at the first ``=`` outside
    brackets, so selectors work: ``network.nodes[type=store].pickers=3``."""
    match = _ASSIGNMENT.match(item)
    return (match.group(1), "=", match.group(2)) if match else (item, "", "")


def parse_set_options(items: list[str], flag: str = "--set", form: str = "PATH=VALUE") -> dict[str, Any]:
    """``["a.b=3", "c=[1, 2]"]`` -> ``{"a.b": 3, "c": [1, 2]}``; values are parsed as YAML. ``flag`` and
    ``form`` name the option in error messages."""
    out: dict[str, Any] = {}
    problems = []
    for item in items:
        key, sep, text = split_assignment(item)
        if not sep or not key.strip():
            problems.append(f"{flag} {item!r}: expected {form}")
            continue
        try:
            out[key.strip()] = _load_yaml(text)
        except yaml.YAMLError as exc:
            problems.append(f"{flag} {item!r}: value is not valid YAML ({_yaml_problem(exc)})")
        except ScenarioError as exc:
            problems += [f"{flag} {item!r}: {p}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return out


_TYPE_TAG = re.compile(r"[\[(]|^(function-|tagged-union|constrained-|union)|^(int|float|str|bool|dict|list|single|by_tier)$")


def _path(loc: tuple) -> str:
    """('network', 'nodes', 3, 'capacity') -> 'network.nodes[3].capacity', without pydantic's type tags."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            text += " (key)"
        elif _TYPE_TAG.search(str(part)):
            continue
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", str(part)):  # an odd key (empty, spaces, dots, '¹'): quoted
            text += f"[{str(part)!r}]"
        else:
            name = "from" if part == "from_" else str(part)
            text += f".{name}" if text else name
    return text or "(top level)"


def _describe(err: dict) -> str:
    loc, kind, ctx, value = err["loc"], err["type"], err.get("ctx") or {}, err.get("input")
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        message = f"must be {bounds[kind]} {limit}, got {value!r}"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif kind == "invalid_key":  # the last part of the location is the offending key, not a list index
        loc, message = loc[:-1], f"keys must be text, got {loc[-1]!r}"
    elif kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        # A model-level check names the field it is about as "field: problem"; put it in the path.
        field, sep, rest = message.partition(": ")
        if sep and all(part.isidentifier() for part in field.split(".")):
            loc, message = (*loc, *field.split(".")), rest
    else:
        shown = value if isinstance(value, (int, float, str, bool)) or value is None else type(value).__name__
        message = f"{err['msg'][0].lower()}{err['msg'][1:]}, got {shown!r}"
    return f"{_path(loc)}: {message}"


def _reference_problems(sc: Scenario) -> list[str]:
    """Cross-field checks pydantic cannot see: names that must refer to each other, coverage, timing."""
    problems: list[str] = []
    net = sc.network
    node_type: dict[str, str] = {}
    for i, node in enumerate(net.nodes):
        if node.id == SUPPLIER:
            problems.append(f"network.nodes[{i}].id: '{SUPPLIER}' is reserved for the outside supplier")
        elif node.id in node_type:
            problems.append(f"network.nodes[{i}].id: duplicate node id {node.id!r}")
        elif ":" in node.id:
            problems.append(f"network.nodes[{i}].id: ':' is reserved (split mode names a warehouse's online stock 'CW:online')")
        node_type[node.id] = node.type
    if "central_warehouse" not in node_type.values():
        problems.append("network.nodes: needs at least one central_warehouse")
    zone_ids: set[str] = set()
    for i, zone in enumerate(net.zones):
        if zone.id in zone_ids:
            problems.append(f"network.zones[{i}].id: duplicate zone id {zone.id!r}")
        zone_ids.add(zone.id)
        if zone.forward_warehouse is not None and node_type.get(zone.forward_warehouse) != "forward_warehouse":
            problems.append(f"network.zones[{i}].forward_warehouse: {zone.forward_warehouse!r} is not a forward_warehouse node")
        mix = zone.channel_mix if zone.channel_mix is not None else sc.demand.online.channel_mix
        if zone.channel_mix is not None and not math.isclose(sum(mix.values()), 1, abs_tol=1e-6):
            problems.append(f"network.zones[{i}].channel_mix: shares must sum to 1, got {sum(mix.values()):.6g}")
    for i, node in enumerate(net.nodes):
        if node.zone is not None and node.zone not in zone_ids:
            problems.append(f"network.nodes[{i}].zone: unknown zone {node.zone!r}")

    inbound: dict[str, list[int]] = {}
    for i, lane in enumerate(net.lanes):
        if lane.from_ != SUPPLIER and lane.from_ not in node_type:
            problems.append(f"network.lanes[{i}].from: unknown node {lane.from_!r}")
        for j, dest in enumerate(lane.to):
            if dest not in node_type:
                problems.append(f"network.lanes[{i}].to[{j}]: unknown node {dest!r}")
            elif dest == lane.from_:
                problems.append(f"network.lanes[{i}].to[{j}]: a node cannot supply itself ({dest!r})")
            else:
                inbound.setdefault(dest, []).append(i)
    for i, node in enumerate(net.nodes):
        lanes_in = inbound.get(node.id, [])
        if not lanes_in:
            problems.append(f"network.nodes[{i}]: node {node.id!r} has no inbound lane (add one under network.lanes)")
        elif len(lanes_in) > 1:
            problems.append(f"network.nodes[{i}]: node {node.id!r} has {len(lanes_in)} inbound lanes {lanes_in}; give it one source")
    if not problems:
        problems += _cycle_problems(sc)
    tiers_used = {z.tier for z in net.zones}
    for name in ONLINE_CHANNELS:
        channel = getattr(sc.channels, name)
        for field in ("promise_hours", "transit_hours", "local_transit_hours"):
            table = getattr(channel, field)
            if isinstance(table, dict):
                for tier in sorted(tiers_used - set(table), key=str):
                    problems.append(f"channels.{name}.{field}: no value for tier {tier!r}, which network.zones uses")
    for tier in sorted(tiers_used - set(sc.costs.tier_cost_multiplier), key=str):
        problems.append(f"costs.tier_cost_multiplier: no value for tier {tier!r}, which network.zones uses")
    if not problems:
        from simulation.spec.eligibility import eligibility_problems  # needs a consistent network and every tier's times
        problems += eligibility_problems(sc)

    if not math.isclose(sum(sc.demand.online.channel_mix.values()), 1, abs_tol=1e-6):
        problems.append(f"demand.online.channel_mix: shares must sum to 1, got {sum(sc.demand.online.channel_mix.values()):.6g}")

    for i, shock in enumerate(sc.demand.shocks):
        for j, node in enumerate(shock.nodes):
            if node not in node_type:
                problems.append(f"demand.shocks[{i}].nodes[{j}]: unknown node {node!r}")
        for j, zone in enumerate(shock.zones):
            if zone not in zone_ids:
                problems.append(f"demand.shocks[{i}].zones[{j}]: unknown zone {zone!r}")
    if sc.catalog.file is not None and not Path(sc.catalog.file).is_file():
        problems.append(f"catalog.file: no such file {sc.catalog.file!r}")
    return problems


def _cycle_problems(sc: Scenario) -> list[str]:
    """Every node must trace back to the supplier through its single inbound lane."""
    source = {dest: lane.from_ for lane in sc.network.lanes for dest in lane.to}
    problems = []
    for i, node in enumerate(sc.network.nodes):
        seen, here = {node.id}, source[node.id]
        while here != SUPPLIER:
            if here in seen:
                problems.append(f"network.nodes[{i}]: node {node.id!r} sits on a supply cycle and never reaches the supplier")
                break
            seen.add(here)
            here = source[here]
    return problems
