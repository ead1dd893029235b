"""Staff pages about one customer beyond their view: each account's full history and
monthly statements, internal notes, and asking for a second-factor reset, a password reset
link or the closing of an account with a balance (which a second person approves,
web/staff/approvals.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...domain.accounts import format_account_number
from ...domain.errors import AccountNotFound, BankError, ValidationFailed
from ...domain.security import Permission
from ...services import account_closing, approvals, notes, staff, staff_customers
from ..banking.forms import HistoryFilterForm
from ..context import bank
from . import bp
from .forms import ApprovalRequestForm, CloseAccountForm, NoteForm
from .policy import actor, requires, staff_user


@bp.get("/customers/<user_id>/accounts/<account_id>/history")
@requires(Permission.VIEW_CUSTOMERS)
def customer_history(user_id: str, account_id: str) -> Any:
    form = HistoryFilterForm(formdata=request.args)
    cursor = request.args.get("cursor") or None
    try:
        customer, account, page = staff_customers.account_history(
            bank(),
            staff_user(),
            user_id,
            account_id,
            actor(),
            cursor=cursor,
            since=form.since.data,
            until=form.until.data,
            type=form.type.data,
            q=form.q.data,
        )
    except ValidationFailed as error:  # the filters'; a 404 or a 403 is raised on
        customer = notes.customer_of(bank(), user_id)
        return form.refused(
            error,
            "staff/history.html",
            customer=customer,
            account=None,
            account_id=account_id,
            page=None,
            cursor=cursor,
        )
    return render_template(
        "staff/history.html",
        form=form,
        customer=customer,
        account=account,
        account_id=account.id,
        page=page,
        cursor=cursor,
    )


@bp.get("/customers/<user_id>/accounts/<account_id>/statements/<month>")
@requires(Permission.VIEW_CUSTOMERS)
def customer_statement(user_id: str, account_id: str, month: str) -> Any:
    customer, found = staff_customers.account_statement(
        bank(), staff_user(), user_id, account_id, month, actor()
    )
    return render_template("staff/statement.html", customer=customer, statement=found)


@bp.post("/customers/<user_id>/notes")
@requires(Permission.VIEW_CUSTOMERS)
def add_note(user_id: str) -> Response:
    form = NoteForm()
    if not form.validate_on_submit():
        flash("The page had expired, so the note was not added. Try again.", "error")
        return redirect(url_for(".customer", user_id=user_id, _anchor="notes"))
    try:
        notes.add_note(bank(), staff_user(), user_id, form.text.data, actor())
    except ValidationFailed as error:
        flash(f"The note was not added: {error.message}", "error")
        return redirect(url_for(".customer", user_id=user_id, _anchor="notes"))
    flash("Note added.", "success")
    return redirect(url_for(".customer", user_id=user_id, _anchor="notes"))


@bp.route("/customers/<user_id>/second-factor-reset", methods=["GET", "POST"])
@requires(Permission.VIEW_CUSTOMERS)
def request_second_factor_reset(user_id: str) -> Any:
    return _ask(
        user_id,
        "reset_second_factor",
        "staff/second_factor.html",
        "Asked for approval: another member of staff resets the second factor once they approve.",
    )


@bp.route("/customers/<user_id>/password-reset", methods=["GET", "POST"])
@requires(Permission.VIEW_CUSTOMERS)
def request_password_reset(user_id: str) -> Any:
    return _ask(
        user_id,
        "send_password_reset",
        "staff/password_reset.html",
        "Asked for approval: the customer is emailed a reset link once another member of "
        "staff approves.",
    )


def _ask(user_id: str, action: str, template: str, asked: str) -> Any:
    """A request for two-person approval of `action` on a customer, with the reason."""
    form = ApprovalRequestForm()
    customer = notes.customer_of(bank(), user_id)
    page = {"customer": customer}
    if form.validate_on_submit():
        try:
            approvals.request_action(
                bank(), staff_user(), action, customer.id, form.reason.data, actor()
            )
        except ValidationFailed as error:
            return form.refused(error, template, **page)
        flash(asked, "success")
        return redirect(url_for(".customer", user_id=customer.id))
    return form.page(template, **page)


@bp.route("/customers/<user_id>/accounts/<account_id>/close", methods=["GET", "POST"])
@requires(Permission.VIEW_CUSTOMERS)
def request_account_closing(user_id: str, account_id: str) -> Any:
    """Ask to close an account and move its balance out (services/account_closing.py)."""
    view = staff.view_customer(bank(), staff_user(), user_id, actor())
    account = next((a for a in view.accounts if a.id == account_id), None)
    if account is None:
        raise AccountNotFound("no such account")
    form = CloseAccountForm()
    others = account_closing.destinations(bank(), account)
    form.detail.choices = [
        *(
            (a.id, f"{a.nickname or a.type.value.title()} {format_account_number(a.number)}")
            for a in others
        ),
        (account_closing.PAYOUT, "Pay out by cheque"),
    ]
    page = {"view": view, "account": account}
    if form.validate_on_submit():
        try:
            approvals.request_action(
                bank(),
                staff_user(),
                "close_account",
                account.id,
                form.reason.data,
                actor(),
                form.detail.data,
            )
        except BankError as error:
            return form.refused(error, "staff/close_account.html", **page)
        flash(
            f"Asked for approval to close account {format_account_number(account.number)}: "
            "the balance moves and the account closes once another member of staff approves.",
            "success",
        )
        return redirect(url_for(".customer", user_id=user_id))
    return form.page("staff/close_account.html", **page)
