"""The demand model fitted to a history (``invsim fit``, ``sim.fit``).

Walk-in units of SKU k at store i on day d are negative binomial with mean ``rate[k] * scale[i] *
weekday[d] * month[d]`` (times each store's own multiplier of the SKU, where the data shows a mix) and
variance ``mean + alpha[k] * mean^2``, as the engine draws them. The sales file is streamed once and
reduced to what the fit needs (``gather``): totals by SKU, store and day; units by SKU x store x season
group (weekday x month) and counts of row values, for the likelihood; and the censored rows. The mean's
factors are the Poisson maximum-likelihood fit of the log-linear model over every store-SKU-day cell (a
missing row is zero units), which on a full grid has closed forms (the totals) and a few iterations
between weekday and month. A day that ended with no stock (``on_hand`` 0) is censored: demand was at least
the units sold; the fit adds each such cell's expected excess given that (EM) until the rates settle.
Each SKU's alpha is then its maximum-likelihood value given the means (censored cells entering as P[D >=
units]), shrunk on the log scale toward the catalog's centre in proportion to how little its own data says
(empirical Bayes). Store scales have mean 1 (a base scenario's mean, in ``fitted``), weekday and month
multipliers mean 1.

From an order log (streamed too): each zone's demand scale and channel mix, lines per order and units
per line, and the hourly profile of orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.kernels import fitting
from simulation.scenario import ONLINE_CHANNELS, DataError
from simulation.world.history_files import day_calendar
from simulation.world.order_file import OrderFile
from simulation.world.sales_file import SalesFile

ALPHA_RANGE = (1e-4, 50.0)  # the overdispersion searched (below 1e-4 a negative binomial is Poisson to the eye)
EM_ROUNDS = 30
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


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
    stats: SalesStats | None = None
    weekday_of: np.ndarray | None = None  # per day of the history
    month_of: np.ndarray | None = None
    mix: np.ndarray | None = None         # [SKU, store] each store's own multiplier of each SKU (None: the data shows none)
    mix_cv: float = 0.0                   # the spread of those multipliers between store-SKUs

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


@dataclass
class SalesStats:
    """What the fit keeps of a sales file, gathered in one streamed pass: totals by SKU, store and day; units
    by (SKU, store, season group) and counts of each row value by SKU, for the likelihood (uncensored rows);
    and the censored rows themselves (they are few: days that ended with an empty shelf)."""

    by_sku: np.ndarray
    by_store: np.ndarray
    by_day: np.ndarray
    cell_units: np.ndarray     # int32 [SKU, store, season group] of uncensored rows
    value_counts: np.ndarray   # int64 [SKU, VALUES]: uncensored rows with units v (v >= VALUES in the last column)
    big: tuple[np.ndarray, np.ndarray]  # (sku, units) of uncensored rows with units >= VALUES
    sold_bins: np.ndarray      # int64 [SKU, BINS] of every row with units > 0 (units over BINS - 1 in the last)
    censored: dict[str, np.ndarray]  # k, i, d, y of censored rows
    rows: int


VALUES = 64    # row values counted one by one for the likelihood; larger ones are kept as rows
GOF_BINS = 12  # the fit report's bins: 0..10 units and 11 or more
GROUPS = 84    # season groups: weekday x month


def season_group(weekday_of: np.ndarray, month_of: np.ndarray) -> np.ndarray:
    return weekday_of * 12 + month_of


def gather(source: SalesFile, used_of) -> tuple[SalesStats, np.ndarray, np.ndarray]:
    """One pass over the file: its statistics, and each day's weekday and month (``used_of(days)``: which days to fit)."""
    n_skus, n_stores = len(source.skus), len(source.locations)
    by_sku, by_store = np.zeros(n_skus), np.zeros(n_stores)
    by_day = np.zeros(0)
    cell = np.zeros(n_skus * n_stores * GROUPS, np.int32)  # a retail catalog's is 2 GB: int32, added in place
    counts = np.zeros(n_skus * VALUES, np.int64)
    sold = np.zeros(n_skus * GOF_BINS, np.int64)
    big_k, big_y, cens_parts = [], [], []
    rows = 0
    for batch in source.batches():
        walk = batch["walk_in"].to_numpy()
        d, i, k, y = (batch[c].to_numpy(np.int64)[walk] for c in ("day", "store", "sku", "units"))
        weekday_of, month_of = day_calendar(int(d.max()) + 1 if d.size else 0, source.first_date)
        used = used_of(weekday_of.size)
        keep = used[d] if d.size else np.zeros(0, bool)
        cens = (batch["on_hand"].to_numpy()[walk] == 0) & keep if "on_hand" in batch else np.zeros(d.size, bool)
        keep &= (y > 0) | cens
        d, i, k, y, cens = d[keep], i[keep], k[keep], y[keep], cens[keep]
        rows += d.size
        by_sku += np.bincount(k, y, n_skus)
        by_store += np.bincount(i, y, n_stores)
        day_sum = np.bincount(d, y)
        by_day = np.r_[by_day, np.zeros(max(day_sum.size - by_day.size, 0))]
        by_day[: day_sum.size] += day_sum
        sold += np.bincount(k[y > 0] * GOF_BINS + np.minimum(y[y > 0], GOF_BINS - 1), minlength=sold.size)
        free = ~cens
        g = season_group(weekday_of[d[free]], month_of[d[free]])
        fitting.add_at(cell, (k[free] * n_stores + i[free]) * GROUPS + g, y[free].astype(np.int32))
        counts += np.bincount(k[free] * VALUES + np.minimum(y[free], VALUES - 1), minlength=counts.size)
        large = free & (y >= VALUES)
        big_k.append(k[large])
        big_y.append(y[large])
        cens_parts.append((k[cens], i[cens], d[cens], y[cens]))
    weekday_of, month_of = day_calendar(source.days, source.first_date)
    cens = {name: np.concatenate([p[j] for p in cens_parts]) if cens_parts else np.zeros(0, np.int64)
            for j, name in enumerate("kidy")}
    big = (np.concatenate(big_k) if big_k else np.zeros(0, np.int64), np.concatenate(big_y) if big_y else np.zeros(0, np.int64))
    order = np.argsort(big[0], kind="stable")
    stats = SalesStats(by_sku, by_store, np.r_[by_day, np.zeros(source.days - by_day.size)], cell.reshape(n_skus, n_stores, GROUPS),
                       counts.reshape(n_skus, VALUES), (big[0][order], big[1][order]), sold.reshape(n_skus, GOF_BINS), cens, rows)
    return stats, weekday_of, month_of


def fit_walk_in(source: SalesFile, skip_days=()) -> WalkInFit:
    """The walk-in demand model of a sales file (rows of channel walk_in), streamed, leaving out
    ``skip_days`` (days a promotion or shock lifted demand: the model's multipliers are for ordinary days)."""
    def used_of(days: int) -> np.ndarray:
        used = np.ones(days, bool)
        used[[d for d in skip_days if 0 <= d < days]] = False
        return used
    stats, weekday_of, month_of = gather(source, used_of)
    if stats.rows == 0:
        raise DataError([f"sales ({source.path}): no walk-in rows to fit (channel walk_in)"])
    days, used = source.days, used_of(source.days)
    censoring = source.has_on_hand
    stores, skus = np.asarray(source.locations, str), np.asarray(source.skus, str)
    n_stores, n_skus = stores.size, skus.size
    cens = stats.censored
    groups = season_group(weekday_of, month_of)
    group_days = np.bincount(groups[used], minlength=GROUPS).astype(float)
    extra = np.zeros(cens["y"].size)  # censored days: expected demand beyond the units sold (EM)
    alpha = np.full(n_skus, 0.1)
    rounds = 0
    for rounds in range(1, (EM_ROUNDS if extra.size else 1) + 1):
        by_sku = stats.by_sku + np.bincount(cens["k"], extra, n_skus)
        by_store = stats.by_store + np.bincount(cens["i"], extra, n_stores)
        by_day = stats.by_day + np.bincount(cens["d"], extra, days)
        total = by_sku.sum()
        weekday, month = _day_factors(by_day[used], total / used.sum(), weekday_of[used], month_of[used])
        season = np.where(used, weekday[weekday_of] * month[month_of], 0.0)
        scale = by_store / by_store.mean() if by_store.mean() > 0 else np.ones(n_stores)
        rate = by_sku / (scale.sum() * season.sum())
        if not extra.size:
            break
        mu = rate[cens["k"]] * scale[cens["i"]] * season[cens["d"]]
        before = extra.copy()
        extra = fitting.censored_mean(cens["y"], mu, alpha[cens["k"]]) - cens["y"]
        if rounds % 3 == 0 or rounds == 1:  # alpha moves the censored means a little: refit it now and then
            alpha = _alpha(stats, rate, scale, np.ones((n_skus, n_stores)), weekday, month, group_days, season).alpha
        if np.abs(extra - before).max() < 1e-3:
            break
    weekday, month, rate = _normalise(weekday, month, rate, weekday_of[used], month_of[used])
    season = np.where(used, weekday[weekday_of] * month[month_of], 0.0)
    ones = np.ones((n_skus, n_stores))
    alpha_mle, information, _ = _alpha(stats, rate, scale, ones, weekday, month, group_days, season)
    mix, mix_cv = None, 0.0
    for _ in range(2):  # the mix and the overdispersion it leaves: each once more given the other
        mix, mix_cv = store_mix(stats, cens, extra, rate, scale, weekday, month, group_days, alpha_mle)
        alpha_mle, information, _ = _alpha(stats, rate, scale, ones if mix is None else mix, weekday, month, group_days, season)
        if mix is None:
            break
    shrunk, notes = _shrink(alpha_mle, information)
    if mix is not None:
        notes.append(f"stores sell their own mix: store-SKU multipliers fitted (store_mix.parquet); as a drawn mix, "
                     f"store_mix_cv {mix_cv:.2f}")
    if not censoring:
        notes.append("no on_hand column: days that ended with no stock are not known, so their sales are taken as demand "
                     "(rates of SKUs that ran out are biased low)")
    if not used.all():
        notes.append(f"{(~used).sum()} day(s) of the base scenario's promotions and shocks left out of the fit")
    seen = np.bincount(month_of[used], minlength=12) > 0
    if not seen.all():
        notes.append(f"months not in the history keep multiplier 1: {', '.join(MONTHS[m] for m in np.flatnonzero(~seen))}")
    units = stats.by_sku.astype(np.int64)
    return WalkInFit(skus, stores, rate, scale, weekday, month, seen, shrunk, alpha_mle, information, units,
                     np.bincount(cens["k"], minlength=n_skus), days, used, censoring, rounds, notes, stats, weekday_of, month_of,
                     mix, mix_cv)


def _normalise(weekday, month, rate, weekday_of, month_of):
    """Weekday multipliers to mean 1, month multipliers to mean 1 over the months seen; the rates take the rest."""
    seen = np.bincount(month_of, minlength=12) > 0
    w_mean, m_mean = weekday.mean(), month[seen].mean()
    return weekday / w_mean, np.where(seen, month / m_mean, 1.0), rate * w_mean * m_mean


def _alpha(stats: SalesStats, rate, scale, mix, weekday, month, group_days, season) -> fitting.Overdispersion:
    """Each SKU's overdispersion MLE and its information, from the gathered statistics."""
    group_season = np.array([weekday[g // 12] * month[g % 12] for g in range(GROUPS)])
    cens = stats.censored
    order = np.argsort(cens["k"], kind="stable")
    k, i, y = cens["k"][order], cens["i"][order], cens["y"][order]
    mu = rate[k] * scale[i] * mix[k, i] * season[cens["d"][order]]
    n_skus = rate.size
    low, high = ALPHA_RANGE
    return fitting.fit_overdispersion_stats(
        rate=rate, scale=scale, mix=mix, group_season=group_season, group_days=group_days, cell_units=stats.cell_units,
        value_counts=stats.value_counts, big_start=np.searchsorted(stats.big[0], np.arange(n_skus + 1)), big_y=stats.big[1],
        cens_start=np.searchsorted(k, np.arange(n_skus + 1)), cens_y=y, cens_mu=mu, low=low, high=high)


MIX_FLOOR = 0.02  # a spread of store-SKU multipliers below 2% is no mix worth modelling


def store_mix(stats: SalesStats, cens, extra, rate, scale, weekday, month, group_days, alpha) -> tuple[np.ndarray | None, float]:
    """Each store's own multiplier of each SKU, where the data supports one. A store-SKU's units over the
    fitted days against what rate x scale x season expects: their squared relative gap, less its sampling
    variance under the negative binomial (1/E + alpha W2/W1^2, W the season's sums), estimates the mix's
    variance c^2 (store-SKUs expecting at least 5 units); each multiplier is then its gap shrunk by
    c^2 / (c^2 + its sampling variance), scaled so each SKU keeps its total. None when c < MIX_FLOOR. The cv
    returned is that of a drawn mix (``demand.store_mix_cv``) that would leave this much once the rates and
    store scales have taken their share: c^2 x SKUs x stores / ((SKUs - 1)(stores - 1)).
    """
    group_season = np.array([weekday[g // 12] * month[g % 12] for g in range(GROUPS)])
    w1, w2 = (group_days * group_season).sum(), (group_days * group_season**2).sum()
    expected = np.outer(rate, scale) * w1
    observed = stats.cell_units.sum(axis=2, dtype=np.int64).astype(float)
    np.add.at(observed, (cens["k"], cens["i"]), cens["y"] + extra)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(expected > 0, observed / expected - 1.0, 0.0)
        variance = np.where(expected > 0, 1.0 / expected + alpha[:, None] * w2 / w1**2, np.inf)
    enough = expected >= 5
    if enough.sum() < 10:
        return None, 0.0
    c2 = max(float(np.mean(gap[enough] ** 2 - variance[enough])), 0.0)
    skus, stores = expected.shape
    drawn = float(np.sqrt(c2 * skus * stores / max((skus - 1) * (stores - 1), 1)))  # what the rates and scales absorbed, back
    if c2 < MIX_FLOOR**2:
        return None, drawn
    mix = np.maximum(1.0 + c2 / (c2 + variance) * gap, 0.0)
    mix *= scale.sum() / np.maximum((mix * scale).sum(axis=1, keepdims=True), 1e-12)
    return mix, drawn


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


def _order_batches(orders) -> tuple[Iterator[pd.DataFrame], list[str]]:
    """An order log's batches as codes, and its zone ids: streamed from an :class:`OrderFile`, or a checked
    :class:`History` (a replay's, in memory) as one batch."""
    if isinstance(orders, OrderFile):
        return orders.batches(), orders.zones
    f = orders.frame
    batch = f.assign(zone=f["zone"].cat.codes.to_numpy(), channel=f["channel"].cat.codes.to_numpy())
    return iter([batch]), [str(z) for z in f["zone"].cat.categories]


def fit_online(orders, walk_in: WalkInFit | None) -> OnlineFit:
    """Each zone's demand scale and channel mix, the network's mix, the basket and the hourly profile of an
    order log (streamed), over the days the walk-in fit used (promotion and shock days left out)."""
    batches, zones = _order_batches(orders)
    zone_units = np.zeros((len(zones), len(ONLINE_CHANNELS)))
    hours = np.zeros(24)
    n_orders = n_lines = 0
    units, previous = 0.0, -1  # the last order seen: one split across two batches counts once
    for whole in batches:
        day = whole["day"].to_numpy()
        batch = whole if walk_in is None else whole[walk_in.used[np.minimum(day, walk_in.used.size - 1)] & (day < walk_in.used.size)]
        order = batch["order"].to_numpy()
        first = np.r_[order[:1] != previous, order[1:] != order[:-1]] if len(batch) else np.zeros(0, bool)
        previous = int(order[-1]) if len(batch) else previous
        u = batch["units"].to_numpy(float)
        zone_units += np.bincount(batch["zone"].to_numpy() * len(ONLINE_CHANNELS) + batch["channel"].to_numpy(), u,
                                  zone_units.size).reshape(zone_units.shape)
        hours += np.bincount(np.floor(batch["hour"].to_numpy(float)[first]).astype(np.int64).clip(0, 23), minlength=24)
        n_orders += int(first.sum())
        n_lines += len(batch)
        units += u.sum()
    days, first_date = orders.days, orders.first_date  # known once the file has been read through
    mix = shares(zone_units.sum(axis=0))
    profile = hours / max(n_orders, 1) * 24
    total = zone_units.sum(axis=1)
    if walk_in is not None:  # expected zone units = scale x season x the catalog's summed rates
        weekday_of, month_of = day_calendar(days, first_date)
        used = walk_in.used[:days] if walk_in.used.size >= days else np.ones(days, bool)
        season = (walk_in.weekday[weekday_of] * walk_in.monthly[month_of])[used].sum()
        zone_scale = {z: float(t / (walk_in.rate.sum() * season)) for z, t in zip(zones, total, strict=True) if t > 0}
    else:
        zone_scale = {z: float(t / total[total > 0].mean()) for z, t in zip(zones, total, strict=True) if t > 0}
    zone_mix = {z: shares(row) for z, row in zip(zones, zone_units, strict=True) if row.sum() > 0}
    return OnlineFit(mix, float(n_lines / max(n_orders, 1)), float(units / max(n_lines, 1)), [round(float(p), 4) for p in profile],
                     zone_scale, zone_mix, n_orders)
