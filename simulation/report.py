"""A one-page report of a comparison: the answer in a sentence, the numbers with their 95% CIs, and
the charts (``figures/*.png`` at 150 dpi and ``*.svg``), as ``report.html`` (self-contained: figures
inlined, no external references) and ``report.pdf``.

Only differences whose 95% CI excludes zero are stated as effects; the rest are reported as "no
significant difference".
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from .results import atomic_write

# (metric, channel, what it is called, direction that is better, how it is printed)
HEADLINE = (("days_of_inventory", "all", "days of inventory", "down", "{:.1f} days"),
            ("fill_rate_units", "all", "fill rate", "up", "{:.1%}"),
            ("on_time_rate", "all", "online orders on time", "up", "{:.1%}"),
            ("cost_total", "all", "total cost", "down", "{:,.0f}"))
FILL_CHANNELS = ("walk_in", "bopis", "home_delivery", "instant")


def _kpi(table: pd.DataFrame, metric: str, channel: str, policy: str, node_type: str = "all"):
    hit = table[(table.metric == metric) & (table.channel == channel) & (table.node_type == node_type) & (table.policy == policy)]
    return None if hit.empty else hit.iloc[0]


def headline(table: pd.DataFrame, baseline: str, policy: str) -> list[str]:
    """Sentences comparing ``policy`` with ``baseline``, computed from the comparison table."""
    out = []
    for metric, channel, name, better, fmt in HEADLINE:
        base, other = _kpi(table, metric, channel, baseline), _kpi(table, metric, channel, policy)
        if base is None or other is None:
            continue
        if not bool(other["significant"]):
            out.append(f"No significant difference in {name} ({fmt.format(base['mean'])} against {fmt.format(other['mean'])}).")
            continue
        rises = other["diff"] > 0
        verb = "raises" if rises else "cuts"
        good = rises == (better == "up")
        if "%" in fmt:  # a share: the change in percentage points
            rel = f" ({other['diff'] * 100:+.1f} pp, 95% CI {other['diff_low'] * 100:+.1f} to {other['diff_high'] * 100:+.1f})"
        else:
            rel = (f" ({other['diff_pct']:+.0%}, 95% CI {other['diff_low'] / base['mean']:+.0%} to "
                   f"{other['diff_high'] / base['mean']:+.0%})") if base["mean"] else ""
        out.append(f"{policy} {verb} {name} from {fmt.format(base['mean'])} to {fmt.format(other['mean'])}{rel}"
                   f"{'' if good else ', a change for the worse'}.")
    return out


def _figures(table: pd.DataFrame) -> dict[str, object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots

    figures = {}
    channels = [c for c in FILL_CHANNELS if ((table.metric == "fill_rate_units") & (table.channel == c)).any()]
    for name, kpis in (("fill_rate_by_channel", [("fill_rate_units", c) for c in channels]),
                       ("on_time_by_channel", [("on_time_rate", c) for c in channels
                                               if ((table.metric == "on_time_rate") & (table.channel == c)).any()]),
                       ("days_of_inventory", [("days_of_inventory", "all")])):
        if kpis:
            fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
            plots.kpi_comparison(table, kpis, ax=ax)
            figures[name] = fig
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    plots.stock_by_node_type(table, ax=ax)
    figures["stock_by_node_type"] = fig
    return figures


def report(results_dir: str | Path) -> Path:
    """Write the report of a comparison folder (``invsim compare`` output); returns report.html's path."""
    folder = Path(results_dir)
    if not (folder / "comparison.parquet").is_file():
        raise FileNotFoundError(f"{folder}: no comparison.parquet (report needs an `invsim compare` results folder)")
    table = pd.read_parquet(folder / "comparison.parquet")
    manifest = json.loads((folder / "manifest.json").read_text()) if (folder / "manifest.json").is_file() else {}
    policies = list(dict.fromkeys(table.policy))
    baseline = manifest.get("baseline", policies[0])
    sentences = [s for p in policies if p != baseline for s in headline(table, baseline, p)]
    figs = _figures(table)
    out = folder / "figures"
    out.mkdir(exist_ok=True)
    images = {}
    for name, fig in figs.items():
        atomic_write(out / f"{name}.png", lambda tmp, fig=fig: fig.savefig(tmp, dpi=150, format="png"))
        atomic_write(out / f"{name}.svg", lambda tmp, fig=fig: fig.savefig(tmp, format="svg"))
        images[name] = base64.b64encode((out / f"{name}.png").read_bytes()).decode()
    _write_pdf(folder / "report.pdf", sentences, figs)
    import matplotlib.pyplot as plt

    for fig in figs.values():
        plt.close(fig)
    page = _html(sentences, table, baseline, policies, images, manifest)
    atomic_write(folder / "report.html", lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return folder / "report.html"


def _write_pdf(path: Path, sentences: list[str], figs: dict) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    def write(tmp):
        with PdfPages(tmp) as pdf:
            cover = plt.figure(figsize=(8.27, 11.69))
            cover.text(0.08, 0.95, "Policy comparison", fontsize=18, va="top")
            y = 0.9
            for sentence in sentences:
                import textwrap

                for line in textwrap.wrap(sentence, 80):
                    cover.text(0.08, y, line, fontsize=11, va="top")
                    y -= 0.025
                y -= 0.01
            pdf.savefig(cover)
            plt.close(cover)
            for fig in figs.values():
                pdf.savefig(fig)

    atomic_write(path, write)


def _html(sentences, table, baseline, policies, images, manifest) -> str:
    rows = []
    for metric, channel, name, _, fmt in HEADLINE:
        cells = []
        for p in policies:
            k = _kpi(table, metric, channel, p)
            cells.append("–" if k is None else f"{fmt.format(k['mean'])} <small>[{fmt.format(k['ci_low'])}, "
                         f"{fmt.format(k['ci_high'])}]</small>")
        rows.append(f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    figures = "".join(f'<figure><img alt="{html.escape(n)}" src="data:image/png;base64,{b64}">'
                      f"<figcaption>{html.escape(n.replace('_', ' '))}</figcaption></figure>" for n, b64 in images.items())
    seed = manifest.get("seed", "?")
    reps = manifest.get("replications", "?")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Policy comparison</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
h1{{font-size:1.6rem}} .headline p{{font-size:1.15rem;margin:.4rem 0}}
table{{border-collapse:collapse;margin:1rem 0}} th,td{{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:right}}
th:first-child{{text-align:left}} figure{{margin:1rem 0}} img{{max-width:100%}}</style></head>
<body><h1>Policy comparison: {html.escape(', '.join(policies))} (baseline {html.escape(baseline)})</h1>
<section class="headline" id="headline">{''.join(f'<p>{html.escape(s)}</p>' for s in sentences)}</section>
<table><tr><th>KPI (mean [95% CI])</th>{''.join(f'<th>{html.escape(p)}</th>' for p in policies)}</tr>{''.join(rows)}</table>
<p><small>Seed {html.escape(str(seed))}, {html.escape(str(reps))} paired replications per policy on common random numbers.
Effects are stated only where the 95% CI of the paired difference excludes zero.</small></p>
{figures}
</body></html>
"""
