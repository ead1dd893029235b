"""The staff JSON API (`api_bp`, under /api/v1/staff): the same staff services and the same
role policy as the pages, authenticated like the rest of the API by bearer token only.

Without a token: 401. A customer's token: 404, as for a path that does not exist. Staff whose
role lacks the permission: 403. Errors are problem+json (web/errors.py answers them for any
path under /api/).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import Forbidden, NotFound

from ...domain.accounts import Account
from ...domain.errors import NotPermitted
from ...domain.security import AuditEvent, Permission
from ...services import approvals, audit, holds, staff
from ...store.base import ApiToken
from ..api import parse as p
from ..api import serialize
from ..api.auth import api_user, bearer_required
from ..context import bank
from ..problems import problem
from .auditlog import AUDIT_PAGE
from .desk_json import note_json, request_json
from .policy import MARK, Verdict, actor, guard, staff_user, verdict

api_bp = Blueprint("staff_api", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def api_requires(*permissions: Permission) -> Callable[[F], F]:
    """`policy.requires` for bearer-token requests: 401, 404 or 403 instead of pages."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            found = verdict(api_user(), permissions)
            if found is Verdict.HIDDEN:
                raise NotFound()  # the very answer an unknown path gets
            if found is not Verdict.ALLOWED:
                raise Forbidden("your role does not allow this")
            if not api_user().has_two_factor:
                # Staff powers need a second factor, whatever token this is and however it
                # came to be (tokens begun as a customer end with a role change anyway).
                raise Forbidden("staff must enrol in two-factor authentication first")
            g.staff_user = api_user()
            return view(*args, **kwargs)

        wrapped = bearer_required(checked)
        setattr(wrapped, MARK, permissions)
        return cast(F, wrapped)

    return decorate


guard(api_bp)


@api_bp.errorhandler(NotPermitted)
def not_permitted(error: NotPermitted) -> Response:
    return problem(403, error.message)


def account_json(a: Account) -> dict[str, Any]:
    return {**serialize.account(a), "status_reason": a.status_reason}


def token_json(t: ApiToken, now: str) -> dict[str, Any]:
    state = "revoked" if t.revoked else "expired" if t.expires_at <= now else "active"
    return {
        "id": t.token_hash[:12],
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "state": state,
    }


def event_json(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "action": e.action.value,
        "actor_id": e.actor_id,
        "actor_email": e.actor_email,
        "ip": e.ip,
        "target": e.target,
        "details": dict(e.details),
    }


@api_bp.get("/customers")
@api_requires(Permission.VIEW_CUSTOMERS)
def search() -> Response:
    found = staff.search_customers(bank(), staff_user(), request.args.get("q", ""), actor())
    return jsonify({"items": [serialize.user(u) for u in found]})


@api_bp.get("/customers/<user_id>")
@api_requires(Permission.VIEW_CUSTOMERS)
def customer(user_id: str) -> Response:
    view = staff.view_customer(bank(), staff_user(), user_id, actor())
    now = bank().now()
    return jsonify(
        {
            "user": serialize.user(view.user),
            "accounts": [
                {**account_json(a), "recent": [serialize.entry(e) for e in view.recent[a.id]]}
                for a in view.accounts
            ],
            "tokens": [token_json(t, now) for t in view.tokens],
            "notes": [note_json(n) for n in view.notes],
            "pending_requests": [request_json(r) for r in view.requests],
            "statement_months": view.months,
        }
    )


@api_bp.post("/accounts/<account_id>/freeze")
@api_requires(Permission.FREEZE_ACCOUNTS)
def freeze(account_id: str) -> Response:
    f = p.fields(p.json_object(), required=("reason",), optional=("customer_message",))
    account = staff.set_frozen(
        bank(),
        staff_user(),
        account_id,
        frozen=True,
        reason=f["reason"],
        customer_message=f["customer_message"] or "review",
        actor=actor(),
    )
    return jsonify(account_json(account))


@api_bp.post("/accounts/<account_id>/unfreeze")
@api_requires(Permission.FREEZE_ACCOUNTS)
def unfreeze(account_id: str) -> Response:
    """Ask for the account to be unfrozen: 202 with the request, which another member of
    staff approves (POST /staff/approvals/{id}/approve); the account stays frozen till then."""
    f = p.fields(p.json_object(), required=("reason",))
    asked = approvals.request_action(
        bank(), staff_user(), "unfreeze_account", account_id, f["reason"], actor()
    )
    response = jsonify(request_json(asked))
    response.status_code = 202
    return response


@api_bp.post("/accounts/<account_id>/holds")
@api_requires(Permission.HOLD_FUNDS)
def place_hold(account_id: str) -> Response:
    """A staff hold: {"amount", "reason", "expires_at"?}; 201 with the hold."""
    f = p.fields(p.json_object(), required=("amount", "reason"), optional=("expires_at",))
    hold = holds.place_staff_hold(bank(), staff_user(), account_id, **f, actor=actor())
    response = jsonify(serialize.hold(hold))
    response.status_code = 201
    return response


@api_bp.get("/accounts/<account_id>/holds")
@api_requires(Permission.VIEW_CUSTOMERS)
def account_holds(account_id: str) -> Response:
    found = holds.account_holds(bank(), staff_user(), account_id)
    return jsonify({"items": [serialize.hold(h) for h in found]})


@api_bp.post("/accounts/<account_id>/holds/<hold_id>/release")
@api_requires(Permission.HOLD_FUNDS)
def release_hold(account_id: str, hold_id: str) -> Response:
    """Lift a staff hold, or post a pending transfer; 409 when it was resolved already."""
    return jsonify(
        serialize.hold(holds.release(bank(), staff_user(), account_id, hold_id, actor()))
    )


@api_bp.post("/accounts/<account_id>/holds/<hold_id>/void")
@api_requires(Permission.HOLD_FUNDS)
def void_hold(account_id: str, hold_id: str) -> Response:
    """Drop the reservation (a pending transfer is not sent); 409 when already resolved."""
    return jsonify(serialize.hold(holds.void(bank(), staff_user(), account_id, hold_id, actor())))


@api_bp.get("/audit")
@api_requires(Permission.VIEW_AUDIT_LOG)
def audit_log() -> Response:
    args = request.args
    page = audit.audit_log(
        bank(),
        staff_user(),
        limit=AUDIT_PAGE,
        cursor=args.get("cursor") or None,
        action=args.get("action"),
        actor_email=args.get("actor"),
        since=args.get("since"),
        until=args.get("until"),
    )
    return jsonify({"items": [event_json(e) for e in page.items], "next_cursor": page.next_cursor})
