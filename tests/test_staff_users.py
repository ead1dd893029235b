"""User management by admins: the paginated list, new staff users with a one-time password
shown once, role changes, ending a user's sessions and tokens, and unlocking a login."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import LoginLocked
from flaskbank.domain.ledger import utc_iso
from flaskbank.domain.security import LoginThrottle
from flaskbank.services import authentication, sessions, tokens
from test_staff_support import (
    IP,
    audit_lines,
    signed_in,
    staff_client,
    with_staff,
)
from test_web_support import Page


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def admin(app, app_bank):
    return staff_client(app, app_bank, Role.ADMIN)


def last_line(bank, action):
    return next(e for e in audit_lines(bank) if e.action.value == action)


# -- the list ----------------------------------------------------------------------------


def test_the_user_list_pages_through_everyone(app_bank, admin):
    _, client = admin
    for i in range(51):
        new_customer(app_bank, f"Person{i:02d} Test")
    first = Page(client.get("/staff/users"))
    assert first.status == 200 and len(first.rows()) == 50
    assert first.link("First page") is None
    second = Page(client.get(first.link("Next page")))
    assert len(second.rows()) == 2 and second.link("Next page") is None
    assert second.link("First page") == "/staff/users"
    emails = {r["Email"] for r in first.rows() + second.rows()}
    assert len(emails) == 52  # 51 customers and the admin, each once


def test_the_user_list_links_to_each_user(app_bank, admin):
    user, client = admin
    page = Page(client.get("/staff/users"))
    [row] = page.rows()
    assert row["Email"] == user.email and row["Role"] == "Administrator"
    assert page.link(user.full_name) == f"/staff/users/{user.id}"


def test_a_forged_cursor_is_refused(admin):
    _, client = admin
    assert client.get("/staff/users?cursor=!!!").status_code == 422


# -- new staff users ---------------------------------------------------------------------


def test_an_admin_creates_staff_and_sees_the_password_once(app_bank, admin):
    me, client = admin
    response = client.post(
        "/staff/users/new",
        data={"email": "Nina@Bank.Example", "full_name": "Nina  Analyst", "role": "fraud_analyst"},
    )
    page = Page(response)
    assert page.status == 201 and response.headers["Cache-Control"] == "no-store"
    password = page.by_id("one-time-password").text
    created = app_bank.store.users.find_user_by_email("nina@bank.example")
    assert created.role is Role.FRAUD_ANALYST and created.full_name == "Nina Analyst"
    assert created.must_change_password
    assert app_bank.passwords.verify(created.password_hash, password)
    line = last_line(app_bank, "staff_created")
    assert (line.actor_email, line.ip, line.target, line.details) == (
        me.email,
        IP,
        created.id,
        {"email": created.email, "role": "fraud_analyst"},
    )
    assert password not in str(line)
    again = Page(client.get(f"/staff/users/{created.id}"))
    assert password not in again.html and "One-time, not yet changed" in again.text


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"email": "x@bank.example", "full_name": "X", "role": "customer"},
            "role",
            "customers register themselves",
        ),
        ({"email": "x@bank.example", "full_name": "X", "role": "king"}, "role", "staff role"),
        ({"email": "not an email", "full_name": "X", "role": "admin"}, "email", "email"),
        ({"email": "x@bank.example", "full_name": " ", "role": "admin"}, "full_name", "name"),
    ],
)
def test_a_bad_new_staff_user_is_refused_on_the_form(app_bank, admin, data, field, message):
    _, client = admin
    page = Page(client.post("/staff/users/new", data=data))
    assert page.status == 422 and message in page.error(field)
    assert page.value("email") == data["email"]
    assert app_bank.store.users.find_user_by_email("x@bank.example") is None


def test_a_taken_email_is_refused(app_bank, admin):
    me, client = admin
    page = Page(
        client.post(
            "/staff/users/new", data={"email": me.email, "full_name": "Copy", "role": "admin"}
        )
    )
    assert page.status == 422 and page.error("email")


# -- roles -------------------------------------------------------------------------------


def test_an_admin_changes_a_role_and_the_new_role_applies_at_once(app, app_bank, admin):
    me, client = admin
    analyst, analyst_client = staff_client(app, app_bank, Role.FRAUD_ANALYST)
    assert analyst_client.get("/staff/audit").status_code == 403
    page = Page(client.get(f"/staff/users/{analyst.id}"))
    assert page.value("role") == "fraud_analyst"
    response = client.post(f"/staff/users/{analyst.id}/role", data={"role": "compliance_officer"})
    assert response.status_code == 302
    assert app_bank.store.users.get_user(analyst.id).role is Role.COMPLIANCE_OFFICER
    line = last_line(app_bank, "role_changed")
    assert (line.actor_email, line.target, line.details) == (
        me.email,
        analyst.id,
        {"old": "fraud_analyst", "new": "compliance_officer"},
    )
    # Their sessions ended with the change; signed in again, they have the new powers.
    assert analyst_client.get("/staff/audit").status_code in (200, 302)
    assert signed_in(app, analyst.id).get("/staff/audit").status_code == 200


def test_a_demoted_staff_member_loses_the_staff_area(app, app_bank, admin):
    _, client = admin
    analyst, analyst_client = staff_client(app, app_bank, Role.FRAUD_ANALYST)
    client.post(f"/staff/users/{analyst.id}/role", data={"role": "customer"})
    assert analyst_client.get("/staff").status_code in (302, 404)
    assert signed_in(app, analyst.id).get("/staff").status_code == 404


def test_an_admin_cannot_change_their_own_role(app_bank, admin):
    me, client = admin
    page = Page(client.post(f"/staff/users/{me.id}/role", data={"role": "customer"}))
    assert page.status == 422 and "your own role" in page.error("role")
    assert app_bank.store.users.get_user(me.id).role is Role.ADMIN


def test_an_unknown_role_or_user_is_refused(app_bank, admin):
    _, client = admin
    ada = new_customer(app_bank)
    page = Page(client.post(f"/staff/users/{ada.user_id}/role", data={"role": "king"}))
    assert page.status == 422 and page.error("role") == "not a role"
    assert client.post("/staff/users/nobody/role", data={"role": "admin"}).status_code == 404
    assert client.get("/staff/users/nobody").status_code == 404


# -- sessions and tokens -----------------------------------------------------------------


def test_revoking_ends_every_session_and_token(app_bank, admin):
    me, client = admin
    ada = new_customer(app_bank)
    token, _ = tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    session_id = sessions.save(app_bank, None, ada.user_id, {}, None)
    response = client.post(f"/staff/users/{ada.user_id}/revoke")
    assert response.status_code == 302
    assert "Ended 2 session(s) and API token(s)" in " ".join(
        Page(client.get(response.location)).flashes
    )
    assert tokens.user_for_token(app_bank, token) is None
    assert sessions.load(app_bank, session_id) is None
    line = last_line(app_bank, "sessions_revoked")
    assert (line.actor_email, line.target) == (me.email, ada.user_id)


def test_revoking_a_nobody_is_a_404(admin):
    _, client = admin
    assert client.post("/staff/users/nobody/revoke").status_code == 404


# -- login locks -------------------------------------------------------------------------


def lock(bank, email):
    for _ in range(5):
        bank.store.sessions.record_login_failure(email)
    bank.store.sessions.lock_login(email, utc_iso(bank.clock() + timedelta(hours=1)))


def test_an_admin_unlocks_a_locked_login(app_bank, admin):
    me, client = admin
    ada = new_customer(app_bank)
    lock(app_bank, ada.email)
    with pytest.raises(LoginLocked):
        authentication.check_password(app_bank, email=ada.email, password=ada.password, ip="x")
    user_page = Page(client.get(f"/staff/users/{ada.user_id}"))
    form = Page(client.get(user_page.link(f"Unlock logins for {ada.email}")))
    assert form.value("email") == ada.email
    response = client.post("/staff/logins/unlock", data={"email": f"  {ada.email.upper()} "})
    assert response.status_code == 302
    assert app_bank.store.sessions.login_throttle(ada.email) == LoginThrottle()
    assert (
        authentication.check_password(app_bank, email=ada.email, password=ada.password, ip="x").id
        == ada.user_id
    )
    line = last_line(app_bank, "login_unlocked")
    assert (line.actor_email, line.ip, line.target) == (me.email, IP, ada.email)


def test_unlocking_needs_an_email(app_bank, admin):
    _, client = admin
    before = len(audit_lines(app_bank))
    page = Page(client.post("/staff/logins/unlock", data={"email": "  "}))
    assert page.status == 422 and "email" in page.error("email")
    assert len(audit_lines(app_bank)) == before
