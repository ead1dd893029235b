"""Forgot password, the reset link, and email confirmation, through HTTP and the services, on
both stores. Mail is read from what the worker's send job hands the mailer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from conftest import at, new_customer
from flaskbank.domain.errors import AccountNotFound, LinkNotValid
from flaskbank.domain.links import hash_token
from flaskbank.domain.security import AuditAction
from flaskbank.services import recovery
from flaskbank.services.audit import Actor
from mail_support import Recorder, deliver, link_in
from test_security_support import make_app
from test_web_support import PERSONAL, Page, sign_in

RESET = "/password/reset/"
CONFIRM = "/email/confirm/"
NEW_PASSWORD = "a brand new passphrase 42"  # noqa: S105 - a test's


def forgot(client, email: str) -> Page:  # type: ignore[no-untyped-def]
    response = client.post("/password/forgot", data={"email": email}, follow_redirects=True)
    return Page(response)


def test_forgot_password_says_the_same_whether_or_not_the_address_is_a_customers(
    app, app_bank, client
):
    ada = new_customer(app_bank)
    mailer = Recorder()
    deliver(app_bank, mailer)
    mailer.sent.clear()  # the confirmation from sign-up
    known = forgot(client, ada.email.upper())
    unknown = forgot(app.test_client(), "nobody@example.com")
    assert known.status == unknown.status == 200
    assert known.flashes == unknown.flashes
    assert "If an account exists for that address" in known.flashes[0]
    deliver(app_bank, mailer)
    assert [m.to for m in mailer.sent] == [ada.email]
    assert "30 minutes" in mailer.sent[0].body
    entries = app_bank.store.audit.audit_log(
        limit=10, action=AuditAction.PASSWORD_RESET_REQUESTED
    ).items
    assert {e.target for e in entries} == {ada.user_id, "nobody@example.com"}


def test_bad_input_on_the_forgot_form_is_named_and_sends_nothing(app_bank, client):
    page = Page(client.post("/password/forgot", data={"email": "not an address"}))
    assert page.status == 422 and page.error("email")
    mailer = Recorder()
    deliver(app_bank, mailer)
    assert mailer.sent == []


def test_the_reset_link_sets_a_new_password_once_and_ends_every_session(app, app_bank, client):
    ada = new_customer(app_bank)
    elsewhere = sign_in(app.test_client(), ada)
    forgot(client, ada.email)
    mailer = Recorder()
    deliver(app_bank, mailer)
    [mail] = [m for m in mailer.to(ada.email) if m.kind == "password_reset"]
    path = link_in(mail.body, RESET)
    token = path.removeprefix(RESET)
    # Only the token's hash is stored, and the sent mail no longer holds the link.
    assert app_bank.store.links.get_link(token) is None
    assert app_bank.store.links.get_link(hash_token(token)) is not None
    assert app_bank.store.mail.get_mail(mail.id).body == ""

    form = Page(client.get(path))
    assert form.status == 200 and ada.email in form.text
    weak = Page(client.post(path, data={"new_password": "short", "confirm_password": "short"}))
    assert weak.status == 422 and weak.error("new_password")
    done = client.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert Page(client.get(path)).status == 410  # used up
    again = client.post(path, data={"new_password": "x" * 12, "confirm_password": "x" * 12})
    assert again.status_code == 410
    assert elsewhere.get("/profile").status_code == 302  # that session has ended
    old = client.post("/login", data={"email": ada.email, "password": ada.password})
    assert old.status_code == 401
    new = client.post("/login", data={"email": ada.email, "password": NEW_PASSWORD})
    assert new.status_code == 302


def test_a_reset_link_expires_after_30_minutes(app_bank, client):
    ada = new_customer(app_bank)
    forgot(client, ada.email)
    mailer = Recorder()
    deliver(app_bank, mailer)
    [mail] = [m for m in mailer.to(ada.email) if m.kind == "password_reset"]
    path = link_in(mail.body, RESET)
    with at(app_bank, app_bank.clock() + timedelta(minutes=31)):
        page = Page(client.get(path))
        assert page.status == 410 and "expired" in page.text
        with pytest.raises(LinkNotValid):
            recovery.reset_password(
                app_bank, token=path.removeprefix(RESET), new_password=NEW_PASSWORD, ip=""
            )
    assert Page(client.get(RESET + "made-up-token")).status == 410


def test_the_link_leads_to_the_banks_address_not_the_requests_host(app_bank, client):
    ada = new_customer(app_bank)
    app_bank.settings = replace(app_bank.settings, base_url="https://bank.example")
    client.post("/password/forgot", data={"email": ada.email}, headers={"Host": "evil.example"})
    mailer = Recorder()
    deliver(app_bank, mailer)
    [mail] = [m for m in mailer.to(ada.email) if m.kind == "password_reset"]
    assert "https://bank.example/password/reset/" in mail.body
    assert "evil.example" not in mail.body


def test_staff_send_a_reset_on_a_customers_behalf_audited_under_their_name(bank):
    ada = new_customer(bank)
    staff = Actor("staff-1", "admin@bank.example", "10.0.0.1")
    recovery.send_password_reset(bank, ada.user_id, by=staff)
    mailer = Recorder()
    deliver(bank, mailer)
    assert [m.kind for m in mailer.to(ada.email)].count("password_reset") == 1
    [entry] = bank.store.audit.audit_log(limit=5, action=AuditAction.PASSWORD_RESET_REQUESTED).items
    assert (entry.actor_id, entry.target, entry.details) == (
        "staff-1",
        ada.user_id,
        {"on_behalf": "1"},
    )
    with pytest.raises(AccountNotFound):
        recovery.send_password_reset(bank, "no-such-user", by=staff)


def test_registration_mails_a_confirmation_link_that_a_button_uses_once(app, app_bank, client):
    response = client.post(
        "/register",
        data={
            "email": "grace@example.com",
            "full_name": "Grace Hopper",
            "password": NEW_PASSWORD,
            **PERSONAL,
        },
    )
    assert response.status_code == 302
    assert "unconfirmed" in Page(client.get("/profile")).text
    mailer = Recorder()
    deliver(app_bank, mailer)
    [mail] = mailer.to("grace@example.com")
    path = link_in(mail.body, CONFIRM)
    # Opening the link (as a mail scanner would) confirms nothing; the button does.
    assert Page(client.get(path)).status == 200
    assert "unconfirmed" in Page(client.get("/profile")).text
    assert client.post(path).status_code == 302
    assert "unconfirmed" not in Page(client.get("/profile")).text
    assert Page(client.get(path)).status == 410
    # Unconfirmed customers bank as before: the confirmation is shown, not required.


def test_an_email_change_is_unconfirmed_and_mails_both_addresses(app, app_bank):
    ada = new_customer(app_bank)
    client = sign_in(app.test_client(), ada)
    mailer = Recorder()
    deliver(app_bank, mailer)
    recovery.confirm_email(
        app_bank, token=link_in(mailer.to(ada.email)[0].body, CONFIRM).removeprefix(CONFIRM), ip=""
    )
    changed = client.post(
        "/profile",
        data={
            "full_name": "Ada Lovelace",
            "email": "ada.new@example.com",
            "old_password": ada.password,
        },
    )
    assert changed.status_code == 302
    assert "unconfirmed" in Page(client.get("/profile")).text
    deliver(app_bank, mailer)
    [confirmation] = mailer.to("ada.new@example.com")
    assert confirmation.kind == "email_confirmation"
    [notice] = [m for m in mailer.to(ada.email) if m.kind.startswith("notice:")]
    assert "ada.new@example.com" in notice.body and notice.subject.endswith("was changed")
    # The old address's pending links open nothing any more.
    old_link = link_in(mailer.to(ada.email)[0].body, CONFIRM)
    assert Page(client.get(old_link)).status == 410


def test_asking_for_the_confirmation_again_sends_a_new_link(app, app_bank):
    ada = new_customer(app_bank)
    client = sign_in(app.test_client(), ada)
    response = client.post("/profile/email/confirm", follow_redirects=True)
    assert "We have sent a new link" in " ".join(Page(response).flashes)
    mailer = Recorder()
    deliver(app_bank, mailer)
    assert [m.kind for m in mailer.to(ada.email)] == ["email_confirmation"] * 2


def test_asking_for_reset_links_counts_toward_the_login_limit(store, tmp_path):
    app = make_app(store, tmp_path, rate_limits=True, ratelimit_login="3/minute")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/password/forgot", data={"email": "a@example.com"}).status_code == 302
    assert client.post("/password/forgot", data={"email": "a@example.com"}).status_code == 429
    assert (
        client.post("/login", data={"email": "a@example.com", "password": "x"}).status_code == 429
    )
    assert client.post(RESET + "some-token", data={}).status_code == 429
