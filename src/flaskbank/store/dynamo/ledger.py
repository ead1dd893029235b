"""The ledger port on DynamoDB: accounts, postings (postings.py) and what is read back of them
(reads.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence

from ...domain.accounts import (
    MAX_ACCOUNTS_PER_CUSTOMER,
    Account,
    AccountStatus,
)
from ...domain.errors import (
    AccountNotFound,
    Refusal,
    TooManyAccounts,
    WriteConflict,
)
from ...domain.holds import Hold
from ...domain.ledger import (
    Earlier,
    Entry,
    IdempotencyKey,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
)
from ..base import Page, PostingInputs
from . import events, lookups, postings, reads
from . import items as di
from .client import Connected, Dynamo


class DynamoLedger(Connected):
    def __init__(self, connect: Callable[[], Dynamo]) -> None:
        super().__init__(connect)
        self._feed: reads.FeedRange | None = None
        self._lock = threading.Lock()
        # The account items this thread read last, versions included: store bookkeeping
        # (the domain never sees it) that lets a posting write without reading them again.
        self._read = threading.local()

    def _remember(self, items: list[di.Item], counter: di.Item | None = None) -> list[di.Item]:
        self._read.items = {i["id"]: i for i in items}
        self._read.counter = counter  # the event feed's, read with the accounts
        return items

    def _recalled(self) -> tuple[dict[str, di.Item], di.Item | None]:
        items: dict[str, di.Item] = getattr(self._read, "items", {})
        counter: di.Item | None = getattr(self._read, "counter", None)
        self._read.items, self._read.counter = {}, None
        return items, counter

    @property
    def feed_range(self) -> reads.FeedRange:
        db = self.db
        with self._lock:
            if self._feed is None or self._feed.db is not db:
                self._feed = reads.FeedRange(db)
            return self._feed

    def add_account(self, account: Account) -> None:
        """The account, a lock on its number, its id added to the list on the owner's email
        lock, and a check that the owner's name copied onto it is still the profile's; all
        or nothing (and with the unit of work open on the thread), so that a rename or an
        email change in between cannot miss it."""
        owner = self.db.get(self.tables.users, di.user_key(account.user_id))
        if owner is None:
            raise AccountNotFound("no such customer")
        lock = self.db.get(self.tables.users, di.email_key(owner["email"])) or {}
        if len(lookups.account_keys(self.db, account.user_id, lock)) >= MAX_ACCOUNTS_PER_CUSTOMER:
            raise TooManyAccounts(MAX_ACCOUNTS_PER_CUSTOMER)
        taken = WriteConflict("account number already taken")
        changed = WriteConflict("the owner's profile changed meanwhile; try again")
        on_lock = {
            "TableName": self.tables.users,
            "Key": di.to_wire(di.email_key(owner["email"])),
            "ExpressionAttributeValues": di.to_wire({":owner": account.user_id}),
        }
        if "account_ids" in lock:
            listing = {
                "Update": {
                    **on_lock,
                    "UpdateExpression": "SET account_ids = list_append(account_ids, :id)",
                    "ConditionExpression": "user_id = :owner AND attribute_exists(account_ids)",
                    "ExpressionAttributeValues": di.to_wire(
                        {":id": [account.id], ":owner": account.user_id}
                    ),
                }
            }
        else:  # a lock from before locks listed accounts, left so: the by_user index finds them
            listing = {
                "ConditionCheck": {
                    **on_lock,
                    "ConditionExpression": "user_id = :owner AND attribute_not_exists(account_ids)",
                }
            }
        self.db.write(
            ({"Put": di.put_new(self.tables.accounts, di.account_item(account))}, taken),
            (
                {
                    "Put": di.put_new(
                        self.tables.accounts,
                        {**di.number_key(account.number), "account_id": account.id},
                    )
                },
                taken,
            ),
            (
                {
                    "ConditionCheck": di.named(
                        self.tables.users, account.user_id, account.owner_name
                    )
                },
                changed,
            ),
            (listing, changed),
        )

    def get_account(self, account_id: str) -> Account | None:
        item = self.db.get(self.tables.accounts, di.account_key(account_id))
        return di.to_account(self._remember([item])[0]) if item else None

    def find_account_by_number(self, number: str) -> Account | None:
        lock = self.db.get(self.tables.accounts, di.number_key(number))
        return self.get_account(lock["account_id"]) if lock else None

    def accounts_of(self, user_id: str) -> list[Account]:
        """The by_user index gives the ids (it may trail a just-opened account by a moment);
        the items themselves are read strongly consistent, balances included."""
        keys = lookups.indexed_account_keys(self.db, user_id)
        return [
            di.to_account(i) for i in lookups.keys_in_order(self.db, self.tables.accounts, keys)
        ]

    def set_account_status(self, account_id: str, status: AccountStatus, reason: str = "") -> None:
        # No version bump: a posting is conditional on the status itself.
        self.db.write(
            (
                {
                    "Update": {
                        "TableName": self.tables.accounts,
                        "Key": di.to_wire(di.account_key(account_id)),
                        "UpdateExpression": "SET #status = :status, status_reason = :reason",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": di.to_wire(
                            {":status": status.value, ":reason": reason}
                        ),
                    }
                },
                AccountNotFound("no such account"),
            )
        )

    def post(self, posting: Posting, *, releasing: Hold | None = None) -> PostResult:
        self.feed_range.cover(posting.created_at[:10])
        read, counter = self._recalled()
        return postings.post(self.db, posting, read, releasing, counter)

    def record_refusal(self, idempotency: IdempotencyKey, error: Refusal, at: str) -> None:
        kept = json.dumps(
            {"kind": type(error).__name__, "message": error.message, "field": error.field}
        )
        # The first answer stands: a racer's posting or refusal is left as it is.
        self.db.write(
            (
                {
                    "Put": {
                        "TableName": self.tables.idempotency,
                        "Item": di.to_wire(
                            {
                                "pk": idempotency.scope,
                                "sk": idempotency.key,
                                "fingerprint": idempotency.fingerprint,
                                "transaction_id": "",
                                "refusal": kept,
                                "created_at": at,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                None,
            )
        )

    def read_for_posting(
        self,
        account_ids: Sequence[str],
        *,
        idempotency: tuple[str, str] | None = None,
        recipient_email: str | None = None,
    ) -> PostingInputs:
        """One strongly consistent BatchGetItem (the accounts, the idempotency record, the
        email's lock, and the counter of the event feed's shard that the posting's event
        will take, events.py); then, for an email, one more for the accounts its lock
        lists, and only for a replay the earlier transaction's header."""
        t = self.tables
        shard = events.shard_of(account_ids[0]) if account_ids else None
        found = self.db.batch_get(
            {
                t.accounts: [di.account_key(i) for i in dict.fromkeys(account_ids)],
                t.idempotency: []
                if idempotency is None
                else [{"pk": idempotency[0], "sk": idempotency[1]}],
                t.users: [] if recipient_email is None else [di.email_key(recipient_email)],
                t.events: [] if shard is None else [events.counter_key(shard)],
            }
        )
        counter = None if shard is None else events.counter_of(found[t.events], shard)
        items = found[t.accounts]
        record = found[t.idempotency][0] if found[t.idempotency] else None
        recipients = None
        if recipient_email is not None:
            theirs = lookups.account_items_on(self.db, found[t.users][0]) if found[t.users] else []
            items, recipients = items + theirs, [di.to_account(i) for i in theirs]
        accounts = {a.id: a for a in map(di.to_account, self._remember(items, counter))}
        return PostingInputs(
            accounts, None if record is None else self._earlier(record), recipients
        )

    def _earlier(self, record: di.Item) -> Earlier:
        return postings.earlier(self.db, record)

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        return postings.transaction(self.db, transaction_id)

    def history(
        self,
        account_id: str,
        *,
        limit: int,
        cursor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        type: TransactionType | None = None,
    ) -> Page[Entry]:
        return reads.history(
            self.db, account_id, limit=limit, cursor=cursor, since=since, until=until, type=type
        )

    def entries_between(self, account_id: str, start: str, end: str) -> list[Entry]:
        return reads.entries_between(self.db, account_id, start, end)

    def balance_before(self, account_id: str, moment: str) -> Entry | None:
        return reads.balance_before(self.db, account_id, moment)

    def feed(self, *, after: str | None, limit: int) -> Page[Transaction]:
        return reads.feed(self.db, self.feed_range.read(), after, limit)

    def all_accounts(self) -> Iterator[Account]:
        """A Scan (verify and reports only, never a request path), oldest first."""
        items = [
            di.from_wire(i)
            for page in self.db.pages(
                "scan",
                TableName=self.tables.accounts,
                ConsistentRead=True,
                FilterExpression="begins_with(pk, :account)",
                ExpressionAttributeValues=di.to_wire({":account": "ACCOUNT#"}),
            )
            for i in page["Items"]
        ]
        yield from (di.to_account(i) for i in sorted(items, key=lambda i: i["owner_key"]))

    def all_transactions(self) -> Iterator[Transaction]:
        return reads.all_transactions(self.db, self.feed_range.read())
