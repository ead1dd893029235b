"""The event port on DynamoDB: the feed as SHARDS numbered sequences, and the consumers'
checkpoints, in one table (`events`, pk S / sk N):

    pk SHARD#<nn>, sk 0        the shard's counter: `last`, the number of its last event
    pk SHARD#<nn>, sk <n>      the shard's event number n (1, 2, ...)
    pk CONSUMER#<name>, sk 0   a consumer's checkpoint: position, version

An event goes to the shard its subject hashes to, so one account's or one user's events are
one sequence, in commit order. A writer that read the counter at n puts its events at n+1,
n+2, ... and moves the counter to the last of them on condition that it is still at n, in
the same TransactWriteItems as the change: the posting's own (postings.py; the counter is
read in the posting's BatchGetItem) or the unit of work's (one counter update per shard at
commit, however many events the unit put there).

Why a reader never misses an event (docs/dynamodb.md, "The event feed"):
- Per shard the numbers are gap-free and commit in order. Number k is only ever written
  together with the counter's move to at least k, on condition that the counter was below
  k; a transaction that is cancelled writes neither. So k commits only after k-1 has
  committed (its condition needs the counter value that k-1's commit set), and every number
  up to the counter is, once its transaction has applied, an event.
- A reader keeps one number per shard and moves it only over consecutive numbers it has
  read (a strongly consistent Query of sk > its number). A number it has not seen yet stops
  it there until a later read finds it, so its checkpoint c on a shard means "1..c were
  read" and everything after c is still ahead of it, however late it commits.
"""

from __future__ import annotations

import heapq
import json
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ...domain.errors import StaleRecord, ValidationFailed, WriteConflict
from ...domain.events import Event, EventKind, StoredEvent
from ...retry import retrying
from ..base import Checkpoint, EventPage, StoredEventPage
from . import items as di
from .client import Connected, Dynamo
from .unit import Action, DynamoUnitOfWork

_E = TypeVar("_E", Event, StoredEvent)

#: How many sequences the feed is spread over. Two events on one shard at the same moment
#: contend for its counter (one is cancelled and retried), so more shards mean fewer retries;
#: a reader's poll reads every counter in one BatchGetItem (at most 100 keys), so more
#: shards cost it more read units. 64: with 4 and 8 threads of transfers on DynamoDB Local,
#: 0-6% of transfers were retried, against 13-24% with 16 (docs/dynamodb.md). Readers read
#: every shard, so it is fixed: raising it is safe only once every reader knows the new
#: number; lowering it never is.
SHARDS = 64
_CHECKPOINT = re.compile(r"^([0-9]{1,3}:[0-9]{1,19}(,[0-9]{1,3}:[0-9]{1,19})*)?$")


def shard_of(subject: str) -> int:
    """The shard of a subject's events: the same in every process (unlike hash())."""
    return zlib.crc32(subject.encode("utf-8", "surrogatepass")) % SHARDS


def counter_key(shard: int) -> di.Item:
    return {"pk": f"SHARD#{shard:02d}", "sk": 0}


def last_number(counter: di.Item | None) -> int:
    """The number of the shard's last event: 0 when it has none (no counter item yet)."""
    return int((counter or {}).get("last", 0))


def counter_of(found: list[di.Item], shard: int) -> di.Item:
    """The shard's counter among items read, or an empty one if it has no item yet."""
    key = counter_key(shard)
    return next((i for i in found if i["pk"] == key["pk"]), key)


def event_item(shard: int, number: int, event: Event) -> di.Item:
    """The shard's event number `number`, as every writer stores it (bulk.py too)."""
    return {
        "pk": counter_key(shard)["pk"],
        "sk": number,
        "id": event.id,
        "kind": event.kind.value,
        "subject": event.subject,
        "actor": event.actor,
        "at": event.at,
        "payload": json.dumps(event.payload, separators=(",", ":"), sort_keys=True),
    }


def event_put(table: str, shard: int, number: int, event: Event) -> dict[str, Any]:
    return {"Put": di.put_new(table, event_item(shard, number, event))}


def counter_move(table: str, shard: int, last: int, to: int) -> dict[str, Any]:
    """Move the counter from `last` (0: no item yet) to `to`, on condition it is still there."""
    condition = "attribute_not_exists(#last)" if last == 0 else "#last = :last"
    values = {":to": to} | ({} if last == 0 else {":last": last})
    return {
        "Update": {
            "TableName": table,
            "Key": di.to_wire(counter_key(shard)),
            "UpdateExpression": "SET #last = :to",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#last": "last"},
            "ExpressionAttributeValues": di.to_wire(values),
        }
    }


def posting_writes(table: str, counter: di.Item, events: list[Event]) -> list[dict[str, Any]]:
    """A posting's events (all about subjects of the counter's shard) and the counter's move,
    for the posting's TransactWriteItems; `counter` is the counter item read with the
    posting's accounts."""
    shard = int(counter["pk"].removeprefix("SHARD#"))
    if any(shard_of(e.subject) != shard for e in events):
        raise ValueError("a posting's events are about its first account")
    last = last_number(counter)
    puts = [event_put(table, shard, last + i, e) for i, e in enumerate(events, 1)]
    return [*puts, counter_move(table, shard, last, last + len(events))]


def feed_moved(reasons: list[dict[str, Any]]) -> bool:
    """Whether the cancellation reasons of posting_writes' actions say another writer took
    the shard's next number first (the next attempt reads the counter again)."""
    return any(r.get("Code") not in (None, "None") for r in reasons)


def _moved(_: di.Item | None) -> WriteConflict:
    return WriteConflict("another event took that place in the feed; try again")


def _stale(_: di.Item | None) -> StaleRecord:
    return StaleRecord("the consumer's checkpoint moved meanwhile")


def decode_checkpoint(checkpoint: str | None) -> list[int]:
    """A checkpoint is the last number read on each shard, "<shard>:<number>" for those
    above 0, comma-separated ("" or None: the start)."""
    if not checkpoint:
        return [0] * SHARDS
    if len(checkpoint) > 24 * SHARDS or not _CHECKPOINT.match(checkpoint):
        raise ValidationFailed({"after": "not a checkpoint of this store's feed"})
    read = [0] * SHARDS
    for part in checkpoint.split(","):
        shard, number = (int(x) for x in part.split(":"))
        if shard >= SHARDS or number >= 2**63:
            raise ValidationFailed({"after": "not a checkpoint of this store's feed"})
        read[shard] = number
    return read


def encode_checkpoint(read: list[int]) -> str:
    return ",".join(f"{shard}:{number}" for shard, number in enumerate(read) if number)


def join_unit(
    db: Dynamo, unit: DynamoUnitOfWork, event: Event, counter: di.Item | None = None
) -> None:
    """Append the event as an action of the unit of work: it takes the next number on its
    shard after those the unit took already, and the unit moves each shard's counter once,
    at commit. `counter`: the shard's counter if the caller read it (else it is read now)."""
    shard = shard_of(event.subject)
    # The unit's numbers on each shard: the counter as read, and how many it took since.
    taken: dict[int, list[int]] | None = unit.state.get("feed")
    if taken is None:
        taken = unit.state["feed"] = {}
        unit.at_commit(lambda: _counter_moves(db.tables.events, taken))
    if shard not in taken:
        if counter is None or counter["pk"] != counter_key(shard)["pk"]:
            counter = db.get(db.tables.events, counter_key(shard))
        taken[shard] = [last_number(counter), 0]
    last, count = taken[shard]
    unit.extend([(event_put(db.tables.events, shard, last + count + 1, event), _moved)])
    taken[shard][1] += 1


def _counter_moves(table: str, taken: dict[int, list[int]]) -> list[Action]:
    return [
        (counter_move(table, shard, last, last + count), _moved)
        for shard, (last, count) in sorted(taken.items())
    ]


class DynamoEvents(Connected):
    def append(self, event: Event) -> None:
        shard = shard_of(event.subject)
        unit = self.db.open_unit()
        if unit is None:
            retrying(lambda _: self._append_now(shard, event))
            return
        join_unit(self.db, unit, event)

    def _counter(self, shard: int) -> di.Item | None:
        return self.db.get(self.tables.events, counter_key(shard))

    def _append_now(self, shard: int, event: Event) -> None:
        last = last_number(self._counter(shard))
        self.db.transact(
            [
                (event_put(self.tables.events, shard, last + 1, event), _moved),
                (counter_move(self.tables.events, shard, last, last + 1), _moved),
            ]
        )

    def read(self, *, after: str | None, limit: int) -> EventPage:
        """One BatchGetItem of the counters, then a Query of each shard that has more than
        the checkpoint; the shards' runs merged by time, each run taken in number order."""
        events, checkpoint = self._page(after, limit, _event)
        return EventPage(events, checkpoint)

    def read_stored(self, *, after: str | None, limit: int) -> StoredEventPage:
        events, checkpoint = self._page(after, limit, _stored)
        return StoredEventPage(events, checkpoint)

    def _page(
        self, after: str | None, limit: int, make: Callable[[di.Item, int], _E]
    ) -> tuple[list[_E], str]:
        read = decode_checkpoint(after)
        found = self.db.batch_get({self.tables.events: [counter_key(s) for s in range(SHARDS)]})
        lasts = [last_number(counter_of(found[self.tables.events], s)) for s in range(SHARDS)]
        pending = {s: lasts[s] - read[s] for s in range(SHARDS) if lasts[s] > read[s]}
        shares = _allot(pending, limit)
        runs = {s: deque(self._run(s, read[s], n, make)) for s, n in shares.items()}
        # The shards merged by time, one event at a time: a shard whose run is used up while
        # it has more is read again before anything later is taken from the others, so that
        # the pages of a long feed follow each other in time across shards too. (Taking each
        # shard's share whole, a denser shard fell weeks behind the others over a bulk-loaded
        # history, and a backtest's replay saw transfers before the password changes that
        # led to them.) A shard stopped mid-page by a number it cannot see yet ends the page:
        # its next event may be older than anything after it. Only ever the head of a run is
        # taken, so the checkpoint never moves past a number left behind.
        heads = [(run[0].at, shard) for shard, run in runs.items() if run]
        heapq.heapify(heads)
        events: list[_E] = []
        while heads and len(events) < limit:
            _, shard = heapq.heappop(heads)
            run = runs[shard]
            event = run.popleft()
            events.append(event)
            read[shard] = int(event.position.split(":")[1])
            if not run and lasts[shard] > read[shard]:
                run.extend(self._run(shard, read[shard], shares[shard], make))
                if not run:
                    break
            if run:
                heapq.heappush(heads, (run[0].at, shard))
        return events, encode_checkpoint(read)

    def _run(
        self, shard: int, after: int, limit: int, make: Callable[[di.Item, int], _E]
    ) -> Iterator[_E]:
        """The shard's events after `after`, as far as their numbers run on without a gap."""
        page = self.db.call(
            "query",
            TableName=self.tables.events,
            KeyConditionExpression="pk = :pk AND sk > :after",
            ExpressionAttributeValues=di.to_wire(
                {":pk": counter_key(shard)["pk"], ":after": after}
            ),
            ConsistentRead=True,
            Limit=limit,
        )
        expected = after + 1
        for item in map(di.from_wire, page.get("Items", [])):
            if int(item["sk"]) != expected:
                return  # not visible yet: a later read finds it, and goes on from there
            yield make(item, shard)
            expected += 1

    def checkpoint(self, consumer: str) -> Checkpoint:
        item = self.db.get(self.tables.events, _consumer_key(consumer))
        if item is None:
            return Checkpoint(consumer)
        return Checkpoint(consumer, str(item["position"]), int(item["version"]))

    def save_checkpoint(self, consumer: str, position: str, *, version: int) -> Checkpoint:
        decode_checkpoint(position)
        item = {**_consumer_key(consumer), "position": position, "version": version + 1}
        put: dict[str, Any] = {"TableName": self.tables.events, "Item": di.to_wire(item)}
        if version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = di.to_wire({":version": version})
        self.db.write(({"Put": put}, _stale))
        return Checkpoint(consumer, position, version + 1)


def _allot(pending: dict[int, int], limit: int) -> dict[int, int]:
    """How many events to ask each shard with news for: `limit` in all, shared evenly, what
    a shard has no use for going to the others, and at least one each (the page then takes
    the oldest), so that a page reads about `limit` items, not `limit` per shard."""
    left, allotted = limit, {}
    for i, shard in enumerate(sorted(pending, key=pending.__getitem__)):
        allotted[shard] = min(pending[shard], max(1, -(-left // (len(pending) - i))))
        left = max(0, left - allotted[shard])
    return allotted


def _consumer_key(consumer: str) -> di.Item:
    return {"pk": f"CONSUMER#{consumer}", "sk": 0}


def _event(item: di.Item, shard: int) -> Event:
    return Event(
        item["id"],
        EventKind(item["kind"]),
        item["subject"],
        item["actor"],
        item["at"],
        json.loads(item["payload"]),
        f"{shard}:{int(item['sk'])}",
    )


def _stored(item: di.Item, shard: int) -> StoredEvent:
    return StoredEvent(
        item["kind"], item["subject"], item["at"], item["payload"], f"{shard}:{int(item['sk'])}"
    )
