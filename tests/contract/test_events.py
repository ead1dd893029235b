"""The event outbox and feed on every store: each use case writes exactly one event of its
kind, atomically with its change (nothing for a refusal or a rolled-back unit); a reader
racing writers sees every event once, in a gap-free order; consumers resume from their
checkpoints and apply idempotently."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pyotp
import pytest

from conftest import Customer, at, new_customer
from flaskbank.domain import ledger
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import (
    AccountNotOpen,
    EmailTaken,
    HoldNotOpen,
    InsufficientFunds,
    InvalidCredentials,
    StaleRecord,
    ValidationFailed,
)
from flaskbank.domain.events import Event, EventKind
from flaskbank.domain.ledger import new_id, parse_utc_iso
from flaskbank.domain.money import Money
from flaskbank.services import (
    accounts,
    authentication,
    customers,
    holds,
    postings,
    staff,
    two_factor,
)
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank
from flaskbank.services.consumers import run_once

IP = "203.0.113.9"
CLI = Actor(None, "cli", "local")
SECRET = "plum tornado quartz 42"


def read_all(store, after: str | None = None, limit: int = 7) -> tuple[list[Event], str]:
    """Every event after `after`, page by page (a small page, to cross page boundaries)."""
    found: list[Event] = []
    while True:
        page = store.events.read(after=after, limit=limit)
        found += page.events
        after = page.checkpoint
        if not page.events:
            return found, after


def sequences(events: list[Event]) -> dict[str, list[int]]:
    """The numbers of the events, per sequence of the feed: SQLite's one sequence of
    positions; on DynamoDB one per shard ("<shard>:<number>")."""
    runs: dict[str, list[int]] = {}
    for event in events:
        name, _, number = event.position.rpartition(":")
        runs.setdefault(name, []).append(int(number))
    return runs


@dataclass
class World:
    bank: Bank
    ada: Customer
    bob: Customer
    admin_id: str
    admin: Actor

    def admin_user(self):  # type: ignore[no-untyped-def]
        return self.bank.store.users.get_user(self.admin_id)


@pytest.fixture
def world(bank) -> World:
    ada = new_customer(bank, "Ada Lovelace", deposit="100.00")
    bob = new_customer(bank, "Bob Babbage")
    admin, _ = staff.create_staff(
        bank, email="root@bank.example", full_name="Root", role="admin", actor=CLI
    )
    return World(bank, ada, bob, admin.id, Actor.of(admin, IP))


def _enrol(w: World) -> None:
    user = w.bank.store.users.get_user(w.ada.user_id)
    secret = two_factor.new_secret()
    two_factor.confirm(w.bank, user, secret, pyotp.TOTP(secret).at(w.bank.clock()), IP)


def _wrong_password(w: World) -> None:
    with pytest.raises(InvalidCredentials):
        authentication.check_password(w.bank, email=w.ada.email, password="not it", ip=IP)


#: use case -> (what it does, the kind of its one event, its subject given the world and
#: what the use case returned, payload it must carry)
USE_CASES: dict[
    str,
    tuple[Callable[[World], object], EventKind, Callable[[World, object], str], dict],  # type: ignore[type-arg]
] = {
    "register": (
        lambda w: customers.register(
            w.bank, email="eve@example.com", full_name="Eve", password=SECRET
        ),
        EventKind.USER_REGISTERED,
        lambda w, user: user.id,
        {"email": "eve@example.com", "full_name": "Eve", "role": "customer"},
    ),
    "open an account": (
        lambda w: accounts.open_account(w.bank, w.ada.user_id, type="savings"),
        EventKind.ACCOUNT_OPENED,
        lambda w, account: account.id,
        {"type": "savings", "currency": "USD"},
    ),
    "deposit": (
        lambda w: postings.deposit(w.bank, w.ada.user_id, w.ada.account_id, amount="12.34"),
        EventKind.TRANSACTION_POSTED,
        lambda w, _: w.ada.account_id,
        {"type": "deposit", "amount": "12.34", "currency": "USD"},
    ),
    "withdraw": (
        lambda w: postings.withdraw(w.bank, w.ada.user_id, w.ada.account_id, amount="0.50"),
        EventKind.TRANSACTION_POSTED,
        lambda w, _: w.ada.account_id,
        {"type": "withdrawal", "amount": "0.50"},
    ),
    "transfer": (
        lambda w: postings.transfer(
            w.bank,
            w.ada.user_id,
            w.ada.account_id,
            amount="7.00",
            to_account_number=w.bob.account_number,
        ),
        EventKind.TRANSACTION_POSTED,
        lambda w, _: w.ada.account_id,
        {"type": "transfer", "amount": "7.00"},
    ),
    "freeze": (
        lambda w: staff.set_frozen(
            w.bank, w.admin_user(), w.bob.account_id, frozen=True, reason="checks", actor=w.admin
        ),
        EventKind.ACCOUNT_STATUS_CHANGED,
        lambda w, _: w.bob.account_id,
        {"status": "frozen", "reason": "checks"},
    ),
    "rename": (
        lambda w: customers.update_profile(w.bank, w.ada.user_id, full_name="Ada King"),
        EventKind.PROFILE_CHANGED,
        lambda w, _: w.ada.user_id,
        {"full_name": "Ada King"},
    ),
    "new email": (
        lambda w: customers.update_profile(
            w.bank, w.ada.user_id, email="ada.k@example.com", current_password=w.ada.password
        ),
        EventKind.EMAIL_CHANGED,
        lambda w, _: w.ada.user_id,
        {"new_email": "ada.k@example.com"},
    ),
    "new password": (
        lambda w: customers.change_password(
            w.bank, w.ada.user_id, old_password=w.ada.password, new_password=SECRET
        ),
        EventKind.PASSWORD_CHANGED,
        lambda w, _: w.ada.user_id,
        {},
    ),
    "new role": (
        lambda w: staff.change_role(
            w.bank, w.admin_user(), w.bob.user_id, "fraud_analyst", w.admin
        ),
        EventKind.ROLE_CHANGED,
        lambda w, _: w.bob.user_id,
        {"old": "customer", "new": "fraud_analyst"},
    ),
    "login": (
        lambda w: authentication.succeeded(w.bank, w.bank.store.users.get_user(w.ada.user_id), IP),
        EventKind.LOGIN_SUCCEEDED,
        lambda w, _: w.ada.user_id,
        {"ip": IP},
    ),
    "failed login": (
        _wrong_password,
        EventKind.LOGIN_FAILED,
        lambda w, _: w.ada.email.lower(),
        {"attempt": "login_failed", "failures": 1},
    ),
    "two-factor enrolment": (
        _enrol,
        EventKind.TWO_FACTOR_ENROLLED,
        lambda w, _: w.ada.user_id,
        {},
    ),
    "staff creates staff": (
        lambda w: staff.create_staff(
            w.bank, email="ana@bank.example", full_name="Ana", role="fraud_analyst", actor=w.admin
        ),
        EventKind.USER_REGISTERED,
        lambda w, made: made[0].id,
        {"role": "fraud_analyst"},
    ),
    "staff ends sessions": (
        lambda w: staff.revoke_sessions(w.bank, w.admin_user(), w.ada.user_id, w.admin),
        EventKind.STAFF_ACTION,
        lambda w, _: w.ada.user_id,
        {"action": "sessions_revoked"},
    ),
    "staff unlocks a login": (
        lambda w: staff.unlock_login(w.bank, w.admin_user(), w.ada.email, w.admin),
        EventKind.STAFF_ACTION,
        lambda w, _: w.ada.email.lower(),
        {"action": "login_unlocked"},
    ),
}


@pytest.mark.parametrize("name", list(USE_CASES))
def test_each_use_case_writes_exactly_one_event_of_its_kind(world, name):
    operation, kind, subject, payload = USE_CASES[name]
    _, start = read_all(world.bank.store)
    result = operation(world)
    new, _ = read_all(world.bank.store, start)
    assert [e.kind for e in new] == [kind]
    (event,) = new
    assert event.subject == subject(world, result)
    assert {k: event.payload[k] for k in payload} == payload
    assert event.position and event.id and event.at <= world.bank.now()


def test_turning_two_factor_off_is_one_event_too(world):
    _enrol(world)
    _, start = read_all(world.bank.store)
    user = world.bank.store.users.get_user(world.ada.user_id)
    two_factor.disable(world.bank, user, password=world.ada.password, ip=IP)
    assert [e.kind for e in read_all(world.bank.store, start)[0]] == [EventKind.TWO_FACTOR_DISABLED]


def test_the_stored_feed_is_the_same_feed_unparsed(world):
    """read_stored pages like read, with the same checkpoints, each payload its JSON text."""
    _wrong_password(world)
    parsed, end = read_all(world.bank.store)
    stored, after = [], None
    while True:
        page = world.bank.store.events.read_stored(after=after, limit=7)
        stored += page.events
        after = page.checkpoint
        if not page.events:
            break
    assert after == end and len(stored) == len(parsed) > 5
    for raw, event in zip(stored, parsed, strict=True):
        assert (raw.kind, raw.subject, raw.at, raw.position) == (
            event.kind.value,
            event.subject,
            event.at,
            event.position,
        )
        assert json.loads(raw.payload) == event.payload


def test_a_posting_event_carries_every_leg_and_its_actor(world):
    _, start = read_all(world.bank.store)
    result = postings.transfer(
        world.bank,
        world.ada.user_id,
        world.ada.account_id,
        amount="3.10",
        to_account_number=world.bob.account_number,
    )
    (event,) = read_all(world.bank.store, start)[0]
    assert event.actor == world.ada.user_id
    assert event.at == result.transaction.created_at
    assert event.payload["transaction_id"] == result.transaction.id
    assert sorted(map(tuple, (leg.values() for leg in event.payload["legs"]))) == sorted(
        [(world.ada.account_id, "-3.10"), (world.bob.account_id, "3.10")]
    )
    # JSON-safe: amounts are text, so a reader never parses a float
    assert sum(Decimal(leg["amount"]) for leg in event.payload["legs"]) == 0


def test_a_name_and_email_change_together_are_two_events_of_one_unit(world):
    _, start = read_all(world.bank.store)
    customers.update_profile(
        world.bank,
        world.ada.user_id,
        full_name="Ada King",
        email="ada.k@example.com",
        current_password=world.ada.password,
    )
    new, _ = read_all(world.bank.store, start)
    assert [e.kind for e in new] == [EventKind.PROFILE_CHANGED, EventKind.EMAIL_CHANGED]
    # one subject, so one sequence of the feed, taking consecutive numbers
    (numbers,) = sequences(new).values()
    assert numbers == list(range(numbers[0], numbers[0] + 2))


def test_a_refused_posting_writes_no_event(world):
    _, start = read_all(world.bank.store)
    with pytest.raises(InsufficientFunds):
        postings.withdraw(world.bank, world.ada.user_id, world.ada.account_id, amount="1000.00")
    # refused by the store at commit: a posting built on a copy from before the freeze
    copy = world.bank.store.ledger.get_account(world.ada.account_id)
    staff.set_frozen(
        world.bank, world.admin_user(), world.ada.account_id, frozen=True, reason="x", actor=CLI
    )
    posting = ledger.withdrawal(copy, Money.of("1"), memo="", at=world.bank.now(), by="t")
    with pytest.raises(AccountNotOpen):
        world.bank.store.ledger.post(posting)
    assert [e.kind for e in read_all(world.bank.store, start)[0]] == [
        EventKind.ACCOUNT_STATUS_CHANGED
    ]


def test_a_unit_rolled_back_writes_no_event(world):
    store = world.bank.store
    _, start = read_all(store)
    event = Event(new_id(), EventKind.STAFF_ACTION, world.ada.user_id, "t", world.bank.now(), {})
    with store.unit_of_work():
        store.events.append(event)  # never committed
    # a unit refused at commit (DynamoDB) or at the write (SQLite) leaves no event either
    with pytest.raises(EmailTaken):
        customers.register(world.bank, email=world.ada.email, full_name="Twin", password=SECRET)
    assert read_all(store, start)[0] == []
    with store.unit_of_work() as uow:
        store.events.append(event)
        uow.commit()
    assert [e.id for e in read_all(store, start)[0]] == [event.id]


def test_a_payload_must_be_json_safe():
    with pytest.raises(TypeError, match="amounts as text"):
        Event(new_id(), EventKind.STAFF_ACTION, "s", "a", "t", {"amount": Decimal("1.5")})
    with pytest.raises(TypeError):
        Event(new_id(), EventKind.STAFF_ACTION, "s", "a", "t", {"x": [1.5]})


@pytest.mark.parametrize("checkpoint", ["x", "-1", "1:2:3", "99:1", "9" * 40, "１", "3,"])
def test_a_checkpoint_the_store_did_not_issue_is_refused(store, checkpoint):
    with pytest.raises(ValidationFailed):
        store.events.read(after=checkpoint, limit=10)


# -- holds -----------------------------------------------------------------------------------


class Feed:
    """What the feed gained since the last look."""

    def __init__(self, store) -> None:  # type: ignore[no-untyped-def]
        self.store = store
        _, self.after = read_all(store)

    def new(self) -> list[Event]:
        found, self.after = read_all(self.store, self.after)
        return found


def test_placing_and_resolving_holds_write_one_event_each(world):
    w, store = world, world.bank.store
    w.bank.settings = type(w.bank.settings)(review_threshold=Decimal("50.00"), review_hours=24)
    admin = w.admin_user()
    postings.deposit(w.bank, w.ada.user_id, w.ada.account_id, amount="500.00")
    feed = Feed(store)

    def pending():  # type: ignore[no-untyped-def]
        return postings.transfer(
            w.bank,
            w.ada.user_id,
            w.ada.account_id,
            amount="60.00",
            to_account_number=w.bob.account_number,
        )

    first = pending()
    (placed,) = feed.new()
    assert (placed.kind, placed.subject, placed.actor) == (
        EventKind.HOLD_PLACED,
        w.ada.account_id,
        w.ada.user_id,
    )
    assert placed.payload["hold_id"] == first.id and placed.payload["amount"] == "60.00"
    assert placed.payload["kind"] == "pending_transfer"
    assert placed.payload["to_account_id"] == w.bob.account_id

    staff_hold = holds.place_staff_hold(
        w.bank, admin, w.ada.account_id, amount="5.00", reason="levy", actor=w.admin
    )
    assert [(e.kind, e.payload["kind"]) for e in feed.new()] == [(EventKind.HOLD_PLACED, "staff")]
    holds.release(w.bank, admin, w.ada.account_id, staff_hold.id, w.admin)
    assert [(e.kind, e.actor) for e in feed.new()] == [(EventKind.HOLD_RELEASED, admin.id)]

    holds.void(w.bank, admin, w.ada.account_id, first.id, w.admin)
    assert [e.kind for e in feed.new()] == [EventKind.HOLD_VOIDED]
    with pytest.raises(HoldNotOpen):  # a second resolution is refused, and writes nothing
        holds.release(w.bank, admin, w.ada.account_id, first.id, w.admin)
    assert feed.new() == []

    second = pending()
    feed.new()
    holds.cancel_pending_transfer(w.bank, w.ada.user_id, w.ada.account_id, second.id)
    assert [(e.kind, e.actor) for e in feed.new()] == [(EventKind.HOLD_VOIDED, w.ada.user_id)]

    third = pending()
    feed.new()
    holds.release(w.bank, admin, w.ada.account_id, third.id, w.admin)
    released, posted = feed.new()  # written with the posting, in its one atomic write
    assert (released.kind, posted.kind) == (EventKind.HOLD_RELEASED, EventKind.TRANSACTION_POSTED)
    assert released.payload["transaction_id"] == posted.payload["transaction_id"]
    (numbers,) = sequences([released, posted]).values()
    assert numbers[1] == numbers[0] + 1

    with at(w.bank, parse_utc_iso(w.bank.now()) - timedelta(hours=30)):
        lapsed = pending()
    feed.new()
    assert holds.expire_due(w.bank) == 1
    (expired,) = feed.new()
    assert (expired.kind, expired.actor) == (EventKind.HOLD_EXPIRED, holds.SYSTEM)
    assert expired.payload["hold_id"] == lapsed.id


# -- a reader racing writers -----------------------------------------------------------------

WRITERS, ROUNDS = 4, 12


@pytest.mark.slow
def test_a_reader_racing_writers_sees_every_event_once_in_a_gap_free_order(bank):
    people = [new_customer(bank, f"Writer {i}", deposit="100.00") for i in range(WRITERS)]
    earlier, start = read_all(bank.store)
    done = threading.Event()
    failures: list[BaseException] = []
    posted: list[str] = []

    def write(me: Customer, other: Customer) -> None:
        try:
            for n in range(ROUNDS):
                if n % 3 == 2:  # a unit of work's event, between postings
                    customers.update_profile(
                        bank, me.user_id, full_name=f"Writer {me.account_number} {n}"
                    )
                    continue
                result = postings.transfer(
                    bank,
                    me.user_id,
                    me.account_id,
                    amount="0.01",
                    to_account_number=other.account_number,
                )
                posted.append(result.transaction.id)
        except BaseException as e:  # noqa: BLE001 - reported below
            failures.append(e)

    seen: list[Event] = []
    pages_while_writing = [0]

    def read() -> None:
        after = start
        try:
            while True:
                finished = done.is_set()  # read once more after the writers have finished
                page = bank.store.events.read(after=after, limit=5)
                seen.extend(page.events)
                pages_while_writing[0] += bool(page.events and not finished)
                after = page.checkpoint
                if finished and not page.events:
                    return
        except BaseException as e:  # noqa: BLE001
            failures.append(e)

    writers = [
        threading.Thread(target=write, args=(people[i], people[(i + 1) % WRITERS]))
        for i in range(WRITERS)
    ]
    reader = threading.Thread(target=read)
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    assert failures == []
    assert pages_while_writing[0] > 2  # the reader did race the writers
    everything, _ = read_all(bank.store, start)
    ids = [e.id for e in seen]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert sorted(ids) == sorted(e.id for e in everything), "the reader missed an event"
    assert len(everything) == WRITERS * ROUNDS
    assert sorted(
        e.payload["transaction_id"] for e in seen if e.kind is EventKind.TRANSACTION_POSTED
    ) == sorted(posted)
    # gap-free: each sequence of the feed is read in order, number after number
    before = sequences(earlier)
    for name, numbers in sequences(seen).items():
        first = (before.get(name) or [0])[-1] + 1
        assert numbers == list(range(first, first + len(numbers))), name


# -- consumers -------------------------------------------------------------------------------


class Killed(BaseException):
    """The process died (as SIGKILL would end it: no except clause gets to run)."""


@dataclass
class KindCounter:
    """A test consumer: counts events per kind, idempotently (it remembers the ids)."""

    name: str = "kind-counter"
    counts: Counter[str] = field(default_factory=Counter)
    applied: set[str] = field(default_factory=set)
    deliveries: int = 0

    def apply(self, event: Event) -> None:
        self.deliveries += 1
        if event.id in self.applied:
            return
        self.applied.add(event.id)
        self.counts[event.kind.value] += 1


def test_a_consumer_resumes_from_its_checkpoint_after_a_crash_before_saving(world, monkeypatch):
    store = world.bank.store
    for _ in range(4):
        postings.deposit(world.bank, world.ada.user_id, world.ada.account_id, amount="1.00")
    consumer = KindCounter()
    assert run_once(store, consumer, limit=4) == 4
    assert store.events.checkpoint(consumer.name).version == 1

    real = store.events.save_checkpoint

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Killed("between apply and checkpoint save")

    monkeypatch.setattr(store.events, "save_checkpoint", crash)
    with pytest.raises(Killed):
        run_once(store, consumer, limit=4)
    assert consumer.deliveries == 8
    monkeypatch.setattr(store.events, "save_checkpoint", real)
    postings.deposit(world.bank, world.ada.user_id, world.ada.account_id, amount="1.00")
    while run_once(store, consumer, limit=4):
        pass
    everything, _ = read_all(store)
    assert consumer.deliveries == len(everything) + 4  # the batch after the crash came twice
    assert consumer.counts == Counter(e.kind.value for e in everything)
    assert run_once(store, consumer) == 0  # caught up


def test_two_instances_of_a_consumer_cannot_both_advance(world):
    store = world.bank.store
    first = store.events.checkpoint("twice")
    page = store.events.read(after=first.position, limit=3)
    store.events.save_checkpoint("twice", page.checkpoint, version=first.version)
    with pytest.raises(StaleRecord):  # the other instance read version 0 too
        store.events.save_checkpoint("twice", page.checkpoint, version=first.version)
    saved = store.events.checkpoint("twice")
    assert (saved.position, saved.version) == (page.checkpoint, 1)
    later = store.events.read(after=saved.position, limit=3)
    store.events.save_checkpoint("twice", later.checkpoint, version=1)
    with pytest.raises(StaleRecord):
        store.events.save_checkpoint("twice", later.checkpoint, version=1)


def test_staff_are_not_customers_in_the_feed_either(world):
    """create_staff's event names its role, so a consumer never counts staff as customers."""
    registered = [e for e in read_all(world.bank.store)[0] if e.kind is EventKind.USER_REGISTERED]
    roles = {e.subject: e.payload["role"] for e in registered}
    assert roles[world.admin_id] == Role.ADMIN.value
    assert roles[world.ada.user_id] == Role.CUSTOMER.value
