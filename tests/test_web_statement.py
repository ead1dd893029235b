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
#: Ada's account opens in December 2024, a month before its first line.
OPENED = datetime(2024, 12, 20, tzinfo=UTC)


@pytest.fixture
def three_months(app, app_bank):
    """Ada's January, February and March, with memos and a name a spreadsheet would run."""
    ada, client = customer_client(app, app_bank, name="Alice Liddell", opened=OPENED)
    bob = new_customer(app_bank, "=Bob Builder", opened=OPENED)
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
    assert page.by_id("month").attrs["placeholder"] == "YYYY-MM"  # as the pages write it
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
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM spreadsheets look for
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


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
    assert transfer["description"].startswith("'=Bob B.")  # masked for the sender
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


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2024-11", "there is no statement for 2024-11: the account was opened in 2024-12"),
        ("1999-01", "there is no statement for 1999-01: the account was opened in 2024-12"),
        ("9999-11", "there is no statement for 9999-11 yet"),
    ],
)
def test_a_month_outside_the_accounts_life_is_a_404(three_months, month, message):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/statement", query_string={"month": month}))
    assert page.status == 404
    assert page.error("month") == message  # on the form, to pick another month
    assert page.value("month") == month
    assert page.rows() == [] and page.link("Download CSV") is None
    response = client.get(
        f"/accounts/{ada.account_id}/statement.csv", query_string={"month": month}
    )
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_next_month_is_a_404_until_it_begins(app_bank, three_months):
    ada, client = three_months
    path = f"/accounts/{ada.account_id}/statement"
    with at(app_bank, datetime(2025, 3, 31, 23, 59, tzinfo=UTC)):
        assert client.get(path, query_string={"month": "2025-04"}).status_code == 404
    with at(app_bank, datetime(2025, 4, 1, tzinfo=UTC)):
        assert client.get(path, query_string={"month": "2025-04"}).status_code == 200


def test_every_csv_date_is_a_day_and_the_current_month_closes_today(app_bank, three_months):
    ada, client = three_months
    with at(app_bank, datetime(2025, 2, 20, 8, tzinfo=UTC)):
        rows = _csv(client, ada, "2025-02")
        page = Page(client.get(f"/accounts/{ada.account_id}/statement"))
        history = Page(client.get(f"/accounts/{ada.account_id}/history"))
    assert [row["date"] for row in rows] == [
        "2025-02-01",
        "2025-02-01",
        "2025-02-14",
        "2025-02-14",
        "2025-02-14",
        "2025-02-20",  # today, not 2025-02-28: no balance is stated for a day to come
    ]
    assert "Closing balance on 2025-02-20" in page.text
    # The days are the ones the history shows for the same lines (UTC).
    shown = [row["Time"][:10] for row in history.rows() if row["Time"].startswith("2025-02")]
    assert sorted(shown) == [row["date"] for row in rows[1:-1]]


def test_the_csv_reads_names_right_in_a_spreadsheet(app, app_bank):
    zoe, client = customer_client(app, app_bank, name="Zoe Ångström")
    bob = new_customer(app_bank, "Bob Brontë", deposit="5.00")
    postings.deposit(app_bank, zoe.user_id, zoe.account_id, amount="10.00", memo="café")
    # Money received names its sender in full (a sender sees the recipient masked).
    postings.transfer(
        app_bank, bob.user_id, bob.account_id, amount="1.00", to_account_number=zoe.account_number
    )
    body = client.get(f"/accounts/{zoe.account_id}/statement.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\xef\xbb\xbf") == 1
    text = body.decode("utf-8-sig")
    assert "café" in text and "Bob Brontë" in text
