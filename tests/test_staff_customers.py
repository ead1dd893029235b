"""The customer search and the read-only customer view, as any staff role sees them."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role, format_account_number
from flaskbank.services import customers, postings, tokens
from test_staff_support import (
    IP,
    audit_lines,
    staff_client,
    with_staff,
)
from test_web_support import Page


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def people(app_bank):
    ada = new_customer(app_bank, "Ada Lovelace", deposit="50.00")
    grace = new_customer(app_bank, "Grace Hopper", deposit="20.00")
    return ada, grace


@pytest.fixture
def analyst(app, app_bank):
    return staff_client(app, app_bank, Role.FINANCIAL_MANAGER)


def names(page: Page) -> list[str]:
    return [row["Name"] for row in page.rows()]


@pytest.mark.parametrize("query", ["ada", "ADA LOVE", "  Ada  "])
def test_search_by_the_start_of_a_name(analyst, people, query):
    _, client = analyst
    page = Page(client.get("/staff/customers", query_string={"q": query}))
    assert page.status == 200 and names(page) == ["Ada Lovelace"]


@pytest.mark.parametrize("query", ["hopper", "HOP", "Grace Hop"])
def test_search_by_the_start_of_a_surname_or_the_whole_name(analyst, people, query):
    _, client = analyst
    page = Page(client.get("/staff/customers", query_string={"q": query}))
    assert page.status == 200 and names(page) == ["Grace Hopper"]


def test_search_by_email_and_by_account_number(analyst, people):
    _, client = analyst
    ada, grace = people
    by_email = Page(client.get("/staff/customers", query_string={"q": grace.email[:8]}))
    assert names(by_email) == ["Grace Hopper"]
    for number in (ada.account_number, format_account_number(ada.account_number)):
        by_number = Page(client.get("/staff/customers", query_string={"q": number}))
        assert names(by_number) == ["Ada Lovelace"], number


def test_a_result_links_to_the_customer(analyst, people):
    _, client = analyst
    ada, _ = people
    page = Page(client.get("/staff/customers", query_string={"q": "ada"}))
    assert page.link("Ada Lovelace") == f"/staff/customers/{ada.user_id}"


def test_a_search_and_a_view_are_audited_with_who_and_where(app_bank, analyst, people):
    user, client = analyst
    ada, _ = people
    client.get("/staff/customers", query_string={"q": "ada"})
    client.get(f"/staff/customers/{ada.user_id}")
    viewed, searched = audit_lines(app_bank)[:2]
    assert (searched.action.value, searched.details, searched.actor_email, searched.ip) == (
        "customer_searched",
        {"query": "ada"},
        user.email,
        IP,
    )
    assert (viewed.action.value, viewed.target, viewed.actor_id) == (
        "customer_viewed",
        ada.user_id,
        user.id,
    )


def test_the_blank_search_page_searches_nothing(app_bank, analyst):
    _, client = analyst
    before = len(audit_lines(app_bank))
    page = Page(client.get("/staff/customers"))
    assert page.status == 200 and page.rows() == [] and page.error("q") == ""
    assert len(audit_lines(app_bank)) == before


@pytest.mark.parametrize("query", ["", "a", " x ", "x" * 101])
def test_too_short_or_long_a_search_is_refused_on_the_form(analyst, people, query):
    _, client = analyst
    page = Page(client.get("/staff/customers", query_string={"q": query}))
    assert page.status == 422 and "2 to 100 characters" in page.error("q")
    assert page.rows() == []


HOSTILE = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "%%",
    "a%",
    "__",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "ada' --",
    "1 OR 1=1",
    "ada%' OR '%'='",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_injection_shaped_search_text_matches_nothing_and_is_shown_as_text(
    app_bank, analyst, people, query
):
    _, client = analyst
    page = Page(client.get("/staff/customers", query_string={"q": query}))
    assert page.status == 200, page.html
    assert page.rows() == []
    assert f"Nobody matches “{query}”" in page.text
    assert not page.find("script") and not page.find("img")
    assert app_bank.store.users.count_users() >= 3  # nothing was dropped


def test_a_name_with_markup_is_shown_as_text(app_bank, analyst):
    _, client = analyst
    evil = customers.register(
        app_bank,
        email="bold@example.com",
        password="correct horse battery",
        full_name="<b>Bold</b> <script>alert(1)</script>",
    )
    results = Page(client.get("/staff/customers", query_string={"q": "<b>bold"}))
    assert names(results) == ["<b>Bold</b> <script>alert(1)</script>"]
    assert "&lt;script&gt;" in results.html
    view = Page(client.get(f"/staff/customers/{evil.id}"))
    assert not view.find("b") and not view.find("script")


def test_the_customer_view_shows_profile_accounts_lines_and_tokens(app_bank, analyst, people):
    _, client = analyst
    ada, _ = people
    for i in range(12):
        postings.deposit(app_bank, ada.user_id, ada.account_id, amount="1.00", memo=f"m{i}")
    tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    page = Page(client.get(f"/staff/customers/{ada.user_id}"))
    assert page.status == 200
    assert "Ada Lovelace" in page.text and ada.email in page.text
    assert format_account_number(ada.account_number) in page.text
    assert "62.00" in page.text and "Status: Open" in page.text
    rows = [row for row in page.rows() if "Memo" in row]
    assert [row["Memo"] for row in rows] == [f"m{i}" for i in range(11, 1, -1)]
    [token] = [row for row in page.rows() if "State" in row]
    assert token["State"] == "Active"


def test_the_customer_view_moves_no_money(analyst, people):
    _, client = analyst
    ada, _ = people
    page = Page(client.get(f"/staff/customers/{ada.user_id}"))
    # The one staff form is the internal note's; none moves money.
    assert [f.attrs["action"] for f in page.find("form")] == [
        "/logout",
        f"/staff/customers/{ada.user_id}/notes",
    ]
    # No link into the customer's own banking pages either.
    assert not [
        a
        for a in page.find("a")
        if ada.account_id in a.attrs["href"] and not a.attrs["href"].startswith("/staff/")
    ]
    # Only roles that may freeze see the way to do it.
    assert page.link("Freeze this account") is None


def test_an_unknown_customer_is_a_404(analyst):
    _, client = analyst
    assert client.get("/staff/customers/no-such-id").status_code == 404


def test_staff_pages_are_not_cached(analyst, people):
    _, client = analyst
    ada, _ = people
    response = client.get(f"/staff/customers/{ada.user_id}")
    assert response.headers["Cache-Control"] == "no-store"
