"""The whole scenario: costs, run settings and the :class:`Scenario` that holds every section."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from simulation.scenario.catalog import Catalog
from simulation.scenario.channels import Channels
from simulation.scenario.demand import Demand
from simulation.scenario.distributions import Spec
from simulation.scenario.network import Network
from simulation.scenario.policies import POLICY_GROUPS, Policies, ReplenishmentSettings, ReplenishmentSpec
from simulation.scenario.returns import Returns
from simulation.scenario.vocabulary import Money, NodeType, Tier


class FulfilmentCost(Spec):
    """Picking and packing cost per shipment, by the type of node that ships it (stores pick slowest)."""

    central_warehouse: Money = 1.0
    forward_warehouse: Money = 1.5
    store: Money = 2.5


OnlineChannel = Literal["bopis", "home_delivery", "instant"]


class LastMileRate(Spec):
    """One shipment's last mile from one type of node on one channel: a fixed part and a part per km from the
    node to the zone's centre. A bare number is the fixed part."""

    shorthand: ClassVar[str] = "fixed"
    fixed: Money
    per_km: Money = 0.0

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data):
        return {"fixed": data} if isinstance(data, int | float) and not isinstance(data, bool) else data


class Costs(Spec):
    """Costs. A shipment's last mile costs what ``last_mile_by_origin`` gives for the type of node it leaves
    from (fixed + per km x distance to the zone), else ``last_mile_per_order``, times the zone tier's
    multiplier."""

    holding_rate_per_year: float = Field(0.25, ge=0, le=100, description="holding cost as a share of unit cost per year")
    backorder_per_unit_day: Money = Field(0.0, description="the penalty for each unit an online customer waits for, per day "
                                          "it is owed at the end of a day (channels that backorder); 0: none")
    last_mile_per_order: dict[OnlineChannel, Money] = {"bopis": 1.5, "home_delivery": 6.0, "instant": 8.0}
    last_mile_by_origin: dict[NodeType, dict[OnlineChannel, LastMileRate]] = Field(
        {}, description="last mile per shipment by the type of node it leaves from, per channel: {fixed, per_km}")
    tier_cost_multiplier: dict[Tier, Annotated[float, Field(gt=0, le=1e4)]] = {1: 1.0, 2: 1.2, 3: 1.6, 4: 2.3, "remote": 3.0}
    fulfilment_per_order: FulfilmentCost = FulfilmentCost()

    def last_mile_rate(self, node_type: str, channel: str) -> LastMileRate:
        """A shipment's last-mile rate from a node of ``node_type`` on ``channel`` (before the tier multiplier)."""
        by_origin = self.last_mile_by_origin.get(node_type, {})  # type: ignore[call-overload]
        default = LastMileRate(fixed=self.last_mile_per_order.get(channel, 0.0))  # type: ignore[call-overload]
        return by_origin.get(channel, default)


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
    replenishment: ReplenishmentSettings = ReplenishmentSettings()
    costs: Costs = Costs()
    returns: Returns = Returns()
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
        """sha256 of the canonical JSON form: equal scenarios have equal digests. A scenario without returns
        digests as it did before the section existed, so results stored then still resume."""
        exclude = None if self.returns.active else {"returns"}
        text = json.dumps(_without_unset(self.model_dump(mode="json", by_alias=True, exclude=exclude)), sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def replenishment_specs(self) -> list[tuple[str, ReplenishmentSpec]]:
        """Every replenishment policy the scenario gives, with its path: each node type's, the online stock's when
        given, and each node's own."""
        r = self.replenishment
        return [*((f"replenishment.{g}", getattr(r, g)) for g in POLICY_GROUPS if getattr(r, g) is not None),
                *((f"network.nodes[{i}].replenishment", n.replenishment) for i, n in enumerate(self.network.nodes)
                  if n.replenishment is not None)]

    def node_ids(self, node_type: str) -> list[str]:
        return [n.id for n in self.network.nodes if n.type == node_type]


# Fields added after results were stored, with their defaults: left at them, a scenario digests as it did before
# they existed.
LATER_FIELDS = {"by_class": None, "by_group": None, "replenishment": None, "backorder_per_unit_day": 0.0}


def _without_unset(data):
    """``data`` (a dumped scenario) without the LATER_FIELDS that hold their defaults, at any depth."""
    if isinstance(data, dict):
        return {k: _without_unset(v) for k, v in data.items() if not (k in LATER_FIELDS and v == LATER_FIELDS[k])}
    if isinstance(data, list):
        return [_without_unset(v) for v in data]
    return data
