"""A monthly statement as CSV for spreadsheets: a separate step from reading it (services)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from ..services.history import Statement

COLUMNS = ("date", "type", "description", "memo", "amount", "balance_after")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """Text from people (names, memos) made inert: a leading quote keeps it from running."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _month_days(month: str) -> tuple[str, str]:
    """First and last calendar day of a YYYY-MM month (the service has checked the format)."""
    first = date.fromisoformat(f"{month}-01")
    after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.isoformat(), (after - timedelta(days=1)).isoformat()


def statement_csv(statement: Statement) -> str:
    """Opening balance row, one row per line oldest first, closing balance row.

    Amounts and balances are our own plain decimals ("-20.00"), never prefixed, so that a
    spreadsheet reads them as numbers; every other cell goes through `text_cell`.
    """
    first, last = _month_days(statement.month)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([first, "opening", "Opening balance", "", "", str(statement.opening_balance)])
    for line in statement.lines:
        writer.writerow(
            [
                line.created_at,
                line.type.value,
                text_cell(line.counterparty),
                text_cell(line.memo),
                str(line.amount),
                "" if line.balance_after is None else str(line.balance_after),
            ]
        )
    writer.writerow([last, "closing", "Closing balance", "", "", str(statement.closing_balance)])
    return out.getvalue()
