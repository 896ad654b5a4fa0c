"""The network section: nodes, zones and the lanes that supply them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulation.scenario.distributions import Distribution, Spec
from simulation.scenario.policies import ReplenishmentSpec
from simulation.scenario.vocabulary import Factor, Money, NodeType, Share, Tier

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
    replenishment: ReplenishmentSpec | None = Field(
        None, description="this forward warehouse's or store's own replenishment policy, in place of its type's "
                          "(replenishment.forward_warehouse or replenishment.store)")

    @model_validator(mode="after")
    def _hours(self) -> Node:
        if self.close_hour <= self.open_hour:
            raise ValueError(f"close_hour: must be > open_hour ({self.open_hour}), got {self.close_hour}")
        if self.ship_from_store and self.type != "store":
            raise ValueError(f"ship_from_store: only stores take this flag ({self.type} nodes always fulfil online orders)")
        if self.replenishment is not None and self.type == "central_warehouse":
            raise ValueError("replenishment: a central warehouse's policy is replenishment.central_warehouse (under one pool "
                             "it plans one stock in two parts); a node's own policy is for forward warehouses and stores")
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
    cost_per_order: Money = Field(0.0, description="fixed cost of each order of a SKU on the lane (handling, admin)")
    cost_per_shipment: Money = Field(0.0, description="fixed cost of each delivery on the lane to a node (a truck stop)")
    order_unit: Literal["each", "case"] = Field("each", description="'case': orders on this lane round up to whole case packs")
    min_order_units: int = Field(0, ge=0, le=1_000_000, description="the least a node orders of a SKU on this lane")

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
