"""DynamoStore's schema versions, and the steps that bring items of older releases into
today's shape, so that no request path carries a fallback for them.

`flaskbank init` (`migrate`) first reads the version item (`META#schema` / `META` in the
transactions table; absent: version 1, a store made before versions were recorded) and
refuses a store newer than this code. Then it creates the tables that are missing (every
table and index in schema.py). If it created every table, the store is new: it is made in
today's shape, so it is stamped with the latest version at once. Otherwise the steps after
the store's version run in order, and after each one the version item moves on by a
conditional write (`version = :from`, or the item's absence), so the version never skips a
step and never goes back.

Two `init`s at once: a DynamoDB step cannot hold a lock over a Scan of a table, so instead
every step is idempotent, also when it runs twice at the same time: each write is
conditional on the item still being in the shape the step looks for (and a write whose
condition fails is skipped: the other `init`, or a request, got there first). Whichever
`init` moves the version item on first wins; the other finds it moved, reads where it
went, and carries on from there. Steps Scan (an operator's command, never a request path:
deploy/iam-policy-init.json grants it) and write one item at a time, so a step interrupted
half-way is simply run again by the next `init`.

Adding a step:

1. change schema.py and items.py to today's shape (a new table needs no step: `init` creates
   missing tables before the steps run, and a new store gets every table and index);
2. add a function at the end of this module, decorated `@STEPS.add(N)` with N one more than
   the last step's, that takes the client and brings older items (or tables: a new index on
   an existing table is an UpdateTable here, then `schema.wait_active`) to that shape; its
   docstring says what it changes and why. Make every write conditional on the item still
   needing it, with `None` as what a failed condition means (`db.write((action, None))`);
3. test it on an item of the old shape (tests/test_migrations_dynamodb.py), and let
   tests/test_upgrade.py check the v1 fixture still upgrades with nothing lost.

Step 3 records a lookup instead of moving accounts: an account id is public (API paths,
bookmarks, audit lines, the partition of its entries, the legs on transaction headers),
so an account opened before ids followed numbers keeps its id, and an alias item at the
key its number derives (`ACCOUNT#<account_id_for(number)>`, `alias_of` its real id) lets a
transfer by number find it with one more read, only for such accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ...domain import identity
from ...domain.accounts import account_id_for
from ..migrations import UNVERSIONED, SchemaReport, Steps
from . import items as di
from .client import CONDITION_FAILED, Dynamo, Refused
from .schema import create_tables

STEPS: Steps[Dynamo] = Steps()
VERSION_KEY = {"pk": "META#schema", "sk": "META"}
_MISSING_TABLE = ("ResourceNotFoundException",)


def migrate(db: Dynamo, billing: str) -> tuple[SchemaReport, dict[str, str]]:
    """Create what is missing and bring the store to the latest version; also returns each
    table's point-in-time recovery outcome (schema.create_tables)."""
    stored = _stored_version(db)
    if stored is not None:
        STEPS.after(stored)  # refuses a store newer than this code before touching it
    created, pitr = create_tables(db.client, db.tables, billing)
    if stored is None and set(created) == set(db.tables.all()):
        if _advance(db, None, STEPS.latest):
            return SchemaReport(STEPS.latest, created=True), pitr
        stored = _stored_version(db)  # another `init` stamped the new store first
    applied: list[int] = []
    while pending := STEPS.after(UNVERSIONED if stored is None else stored):
        step = pending[0]
        step.apply(db)
        if _advance(db, stored, step.version):
            applied.append(step.version)
            stored = step.version
        else:  # another `init` moved the version on meanwhile: go on from where it is
            stored = _stored_version(db)
    return SchemaReport(STEPS.latest, tuple(applied)), pitr


def schema_version(db: Dynamo) -> int | None:
    """The store's version; None when it has no tables yet."""
    try:
        found = db.call(
            "get_item",
            expect=_MISSING_TABLE,
            TableName=db.tables.transactions,
            Key=di.to_wire(VERSION_KEY),
            ConsistentRead=True,
        )
    except Refused:
        return None
    return int(di.from_wire(found["Item"])["version"]) if "Item" in found else UNVERSIONED


def _stored_version(db: Dynamo) -> int | None:
    """What the version item says; None when there is none (or no table for it yet)."""
    version = schema_version(db)
    return None if version in (None, UNVERSIONED) else version


def _advance(db: Dynamo, stored: int | None, to: int) -> bool:
    """Move the version item from `stored` (None: absent) to `to`; False if it had moved."""
    values: dict[str, Any] = {":to": to, ":at": datetime.now(UTC).isoformat(timespec="seconds")}
    if stored is None:
        condition = "attribute_not_exists(pk)"
    else:
        condition, values[":from"] = "#v = :from", stored
    try:
        db.call(
            "update_item",
            expect=CONDITION_FAILED,
            TableName=db.tables.transactions,
            Key=di.to_wire(VERSION_KEY),
            UpdateExpression="SET #v = :to, updated_at = :at",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues=di.to_wire(values),
        )
        return True
    except Refused:
        return False


# -- what the steps share -------------------------------------------------------------------
def _scan(db: Dynamo, table: str, where: str, **values: Any) -> Iterator[di.Item]:
    """Every item of `table` that `where` holds for (strongly consistent)."""
    query: dict[str, Any] = {"TableName": table, "ConsistentRead": True, "FilterExpression": where}
    if values:
        query["ExpressionAttributeValues"] = di.to_wire({f":{k}": v for k, v in values.items()})
    for page in db.pages("scan", **query):
        yield from map(di.from_wire, page["Items"])


#: Account items (not number locks, not the aliases step 3 writes).
ACCOUNTS = "begins_with(pk, :account) AND attribute_exists(user_id)"


def _set_missing(db: Dynamo, table: str, key: di.Item, **values: Any) -> None:
    """Give the item each attribute it lacks, leaving those it has; nothing if it is gone."""
    names = {f"#a{i}": name for i, name in enumerate(values)}
    db.write(
        (
            {
                "Update": {
                    "TableName": table,
                    "Key": di.to_wire(key),
                    "UpdateExpression": "SET "
                    + ", ".join(f"{a} = if_not_exists({a}, :v{a[2:]})" for a in names),
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": di.to_wire(
                        {f":v{a[2:]}": values[n] for a, n in names.items()}
                    ),
                }
            },
            None,
        )
    )


# -- the steps ------------------------------------------------------------------------------
@STEPS.add(2)
def accounts_carry_their_owners_name(db: Dynamo) -> None:
    """Accounts opened before d40e6db get their owner's name (`owner_name`), which the other
    side of a transfer sees without reading the owner's profile, and which `verify` checks.
    A name already there (a rename wrote it meanwhile) is left as it is."""
    for account in _scan(
        db,
        db.tables.accounts,
        f"{ACCOUNTS} AND attribute_not_exists(owner_name)",
        account="ACCOUNT#",
    ):
        owner = db.get(db.tables.users, di.user_key(account["user_id"]))
        if owner is not None:  # an account of no user is verify's to report
            _set_missing(
                db, db.tables.accounts, {"pk": account["pk"]}, owner_name=owner["full_name"]
            )


@STEPS.add(3)
def lookups_for_accounts_opened_before_ids_followed_numbers(db: Dynamo) -> None:
    """An account whose id is not `account_id_for(number)` (opened before d40e6db) gets an
    alias item at the key its number derives, naming its real id, so that a transfer by
    number finds every account from the number alone, with no fallback to the number lock.
    The account keeps its id, which API clients, the audit log and its entries hold."""
    for account in _scan(db, db.tables.accounts, ACCOUNTS, account="ACCOUNT#"):
        derived = account_id_for(account["number"])
        if account["id"] != derived:
            item = di.account_alias(derived, account["id"])
            db.write(({"Put": di.put_new(db.tables.accounts, item)}, None))


@STEPS.add(4)
def email_locks_list_their_owners_accounts(db: Dynamo) -> None:
    """An email lock written before 857a34f gets the list of its owner's account ids (oldest
    first), which a transfer to an email, a rename and an email change read instead of the
    eventually consistent by_user index. A lock that has a list keeps it."""
    owned: dict[str, list[di.Item]] = defaultdict(list)
    for account in _scan(db, db.tables.accounts, ACCOUNTS, account="ACCOUNT#"):
        owned[account["user_id"]].append(account)
    where = "begins_with(pk, :email) AND attribute_not_exists(account_ids)"
    for lock in _scan(db, db.tables.users, where, email="EMAIL#"):
        mine = sorted(owned[lock["user_id"]], key=lambda a: str(a["owner_key"]))
        db.write(
            (
                {
                    "Update": {
                        "TableName": db.tables.users,
                        "Key": di.to_wire({"pk": lock["pk"]}),
                        "UpdateExpression": "SET account_ids = :ids",
                        "ConditionExpression": "attribute_not_exists(account_ids) "
                        "AND user_id = :user",
                        "ExpressionAttributeValues": di.to_wire(
                            {":ids": [a["id"] for a in mine], ":user": lock["user_id"]}
                        ),
                    }
                },
                None,
            )
        )


@STEPS.add(5)
def records_carry_versions_and_security_stamps(db: Dynamo) -> None:
    """Profiles and sessions written before 0494fe9 get `version` 0, and profiles and API
    tokens an empty security stamp (which still match each other, so no one is signed out),
    so that every conditional write can name the version it read."""
    t = db.tables
    where = "begins_with(pk, :user) AND (attribute_not_exists(version) OR "
    for user in _scan(db, t.users, where + "attribute_not_exists(security_stamp))", user="USER#"):
        _set_missing(db, t.users, {"pk": user["pk"]}, version=0, security_stamp="")
    for session in _scan(db, t.sessions, "attribute_not_exists(version)"):
        _set_missing(db, t.sessions, {"pk": session["pk"]}, version=0)
    for token in _scan(db, t.tokens, "attribute_not_exists(stamp)"):
        _set_missing(db, t.tokens, {"pk": token["pk"]}, stamp="")


@STEPS.add(6)
def accounts_keep_their_held_amount(db: Dynamo) -> None:
    """Ledger v2: every account keeps `held_minor`, the sum of its open holds (0 for an
    account from before holds), which the debit rule reads with the balance. The holds,
    leases and standing_orders tables are new and made by `init` before the steps run."""
    where = ACCOUNTS + " AND attribute_not_exists(held_minor)"
    for account in _scan(db, db.tables.accounts, where, account="ACCOUNT#"):
        _set_missing(db, db.tables.accounts, {"pk": account["pk"]}, held_minor=0)


@STEPS.add(7)
def event_outbox(db: Dynamo) -> None:
    """The event outbox: every change writes its events in its own TransactWriteItems, onto
    the numbered shards of the `events` table, which also keeps consumers' checkpoints. The
    table is new and made by `init` before the steps run; no item changes (the feed starts
    empty). The step is here so that code that writes events refuses a store `init` has
    not given the table yet."""
    del db  # nothing to migrate


@STEPS.add(8)
def demo_only_users(db: Dynamo) -> None:
    """Profiles get `demo_only` false (every user made before is a real one): the staff
    `flaskbank demo` makes with published passwords sign in only under the demo. A store at
    this version also refuses older code, which would let those logins in anywhere."""
    where = "begins_with(pk, :user) AND attribute_not_exists(demo_only)"
    for user in _scan(db, db.tables.users, where, user="USER#"):
        _set_missing(db, db.tables.users, {"pk": user["pk"]}, demo_only=False)


@STEPS.add(9)
def bulk_loads(db: Dynamo) -> None:
    """Bulk loads (`flaskbank generate`, bulk.py): the `loads` table keeps each load's
    manifest (which batches are in, which one is being written) and the labels of the
    patterns it planted. The table is new and made by `init` before the steps run; no item
    changes. The step is here so that a loader refuses a store `init` has not given the
    table yet."""
    del db  # nothing to migrate


@STEPS.add(10)
def monitoring(db: Dynamo) -> None:
    """Real-time monitoring (issue 11): the `monitoring` table keeps customers' profiles,
    the live rule set, every version of each rule, alerts (with the indexes of the alert
    queue) and backtests. The table is new and made by `init` before the steps run; no item
    changes. The step is here so that code that scores postings refuses a store `init` has
    not given the table yet."""
    del db  # nothing to migrate


@STEPS.add(11)
def holds_by_id(db: Dynamo) -> None:
    """The holds table gets the index by_id (sk = hold id -> its account), so that staff can
    act on a hold named by an alert. `init` adds an index a table lacks before the steps
    run (schema.create_tables); no item changes. The step is here so that code that looks a
    hold up by id refuses a store `init` has not given the index yet."""
    del db  # nothing to migrate


@STEPS.add(12)
def saved_reports(db: Dynamo) -> None:
    """Saved reports (issue 12): the `reports` table keeps each saved report and a lock per
    name. The table is new and made by `init` before the steps run; no item changes. The
    step is here so that code that saves reports refuses a store `init` has not given the
    table yet."""
    del db  # nothing to migrate


@STEPS.add(13)
def users_by_surname(db: Dynamo) -> None:
    """Profiles get `surname_key` (their name's last word, then the email), the sort key of
    the users table's new index by_surname, which `init` adds before the steps run: staff
    search finds "Alice Martin" by "Martin" (issue 13). A profile that has one keeps it."""
    where = "begins_with(pk, :user) AND attribute_not_exists(surname_key)"
    for user in _scan(db, db.tables.users, where, user="USER#"):
        key = f"{di.surname_of(user['full_name'])}{di.NAME_SEP}{identity.email_key(user['email'])}"
        _set_missing(db, db.tables.users, {"pk": user["pk"]}, surname_key=key)


@STEPS.add(14)
def mail_and_recovery(db: Dynamo) -> None:
    """Mail and account recovery (issue 13): the `mail` table keeps emailed one-time links
    (by their token's hash), the addresses customers confirmed, the mail outbox (with the
    sparse index `due` the worker's send job reads) and the devices customers signed in
    from. The table is new and made by `init` before the steps run; no item changes. The
    step is here so that code that queues mail refuses a store `init` has not given the
    table yet."""
    del db  # nothing to migrate


@STEPS.add(15)
def payees_and_primary(db: Dynamo) -> None:
    """Saved payees live in the standing_orders table under PAYEES#<user id> (payees.py),
    and accounts may carry a nickname and the primary flag (issue 13). An account written
    before reads as having neither, and the table exists already: no item changes. The
    step is here so that code that saves payees refuses a store `init` has not stamped."""
    del db  # nothing to migrate


@STEPS.add(16)
def personal_details_notes_and_approvals(db: Dynamo) -> None:
    """Profiles get `phone`, `address` and `date_of_birth`, empty for customers who
    registered before the bank asked for them (issue 13); none has a phone yet, so none
    enters the users table's new sparse index by_phone, which `init` adds before the steps
    run. The `notes` and `approvals` tables are new and made by `init` too."""
    where = "begins_with(pk, :user) AND attribute_not_exists(date_of_birth)"
    for user in _scan(db, db.tables.users, where, user="USER#"):
        _set_missing(
            db, db.tables.users, {"pk": user["pk"]}, phone="", address="", date_of_birth=""
        )


@STEPS.add(17)
def approval_requests_carry_a_detail(db: Dynamo) -> None:
    """A request for two-person approval may carry `detail`, what its action needs beyond
    its target (closing an account with a balance: where the money goes), issue 13. A
    request written before has none and reads as '' (it needed none): no item changes. The
    step is here so that code that asks for such an action refuses an older store."""
    del db  # nothing to migrate


@STEPS.add(18)
def corrective_actions(db: Dynamo) -> None:
    """Corrective actions against compliance findings (issue 13) live in the `notes` table
    under FINDING#<finding key> (corrective_actions.py): the table exists already and no
    item changes. The step is here so that code that records actions refuses a store
    `init` has not stamped."""
    del db  # nothing to migrate
