"""Sizing stock levels: what a node class plans against, and the level per node and SKU a target asks for.

Levels are sized for a cycle service level over the protection period ``P = E[L] + R - 1`` days (lead time
L, review period R; an order placed at the end of day t arrives at the start of day t + L, so it must cover
demand until the next order lands):

    level = mu * P + z * sqrt(P * sigma^2 + mu^2 * Var[L]),   z = Phi^-1(service level)

with mu, sigma^2 the mean and variance of daily demand (normal approximation; Silver, Pyke & Thomas,
*Inventory and Production Management*, 4th ed., section 6.10 for random lead times), or for a fill rate
(``fill_rate_level``). A policy's targets may differ by SKU group and velocity class (``segments``): each
segment's SKUs are sized by their own target, one call per distinct target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from simulation import kernels
from simulation.scenario import Level, ScenarioError

Target = tuple[float, float | None]  # (service level, fill rate or None): a fill rate, where given, sizes the level


@dataclass(frozen=True)
class Planning:
    """What levels are sized against, for the nodes of one class."""

    mean: np.ndarray        # [node, sku] mean daily demand
    var: np.ndarray         # [node, sku] daily variance
    lead_days: np.ndarray   # [node] mean lead time in days
    lead_var: np.ndarray    # [node] lead-time variance in days^2
    order_cost: np.ndarray | None = None   # [node] fixed cost per order of a SKU (economic order quantities)
    holding_per_day: np.ndarray | None = None  # [sku] holding cost per unit and day
    segment: np.ndarray | None = None   # [sku] index into the policy's targets (``segments``: by group and class)

    def protection(self, review_period: int) -> np.ndarray:
        return self.lead_days + review_period - 1.0

    def dispersion(self) -> np.ndarray:
        """Per node and SKU, a in variance = mean + a * mean^2 (0 where nothing is planned, or no overdispersion)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.mean > 0, np.maximum(self.var - self.mean, 0.0) / self.mean**2, 0.0)

    def protection_variance(self, review_period: int) -> np.ndarray:
        """Variance of demand over the protection period, per node and SKU."""
        return self.var * self.protection(review_period)[:, None] + self.mean**2 * self.lead_var[:, None]

    def columns(self, cols: np.ndarray) -> Planning:
        """The plan of SKU columns ``cols`` only."""
        def part(a):
            return None if a is None else a[..., cols]
        return replace(self, mean=self.mean[:, cols], var=self.var[:, cols], holding_per_day=part(self.holding_per_day),
                       segment=part(self.segment))


def z_value(service_level: float) -> float:
    return NormalDist().inv_cdf(service_level)


def fill_rate_level(plan: Planning, review_period: int, target: float) -> np.ndarray:
    """The smallest level per node and SKU whose expected fill rate over a review cycle reaches ``target``
    (``kernels.fill_rate_levels``: demand over the protection period P and over its first P - R days,
    negative binomial with the planned moments, lead-time variance included)."""
    p = plan.protection(review_period)[:, None]
    before = np.maximum(p - review_period, 0.0)
    lead_part = plan.mean**2 * plan.lead_var[:, None]
    shape = plan.mean.shape

    def flat(a):
        return np.ascontiguousarray(np.broadcast_to(a, shape), dtype=np.float64).ravel()

    levels = kernels.fill_rate_levels(mean_p=flat(plan.mean * p), var_p=flat(plan.protection_variance(review_period)),
                                      mean_q=flat(plan.mean * before), var_q=flat(plan.var * before + lead_part),
                                      cycle_mean=flat(plan.mean * review_period), target=float(target))
    return levels.reshape(shape)


def sized_level(plan: Planning, review_period: int, target: Target) -> np.ndarray:
    """The level per node and SKU for one target: its fill rate where given, else its cycle service level."""
    service, fill = target
    if fill is not None:
        return fill_rate_level(plan, review_period, fill)
    p = plan.protection(review_period)[:, None]
    level = plan.mean * p + z_value(service) * np.sqrt(plan.protection_variance(review_period))
    return np.maximum(np.ceil(level - 1e-9), 0).astype(np.int64)


def segments(by_class: tuple[Target, ...], by_group: dict[str, Target], skus, path: str) -> tuple[tuple[Target, ...], np.ndarray]:
    """Each SKU's target: its group's where ``by_group`` names the group, else its velocity class's; returned as the
    targets (the classes' in VELOCITY_CLASSES order, then the groups') and each SKU's index into them. ``path`` names
    the policy when a group is not in the catalog or holds no SKU."""
    targets, segment = list(by_class), skus.velocity_class.copy()
    for name, target in by_group.items():
        members = (skus.group == skus.group_names.index(name)) if name in skus.group_names else np.zeros(skus.size, bool)
        if not members.any():
            held = ", ".join(g for i, g in enumerate(skus.group_names) if (skus.group == i).any()) or "none"
            raise ScenarioError([f"{path}.by_group.{name}: no SKU of the catalog is in group {name!r} (groups holding SKUs: {held})"])
        targets.append(target)
        segment[members] = len(targets) - 1
    return tuple(targets), segment


def by_segment(plan: Planning, targets: tuple[Target, ...], size: Callable[[Planning, Target], np.ndarray]) -> np.ndarray:
    """``size(plan, target)`` for each segment's SKUs with the segment's target (one call per distinct target)."""
    if len(set(targets)) == 1:
        return size(plan, targets[0])
    if plan.segment is None:
        raise TypeError("targets by segment need the plan's segment")
    out = np.zeros(plan.mean.shape, np.int64)
    for target in dict.fromkeys(targets):
        cols = np.flatnonzero(np.isin(plan.segment, [c for c, t in enumerate(targets) if t == target]))
        if cols.size:
            out[:, cols] = size(plan.columns(cols), target)
    return out


def resolve_level(level: Level | None, targets: tuple[Target, ...], plan: Planning, review_period: int) -> np.ndarray:
    """Turn a ``Level`` (or, where none is given, each segment's target) into an int level per node and SKU."""
    if level is not None and level.units is not None:
        return np.full(plan.mean.shape, level.units, np.int64)
    if level is not None and level.days_of_cover is not None:
        return np.ceil(plan.mean * level.days_of_cover - 1e-9).astype(np.int64)
    if level is not None:  # a level given as its own target applies to every segment
        targets = ((level.service_level if level.service_level is not None else targets[0][0], level.fill_rate),)
    return by_segment(plan, targets, lambda part, target: sized_level(part, review_period, target))


def z_by_sku(plan: Planning, targets: tuple[Target, ...]) -> np.ndarray:
    """z = Phi^-1(service level) per SKU, each at its segment's target (policies that size a moving level)."""
    z = np.array([z_value(service) for service, _ in targets])
    if len(set(z)) == 1:
        return np.full(plan.mean.shape[1], z[0])
    if plan.segment is None:
        raise TypeError("targets by segment need the plan's segment")
    return z[plan.segment]


def lot(spec, plan: Planning) -> np.ndarray:
    """The order size where none is given: ``order_cover_days`` of mean demand, or with ``lot_size: eoq``
    the economic order quantity sqrt(2 mu K / h) per node and SKU (mu mean daily demand, K the lane's
    cost per order, h holding cost per unit and day); at least one unit. A SKU that costs nothing to hold
    keeps the cover rule (its EOQ has no bound)."""
    cover = plan.mean * spec.order_cover_days
    if spec.lot_size == "eoq":
        h = plan.holding_per_day[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(h > 0, np.sqrt(2.0 * plan.mean * plan.order_cost[:, None] / h), cover)
    return np.maximum(1, np.rint(cover)).astype(np.int64)
