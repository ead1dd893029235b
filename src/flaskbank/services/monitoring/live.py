"""The analysts' live board: what the monitoring consumer saw in the last hour, minute by
minute (postings, alerts, the rules that fired) and the latest screened postings.

One small record, rewritten once per batch the consumer applies, so that an open dashboard
costs one key read a second however busy the bank is, and never ties up a worker: the page
polls a short request (static/monitoring.js) instead of holding a connection open. The board
is a view, not a record: a consumer killed between its checkpoint and the board's save
leaves that batch off the board (the alerts and profiles, which are records, are not lost).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...domain.accounts import User
from ...domain.events import Event, EventKind
from ...domain.monitoring.model import Decision, StoredProfile, Verdict
from ...domain.security import Permission
from ...retry import retrying
from ..bank import Bank
from ..permissions import require

#: The board is kept beside the profiles, under a key that no user id (a UUID) can take.
BOARD_KEY = "~live-board"
MINUTES = 60
LATEST = 40


@dataclass
class Board:
    minutes: dict[str, dict[str, Any]] = field(default_factory=dict)  # "YYYY-MM-DDTHH:MM"
    latest: list[dict[str, Any]] = field(default_factory=list)  # newest first

    def see(self, event: Event) -> None:
        """Count one screened posting, held transfer or blocked attempt."""
        payload = event.payload
        screened = payload.get("screening")
        if not isinstance(screened, dict):
            return
        verdict = Verdict.from_json(screened)
        minute = self.minutes.setdefault(event.at[:16], {"postings": 0, "alerts": 0, "rules": {}})
        if event.kind is EventKind.TRANSACTION_POSTED or event.kind is EventKind.POSTING_BLOCKED:
            minute["postings"] += 1
        if verdict.decision is not Decision.APPROVE:  # the consumer opens an alert for it
            minute["alerts"] += 1
        for hit in verdict.hits:
            minute["rules"][hit.rule_id] = minute["rules"].get(hit.rule_id, 0) + 1
        self.latest.insert(
            0,
            {
                "at": event.at,
                "kind": event.kind.value,
                "transaction_id": payload.get("transaction_id"),
                "type": payload.get("type"),
                "amount": payload.get("amount"),
                "currency": payload.get("currency"),
                "account_id": event.subject,
                "decision": verdict.decision.value,
                "score": verdict.score,
                "rules": [h.rule_id for h in verdict.hits],
            },
        )

    def trim(self) -> None:
        for key in sorted(self.minutes)[:-MINUTES]:
            del self.minutes[key]
        del self.latest[LATEST:]

    def dump(self) -> str:
        return json.dumps({"minutes": self.minutes, "latest": self.latest}, separators=(",", ":"))

    @classmethod
    def load(cls, stored: StoredProfile | None) -> Board:
        if stored is None:
            return cls()
        data = json.loads(stored.data)
        return cls(dict(data.get("minutes", {})), list(data.get("latest", [])))


def save(bank: Bank, events: list[Event]) -> None:
    """Add a batch of feed events to the board (one conditional write)."""
    seen = [e for e in events if isinstance(e.payload.get("screening"), dict)]
    if not seen:
        return
    store = bank.store.monitoring

    def attempt(_: int) -> None:
        stored = store.profile(BOARD_KEY)
        board = Board.load(stored)
        for event in seen:
            board.see(event)
        board.trim()
        version = 0 if stored is None else stored.version
        store.save_profile(StoredProfile(BOARD_KEY, board.dump(), version))

    retrying(attempt)


def snapshot(bank: Bank, analyst: User, *, minutes: int = 30) -> dict[str, Any]:
    """What the live page shows: per-minute postings and alerts (oldest first), the rules
    that fired most in that time, and the latest screened postings."""
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    board = Board.load(bank.store.monitoring.profile(BOARD_KEY))
    keys = sorted(board.minutes)[-minutes:]
    top: dict[str, int] = {}
    for key in keys:
        for rule, n in board.minutes[key]["rules"].items():
            top[rule] = top.get(rule, 0) + n
    return {
        "as_of": bank.now(),
        "minutes": [
            {
                "minute": k,
                "postings": board.minutes[k]["postings"],
                "alerts": board.minutes[k]["alerts"],
            }
            for k in keys
        ],
        "top_rules": [
            {"rule": r, "hits": n} for r, n in sorted(top.items(), key=lambda x: (-x[1], x[0]))
        ][:10],
        "latest": board.latest,
    }
