"""An account's history page: newest first, a cursor for older lines, filters."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import at, new_customer
from flaskbank.services import postings
from flaskbank.web.banking import views
from test_web_support import Page, assert_controls_labelled, customer_client


def test_each_line_shows_what_a_person_needs(app, app_bank):
    ada, client = customer_client(app, app_bank)
    bob = new_customer(app_bank, "Bob Builder")
    with at(app_bank, datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="100.00", memo="pay")
        postings.transfer(
            app_bank,
            ada.user_id,
            ada.account_id,
            amount="20.00",
            to_account_number=bob.account_number,
            memo="books",
        )
    page = Page(client.get(f"/accounts/{ada.account_id}/history"))
    assert page.status == 200
    assert page.rows() == [
        {
            "Time": "2025-03-04 05:06 UTC",
            "Type": "Transfer",
            "Counterparty": f"Bob B. · •••• {bob.account_number[-4:]}",
            "Memo": "books",
            "Amount": "-20.00 USD",
            "Balance after": "80.00 USD",
        },
        {
            "Time": "2025-03-04 05:06 UTC",
            "Type": "Deposit",
            "Counterparty": "Cash deposit",
            "Memo": "pay",
            "Amount": "+100.00 USD",
            "Balance after": "100.00 USD",
        },
    ]
    assert page.find("time", datetime="2025-03-04T05:06:07.000000Z")


def test_an_empty_history(app, app_bank):
    ada, client = customer_client(app, app_bank)
    page = Page(client.get(f"/accounts/{ada.account_id}/history"))
    assert page.status == 200
    assert page.rows() == []
    assert "No transactions" in page.text
    assert page.link("Older") is None


def test_the_cursor_walks_every_line_exactly_once(app, app_bank, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE", 3)
    ada, client = customer_client(app, app_bank)
    for i in range(1, 9):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount=f"{i}.00", memo=f"#{i}")
    seen, path, pages = [], f"/accounts/{ada.account_id}/history", 0
    while path:
        page = Page(client.get(path))
        assert page.status == 200
        assert len(page.rows()) <= 3
        seen += [row["Memo"] for row in page.rows()]
        pages += 1
        path = page.link("Older")
        if path:
            assert "cursor" in parse_qs(urlsplit(path).query)
    assert seen == [f"#{i}" for i in range(8, 0, -1)]
    assert pages == 3
    assert page.link("Newest") == f"/accounts/{ada.account_id}/history"


def test_the_older_link_keeps_the_filters(app, app_bank, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE", 2)
    ada, client = customer_client(app, app_bank)
    with at(app_bank, datetime(2025, 1, 10, tzinfo=UTC)):
        for i in range(1, 6):
            postings.deposit(app_bank, ada.user_id, ada.account_id, amount="1.00", memo=f"#{i}")
            postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="0.50")
    path = f"/accounts/{ada.account_id}/history?type=deposit&since=2025-01-01&until=2025-01-31"
    seen = []
    while path:
        page = Page(client.get(path))
        assert {row["Type"] for row in page.rows()} == {"Deposit"}
        assert (page.value("type"), page.value("since"), page.value("until")) == (
            "deposit",
            "2025-01-01",
            "2025-01-31",
        )
        seen += [row["Memo"] for row in page.rows()]
        path = page.link("Older")
        if path:
            query = parse_qs(urlsplit(path).query)
            assert (query["type"], query["since"], query["until"]) == (
                ["deposit"],
                ["2025-01-01"],
                ["2025-01-31"],
            )
    assert seen == ["#5", "#4", "#3", "#2", "#1"]


@pytest.fixture
def three_months(app, app_bank):
    ada, client = customer_client(app, app_bank)
    with at(app_bank, datetime(2025, 1, 10, 12, tzinfo=UTC)):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="10.00", memo="jan")
    with at(app_bank, datetime(2025, 2, 10, 12, tzinfo=UTC)):
        postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="1.00", memo="feb")
    with at(app_bank, datetime(2025, 3, 10, 23, 59, tzinfo=UTC)):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="2.00", memo="mar")
    return ada, client


@pytest.mark.parametrize(
    ("query", "memos"),
    [
        ({}, ["mar", "feb", "jan"]),
        ({"type": "deposit"}, ["mar", "jan"]),
        ({"type": "withdrawal"}, ["feb"]),
        ({"type": "transfer"}, []),
        ({"since": "2025-02-10"}, ["mar", "feb"]),
        ({"until": "2025-02-10"}, ["feb", "jan"]),
        ({"since": "2025-02-01", "until": "2025-03-10"}, ["mar", "feb"]),
        ({"since": "2025-01-01", "until": "2025-03-31", "type": "deposit"}, ["mar", "jan"]),
        ({"since": "", "until": "", "type": ""}, ["mar", "feb", "jan"]),
    ],
)
def test_filters(three_months, query, memos):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string=query))
    assert page.status == 200
    assert [row["Memo"] for row in page.rows()] == memos
    for name, value in query.items():
        assert page.value(name) == value
    if not memos:
        assert "No transactions match these filters." in page.text


def test_the_filter_form(three_months):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history"))
    [form] = page.find("form", method="get")
    assert form.attrs["action"] == f"/accounts/{ada.account_id}/history"
    # Typed as the pages write dates (2026-01-31), not in a locale's date picker.
    for name in ("since", "until"):
        assert page.by_id(name).attrs["type"] == "text"
        assert page.by_id(name).attrs["placeholder"] == "YYYY-MM-DD"
    assert page.by_id("type").tag == "select"
    assert [o.attrs["value"] for o in page.find("option")] == [
        "",
        "deposit",
        "withdrawal",
        "transfer",
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "yesterday"}, "since", "use a date like"),
        ({"until": "2025-02-30"}, "until", "use a date like"),
        ({"since": "2025-03-01", "until": "2025-02-01"}, "until", "must not be before since"),
        ({"type": "refund"}, "type", "deposit, withdrawal or transfer"),
    ],
)
def test_bad_filters_are_a_422_on_the_field(three_months, query, field, message):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string=query))
    assert page.status == 422
    assert message in page.error(field)
    if field != "type":  # a select cannot show a value it does not offer
        assert page.value(field) == query[field]
    assert page.rows() == []


@pytest.mark.parametrize("cursor", ["not a cursor!", "eyJ4Ijo", "A" * 500])
def test_a_forged_cursor_is_a_422(three_months, cursor):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string={"cursor": cursor}))
    assert page.status == 422
    assert page.form_errors == ["cursor is not one this server issued"]


def test_newer_walks_back_to_the_newest_page_keeping_the_filters(app, app_bank, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE", 2)
    ada, client = customer_client(app, app_bank)
    with at(app_bank, datetime(2025, 1, 10, tzinfo=UTC)):
        for i in range(1, 8):
            postings.deposit(app_bank, ada.user_id, ada.account_id, amount="1000.00", memo=f"#{i}")
            postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="0.50", memo="fee")
    first = (
        f"/accounts/{ada.account_id}/history?q=%23&min_amount=1%2C000.00&since=2025-01-01"
        "&until=2025-01-31&type=deposit"
    )
    kept = {"q": "#", "min_amount": "1000.00", "since": "2025-01-01", "until": "2025-01-31"}
    pages, path = [], first
    while path:
        page = Page(client.get(path))
        assert page.status == 200
        pages.append([row["Memo"] for row in page.rows()])
        assert page.value("q") == "#" and page.value("type") == "deposit"
        path = page.link("Older")
    assert pages == [["#7", "#6"], ["#5", "#4"], ["#3", "#2"], ["#1"]]
    assert page.link("Newest") is not None
    back = []
    path = page.link("Newer")
    while path:
        query = parse_qs(urlsplit(path).query)
        assert {k: query[k] for k in kept} == {k: [v] for k, v in kept.items()}
        page = Page(client.get(path))
        back.append([row["Memo"] for row in page.rows()])
        path = page.link("Newer")
    assert back == [["#3", "#2"], ["#5", "#4"], ["#7", "#6"]]
    # Back at the newest page: nothing newer to offer, and Older goes on from here.
    assert page.link("Newest") is None
    assert [row["Memo"] for row in Page(client.get(page.link("Older"))).rows()] == ["#5", "#4"]


def test_the_first_page_offers_no_newer(three_months, monkeypatch):
    monkeypatch.setattr(views, "HISTORY_PAGE", 2)
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history"))
    assert page.link("Newer") is None and page.link("Newest") is None
    older = Page(client.get(page.link("Older")))
    assert [row["Memo"] for row in older.rows()] == ["jan"]
    assert older.link("Older") is None
    assert [row["Memo"] for row in Page(client.get(older.link("Newer"))).rows()] == ["mar", "feb"]


@pytest.mark.parametrize(
    ("query", "memos"),
    [
        ({"q": "FEB"}, ["feb"]),
        ({"q": "cash"}, ["mar", "feb", "jan"]),
        ({"q": "withdrawal"}, ["feb"]),
        ({"min_amount": "2"}, ["mar", "jan"]),
        ({"max_amount": "2.00"}, ["mar", "feb"]),
        ({"min_amount": "1", "max_amount": "1"}, ["feb"]),
        ({"min_amount": "1,000.00"}, []),
        ({"q": "a", "min_amount": "5", "since": "2025-01-01", "until": "2025-01-31"}, ["jan"]),
    ],
)
def test_search(three_months, query, memos):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string=query))
    assert page.status == 200
    assert [row["Memo"] for row in page.rows()] == memos
    for name, value in query.items():
        assert page.value(name) == value.replace(",", "")
    if not memos:
        assert "No transactions match these filters." in page.text


def test_the_search_fields(three_months):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history"))
    assert page.by_id("q").attrs["type"] == "search"
    assert page.by_id("min_amount").attrs["inputmode"] == "decimal"
    assert page.by_id("max_amount").attrs["inputmode"] == "decimal"
    assert_controls_labelled(page)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"min_amount": "ten"}, "min_amount", "amount such as 12.34"),
        ({"max_amount": "1,00"}, "max_amount", "amount such as 12.34"),
        ({"max_amount": "1.001"}, "max_amount", "at most 2 decimals"),
        ({"min_amount": "5", "max_amount": "4"}, "max_amount", "must not be below min_amount"),
        ({"q": "x" * 101}, "q", "at most 100"),
    ],
)
def test_a_bad_search_is_a_422_on_the_field(three_months, query, field, message):
    ada, client = three_months
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string=query))
    assert page.status == 422
    assert message in page.error(field)
    assert page.value(field) == query[field]
    assert page.rows() == []
