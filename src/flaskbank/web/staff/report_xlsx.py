"""A report as an XLSX workbook: a first sheet with the title, the parameters and what the
warehouse reflected, then a sheet per table with a frozen header row and real numbers and
dates in proper formats. Amounts go from text to Decimal, never through float."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...services.analytics.catalog import Cell, Column, Kind, Report, Table

HEADER_FILL = PatternFill("solid", fgColor="E3E7EC")
_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
#: Sheet names Excel keeps for itself, or that our summary sheet already takes.
_TAKEN = ("report", "history")
XlsxValue = str | int | Decimal | date | None


def report_xlsx(report: Report) -> bytes:
    book = Workbook()
    summary = book.worksheets[0]
    summary.title = "Report"
    names: list[str] = []
    for table in report.tables:
        names.append(sheet_name(table.title or table.name, names))
        _table_sheet(book.create_sheet(names[-1]), table)
    _summary(summary, report, names)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_name(title: str, taken: list[str]) -> str:
    """`title` as a sheet name Excel accepts: no []:*?/\\, no leading or trailing quote, at
    most 31 characters, and unlike (ignoring case) every name in `taken` and "Report"."""
    base = " ".join(_UNSAFE.sub(" ", title).split()).strip("'").strip()[:31].rstrip() or "Table"
    used = {n.lower() for n in taken} | set(_TAKEN)
    name, n = base, 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
    return name


def _summary(sheet: Worksheet, report: Report, names: list[str]) -> None:
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    for key, value in report.params.items():
        sheet.append([key, _date(value) if key in ("from", "to") else value])
    sheet.append(["as of", report.as_of.last_event_at or "nothing counted yet"])
    sheet.append(["events counted", report.as_of.events])
    sheet.append(["feed position", report.as_of.position or ""])
    sheet.append([])
    sheet.append(["sheets"] + names)
    for row in sheet.iter_rows(min_row=3, max_col=1):
        row[0].font = Font(bold=True)
    for row in sheet.iter_rows(min_row=3, min_col=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(horizontal="left")
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 28


def _table_sheet(sheet: Worksheet, table: Table) -> None:
    sheet.append([c.title for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(len(c.title), 24) for c in table.columns]
    for r, row in enumerate(table.rows, start=2):
        for c, column in enumerate(table.columns, start=1):
            text = row.get(column.name)
            cell = sheet.cell(row=r, column=c, value=value(column, text))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # "=..." in customer data is text, never a formula
            else:
                cell.number_format = number_format(column, text)
            shown = len(text or "") + (len(text or "") // 3 if column.kind is Kind.MONEY else 0)
            widths[c - 1] = max(widths[c - 1], shown)
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = min(max(width + 3, 10), 50)
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions


def number_format(column: Column, text: Cell) -> str:
    """Thousands separators and the amount's own decimals (two for most currencies, none
    for yen), whole counts, percentages with two decimals, ISO dates."""
    if column.kind is Kind.MONEY:
        places = len(text.partition(".")[2]) if text else 2
        return "#,##0" + ("." + "0" * places if places else "")
    return {
        Kind.COUNT: "#,##0",
        Kind.PCT: "0.00%",
        Kind.DATE: "yyyy-mm-dd",
    }.get(column.kind, "General")


def value(column: Column, text: Cell) -> XlsxValue:
    """The cell's value in the sheet: a number or a date for typed columns (the text itself if
    it does not read as one), None for no value."""
    if text is None or text == "":
        return None
    try:
        if column.kind is Kind.MONEY:
            return Decimal(text)
        if column.kind is Kind.COUNT:
            return int(text)
        if column.kind is Kind.PCT:
            return Decimal(text) / 100
    except (InvalidOperation, ValueError):
        return text
    if column.kind is Kind.DATE:
        return _date(text)
    return text


def _date(text: str) -> date | str:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text
