"""Exports (XLSX, PDF) of any report, built from catalog.Report alone: a sheet per table with
real numbers and dates, a printable PDF with the chart and every table; and through the
staff API and page on both stores."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from flaskbank.services.analytics.catalog import Chart, Column, Kind, Report, Table
from flaskbank.warehouse.base import AsOf
from flaskbank.web.staff import report_pdf
from flaskbank.web.staff.printable import Printable
from flaskbank.web.staff.report_xlsx import report_xlsx, sheet_name
from test_staff_support import IP, staff_client, staff_token, with_staff

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLOWS = (
    Column("period_end", "Period end", Kind.DATE),
    Column("currency", "Currency"),
    Column("deposits", "Deposits", Kind.MONEY),
    Column("customers", "Customers", Kind.COUNT),
    Column("growth", "Growth %", Kind.PCT),
)
COHORTS = (Column("cohort", "Cohort"), Column("retained", "Retained after a year", Kind.PCT))


def a_report(periods: int = 2, *, columns: int = 0) -> Report:
    """Two tables (the second with an unprintable name and no values), or a wide third."""
    flows = [
        {
            "period_end": f"2025-{1 + i % 12:02d}-28",
            "currency": currency,
            "deposits": "1234.50" if i == 0 else f"{i}000.05",
            "customers": "12345",
            "growth": None if i == 0 else "12.50",
        }
        for i in range(periods)
        for currency in ("EUR", "GBP")
    ]
    tables = [
        Table("flows", "Flows by month", FLOWS, flows),
        Table(
            "cohorts",
            "Cohorts: Łódź – 日本 [all]",
            COHORTS,
            [{"cohort": None, "retained": None}, {"cohort": "=1+1", "retained": "0.00"}],
        ),
    ]
    if columns:
        wide = tuple(Column(f"c{i}", f"Column {i}") for i in range(columns))
        tables.append(Table("wide", "Wide", wide, [{c.name: "a long piece of text" for c in wide}]))
    return Report(
        "flows",
        "Flows & cohorts",
        {"from": "2025-01-01", "to": "2025-02-28", "period": "month", "segment": "retail"},
        AsOf("pos-7", "2025-03-01T09:00:00+00:00", 4321),
        tuple(tables),
        Chart("bar", "period_end", "deposits", "currency", "Deposits per month"),
    )


def test_xlsx_has_a_sheet_per_table_with_numbers_dates_and_a_frozen_header() -> None:
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(a_report())))
    assert book.sheetnames == ["Report", "Flows by month", "Cohorts Łódź – 日本 all"]
    summary = [row for row in book["Report"].iter_rows(values_only=True) if row[0]]
    assert summary[0][0] == "Flows & cohorts"
    assert ("from", datetime(2025, 1, 1), None) in summary and (
        "segment",
        "retail",
        None,
    ) in summary
    assert ("events counted", 4321, None) in summary
    flows = book["Flows by month"]
    assert flows.freeze_panes == "A2"
    assert [c.value for c in flows[1]] == [c.title for c in FLOWS]
    date, _, money, count, pct = flows[2]
    assert (money.value, money.number_format) == (1234.5, "#,##0.00")
    assert Decimal(str(flows["C4"].value)) == Decimal("1000.05")
    assert (date.value, date.number_format) == (datetime(2025, 1, 28), "yyyy-mm-dd")
    assert (count.value, count.number_format) == (12345, "#,##0")
    assert pct.value is None and flows["E3"].value is None  # no growth in the first period
    assert (flows["E4"].value, flows["E4"].number_format) == (0.125, "0.00%")
    cohorts = book.worksheets[2]
    assert [c.value for c in cohorts[2]] == [None, None]
    assert (cohorts["A3"].value, cohorts["A3"].data_type) == ("=1+1", "s")  # not a formula
    assert flows.column_dimensions["C"].width >= len("1,234.50")


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        ("Balances: by type/segment?", [], "Balances by type segment"),
        ("x" * 40, [], "x" * 31),
        ("Report", [], "Report (2)"),
        ("Totals", ["totals"], "Totals (2)"),
        ("y" * 40, ["y" * 31], "y" * 27 + " (2)"),
        ("'[]'", [], "Table"),
    ],
)
def test_sheet_names_are_safe_unique_and_short(title: str, taken: list[str], expected: str) -> None:
    assert sheet_name(title, taken) == expected


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_pdf_prints_title_parameters_chart_and_every_table() -> None:
    pages = _pages(report_pdf.report_pdf(a_report(periods=40)))
    text = "\n".join(pages)
    assert "Flows & cohorts" in pages[0] and "From 2025-01-01 to 2025-02-28, by month" in text
    assert "segment: retail" in text and "4,321 events" in text
    assert "1,234.50" in text and "12,345" in text and "12.50 %" in text
    assert "Deposits per month" in pages[0]  # the chart's caption
    assert len(pages) > 1 and "Period end" in pages[1]  # the header row again
    assert "Cohorts" in text and "Retained after a year" in text
    if report_pdf.FONTS.joinpath("DejaVuSans.ttf").exists():
        assert "Łódź" in text


def test_a_wide_table_prints_landscape_and_without_dejavu_text_is_replaced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setattr(report_pdf, "FONTS", tmp_path)
    reader = PdfReader(io.BytesIO(report_pdf.report_pdf(a_report(columns=14))))
    box = reader.pages[0].mediabox
    assert box.width > box.height
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Cohorts: ?ódz - ?? [all]" in text
    assert Printable("Helvetica", None)("Zoë “x” — ł") == 'Zoë "x" - ?'


def _synced(app, bank):  # type: ignore[no-untyped-def]
    ada = new_customer(bank, "Ada Lovelace", deposit="120.50")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="20.25")
    feed.sync(bank.store, app.extensions["warehouse"])
    return bank.now()[:10]


def test_the_api_and_the_page_export_xlsx_and_pdf(app, app_bank, client):
    _, browser = staff_client(with_staff(app), app_bank, Role.COMPLIANCE_OFFICER)
    today = _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)

    def get(wanted: str):  # type: ignore[no-untyped-def]
        return client.get(
            "/api/v1/staff/reports/deposit_growth",
            query_string={"from": today, "to": today, "period": "day", "format": wanted},
            headers={"Authorization": f"Bearer {token}"},
            environ_base={"REMOTE_ADDR": IP},
        )

    sheet = get("xlsx")
    assert sheet.status_code == 200 and sheet.mimetype == XLSX
    name = f"deposit_growth_{today}_{today}_day.xlsx"
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).worksheets[1].values)
    assert rows[1][3:7] == (120.5, 20.25, 100.25, 100.25)
    document = get("pdf")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert document.headers["Content-Disposition"].endswith('_day.pdf"')
    assert "Deposit growth" in _pages(document.data)[0] and "100.25" in _pages(document.data)[0]
    refused = get("doc")
    assert refused.status_code == 422 and "format" in refused.get_json()["errors"]

    page = browser.get(f"/staff/reports/deposit_growth?from={today}&to={today}&period=day")
    html = page.get_data(as_text=True)
    for wanted in ("csv", "xlsx", "pdf"):
        assert f"format={wanted}" in html
    download = browser.get(f"/staff/reports/deposit_growth?from={today}&period=day&format=pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"


def test_csv_text_a_spreadsheet_would_run_as_a_formula_is_quoted_and_amounts_are_not() -> None:
    from flaskbank.web.staff.report_exports import report_csv

    columns = (Column("segment", "Segment"), Column("net", "Net", Kind.MONEY))
    rows = [
        {"segment": '=HYPERLINK("http://x")', "net": "-12.50"},
        {"segment": "@SUM(A1)", "net": "3.00"},
        {"segment": "+1", "net": None},
        {"segment": "retail", "net": "-0.01"},
    ]
    report = Report(
        "t",
        "T",
        {"from": "2025-01-01", "to": "2025-01-31", "period": "month"},
        AsOf(None, "", 0),
        (Table("t", "T", columns, rows),),
    )
    lines = report_csv(report).decode().splitlines()
    assert lines == [
        "segment,net",
        '"\'=HYPERLINK(""http://x"")",-12.50',
        "'@SUM(A1),3.00",
        "'+1,",
        "retail,-0.01",
    ]
