"""Forgot password, the emailed reset link, and email confirmation (services/recovery.py).

An emailed link opens a page with a form; only posting the form uses the link up, so that a
mail scanner that opens every link in a message uses up none."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...domain.errors import BankError, LinkNotValid
from ...domain.links import LinkPurpose
from ...services import links, recovery
from ..context import bank, client_ip, login_required, signed_in
from . import bp
from .forms import ConfirmEmailForm, ForgotPasswordForm, ResetPasswordForm

#: Said whether or not the address is a customer's: the answer gives nobody away.
SENT = (
    "If an account exists for that address, we have sent a link to reset its password. "
    "It works once, for 30 minutes. Check your inbox (and your spam folder)."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.request_password_reset(bank(), email=form.email.data, ip=client_ip())
        except BankError as error:
            return form.refused(error, "auth/forgot.html")
        flash(SENT, "info")
        return redirect(url_for("auth.login"))
    return form.page("auth/forgot.html")


@bp.route(links.RESET_PATH + "<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    try:
        user = recovery.check_reset_link(bank(), token)
    except LinkNotValid as error:
        return _link_refused(error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.reset_password(
                bank(), token=token, new_password=form.new_password.data, ip=client_ip()
            )
        except LinkNotValid as error:
            return _link_refused(error)
        except BankError as error:
            return form.refused(error, "auth/reset.html", email=user.email)
        flash("Your password is changed. Log in with it now.", "success")
        flash("Every other session and API token has ended.", "info")
        return redirect(url_for("auth.login"))
    return form.page("auth/reset.html", email=user.email)


@bp.route(links.CONFIRM_PATH + "<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Any:
    form = ConfirmEmailForm()
    try:
        if form.validate_on_submit():
            user = recovery.confirm_email(bank(), token=token, ip=client_ip())
            flash(f"Thank you: {user.email} is confirmed.", "success")
            return redirect(url_for("banking.dashboard"))
        links.valid_link(bank(), token, LinkPurpose.CONFIRM_EMAIL)
    except LinkNotValid as error:
        return _link_refused(error)
    return form.page("auth/confirm_email.html")


@bp.post("/profile/email/confirm")
@login_required
def resend_confirmation() -> Response:
    user = signed_in()
    if recovery.resend_confirmation(bank(), user, ip=client_ip()):
        flash(f"We have sent a new link to {user.email}.", "info")
    else:
        flash(f"{user.email} is confirmed already.", "info")
    return redirect(url_for("auth.profile"))


def _link_refused(error: LinkNotValid) -> tuple[str, int]:
    return render_template("auth/link_refused.html", message=error.message), 410
