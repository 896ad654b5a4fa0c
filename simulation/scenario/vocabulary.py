"""The domain vocabulary: node types, channels, tiers, the supplier, and the units scenario fields are in."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from simulation.scenario.distributions import MAX_TIME

NodeType = Literal["central_warehouse", "forward_warehouse", "store"]
NODE_TYPES: tuple[str, ...] = ("central_warehouse", "forward_warehouse", "store")
TIERS: tuple = (1, 2, 3, 4, "remote")


def _tier_from_text(value):
    """YAML keys and JSON round trips give tiers as text: accept "2" for 2."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


Tier = Annotated[Literal[1, 2, 3, 4, "remote"], BeforeValidator(_tier_from_text)]
ChannelName = Literal["walk_in", "bopis", "home_delivery", "instant"]
CHANNELS: tuple[ChannelName, ...] = ("walk_in", "bopis", "home_delivery", "instant")
ONLINE_CHANNELS: tuple[str, ...] = CHANNELS[1:]
SUPPLIER = "supplier"
# Velocity classes of SKUs (world/catalog.py: SkuTable.velocity_class): A the fastest SKUs that make up the first
# 80% of the catalog's units, B the next 15%, C the rest.
VelocityClass = Literal["A", "B", "C"]
VELOCITY_CLASSES: tuple[str, ...] = ("A", "B", "C")
VELOCITY_SHARES: tuple[float, ...] = (0.80, 0.95)  # cumulative share of units where A, then B, end
DAYS_PER_YEAR = 365.0  # yearly rates (holding) to daily, daily flows to turns per year

Share = Annotated[float, Field(ge=0, le=1)]
# Upper bounds far past any real network that keep every product of them finite (the fuzzer found
# 1e300s turning into inf and NaN deep inside runs).
Money = Annotated[float, Field(ge=0, le=1e9)]               # a cost per unit, order or shipment
Factor = Annotated[float, Field(ge=0, le=1e4)]              # a demand scale, lift, or relative weight
Hours = Annotated[float, Field(ge=0, le=MAX_TIME)]
Days = Annotated[float, Field(gt=0, le=MAX_TIME)]

CENTRAL_WAREHOUSE, FORWARD_WAREHOUSE, STORE = NODE_TYPES
# A node type's code is its index in NODE_TYPES: the compiled world stores node types as codes.
CENTRAL_CODE, FORWARD_CODE, STORE_CODE = range(len(NODE_TYPES))
