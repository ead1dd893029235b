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
3. test it on an item of the old shape (tests/test_migrations_dynamo.py), and let
   tests/test_upgrade.py check the v1 fixture still upgrades with nothing lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
