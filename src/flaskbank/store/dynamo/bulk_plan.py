"""A bulk batch worked out in memory (bulk.py writes it): every item it writes, with every
balance after, each leg judged by the domain's rules on the balance it lands on. Nothing
here reads or writes DynamoDB, so a refused leg refuses the batch before anything is sent.

Every item is absolute and follows from the batch and the state before it alone (the
accounts' balances and versions, the feed shards' counters): working out the same batch
from the same state gives the same items, keys and values, so writing a batch again after
a crash in the middle of it puts exactly the items it would have put. Account items and
shard counters are written whole (BatchWriteItem has no Update) and carry the mark of the
batch that wrote them and their state before it (`loaded_by`, `before`, `before_last`), so
that a replay of that batch starts from the state before it, not from its own half-written
result (bulk.py, `_before`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ...domain.accounts import (
    MAX_ACCOUNTS_PER_CUSTOMER,
    Account,
    AccountStatus,
    User,
    account_id_for,
)
from ...domain.chart import check_leg, is_internal
from ...domain.errors import (
    NOT_EMPTY,
    AccountNotEmpty,
    AccountNotFound,
    AccountNotOpen,
    EmailTaken,
    StoreError,
    TooManyAccounts,
)
from ...domain.events import Event, EventKind, transaction_posted_in_time
from ...domain.identity import email_key
from ...domain.ledger import Leg, Posting
from ..base import BulkBatch
from . import events, loads
from . import items as di
from .batch_writes import Put
from .postings import standing
from .schema import TableNames

#: What an account item's `before` keeps: the state a replay of its batch starts from (its status
#: too: the batch may close the account after paying it out).
BEFORE = ("balance_minor", "version", "last_posted_at", "status", "status_reason", "primary")
Adder = Callable[[str, di.Item], None]


@dataclass
class Known:
    """What the batch starts from. `accounts`: the items of the existing accounts its
    postings touch (as they stood before it); `counters`: every shard's last number;
    `owners`: user id -> (email, full name) of the owners of its new accounts; `listed`:
    the account ids on those owners' email locks (for owners not new in this batch)."""

    accounts: dict[str, di.Item]
    counters: list[int]
    owners: dict[str, tuple[str, str]]
    listed: dict[str, list[str]] = field(default_factory=dict)
    last_at: str = ""  # the time of the load's last posting so far


@dataclass
class Plan:
    items: list[Put]  # written first
    counters: list[Put]  # written last, once the events they count are in
    accounts: dict[str, di.Item]  # every account the batch wrote, as it left it
    after: list[int]  # every shard's last number after the batch
    days: tuple[str, str] | None  # the first and last day of its postings
    last_at: str  # the time of the load's last posting after the batch


def mark_of(load_id: str, number: int) -> str:
    return f"{load_id}#{number}"


def check_unique(batch: BulkBatch) -> None:
    """Each user and account once (before anything is read: DynamoDB refuses a read that
    names one key twice)."""
    if len({u.id for u in batch.users}) != len(batch.users):
        raise StoreError("a bulk batch names a user twice")
    if len({a.id for a in batch.accounts}) != len(batch.accounts):
        raise StoreError("a bulk batch opens an account twice")


def plan(batch: BulkBatch, known: Known, tables: TableNames) -> Plan:
    """Every item the batch writes, from what it starts from; raises the refusal of the
    first leg (or user, or account) the rules refuse."""
    mark = mark_of(batch.load_id, batch.number)
    items: dict[tuple[str, str, object], Put] = {}

    def put(table: str, item: di.Item) -> None:
        items[(table, item["pk"], item.get("sk"))] = (table, item)

    accounts = {k: dict(v) for k, v in known.accounts.items()}
    before = {k: {b: v.get(b, "") for b in BEFORE} for k, v in accounts.items()}
    for user in batch.users:
        put(tables.users, di.user_item(user))
    for account in batch.accounts:
        accounts[account.id] = _new_account(account, known.owners)
        before[account.id] = {b: accounts[account.id].get(b, "") for b in BEFORE}
        put(tables.accounts, {**di.number_key(account.number), "account_id": account.id})
    for lock in _locks(batch.users, batch.accounts, known):
        put(tables.users, lock)
    posted: list[Event] = []
    days: list[str] = []
    written = dict.fromkeys(a.id for a in batch.accounts)
    last_at = known.last_at
    for posting in batch.postings:
        _in_time(posting, last_at)
        _apply(posting, accounts, tables, put)
        last_at = posting.created_at
        written.update(dict.fromkeys(leg.account_id for leg in _customer_legs(posting)))
        posted.append(transaction_posted_in_time(posting))
        days.append(posting.created_at[:10])
    for account_id, change in status_changes(batch).items():
        _set_status(accounts, account_id, change)
        written[account_id] = None
    after = list(known.counters)
    counters: list[Put] = []
    for shard, shard_events in _by_shard([*posted, *batch.events]).items():
        last = after[shard]
        for n, event in enumerate(shard_events, last + 1):
            put(tables.events, events.event_item(shard, n, event))
        after[shard] = last + len(shard_events)
        counter = {**events.counter_key(shard), "last": after[shard]}
        counters.append((tables.events, {**counter, "loaded_by": mark, "before_last": last}))
    for label in batch.labels:
        put(tables.loads, loads.label_item(label))
    for account_id in written:
        item = accounts[account_id]
        item.update(loaded_by=mark, before=before[account_id])
        put(tables.accounts, item)
    return Plan(
        list(items.values()),
        counters,
        {i: accounts[i] for i in written},
        after,
        (min(days), max(days)) if days else None,
        last_at,
    )


def _new_account(account: Account, owners: dict[str, tuple[str, str]]) -> di.Item:
    """A new account's item, as `add_account` writes it (at a zero balance, its id following
    from its number, its owner's name copied from the profile)."""
    if account.id != account_id_for(account.number):
        raise ValueError(f"account {account.number}: its id must be account_id_for(number)")
    if account.balance.minor != 0 or account.held_minor != 0:
        raise ValueError(f"account {account.number} must open at a zero balance")
    if account.user_id not in owners:
        raise AccountNotFound("no such customer")
    name = owners[account.user_id][1]
    if account.owner_name not in ("", name):
        raise ValueError(f"account {account.number} names its owner {account.owner_name!r}")
    return di.account_item(replace(account, owner_name=name))


def _locks(users: tuple[User, ...], accounts: tuple[Account, ...], known: Known) -> list[di.Item]:
    """The email locks the batch writes: a new user's, listing the accounts it opens for
    them, and an earlier user's with the batch's new accounts appended (once: a replay reads
    a lock that may list them already)."""
    opened: dict[str, list[str]] = defaultdict(list)
    for account in accounts:
        opened[account.user_id].append(account.id)
    new = {u.id for u in users}
    if len({email_key(u.email) for u in users}) != len(users):
        raise EmailTaken("that email is already registered")
    locks = [di.email_lock(u, opened[u.id]) for u in users]
    for user_id, ids in opened.items():
        if user_id in new:
            continue
        email, _ = known.owners[user_id]
        listed = known.listed.get(user_id, [])
        locks.append(
            {**di.email_key(email), "user_id": user_id, "account_ids": _appended(listed, ids)}
        )
    for lock in locks:
        if len(lock["account_ids"]) > MAX_ACCOUNTS_PER_CUSTOMER:
            raise TooManyAccounts(MAX_ACCOUNTS_PER_CUSTOMER)
    return locks


def _appended(listed: list[str], ids: list[str]) -> list[str]:
    return [*listed, *(i for i in ids if i not in listed)]


def _customer_legs(posting: Posting) -> list[Leg]:
    return [leg for leg in posting.legs if not is_internal(leg.account_id)]


def _in_time(posting: Posting, previous: str) -> None:
    """Time order is each account's version order (statements follow the balance chain by
    time), so a load may not go back in time, within a batch or across its batches."""
    if posting.created_at < previous:
        raise StoreError(
            f"posting {posting.id} at {posting.created_at} comes before one at {previous}: "
            "a bulk load's postings must follow the ledger in time"
        )


def _apply(posting: Posting, accounts: dict[str, di.Item], tables: TableNames, put: Adder) -> None:
    """Move the posting's customer accounts as `post` does (postings.py): the same rule on
    each leg, version + 1 as the entry's place. Where `post` would raise the time of a
    posting behind its accounts' last one, a load refuses it: its postings' times are the
    generator's, and its labels and events name them."""
    legs = _customer_legs(posting)
    for leg in legs:
        item = accounts.get(leg.account_id)
        if item is None or di.is_alias(item):
            raise AccountNotFound("no such account")
        _in_time(posting, str(item.get("last_posted_at", "")))
    balances: dict[str, int | None] = {}
    for leg in legs:
        item = accounts[leg.account_id]
        check_leg(standing(item, leg.amount.currency), leg.amount)
        after = int(item["balance_minor"]) + leg.amount.minor
        seq = int(item["version"]) + 1
        item.update(balance_minor=after, version=seq, last_posted_at=posting.created_at)
        balances[leg.account_id] = after
        put(tables.transactions, di.entry_item(posting, leg.account_id, seq, after))
    put(tables.transactions, di.header_item(posting, balances))


def status_changes(batch: BulkBatch) -> dict[str, tuple[AccountStatus, str]]:
    """The accounts whose status the batch's account_status_changed events set (the
    generator's leavers whose accounts the bank closes), with the status and reason each
    ends with: set once the batch's postings are in."""
    return {
        e.subject: (AccountStatus(str(e.payload["status"])), str(e.payload.get("reason") or ""))
        for e in batch.events
        if e.kind is EventKind.ACCOUNT_STATUS_CHANGED
    }


def _set_status(
    accounts: dict[str, di.Item], account_id: str, change: tuple[AccountStatus, str]
) -> None:
    """A status change on the account's item; a closing judged as close_account judges it
    (an open account, left empty), and like it no longer the customer's primary one."""
    item = accounts.get(account_id)
    if item is None or di.is_alias(item):
        raise AccountNotFound("no such account")
    status, reason = change
    if status is AccountStatus.CLOSED:
        if item["status"] != AccountStatus.OPEN.value:
            raise AccountNotOpen(f"this account is {item['status']}")
        if int(item["balance_minor"]) or int(item.get("held_minor", 0)):
            raise AccountNotEmpty(NOT_EMPTY)
        item.update(primary=False)
    item.update(status=status.value, status_reason=reason)


def _by_shard(batch_events: list[Event]) -> dict[int, list[Event]]:
    """The batch's events per feed shard, each shard's in time order (stable, so the same
    batch always numbers them alike)."""
    shards: dict[int, list[Event]] = defaultdict(list)
    for event in batch_events:
        shards[events.shard_of(event.subject)].append(event)
    return {s: sorted(evs, key=lambda e: e.at) for s, evs in sorted(shards.items())}
