"""report.html: one self-contained page (figures inlined as PNG, no external references) that reads on a
laptop, a projector and a phone: the table's cells wrap, the figures scale to the page."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

from simulation.reporting.figures import Chart


@dataclass(frozen=True)
class Section:
    """A titled part after the main table: sentences, then a table (head, rows) when there is one."""

    heading: str
    sentences: list[str]
    table: tuple[list[str], list[list[str]]] | None = None


def _table(head: list[str], rows: list[list[str]], id_: str = "") -> str:
    attr = f' id="{id_}"' if id_ else ""
    return (f"<table{attr}><thead><tr>" + "".join(_cell(h, "th") for h in head)
            + "</tr></thead><tbody>" + "".join("<tr>" + "".join(_cell(c, "td") for c in row) + "</tr>" for row in rows)
            + "</tbody></table>")


def _cell(value, tag: str) -> str:
    return f"<{tag}>{'<br>'.join(html.escape(line) for line in str(value).split(chr(10)))}</{tag}>"


def html_page(title: str, sentences: list[str], summary: tuple[list[str], list[list[str]]], note: str, charts: list[Chart],
              figures: Path, sections: tuple[Section, ...] = ()) -> str:
    table = _table(*summary, id_="kpis")
    parts = "".join(f"<h2>{html.escape(x.heading)}</h2>" + "".join(f"<p>{html.escape(t)}</p>" for t in x.sentences)
                    + (_table(*x.table) if x.table else "") for x in sections)
    shown = "".join(
        f'<figure id="{html.escape(c.name)}"><img alt="{html.escape(c.caption)}" src="data:image/png;base64,'
        f'{base64.b64encode((figures / f"{c.name}.png").read_bytes()).decode()}"><figcaption>{html.escape(c.caption)}</figcaption>'
        "</figure>" for c in charts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}}
h1{{font-size:1.6rem}} h2{{font-size:1.25rem;margin-top:1.5rem}} .headline p{{font-size:1.15rem;margin:.4rem 0}}
table{{border-collapse:collapse;margin:1rem 0;width:100%;table-layout:fixed}}
th,td{{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}}
thead th{{border-bottom:2px solid #222}} th:first-child,td:first-child{{text-align:left}}
figure{{margin:1.5rem 0}} img{{max-width:100%;height:auto}} figcaption{{color:#444;font-size:.95rem}}</style></head>
<body><h1>{html.escape(title)}</h1>
<section class="headline" id="headline">{''.join(f'<p>{html.escape(s)}</p>' for s in sentences)}</section>
{table}
<p><small>{html.escape(note)}</small></p>
{parts}
{shown}
</body></html>
"""
