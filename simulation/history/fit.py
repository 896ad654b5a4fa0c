"""The demand model fitted to a history (``invsim fit``, ``sim.fit``).

Walk-in units of SKU k at store i on day d are negative binomial with mean ``rate[k] * scale[i] *
weekday[d] * month[d]`` and variance ``mean + alpha[k] * mean^2``, as the engine draws them. The mean's
factors are the Poisson maximum-likelihood fit of that log-linear model (every store-SKU-day cell counts,
a missing row as zero units), which on a full grid of cells has closed forms (the totals by SKU, by store
and by day) and a few iterations between weekday and month. A day that ended with no stock (``on_hand``
0) is censored: demand was at least the units sold; the fit replaces such cells by their expected demand
given that (EM) until the rates settle. Each SKU's alpha is then its maximum-likelihood value given the
means (censored cells entering as P[D >= units]), shrunk on the log scale toward the catalog's spread in
proportion to how little its own data says (empirical Bayes: a SKU sold twice a year borrows almost all
of it). Scales are normalised to a mean of 1 over stores, weekday and month multipliers to a mean of 1.

From an order log: the channel mix (share of units), lines per order and units per line, the hourly
profile of orders, and each zone's demand scale (its online units over the catalog's rates and the
season of its days).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.kernels import fitting
from simulation.spec import ONLINE_CHANNELS, DataError
from simulation.world.history_files import History

ALPHA_RANGE = (1e-4, 50.0)  # the overdispersion searched (below 1e-4 a negative binomial is Poisson to the eye)
EM_ROUNDS = 30


@dataclass
class WalkInFit:
    skus: np.ndarray            # ids, in the history's order
    stores: np.ndarray
    rate: np.ndarray            # mean daily units at scale 1, weekday and month 1
    scale: np.ndarray           # per store, mean 1
    weekday: np.ndarray         # 7 multipliers, mean 1
    monthly: np.ndarray         # 12 multipliers, mean 1 over the months the history covers (1 for the others)
    months_seen: np.ndarray     # bool per month
    alpha: np.ndarray           # overdispersion per SKU, shrunk
    alpha_mle: np.ndarray
    alpha_information: np.ndarray  # observed information of log alpha at its MLE
    units: np.ndarray           # units sold per SKU
    censored_cells: np.ndarray  # per SKU
    days: int
    used: np.ndarray            # bool per day of the history: fitted (not a day of a known promotion or shock)
    censoring: bool             # on_hand was given
    em_rounds: int = 0
    notes: list[str] = field(default_factory=list)

    def catalog(self) -> pd.DataFrame:
        return pd.DataFrame({"sku": self.skus, "mean_daily_units": self.rate, "overdispersion": self.alpha,
                             "overdispersion_mle": self.alpha_mle,
                             "overdispersion_log_se": 1 / np.sqrt(np.maximum(self.alpha_information, 1e-12)),
                             "units": self.units, "censored_cells": self.censored_cells})


@dataclass
class OnlineFit:
    channel_mix: dict[str, float]
    basket_lines_mean: float
    units_per_line_mean: float
    hourly_profile: list[float]
    zone_scale: dict[str, float]
    zone_mix: dict[str, dict[str, float]]   # each zone's share of its units by channel
    orders: int


def _season(history: History) -> tuple[np.ndarray, np.ndarray]:
    return history.weekday(), history.month()


def _day_factors(day_totals: np.ndarray, level: float, weekday_of: np.ndarray, month_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekday and month multipliers from the totals per day: iterative proportional fitting of day_total ~
    level * weekday * month (the Poisson MLE of those two factors)."""
    weekday, month = np.ones(7), np.ones(12)
    for _ in range(50):
        expect = level * month[month_of]
        weekday = np.bincount(weekday_of, day_totals, 7) / np.maximum(np.bincount(weekday_of, expect, 7), 1e-300)
        expect = level * weekday[weekday_of]
        seen = np.bincount(month_of, minlength=12) > 0
        month = np.where(seen, np.bincount(month_of, day_totals, 12) / np.maximum(np.bincount(month_of, expect, 12), 1e-300), 1.0)
    return weekday, month


def fit_walk_in(history: History, skip_days=()) -> WalkInFit:
    """The walk-in demand model of a sales history (rows of channel walk_in), leaving out ``skip_days`` (days
    a promotion or shock lifted demand: the model's multipliers are for ordinary days)."""
    frame = history.frame[history.frame["channel"] == "walk_in"]
    if frame.empty:
        raise DataError([f"sales ({history.path}): no walk-in rows to fit (channel walk_in)"])
    censoring = "on_hand" in frame.columns
    store_cat, sku_cat = frame["location"].astype("category"), frame["sku"].astype("category")
    stores, skus = np.asarray(store_cat.cat.categories, str), np.asarray(sku_cat.cat.categories, str)
    i, k = store_cat.cat.codes.to_numpy(np.int64), sku_cat.cat.codes.to_numpy(np.int64)
    d, y = frame["day"].to_numpy(np.int64), frame["units"].to_numpy(np.int64)
    cens = (frame["on_hand"].to_numpy() == 0) if censoring else np.zeros(y.size, bool)
    used = np.ones(history.days, bool)
    used[[day for day in skip_days if 0 <= day < history.days]] = False
    keep = ((y > 0) | cens) & used[d]  # a zero row with stock left says what a missing row says
    i, k, d, y, cens = i[keep], k[keep], d[keep], y[keep], cens[keep]
    order = np.argsort(k, kind="stable")
    i, k, d, y, cens = i[order], k[order], d[order], y[order], cens[order]
    n_stores, n_skus, days = stores.size, skus.size, history.days
    weekday_of, month_of = _season(history)
    completed = y.astype(float)
    alpha = np.full(n_skus, 0.1)
    rounds = 0
    for rounds in range(1, (EM_ROUNDS if cens.any() else 1) + 1):
        by_sku = np.bincount(k, completed, n_skus)
        by_store = np.bincount(i, completed, n_stores)
        by_day = np.bincount(d, completed, days)
        total = completed.sum()
        weekday, month = _day_factors(by_day[used], total / used.sum(), weekday_of[used], month_of[used])
        season = np.where(used, weekday[weekday_of] * month[month_of], 0.0)
        scale = by_store / by_store.mean() if by_store.mean() > 0 else np.ones(n_stores)
        rate = by_sku / (scale.sum() * season.sum())
        if not cens.any():
            break
        mu = rate[k] * scale[i] * season[d]
        before = completed[cens].copy()
        completed[cens] = fitting.censored_mean(y[cens], mu[cens], alpha[k[cens]])
        if rounds % 3 == 0 or rounds == 1:  # alpha moves the censored means a little: refit it now and then
            alpha = _alpha(rate, scale, season, i, k, d, y, cens, n_skus)[0]
        if np.abs(completed[cens] - before).max() < 1e-3:
            break
    weekday, month, rate = _normalise(weekday, month, rate, weekday_of[used], month_of[used])
    season = np.where(used, weekday[weekday_of] * month[month_of], 0.0)
    alpha_mle, information = _alpha(rate, scale, season, i, k, d, y, cens, n_skus)
    shrunk, notes = _shrink(alpha_mle, information)
    if not censoring:
        notes.append("no on_hand column: days that ended with no stock are not known, so their sales are taken as demand "
                     "(rates of SKUs that ran out are biased low)")
    if not used.all():
        notes.append(f"{(~used).sum()} day(s) of the base scenario's promotions and shocks left out of the fit")
    seen = np.bincount(month_of[used], minlength=12) > 0
    return WalkInFit(skus, stores, rate, scale, weekday, month, seen, shrunk, alpha_mle, information,
                     np.bincount(k, y, n_skus).astype(np.int64), np.bincount(k[cens], minlength=n_skus), days, used, censoring,
                     rounds, notes)


def _normalise(weekday, month, rate, weekday_of, month_of):
    """Weekday multipliers to mean 1, month multipliers to mean 1 over the months seen; the rates take the rest."""
    seen = np.bincount(month_of, minlength=12) > 0
    w_mean, m_mean = weekday.mean(), month[seen].mean()
    return weekday / w_mean, np.where(seen, month / m_mean, 1.0), rate * w_mean * m_mean


def season_groups(season: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct season multipliers of the fitted days (0: a day left out) and how many days have each."""
    values, inverse = np.unique(np.round(season, 12), return_inverse=True)
    counts = np.bincount(inverse, minlength=values.size).astype(float)
    return values[values > 0], counts[values > 0]


def _alpha(rate, scale, season, i, k, d, y, cens, n_skus):
    values, counts = season_groups(season)
    start = np.searchsorted(k, np.arange(n_skus + 1)).astype(np.int64)
    mu = rate[k] * scale[i] * season[d]
    alpha, information, _ = fitting.fit_overdispersion(rate, scale, values, counts, start, y, mu, cens, *ALPHA_RANGE)
    return alpha, information


def _shrink(alpha: np.ndarray, information: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Empirical Bayes on log alpha: each SKU's MLE pulled toward the mean of the well-measured ones, by the
    ratio of the spread between SKUs to its own sampling variance (normal approximation)."""
    theta = np.log(alpha)
    var = 1.0 / np.maximum(information, 1e-12)
    good = var < 1.0  # SKUs whose own data pins log alpha within +-1
    if good.sum() < 3:
        return alpha, ["too few SKUs with enough data to shrink their overdispersion: each is its own MLE"]
    weight = 1.0 / var[good]
    centre = float((theta[good] * weight).sum() / weight.sum())
    spread = max(float(np.average((theta[good] - centre) ** 2, weights=weight) - np.average(var[good], weights=weight)), 1e-4)
    posterior = (theta / var + centre / spread) / (1.0 / var + 1.0 / spread)
    return np.exp(posterior), [f"overdispersion shrunk toward {np.exp(centre):.3g} (log-scale spread between SKUs {np.sqrt(spread):.2f})"]


def shares(units: np.ndarray) -> dict[str, float]:
    """Units by online channel as shares rounded to 4 decimals that still sum to 1 (the largest takes the rest).

    >>> shares(np.array([1.0, 1.0, 1.0]))
    {'bopis': 0.3334, 'home_delivery': 0.3333, 'instant': 0.3333}
    """
    out = np.round(units / units.sum(), 4)
    out[np.argmax(out)] += round(1.0 - out.sum(), 4)
    return {c: round(float(v), 4) for c, v in zip(ONLINE_CHANNELS, out, strict=True)}


def fit_online(orders: History, walk_in: WalkInFit | None) -> OnlineFit:
    """Each zone's demand scale and channel mix, the network's mix, the basket and the hourly profile of an
    order log, over the days the walk-in fit used (promotion and shock days left out)."""
    f = orders.frame
    if walk_in is not None and walk_in.used.size >= orders.days:
        f = f[walk_in.used[f["day"].to_numpy()]]
    ids = f["order"].to_numpy(np.int64)
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    n_orders = first.size
    units = f["units"].to_numpy(float)
    by_channel = f.groupby("channel", observed=True)["units"].sum()
    mix = shares(np.array([by_channel.get(c, 0) for c in ONLINE_CHANNELS], float))
    hours = np.floor(f["hour"].to_numpy(float)[first]).astype(np.int64).clip(0, 23)
    profile = np.bincount(hours, minlength=24) / n_orders * 24
    cells = f.groupby(["zone", "channel"], observed=False)["units"].sum().unstack("channel").reindex(columns=list(ONLINE_CHANNELS))
    cells = cells.fillna(0.0)
    zone_units = cells.sum(axis=1)
    if walk_in is not None:  # expected zone units = scale x season x the catalog's summed rates
        weekday_of, month_of = _season(orders)
        used = walk_in.used[: orders.days] if walk_in.used.size >= orders.days else np.ones(orders.days, bool)
        season = (walk_in.weekday[weekday_of] * walk_in.monthly[month_of])[used].sum()
        zone_scale = {str(z): float(u / (walk_in.rate.sum() * season)) for z, u in zone_units.items()}
    else:
        zone_scale = {str(z): float(u / zone_units.mean()) for z, u in zone_units.items()}
    zone_mix = {str(z): shares(row.to_numpy(float)) for z, row in cells.iterrows() if row.sum() > 0}
    return OnlineFit(mix, float(len(f) / n_orders), float(units.mean()), [round(float(p), 4) for p in profile], zone_scale,
                     zone_mix, n_orders)
