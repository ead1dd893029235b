"""Monitoring's records as the staff API shows them: amounts as text, times in ISO 8601."""

from __future__ import annotations

import json
from typing import Any

from ...domain.monitoring.model import Alert, Backtest, Hit, Rule, RuleChange, RuleSet


def hit(h: Hit) -> dict[str, Any]:
    return {
        "rule": h.rule_id,
        "type": h.rule_type,
        "version": h.version,
        "score": h.score,
        "action": h.action.value,
        "explanation": h.explanation,
    }


def alert(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "created_at": a.created_at,
        "severity": a.severity.value,
        "score": a.score,
        "status": a.status.value,
        "assignee": a.assignee,
        "customer_id": a.customer_id,
        "account_id": a.account_id,
        "transaction_id": a.transaction_id,
        "hold_id": a.hold_id,
        "decision": a.decision.value,
        "amount": a.amount,
        "currency": a.currency,
        "rules": [hit(h) for h in a.verdict.hits],
        "rule_versions": [{"rule": r, "version": v} for r, v in a.verdict.rule_versions],
        "scorer_failed": a.verdict.failed,
        "notes": [{"at": n.at, "by": n.by, "text": n.text} for n in a.notes],
        "closed_at": a.closed_at,
        "closed_by": a.closed_by,
        "version": a.version,
    }


def rule(r: Rule) -> dict[str, Any]:
    return {
        "id": r.id,
        "type": r.type,
        "params": dict(r.params),
        "score": r.score,
        "action": r.action.value,
        "enabled": r.enabled,
        "version": r.version,
        "updated_at": r.updated_at,
        "updated_by": r.updated_by,
    }


def rule_set(s: RuleSet) -> dict[str, Any]:
    t = s.thresholds
    return {
        "rules": [rule(r) for r in s.rules],
        "thresholds": {"review_at": t.review_at, "block_at": t.block_at, "version": t.version},
    }


def change(c: RuleChange) -> dict[str, Any]:
    return {"rule": c.rule_id, "version": c.version, "at": c.at, "by": c.by, **_data(c.data)}


def _data(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return {"data": data}


def backtest(b: Backtest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": b.id,
        "status": b.status,
        "created_at": b.created_at,
        "created_by": b.created_by,
        "since": b.since,
        "until": b.until,
        "progress": b.progress,
        "error": b.error or None,
    }
    if b.result:
        body.update(json.loads(b.result))
    return body
