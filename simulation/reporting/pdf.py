"""report.pdf, laid out as a document with reportlab: A4, a title page with the headline and the KPI table
(its columns sized to the page for any number of policies, cells wrapped, long tables continued on the
next page with their header), then the charts two to a page with their captions, and page numbers."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from simulation.reporting.figures import Chart
from simulation.reporting.page import Section

MARGIN = 1.8 * cm  # the page's outer margin; the footer sits inside it, 1 cm from the edge


def _text(value: str) -> str:
    """Plain text as a reportlab paragraph's markup: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in str(value).split("\n"))


class _NumberedCanvas(Canvas):
    """Writes "page i of n" and the report's title on every page once n is known (the pages are held
    until the document is saved)."""

    title = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.grey)
            width = A4[0]
            title = self.title if len(self.title) <= 90 else self.title[:89] + "…"
            self.drawString(MARGIN, 1 * cm, title)
            self.drawRightString(width - MARGIN, 1 * cm, f"page {number} of {len(self._pages)}")
            super().showPage()
        super().save()


def _table(head: list[str], rows: list[list[str]], width: float, styles) -> Table:
    """The KPI table across the page's width: the first column wider, the rest shared; a smaller font
    the more columns there are; every cell a paragraph, so nothing runs past its column."""
    n = len(head)
    size = 9 if n <= 4 else 8 if n <= 6 else 7
    # names break at their hyphens first, and mid-word only when a part is longer than the column
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=size, leading=size * 1.2, alignment=2,
                          embeddedHyphenation=1, splitLongWords=1)
    first = ParagraphStyle("first", parent=cell, alignment=0)
    header = ParagraphStyle("header", parent=cell, fontName="Helvetica-Bold")
    header_first = ParagraphStyle("header_first", parent=header, alignment=0)
    lead = width * (0.28 if n <= 4 else 0.22 if n <= 7 else 0.16)
    widths = [lead, *[(width - lead) / (n - 1)] * (n - 1)] if n > 1 else [width]
    data = [[Paragraph(_text(h), header_first if i == 0 else header) for i, h in enumerate(head)]]
    data += [[Paragraph(_text(c), first if i == 0 else cell) for i, c in enumerate(row)] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                               ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.lightgrey),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    return table


def write_pdf(path: Path, title: str, sentences: list[str], summary: tuple[list[str], list[list[str]]], note: str,
              charts: list[Chart], figures: Path, sections: tuple[Section, ...] = ()) -> None:
    """Write the report to ``path`` (a temporary file the caller renames); the charts are read from their
    PNGs in ``figures``."""
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=11, leading=14.5, spaceAfter=6)
    small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=8.5, leading=11, textColor=colors.HexColor("#444444"))
    caption = ParagraphStyle("caption", parent=small, spaceBefore=2, spaceAfter=14)
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title, author="invsim")
    width = doc.width
    story = [Paragraph(_text(title), styles["Title"]), Spacer(1, 6)]
    story += [Paragraph(_text(s), body) for s in sentences]
    head, rows = summary
    if rows:
        story += [Spacer(1, 8), _table(head, rows, width, styles)]
    story += [Spacer(1, 8), Paragraph(_text(note), small)]
    for section in sections:
        story += [Spacer(1, 6), Paragraph(_text(section.heading), styles["Heading2"])]
        story += [Paragraph(_text(s), body) for s in section.sentences]
        if section.table:
            story.append(_table(*section.table, width, styles))
    if charts:
        story.append(PageBreak())
    image_width = width
    image_height = image_width * 4.5 / 8  # the charts' aspect (8 x 4.5 in)
    for chart in charts:
        story.append(KeepTogether([Image(str(figures / f"{chart.name}.png"), width=image_width, height=image_height),
                                   Paragraph(_text(chart.caption), caption)]))

    class Numbered(_NumberedCanvas):
        pass

    Numbered.title = title
    doc.build(story, canvasmaker=Numbered)
