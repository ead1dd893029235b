"""Views: parse input, call one service, render or redirect.

Every page here is the signed-in customer's own: an account id that is not theirs raises
AccountNotFound in the service, which the error vocabulary answers with a 404 page.
Money movements redirect after posting (so a reload cannot post again) and carry a one-time
token, so a double click posts once.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from ...domain.accounts import format_account_number
from ...domain.errors import (
    BankError,
    HoldNotOpen,
    IdempotencyConflict,
    Refusal,
    StatementNotFound,
)
from ...domain.holds import Hold
from ...domain.ledger import PostResult
from ...services import (
    accounts,
    history,
    holds,
    payees,
    postings,
    standing_orders,
    transfer_review,
)
from ..context import bank, current_user, home_of, login_required, signed_in
from ..exports import statement_csv
from ..filters import money
from . import bp
from .forms import (
    CancelForm,
    DepositForm,
    HistoryFilterForm,
    MovementForm,
    OpenAccountForm,
    StandingOrderForm,
    StatementForm,
    TransferForm,
    WithdrawForm,
    currency_choices,
)

HISTORY_PAGE = 20
RECENT = 5
REUSED_FORM = (
    "This form was already used to post something different, so nothing was posted "
    "now. Check your history, then submit again."
)


@bp.before_request
def customers_only() -> Redirect | None:
    """Staff are not customers: their logins hold no accounts, and these pages send them to
    their own work (the service refuses to open them an account, also through the API)."""
    user = current_user()
    if user is not None and user.is_staff:
        return redirect(url_for(home_of(user)))
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    # Balances and forms with one-time tokens are nobody's to cache; the back button then
    # reloads a form with a fresh token instead of replaying an old one.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _posted(result: PostResult, account_id: str, done: str) -> Redirect:
    """Post/redirect/get, with a flash that says what happened (or that nothing did)."""
    if result.replayed:
        flash("This was already posted, so it was not posted again.", "info")
    else:
        entry = result.transaction.entry_for(account_id)
        flash(f"{done} Balance: {money(entry.balance_after)}", "success")
    return redirect(url_for(".dashboard"))


def _refused(form: MovementForm, error: BankError, template: str, **context: Any) -> Any:
    if isinstance(error, Refusal):
        # The refusal is kept under this token (a double click is refused alike); what the
        # person sends after correcting the form is a new request, so it gets a new token.
        form.renew_token()
    if isinstance(error, IdempotencyConflict):
        # The token went with other values before (a form kept from an earlier visit): show
        # the form with a new token rather than the API's wording about keys.
        form.renew_token()
        error = IdempotencyConflict(REUSED_FORM)
    return form.refused(error, template, **context)


@bp.get("/")
@login_required
def dashboard() -> str:
    user = signed_in()
    mine = accounts.accounts_of(bank(), user.id)
    recent = {a.id: history.history(bank(), user.id, a.id, limit=RECENT)[1].items for a in mine}
    # Only accounts with something on hold are asked for their holds.
    pending = {
        a.id: holds.holds_of(bank(), user.id, a.id, open_only=True) if a.held_minor else []
        for a in mine
    }
    return render_template(
        "banking/dashboard.html",
        user=user,
        accounts=mine,
        recent=recent,
        pending=pending,
        cancel=CancelForm(),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@login_required
def open_account() -> Any:
    user = signed_in()
    default = bank().settings.default_currency
    form = OpenAccountForm(currency=default)
    form.currency.choices = currency_choices(default)
    if form.validate_on_submit():
        try:
            account = accounts.open_account(
                bank(), user.id, type=form.type.data, currency=form.currency.data
            )
        except BankError as error:
            return form.refused(error, "banking/open_account.html")
        flash(
            f"Opened {account.type.value} account {format_account_number(account.number)} "
            f"in {account.currency}.",
            "success",
        )
        return redirect(url_for(".dashboard"))
    return form.page("banking/open_account.html")


# action -> (form, service, verb for the confirmation, its preposition)
_MOVEMENTS = {
    "deposit": (DepositForm, postings.deposit, "Deposited", "to"),
    "withdraw": (WithdrawForm, postings.withdraw, "Withdrew", "from"),
}


def _move_money(action: str, account_id: str) -> Any:
    form_class, service, verb, preposition = _MOVEMENTS[action]
    user = signed_in()
    account = accounts.account_of(bank(), user.id, account_id)
    form = form_class()
    page = {"account": account, "action": action, "title": action.title()}
    if form.validate_on_submit():
        try:
            result = service(
                bank(),
                user.id,
                account.id,
                amount=form.amount.data,
                memo=form.memo.data,
                idempotency_key=form.token.data,
            )
        except BankError as error:
            return _refused(form, error, "banking/movement.html", **page)
        number = format_account_number(account.number)
        return _posted(
            result, account.id, f"{verb} {money(result.transaction.amount)} {preposition} {number}."
        )
    return form.page("banking/movement.html", **page)


@bp.route("/accounts/<account_id>/deposit", methods=["GET", "POST"])
@login_required
def deposit(account_id: str) -> Any:
    return _move_money("deposit", account_id)


@bp.route("/accounts/<account_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(account_id: str) -> Any:
    return _move_money("withdraw", account_id)


@bp.route("/transfer", methods=["GET", "POST"])
@login_required
def transfer() -> Any:
    """Two steps: the form, then a review (amount, the recipient's masked name and account
    ending); money moves only when the review is confirmed, under the form's token."""
    user = signed_in()
    mine = accounts.accounts_of(bank(), user.id)
    form = TransferForm(
        from_account=request.args.get("from"), payee_id=request.args.get("payee", "")
    )
    form.offer(mine, payees.payees_of(bank(), user.id))
    submitted = form.validate_on_submit()
    # Only the review page sends `confirmed`; the form itself never does, so that what is
    # typed on it is always reviewed first.
    confirming = form.confirmed.data == "yes" and "edit" not in request.form
    form.confirmed.data = ""
    if not submitted or "edit" in request.form:
        return form.page("banking/transfer.html")
    own = form.own_number(mine)
    if form.errors:
        return form.page("banking/transfer.html")
    source = str(form.from_account.data)
    fields = {
        "amount": form.amount.data,
        "memo": form.memo.data,
        "to_account_number": own or form.to_account_number.data,
        "to_email": form.to_email.data,
        "payee_id": form.payee_id.data or None,
    }
    if not confirming:
        try:
            review = transfer_review.review_transfer(bank(), user.id, source, **fields)
        except BankError as error:
            return form.refused(error, "banking/transfer.html")
        return render_template("banking/transfer_review.html", form=form, review=review)
    try:
        result = postings.transfer(
            bank(), user.id, source, **fields, idempotency_key=form.token.data
        )
    except BankError as error:
        return _refused(form, error, "banking/transfer.html")
    if isinstance(result, Hold):
        flash(
            f"Your transfer of {money(result.amount)} is waiting for review. The amount "
            "is reserved on your account; nothing has been sent yet.",
            "info",
        )
        return redirect(url_for(".dashboard"))
    sent = result.transaction.entry_for(source)
    return _posted(
        result, source, f"Sent {money(result.transaction.amount)} to {sent.counterparty}."
    )


@bp.post("/accounts/<account_id>/holds/<hold_id>/cancel")
@login_required
def cancel_pending(account_id: str, hold_id: str) -> Redirect:
    """Withdraw one's own transfer while it waits for review."""
    if not CancelForm().validate_on_submit():
        flash("The page had expired, so nothing was cancelled. Try again.", "error")
        return redirect(url_for(".dashboard"))
    try:
        hold = holds.cancel_pending_transfer(bank(), signed_in().id, account_id, hold_id)
    except HoldNotOpen:
        flash("That transfer was already decided, so it could not be cancelled.", "error")
        return redirect(url_for(".dashboard"))
    flash(f"Cancelled the transfer of {money(hold.amount)}; nothing was sent.", "success")
    return redirect(url_for(".dashboard"))


@bp.route("/standing-orders", methods=["GET", "POST"])
@login_required
def standing_order_list() -> Any:
    user = signed_in()
    form = StandingOrderForm()
    form.offer(accounts.accounts_of(bank(), user.id))
    page = {"orders": standing_orders.orders_of(bank(), user.id), "cancel": CancelForm()}
    if form.validate_on_submit():
        try:
            order = standing_orders.create(
                bank(),
                user.id,
                from_account_id=form.from_account.data,
                to_account_number=form.to_account_number.data,
                amount=form.amount.data,
                day_of_month=form.day_of_month.data,
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                memo=form.memo.data,
            )
        except BankError as error:
            return form.refused(error, "banking/standing_orders.html", **page)
        flash(f"Standing order set up: the first payment is on {order.next_run}.", "success")
        return redirect(url_for(".standing_order_list"))
    return form.page("banking/standing_orders.html", **page)


@bp.post("/standing-orders/<order_id>/cancel")
@login_required
def cancel_standing_order(order_id: str) -> Redirect:
    if not CancelForm().validate_on_submit():
        flash("The page had expired, so nothing was cancelled. Try again.", "error")
        return redirect(url_for(".standing_order_list"))
    standing_orders.cancel(bank(), signed_in().id, order_id)
    flash("Standing order cancelled; it pays nothing more.", "success")
    return redirect(url_for(".standing_order_list"))


@bp.get("/accounts/<account_id>/history")
@login_required
def account_history(account_id: str) -> Any:
    user = signed_in()
    account = accounts.account_of(bank(), user.id, account_id)
    form = HistoryFilterForm(formdata=request.args)
    cursor = request.args.get("cursor") or None
    try:
        _, page = history.history(
            bank(),
            user.id,
            account.id,
            limit=HISTORY_PAGE,
            cursor=cursor,
            since=form.since.data,
            until=form.until.data,
            type=form.type.data,
            q=form.q.data,
            min_amount=form.min_amount.data,
            max_amount=form.max_amount.data,
        )
    except BankError as error:
        return form.refused(
            error, "banking/history.html", account=account, page=None, cursor=cursor
        )
    pending = holds.holds_of(bank(), user.id, account.id, open_only=True)
    return render_template(
        "banking/history.html",
        form=form,
        account=account,
        page=page,
        cursor=cursor,
        pending=pending,
        cancel=CancelForm(),
    )


def _month(form: StatementForm) -> str:
    return str(form.month.data or bank().now()[:7])


@bp.get("/accounts/<account_id>/statement")
@login_required
def statement(account_id: str) -> Any:
    user = signed_in()
    account = accounts.account_of(bank(), user.id, account_id)
    form = StatementForm(formdata=request.args)
    form.month.data = _month(form)
    try:
        found = history.statement(bank(), user.id, account.id, form.month.data)
    except StatementNotFound as error:
        # A 404, but on the page with its form, so the person can pick another month.
        form.refuse(error)
        return render_template(
            "banking/statement.html", form=form, account=account, statement=None
        ), 404
    except BankError as error:
        return form.refused(error, "banking/statement.html", account=account, statement=None)
    return render_template("banking/statement.html", form=form, account=account, statement=found)


@bp.get("/accounts/<account_id>/statement.csv")
@login_required
def statement_download(account_id: str) -> Response:
    user = signed_in()
    month = _month(StatementForm(formdata=request.args))
    found = history.statement(bank(), user.id, account_id, month)
    filename = f"statement-{found.account.number}-{found.month}.csv"
    return Response(
        statement_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
