"""Staff pages: the home page, the customer search, the read-only customer view, and freezing
and unfreezing an account. Views parse input, call one staff service (which checks the role
again and writes the audit log) and render or redirect.

Staff move no money of their own accord: the customer view has no deposit, withdrawal or
transfer forms. Fraud analysts and admins place and lift holds, and release (post) or void a
transfer the customer made that waits for review.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ...domain.accounts import Account, format_account_number
from ...domain.errors import AccountNotFound, BankError, HoldNotOpen, NotPermitted, Refusal
from ...domain.security import Permission
from ...services import approvals, holds, staff
from ..context import bank
from ..filters import money
from ..forms import ServiceForm
from . import bp
from .forms import (
    ROLE_NAMES,
    FreezeForm,
    HoldActionForm,
    HoldForm,
    NoteForm,
    SearchForm,
    UnfreezeForm,
)
from .policy import actor, can, guard, requires, staff_user


def refused(form: ServiceForm, error: BankError, template: str, **context: Any) -> Any:
    """The form again with the service's messages; a role refusal is never a form message
    (the error vocabulary has no status for it), it is the 403 page."""
    if isinstance(error, NotPermitted):
        raise error
    return form.refused(error, template, **context)


guard(bp)


@bp.errorhandler(NotPermitted)
def not_permitted(error: NotPermitted) -> tuple[str, int]:
    # The policy refuses first; this answers a service that refuses on its own (its role
    # check is the second line), with the same 403 page.
    return render_template("error.html", status=403, message="Forbidden"), 403


@bp.context_processor
def staff_helpers() -> dict[str, Any]:
    return {"can": can, "Permission": Permission, "role_name": lambda r: ROLE_NAMES[r]}


@bp.get("")
@requires()
def home() -> str:
    user = staff_user()
    waiting = approvals.pending(bank(), user) if can(Permission.VIEW_CUSTOMERS) else []
    return render_template("staff/home.html", user=user, waiting=len(waiting))


@bp.get("/customers")
@requires(Permission.VIEW_CUSTOMERS)
def search() -> Any:
    form = SearchForm(formdata=request.args)
    if "q" not in request.args:
        return render_template("staff/search.html", form=form, results=None)
    try:
        results = staff.search_customers(bank(), staff_user(), form.q.data, actor())
    except BankError as error:
        return refused(form, error, "staff/search.html", results=None)
    return render_template("staff/search.html", form=form, results=results)


@bp.get("/customers/<user_id>")
@requires(Permission.VIEW_CUSTOMERS)
def customer(user_id: str) -> str:
    view = staff.view_customer(bank(), staff_user(), user_id, actor())
    return render_template(
        "staff/customer.html",
        view=view,
        now=bank().now(),
        hold_action=HoldActionForm(),
        note_form=NoteForm(),
        actions=approvals.ACTIONS,
    )


@bp.route("/customers/<user_id>/accounts/<account_id>/hold", methods=["GET", "POST"])
@requires(Permission.HOLD_FUNDS)
def place_hold(user_id: str, account_id: str) -> Any:
    form = HoldForm()
    view, account = _account_of(user_id, account_id)
    if form.validate_on_submit():
        try:
            hold = holds.place_staff_hold(
                bank(),
                staff_user(),
                account.id,
                amount=form.amount.data,
                reason=form.reason.data,
                expires_at=form.expires_at.data,
                actor=actor(),
            )
        except BankError as error:
            return refused(form, error, "staff/hold.html", view=view, account=account)
        flash(
            f"Placed a hold of {money(hold.amount)} on {format_account_number(account.number)}.",
            "success",
        )
        return redirect(url_for(".customer", user_id=user_id))
    return form.page("staff/hold.html", view=view, account=account)


@bp.post("/customers/<user_id>/accounts/<account_id>/holds/<hold_id>/<action>")
@requires(Permission.HOLD_FUNDS)
def resolve_hold(user_id: str, account_id: str, hold_id: str, action: str) -> Any:
    """Release (post a pending transfer, lift a staff hold) or void; audited."""
    resolve = {"release": holds.release, "void": holds.void}.get(action)
    if resolve is None:
        raise AccountNotFound("no such action")
    _account_of(user_id, account_id)  # the account is this customer's, or 404
    if not HoldActionForm().validate_on_submit():
        flash("The page had expired, so nothing was done. Try again.", "error")
        return redirect(url_for(".customer", user_id=user_id))
    try:
        done = resolve(bank(), staff_user(), account_id, hold_id, actor())
    except HoldNotOpen:
        flash("Someone resolved that hold first; nothing was done.", "error")
        return redirect(url_for(".customer", user_id=user_id))
    except Refusal as error:  # a pending transfer the recipient cannot take now
        flash(f"Not released: {error.message}", "error")
        return redirect(url_for(".customer", user_id=user_id))
    what = "Sent the transfer" if done.transaction_id else f"{action.title()}d the hold"
    flash(f"{what} ({money(done.amount)}).", "success")
    return redirect(url_for(".customer", user_id=user_id))


def _account_of(user_id: str, account_id: str) -> tuple[staff.CustomerView, Account]:
    """The customer and their account, for a page about it (a 404 if it is not theirs)."""
    view = staff.view_customer(bank(), staff_user(), user_id, actor())
    for account in view.accounts:
        if account.id == account_id:
            return view, account
    raise AccountNotFound("no such account")


def _set_frozen(user_id: str, account_id: str, *, frozen: bool) -> Any:
    """Freeze at once; unfreezing is asked for, and happens once a second person approves
    (web/staff/approvals.py)."""
    form = FreezeForm() if frozen else UnfreezeForm()
    if form.validate_on_submit():
        view, account = _account_of(user_id, account_id)
        try:
            if frozen:
                staff.set_frozen(
                    bank(),
                    staff_user(),
                    account.id,
                    frozen=True,
                    reason=form.reason.data,
                    customer_message=form.customer_message.data,
                    actor=actor(),
                )
            else:
                approvals.request_action(
                    bank(), staff_user(), "unfreeze_account", account.id, form.reason.data, actor()
                )
        except BankError as error:
            return refused(
                form, error, "staff/freeze.html", view=view, account=account, frozen=frozen
            )
        number = format_account_number(account.number)
        if frozen:
            flash(f"Froze account {number}.", "success")
        else:
            flash(
                f"Asked for approval to unfreeze account {number}: it stays frozen until "
                "another member of staff approves.",
                "success",
            )
        return redirect(url_for(".customer", user_id=account.user_id))
    view, account = _account_of(user_id, account_id)
    return form.page("staff/freeze.html", view=view, account=account, frozen=frozen)


@bp.route("/customers/<user_id>/accounts/<account_id>/freeze", methods=["GET", "POST"])
@requires(Permission.FREEZE_ACCOUNTS)
def freeze(user_id: str, account_id: str) -> Any:
    return _set_frozen(user_id, account_id, frozen=True)


@bp.route("/customers/<user_id>/accounts/<account_id>/unfreeze", methods=["GET", "POST"])
@requires(Permission.FREEZE_ACCOUNTS)
def unfreeze(user_id: str, account_id: str) -> Any:
    return _set_frozen(user_id, account_id, frozen=False)
