"""Every page, read for what a CSP and assistive technology need: labels, described errors,
no inline script or style, a language and a viewport, the nav."""

from __future__ import annotations

import pytest

from flaskbank.services import postings
from test_web_support import Page, assert_controls_labelled, customer_client

ANONYMOUS = [
    "/login",
    "/register",
    "/accounts/nope",
    "/help",
    "/staying-safe",
    "/privacy",
    "/contact",
]
SIGNED_IN = [
    "/",
    "/transfer",
    "/standing-orders",
    "/profile",
    "/profile/password",
    "/profile/api",
    "/accounts/new",
    "/accounts/{id}/deposit",
    "/accounts/{id}/withdraw",
    "/accounts/{id}/history",
    "/accounts/{id}/history?since=bad",
    "/accounts/{id}/statement",
    "/accounts/{id}/statement?month=bad",
    "/accounts/not-mine/history",
    "/accounts/{id}/settings",
    "/payees",
]
POSTED = [
    ("/accounts/{id}/deposit", {"amount": "x", "token": "t"}),
    ("/transfer", {"amount": "", "token": "t"}),
    ("/payees", {"nickname": "", "account_number": "1"}),
    ("/accounts/{id}/nickname", {"nickname": "x" * 41}),
    ("/standing-orders", {"amount": "", "day_of_month": "40"}),
    ("/register", {"email": "x", "password": "y"}),
]


@pytest.fixture
def pages(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="10.00")
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="1.00", memo="memo")
    found = [Page(app.test_client().get(path)) for path in ANONYMOUS]
    found += [Page(client.get(path.format(id=ada.account_id))) for path in SIGNED_IN]
    found += [Page(client.post(path.format(id=ada.account_id), data=data)) for path, data in POSTED]
    assert {page.status for page in found} == {200, 404, 422}
    return found


def test_pages_declare_language_and_viewport(pages):
    for page in pages:
        assert page.find("html", lang="en"), page.response.request.path
        [viewport] = page.find("meta", name="viewport")
        assert "width=device-width" in viewport.attrs["content"]
        assert page.find("link", rel="stylesheet", href="/static/style.css")


def test_no_inline_script_style_or_handlers(pages):
    for page in pages:
        assert not page.find("style")
        assert all("src" in s.attrs for s in page.find("script"))
        for element in page.elements:
            assert "style" not in element.attrs, element
            assert not [a for a in element.attrs if a.startswith("on")], element
            assert not element.attrs.get("href", "").startswith("javascript:")


def test_every_input_has_a_label_and_its_messages(pages):
    for page in pages:
        assert_controls_labelled(page)


def test_the_nav(pages):
    signed_in = [p for p in pages if p.find("form", action="/logout")]
    assert len(signed_in) == len(SIGNED_IN) + len(POSTED)
    for page in signed_in:
        [nav] = page.find("nav", aria_label="Main")
        assert " ".join(nav.text.split()) == "Dashboard Transfer Standing orders Profile Log out"
    anonymous = [p for p in pages if not p.find("form", action="/logout")]
    for page in anonymous:
        [nav] = page.find("nav", aria_label="Main")
        assert " ".join(nav.text.split()) == "Log in Register"


def test_money_pages_are_not_cached(app, app_bank):
    ada, client = customer_client(app, app_bank)
    for path in ("/", f"/accounts/{ada.account_id}/deposit", "/profile"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_the_stylesheet_is_served(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


def test_the_monitoring_script_is_served_as_a_static_file(client):
    # The analysts' live view needs it, and the CSP lets only same-origin files run.
    response = client.get("/static/monitoring.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    # It draws customers' data with textContent only, so none of it is ever read as markup.
    assert b"innerHTML" not in response.data and b"eval(" not in response.data
    response.close()
