"""A monthly statement as CSV for spreadsheets: a separate step from reading it (services)."""

from __future__ import annotations

import csv
import io

from ..services.history import Statement

BOM = "\ufeff"
COLUMNS = ("date", "type", "description", "memo", "amount", "balance_after")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """Text from people (names, memos) made inert: a leading quote keeps it from running."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def statement_csv(statement: Statement) -> str:
    """Opening balance row, one row per line oldest first, closing balance row.

    Every date is a calendar day as the pages show it (2026-01-31; lines are in UTC, as the
    history shows them), which spreadsheets read as a date. The closing row is dated
    `closes_on`: the month's last day, or today while the month runs, as a bank's interim
    statement states the balance as of today rather than for a day still to come. The text
    starts with a UTF-8 byte order mark, without which Excel reads it as the local code page
    and garbles names such as "Zoë".

    Amounts and balances are our own plain decimals ("-20.00"), never prefixed, so that a
    spreadsheet reads them as numbers; every other cell goes through `text_cell`.
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    first = f"{statement.month}-01"
    writer.writerow([first, "opening", "Opening balance", "", "", str(statement.opening_balance)])
    for line in statement.lines:
        writer.writerow(
            [
                line.created_at[:10],
                line.type.value,
                text_cell(line.counterparty),
                text_cell(line.memo),
                str(line.amount),
                "" if line.balance_after is None else str(line.balance_after),
            ]
        )
    closing = [statement.closes_on, "closing", "Closing balance", "", ""]
    writer.writerow([*closing, str(statement.closing_balance)])
    return out.getvalue()
