"""A report as a PDF to print: A4 with margins, the title, the parameters, what the warehouse
reflected, the page's chart (the same SVG, drawn by fpdf2) and every table, its header row
repeated on each page, numbers right-aligned, in landscape when a table is too wide for
portrait. Customer data may hold any character: DejaVu Sans (Debian's fonts-dejavu-core)
prints most scripts, and without it, or for what it lacks, characters are replaced."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from fpdf import FPDF

from ...services.analytics.catalog import Cell, Column, Kind, Report, Table
from .charts import chart_of
from .printable import Printable

FONTS = Path("/usr/share/fonts/truetype/dejavu")
MARGIN, PORTRAIT, LANDSCAPE = 15.0, 180.0, 267.0  # mm: A4 less the margins, both ways
MUTED, INK, RULE = (91, 100, 112), (27, 31, 36), (190, 197, 205)
ROW, PAD = 5.0, 1.0  # mm: a table row's height, a cell's inner margin
_NUMERIC = (Kind.MONEY, Kind.COUNT, Kind.PCT)
#: fpdf2 draws neither; the page keeps them for screen readers.
_UNDRAWN = re.compile(r"<(title|desc)\b[^>]*>.*?</\1>", re.S)


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(unit="mm", format="A4")
        self.title_text = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.printable = Printable.for_document(self, FONTS)
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.c_margin = PAD
        self.set_title(self.printable(title))
        self.set_creator("Flask Bank")

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(self.printable.family, "", 8)
        self.set_text_color(*MUTED)
        self.cell(
            0, 5, self.printable(f"{self.title_text} · page {self.page_no()} of {{nb}}"), align="C"
        )


def report_pdf(report: Report) -> bytes:
    pdf = _Document(report.title)
    printed = [_printed(pdf.printable, table, shown) for table in report.tables]
    widths = [_natural_widths(pdf, t) for t in printed]
    landscape = any(sum(w) > PORTRAIT for w in widths)
    pdf.add_page(orientation="L" if landscape else "P")
    _heading(pdf, report)
    # The chart reads the cells' own text (amounts as "1234.50"); only unprintable
    # characters in labels and series names change.
    _chart(
        pdf, replace(report, tables=tuple(_printed(pdf.printable, t, plain) for t in report.tables))
    )
    for table, natural in zip(printed, widths, strict=True):
        _table(pdf, table, natural, room=LANDSCAPE if landscape else PORTRAIT)
    return bytes(pdf.output())


def _heading(pdf: _Document, report: Report) -> None:
    pdf.set_font(pdf.printable.family, "B", 18)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, pdf.printable(report.title), new_x="LMARGIN", new_y="NEXT")
    params = dict(report.params)
    said = [f"From {params.pop('from')} to {params.pop('to')}, by {params.pop('period')}"]
    said += [f"{name}: {value}" for name, value in params.items()]
    as_of = report.as_of
    reflected = f"The warehouse reflected {as_of.events:,} events" + (
        f", up to {as_of.last_event_at}" if as_of.last_event_at else ""
    )
    pdf.set_font(pdf.printable.family, "", 10)
    pdf.set_text_color(*MUTED)
    for line in ("; ".join(said) + ".", reflected + "."):
        pdf.multi_cell(0, 5, pdf.printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _chart(pdf: _Document, report: Report) -> None:
    drawn = chart_of(report)
    if drawn is None or report.chart is None:
        return
    svg = _UNDRAWN.sub("", str(drawn)).encode()
    width = min(pdf.epw, PORTRAIT)
    pdf.image(io.BytesIO(svg), x=pdf.l_margin, w=width)
    pdf.set_font(pdf.printable.family, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, pdf.printable(report.chart.caption), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: _Document, table: Table, natural: list[float], room: float) -> None:
    if pdf.will_page_break(30):
        pdf.add_page(same=True)
    pdf.set_font(pdf.printable.family, "B", 12)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.printable.family, "", 8)
    if not table.rows:
        pdf.multi_cell(0, 5, "Nothing in the warehouse for this range.", new_x="LMARGIN")
        pdf.ln(4)
        return
    pdf.set_font(pdf.printable.family, "B", 8)
    # Titles on one line where the page has room, else the room shared out between them
    # (a title wraps at word boundaries; a figure never does).
    whole = [
        max(w, pdf.get_string_width(c.title) + 2 * PAD + 1)
        for c, w in zip(table.columns, natural, strict=True)
    ]
    wanted, spare = sum(whole) - sum(natural), max(room - sum(natural), 0.0)
    if wanted > 0:
        share = min(1.0, spare / wanted)
        natural = [n + (w - n) * share for n, w in zip(natural, whole, strict=True)]
    scale = min(1.0, room / sum(natural))
    widths = [w * scale for w in natural]
    right = [c.kind in _NUMERIC for c in table.columns]
    _header_row(pdf, table, widths, right)
    for row in table.rows:
        if pdf.will_page_break(ROW):
            pdf.add_page(same=True)
            _header_row(pdf, table, widths, right)  # a printed page must say what it holds
        pdf.set_font(pdf.printable.family, "", 8)
        for column, width, to_right in zip(table.columns, widths, right, strict=True):
            text = _fitted(pdf, row[column.name] or "", width - 2 * PAD)
            pdf.cell(width, ROW, text, align="R" if to_right else "L")
        pdf.ln(ROW)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + sum(widths), pdf.get_y())
    pdf.ln(5)


def _header_row(pdf: _Document, table: Table, widths: list[float], right: list[bool]) -> None:
    """Column titles, bold on a grey band, wrapped onto as many lines as the longest needs."""
    pdf.set_font(pdf.printable.family, "B", 8)
    pdf.set_text_color(*INK)
    lines = [_wrapped(pdf, c.title, w) for c, w in zip(table.columns, widths, strict=True)]
    height = max(len(wrapped) for wrapped in lines) * (ROW - 1) + 2
    top, x = pdf.get_y(), pdf.l_margin
    pdf.set_fill_color(227, 231, 236)
    pdf.rect(x, top, sum(widths), height, style="F")
    for wrapped, width, to_right in zip(lines, widths, right, strict=True):
        for k, line in enumerate(wrapped):
            pdf.set_xy(x, top + 1 + k * (ROW - 1))
            pdf.cell(width, ROW - 1, line, align="R" if to_right else "L")
        x += width
    pdf.set_xy(pdf.l_margin, top + height)
    pdf.set_font(pdf.printable.family, "", 8)


def _wrapped(pdf: _Document, text: str, width: float) -> list[str]:
    lines = pdf.multi_cell(width, ROW - 1, text, dry_run=True, output="LINES")
    return [str(line) for line in lines] if isinstance(lines, list) else [text]


def _fitted(pdf: _Document, text: str, room: float) -> str:
    """`text`, cut short with an ellipsis if it is wider than `room` (only long texts are)."""
    if len(text) * 1.2 < room or pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "...") > room:
        text = text[:-1]
    return text + "..."


def _printed(text: Printable, table: Table, show: Callable[[Column, Cell], Cell]) -> Table:
    """The table with each cell shown by `show`, in characters the font has."""
    rows = [
        {c.name: _maybe(text, show(c, row.get(c.name))) for c in table.columns}
        for row in table.rows
    ]
    columns = tuple(replace(c, title=text(c.title)) for c in table.columns)
    return replace(table, title=text(table.title), columns=columns, rows=rows)


def _maybe(text: Printable, cell: Cell) -> Cell:
    return None if cell is None else text(cell)


def plain(column: Column, cell: Cell) -> Cell:
    return cell


def shown(column: Column, cell: Cell) -> str:
    """A cell as it prints: amounts and counts with thousands separators, a dash for none."""
    if cell is None or cell == "":
        return "–"
    try:
        if column.kind is Kind.MONEY:
            return f"{Decimal(cell):,}"
        if column.kind is Kind.COUNT:
            return f"{int(cell):,}"
    except (InvalidOperation, ValueError):
        return cell
    return f"{cell} %" if column.kind is Kind.PCT else cell


def _natural_widths(pdf: _Document, table: Table) -> list[float]:
    """Each column's width in mm: its widest cell at 8 pt, or its title's longest word in bold
    (a title may wrap, a figure may not), plus the cell margins; at most 70 mm."""
    pdf.set_font(pdf.printable.family, "B", 8)
    words = [max(pdf.get_string_width(w) for w in c.title.split() or [""]) for c in table.columns]
    pdf.set_font(pdf.printable.family, "", 8)
    widths = []
    for column, word in zip(table.columns, words, strict=True):
        cells = {row[column.name] or "" for row in table.rows}
        longest = max((pdf.get_string_width(cell) for cell in cells), default=0.0)
        widths.append(min(max(longest, word, 8.0) + 2 * PAD + 1.0, 70.0))
    return widths
