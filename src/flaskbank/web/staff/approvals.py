"""The staff page of requests waiting for a second person's approval, with approve and
reject buttons for those the signed-in member of staff may decide."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...domain.accounts import format_account_number
from ...domain.approvals import ApprovalRequest
from ...domain.errors import AccountNotFound, NotPermitted, ValidationFailed
from ...domain.security import Permission
from ...services import account_closing, approvals
from ..context import bank
from . import bp
from .forms import HoldActionForm
from .policy import actor, requires, staff_user


@bp.context_processor
def approval_words() -> dict[str, Any]:
    return {"request_subject": request_subject}


def request_subject(r: ApprovalRequest) -> str:
    """The account a request acts on, and where its money goes, in words for the approver
    ("" for a request about the customer as a whole)."""
    kind = approvals.ACTIONS.get(r.action)
    if kind is None or kind.target_kind != "account":
        return ""
    account = bank().store.ledger.get_account(r.target)
    words = f"account {format_account_number(account.number)}" if account else r.target
    if r.detail == account_closing.PAYOUT:
        return f"{words}; the balance paid out by cheque"
    if r.detail:
        to = bank().store.ledger.get_account(r.detail)
        number = format_account_number(to.number) if to else r.detail
        return f"{words}; the balance to account {number}"
    return words


@bp.get("/approvals")
@requires(Permission.VIEW_CUSTOMERS)
def approval_list() -> str:
    user = staff_user()
    waiting = approvals.pending(bank(), user)
    return render_template(
        "staff/approvals.html",
        waiting=waiting,
        actions=approvals.ACTIONS,
        may_decide={r.id: approvals.may_decide(user, r) for r in waiting},
        names=_names(waiting),
        decide=HoldActionForm(),
        current_user_id=user.id,
    )


def _names(waiting: list[Any]) -> dict[str, str]:
    """The customers' names, to show instead of their ids."""
    found = {}
    for request in waiting:
        user = bank().store.users.get_user(request.customer_id)
        found[request.customer_id] = user.full_name if user else request.customer_id
    return found


@bp.post("/approvals/<request_id>/<decision>")
@requires(Permission.VIEW_CUSTOMERS)
def decide(request_id: str, decision: str) -> Response:
    act = {"approve": approvals.approve, "reject": approvals.reject}.get(decision)
    if act is None:
        raise AccountNotFound("no such decision")
    if not HoldActionForm().validate_on_submit():
        flash("The page had expired, so nothing was done. Try again.", "error")
        return redirect(url_for(".approval_list"))
    try:
        done = act(bank(), staff_user(), request_id, actor())
    except NotPermitted as error:
        flash(f"Not done: {error.message}.", "error")
        return redirect(url_for(".approval_list"))
    except ValidationFailed as error:
        flash(f"Not done: {' '.join(error.errors.values())}.", "error")
        return redirect(url_for(".approval_list"))
    title = approvals.ACTIONS[done.action].title.lower()
    flash(f"{decision.title()}d: {title}.", "success")
    return redirect(url_for(".approval_list"))
