"""The staff API for a customer's file and for two-person approval: internal notes, each
account's history and statements, and requests waiting for a second person's approval.
The same services and role policy as the pages (web/staff/customer_pages.py, approvals.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ...domain.security import Permission
from ...services import approvals, notes, staff_customers
from ..api import parse as p
from ..api import serialize
from ..context import bank
from .api import api_bp, api_requires
from .desk_json import note_json, request_json
from .policy import actor, staff_user


def _created(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = 201
    return response


@api_bp.get("/customers/<user_id>/notes")
@api_requires(Permission.VIEW_CUSTOMERS)
def customer_notes(user_id: str) -> Response:
    notes.customer_of(bank(), user_id)  # 404 for no such customer
    found = notes.notes_of(bank(), staff_user(), user_id)
    return jsonify({"items": [note_json(n) for n in found]})


@api_bp.post("/customers/<user_id>/notes")
@api_requires(Permission.VIEW_CUSTOMERS)
def add_customer_note(user_id: str) -> Response:
    f = p.fields(p.json_object(), required=("text",))
    return _created(note_json(notes.add_note(bank(), staff_user(), user_id, f["text"], actor())))


@api_bp.get("/customers/<user_id>/accounts/<account_id>/transactions")
@api_requires(Permission.VIEW_CUSTOMERS)
def customer_transactions(user_id: str, account_id: str) -> Response:
    args = request.args
    _, _, page = staff_customers.account_history(
        bank(),
        staff_user(),
        user_id,
        account_id,
        actor(),
        cursor=args.get("cursor") or None,
        since=args.get("since"),
        until=args.get("until"),
        type=args.get("type"),
        q=args.get("q"),
    )
    return jsonify(
        {
            "items": [serialize.entry(e) for e in page.items],
            "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor,
        }
    )


@api_bp.get("/customers/<user_id>/accounts/<account_id>/statements/<month>")
@api_requires(Permission.VIEW_CUSTOMERS)
def customer_statement(user_id: str, account_id: str, month: str) -> Response:
    _, found = staff_customers.account_statement(
        bank(), staff_user(), user_id, account_id, month, actor()
    )
    return jsonify(
        {
            "account_id": found.account.id,
            "month": found.month,
            "opening_balance": str(found.opening_balance),
            "closing_balance": str(found.closing_balance),
            "closes_on": found.closes_on,
            "currency": found.account.currency,
            "lines": [serialize.entry(e) for e in found.lines],
        }
    )


@api_bp.get("/approvals")
@api_requires(Permission.VIEW_CUSTOMERS)
def approval_list() -> Response:
    waiting = approvals.pending(bank(), staff_user())
    return jsonify({"items": [request_json(r) for r in waiting]})


@api_bp.post("/approvals")
@api_requires(Permission.VIEW_CUSTOMERS)
def ask_for_approval() -> Response:
    """{"action", "target", "reason", "detail"?}: 201 with the request, which waits for a
    second person."""
    f = p.fields(p.json_object(), required=("action", "target", "reason"), optional=("detail",))
    asked = approvals.request_action(
        bank(), staff_user(), f["action"], str(f["target"]), f["reason"], actor(), f["detail"]
    )
    return _created(request_json(asked))


@api_bp.post("/approvals/<request_id>/approve")
@api_requires(Permission.VIEW_CUSTOMERS)
def approve_request(request_id: str) -> Response:
    return jsonify(request_json(approvals.approve(bank(), staff_user(), request_id, actor())))


@api_bp.post("/approvals/<request_id>/reject")
@api_requires(Permission.VIEW_CUSTOMERS)
def reject_request(request_id: str) -> Response:
    return jsonify(request_json(approvals.reject(bank(), staff_user(), request_id, actor())))
