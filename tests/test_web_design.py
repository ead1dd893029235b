"""What the design promises on every page, read from the HTML: the brand, the landmarks a
screen reader jumps between, the footer's pages, buttons for an account's actions, and API
jargon kept to the API access page. (How it looks and axe-core: tests/browser.)"""

from __future__ import annotations

import pytest

from flaskbank.services import tokens
from test_web_support import Page, customer_client

FOOTER = "Help Security Privacy Contact"
PUBLIC = {
    "/help": "Help",
    "/staying-safe": "Security and staying safe",
    "/privacy": "Privacy",
    "/contact": "Contact us",
}


def landmarks(page: Page) -> None:
    path = page.response.request.path
    assert page.find("header"), path
    assert page.find("main", id="main"), path
    assert page.find("footer"), path
    [skip] = page.find("a", class_="skip-link")
    assert skip.attrs["href"] == "#main"
    [brand] = page.find("a", class_="brand")
    assert " ".join(brand.text.split()) == "Flask Bank"
    [footer] = page.find("nav", aria_label="About the bank")
    assert " ".join(footer.text.split()) == FOOTER, path


@pytest.mark.parametrize("path, heading", PUBLIC.items())
def test_the_footer_pages_are_open_to_everyone(app, app_bank, path, heading):
    _, signed_in = customer_client(app, app_bank)
    for client in (app.test_client(), signed_in):
        page = Page(client.get(path))
        assert page.status == 200
        [h1] = page.find("h1")
        assert h1.text == heading
        landmarks(page)
        assert "lorem" not in page.text.lower()


def test_every_customer_page_has_the_brand_landmarks_and_footer(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="5.00")
    for path in (
        "/",
        "/transfer",
        "/profile",
        "/profile/api",
        f"/accounts/{ada.account_id}/history",
    ):
        landmarks(Page(client.get(path)))
    for path in ("/login", "/register", "/no-such-page"):
        landmarks(Page(app.test_client().get(path)))


def test_each_account_has_buttons_for_its_actions(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="5.00")
    page = Page(client.get("/"))
    buttons = {
        " ".join(a.text.split()): a.attrs["href"]
        for a in page.find("a")
        if "button" in a.attrs.get("class", "").split()
    }
    assert buttons == {
        "Open an account": "/accounts/new",
        "Deposit": f"/accounts/{ada.account_id}/deposit",
        "Withdraw": f"/accounts/{ada.account_id}/withdraw",
        "Transfer": f"/transfer?from={ada.account_id}",
        "Statement": f"/accounts/{ada.account_id}/statement",
        "History": f"/accounts/{ada.account_id}/history",
        "Settings": f"/accounts/{ada.account_id}/settings",
    }


def test_the_profile_speaks_no_api_and_links_to_api_access(app, app_bank):
    ada, client = customer_client(app, app_bank)
    profile = Page(client.get("/profile"))
    assert "/api/v1" not in profile.text and "token" not in profile.text.replace(
        "API tokens then end", ""
    )
    assert profile.link("API access") == "/profile/api"
    tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    api = Page(client.get("/profile/api"))
    assert "POST /api/v1/tokens" in api.text
    assert [row["State"] for row in api.rows()] == ["active"]


def test_api_access_needs_a_login(client):
    response = client.get("/profile/api")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_date_fields_take_dates_as_the_pages_write_them(app, app_bank):
    """No locale date picker (01/31/2026 in en-US) beside pages that write 2026-01-31."""
    from flaskbank.domain.accounts import Role
    from test_staff_support import staff_client, with_staff

    staff_app = with_staff(app)
    ada, client = customer_client(staff_app, app_bank, deposit="5.00")
    _, desk = staff_client(staff_app, app_bank, Role.ADMIN)
    pages = [
        (client, f"/accounts/{ada.account_id}/history"),
        (client, f"/accounts/{ada.account_id}/statement"),
        (client, "/standing-orders"),
        (desk, "/staff/audit"),
        (desk, "/staff/monitoring/alerts"),
        (desk, "/staff/monitoring/backtests"),
        (desk, "/staff/reports/deposit_growth"),
        (desk, "/staff/reports/entries"),
        (desk, f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/history"),
    ]
    dated = 0
    for who, path in pages:
        page = Page(who.get(path))
        assert page.status == 200, path
        assert not page.find("input", type="date") and not page.find("input", type="month"), path
        dated += len(
            [i for i in page.find("input") if i.attrs.get("placeholder", "")[:4] == "YYYY"]
        )
    assert dated >= 10  # the pages above do ask for dates
