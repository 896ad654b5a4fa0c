"""The fit report (``fit.html``, ``figures/``): does the fitted model give the history's distribution of daily
units? For SKU velocity classes (A: the fastest 20% of SKUs by fitted rate, B: the next 30%, C: the rest),
the observed count of store-SKU-days with 0, 1, 2, ... units against the count the fitted negative
binomials expect (with ``on_hand``, of sales: min(demand, the shelf's stock that day) for every row, so
days that emptied the shelf count as such; a cell with no row is taken to have had stock enough), and
Pearson's chi-square of the two with its p-value (Wilson-Hilferty's normal approximation to the chi-square
distribution; bins expecting fewer than 5 days are merged into the tail). With millions of cells a tiny
misfit is significant: the largest gap between observed and expected shares says how large it is."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simulation.experiment.results import atomic_write
from simulation.history.fit import GOF_BINS, GROUPS, season_group
from simulation.kernels import fitting
from simulation.reporting.figures import Chart, draw
from simulation.reporting.page import html_page

BINS = GOF_BINS  # 0..10 units, and 11 or more
CLASSES = (("A", 0.0, 0.2), ("B", 0.2, 0.5), ("C", 0.5, 1.0))  # shares of SKUs, fastest first


def chi_square(observed: np.ndarray, expected: np.ndarray) -> tuple[float, int, float]:
    """Pearson's statistic, its degrees of freedom and p-value, bins expecting < 5 merged into the tail.

    >>> round(chi_square(np.array([50.0, 30, 20]), np.array([50.0, 30, 20]))[0], 6)
    0.0
    >>> chi_square(np.array([60.0, 30, 6, 3, 1]), np.array([60.0, 30, 6, 3, 1]))[1]  # 3 + 1 < 5: merged into the 6
    2
    """
    obs, exp = list(observed), list(expected)
    while len(exp) > 2 and exp[-1] < 5:
        tail_exp, tail_obs = exp.pop(), obs.pop()
        exp[-1] += tail_exp
        obs[-1] += tail_obs
    o, e = np.array(obs), np.array(exp)
    stat = float(((o - e) ** 2 / np.maximum(e, 1e-12)).sum())
    df = max(len(e) - 1, 1)
    z = ((stat / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    return stat, df, 0.5 * math.erfc(z / math.sqrt(2))


def _stocked_rows(fit, klass: np.ndarray) -> np.ndarray:
    """With shelf stock known, what each class could sell: for every row of the file (a second streamed
    pass), sales = min(demand, stock) in place of demand; returns the change to each class's expected bins."""
    w = fit.walk_in
    season = np.where(w.used, w.weekday[w.weekday_of] * w.monthly[w.month_of], 0.0)
    change = np.zeros((int(klass.max()) + 1, BINS))
    for batch in fit.sales.batches():
        rows = batch["walk_in"].to_numpy() & w.used[batch["day"].to_numpy()]
        k, i, d = (batch[c].to_numpy(np.int64)[rows] for c in ("sku", "store", "day"))
        stock = (batch["units"].to_numpy(np.int64) + batch["on_hand"].to_numpy(np.int64))[rows]  # on the shelf before the day's trade
        mu, a = w.rate[k] * w.scale[i] * season[d] * (w.mix[k, i] if w.mix is not None else 1.0), w.alpha[k]
        for c in range(change.shape[0]):
            mine = klass[k] == c
            change[c] += (fitting.sales_histogram(mu=mu[mine], alpha_of_row=a[mine], stock=stock[mine], bins=BINS)
                          - fitting.cells_histogram(mu[mine], a[mine], BINS))
    return change


def class_histograms(fit) -> list[dict]:
    """Observed and expected store-SKU-days per units bin, per velocity class."""
    w, stats = fit.walk_in, fit.walk_in.stats
    group_season = np.array([w.weekday[g // 12] * w.monthly[g % 12] for g in range(GROUPS)])
    group_days = np.bincount(season_group(w.weekday_of, w.month_of)[w.used], minlength=GROUPS).astype(float)
    mix = w.mix if w.mix is not None else np.ones((w.rate.size, w.scale.size))
    expected_all = fitting.expected_histogram(rate=w.rate, scale=w.scale, mix=mix, season_value=group_season, season_days=group_days,
                                              alpha=w.alpha, bins=BINS)
    rank = np.empty(w.rate.size, np.int64)
    rank[np.argsort(-w.rate, kind="stable")] = np.arange(w.rate.size)
    klass = np.searchsorted(np.round(np.array([high for _, _, high in CLASSES]) * rank.size), rank, side="right")
    stocked = _stocked_rows(fit, klass) if w.censoring else None
    out = []
    for c, (name, _, _) in enumerate(CLASSES):
        members = klass == c
        if not members.any():
            continue
        observed = stats.sold_bins[members].sum(axis=0).astype(float)
        observed[0] = members.sum() * w.stores.size * w.used.sum() - observed[1:].sum()  # every other cell sold nothing
        expected = expected_all[members].sum(axis=0) + (stocked[c] if stocked is not None else 0.0)
        stat, df, p = chi_square(observed, expected)
        gap = float(np.abs(observed / observed.sum() - expected / expected.sum()).max())
        out.append({"class": name, "skus": int(members.sum()), "days": float(observed.sum()), "observed": observed,
                    "expected": expected, "chi_square": stat, "df": df, "p_value": p, "largest_share_gap": gap})
    return out


def _histogram(row: dict, ax):
    from simulation.reporting import plots

    x = np.arange(BINS)
    ax.bar(x - 0.2, row["observed"] / row["observed"].sum() * 100, 0.4, color=plots.PALETTE[0], label="history")
    ax.bar(x + 0.2, row["expected"] / row["expected"].sum() * 100, 0.4, color=plots.PALETTE[1], label="fitted model")
    ax.set_yscale("log")
    ax.set_xticks(x, [str(v) for v in x[:-1]] + [f"{BINS - 1}+"])
    ax.set_xlabel("units in a store-SKU-day")
    ax.set_ylabel("% of store-SKU-days (log scale)")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def write_fit_report(fit, out: Path) -> list[dict]:
    """fit.html and figures/fit_class_*.png; returns the goodness of fit per class (for fit.json)."""
    rows = class_histograms(fit)
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    charts = []
    given = " given each day's shelf stock" if fit.walk_in.censoring else ""
    for row in rows:
        chart = Chart(f"fit_class_{row['class']}", draw(_histogram, row),
                      f"Class {row['class']} ({row['skus']} SKUs): the share of store-SKU-days with each number of units, in the "
                      f"history and as the fitted negative binomials expect{given}. "
                      f"Chi-square {row['chi_square']:,.1f} on {row['df']} df, p = {row['p_value']:.3g}.")
        atomic_write(figures / f"{chart.name}.png", lambda tmp, fig=chart.figure: fig.savefig(tmp, dpi=150, format="png"))
        charts.append(chart)
    w = fit.walk_in
    sentences = [f"{w.skus.size:,} SKUs at {w.stores.size} stores over {w.days} days; "
                 f"{int(w.censored_cells.sum()):,} store-SKU-days ended with no stock (censored).", *w.notes]
    head = ["class", "SKUs", "store-SKU-days", "chi-square (df)", "p (Wilson-Hilferty)", "largest share gap"]
    table = [[r["class"], f"{r['skus']:,}", f"{r['days']:,.0f}", f"{r['chi_square']:,.1f} ({r['df']})", f"{r['p_value']:.3g}",
              f"{r['largest_share_gap'] * 100:.2f} pp"] for r in rows]
    page = html_page("Demand fit: the history against the fitted model", sentences, (head, table),
                     "Classes by fitted rate: A the fastest 20% of SKUs, B the next 30%, C the rest.", charts, figures)
    atomic_write(out / "fit.html", lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()} for r in rows]
