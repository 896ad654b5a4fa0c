"""The demand calendar as pure functions of the scenario and a day: the season (weekday x month), the lift
each promotion in force gives each channel and SKU, and a shock's multiplier per SKU. The engine's
:class:`~simulation.engine.demand.Calendar` applies them to the days it runs; a forecast that sees the
calendar applies them to days ahead."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.scenario import CHANNELS

_MONTH_START = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])


@dataclass(frozen=True)
class CalendarPlan:
    """The demand section's calendar, compiled once: the weekday and month profiles, the promotions and the shocks."""

    weekday: tuple[float, ...]
    monthly: tuple[float, ...]
    promotions: tuple = ()
    shocks: tuple = ()


def month_of(day: int) -> int:
    """Day 0 is Monday 1 January; the year repeats every 365 days.

    >>> month_of(0), month_of(31), month_of(364), month_of(365)
    (0, 1, 11, 0)
    """
    return int(np.searchsorted(_MONTH_START, day % 365, side="right") - 1)


def season(demand, day: int) -> float:
    """The weekday and month multipliers of ``demand`` (a :class:`CalendarPlan`, or the scenario's demand section)
    on ``day``."""
    return demand.weekday[day % 7] * demand.monthly[month_of(day)]


def in_force(windows, day: int) -> list:
    """The promotions or shocks running on ``day`` (each over [start_day, end_day))."""
    return [w for w in windows if w.start_day <= day < w.end_day]


def touched(window, skus) -> np.ndarray:
    """The SKUs a promotion or shock touches (bool per SKU of the table ``skus``): those of its
    ``sku_groups`` when it names any, else its ``sku_share`` of SKUs as a prefix (SKUs are sorted fastest
    first)."""
    if window.sku_groups:
        return np.isin(skus.group, [skus.group_names.index(g) for g in window.sku_groups])
    mask = np.zeros(skus.size, bool)
    mask[: round(window.sku_share * skus.size)] = True
    return mask


def promotion_lift(promotions, channel: str, skus) -> np.ndarray:
    """Demand multiplier per SKU for a channel from ``promotions``: the SKUs each touches are lifted; a
    promotion on other channels that cannibalises this one takes its share of every SKU."""
    lift = np.ones(skus.size)
    for promo in promotions:
        if channel in promo.channels:
            lift[touched(promo, skus)] *= promo.lift
        lift *= 1.0 - promo.cannibalise.get(channel, 0.0)
    return lift


def channel_lifts(promotions, skus) -> np.ndarray:
    """:func:`promotion_lift` for every channel, [channel (``CHANNELS``), SKU]."""
    return np.array([promotion_lift(promotions, c, skus) for c in CHANNELS])


def shock_sku_factor(shock, skus) -> np.ndarray:
    """A shock's demand multiplier per SKU: its factor on the SKUs it touches, 1 elsewhere."""
    factor = np.ones(skus.size)
    factor[touched(shock, skus)] = shock.demand_factor
    return factor
