"""Security notices: the request only appends events; the worker's notices consumer queues a
mail per event worth telling, and its send job mails it through a real SMTP server (aiosmtpd,
in the test process). When the server is down nothing is lost, and once it is back each
notice arrives exactly once. On both stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from conftest import at, new_customer
from flaskbank.domain.mail import MAX_ATTEMPTS
from flaskbank.mail import SmtpMailer
from flaskbank.mail.smtp import parse_smtp_url
from flaskbank.services import customers, postings
from flaskbank.worker import Worker, default_jobs
from mail_support import Recorder, deliver, smtp_server

NEW_PASSWORD = "another good passphrase 7"  # noqa: S105 - a test's


def notices_to(mailer: Recorder, address: str) -> list[str]:
    return [m.subject for m in mailer.to(address) if m.kind.startswith("notice:")]


def login(app, who, agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": who.email, "password": who.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 302
    return client


def test_a_login_from_a_new_device_is_told_and_a_known_one_is_not(app, app_bank):
    ada = new_customer(app_bank)
    mailer = Recorder()
    laptop = login(app, ada)  # the first device is no news
    deliver(app_bank, mailer)
    assert notices_to(mailer, ada.email) == []
    laptop.post("/logout")
    laptop.post("/login", data={"email": ada.email, "password": ada.password})
    deliver(app_bank, mailer)
    assert notices_to(mailer, ada.email) == []  # the same browser (its device cookie)
    login(app, ada, agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    deliver(app_bank, mailer)
    assert notices_to(mailer, ada.email) == ["New sign-in to your Flask Bank account"]
    [notice] = [m for m in mailer.to(ada.email) if m.kind.startswith("notice:")]
    assert "Safari on iPhone" in notice.body


def test_password_change_large_transfer_and_held_transfer_are_told(bank):
    ada = new_customer(bank, deposit="5000.00")
    bob = new_customer(bank, "Bob Brown")
    mailer = Recorder()
    customers.change_password(
        bank, ada.user_id, old_password=ada.password, new_password=NEW_PASSWORD
    )
    postings.transfer(bank, ada.user_id, ada.account_id, amount="999.99", to_email=bob.email)
    postings.transfer(bank, ada.user_id, ada.account_id, amount="1000.00", to_email=bob.email)
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="1500.00")
    bank.settings = replace(bank.settings, review_threshold=Decimal("100.00"))
    postings.transfer(bank, ada.user_id, ada.account_id, amount="150.00", to_email=bob.email)
    deliver(bank, mailer)
    ending = ada.account_number[-4:]
    assert notices_to(mailer, ada.email) == [
        "Your Flask Bank password was changed",
        "A transfer of 1,000.00 USD from your account",
        "A withdrawal of 1,500.00 USD from your account",
        "Your transfer is waiting for review",
    ]
    assert all(ending in m.body for m in mailer.to(ada.email) if "account" in m.subject)
    assert notices_to(mailer, bob.email) == []


def test_notices_about_old_events_are_not_sent(bank):
    with at(bank, bank.clock() - timedelta(days=3)):
        ada = new_customer(bank, deposit="5000.00")
        bob = new_customer(bank, "Bob Brown")
        postings.transfer(bank, ada.user_id, ada.account_id, amount="2000.00", to_email=bob.email)
    mailer = Recorder()
    deliver(bank, mailer)
    assert notices_to(mailer, ada.email) == []


def test_a_mail_server_that_is_down_delays_notices_and_none_is_lost_or_doubled(bank):
    ada = new_customer(bank)
    with smtp_server() as server:
        mailer = SmtpMailer(parse_smtp_url(server.url), "no-reply@bank.example", timeout=2)
        worker = Worker(bank, default_jobs([], mailer=mailer))
        worker.tick(0.0)  # the sign-up's confirmation
        assert len(server.inbox.to(ada.email)) == 1
        server.stop()
        customers.change_password(
            bank, ada.user_id, old_password=ada.password, new_password=NEW_PASSWORD
        )
        worker.tick(100.0)  # queued by the consumer, then the send fails
        worker.tick(200.0)
        [waiting] = bank.store.mail.due_mail("9999", limit=10)
        assert waiting.attempts >= 1 and waiting.last_error
        server.start()
        worker.tick(300.0)  # not due yet: it waits out its backoff
        assert len(server.inbox.to(ada.email)) == 1
        with at(bank, bank.clock() + timedelta(minutes=5)):
            worker.tick(400.0)
            worker.tick(500.0)
        subjects = [m["Subject"] for m in server.inbox.to(ada.email)]
        assert subjects.count("Your Flask Bank password was changed") == 1
        # Sending a mail again (a worker killed before it marked it sent) repeats its
        # Message-ID, so that mail programs show it once.
        ids = [m["Message-ID"] for m in server.inbox.messages]
        assert len(ids) == len(set(ids)) == 2
    assert bank.store.mail.due_mail("9999", limit=10) == []
    assert waiting.attempts < MAX_ATTEMPTS
