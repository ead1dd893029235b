"""The audit log page: newest first, filters by action, actor and days, pages by cursor, and
every line's who, when, where, what and details shown as text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import at
from flaskbank.domain.accounts import Role
from flaskbank.domain.security import AuditAction
from flaskbank.services import staff
from flaskbank.services.audit import Actor, record
from flaskbank.web.staff import auditlog
from test_staff_support import CLI, IP, enrolled, signed_in, staff_client, with_staff
from test_web_support import Page


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def officer(app, app_bank):
    return staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)


MALLORY = Actor("u-mallory", "mallory@example.com", "192.0.2.66")
TRENT = Actor("u-trent", "trent@bank.example", "192.0.2.77")


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def history(app_bank):
    """Five events on known days, by two actors."""
    for moment, who, action, target in [
        ("2025-01-10T09:00", MALLORY, AuditAction.LOGIN_FAILED, "mallory@example.com"),
        ("2025-01-20T10:00", TRENT, AuditAction.ACCOUNT_FROZEN, "acc-1"),
        ("2025-01-31T23:59", MALLORY, AuditAction.LOGIN_FAILED, "mallory@example.com"),
        ("2025-02-01T00:00", TRENT, AuditAction.ACCOUNT_UNFROZEN, "acc-1"),
        ("2025-02-02T12:00", MALLORY, AuditAction.LOGIN_SUCCEEDED, "u-mallory"),
    ]:
        with at(app_bank, day(moment)):
            record(app_bank, who, action, target, note=f"{action.value} at {moment}")


def rows(client, **query) -> list[dict[str, str]]:
    page = Page(client.get("/staff/audit", query_string=query))
    assert page.status == 200, page.html
    return page.rows()


def test_lines_are_newest_first_with_who_when_where_and_what(officer, history):
    _, client = officer
    found = rows(client, since="2025-01-01", until="2025-12-31")
    assert [r["What"] for r in found] == [
        "Signed in",
        "Unfroze account",
        "Failed to sign in",
        "Froze account",
        "Failed to sign in",
    ]
    assert found[1] == {
        "When": "2025-02-01 00:00:00 UTC",
        "Who": "trent@bank.example from 192.0.2.77",
        "What": "Unfroze account",
        "About": "acc-1",
        "Details": "Note account_unfrozen at 2025-02-01T00:00",
    }


def test_filter_by_action(officer, history):
    _, client = officer
    found = rows(client, action="login_failed")
    assert [r["When"][:10] for r in found] == ["2025-01-31", "2025-01-10"]


def test_filter_by_actor_email_in_any_case(officer, history):
    _, client = officer
    found = rows(client, actor="  Trent@Bank.Example ")
    assert [r["What"] for r in found] == ["Unfroze account", "Froze account"]


def test_filter_finds_staff_whose_email_has_capitals(app, app_bank):
    boss, _ = staff.create_staff(
        app_bank,
        email="Auditor.Boss@Bank.example",
        full_name="Auditor Boss",
        role="compliance_officer",
        actor=CLI,
    )
    client = signed_in(app, enrolled(app_bank, boss).id)
    client.get("/staff/customers", query_string={"q": "nobody"})
    for typed in ("auditor.boss@bank.example", "AUDITOR.BOSS@bank.example"):
        [row] = rows(client, actor=typed)
        assert (row["What"], row["Details"]) == ("Searched customers", "Searched for nobody")


def test_filter_by_days_both_inclusive(officer, history):
    _, client = officer
    found = rows(client, since="2025-01-20", until="2025-01-31")
    assert [r["When"] for r in found] == ["2025-01-31 23:59:00 UTC", "2025-01-20 10:00:00 UTC"]


def test_filters_combine(officer, history):
    _, client = officer
    found = rows(client, action="login_failed", actor="mallory@example.com", since="2025-01-15")
    assert [r["When"][:10] for r in found] == ["2025-01-31"]
    assert rows(client, action="account_frozen", actor="mallory@example.com") == []


def test_pages_follow_the_cursor_and_keep_the_filters(officer, history, monkeypatch):
    monkeypatch.setattr(auditlog, "AUDIT_PAGE", 2)
    _, client = officer
    seen = []
    page = Page(client.get("/staff/audit", query_string={"until": "2025-12-31"}))
    assert page.link("Newest") is None
    while True:
        seen += [r["When"] for r in page.rows()]
        older = page.link("Older")
        if older is None:
            break
        assert "until=2025-12-31" in older and "cursor=" in older
        page = Page(client.get(older))
        assert page.link("Newest") == "/staff/audit?until=2025-12-31"
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"action": "drop_tables"}, "action", "not an audit action"),
        ({"since": "yesterday"}, "since", ""),
        ({"since": "2025-02-01", "until": "2025-01-01"}, "until", "before since"),
    ],
)
def test_bad_filters_are_refused_on_the_form(officer, query, field, message):
    _, client = officer
    page = Page(client.get("/staff/audit", query_string=query))
    assert page.status == 422 and message in page.error(field) and page.error(field)
    assert page.rows() == []


def test_a_forged_cursor_is_refused(officer):
    _, client = officer
    page = Page(client.get("/staff/audit?cursor=Zm9v"))
    assert page.status == 422 and page.form_errors


def test_the_action_filter_offers_every_action(officer):
    _, client = officer
    page = Page(client.get("/staff/audit"))
    offered = [o.attrs["value"] for o in page.find("option")]
    assert offered == [""] + [a.value for a in AuditAction]


def test_details_with_markup_are_shown_as_text(officer, app_bank):
    _, client = officer
    record(
        app_bank,
        MALLORY,
        AuditAction.CUSTOMER_SEARCHED,
        "<b>t</b>",
        query="<script>alert(1)</script>",
    )
    page = Page(client.get("/staff/audit", query_string={"actor": MALLORY.email}))
    assert not page.find("script") and not page.find("b")
    [row] = page.rows()
    assert row["About"] == "<b>t</b>"
    assert row["Details"] == "Searched for <script>alert(1)</script>"


def test_staff_actions_in_the_web_show_up_with_the_staff_address(app, app_bank, officer):
    me, client = officer
    client.get("/staff/customers", query_string={"q": "nobody"})
    [row] = rows(client, action="customer_searched")
    assert (row["Who"], row["Details"]) == (f"{me.email} from {IP}", "Searched for nobody")
