"""The ledger port on DynamoDB: accounts, postings (postings.py) and what is read back of them
(reads.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from ...domain.accounts import (
    MAX_ACCOUNTS_PER_CUSTOMER,
    Account,
    AccountStatus,
    account_id_for,
)
from ...domain.errors import (
    NOT_EMPTY,
    AccountNotEmpty,
    AccountNotFound,
    AccountNotOpen,
    BankError,
    Refusal,
    TooManyAccounts,
    WriteConflict,
)
from ...domain.holds import Hold
from ...domain.ledger import (
    Closing,
    Earlier,
    Entry,
    IdempotencyKey,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
)
from ...domain.monitoring.checks import RecentEntry
from ...domain.monitoring.scoring import recent_from_entries
from ...domain.search import HistorySearch
from ..base import Page, PostingInputs
from . import events, lookups, postings, reads
from . import items as di
from . import monitoring_items as mi
from .client import Connected, Dynamo
from .unit_postings import post_in_unit


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

    def add_account(self, account: Account, *, max_open: int = MAX_ACCOUNTS_PER_CUSTOMER) -> None:
        """The account, a lock on its number, its id added to the list on the owner's email
        lock, and a check that the owner's name copied onto it is still the profile's; all
        or nothing (and with the unit of work open on the thread), so that a rename or an
        email change in between cannot miss it. The list is appended to only if it is as
        long as when its accounts were counted: of two opened at once, one is refused
        (WriteConflict) and counts again, so neither passes the limit."""
        owner = self.db.get(self.tables.users, di.user_key(account.user_id))
        if owner is None:
            raise AccountNotFound("no such customer")
        lock = self.db.get(self.tables.users, di.email_key(owner["email"])) or {}
        keys = lookups.account_keys(account.user_id, lock)
        held = lookups.keys_in_order(self.db, self.tables.accounts, keys)
        if sum(1 for i in held if i["status"] != AccountStatus.CLOSED.value) >= max_open:
            raise TooManyAccounts(max_open)
        if len(keys) >= MAX_ACCOUNTS_PER_CUSTOMER:
            raise TooManyAccounts(MAX_ACCOUNTS_PER_CUSTOMER)
        taken = WriteConflict("account number already taken")
        changed = WriteConflict("the owner's profile or accounts changed meanwhile; try again")
        listing = {
            "TableName": self.tables.users,
            "Key": di.to_wire(di.email_key(owner["email"])),
            "UpdateExpression": "SET account_ids = list_append(account_ids, :id)",
            "ConditionExpression": "user_id = :owner AND size(account_ids) = :seen",
            "ExpressionAttributeValues": di.to_wire(
                {":id": [account.id], ":owner": account.user_id, ":seen": len(keys)}
            ),
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
            ({"Update": listing}, changed),
        )

    def rename_account(self, account_id: str, nickname: str) -> None:
        self.db.write(
            self._account_write(account_id, "SET nickname = :nickname", {":nickname": nickname})
        )

    def choose_primary(self, user_id: str, account_id: str) -> None:
        """One TransactWriteItems over the owner's accounts (at most 20): the chosen one on,
        every other off, so that two choices at once leave exactly one of them."""
        # From the email lock's list, read strongly consistent: the by_user index that
        # accounts_of reads may not list an account opened a moment ago yet.
        owner = self.db.get(self.tables.users, di.user_key(user_id))
        lock = self.db.get(self.tables.users, di.email_key(owner["email"])) if owner else None
        mine = lookups.account_items_on(self.db, lock) if lock else []
        if account_id not in {i["id"] for i in mine}:
            raise AccountNotFound("no such account")
        self.db.write(
            *(
                self._account_write(i["id"], "SET #primary = :on", {":on": i["id"] == account_id})
                for i in mine
            )
        )

    def close_account(self, account_id: str, reason: str = "") -> None:
        """Judged on the item read, then written only if it is still as read (open, nothing
        in it, nothing held): money arriving meanwhile makes the write a WriteConflict, and
        the retry judges again."""
        account = self.get_account(account_id)
        if account is None:
            raise AccountNotFound("no such account")
        if not account.is_open:
            raise AccountNotOpen(f"this account is {account.status.value}")
        if account.balance.minor or account.held_minor:
            raise AccountNotEmpty(NOT_EMPTY)
        self.db.write(
            self._account_write(
                account_id,
                "SET #status = :closed, status_reason = :reason, #primary = :off",
                {":closed": AccountStatus.CLOSED.value, ":reason": reason, ":off": False},
                condition="#status = :open AND balance_minor = :zero AND held_minor = :zero",
                extra={":open": AccountStatus.OPEN.value, ":zero": 0},
                refused=WriteConflict("the account changed meanwhile; try again"),
            )
        )

    def _account_write(
        self,
        account_id: str,
        expression: str,
        values: dict[str, object],
        *,
        condition: str = "",
        extra: dict[str, object] | None = None,
        refused: BankError | None = None,
    ) -> tuple[dict[str, Any], BankError]:
        """An Update of one account item (never an alias), conditional on it existing and on
        `condition`."""
        names = {n: n[1:] for n in ("#status", "#primary") if n in expression + condition}
        update: dict[str, Any] = {
            "TableName": self.tables.accounts,
            "Key": di.to_wire(di.account_key(account_id)),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(alias_of)"
            + (f" AND {condition}" if condition else ""),
            "ExpressionAttributeValues": di.to_wire({**values, **(extra or {})}),
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}, refused or AccountNotFound("no such account")

    def get_account(self, account_id: str) -> Account | None:
        item = self.db.get(self.tables.accounts, di.account_key(account_id))
        if item is None or di.is_alias(item):  # an alias is not an account (migrations.py)
            return None
        return di.to_account(self._remember([item])[0])

    def owners(self, account_ids: Collection[str]) -> dict[str, str]:
        keys = [di.account_key(i) for i in dict.fromkeys(account_ids)]
        table = self.tables.accounts
        found: dict[str, str] = {}
        for i in range(0, len(keys), 100):
            for item in self.db.batch_get({table: keys[i : i + 100]})[table]:
                if not di.is_alias(item):  # an alias is not an account (migrations.py)
                    found[str(item["id"])] = str(item["user_id"])
        return found

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
                        "ConditionExpression": "attribute_exists(pk) "
                        "AND attribute_not_exists(alias_of)",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": di.to_wire(
                            {":status": status.value, ":reason": reason}
                        ),
                    }
                },
                AccountNotFound("no such account"),
            )
        )

    def post(
        self, posting: Posting, *, releasing: Hold | None = None, closing: Closing | None = None
    ) -> PostResult:
        self.feed_range.cover(posting.created_at[:10])
        read, counter = self._recalled()
        if releasing is not None:  # what this thread read came before the hold was placed
            read, counter = {}, None
        unit = self.db.open_unit()
        if unit is not None:  # it commits with the unit's other writes, or not at all
            return post_in_unit(self.db, unit, posting, read, releasing, counter, closing)
        return postings.post(self.db, posting, read, releasing, counter, closing)

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
        recipient_number: str | None = None,
        profile_of: str | None = None,
        with_rules: bool = False,
    ) -> PostingInputs:
        """One strongly consistent BatchGetItem (the accounts, the one whose key the
        recipient's number gives, the idempotency record, the email's lock, the counter
        of the event feed's shard that the posting's event will take, events.py, and for
        scoring the customer's monitoring profile and the live rule set); then, for
        an email, one more for the accounts its lock lists, for a number that gave an alias
        one more for the account it names, and only for a replay the earlier transaction's
        header."""
        t = self.tables
        ids = set(account_ids)
        by_number = None if recipient_number is None else account_id_for(recipient_number)
        keys = [
            di.account_key(i) for i in dict.fromkeys([*account_ids, *filter(None, [by_number])])
        ]
        shard = events.shard_of(account_ids[0]) if account_ids else None
        found = self.db.batch_get(
            {
                t.accounts: keys,
                t.idempotency: []
                if idempotency is None
                else [{"pk": idempotency[0], "sk": idempotency[1]}],
                t.users: [] if recipient_email is None else [di.email_key(recipient_email)],
                t.events: [] if shard is None else [events.counter_key(shard)],
                t.monitoring: [
                    *([] if profile_of is None else [mi.profile_key(profile_of)]),
                    *([mi.RULE_SET_KEY] if with_rules else []),
                ],
            }
        )
        scoring = {i["pk"]: i for i in found[t.monitoring]}
        profile = None if profile_of is None else scoring.get(mi.profile_key(profile_of)["pk"])
        rules = scoring.get(mi.RULE_SET_KEY["pk"])
        counter = None if shard is None else events.counter_of(found[t.events], shard)
        by_key = {i["pk"]: i for i in found[t.accounts]}
        items = [i for i in by_key.values() if not di.is_alias(i) and i["id"] in ids]
        record = found[t.idempotency][0] if found[t.idempotency] else None
        theirs: list[di.Item] | None = None
        if recipient_email is not None:
            theirs = lookups.account_items_on(self.db, found[t.users][0]) if found[t.users] else []
        elif recipient_number is not None and by_number is not None:
            held = by_key.get(di.account_key(by_number)["pk"])
            theirs = self._numbered(held, recipient_number)
        remembered = self._remember(items + (theirs or []), counter)
        accounts = {a.id: a for a in map(di.to_account, remembered)}
        return PostingInputs(
            accounts,
            None if record is None else self._earlier(record),
            None if theirs is None else [di.to_account(i) for i in theirs],
            None if profile is None or profile_of is None else mi.to_profile(profile, profile_of),
            None if rules is None else mi.to_rule_set(rules),
        )

    def _numbered(self, held: di.Item | None, number: str) -> list[di.Item]:
        """What the key a number gives held: the account, or for an account opened before
        ids followed numbers an alias naming it (migrations.py, step 3), read then."""
        if held is not None and di.is_alias(held):
            held = self.db.get(self.tables.accounts, di.account_key(held["alias_of"]))
        return [held] if held is not None and held.get("number") == number else []

    def _earlier(self, record: di.Item) -> Earlier:
        return postings.earlier(self.db, record)

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        return postings.transaction(self.db, transaction_id)

    def recent(self, account_id: str, *, since: str, limit: int) -> list[RecentEntry]:
        """One query, as for a page of history (its items carry what scoring reads)."""
        return recent_from_entries(self.history(account_id, limit=limit, since=since).items)

    def history(
        self,
        account_id: str,
        *,
        limit: int,
        cursor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        type: TransactionType | None = None,
        search: HistorySearch | None = None,
    ) -> Page[Entry]:
        return reads.history(
            self.db,
            account_id,
            limit=limit,
            cursor=cursor,
            since=since,
            until=until,
            type=type,
            search=search,
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
                FilterExpression="begins_with(pk, :account) AND attribute_not_exists(alias_of)",
                ExpressionAttributeValues=di.to_wire({":account": "ACCOUNT#"}),
            )
            for i in page["Items"]
        ]
        yield from (di.to_account(i) for i in sorted(items, key=lambda i: i["owner_key"]))

    def all_transactions(self) -> Iterator[Transaction]:
        return reads.all_transactions(self.db, self.feed_range.read())
