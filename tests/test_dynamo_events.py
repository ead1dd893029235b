"""What only DynamoStore's event feed promises, on DynamoDB Local: a posting's event rides in
the posting's own BatchGetItem and TransactWriteItems; a unit's events on one shard take
consecutive numbers with one counter move; a writer that loses the counter race is retried
onto the next number; a reader never moves past a number it has not read. The behaviour
both stores share is in tests/contract/test_events.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conftest import new_customer
from dynamodb_local import fresh_dynamo_store
from flaskbank.domain.errors import WriteConflict
from flaskbank.domain.events import Event, EventKind
from flaskbank.domain.ledger import new_id
from flaskbank.passwords import FastHasher
from flaskbank.services import customers, postings
from flaskbank.services.bank import Bank
from flaskbank.store.dynamo import DynamoStore
from flaskbank.store.dynamo import events as feed
from flaskbank.store.dynamo import items as di


@pytest.fixture
def store(dynamodb_endpoint: str) -> Iterator[DynamoStore]:
    s = fresh_dynamo_store(dynamodb_endpoint)
    yield s
    s.close()


@pytest.fixture
def bank(store: DynamoStore) -> Bank:
    return Bank(store, FastHasher())


@contextmanager
def requests(store: DynamoStore) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """(operation, parameters) of every call the store sends inside the block."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def hook(model, params, **_):  # type: ignore[no-untyped-def]
        seen.append((model.name, params))

    events = store.db.client.meta.events
    events.register("before-parameter-build.dynamodb", hook, unique_id="requests")
    try:
        yield seen
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="requests")


@contextmanager
def before_write(store: DynamoStore, action, times: int = 1) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Run `action` just before the store's next TransactWriteItems leaves: a racer."""
    left = [times]

    def hook(**_):  # type: ignore[no-untyped-def]
        if left[0] > 0:
            left[0] -= 1
            action()

    events = store.db.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", hook, unique_id="racer")
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="racer")


def other(store: DynamoStore) -> DynamoStore:
    """Another store object on the same tables (another process, as far as reads go)."""
    return DynamoStore(
        region=store.region, endpoint_url=store.endpoint_url, table_prefix=store.table_prefix
    )


def on_events_table(store: DynamoStore, params: dict[str, Any]) -> list[str]:
    """The kinds of the TransactWriteItems actions on the events table."""
    return [
        kind
        for action in params["TransactItems"]
        for kind, body in action.items()
        if body["TableName"] == store.tables.events
    ]


def an_event(subject: str) -> Event:
    return Event(
        new_id(), EventKind.STAFF_ACTION, subject, "test", "2024-01-01T00:00:00.000000Z", {}
    )


def test_a_transfer_and_its_event_are_one_read_and_one_write(bank, store):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    with requests(store) as seen:
        postings.transfer(
            bank,
            ada.user_id,
            ada.account_id,
            amount="5.00",
            to_account_number=bob.account_number,
            idempotency_key="k",
        )
    # The posting's one read and one write; between them scoring's Query of the sender's
    # recent entries (docs/monitoring.md).
    assert [op for op, _ in seen] == ["BatchGetItem", "Query", "TransactWriteItems"]
    (_, read), _, (_, write) = seen
    shard = feed.shard_of(ada.account_id)
    assert read["RequestItems"][store.tables.events]["Keys"] == [
        di.to_wire(feed.counter_key(shard))
    ]
    assert on_events_table(store, write) == ["Put", "Update"]


def test_a_units_events_on_one_shard_take_consecutive_numbers_with_one_counter_move(store):
    subject = "user-1"
    shard = feed.shard_of(subject)
    store.events.append(an_event(subject))  # number 1, on its own
    with requests(store) as seen, store.unit_of_work() as uow:
        for _ in range(3):
            store.events.append(an_event(subject))
        store.events.append(an_event("elsewhere-" + str(shard)))
        uow.commit()
    writes = [params for op, params in seen if op == "TransactWriteItems"]
    assert len(writes) == 1
    kinds = on_events_table(store, writes[0])
    assert kinds.count("Put") == 4
    assert kinds.count("Update") == len({shard, feed.shard_of("elsewhere-" + str(shard))})
    page = store.events.read(after=None, limit=100)
    mine = [e.position for e in page.events if e.subject == subject]
    assert mine == [f"{shard}:{n}" for n in (1, 2, 3, 4)]


def test_a_unit_that_lost_the_counter_race_is_run_again_on_the_next_number(bank, store):
    ada = new_customer(bank)
    shard = feed.shard_of(ada.user_id)
    racer = other(store)
    before = store.events.read(after=None, limit=100)
    with before_write(store, lambda: racer.events.append(an_event(ada.user_id))):
        customers.update_profile(bank, ada.user_id, full_name="Ada King")
    after = store.events.read(after=before.checkpoint, limit=100)
    assert [e.kind for e in after.events] == [EventKind.STAFF_ACTION, EventKind.PROFILE_CHANGED]
    numbers = [int(e.position.split(":")[1]) for e in after.events]
    assert numbers[1] == numbers[0] + 1 and after.events[0].position.startswith(f"{shard}:")
    racer.close()


def test_a_posting_that_lost_the_counter_race_is_retried_inside_the_store(bank, store):
    ada = new_customer(bank, deposit="10.00")
    racer = other(store)
    bump = lambda: racer.events.append(an_event(ada.account_id))  # noqa: E731 - same shard
    with before_write(store, bump), requests(store) as seen:
        result = postings.withdraw(bank, ada.user_id, ada.account_id, amount="1.00")
    assert [op for op, _ in seen] == [
        "BatchGetItem",
        "Query",  # scoring's read of the recent entries, once: the retry is the store's
        "TransactWriteItems",  # cancelled: the counter moved on
        "BatchGetItem",
        "TransactWriteItems",
    ]
    last_two = store.events.read(after=None, limit=100).events[-2:]
    assert [e.kind for e in last_two] == [EventKind.STAFF_ACTION, EventKind.TRANSACTION_POSTED]
    assert last_two[1].payload["transaction_id"] == result.transaction.id
    (a, b) = (int(e.position.split(":")[1]) for e in last_two)
    assert b == a + 1
    with before_write(store, bump, times=1000), pytest.raises(WriteConflict):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="1.00")  # lost every time
    assert str(store.ledger.get_account(ada.account_id).balance) == "9.00"
    racer.close()


def _put_raw(store: DynamoStore, shard: int, number: int, event: Event) -> None:
    action = feed.event_put(store.tables.events, shard, number, event)["Put"]
    store.db.client.put_item(**action)


def test_a_reader_never_moves_past_a_number_it_has_not_read(store):
    """Number 2 is visible and 1 is not (as a Query might find them while 1's transaction is
    still being applied): the reader stops before 1, and takes both once 1 is there."""
    subject = "gap"
    shard = feed.shard_of(subject)
    first, second = an_event(subject), an_event(subject)
    store.db.client.put_item(
        TableName=store.tables.events,
        Item=di.to_wire({**feed.counter_key(shard), "last": 2}),
    )
    _put_raw(store, shard, 2, second)
    page = store.events.read(after=None, limit=10)
    assert page.events == [] and page.checkpoint == ""
    _put_raw(store, shard, 1, first)
    page = store.events.read(after=page.checkpoint, limit=10)
    assert [e.id for e in page.events] == [first.id, second.id]
    assert page.checkpoint == f"{shard}:2"


def test_events_are_stored_as_json_text_and_numbered_keys(bank, store):
    ada = new_customer(bank, deposit="12.34")
    page = store.events.read(after=None, limit=100)
    deposit = next(e for e in page.events if e.kind is EventKind.TRANSACTION_POSTED)
    shard, number = (int(x) for x in deposit.position.split(":"))
    item = store.db.client.get_item(
        TableName=store.tables.events,
        Key=di.to_wire({"pk": feed.counter_key(shard)["pk"], "sk": number}),
        ConsistentRead=True,
    )["Item"]
    assert json.loads(item["payload"]["S"])["amount"] == "12.34"
    assert deposit.subject == ada.account_id


@pytest.mark.parametrize(
    "pending, limit, allotted",
    [
        ({1: 10, 2: 1, 3: 10}, 5, {2: 1, 1: 2, 3: 2}),
        ({1: 10}, 5, {1: 5}),
        ({1: 2, 2: 2}, 100, {1: 2, 2: 2}),
        ({s: 9 for s in range(8)}, 4, {s: 1 for s in range(8)}),  # one each; the page cuts
    ],
)
def test_a_page_asks_each_shard_for_its_share(pending, limit, allotted):
    assert feed._allot(pending, limit) == allotted


def test_pages_of_a_long_feed_follow_each_other_in_time_across_shards(store):
    """A bulk-loaded history: one subject busy early and quiet late, another the other way
    round. Read a few events a page, the feed still comes in time order, as a backtest's
    replay needs (a security event before the transfer it led to), and nothing is lost."""
    early, late = "busy-early", "busy-late"
    assert feed.shard_of(early) != feed.shard_of(late)
    times = {early: [f"2024-01-{d:02d}" for d in range(1, 21)] + ["2024-03-01", "2024-03-02"]}
    times[late] = ["2024-01-01", "2024-01-02"] + [f"2024-03-{d:02d}" for d in range(1, 21)]
    written = []
    for subject, days in times.items():
        for n, day in enumerate(days, start=1):
            event = Event(
                new_id(), EventKind.STAFF_ACTION, subject, "test", f"{day}T12:00:00.000000Z", {}
            )
            _put_raw(store, feed.shard_of(subject), n, event)
            written.append(event)
        store.db.client.put_item(
            TableName=store.tables.events,
            Item=di.to_wire({**feed.counter_key(feed.shard_of(subject)), "last": len(days)}),
        )
    read, after = [], None
    while True:
        page = store.events.read(after=after, limit=4)
        if not page.events:
            break
        read.extend(page.events)
        after = page.checkpoint
    assert sorted(e.id for e in read) == sorted(e.id for e in written)
    assert [e.at for e in read] == sorted(e.at for e in written)
