"""History pages and monthly statements through the API."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conftest import at
from test_api_support import assert_problem, customer


def _deposit(alice, amount: str, memo: str = "") -> dict:
    response = alice.post(
        f"/accounts/{alice.account_id}/deposits", {"amount": amount, "memo": memo}
    )
    assert response.status_code == 201, response.json
    return response.json


def _withdraw(alice, amount: str, memo: str = "") -> dict:
    response = alice.post(
        f"/accounts/{alice.account_id}/withdrawals", {"amount": amount, "memo": memo}
    )
    assert response.status_code == 201, response.json
    return response.json


def test_history_is_newest_first(client, app_bank):
    alice = customer(client, app_bank)
    first, second = _deposit(alice, "1.00"), _withdraw(alice, "0.50")
    response = alice.get(f"/accounts/{alice.account_id}/transactions")
    assert response.status_code == 200
    assert response.json["items"] == [second, first]
    assert response.json["next_cursor"] is None
    assert response.json["prev_cursor"] is None


def test_pagination_walks_every_item_once(client, app_bank):
    alice = customer(client, app_bank)
    posted = [_deposit(alice, f"{i}.00")["id"] for i in range(1, 8)]
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = alice.get(f"/accounts/{alice.account_id}/transactions{query}")
        assert response.status_code == 200
        items = response.json["items"]
        assert len(items) <= 3
        seen += [item["id"] for item in items]
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(posted))
    assert pages == 3


def test_history_filters_by_type_and_days(client, app_bank):
    alice = customer(client, app_bank)
    with at(app_bank, datetime(2025, 1, 10, 12, tzinfo=UTC)):
        jan = _deposit(alice, "10.00")
    with at(app_bank, datetime(2025, 2, 10, 12, tzinfo=UTC)):
        feb = _withdraw(alice, "1.00")
    with at(app_bank, datetime(2025, 3, 10, 23, 59, tzinfo=UTC)):
        mar = _deposit(alice, "2.00")
    path = f"/accounts/{alice.account_id}/transactions"

    def ids(query: str) -> list[str]:
        response = alice.get(path + query)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids("?type=deposit") == [mar["id"], jan["id"]]
    assert ids("?type=withdrawal") == [feb["id"]]
    assert ids("?type=transfer") == []
    assert ids("?since=2025-02-10") == [mar["id"], feb["id"]]
    assert ids("?until=2025-02-10") == [feb["id"], jan["id"]]
    assert ids("?since=2025-02-01&until=2025-03-10") == [mar["id"], feb["id"]]
    assert ids("?until=9999-12-31") == [mar["id"], feb["id"], jan["id"]]
    assert ids("?since=9999-12-31") == []


def test_prev_cursor_walks_back_with_the_same_filters(client, app_bank):
    alice = customer(client, app_bank)
    posted = [_deposit(alice, f"{i}.00", memo=f"rent {i}")["id"] for i in range(1, 8)]
    _withdraw(alice, "3.00", "rent cash")
    path = f"/accounts/{alice.account_id}/transactions"
    query = {"limit": "3", "q": "RENT", "type": "deposit", "min_amount": "1.00"}
    first = alice.get(path, query_string=query).json
    assert first["prev_cursor"] is None
    pages, body = [], first
    while True:
        pages.append([item["id"] for item in body["items"]])
        if body["next_cursor"] is None:
            break
        body = alice.get(path, query_string={**query, "cursor": body["next_cursor"]}).json
    assert pages == [posted[6:3:-1], posted[3:0:-1], posted[:1]]
    back = []
    while body["prev_cursor"] is not None:
        body = alice.get(path, query_string={**query, "cursor": body["prev_cursor"]}).json
        back.append([item["id"] for item in body["items"]])
    assert back == [posted[3:0:-1], posted[6:3:-1]]


def test_search_by_text_and_amount(client, app_bank):
    alice = customer(client, app_bank)
    bob = customer(client, app_bank, "Bob Builder")
    salary = _deposit(alice, "2500.00", "Salary")
    sent = alice.post(
        "/transfers",
        {
            "from_account_id": alice.account_id,
            "amount": "40.00",
            "to_account_number": bob.account_number,
            "memo": "books",
        },
    ).json
    cash = _withdraw(alice, "40.00")
    path = f"/accounts/{alice.account_id}/transactions"

    def ids(**query: str) -> list[str]:
        response = alice.get(path, query_string=query)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids(q="bob b.") == [sent["id"]]  # the recipient as the sender sees them, masked
    assert ids(q="SALARY") == [salary["id"]]
    assert ids(q="cash") == [cash["id"], salary["id"]]  # "Cash withdrawal", "Cash deposit"
    assert ids(min_amount="40", max_amount="40.00") == [cash["id"], sent["id"]]
    assert ids(min_amount="100") == [salary["id"]]
    assert ids(max_amount="39.99") == []
    assert ids(q="", min_amount="", max_amount="") == [cash["id"], sent["id"], salary["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"min_amount": "1,000.00"}, "min_amount"),  # the API takes plain decimals
        ({"min_amount": "-5"}, "min_amount"),
        ({"max_amount": "0.001"}, "max_amount"),
        ({"max_amount": "1e3"}, "max_amount"),
        ({"min_amount": "10", "max_amount": "9.99"}, "max_amount"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_bad_searches_are_a_422(client, app_bank, query, field):
    alice = customer(client, app_bank, deposit="1.00")
    response = alice.get(f"/accounts/{alice.account_id}/transactions", query_string=query)
    assert_problem(response, 422, field)


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        _cursor("abc"),
        _cursor(1.5),
        _cursor(-1),
        _cursor(10**30),
        _cursor([1]),
        _cursor({"seq": 1}),
        _cursor(None),
        "A" * 5000,
    ],
)
def test_a_forged_cursor_is_a_422(client, app_bank, cursor):
    alice = customer(client, app_bank, deposit="1.00")
    response = alice.get(
        f"/accounts/{alice.account_id}/transactions", query_string={"cursor": cursor}
    )
    assert_problem(response, 422, "cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-02-30"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"until": "\x00"}, "until"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
        ({"type": "refund"}, "type"),
    ],
)
def test_bad_history_queries_are_a_422(client, app_bank, query, field):
    alice = customer(client, app_bank)
    response = alice.get(f"/accounts/{alice.account_id}/transactions", query_string=query)
    assert_problem(response, 422, field)


def _three_months(client, app_bank):
    opened = datetime(2024, 12, 20, tzinfo=UTC)
    alice = customer(client, app_bank, "Alice Liddell", opened=opened)
    bob = customer(client, app_bank, "=Bob Builder", opened=opened)
    with at(app_bank, datetime(2025, 1, 31, 23, 59, tzinfo=UTC)):
        _deposit(alice, "100.00", "opening")
    with at(app_bank, datetime(2025, 2, 1, tzinfo=UTC)):
        _withdraw(alice, "20.00", '=HYPERLINK("http://evil")')
    with at(app_bank, datetime(2025, 2, 14, tzinfo=UTC)):
        sent = alice.post(
            "/transfers",
            {
                "from_account_id": alice.account_id,
                "amount": "5.55",
                "to_account_number": bob.account_number,
                "memo": "@SUM(1+1)",
            },
        )
        assert sent.status_code == 201
        _deposit(alice, "0.01", "+1")
    with at(app_bank, datetime(2025, 3, 1, tzinfo=UTC)):
        _deposit(alice, "1.00", "march")
    return alice


def test_statement_adds_up(client, app_bank):
    alice = _three_months(client, app_bank)
    response = alice.get(f"/accounts/{alice.account_id}/statements/2025-02")
    assert response.status_code == 200
    body = response.json
    assert set(body) == {
        "account_id",
        "month",
        "currency",
        "opening_balance",
        "closing_balance",
        "lines",
    }
    assert (body["account_id"], body["month"], body["currency"]) == (
        alice.account_id,
        "2025-02",
        "USD",
    )
    assert body["opening_balance"] == "100.00"
    assert [line["amount"] for line in body["lines"]] == ["-20.00", "-5.55", "0.01"]
    total = Decimal(body["opening_balance"]) + sum(Decimal(x["amount"]) for x in body["lines"])
    assert Decimal(body["closing_balance"]) == total == Decimal("74.46")
    assert body["lines"][-1]["balance_after"] == body["closing_balance"]


def test_statement_of_a_quiet_month(client, app_bank):
    alice = _three_months(client, app_bank)
    body = alice.get(f"/accounts/{alice.account_id}/statements/2024-12").json
    assert (body["opening_balance"], body["closing_balance"], body["lines"]) == ("0.00", "0.00", [])
    body = alice.get(f"/accounts/{alice.account_id}/statements/2025-04").json
    assert (body["opening_balance"], body["closing_balance"], body["lines"]) == (
        "75.46",
        "75.46",
        [],
    )


def test_statement_csv(client, app_bank):
    alice = _three_months(client, app_bank)
    response = alice.get(f"/accounts/{alice.account_id}/statements/2025-02?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    # The same CSV as the web's download: opening row, the lines, closing row.
    assert rows[0] == ["date", "type", "description", "memo", "amount", "balance_after"]
    opening, withdrawal, transfer, deposit, closing = rows[1:]
    assert opening == ["2025-02-01", "opening", "Opening balance", "", "", "100.00"]
    assert closing == ["2025-02-28", "closing", "Closing balance", "", "", "74.46"]
    assert withdrawal[0] == "2025-02-01"  # one date format: the day, as the pages show it
    assert withdrawal[1:] == [
        "withdrawal",
        "Cash withdrawal",
        '\'=HYPERLINK("http://evil")',
        "-20.00",
        "80.00",
    ]
    assert transfer[1] == "transfer"
    assert transfer[2].startswith("'=Bob B.")  # the recipient's (masked) name, guarded too
    assert transfer[3:] == ["'@SUM(1+1)", "-5.55", "74.45"]
    assert deposit[3:] == ["'+1", "0.01", "74.46"]


@pytest.mark.parametrize(
    "month",
    ["2025-13", "2025-00", "2025-1", "25-01", "0000-01", "9999-12", "abcd-ef", "2025-01-01"],
)
def test_bad_months_are_a_422(client, app_bank, month):
    alice = customer(client, app_bank)
    assert_problem(alice.get(f"/accounts/{alice.account_id}/statements/{month}"), 422, "month")


def test_unknown_statement_format_is_a_422(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.get(f"/accounts/{alice.account_id}/statements/2025-01?format=xml")
    assert_problem(response, 422, "format")


@pytest.mark.parametrize("month", ["2024-11", "2000-01", "0001-01"])
def test_a_month_before_the_account_was_opened_is_a_404(client, app_bank, month):
    alice = _three_months(client, app_bank)  # opened 2024-12-20
    for query in ("", "?format=csv"):
        response = alice.get(f"/accounts/{alice.account_id}/statements/{month}{query}")
        body = assert_problem(response, 404)
        assert (
            body["detail"]
            == f"there is no statement for {month}: the account was opened in 2024-12"
        )


def test_a_month_after_the_current_one_is_a_404(client, app_bank):
    alice = customer(client, app_bank, deposit="5.00")
    this_month = app_bank.now()[:7]
    year, month = int(this_month[:4]), int(this_month[5:])
    following = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    assert alice.get(f"/accounts/{alice.account_id}/statements/{this_month}").status_code == 200
    for later in (following, "9999-11"):
        response = alice.get(f"/accounts/{alice.account_id}/statements/{later}")
        assert assert_problem(response, 404)["detail"] == f"there is no statement for {later} yet"


def test_someone_elses_statement_is_still_no_such_account(client, app_bank):
    alice = _three_months(client, app_bank)
    mallory = customer(client, app_bank, "Mallory Evil")
    for month in ("2025-02", "2024-01"):
        response = mallory.get(f"/accounts/{alice.account_id}/statements/{month}")
        assert assert_problem(response, 404)["detail"] == "no such account"


def test_the_current_months_csv_closes_today(client, app_bank):
    alice = _three_months(client, app_bank)
    with at(app_bank, datetime(2025, 3, 17, 15, tzinfo=UTC)):
        response = alice.get(f"/accounts/{alice.account_id}/statements/2025-03?format=csv")
        body = alice.get(f"/accounts/{alice.account_id}/statements/2025-03").json
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[1][:2] == ["2025-03-01", "opening"]
    assert rows[-1] == ["2025-03-17", "closing", "Closing balance", "", "", "75.46"]
    assert body["closing_balance"] == "75.46"
