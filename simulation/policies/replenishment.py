"""Replenishment policies: small typed objects behind one protocol.

A policy holds per-(node, SKU) parameters for the nodes of one class and turns inventory positions
into order quantities through a kernel. Parameters come straight from the scenario (``units``,
``days_of_cover``) or are sized for a target (``simulation.policies.levels``): a cycle service level or a
fill rate, which may differ by velocity class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simulation import kernels
from simulation.policies.levels import Planning, lot, resolve_level, z_by_sku
from simulation.scenario import (
    BaseStockSpec,
    CalendarForecastSpec,
    FixedQuantitySpec,
    ForecastSpec,
    MinMaxSpec,
    OrderUpToSpec,
    PushSpec,
    ReorderQtySpec,
    ScenarioError,
)
from simulation.world.calendar import channel_lifts, in_force, season, shock_sku_factor


class ReplenishmentPolicy(Protocol):
    review_period_days: int
    review_offset_days: int
    learns: bool  # whether :meth:`observe` does anything (the engine skips it otherwise)

    def initial_stock(self) -> np.ndarray:
        """Stock to start each node and SKU with (the policy's own target level)."""

    def order_quantities(self, rows: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Units to order for class rows ``rows`` given their inventory positions [len(rows), SKUs]."""

    def observe(self, rows: np.ndarray, today: Today) -> None:
        """What the class's ``rows`` saw today (forecasting policies learn from it)."""


@dataclass(frozen=True)
class Today:
    """What a day leaves for forecasts to learn from, per row and SKU (whole-network arrays): units asked for
    (``demand``: customers' and supplied nodes'), units turned away unserved (lost sales, never recorded), on
    hand and the record's gap from it (an empty array when records are exact), and which rows can turn
    customers away at all (``censors``: stores, and nodes serving a channel that loses what it cannot fill)."""

    demand: np.ndarray
    turned_away: np.ndarray
    on_hand: np.ndarray
    record_gap: np.ndarray
    censors: np.ndarray


@dataclass(kw_only=True)
class _Timing:
    review_period_days: int = 1
    review_offset_days: int = 0
    learns = False

    def observe(self, rows, today):
        """Fixed-level policies do not learn from demand."""


@dataclass(kw_only=True)
class MinMax(_Timing):
    s: np.ndarray
    S: np.ndarray

    def initial_stock(self):
        return self.S.copy()

    def order_quantities(self, rows, position):
        return kernels.order_min_max(position=position, rows=rows, s=self.s, S=self.S)


@dataclass(kw_only=True)
class ReorderQty(_Timing):
    s: np.ndarray
    Q: np.ndarray

    def initial_stock(self):
        return self.s + self.Q

    def order_quantities(self, rows, position):
        return kernels.order_reorder_qty(position=position, rows=rows, s=self.s, Q=self.Q)


@dataclass(kw_only=True)
class FixedQuantity(_Timing):
    """(R, s, Q): at a review, a node whose position is at or below s orders one lot of Q."""

    s: np.ndarray
    Q: np.ndarray

    def initial_stock(self):
        return self.s + self.Q

    def order_quantities(self, rows, position):
        return kernels.order_fixed_quantity(position=position, rows=rows, s=self.s, Q=self.Q)


@dataclass(kw_only=True)
class OrderUpTo(_Timing):
    """Periodic order-up-to (R, S); base stock is the same rule reviewed every day."""

    S: np.ndarray

    def initial_stock(self):
        return self.S.copy()

    def order_quantities(self, rows, position):
        return kernels.order_up_to(position, rows, self.S)


@dataclass(kw_only=True)
class ForecastOrderUpTo(_Timing):
    """Order up to forecast * P + z * sqrt(mse * P * (2 - alpha + alpha * P) / 2 + forecast^2 * Var[L])
    (``kernels.forecast_levels``: the error of a smoothed forecast over the protection period P, and the
    lead time's variance), the forecast updated daily by exponential smoothing, and never below the
    presentation ``floor`` per SKU. It learns from what the node's system records (``from_sales``: sales and
    orders taken, days that ended with an empty record unconstrained) or, as an oracle, from every unit
    asked for."""

    forecast: np.ndarray
    mse: np.ndarray
    protection_days: np.ndarray
    lead_var: np.ndarray
    dispersion: np.ndarray  # [row, sku] the planner's overdispersion: variance = mean + dispersion * mean^2
    z: np.ndarray           # [sku] Phi^-1 of each SKU's service level (its velocity class's)
    alpha: float
    floor: np.ndarray
    from_sales: bool = True
    learns = True

    def levels(self, rows):
        levels = kernels.forecast_levels(level=self.forecast[rows], mse=self.mse[rows], protection_days=self.protection_days[rows],
                                         lead_var=self.lead_var[rows], z=self.z, alpha=self.alpha)
        return np.maximum(levels, self.floor[None, :]) if self.floor.any() else levels

    def initial_stock(self):
        return self.levels(np.arange(self.forecast.shape[0]))

    def order_quantities(self, rows, position):
        return kernels.order_up_to(position, np.arange(rows.size), self.levels(rows))

    def observe(self, rows, today):
        if self.from_sales:
            kernels.smooth_forecast_from_sales(level=self.forecast, mse=self.mse, dispersion=self.dispersion, rows=rows,
                                               demand=today.demand, turned_away=today.turned_away, on_hand=today.on_hand,
                                               record_gap=today.record_gap, censors=today.censors, alpha=self.alpha)
        else:
            kernels.smooth_forecast(level=self.forecast, mse=self.mse, observed=today.demand[rows].astype(np.float64), alpha=self.alpha)


@dataclass(frozen=True)
class CalendarView:
    """What a forecast that sees the calendar knows of one node class: the demand calendar (profile, promotions,
    shocks: ``world.calendar``), each row's planned units by channel, and the class rows (local indices) each shock
    names."""

    calendar: object
    skus: object                        # the SKU table (which SKUs a promotion or shock touches)
    channel_share: np.ndarray          # [class row, channel]
    shock_rows: list                    # [(shock, local rows)]


@dataclass(kw_only=True)
class CalendarOrderUpTo(_Timing):
    """Order up to the forecast over the protection period P plus z standard deviations, the forecast
    knowing the calendar (season, promotions, shocks from their warning) and erring by ``error``:

        level = F + z * sqrt(P * m * sigma^2 + (m * mu)^2 * Var[L]),   F = mu * sum_{d=1..P} c_d * e

    with c_d the calendar's multiplier of day t + d per node and SKU (season x promotion lift by the node's
    channel mix x shock factor at the nodes a shock names), m their mean over P (the last day counted by
    its fraction when P is not whole) and e the forecast error factor, (1 + bias) x Lognormal(mean 1, cv),
    drawn per node and SKU at every review. With m = 1 and no error this is the (R, S) level."""

    plan: Planning
    view: CalendarView
    z: np.ndarray  # [sku] Phi^-1 of each SKU's service level (its velocity class's)
    bias: float
    cv: float
    floor: np.ndarray
    sees_calendar = True

    def __post_init__(self):
        self.protection = self.plan.protection(self.review_period_days)
        self.S = self.look_ahead(-1, None)

    def initial_stock(self):
        return self.S.copy()

    def order_quantities(self, rows, position):
        return kernels.order_up_to(position, rows, self.S)

    def _multiplier(self, day: int, today: int) -> np.ndarray:
        """c_d per class row and SKU as known on ``today`` (broadcastable [rows, 1] when only the season moves)."""
        v, skus = self.view, self.plan.mean.shape[1]
        factor = np.full((self.plan.mean.shape[0], 1), season(v.calendar, day))
        promotions = in_force(v.calendar.promotions, day)
        if promotions:
            factor = factor * (v.channel_share @ channel_lifts(promotions, v.skus))
        for shock, rows in v.shock_rows:
            known = today >= shock.start_day - shock.warning_days
            if known and shock.start_day <= day < shock.end_day and shock.demand_factor != 1.0 and rows.size:
                factor = np.broadcast_to(factor, (factor.shape[0], skus)).copy()
                factor[rows] *= shock_sku_factor(shock, v.skus)
        return factor

    def look_ahead(self, day: int, rng: np.random.Generator | None) -> np.ndarray:
        """The levels for an order placed at the end of ``day`` (covering days day+1 .. day+P); stores the
        forecast and the truth of tomorrow's mean, before safety stock, for measuring the error."""
        p, plan = self.protection, self.plan
        total = np.zeros((p.size, 1))
        for j in range(int(np.ceil(p.max() - 1e-9))):
            weight = np.clip(p - j, 0.0, 1.0)[:, None]
            c = self._multiplier(day + 1 + j, day)
            total = total + weight * c
            if j == 0:
                tomorrow = plan.mean * c
        m = total / p[:, None]
        error = np.full(plan.mean.shape, 1.0 + self.bias)
        if self.cv > 0 and rng is not None:
            sigma2 = np.log1p(self.cv**2)
            error *= rng.lognormal(-sigma2 / 2, np.sqrt(sigma2), plan.mean.shape)
        forecast = plan.mean * total * error
        self.forecast_tomorrow, self.truth_tomorrow = tomorrow * error, tomorrow
        spread = np.sqrt(plan.var * p[:, None] * m + (plan.mean * m) ** 2 * plan.lead_var[:, None])
        levels = np.maximum(np.ceil(forecast + self.z[None, :] * spread - 1e-9), 0).astype(np.int64)
        self.S = np.maximum(levels, self.floor[None, :]) if self.floor.any() else levels
        return self.S


@dataclass(kw_only=True)
class Push(_Timing):
    """Each review, the node is sent ``allocation`` (its planned demand over the horizon), whatever it holds."""

    allocation: np.ndarray

    def initial_stock(self):
        return self.allocation.copy()

    def order_quantities(self, rows, position):
        return self.allocation[rows].copy()


def combined(*parts: ReplenishmentPolicy) -> OrderUpTo:
    """One stock planned in parts, each by its own fixed order-up-to rule reviewed on the same days: the levels add."""
    if not all(isinstance(p, OrderUpTo) for p in parts):
        raise TypeError("only fixed order-up-to levels add up")
    first = parts[0]
    return OrderUpTo(S=np.sum([p.S for p in parts], axis=0), review_period_days=first.review_period_days,
                     review_offset_days=first.review_offset_days)


def build_policy(spec, plan: Planning, path: str, floor: np.ndarray | None = None,
                 view: CalendarView | None = None, targets: tuple | None = None) -> ReplenishmentPolicy:
    """The policy object for one node class; ``path`` (e.g. ``replenishment.store``) names it in errors.
    ``floor`` per SKU (a display minimum, default none) is the least any level may be: reorder points
    and order-up-to levels below it are raised to it. ``view``: what a calendar forecast knows. ``targets``: each of
    ``plan.segment``'s (``levels.segments``; default the policy's by velocity class)."""
    timing = dict(review_period_days=spec.review_period_days, review_offset_days=spec.review_offset_days)
    R, targets = spec.review_period_days, spec.targets() if targets is None else targets
    floor = np.zeros(plan.mean.shape[1], np.int64) if floor is None else floor

    def level(spec_level):
        return np.maximum(resolve_level(spec_level, targets, plan, R), floor[None, :])

    if isinstance(spec, MinMaxSpec):
        s = level(spec.s)
        S = level(spec.S) if spec.S is not None else s + lot(spec, plan)
        if np.any(S < s):
            raise ScenarioError([f"{path}.S: must be >= s for every SKU (S < s for {(S < s).sum()} node-SKUs)"])
        return MinMax(s=s, S=S, **timing)
    if isinstance(spec, (ReorderQtySpec, FixedQuantitySpec)):
        Q = resolve_level(spec.Q, targets, plan, R) if spec.Q is not None else lot(spec, plan)
        kind = ReorderQty if isinstance(spec, ReorderQtySpec) else FixedQuantity
        return kind(s=level(spec.s), Q=Q, **timing)
    if isinstance(spec, (OrderUpToSpec, BaseStockSpec)):
        return OrderUpTo(S=level(spec.S), **timing)
    if isinstance(spec, PushSpec):
        horizon = spec.horizon_days if spec.horizon_days is not None else spec.review_period_days
        return Push(allocation=np.rint(plan.mean * horizon).astype(np.int64), **timing)
    if isinstance(spec, ForecastSpec):
        return ForecastOrderUpTo(forecast=plan.mean.copy(), mse=plan.var.copy(), protection_days=plan.protection(R),
                                 lead_var=plan.lead_var, dispersion=plan.dispersion(), z=z_by_sku(plan, targets), alpha=spec.alpha,
                                 floor=floor, from_sales=spec.learn_from == "sales", **timing)
    if isinstance(spec, CalendarForecastSpec):
        if view is None:
            raise TypeError("calendar_order_up_to needs the calendar (view)")
        return CalendarOrderUpTo(plan=plan, view=view, z=z_by_sku(plan, targets), bias=spec.error.bias, cv=spec.error.cv,
                                 floor=floor, **timing)
    raise TypeError(f"no policy for {type(spec).__name__}")
