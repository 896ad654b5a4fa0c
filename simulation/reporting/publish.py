"""A report's files, written the same way for every kind of folder: the charts as figures/*.png (150 dpi) and
*.svg, report.pdf and report.html, each atomically."""

from __future__ import annotations

from pathlib import Path

from simulation.experiment.results import atomic_write
from simulation.reporting.figures import Chart
from simulation.reporting.page import Section, html_page
from simulation.reporting.pdf import write_pdf


def publish(folder: Path, title: str, sentences: list[str], summary: tuple[list[str], list[list[str]]], note: str,
            charts: list[Chart], sections: tuple[Section, ...] = ()) -> Path:
    """Write the charts (figures/*.png and *.svg), report.pdf and report.html into ``folder``; returns report.html's path."""
    out = folder / "figures"
    out.mkdir(exist_ok=True)
    for chart in charts:
        atomic_write(out / f"{chart.name}.png", lambda tmp, fig=chart.figure: fig.savefig(tmp, dpi=150, format="png"))
        atomic_write(out / f"{chart.name}.svg", lambda tmp, fig=chart.figure: fig.savefig(tmp, format="svg"))
    atomic_write(folder / "report.pdf", lambda tmp: write_pdf(Path(tmp), title, sentences, summary, note, charts, out, sections))
    page = html_page(title, sentences, summary, note, charts, out, sections)
    atomic_write(folder / "report.html", lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return folder / "report.html"
