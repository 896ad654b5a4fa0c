"""Stock levels and service targets a replenishment policy sizes by: a ``Level`` given in units, days of cover, a
cycle service level or a fill rate, and a velocity class's own target (``ClassTarget``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from simulation.scenario.distributions import MAX_TIME, Spec


class Level(Spec):
    """A stock level for every SKU at a node: exactly one of ``units`` (the same for all SKUs),
    ``days_of_cover`` (mean daily demand x days), ``service_level`` (cycle service level over the
    protection period, normal approximation) or ``fill_rate`` (the smallest level whose expected share of
    demand met from stock reaches it; order-up-to levels only)."""

    shorthand: ClassVar[str] = "units"  # ``S: 12`` is ``{units: 12}``
    units: int | None = Field(None, ge=0)
    days_of_cover: float | None = Field(None, ge=0, le=MAX_TIME)
    service_level: float | None = Field(None, gt=0, lt=1)
    fill_rate: float | None = Field(None, gt=0, lt=1)

    @model_validator(mode="before")
    @classmethod
    def _number_is_units(cls, data):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"units": data}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Level:
        given = [k for k in ("units", "days_of_cover", "service_level", "fill_rate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of units, days_of_cover, service_level, fill_rate (got {given or 'none'})")
        return self


class ClassTarget(Spec):
    """One velocity class's own target for the levels a policy sizes: exactly one of ``service_level`` or
    ``fill_rate`` (as the policy's own fields)."""

    service_level: float | None = Field(None, gt=0, lt=1)
    fill_rate: float | None = Field(None, gt=0, lt=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> ClassTarget:
        given = [k for k in ("service_level", "fill_rate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of service_level, fill_rate (got {given or 'none'})")
        return self
