"""References generated from the package's own facts, so no document restates them by hand: the KPI reference
from the metric registry (the README's KPI table, written by ``python experiments/regenerate.py --kpis``)."""

from __future__ import annotations

from simulation.metrics.registry import defined


def kpi_reference() -> str:
    """The KPIs as a Markdown table: the metrics each definition covers, how they are computed, and their units
    (a share's denominator)."""
    rows = ["| metric | definition | units, denominator |", "| --- | --- | --- |"]
    for metrics, text in defined():
        units = ", ".join(dict.fromkeys(m.unit for m in metrics))
        rows.append(f"| {', '.join(f'`{m.name}`' for m in metrics)} | {text} | {units} |")
    return "\n".join(rows)
