"""The bulk-load port on DynamoDB Local (store/dynamo/bulk.py): a loaded bank verifies clean
and reads exactly as one posted through `post`; its events are on the feed once each; a
load killed in the middle of a batch resumes to the very items an uninterrupted load
writes; batches out of order, refused legs and half-written loads are refused clearly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from bulk_batches import PASSWORD, SmallBank
from dynamodb_local import REGION, fresh_dynamo_store
from flaskbank.domain import ledger
from flaskbank.domain.accounts import CASH_ACCOUNT_ID, CLOSED_BY_THE_BANK, AccountStatus
from flaskbank.domain.errors import (
    AccountNotFound,
    BulkLoadOutOfOrder,
    EmailTaken,
    InsufficientFunds,
    StoreError,
)
from flaskbank.domain.events import Event, EventKind, transaction_posted
from flaskbank.domain.labels import Label, Pattern
from flaskbank.domain.ledger import Leg, Posting, TransactionType
from flaskbank.domain.money import Money
from flaskbank.passwords import FastHasher
from flaskbank.services import customers, postings
from flaskbank.services.bank import Bank
from flaskbank.services.ledger_checks import verify
from flaskbank.store.base import BulkBatch
from flaskbank.store.dynamo import DynamoStore, bulk
from flaskbank.store.dynamo import items as di
from flaskbank.store.dynamo.events import shard_of
from test_dynamo_specific import allowed, calls, iam_requests

SIZES = [(6, 30), (3, 40), (0, 40)]  # (new customers, postings) per batch


@pytest.fixture
def endpoint(dynamodb_endpoint: str) -> str:
    return dynamodb_endpoint


@pytest.fixture
def store(endpoint: str) -> Iterator[DynamoStore]:
    s = fresh_dynamo_store(endpoint)
    yield s
    s.close()


def reopened(store: DynamoStore) -> DynamoStore:
    """The same tables from a new store object: what a new process sees (no memory)."""
    return DynamoStore(
        region=REGION, endpoint_url=store.endpoint_url, table_prefix=store.table_prefix
    )


def new_load(seed: int = 7) -> tuple[str, list[BulkBatch]]:
    load_id = f"load-{uuid.uuid4().hex[:8]}"
    return load_id, SmallBank(load_id, seed=seed).batches(SIZES)


def load_all(store: DynamoStore, batches: list[BulkBatch]) -> None:
    for batch in batches:
        store.bulk.load(batch)


def every_feed_event(store: DynamoStore) -> list[Event]:
    seen: list[Event] = []
    after = None
    while True:
        page = store.events.read(after=after, limit=50)
        if not page.events:
            return seen
        seen += page.events
        after = page.checkpoint


def contents(store: DynamoStore) -> dict[str, list[dict[str, Any]]]:
    """Every item of the tables a load writes, keyed so two stores compare."""
    found = {}
    for table in ("users", "accounts", "transactions", "events"):
        name = getattr(store.tables, table)
        items = [
            di.from_wire(i)
            for page in store.db.pages("scan", TableName=name, ConsistentRead=True)
            for i in page["Items"]
        ]
        items = [i for i in items if i["pk"] != "META#schema"]  # stamped when made
        found[table] = sorted(items, key=lambda i: (str(i["pk"]), str(i.get("sk", ""))))
    return found


@contextmanager
def dies_after(store: DynamoStore, writes: int) -> Iterator[None]:
    """The process dies after `writes` BatchWriteItem calls: every later call fails before
    it leaves (the threads already sending finish theirs)."""
    sent = [0]

    class Killed(Exception):
        pass

    def hook(**_: Any) -> None:
        sent[0] += 1
        if sent[0] > writes:
            raise Killed

    events = store.db.client.meta.events
    events.register("before-call.dynamodb.BatchWriteItem", hook, unique_id="kill")
    try:
        with pytest.raises(Killed):
            yield
    finally:
        events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="kill")


def test_a_loaded_bank_verifies_clean_and_works_through_the_services(store):
    load_id, batches = new_load()
    load_all(store, batches)
    assert store.bulk.unfinished_loads() == [load_id]
    store.bulk.finish(load_id)
    assert store.bulk.unfinished_loads() == []
    bank = Bank(store, FastHasher())
    assert verify(bank).problems == []
    # the normal paths on loaded data: a login, a transfer by number, history, verify again
    ada, bob = batches[0].accounts[:2]
    user = customers.authenticate(bank, email=batches[0].users[0].email, password=PASSWORD)
    assert user.id == ada.user_id
    before = store.ledger.get_account(ada.id)
    assert before is not None
    postings.transfer(bank, ada.user_id, ada.id, amount="0.01", to_account_number=bob.number)
    page = store.ledger.history(ada.id, limit=1)
    assert page.items[0].balance_after == before.balance - Money.of("0.01")
    assert verify(bank).problems == []


def test_history_and_balances_are_exactly_what_post_makes(endpoint, store):
    """The same users, accounts and postings, loaded in bulk and posted one by one."""
    _, batches = new_load()
    load_all(store, batches)
    posted = fresh_dynamo_store(endpoint)
    for batch in batches:
        for user in batch.users:
            posted.users.add_user(user)
        for account in batch.accounts:
            posted.ledger.add_account(account)
        for posting in batch.postings:
            posted.ledger.post(posting)
    for account in (a for b in batches for a in b.accounts):
        bulk_history = store.ledger.history(account.id, limit=200).items
        assert bulk_history == posted.ledger.history(account.id, limit=200).items
        assert store.ledger.get_account(account.id) == posted.ledger.get_account(account.id)
    assert list(store.ledger.all_transactions()) == list(posted.ledger.all_transactions())
    posted.close()


def test_accounts_dropped_from_memory_between_batches_are_read_back(endpoint, store, monkeypatch):
    _, batches = new_load()
    whole = fresh_dynamo_store(endpoint)
    load_all(whole, batches)
    monkeypatch.setattr(bulk, "CACHED_ACCOUNTS", 2)
    load_all(store, batches)
    assert contents(store) == contents(whole)
    whole.close()


def test_statements_chain_on_loaded_entries(store):
    _, batches = new_load()
    load_all(store, batches)
    for account in batches[0].accounts:
        lines = store.ledger.entries_between(account.id, "2025-01-01", "2025-12-31")
        assert lines == list(reversed(store.ledger.history(account.id, limit=500).items))
        balance = Money.of("0")
        for line in lines:
            balance = balance + line.amount
            assert line.balance_after == balance
        assert store.ledger.balance_before(account.id, "2025-12-31") == (
            lines[-1] if lines else None
        )


def test_every_posting_has_its_event_once_on_the_feed(store):
    _, batches = new_load()
    load_all(store, batches)
    every = [p for b in batches for p in b.postings]
    seen = every_feed_event(store)
    assert sorted(e.id for e in seen) == sorted(transaction_posted(p).id for p in every)
    by_id = {e.id: e for e in seen}
    for posting in every:
        expected = transaction_posted(posting)
        got = by_id[expected.id]
        assert (got.kind, got.subject, got.at, dict(got.payload)) == (
            EventKind.TRANSACTION_POSTED,
            expected.subject,
            expected.at,
            dict(expected.payload),
        )
    # each shard's events in time order, numbered without a gap
    shards: dict[str, list[Event]] = {}
    for event in seen:
        shards.setdefault(event.position.split(":")[0], []).append(event)
    for run in shards.values():
        numbers = [int(e.position.split(":")[1]) for e in run]
        assert numbers == list(range(1, len(run) + 1))
        assert [e.at for e in run] == sorted(e.at for e in run)


def test_other_events_and_labels_are_stored(store):
    load_id, batches = new_load()
    ada = batches[0].users[0]
    login = Event(
        str(uuid.uuid4()),
        EventKind.LOGIN_SUCCEEDED,
        ada.id,
        ada.id,
        ada.created_at,
        {"ip": "10.0.0.1"},
    )
    label = Label(
        "label-1",
        Pattern.STRUCTURING,
        ada.id,
        tuple(p.id for p in batches[0].postings[:2]),
        batches[0].postings[0].created_at,
        batches[0].postings[1].created_at,
        "two deposits",
    )
    batches[0] = replace(batches[0], events=(login,), labels=(label,))
    load_all(store, batches)
    assert list(store.bulk.labels()) == [label]
    assert login.id in {e.id for e in every_feed_event(store)}


def test_a_load_killed_midway_through_a_batch_resumes_to_what_an_uninterrupted_load_writes(
    endpoint, store
):
    _, batches = new_load()
    whole = fresh_dynamo_store(endpoint)
    load_all(whole, batches)
    store.bulk.load(batches[0])
    with dies_after(store, 3):  # batch 1 writes about 10 calls' worth of items
        store.bulk.load(batches[1])
    assert store.bulk.loaded(batches[0].load_id) == 1
    with pytest.raises(StoreError, match="half-written"):
        store.bulk.finish(batches[0].load_id)
    resumed = reopened(store)  # a new process: replays the stream from the start
    load_all(resumed, batches)
    assert contents(resumed) == contents(whole)
    assert verify(Bank(resumed, FastHasher())).problems == []
    resumed.close()
    whole.close()


def _with_closings(load_id: str) -> list[BulkBatch]:
    """new_load's batches and one more in which the bank pays out two customers' accounts
    and closes them, among other postings."""
    bank = SmallBank(load_id)
    batches = bank.batches(SIZES)
    leaving = [a for a in bank.accounts if bank.balances[a.id] > 0][:2]
    rest = [a for a in bank.accounts if a not in leaving]
    payouts, closed = [], []
    for account in leaving:
        current = replace(account, balance=Money.from_minor(bank.balances[account.id], "USD"))
        at = bank.now()
        payout = ledger.withdrawal(current, current.balance, memo="Closing", at=at, by="system")
        payouts.append(replace(payout, closes=account.id))
        bank.balances[account.id] = 0
        status = {"status": "closed", "reason": CLOSED_BY_THE_BANK}
        closed.append(
            Event(
                f"closed-{account.id}",
                EventKind.ACCOUNT_STATUS_CHANGED,
                account.id,
                "system",
                at,
                status,
            )
        )
    others = bank.postings(60, among=rest)
    last = BulkBatch(load_id, len(batches), postings=(*payouts, *others), events=tuple(closed))
    return [*batches, last]


def test_a_load_killed_after_writing_closed_accounts_resumes_from_them_open(endpoint, store):
    # The accounts' items are the last items a batch writes, its counters after them: a
    # load killed between the two replays the batch from the accounts as they were before.
    load_id = f"load-{uuid.uuid4().hex[:8]}"
    batches = _with_closings(load_id)
    whole = fresh_dynamo_store(endpoint)
    load_all(whole, batches[:-1])
    with calls(whole) as seen:
        whole.bulk.load(batches[-1])
    load_all(store, batches[:-1])
    store.bulk.threads = 1  # in order, so that every item call is in before the kill
    with dies_after(store, seen.count("BatchWriteItem") - 1):
        store.bulk.load(batches[-1])
    closed = [e.subject for e in batches[-1].events]
    assert all(store.ledger.get_account(a).status is AccountStatus.CLOSED for a in closed)
    resumed = reopened(store)
    load_all(resumed, batches)
    assert contents(resumed) == contents(whole)
    assert all(resumed.ledger.get_account(a).balance.minor == 0 for a in closed)
    assert verify(Bank(resumed, FastHasher())).problems == []
    resumed.close()
    whole.close()


def test_a_load_that_fails_midway_is_resumed_in_the_same_process(endpoint, store):
    _, batches = new_load()
    whole = fresh_dynamo_store(endpoint)
    load_all(whole, batches)
    store.bulk.load(batches[0])
    with dies_after(store, 5):
        store.bulk.load(batches[1])
    load_all(store, batches[1:])
    assert contents(store) == contents(whole)
    whole.close()


def test_a_killed_first_batch_is_listed_unfinished_and_resumes(endpoint, store):
    load_id, batches = new_load()
    with dies_after(store, 1):
        store.bulk.load(batches[0])
    assert store.bulk.unfinished_loads() == [load_id]
    assert store.bulk.loaded(load_id) == 0
    resumed = reopened(store)
    load_all(resumed, batches)
    resumed.bulk.finish(load_id)
    assert resumed.bulk.unfinished_loads() == []
    assert verify(Bank(resumed, FastHasher())).problems == []
    resumed.close()


def test_a_replay_with_other_content_is_refused(store):
    load_id, batches = new_load()
    with dies_after(store, 1):
        store.bulk.load(batches[0])
    other = replace(batches[0], postings=batches[0].postings[:-1])
    with pytest.raises(StoreError, match="not deterministic"):
        reopened(store).bulk.load(other)


def test_batches_out_of_order_are_refused_and_those_in_are_skipped(store):
    load_id, batches = new_load()
    with pytest.raises(BulkLoadOutOfOrder):
        store.bulk.load(batches[1])
    store.bulk.load(batches[0])
    with calls(store) as seen:
        store.bulk.load(batches[0])  # in already: nothing to do
    assert seen == []
    assert reopened(store).bulk.loaded(load_id) == 1
    with pytest.raises(BulkLoadOutOfOrder):
        store.bulk.load(batches[2])
    behind = replace(
        batches[2].postings[0], created_at=batches[0].postings[-1].created_at[:-2] + "0Z"
    )
    with pytest.raises(StoreError, match="in time"):  # before the load's last posting
        store.bulk.load(replace(batches[1], postings=(*batches[1].postings, behind)))
    assert store.bulk.loaded(load_id) == 1
    store.bulk.finish(load_id)
    with pytest.raises(StoreError, match="finished"):
        reopened(store).bulk.load(batches[1])


def test_a_refused_leg_refuses_the_batch_before_anything_is_written(store):
    load_id, batches = new_load()
    first = batches[0]
    ada = first.accounts[0]
    overdraw = Posting(
        "overdraw",
        TransactionType.WITHDRAWAL,
        Money.of("1000000"),
        (Leg(ada.id, Money.of("-1000000")), Leg(CASH_ACCOUNT_ID, Money.of("1000000"))),
        "",
        first.postings[-1].created_at,
        ada.user_id,
    )
    empty = contents(store)
    with calls(store) as seen, pytest.raises(InsufficientFunds):
        store.bulk.load(replace(first, postings=(*first.postings, overdraw)))
    assert "BatchWriteItem" not in seen and "UpdateItem" not in seen
    assert contents(store) == empty
    assert store.bulk.unfinished_loads() == []
    stranger = replace(
        first,
        postings=(
            replace(
                overdraw,
                legs=(Leg("nobody", Money.of("-1")), Leg(CASH_ACCOUNT_ID, Money.of("1"))),
                amount=Money.of("1"),
            ),
        ),
    )
    with pytest.raises(AccountNotFound):
        store.bulk.load(stranger)
    store.bulk.load(first)
    taken = replace(batches[1], users=(replace(batches[1].users[0], email=first.users[0].email),))
    with pytest.raises(EmailTaken):
        store.bulk.load(replace(taken, accounts=(), postings=()))
    twice = replace(batches[1], accounts=batches[1].accounts[:1] * 2, postings=())
    with pytest.raises(StoreError, match="twice"):
        store.bulk.load(twice)
    with pytest.raises(StoreError, match="already stored"):  # opened by batch 0
        store.bulk.load(replace(batches[1], accounts=first.accounts[:1], postings=()))
    assert store.bulk.loaded(load_id) == 1


def test_a_batch_is_batch_writes_of_25_and_two_manifest_updates(store):
    _, batches = new_load()
    load_all(store, batches[:2])
    with calls(store) as seen:
        store.bulk.load(batches[2])  # no new users or accounts: nothing to read
    assert [c for c in seen if c != "BatchWriteItem"] == ["UpdateItem", "UpdateItem"]
    # per posting a header, an event and an entry per customer leg, and each account it
    # moved once; then the counters of the shards its events went to; 25 items a call
    batch = batches[2]
    customer_legs = [leg for p in batch.postings for leg in p.legs if leg.account_id != "bank-cash"]
    items = (
        2 * len(batch.postings)
        + len(customer_legs)
        + len({leg.account_id for leg in customer_legs})
    )
    shards = len({shard_of(p.legs[0].account_id) for p in batch.postings})
    assert seen.count("BatchWriteItem") == -(-items // 25) + -(-shards // 25)


def test_the_iam_policies_allow_what_a_load_sends(endpoint):
    """The operator's role (app and init policies) may load; the app's alone may name the
    unfinished loads (serve, verify) and read the labels."""
    store = DynamoStore(
        region=REGION, endpoint_url=endpoint, table_prefix=f"iam{uuid.uuid4().hex[:8]}-"
    )
    store.init_schema()
    needed: list[tuple[str, str]] = []

    def hook(model, params, **_):  # type: ignore[no-untyped-def]
        needed.extend(iam_requests(store, model.name, params))

    store.db.client.meta.events.register("before-parameter-build.dynamodb", hook, unique_id="iam")
    load_id, batches = new_load()
    load_all(store, batches)
    store.bulk.finish(load_id)
    loading, needed[:] = list(needed), []
    store.bulk.unfinished_loads()
    list(store.bulk.labels())
    app = ["iam-policy-app.json"]
    assert {a for a, _ in loading} >= {"dynamodb:BatchWriteItem", "dynamodb:UpdateItem"}
    assert [c for c in loading if not allowed([*app, "iam-policy-init.json"], *c)] == []
    assert [c for c in needed if not allowed(app, *c)] == []
    bulk_write = "arn:aws:dynamodb:us-east-1:1:table/flaskbank-"
    for table in ("users", "accounts", "transactions", "events", "loads"):
        assert not allowed(app, "dynamodb:BatchWriteItem", bulk_write + table)
    store.close()
