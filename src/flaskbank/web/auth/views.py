"""Views: parse input, call one service, render or redirect.

Signing up, in (password, then the second factor when the account has one) and out. A form
view answers the blank form, redirects after a success (so a reload does not post again), and
otherwise shows what the person typed with the service's messages (ServiceForm.page /
ServiceForm.refused). The profile pages are in profile.py and two_factor.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ...demo_staff import code_to_show
from ...domain.accounts import User
from ...domain.errors import BankError
from ...domain.security import AuditAction
from ...services import authentication, customers
from ...services.audit import Actor, record
from ..context import (
    PENDING_NEXT,
    await_second_factor,
    bank,
    client_device,
    client_ip,
    current_user,
    home_of,
    pending_user,
    sign_in,
    sign_out,
)
from ..devices import browser, describe, user_agent
from . import bp
from .forms import CodeForm, LoginForm, RegisterForm

#: What a person who still owes a password change or a 2FA enrolment may open meanwhile.
DUTY_FREE = {
    "static",
    "auth.logout",
    "auth.change_password",
    "auth.two_factor",
    "auth.confirm_email",
}


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: `next` must not send a person who
    has just signed in to somebody else's site (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash ("/\evil.example") and drop tabs and newlines.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    # A function, not the user: pages that do not show the nav never ask the store.
    return {"current_user": current_user, "home_of": home_of}


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.before_app_request
def account_duties() -> Response | None:
    """A one-time password must be replaced, and a staff account must have two-factor
    authentication, before any other page opens."""
    if request.blueprint == "api" or request.endpoint in (None, *DUTY_FREE):
        return None
    user = current_user()
    if user is None:
        return None
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    if user.is_staff and not user.has_two_factor:
        return redirect(url_for("auth.two_factor"))
    return None


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = customers.register(
                bank(),
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
                browser=browser(),
                phone=form.phone.data,
                address=form.address.data,
                date_of_birth=form.date_of_birth.data,
            )
        except BankError as error:
            return form.refused(error, "auth/register.html")
        sign_in(user)
        flash(f"Welcome, {user.full_name}. Open your first account to get started.", "success")
        flash(f"We have sent a link to {user.email}: open it to confirm your address.", "info")
        return redirect(url_for("banking.dashboard"))
    return form.page("auth/register.html")


def _complete_login(user: User, next_path: str | None) -> Response:
    authentication.succeeded(
        bank(), user, client_ip(), client_device(), browser(), describe(user_agent())
    )
    sign_in(user)
    if user.must_change_password:
        flash("Choose a new password to replace your one-time password.", "info")
        return redirect(url_for("auth.change_password"))
    if user.is_staff and not user.has_two_factor:
        flash("Staff accounts need two-factor authentication: set it up now.", "info")
        return redirect(url_for("auth.two_factor"))
    return redirect(next_path or url_for(home_of(user)))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    next_path = local_path(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = authentication.check_password(
                bank(), email=form.email.data, password=form.password.data, ip=client_ip()
            )
        except BankError as error:
            return form.refused(error, "auth/login.html", next_path=next_path)
        if user.has_two_factor:
            await_second_factor(user, next_path)
            return redirect(url_for("auth.login_code"))
        return _complete_login(user, next_path)
    return form.page("auth/login.html", next_path=next_path)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    user = pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            authentication.check_second_factor(bank(), user, form.otp.data, client_ip())
        except BankError as error:
            return form.refused(error, "auth/login_code.html", demo_code=code_to_show(bank(), user))
        return _complete_login(user, local_path(session.get(PENDING_NEXT)))
    return form.page("auth/login_code.html", demo_code=code_to_show(bank(), user))


@bp.post("/logout")
def logout() -> Response:
    user = current_user()
    if user is not None:
        record(bank(), Actor.of(user, client_ip()), AuditAction.LOGOUT, user.id)
    sign_out()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))
