"""The bulk-load port on DynamoDB (`flaskbank generate`): a batch's items written with
BatchWriteItem on a few threads (batch_writes.py), atomic in effect.

A batch cannot be one transaction (TransactWriteItems takes 100 actions; a batch writes
tens of thousands of items), so a batch is made atomic by three things (docs/dynamodb.md,
"Bulk loads"):

1. Every item is absolute and deterministic (bulk_plan.py): the same batch on the same
   state writes the same items, so writing it again over a half-written attempt ends in
   exactly what one uninterrupted write would have left.
2. The load's manifest (loads.py: `loads` table, pk LOAD, sk <load id>) says which batches are in
   (`loaded`) and which one is being written (`writing`, with a digest of its content). It
   is marked `writing` before the batch's first item is sent and moves to `loaded = n + 1`
   only after the last one is in. A batch below `loaded` is skipped; the one marked
   `writing` is written again (refused if its content differs: the stream was not
   deterministic); any other is out of order.
3. The state the next batch starts from never comes from half-written items blindly: this
   process keeps what each batch left in memory, and a new process (a resumed load) reads
   account items and shard counters and, where one carries the mark of the batch being
   written, takes the state it records from before that batch.

A load killed midway is therefore resumed by replaying its stream, and until it is
finished `unfinished_loads` names it (verify and serve say so). The store must be the
load's alone meanwhile: account items are written whole, so a posting made during a load
would be overwritten.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...domain.accounts import account_id_for
from ...domain.chart import is_internal
from ...domain.errors import BulkLoadOutOfOrder, EmailTaken, StoreError
from ...domain.labels import Label
from ..base import BulkBatch
from . import batch_writes, events, loads, migrations
from . import items as di
from .bulk_plan import Known, Plan, check_unique, mark_of, plan, status_changes
from .client import Connected, Dynamo
from .reads import FeedRange

#: Account items kept in memory between batches (least recently used dropped first; about
#: 2 KB each, so some 200 MB at most): a load touching more accounts reads the others
#: again, 100 per BatchGetItem.
CACHED_ACCOUNTS = 100_000


@dataclass
class _Load:
    """What this process knows a load's state to be after its last batch in."""

    loaded: int
    counters: list[int]
    accounts: OrderedDict[str, di.Item]
    owners: dict[str, tuple[str, str]]
    last_at: str  # the time of the load's last posting


class DynamoBulk(Connected):
    def __init__(self, connect: Callable[[], Dynamo], feed_range: Callable[[], FeedRange]) -> None:
        super().__init__(connect)
        self._feed_range = feed_range
        self._loads: dict[str, _Load] = {}
        self._schema_checked = False
        #: BatchWriteItem calls in flight at once.
        self.threads = batch_writes.THREADS

    # -- the manifest and labels (loads.py) ----------------------------------------------
    def loaded(self, load_id: str) -> int:
        return loads.loaded(loads.read(self.db, load_id))

    def unfinished_loads(self) -> list[str]:
        return [m["sk"] for m in loads.partition(self.db, "LOAD") if not m["finished"]]

    def finish(self, load_id: str) -> None:
        loads.finish(self.db, load_id)
        self._loads.pop(load_id, None)

    def labels(self) -> Iterator[Label]:
        return map(loads.to_label, loads.partition(self.db, "LABEL"))

    # -- a batch --------------------------------------------------------------------------
    def load(self, batch: BulkBatch) -> None:
        self._check_schema()
        state = self._loads.get(batch.load_id)
        manifest = None if state is not None else loads.read(self.db, batch.load_id)
        loaded = state.loaded if state is not None else loads.loaded(manifest)
        if batch.number < loaded:
            return  # in already: a resumed load replays its stream from the start
        if batch.number > loaded:
            raise BulkLoadOutOfOrder(
                f"load {batch.load_id} expects batch {loaded} next, not {batch.number}"
            )
        if manifest is not None and manifest.get("finished"):
            raise StoreError(f"load {batch.load_id} is finished; start another load")
        if state is None:
            state = self._resume(batch.load_id, batch.number, manifest)
        check_unique(batch)
        done = plan(batch, self._known(batch, state), self.tables)  # refusals raise here
        loads.begin(self.db, batch)
        if done.days is not None:
            for day in done.days:
                self._feed_range().cover(day)
        # The events first and the counters that make them visible after, so that a reader
        # of the feed never finds a counter ahead of the events it counts.
        batch_writes.write_all(self.db, done.items, self.threads)
        batch_writes.write_all(self.db, done.counters, self.threads)
        loads.commit(self.db, batch, done.last_at)
        self._remember(state, batch, done)

    def _remember(self, state: _Load, batch: BulkBatch, done: Plan) -> None:
        state.loaded = batch.number + 1
        state.counters = done.after
        state.last_at = done.last_at
        for account_id, item in done.accounts.items():
            state.accounts[account_id] = item
            state.accounts.move_to_end(account_id)
        while len(state.accounts) > CACHED_ACCOUNTS:
            state.accounts.popitem(last=False)
        state.owners.update({u.id: (u.email, u.full_name) for u in batch.users})

    # -- what a batch starts from ------------------------------------------------------------
    def _resume(self, load_id: str, number: int, manifest: di.Item | None) -> _Load:
        """This process's first batch of the load: the shard counters as they stood before
        batch `number` (a counter that batch half-wrote says what it was before), and the
        time of the load's last posting from its manifest."""
        mark = mark_of(load_id, number)
        found = self.db.batch_get(
            {self.tables.events: [events.counter_key(s) for s in range(events.SHARDS)]}
        )
        counters = [0] * events.SHARDS
        for item in found[self.tables.events]:
            shard = int(item["pk"].removeprefix("SHARD#"))
            marked = item.get("loaded_by") == mark
            counters[shard] = int(item["before_last"] if marked else item["last"])
        last_at = "" if manifest is None else str(manifest.get("last_at", ""))
        state = _Load(number, counters, OrderedDict(), {}, last_at)
        self._loads[load_id] = state
        return state

    def _known(self, batch: BulkBatch, state: _Load) -> Known:
        mark = mark_of(batch.load_id, batch.number)
        new = {a.id for a in batch.accounts}
        touched = {
            leg.account_id
            for p in batch.postings
            for leg in p.legs
            if leg.account_id not in new and not is_internal(leg.account_id)
        } | {a for a in status_changes(batch) if a not in new}
        accounts = {i: state.accounts[i] for i in touched if i in state.accounts}
        for item in self._read(
            self.tables.accounts, [di.account_key(i) for i in touched - set(accounts)]
        ):
            if not di.is_alias(item):
                accounts[item["id"]] = _before(item, mark)
        self._check_new(batch, mark)
        owners = {u.id: (u.email, u.full_name) for u in batch.users}
        wanted = {a.user_id for a in batch.accounts} - set(owners)
        owners |= {u: state.owners[u] for u in wanted if u in state.owners}
        for user in self._read(self.tables.users, [di.user_key(u) for u in wanted - set(owners)]):
            owners[user["id"]] = (user["email"], user["full_name"])
        listed = {
            lock["user_id"]: list(lock["account_ids"])
            for lock in self._read(
                self.tables.users, [di.email_key(owners[u][0]) for u in wanted if u in owners]
            )
        }
        return Known(accounts, state.counters, owners, listed, state.last_at)

    def _check_new(self, batch: BulkBatch, mark: str) -> None:
        """New users and accounts are new: their keys hold nothing, or what this very batch
        wrote before a crash."""
        emails = {di.email_key(u.email)["pk"]: u.id for u in batch.users}
        for lock in self._read(self.tables.users, [{"pk": k} for k in emails]):
            if lock["user_id"] != emails[lock["pk"]]:
                raise EmailTaken("that email is already registered")
        keys = [di.account_key(account_id_for(a.number)) for a in batch.accounts]
        for item in self._read(self.tables.accounts, keys):
            if item.get("loaded_by") != mark:
                raise StoreError(f"account {item.get('number')} is already stored")

    def _read(self, table: str, keys: list[di.Item]) -> list[di.Item]:
        found: list[di.Item] = []
        for i in range(0, len(keys), 100):
            found += self.db.batch_get({table: keys[i : i + 100]})[table]
        return found

    def _check_schema(self) -> None:
        if not self._schema_checked:
            migrations.STEPS.check(migrations.schema_version(self.db))
            self._schema_checked = True


def _before(item: di.Item, mark: str) -> di.Item:
    """An account item as it stood before the batch `mark` names: itself, unless that batch
    half-wrote it, in which case the state it recorded from before."""
    if item.get("loaded_by") != mark:
        return item
    restored: dict[str, Any] = {**item, **item["before"]}
    if not restored.get("last_posted_at"):
        restored.pop("last_posted_at", None)
    return restored
