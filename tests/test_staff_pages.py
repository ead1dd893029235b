"""Every staff page, read for what a strict CSP, assistive technology and CSRF need: no inline
script or style, a label for every control, messages tied to their fields, unique ids, a
CSRF token in every form that posts."""

from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf

from flaskbank.domain.accounts import Role
from flaskbank.services import postings, tokens
from flaskbank.services.monitoring import backtests
from test_monitoring_support import held_alert
from test_staff_support import (
    CLI,
    customer_signed_in,
    staff_client,
    with_staff,
)
from test_web_support import Page, assert_controls_labelled


@pytest.fixture
def app(app):
    return with_staff(app)


GETS = [
    "/staff",
    "/staff/customers",
    "/staff/customers?q=ada",
    "/staff/customers?q=x",
    "/staff/customers?q=nobody-at-all",
    "/staff/customers/{uid}",
    "/staff/customers/{uid}/accounts/{aid}/freeze",
    "/staff/customers/{uid}/accounts/{aid}/unfreeze",
    "/staff/customers/{uid}/accounts/{aid}/history",
    "/staff/customers/{uid}/accounts/{aid}/history?since=bad&q=x",
    "/staff/customers/{uid}/accounts/{aid}/statements/{month}",
    "/staff/customers/{uid}/second-factor-reset",
    "/staff/customers/{uid}/accounts/{aid}/close",
    "/staff/approvals",
    "/staff/users",
    "/staff/users/new",
    "/staff/users/{uid}",
    "/staff/logins/unlock",
    "/staff/logins/unlock?email=a@b.example",
    "/staff/audit",
    "/staff/audit?since=bad&action=nope",
    "/staff/reports",
    "/staff/reports/deposit_growth",
    "/staff/reports/deposit_growth?from=2024-01-01&to=2024-12-31&period=quarter",
    "/staff/reports/deposit_growth?from=bad&period=nope",
    "/staff/reports/entries",
    "/staff/reports/entries?type=deposit&type=withdrawal&side=credits&measure=credits&currency=USD",
    "/staff/reports/entries?from=bad&size=9999&type=loan",
    "/staff/reports/customers",
    "/staff/reports/customers?signed_up_from=2024-01-01&activated=true&active_in_month=3",
    "/staff/reports/customers?at=bad&category=asleep&size=0",
    "/staff/reports/customers?entry_from=2024-01-01&entry_type=deposit&entry_currency=USD",
    "/staff/users/nobody",
    "/staff/monitoring",
    "/staff/monitoring/alerts",
    "/staff/monitoring/alerts?sort=assignee&severity=high&assignee=none",
    "/staff/monitoring/alerts?since=bad&severity=nope",
    "/staff/monitoring/alerts/{alid}",
    "/staff/monitoring/alerts/nope",
    "/staff/monitoring/rules",
    "/staff/monitoring/rules/large_amount",
    "/staff/monitoring/rules/after_security_event",
    "/staff/monitoring/rules/large_amount/history",
    "/staff/monitoring/rules/nope",
    "/staff/monitoring/backtests",
    "/staff/monitoring/backtests/{bid}",
]
POSTS = [
    ("/staff/customers/{uid}/accounts/{aid}/freeze", {"reason": ""}),
    ("/staff/customers/{uid}/accounts/{aid}/unfreeze", {"reason": ""}),
    ("/staff/customers/{uid}/second-factor-reset", {"reason": ""}),
    ("/staff/customers/{uid}/accounts/{aid}/close", {"reason": "", "detail": "elsewhere"}),
    ("/staff/users/new", {"email": "bad", "full_name": "", "role": "customer"}),
    ("/staff/users/new", {"email": "new@bank.example", "full_name": "New", "role": "admin"}),
    ("/staff/users/{me}/role", {"role": "customer"}),
    ("/staff/logins/unlock", {"email": ""}),
    ("/staff/monitoring/alerts/{alid}/note", {"note": "", "version": "1"}),
    ("/staff/monitoring/alerts/{alid}/freeze", {"reason": "", "version": "1"}),
    ("/staff/monitoring/rules/large_amount", {"p_amount": "x", "score": "-1"}),
    ("/staff/monitoring/thresholds", {"review_at": "9", "block_at": "3"}),
    ("/staff/monitoring/backtests", {"since": "", "until": "x", "rules": "{"}),
]


@pytest.fixture
def pages(app, app_bank):
    ada, _ = customer_signed_in(app, app_bank, "Ada Lovelace", deposit="10.00")
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="1.00", memo="<i>m</i>")
    tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    alert, _ = held_alert(app_bank)
    me, client = staff_client(app, app_bank, Role.ADMIN)
    backtest = backtests.start(app_bank, me, since="2026-01-01", until="2026-01-02", actor=CLI)
    ids = {"uid": ada.user_id, "aid": ada.account_id, "me": me.id, "month": app_bank.now()[:7]}
    ids.update(alid=alert.id, bid=backtest.id)
    found = [Page(client.get(path.format(**ids))) for path in GETS]
    found += [Page(client.post(path.format(**ids), data=data)) for path, data in POSTS]
    assert {p.status for p in found} == {200, 201, 404, 422}
    return found


def test_pages_declare_language_viewport_and_stylesheet(pages):
    for page in pages:
        assert page.find("html", lang="en"), page.response.request.path
        assert page.find("meta", name="viewport")
        assert page.find("link", rel="stylesheet", href="/static/style.css")


def test_no_inline_script_style_or_handlers(pages):
    for page in pages:
        assert not page.find("style")
        # Only the workspace's own static script, never inline code.
        for script in page.find("script"):
            assert script.attrs.get("src") == "/static/monitoring.js" and not script.text.strip()
        for element in page.elements:
            assert "style" not in element.attrs, element
            assert not [a for a in element.attrs if a.startswith("on")], element


def test_every_control_has_a_label_and_its_messages(pages):
    for page in pages:
        assert_controls_labelled(page)


def test_the_staff_nav_is_labelled_and_marks_the_current_page(pages):
    staff_pages = [p for p in pages if p.find("nav", aria_label="Staff")]
    assert len(staff_pages) >= 6
    for page in staff_pages:
        current = [a for a in page.find("a") if a.attrs.get("aria-current") == "page"]
        assert len(current) <= 2  # the main nav's and the staff nav's


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_every_form_that_posts_carries_a_csrf_token(csrf_app, app_bank):
    ada, _ = customer_signed_in(csrf_app, app_bank)
    alert, _ = held_alert(app_bank)
    me, client = staff_client(csrf_app, app_bank, Role.ADMIN)
    for path in (
        "/staff/users/new",
        f"/staff/users/{ada.user_id}",
        "/staff/logins/unlock",
        f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/freeze",
        f"/staff/monitoring/alerts/{alert.id}",
        "/staff/monitoring/rules",
        "/staff/monitoring/rules/velocity",
        "/staff/monitoring/backtests",
    ):
        page = Page(client.get(path))
        assert page.find("form", method="post"), path
        for form in page.find("form", method="post"):
            start = page.elements.index(form)
            inside = page.elements[start + 1 : start + 40]
            assert any(
                e.attrs.get("name") == "csrf_token" and e.attrs.get("value") for e in inside
            ), (path, form.attrs["action"])


@pytest.mark.parametrize(
    "path, data",
    [
        ("/staff/customers/{uid}/accounts/{aid}/freeze", {"reason": "forged"}),
        ("/staff/users/new", {"email": "evil@bank.example", "full_name": "E", "role": "admin"}),
        ("/staff/users/{uid}/role", {"role": "admin"}),
        ("/staff/users/{uid}/revoke", {}),
        ("/staff/logins/unlock", {"email": "x@example.com"}),
    ],
)
def test_a_post_without_a_valid_csrf_token_changes_nothing(csrf_app, app_bank, path, data):
    ada, _ = customer_signed_in(csrf_app, app_bank)
    _, client = staff_client(csrf_app, app_bank, Role.ADMIN)
    before = len(app_bank.store.audit.audit_log(limit=500).items)
    target = path.format(uid=ada.user_id, aid=ada.account_id)
    with csrf_app.test_request_context():
        stale = generate_csrf()  # made for another session
    for token in (None, stale):
        body = dict(data, **({"csrf_token": token} if token else {}))
        assert client.post(target, data=body).status_code == 400, (target, token)
    assert len(app_bank.store.audit.audit_log(limit=500).items) == before
    assert app_bank.store.users.get_user(ada.user_id).role is Role.CUSTOMER
    assert app_bank.store.ledger.get_account(ada.account_id).is_open
    assert app_bank.store.users.find_user_by_email("evil@bank.example") is None
