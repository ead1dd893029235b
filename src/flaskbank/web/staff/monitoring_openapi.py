"""Monitoring's part of the staff API's OpenAPI document (openapi.extend adds it)."""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_SHARE = {"type": ["number", "null"], "description": "a share from 0 to 1; null: nothing to count"}
_WHO = "Fraud analysts and admins. Staff only: a customer's token gets a 404."


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: str, status: str = "200") -> dict[str, Any]:
    return {
        status: {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}}
    }


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _STR}


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": _STR,
        "description": description,
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


SCHEMAS: dict[str, Any] = {
    "RuleHit": {
        "type": "object",
        "required": ["rule", "type", "version", "score", "action", "explanation"],
        "properties": {
            "rule": _STR,
            "type": _STR,
            "version": _INT,
            "score": _INT,
            "action": {"enum": ["score", "review", "block"]},
            "explanation": {"type": "string", "description": "the numbers that made it fire"},
        },
    },
    "Alert": {
        "type": "object",
        "required": [
            "id",
            "created_at",
            "severity",
            "score",
            "status",
            "assignee",
            "customer_id",
            "account_id",
            "transaction_id",
            "hold_id",
            "decision",
            "rules",
            "version",
        ],
        "properties": {
            "id": _STR,
            "created_at": _STR,
            "severity": {"enum": ["low", "medium", "high", "critical"]},
            "score": _INT,
            "status": {
                "enum": ["open", "investigating", "closed_false_positive", "closed_confirmed_fraud"]
            },
            "assignee": _NSTR,
            "customer_id": _STR,
            "account_id": _STR,
            "transaction_id": _NSTR,
            "hold_id": _NSTR,
            "decision": {"enum": ["review", "block"]},
            "amount": _ref("Amount"),
            "currency": _STR,
            "rules": {"type": "array", "items": _ref("RuleHit")},
            "rule_versions": {"type": "array", "items": {"type": "object"}},
            "scorer_failed": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "object"}},
            "closed_at": _NSTR,
            "closed_by": _NSTR,
            "version": {"type": "integer", "description": "send it back to act on this state only"},
        },
    },
    "AlertPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": _ref("Alert")}, "next_cursor": _NSTR},
    },
    "AlertChange": {
        "type": "object",
        "properties": {
            "status": _STR,
            "assignee": {"type": ["string", "null"], "description": 'an email; "" unassigns'},
            "note": _STR,
            "version": {"type": "integer", "description": "409 if the alert moved on since"},
        },
    },
    "Rule": {
        "type": "object",
        "required": ["id", "type", "params", "score", "action", "enabled", "version"],
        "properties": {
            "id": _STR,
            "type": _STR,
            "params": {"type": "object", "description": "the type's parameters; amounts as text"},
            "score": _INT,
            "action": {"enum": ["score", "review", "block"]},
            "enabled": {"type": "boolean"},
            "version": _INT,
            "updated_at": _STR,
            "updated_by": _STR,
        },
    },
    "RuleChange": {
        "type": "object",
        "properties": {
            "params": {"type": "object"},
            "score": {"type": "integer", "minimum": 0, "maximum": 1000},
            "action": {"enum": ["score", "review", "block"]},
            "enabled": {"type": "boolean"},
        },
    },
    "Thresholds": {
        "type": "object",
        "required": ["review_at", "block_at"],
        "properties": {"review_at": _INT, "block_at": _INT, "version": _INT},
    },
    "RuleSet": {
        "type": "object",
        "required": ["rules", "thresholds"],
        "properties": {
            "rules": {"type": "array", "items": _ref("Rule")},
            "thresholds": _ref("Thresholds"),
        },
    },
    "RuleHistory": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"type": "object"}}},
    },
    "NewBacktest": {
        "type": "object",
        "required": ["since", "until"],
        "properties": {
            "rules": {
                "type": "array",
                "items": _ref("Rule"),
                "description": "the draft rule set; absent: the live rules",
            },
            "thresholds": _ref("Thresholds"),
            "since": {"type": "string", "description": "a date or ISO 8601 time, inclusive"},
            "until": {"type": "string", "description": "exclusive; at most 3 years after since"},
        },
    },
    "BacktestStarted": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {"id": _STR, "status": _STR},
    },
    "Backtest": {
        "type": "object",
        "required": ["id", "status", "since", "until", "progress"],
        "properties": {
            "id": _STR,
            "status": {"enum": ["queued", "running", "done", "failed"]},
            "progress": {"type": "integer", "description": "events replayed so far"},
            "error": _NSTR,
            "since": _STR,
            "until": _STR,
            "total_alerts": _INT,
            "alerts_per_day": {"type": "object", "additionalProperties": _INT},
            "per_rule": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"alerts": _INT, "precision": _SHARE, "recall": _SHARE},
                },
            },
            "overall": {
                "type": "object",
                "properties": {"precision": _SHARE, "recall": _SHARE},
            },
            "per_pattern": {"type": "object"},
            "overlap_with_live": {
                "type": "object",
                "properties": {"both": _INT, "only_a": _INT, "only_b": _INT},
            },
        },
    },
    "LiveBoard": {
        "type": "object",
        "required": ["as_of", "minutes", "top_rules", "latest"],
        "properties": {
            "as_of": _STR,
            "minutes": {"type": "array", "items": {"type": "object"}},
            "top_rules": {"type": "array", "items": {"type": "object"}},
            "latest": {"type": "array", "items": {"type": "object"}},
        },
    },
}

_ALERT = _path("alert_id")


def _hold(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": _WHO + " Audited. A hold is resolved once: the second of two racing "
            "actions gets 409.",
            "parameters": [_path("hold_id")],
            "responses": {**_ok("Hold"), **_problems(401, 403, 404, 409, 422)},
        }
    }


PATHS: dict[str, Any] = {
    "/staff/alerts": {
        "get": {
            "summary": "The alert queue, newest first",
            "description": _WHO,
            "parameters": [
                _query(
                    "status", "open, investigating, closed_false_positive, closed_confirmed_fraud"
                ),
                _query("rule", "a rule id: alerts where it fired"),
                _query("since", "ISO 8601, inclusive"),
                _query("until", "ISO 8601, exclusive"),
                _query("customer", "a customer's user id"),
                _query("limit", "1 to 200 (50)"),
                _query("cursor", "next_cursor of the previous page"),
            ],
            "responses": {**_ok("AlertPage"), **_problems(401, 403, 404, 422)},
        }
    },
    "/staff/alerts/{alert_id}": {
        "get": {
            "summary": "One alert with its explanation",
            "description": _WHO,
            "parameters": [_ALERT],
            "responses": {**_ok("Alert"), **_problems(401, 403, 404)},
        },
        "patch": {
            "summary": "Change status or assignee, or add a note (audited; resolved once)",
            "description": _WHO + " A closed alert, or one changed since `version`, is a 409.",
            "parameters": [_ALERT],
            "requestBody": _body("AlertChange"),
            "responses": {**_ok("Alert"), **_problems(400, 401, 403, 404, 409, 415, 422)},
        },
    },
    "/staff/alerts/{alert_id}/freeze": {
        "post": {
            "summary": "Freeze the alert's account (audited; noted on the alert)",
            "description": _WHO,
            "parameters": [_ALERT],
            "requestBody": _body("Reason"),
            "responses": {**_ok("Alert"), **_problems(400, 401, 403, 404, 415, 422)},
        }
    },
    "/staff/holds/{hold_id}/release": _hold("Release a held transfer: it is posted"),
    "/staff/holds/{hold_id}/void": _hold("Reject a held transfer: nothing moves"),
    "/staff/rules": {
        "get": {
            "summary": "The live rules and thresholds",
            "description": _WHO,
            "responses": {**_ok("RuleSet"), **_problems(401, 403, 404)},
        }
    },
    "/staff/rules/{rule_id}": {
        "put": {
            "summary": "Change a rule; returns it at its new version (audited, kept in history)",
            "description": _WHO,
            "parameters": [_path("rule_id")],
            "requestBody": _body("RuleChange"),
            "responses": {**_ok("Rule"), **_problems(400, 401, 403, 404, 415, 422)},
        }
    },
    "/staff/rules/{rule_id}/history": {
        "get": {
            "summary": "Every version of a rule, newest first",
            "description": _WHO,
            "parameters": [_path("rule_id")],
            "responses": {**_ok("RuleHistory"), **_problems(401, 403, 404)},
        }
    },
    "/staff/thresholds": {
        "put": {
            "summary": "Set the scores at which a posting waits for review or is blocked",
            "description": _WHO,
            "requestBody": _body("Thresholds"),
            "responses": {**_ok("Thresholds"), **_problems(400, 401, 403, 404, 415, 422)},
        }
    },
    "/staff/backtests": {
        "post": {
            "summary": "Run a draft rule set over a period of history, touching nothing",
            "description": _WHO + " Answers 202; poll GET /staff/backtests/{id}.",
            "requestBody": _body("NewBacktest"),
            "responses": {
                **_ok("BacktestStarted", "202"),
                **_problems(400, 401, 403, 404, 415, 422),
            },
        }
    },
    "/staff/backtests/{backtest_id}": {
        "get": {
            "summary": "A backtest's progress, then its figures against the labels",
            "description": _WHO,
            "parameters": [_path("backtest_id")],
            "responses": {**_ok("Backtest"), **_problems(401, 403, 404)},
        }
    },
    "/staff/monitoring/live": {
        "get": {
            "summary": "The live board: postings and alerts per minute, top rules, latest",
            "description": _WHO + " One key read; the workspace polls it every second.",
            "responses": {**_ok("LiveBoard"), **_problems(401, 403, 404)},
        }
    },
}
