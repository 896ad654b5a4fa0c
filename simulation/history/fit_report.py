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
from simulation.history.fit import season_groups
from simulation.kernels import fitting
from simulation.reporting.figures import Chart, draw
from simulation.reporting.page import html_page

BINS = 12  # 0..10 units, and 11 or more
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


def codes_in(values, index: dict) -> np.ndarray:
    """A categorical column as positions in ``index`` (id -> position), through its categories (fast)."""
    lookup = np.array([index.get(str(c), -1) for c in values.cat.categories], np.int64)
    return lookup[values.cat.codes.to_numpy()]


def class_histograms(fit) -> list[dict]:
    """Observed and expected days per units bin, per velocity class (uncensored days only)."""
    w, frame = fit.walk_in, fit.sales.frame
    frame = frame[frame["channel"] == "walk_in"]
    sku_index = {s: j for j, s in enumerate(w.skus)}
    store_index = {s: j for j, s in enumerate(w.stores)}
    k = codes_in(frame["sku"], sku_index)
    i = codes_in(frame["location"], store_index)
    d, y = frame["day"].to_numpy(np.int64), frame["units"].to_numpy(np.int64)
    stock = y + frame["on_hand"].to_numpy(np.int64) if w.censoring else None  # on the shelf before the day's trade
    weekday_of, month_of = fit.sales.weekday(), fit.sales.month()
    season = np.where(w.used, w.weekday[weekday_of] * w.monthly[month_of], 0.0)
    values, counts = season_groups(season)
    on_used = w.used[d]
    expected_all = fitting.expected_histogram(w.rate, w.scale, values, counts, w.alpha, BINS)
    rank = np.empty(w.rate.size, np.int64)
    rank[np.argsort(-w.rate, kind="stable")] = np.arange(w.rate.size)
    out = []
    for name, low, high in CLASSES:
        members = (rank >= round(low * rank.size)) & (rank < round(high * rank.size))
        if not members.any():
            continue
        rows = members[k] & on_used
        observed = np.bincount(np.minimum(y[rows], BINS - 1), minlength=BINS).astype(float)
        observed[0] += members.sum() * w.stores.size * w.used.sum() - rows.sum()  # cells without a row sold nothing
        expected = expected_all[members].sum(axis=0)
        if w.censoring:  # a row's shelf stock is known: what it could sell is min(demand, stock)
            mu = w.rate[k[rows]] * w.scale[i[rows]] * season[d[rows]]
            a = w.alpha[k[rows]]
            expected += fitting.sales_histogram(mu, a, stock[rows], BINS) - fitting.cells_histogram(mu, a, BINS)
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
