"""A report as a file: CSV, XLSX or PDF, for the staff page's download links and the API's
`?format=`. Each format is a function of a `Report` alone (services/analytics/catalog.py), so
every report, whatever tables it has, exports with no code of its own."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from flask import Response

from ...services.analytics.catalog import Kind, Report


def report_csv(report: Report) -> bytes:
    """The main table; further tables follow it, each after a blank line and its title."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, table in enumerate(report.tables):
        if i:
            writer.writerows([[], [table.title]])
        writer.writerow(table.names)
        for row in table.rows:
            writer.writerow([_cell(row[c.name], c.kind) for c in table.columns])
    return out.getvalue().encode()


#: What a spreadsheet reads as the start of a formula in a cell opened from CSV.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None, kind: Kind) -> str:
    """Text (a segment, a customer's id: data people typed) that a spreadsheet would run as
    a formula gets a leading apostrophe (OWASP's advice for CSV injection); amounts, counts
    and dates are written as they are, so "-12.50" stays a number."""
    if value is None:
        return ""
    if kind is Kind.TEXT and value.startswith(_FORMULA):
        return "'" + value
    return value


def report_xlsx(report: Report) -> bytes:
    from .report_xlsx import report_xlsx as write

    return write(report)


def report_pdf(report: Report) -> bytes:
    from .report_pdf import report_pdf as write

    return write(report)


#: The formats a report answers in besides JSON (the API) or a page: (MIME type, writer).
#: openpyxl and fpdf2 are imported on the first export (fpdf2 alone takes half a second),
#: not by every process that starts the app.
WRITERS: dict[str, tuple[str, Callable[[Report], bytes]]] = {
    "csv": ("text/csv; charset=utf-8", report_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report_xlsx),
    "pdf": ("application/pdf", report_pdf),
}
FORMATS = tuple(WRITERS)


def file_name(report: Report, extension: str) -> str:
    p = report.params
    return f"{report.name}_{p['from']}_{p['to']}_{p['period']}.{extension}"


def export(report: Report, wanted: str) -> Response:
    """The report as a download in `wanted`, one of FORMATS (checked by the caller)."""
    mimetype, write = WRITERS[wanted]
    return Response(
        write(report),
        content_type=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, wanted)}"'},
    )
