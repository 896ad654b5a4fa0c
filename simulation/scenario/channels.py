"""The channels section: each online channel's promise, transit times, backorder rule and cost."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal, TypeVar

from pydantic import Discriminator, Field, Tag, model_validator

from simulation.scenario.distributions import MAX_TIME, Distribution, Spec
from simulation.scenario.vocabulary import ONLINE_CHANNELS, Hours, Tier


def _single_or_by_tier(value) -> str:
    # A mapping without 'kind' is a per-tier table; anything else is one value for every tier.
    return "by_tier" if isinstance(value, dict) and "kind" not in value else "single"


T = TypeVar("T")
# One value for every tier, or a mapping {1: ..., 2: ..., remote: ...}: ByTier[Hours].
ByTier = Annotated[Annotated[T, Tag("single")] | Annotated[dict[Tier, T], Tag("by_tier")], Discriminator(_single_or_by_tier)]


def by_tier(value, tier):
    """A ByTier field's value for one tier."""
    return value[tier] if isinstance(value, dict) else value


class PromiseWindow(Spec):
    """Orders placed by ``order_by_hour`` (hour of day) are due by ``due_hour`` of the day ``due_days`` later."""

    order_by_hour: float = Field(gt=0, le=24)
    due_days: int = Field(ge=0, le=60)
    due_hour: float = Field(ge=0, le=24)


def _window_problems(windows: list[PromiseWindow]) -> str | None:
    if not windows:
        return "must list at least one window"
    for a, b in pairwise(windows):
        if b.order_by_hour <= a.order_by_hour:
            return f"order_by_hour: must increase from window to window, got {a.order_by_hour:g} then {b.order_by_hour:g}"
    for w in windows:
        if 24 * w.due_days + w.due_hour <= w.order_by_hour:
            return f"due_hour: an order placed at {w.order_by_hour:g}:00 would be due before it was placed"
    return None


class Channel(Spec):
    """A sales channel: its promise, transit time to the customer, and what happens to unmet demand."""

    promise_hours: ByTier[Hours] = 24.0
    promise_windows: ByTier[list[PromiseWindow]] | None = Field(
        None, description="order-by and due-by times of day, in place of promise_hours: an order is due by the first window "
                          "it is placed by (order_by_hour); one placed after the day's last counts from the next day's first")
    promise_from: Literal["order", "opening"] = Field(
        "order", description="opening: an order placed while its serving node is closed is promised from the node's next "
                             "opening, as a store promises pickup 'within 2 hours of opening'")
    # A plain number is a fixed time (Distribution's validator reads it so); mypy sees only the union.
    transit_hours: ByTier[Distribution] = Field(0.0, description="hand-over to delivery, from a central warehouse")  # type: ignore[assignment]
    local_transit_hours: ByTier[Distribution] | None = Field(
        None, description="the same from a forward warehouse or store near the zone (default: transit_hours)")
    dispatch_sla_hours: float = Field(18.0, gt=0, le=MAX_TIME, description="target from order to hand-over to the carrier")
    unfilled: Literal["lost", "backorder"] = "lost"
    max_wait_days: int = Field(3, ge=1, description="a backordered line still open after this many days is cancelled")

    @model_validator(mode="after")
    def _one_promise(self) -> Channel:
        windows = self.promise_windows
        for tier, table in (windows.items() if isinstance(windows, dict) else [(None, windows)] if windows is not None else []):
            problem = _window_problems(table)
            if problem:
                raise ValueError(f"promise_windows{'' if tier is None else f'.{tier}'}: {problem}")
        if windows is not None and "promise_hours" in self.model_fields_set:
            raise ValueError("promise_hours: give promise_hours or promise_windows, not both")
        if windows is not None and self.promise_from == "opening":
            raise ValueError("promise_from: 'opening' means nothing with promise_windows (their times of day are the promise)")
        return self


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
