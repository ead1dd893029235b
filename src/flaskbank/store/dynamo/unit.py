"""DynamoStore's unit of work: the writes a use case makes, buffered and sent as one
TransactWriteItems at commit, so that they land together or not at all.

Reads inside the unit go to DynamoDB as they come; every buffered write is conditional on
what was read (a record's version, an item's absence), so a read gone stale cancels the
whole transaction at commit instead of writing over a newer change. TransactWriteItems takes
at most 100 actions: a larger unit is refused before anything is written (docs/dynamodb.md).
"""

from __future__ import annotations

from typing import Any

from .client import Dynamo, IfRefused


class DynamoUnitOfWork:
    def __init__(self, db: Dynamo) -> None:
        self._db = db
        self._actions: list[tuple[dict[str, Any], IfRefused]] = []

    def __enter__(self) -> DynamoUnitOfWork:
        if getattr(self._db.local, "unit", None) is not None:
            raise RuntimeError("a unit of work is already open on this thread")
        self._db.local.unit = self._actions
        return self

    def commit(self) -> None:
        self._db.local.unit = None
        actions, self._actions = self._actions, []
        self._db.transact(actions)

    def __exit__(self, *exc: object) -> None:
        self._db.local.unit = None  # what was not committed is dropped: nothing was sent
        self._actions = []
