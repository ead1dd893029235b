"""DynamoStore: the production store, on Amazon DynamoDB (or DynamoDB Local).

Opened from `dynamodb://?region=...&endpoint_url=...&table_prefix=...&billing=...`. No
client exists until the first call, so importing, building the app or forking gunicorn
workers opens no connection; the one low-level client is thread-safe and shared by threads.
Credentials come from boto3's default chain; only against an explicit endpoint (DynamoDB
Local) do dummy ones stand in when the chain has none.

Tables, keys and indexes: dynamo_schema.py; the posting path: dynamo_ledger.py; reads:
dynamo_reads.py; tokens, sessions, lockout and audit: dynamo_security.py; design notes and
measured call counts: docs/dynamodb.md.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import boto3
from botocore.config import Config

from ..domain.accounts import (
    MAX_ACCOUNTS_PER_CUSTOMER,
    USER_FIELDS,
    Account,
    AccountStatus,
    User,
)
from ..domain.errors import (
    AccountNotFound,
    BankError,
    EmailTaken,
    Refusal,
    StaleRecord,
    StoreError,
    TooManyAccounts,
    WriteConflict,
)
from ..domain.ledger import (
    Earlier,
    Entry,
    IdempotencyKey,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
)
from . import dynamo_checks, dynamo_ledger, dynamo_reads
from . import dynamo_items as di
from .base import Page, PostingInputs, StoreURLError
from .dynamo_ledger import Dynamo, Refused
from .dynamo_schema import BILLING_MODES, BY_USER, DEFAULT_PREFIX, TableNames, create_tables
from .dynamo_security import DynamoSecurity
from .dynamo_unit import DynamoUnitOfWork

_PREFIX = re.compile(r"[A-Za-z0-9_.-]{0,200}")
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5,
                        read_timeout=20, max_pool_connections=64)
_CANCELLED = ("TransactionCanceledException",)


def _put_new(table: str, item: di.Item) -> dict[str, Any]:
    return {"TableName": table, "Item": di.to_wire(item),
            "ConditionExpression": "attribute_not_exists(pk)"}


def _email_lock(user: User, account_ids: list[str] | None) -> di.Item:
    """The lock on a user's email, which also lists the user's account ids (so that a
    transfer to an email reads the lock and then the accounts); None for a lock from before
    locks listed them, which is read through the by_user index instead."""
    lock = {**di.email_key(user.email), "user_id": user.id}
    return lock if account_ids is None else {**lock, "account_ids": account_ids}


def _named(users_table: str, user_id: str, name: str) -> dict[str, Any]:
    """A condition that the user's profile still carries `name`."""
    return {"TableName": users_table, "Key": di.to_wire(di.user_key(user_id)),
            "ConditionExpression": "full_name = :name",
            "ExpressionAttributeValues": di.to_wire({":name": name})}


def _stale_user(found: di.Item | None) -> BankError:
    if found is None:
        return AccountNotFound("no such user")
    return StaleRecord("the user changed meanwhile; read it again")


class DynamoStore(DynamoSecurity):
    def __init__(self, region: str, endpoint_url: str | None = None,
                 table_prefix: str = DEFAULT_PREFIX, billing: str = "pay_per_request") -> None:
        if billing not in BILLING_MODES:
            raise StoreURLError(f"billing={billing!r}: use {' or '.join(BILLING_MODES)}")
        if not _PREFIX.fullmatch(table_prefix):
            raise StoreURLError(f"table_prefix={table_prefix!r}: letters, digits, _ . - only")
        if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
            raise StoreURLError(f"endpoint_url={endpoint_url!r}: expected http(s)://host:port")
        self.region, self.endpoint_url = region, endpoint_url or None
        self.table_prefix, self.billing = table_prefix, billing
        self.tables = TableNames.with_prefix(table_prefix)
        self._db: Dynamo | None = None
        self._feed: dynamo_reads.FeedRange | None = None
        self._lock = threading.Lock()
        #: What init_schema's request for point-in-time recovery gave, per table.
        self.pitr: dict[str, str] = {}

    @property
    def url(self) -> str:
        """The FLASKBANK_STORE string that opens this same store (e.g. in another process)."""
        query = {"region": self.region, "table_prefix": self.table_prefix,
                 "billing": self.billing}
        if self.endpoint_url:
            query["endpoint_url"] = self.endpoint_url
        return "dynamodb://?" + urlencode(query)

    # -- the client -------------------------------------------------------------------------
    @property
    def db(self) -> Dynamo:
        with self._lock:
            if self._db is None:
                self._db = Dynamo(self._new_client(), self.tables)
            return self._db

    def _new_client(self) -> Any:
        session = boto3.session.Session(region_name=self.region)
        if self.endpoint_url and session.get_credentials() is None:
            # DynamoDB Local checks that requests are signed, not by whom.
            session = boto3.session.Session(region_name=self.region,
                                            aws_access_key_id="local",
                                            aws_secret_access_key="local")  # noqa: S106
        return session.client("dynamodb", endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG)

    @property
    def feed_range(self) -> dynamo_reads.FeedRange:
        db = self.db
        with self._lock:
            if self._feed is None or self._feed.db is not db:
                self._feed = dynamo_reads.FeedRange(db)
            return self._feed

    def init_schema(self) -> None:
        try:
            self.pitr = create_tables(self.db.client, self.tables, self.billing)
        except Exception as e:  # botocore's, or a table that never became ACTIVE
            raise StoreError(f"could not create the DynamoDB tables: {e}") from e

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.client.close()
            self._db, self._feed = None, None

    # -- users ------------------------------------------------------------------------------
    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self.db)

    def add_user(self, user: User) -> None:
        """The profile and a lock on its lower-cased email, both or neither."""
        self.db.write(
            ({"Put": _put_new(self.tables.users, di.user_item(user))},
             StoreError("a user with that id is already stored")),
            ({"Put": _put_new(self.tables.users, _email_lock(user, []))},
             EmailTaken("that email is already registered")))

    def get_user(self, user_id: str) -> User | None:
        item = self.db.get(self.tables.users, di.user_key(user_id))
        return di.to_user(item) if item else None

    def find_user_by_email(self, email: str) -> User | None:
        """Two strongly consistent GetItems (the lock, then the profile), so a login sees a
        registration or an email change at once, which an index could not promise."""
        lock = self.db.get(self.tables.users, di.email_key(email))
        return self.get_user(lock["user_id"]) if lock else None

    def update_user(self, user_id: str, *, version: int,
                    changes: Mapping[str, object]) -> User:
        """The changed attributes, conditional on the version read; a new email moves its
        lock (with the list of accounts on it), a new name is copied onto every account, all
        in the same transaction, so that a rename never leaves an account out of step."""
        unknown = set(changes) - USER_FIELDS
        if unknown or not changes:
            raise ValueError(f"update_user cannot change {sorted(unknown) or 'nothing'}")
        item = self.db.get(self.tables.users, di.user_key(user_id))
        if item is None:
            raise AccountNotFound("no such user")
        current = di.to_user(item)
        if current.version != version:
            raise StaleRecord("the user changed meanwhile; read it again")
        updated = replace(current, **changes, version=version + 1)  # type: ignore[arg-type]
        lock = self.db.get(self.tables.users, di.email_key(current.email)) or {}
        actions = [(self._profile_update(updated, version, changes), _stale_user)]
        if di.email_key(updated.email) != di.email_key(current.email):
            actions += self._move_email_lock(current, updated, lock)
        if updated.full_name != current.full_name:
            actions += [({"Update": {
                "TableName": self.tables.accounts, "Key": di.to_wire(key),
                "UpdateExpression": "SET owner_name = :name",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": di.to_wire({":name": updated.full_name})}},
                WriteConflict("an account was closed meanwhile; try again"))
                for key in self._account_keys(user_id, lock)]
        self.db.write(*actions)
        return updated

    def _profile_update(self, user: User, version: int,
                        changes: Mapping[str, object]) -> dict[str, Any]:
        item = di.user_item(user)
        names = list(dict.fromkeys([*changes, *(d for c in changes
                                                 for d in di.DERIVED.get(c, ())), "version"]))
        aliases = {f"#a{i}": name for i, name in enumerate(names)}
        return {"Update": {
            "TableName": self.tables.users, "Key": di.to_wire(di.user_key(user.id)),
            "UpdateExpression": "SET " + ", ".join(f"{a} = :{a[1:]}" for a in aliases),
            "ConditionExpression": di.at_version(version),
            "ExpressionAttributeNames": {**aliases, "#v": "version"},
            "ExpressionAttributeValues": di.to_wire({
                **{f":{a[1:]}": item[n] for a, n in aliases.items()}, ":version": version}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}

    def _move_email_lock(self, current: User, updated: User,
                         lock: di.Item) -> list[tuple[dict[str, Any], Any]]:
        """The new email's lock takes over the old one's account list, on condition that no
        account was added to it meanwhile."""
        ids = lock.get("account_ids")
        unchanged = ("attribute_not_exists(account_ids)" if ids is None
                     else "size(account_ids) = :n")
        return [
            ({"Delete": {"TableName": self.tables.users,
                         "Key": di.to_wire(di.email_key(current.email)),
                         "ConditionExpression": f"user_id = :id AND {unchanged}",
                         "ExpressionAttributeValues": di.to_wire(
                             {":id": current.id, **({} if ids is None else {":n": len(ids)})})}},
             WriteConflict("the profile changed meanwhile; try again")),
            ({"Put": _put_new(self.tables.users, _email_lock(updated, ids))},
             EmailTaken("that email is already registered")),
        ]

    def count_users(self) -> int:
        """A Select=COUNT Scan: only `flaskbank demo` asks, to see whether the store is empty
        (DescribeTable's ItemCount lags by hours)."""
        return sum(int(page["Count"]) for page in self.db.pages(
            "scan", TableName=self.tables.users, Select="COUNT", ConsistentRead=True,
            FilterExpression="begins_with(pk, :user)",
            ExpressionAttributeValues=di.to_wire({":user": "USER#"})))

    # -- accounts ---------------------------------------------------------------------------
    def add_account(self, account: Account) -> None:
        """The account, a lock on its number, its id added to the list on the owner's email
        lock, and a check that the owner's name copied onto it is still the profile's; all
        or nothing, so that a rename or an email change in between cannot miss it."""
        owner = self.db.get(self.tables.users, di.user_key(account.user_id))
        if owner is None:
            raise AccountNotFound("no such customer")
        lock = self.db.get(self.tables.users, di.email_key(owner["email"])) or {}
        if len(self._account_keys(account.user_id, lock)) >= MAX_ACCOUNTS_PER_CUSTOMER:
            raise TooManyAccounts(MAX_ACCOUNTS_PER_CUSTOMER)
        writes = [
            {"Put": _put_new(self.tables.accounts, di.account_item(account))},
            {"Put": _put_new(self.tables.accounts, {
                **di.number_key(account.number), "account_id": account.id})},
            {"ConditionCheck": _named(self.tables.users, account.user_id, account.owner_name)},
            {"Update": {
                "TableName": self.tables.users, "Key": di.to_wire(di.email_key(owner["email"])),
                "UpdateExpression": "SET account_ids = list_append(account_ids, :id)",
                "ConditionExpression": "user_id = :owner AND attribute_exists(account_ids)",
                "ExpressionAttributeValues": di.to_wire({":id": [account.id],
                                                         ":owner": account.user_id}),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ]
        try:
            self.db.call("transact_write_items", expect=_CANCELLED, TransactItems=writes)
        except Refused as e:
            reasons = e.response.get("CancellationReasons", [])
            failed = [r.get("Code") == "ConditionalCheckFailed" for r in reasons]
            lock = di.from_wire(reasons[3].get("Item", {})) if failed[3:4] == [True] else {}
            if not any(failed[:3]) and lock.get("user_id") == account.user_id:
                # A lock from before locks listed accounts: the by_user index finds them.
                try:
                    self.db.call("transact_write_items", expect=_CANCELLED,
                                 TransactItems=writes[:3])
                    return
                except Refused as again:
                    raise WriteConflict("account number already taken") from again
            if any(failed[2:]):
                raise WriteConflict("the owner's profile changed meanwhile; try again") from e
            raise WriteConflict("account number already taken") from e

    def get_account(self, account_id: str) -> Account | None:
        item = self.db.get(self.tables.accounts, di.account_key(account_id))
        return di.to_account(item) if item else None

    def find_account_by_number(self, number: str) -> Account | None:
        lock = self.db.get(self.tables.accounts, di.number_key(number))
        return self.get_account(lock["account_id"]) if lock else None

    def accounts_of(self, user_id: str) -> list[Account]:
        """The by_user index gives the ids (it may trail a just-opened account by a moment);
        the items themselves are read strongly consistent, balances included."""
        keys = self._indexed_account_keys(user_id)
        return [di.to_account(i) for i in self._keys_in_order(self.tables.accounts, keys)]

    def set_account_status(self, account_id: str, status: AccountStatus,
                           reason: str = "") -> None:
        # No version bump: a posting is conditional on the status itself.
        self.db.write(({"Update": {
            "TableName": self.tables.accounts, "Key": di.to_wire(di.account_key(account_id)),
            "UpdateExpression": "SET #status = :status, status_reason = :reason",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": di.to_wire({":status": status.value,
                                                     ":reason": reason})}},
            AccountNotFound("no such account")))

    # -- the ledger -------------------------------------------------------------------------
    def post(self, posting: Posting) -> PostResult:
        self.feed_range.cover(posting.created_at[:10])
        return dynamo_ledger.post(self.db, posting)

    def record_refusal(self, idempotency: IdempotencyKey, error: Refusal, at: str) -> None:
        kept = json.dumps({"kind": type(error).__name__, "message": error.message,
                           "field": error.field})
        # The first answer stands: a racer's posting or refusal is left as it is.
        self.db.write(({"Put": {
            "TableName": self.tables.idempotency, "Item": di.to_wire({
                "pk": idempotency.scope, "sk": idempotency.key,
                "fingerprint": idempotency.fingerprint, "transaction_id": "",
                "refusal": kept, "created_at": at}),
            "ConditionExpression": "attribute_not_exists(pk)"}}, None))

    def read_for_posting(self, account_ids: Sequence[str], *,
                         idempotency: tuple[str, str] | None = None,
                         recipient_email: str | None = None) -> PostingInputs:
        """One strongly consistent BatchGetItem (the accounts, the idempotency record, the
        email's lock); then, for an email, one more for the accounts its lock lists, and
        only for a replay the earlier transaction's header."""
        t = self.tables
        found = self.db.batch_get({
            t.accounts: [di.account_key(i) for i in dict.fromkeys(account_ids)],
            t.idempotency: [] if idempotency is None else [
                {"pk": idempotency[0], "sk": idempotency[1]}],
            t.users: [] if recipient_email is None else [di.email_key(recipient_email)]})
        accounts = {a.id: a for a in map(di.to_account, found[t.accounts])}
        record = found[t.idempotency][0] if found[t.idempotency] else None
        recipients = None
        if recipient_email is not None:
            recipients = self._accounts_on(found[t.users][0]) if found[t.users] else []
        return PostingInputs(accounts, None if record is None else self._earlier(record),
                             recipients)

    def _accounts_on(self, lock: di.Item) -> list[Account]:
        """The accounts of an email lock's user, read strongly consistent, oldest first."""
        items = self._keys_in_order(self.tables.accounts,
                                    self._account_keys(lock["user_id"], lock))
        return [di.to_account(i) for i in sorted(items, key=lambda i: i["owner_key"])
                if i["user_id"] == lock["user_id"]]

    def _account_keys(self, user_id: str, lock: di.Item) -> list[di.Item]:
        """The user's account keys: from the list on their email lock (strongly consistent),
        or for a lock from before locks listed accounts, from the by_user index."""
        if lock.get("user_id") == user_id and "account_ids" in lock:
            return [di.account_key(i) for i in lock["account_ids"]]
        return self._indexed_account_keys(user_id)

    def _indexed_account_keys(self, user_id: str) -> list[di.Item]:
        return self._index_keys(TableName=self.tables.accounts, IndexName=BY_USER,
                                KeyConditionExpression="user_id = :u",
                                ExpressionAttributeValues=di.to_wire({":u": user_id}))

    def _earlier(self, record: di.Item) -> Earlier:
        return dynamo_ledger.earlier(self.db, record)

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        return dynamo_ledger.transaction(self.db, transaction_id)

    def history(self, account_id: str, *, limit: int, cursor: str | None = None,
                since: str | None = None, until: str | None = None,
                type: TransactionType | None = None) -> Page[Entry]:
        return dynamo_reads.history(self.db, account_id, limit=limit, cursor=cursor,
                                    since=since, until=until, type=type)

    def entries_between(self, account_id: str, start: str, end: str) -> list[Entry]:
        return dynamo_reads.entries_between(self.db, account_id, start, end)

    def balance_before(self, account_id: str, moment: str) -> Entry | None:
        return dynamo_reads.balance_before(self.db, account_id, moment)

    def feed(self, *, after: str | None, limit: int) -> Page[Transaction]:
        return dynamo_reads.feed(self.db, self.feed_range.read(), after, limit)

    def all_accounts(self) -> Iterator[Account]:
        """A Scan (verify and reports only, never a request path), oldest first."""
        items = [di.from_wire(i) for page in self.db.pages(
            "scan", TableName=self.tables.accounts, ConsistentRead=True,
            FilterExpression="begins_with(pk, :account)",
            ExpressionAttributeValues=di.to_wire({":account": "ACCOUNT#"}))
            for i in page["Items"]]
        yield from (di.to_account(i) for i in sorted(items, key=lambda i: i["owner_key"]))

    def all_transactions(self) -> Iterator[Transaction]:
        return dynamo_reads.all_transactions(self.db, self.feed_range.read())

    def copies_out_of_step(self) -> Iterator[str]:
        return dynamo_checks.copies_out_of_step(self.db)
