"""An alert and a backtest as plain JSON values, for the stores that keep them as documents
(DynamoDB's items) or keep their nested parts as text (SQLite's verdict and notes)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..domain.events import JsonValue
from ..domain.monitoring.model import (
    Alert,
    AlertNote,
    AlertStatus,
    Backtest,
    Decision,
    Severity,
    Verdict,
)


def notes_to_json(notes: tuple[AlertNote, ...]) -> str:
    return json.dumps([[n.at, n.by, n.text] for n in notes])


def notes_from_json(text: str) -> tuple[AlertNote, ...]:
    return tuple(AlertNote(str(at), str(by), str(t)) for at, by, t in json.loads(text))


def verdict_to_json(verdict: Verdict) -> str:
    return json.dumps(verdict.to_json(), sort_keys=True, separators=(",", ":"))


def verdict_from_json(text: str) -> Verdict:
    return Verdict.from_json(json.loads(text))


def rules_of(alert: Alert) -> list[str]:
    """The rules that fired for the alert, each once, in the verdict's order."""
    return list(dict.fromkeys(h.rule_id for h in alert.verdict.hits))


def alert_fields(alert: Alert) -> dict[str, str | int | None]:
    """The alert as flat fields: nested parts (verdict, notes) as JSON text."""
    return {
        "id": alert.id,
        "created_at": alert.created_at,
        "severity": alert.severity.value,
        "score": alert.score,
        "status": alert.status.value,
        "customer_id": alert.customer_id,
        "account_id": alert.account_id,
        "decision": alert.decision.value,
        "verdict": verdict_to_json(alert.verdict),
        "amount": alert.amount,
        "currency": alert.currency,
        "transaction_id": alert.transaction_id,
        "hold_id": alert.hold_id,
        "assignee": alert.assignee,
        "notes": notes_to_json(alert.notes),
        "closed_at": alert.closed_at,
        "closed_by": alert.closed_by,
        "version": alert.version,
    }


#: What a save may change on an alert; its id, creation, customer and verdict stay as raised.
ALERT_CHANGES = (
    "severity",
    "score",
    "status",
    "assignee",
    "notes",
    "closed_at",
    "closed_by",
    "transaction_id",
    "hold_id",
    "version",
)
#: What a save may change on a backtest; what it runs over stays as asked.
BACKTEST_CHANGES = ("status", "progress", "total", "result", "error", "version", "extra")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def alert_from_fields(f: Mapping[str, object]) -> Alert:
    return Alert(
        id=str(f["id"]),
        created_at=str(f["created_at"]),
        severity=Severity(str(f["severity"])),
        score=int(str(f["score"])),
        status=AlertStatus(str(f["status"])),
        customer_id=str(f["customer_id"]),
        account_id=str(f["account_id"]),
        decision=Decision(str(f["decision"])),
        verdict=verdict_from_json(str(f["verdict"])),
        amount=str(f["amount"]),
        currency=str(f["currency"]),
        transaction_id=_text(f.get("transaction_id")),
        hold_id=_text(f.get("hold_id")),
        assignee=_text(f.get("assignee")),
        notes=notes_from_json(str(f.get("notes") or "[]")),
        closed_at=_text(f.get("closed_at")),
        closed_by=_text(f.get("closed_by")),
        version=int(str(f["version"])),
    )


def backtest_fields(b: Backtest) -> dict[str, str | int]:
    return {
        "id": b.id,
        "created_at": b.created_at,
        "created_by": b.created_by,
        "since": b.since,
        "until": b.until,
        "rules": b.rules,
        "status": b.status,
        "progress": b.progress,
        "total": b.total,
        "result": b.result,
        "error": b.error,
        "version": b.version,
        "extra": json.dumps(dict(b.extra), sort_keys=True),
    }


def backtest_from_fields(f: Mapping[str, object]) -> Backtest:
    extra: Mapping[str, JsonValue] = json.loads(str(f.get("extra") or "{}"))
    return Backtest(
        id=str(f["id"]),
        created_at=str(f["created_at"]),
        created_by=str(f["created_by"]),
        since=str(f["since"]),
        until=str(f["until"]),
        rules=str(f["rules"]),
        status=str(f["status"]),
        progress=int(str(f["progress"])),
        total=int(str(f["total"])),
        result=str(f.get("result") or ""),
        error=str(f.get("error") or ""),
        version=int(str(f["version"])),
        extra=extra,
    )


def alert_cursor(alert: Alert) -> list[str]:
    """Where a newest-first listing resumes: after this alert's (created_at, id)."""
    return [alert.created_at, alert.id]


def cursor_position(position: object) -> tuple[str, str] | None:
    """A decoded alert cursor, or None when it is not one of ours."""
    if (
        isinstance(position, list)
        and len(position) == 2
        and all(isinstance(p, str) and len(p) < 100 for p in position)
    ):
        return position[0], position[1]
    return None
