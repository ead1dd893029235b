"""DynamoStore's unit of work: the writes a use case makes, buffered and sent as one
TransactWriteItems at commit, so that they land together or not at all.

Reads inside the unit go to DynamoDB as they come; every buffered write is conditional on
what was read (a record's version, an item's absence), so a read gone stale cancels the
whole transaction at commit instead of writing over a newer change. TransactWriteItems takes
at most 100 actions: a larger unit is refused before anything is written (docs/dynamodb.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .client import Dynamo, IfRefused

Action = tuple[dict[str, Any], IfRefused]


class DynamoUnitOfWork:
    def __init__(self, db: Dynamo) -> None:
        self._db = db
        self._actions: list[Action] = []
        self._closing: list[Callable[[], list[Action]]] = []
        #: What a port keeps between its writes in this unit (the feed's counters, events.py).
        self.state: dict[str, Any] = {}

    def __enter__(self) -> DynamoUnitOfWork:
        if self._db.open_unit() is not None:
            raise RuntimeError("a unit of work is already open on this thread")
        self._db.local.unit = self
        return self

    def extend(self, actions: Iterable[Action]) -> None:
        self._actions.extend(actions)

    def at_commit(self, actions: Callable[[], list[Action]]) -> None:
        """Add the actions `actions()` gives at commit: one write that sums up several of the
        unit's (TransactWriteItems may touch an item once: a shard's counter moves once
        however many events the unit puts on it)."""
        self._closing.append(actions)

    def commit(self) -> None:
        self._db.local.unit = None
        actions = self._actions + [a for close in self._closing for a in close()]
        self._actions, self._closing, self.state = [], [], {}
        self._db.transact(actions)

    def __exit__(self, *exc: object) -> None:
        self._db.local.unit = None  # what was not committed is dropped: nothing was sent
        self._actions, self._closing, self.state = [], [], {}
