"""Views for an account's settings (nickname, primary account, closing) and saved payees:
parse the form, call one service, redirect with what happened. Someone else's account or
payee is a 404 (the services raise AccountNotFound / PayeeNotFound)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as Redirect

from ...domain.errors import BankError, ValidationFailed
from ...services import accounts, payees
from ...services.audit import Actor
from ..context import bank, client_ip, login_required, signed_in
from ..filters import money
from . import bp
from .housekeeping_forms import (
    CloseAccountForm,
    NicknameForm,
    PayeeForm,
    PrimaryForm,
    RemovePayeeForm,
    RenamePayeeForm,
)

EXPIRED = "The page had expired, so nothing was changed. Try again."


def _settings(account_id: str, **forms: Any) -> tuple[str, int]:
    user = signed_in()
    account = accounts.account_of(bank(), user.id, account_id)
    nickname = forms.get("nickname") or NicknameForm(nickname=account.nickname)
    page = render_template(
        "banking/account_settings.html",
        account=account,
        nickname_form=nickname,
        primary_form=PrimaryForm(),
        close_form=forms.get("close") or CloseAccountForm(),
    )
    return page, 422 if forms else 200


@bp.get("/accounts/<account_id>/settings")
@login_required
def account_settings(account_id: str) -> tuple[str, int]:
    return _settings(account_id)


@bp.post("/accounts/<account_id>/nickname")
@login_required
def rename_account(account_id: str) -> Any:
    form = NicknameForm()
    if not form.validate_on_submit():
        return _settings(account_id, nickname=form)
    try:
        account = accounts.rename_account(bank(), signed_in().id, account_id, form.nickname.data)
    except ValidationFailed as error:
        form.refuse(error)
        return _settings(account_id, nickname=form)
    flash(
        f"Nickname saved: {account.nickname}." if account.nickname else "Nickname removed.",
        "success",
    )
    return redirect(url_for(".account_settings", account_id=account_id))


@bp.post("/accounts/<account_id>/primary")
@login_required
def choose_primary(account_id: str) -> Redirect:
    if not PrimaryForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for(".account_settings", account_id=account_id))
    try:
        accounts.choose_primary(bank(), signed_in().id, account_id)
    except ValidationFailed as error:
        flash(f"Not changed: {' '.join(error.errors.values())}.", "error")
        return redirect(url_for(".account_settings", account_id=account_id))
    flash("Money sent to your email now arrives in this account.", "success")
    return redirect(url_for(".account_settings", account_id=account_id))


@bp.post("/accounts/<account_id>/close")
@login_required
def close_account(account_id: str) -> Any:
    form = CloseAccountForm()
    if not form.validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for(".account_settings", account_id=account_id))
    user = signed_in()
    try:
        closed = accounts.close_account(bank(), Actor.of(user, client_ip()), account_id)
    except BankError as error:
        return form.refused(
            error,
            "banking/account_settings.html",
            account=accounts.account_of(bank(), user.id, account_id),
            nickname_form=NicknameForm(),
            primary_form=PrimaryForm(),
            close_form=form,
        )
    flash(
        f"Closed the account ending {closed.number[-4:]}; its history and statements stay "
        f"readable. Final balance {money(closed.balance)}.",
        "success",
    )
    return redirect(url_for(".dashboard"))


# -- saved payees ---------------------------------------------------------------------------


def _payee_page(form: PayeeForm | None = None) -> tuple[str, int]:
    user = signed_in()
    page = render_template(
        "banking/payees.html",
        form=form or PayeeForm(),
        payees=payees.payees_of(bank(), user.id),
        rename=RenamePayeeForm(),
        remove=RemovePayeeForm(),
    )
    return page, 422 if form is not None and form.errors else 200


@bp.route("/payees", methods=["GET", "POST"])
@login_required
def payee_list() -> Any:
    form = PayeeForm()
    if not form.validate_on_submit():
        return _payee_page(form if form.is_submitted() else None)
    try:
        payee = payees.add_payee(
            bank(),
            signed_in().id,
            nickname=form.nickname.data,
            account_number=form.account_number.data,
            email=form.email.data,
        )
    except BankError as error:
        form.refuse(error)
        return _payee_page(form)
    flash(f"Saved {payee.nickname} as a payee.", "success")
    return redirect(url_for(".payee_list"))


@bp.post("/payees/<payee_id>/rename")
@login_required
def rename_payee(payee_id: str) -> Any:
    form = RenamePayeeForm()
    user = signed_in()
    payees.payee_of(bank(), user.id, payee_id)  # a 404 before anything else
    if not form.validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for(".payee_list"))
    try:
        payee = payees.rename_payee(bank(), user.id, payee_id, form.nickname.data)
    except ValidationFailed as error:
        flash(f"Not renamed: {' '.join(error.errors.values())}.", "error")
        return redirect(url_for(".payee_list"))
    flash(f"Renamed the payee to {payee.nickname}.", "success")
    return redirect(url_for(".payee_list"))


@bp.post("/payees/<payee_id>/remove")
@login_required
def remove_payee(payee_id: str) -> Redirect:
    user = signed_in()
    payee = payees.payee_of(bank(), user.id, payee_id)
    if not RemovePayeeForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for(".payee_list"))
    payees.remove_payee(bank(), user.id, payee.id)
    flash(f"Removed {payee.nickname} from your payees.", "success")
    return redirect(url_for(".payee_list"))
