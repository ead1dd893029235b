"""Monthly statements: the page, and the CSV a spreadsheet opens."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conftest import at, new_customer
from flaskbank.services import postings
from test_web_support import Page, customer_client

FEB = datetime(2025, 2, 14, tzinfo=UTC)


@pytest.fixture
def three_months(app, app_bank):
    """Ada's January, February and March, with memos and a name a spreadsheet would run."""
    ada, client = customer_client(app, app_bank, name="Alice Liddell")
    bob = new_customer(app_bank, "=Bob Builder")
    ada_id, account = ada.user_id, ada.account_id
    with at(app_bank, datetime(2025, 1, 31, 23, 59, tzinfo=UTC)):
        postings.deposit(app_bank, ada_id, account, amount="100.00", memo="opening")
    with at(app_bank, datetime(2025, 2, 1, tzinfo=UTC)):
        postings.withdraw(
            app_bank, ada_id, account, amount="20.00", memo='=HYPERLINK("http://evil")'
        )
    with at(app_bank, FEB):
        postings.transfer(
            app_bank,
            ada_id,
            account,
            amount="5.55",
            to_account_number=bob.account_number,
            memo="@SUM(1+1)",
        )
        postings.deposit(app_bank, ada_id, account, amount="0.01", memo="+1")
        postings.deposit(app_bank, ada_id, account, amount="1000.00", memo="-2")
    with at(app_bank, datetime(2025, 3, 1, tzinfo=UTC)):
        postings.deposit(app_bank, ada_id, account, amount="1.00", memo="march")
    return ada, client


def test_the_statement_page(app_bank, three_months):
    ada, client = three_months
    page = Page(
        client.get(f"/accounts/{ada.account_id}/statement", query_string={"month": "2025-02"})
    )
    assert page.status == 200
    assert page.value("month") == "2025-02"
    assert page.by_id("month").attrs["type"] == "month"
    totals = [" ".join(d.text.split()) for d in page.find("dd")]
    assert totals == ["100.00 USD", "1,074.46 USD"]
    assert [row["Amount"] for row in page.rows()] == [
        "-20.00 USD",
        "-5.55 USD",
        "+0.01 USD",
        "+1,000.00 USD",
    ]
    assert [row["Memo"] for row in page.rows()][0] == '=HYPERLINK("http://evil")'
    assert page.link("Download CSV") == (f"/accounts/{ada.account_id}/statement.csv?month=2025-02")


def test_the_current_month_by_default(app_bank, three_months):
    ada, client = three_months
    with at(app_bank, FEB):
        page = Page(client.get(f"/accounts/{ada.account_id}/statement"))
        csv_response = client.get(f"/accounts/{ada.account_id}/statement.csv")
    assert page.value("month") == "2025-02"
    assert len(page.rows()) == 4
    assert csv_response.headers["Content-Disposition"] == (
        f'attachment; filename="statement-{ada.account_number}-2025-02.csv"'
    )


def test_a_quiet_month(three_months):
    ada, client = three_months
    page = Page(
        client.get(f"/accounts/{ada.account_id}/statement", query_string={"month": "2025-04"})
    )
    assert [" ".join(d.text.split()) for d in page.find("dd")] == ["1,075.46 USD"] * 2
    assert page.rows() == []
    assert "No transactions in 2025-04." in page.text


def _csv(client, ada, month):
    response = client.get(
        f"/accounts/{ada.account_id}/statement.csv", query_string={"month": month}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="statement-{ada.account_number}-{month}.csv"'
    )
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("month", ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"])
def test_the_csv_adds_up(three_months, month):
    ada, client = three_months
    rows = _csv(client, ada, month)
    opening, *lines, closing = rows
    assert (opening["type"], closing["type"]) == ("opening", "closing")
    assert (opening["date"], closing["date"][:7]) == (f"{month}-01", month)
    total = Decimal(opening["balance_after"]) + sum(Decimal(r["amount"]) for r in lines)
    assert Decimal(closing["balance_after"]) == total
    if lines:
        assert lines[-1]["balance_after"] == closing["balance_after"]


def test_the_csv_is_safe_to_open_in_a_spreadsheet(three_months):
    ada, client = three_months
    rows = _csv(client, ada, "2025-02")
    assert list(rows[0]) == ["date", "type", "description", "memo", "amount", "balance_after"]
    _, withdrawal, transfer, cent, thousand, _ = rows
    assert withdrawal["memo"] == '\'=HYPERLINK("http://evil")'
    assert transfer["description"].startswith("'=Bob Builder")
    assert transfer["memo"] == "'@SUM(1+1)"
    assert cent["memo"] == "'+1"
    assert thousand["memo"] == "'-2"
    # Our own numbers stay numbers: no quote in front of a negative amount.
    assert [r["amount"] for r in rows[1:-1]] == ["-20.00", "-5.55", "0.01", "1000.00"]
    assert [r["balance_after"] for r in rows] == [
        "100.00",
        "80.00",
        "74.45",
        "74.46",
        "1074.46",
        "1074.46",
    ]
    risky = ("=", "+", "-", "@")
    for row in rows:
        for name in ("date", "type", "description", "memo"):
            assert not row[name].startswith(risky), row


@pytest.mark.parametrize("month", ["2025-13", "2025-1", "abcd-ef", "2025-01-01", "0000-01"])
def test_a_bad_month(three_months, month):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/statement", query_string={"month": month}))
    assert page.status == 422
    assert "use a month" in page.error("month")
    assert page.value("month") == month
    assert page.link("Download CSV") is None
    response = client.get(
        f"/accounts/{ada.account_id}/statement.csv", query_string={"month": month}
    )
    assert response.status_code == 422
    assert response.mimetype == "text/html"
