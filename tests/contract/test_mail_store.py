"""Emailed links, confirmed addresses, the mail outbox, known devices and a user's sessions,
on both stores: a link is used once (also by two requests at once) and commits with the unit
of work it is used in; mail is queued once per id, read back when due, and marked sent or
failed exactly once."""

from __future__ import annotations

import threading

import pytest

from flaskbank.domain.errors import LinkNotValid, StaleRecord
from flaskbank.domain.links import EmailLink, LinkPurpose, hash_token
from flaskbank.domain.mail import MAX_ATTEMPTS, Mail
from flaskbank.domain.security import WebSession

T0 = "2026-11-26T10:00:00.000000Z"


def a_link(
    token: str = "tok-1",  # noqa: S107 - a link's token, made up
    purpose: LinkPurpose = LinkPurpose.RESET_PASSWORD,
) -> EmailLink:
    return EmailLink(
        hash_token(token), purpose, "u-1", "Ada@Example.com", T0, "2026-11-26T10:30:00.000000Z"
    )


def a_mail(mail_id: str, next_at: str = T0) -> Mail:
    return Mail(mail_id, "ada@example.com", "Hello", "Body ✓", "notice", T0, next_at)


def test_a_link_is_kept_by_its_hash_and_used_once(store):
    link = a_link()
    store.links.add_link(link)
    assert store.links.get_link(link.token_hash) == link
    assert store.links.get_link(hash_token("other")) is None
    assert store.links.get_link("x" * 5000) is None
    store.links.use_link(link)
    assert store.links.get_link(link.token_hash) is None
    with pytest.raises(LinkNotValid):
        store.links.use_link(link)


def test_a_link_used_in_a_unit_of_work_that_fails_stays_usable(store):
    link = a_link()
    store.links.add_link(link)
    with store.unit_of_work():
        store.links.use_link(link)
        # no commit: the change the link allowed did not happen, so neither did its use
    assert store.links.get_link(link.token_hash) == link
    with store.unit_of_work() as uow:
        store.links.use_link(link)
        store.links.confirm_email("u-1", "ada@example.com", T0)
        uow.commit()
    assert store.links.get_link(link.token_hash) is None


def test_two_uses_at_once_only_one_commits(store):
    link = a_link()
    store.links.add_link(link)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def use() -> None:
        barrier.wait()
        try:
            with store.unit_of_work() as uow:
                store.links.use_link(link)
                uow.commit()
            outcomes.append("used")
        except (LinkNotValid, StaleRecord) as e:
            outcomes.append(type(e).__name__)
        except Exception as e:  # a busy store is a refusal too, as long as one use wins
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("used") == 1


def test_confirmed_addresses_are_per_user_and_case_blind_and_keep_the_first_time(store):
    assert store.links.email_confirmed_at("u-1", "ada@example.com") is None
    store.links.confirm_email("u-1", "Ada@Example.com", T0)
    store.links.confirm_email("u-1", "ada@example.com", "2026-11-27T00:00:00.000000Z")
    assert store.links.email_confirmed_at("u-1", "ADA@example.com") == T0
    assert store.links.email_confirmed_at("u-2", "ada@example.com") is None
    assert store.links.email_confirmed_at("u-1", "new@example.com") is None


def test_mail_is_queued_once_per_id_and_read_when_due(store):
    store.mail.queue_mail(a_mail("m-2", "2026-11-26T10:05:00.000000Z"))
    store.mail.queue_mail(a_mail("m-1"))
    store.mail.queue_mail(Mail("m-1", "x@example.com", "Other", "", "notice", T0, T0))
    assert store.mail.get_mail("m-1") == a_mail("m-1")
    assert [m.id for m in store.mail.due_mail(T0, limit=10)] == ["m-1"]
    later = "2026-11-26T11:00:00.000000Z"
    assert [m.id for m in store.mail.due_mail(later, limit=10)] == ["m-1", "m-2"]
    assert [m.id for m in store.mail.due_mail(later, limit=1)] == ["m-1"]


def test_sent_mail_is_no_longer_due_and_is_marked_once(store):
    store.mail.queue_mail(a_mail("m-1"))
    mail = store.mail.get_mail("m-1")
    store.mail.mail_sent(mail, "2026-11-26T10:01:00.000000Z", body="")
    store.mail.mail_sent(mail, "2026-11-26T10:02:00.000000Z", body="again")
    sent = store.mail.get_mail("m-1")
    assert sent.sent_at == "2026-11-26T10:01:00.000000Z" and sent.body == ""
    assert store.mail.due_mail("2026-11-27T00:00:00.000000Z", limit=10) == []


def test_a_failed_attempt_counts_once_and_waits_until_next_at(store):
    store.mail.queue_mail(a_mail("m-1"))
    mail = store.mail.get_mail("m-1")
    retry = "2026-11-26T10:00:30.000000Z"
    store.mail.mail_failed(mail, "421 busy", retry)
    with pytest.raises(StaleRecord):
        store.mail.mail_failed(mail, "421 busy", retry)  # another worker counted it
    failed = store.mail.get_mail("m-1")
    assert (failed.attempts, failed.next_at, failed.last_error) == (1, retry, "421 busy")
    assert store.mail.due_mail(T0, limit=10) == []
    assert [m.id for m in store.mail.due_mail(retry, limit=10)] == ["m-1"]


def test_mail_given_up_is_no_longer_due(store):
    store.mail.queue_mail(a_mail("m-1"))
    for _ in range(MAX_ATTEMPTS):
        mail = store.mail.get_mail("m-1")
        store.mail.mail_failed(mail, "down", T0)
    assert store.mail.get_mail("m-1").given_up
    assert store.mail.due_mail("2027-01-01T00:00:00.000000Z", limit=10) == []


def test_mail_queued_in_a_unit_of_work_commits_with_it(store):
    with store.unit_of_work():
        store.mail.queue_mail(a_mail("m-1"))
    assert store.mail.get_mail("m-1") is None
    with store.unit_of_work() as uow:
        store.mail.queue_mail(a_mail("m-1"))
        store.links.add_link(a_link())
        uow.commit()
    assert store.mail.get_mail("m-1") is not None
    assert store.links.get_link(hash_token("tok-1")) is not None


def test_devices_are_remembered_once_per_user(store):
    assert store.mail.devices_of("u-1") == []
    store.mail.add_device("u-1", "br-a", T0)
    store.mail.add_device("u-1", "br-b", "2026-11-26T11:00:00.000000Z")
    store.mail.add_device("u-1", "br-a", "2026-11-26T12:00:00.000000Z")
    store.mail.add_device("u-2", "br-c", T0)
    assert store.mail.devices_of("u-1") == ["br-a", "br-b"]
    assert store.mail.devices_of("u-2") == ["br-c"]


def test_sessions_of_a_user_are_listed_oldest_first(store):
    sessions = store.sessions
    sessions.add_session(WebSession("h-2", "u-1", "2026-11-26T10:05:00.000000Z", T0, {"ua": "B"}))
    sessions.add_session(WebSession("h-1", "u-1", T0, T0, {"ua": "A"}))
    sessions.add_session(WebSession("h-3", "u-2", T0, T0))
    sessions.add_session(WebSession("h-4", None, T0, T0))
    listed = sessions.sessions_of("u-1")
    assert [(s.id_hash, s.data) for s in listed] == [("h-1", {"ua": "A"}), ("h-2", {"ua": "B"})]
    sessions.delete_sessions_of("u-1", keep="h-2")
    assert [s.id_hash for s in sessions.sessions_of("u-1")] == ["h-2"]
