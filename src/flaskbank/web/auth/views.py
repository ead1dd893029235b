"""Views: parse input, call one service, render or redirect.

Signing up, in and out, and the profile. A form view answers the blank form, redirects after
a success (so a reload does not post again), and otherwise shows what the person typed with
the service's messages (ServiceForm.page / ServiceForm.refused).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from ...domain.accounts import User
from ...domain.errors import BankError
from ...services import customers
from ..context import bank, current_user, login_required, sign_in, sign_out
from . import bp
from .forms import LoginForm, PasswordForm, ProfileForm, RegisterForm


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


def signed_in() -> User:
    """The signed-in user, behind login_required (401 if the account vanished meanwhile)."""
    user = current_user()
    if user is None:
        abort(401)
    return user


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    # A function, not the user: pages that do not show the nav never ask the store.
    return {"current_user": current_user}


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = customers.register(bank(), email=form.email.data,
                                      full_name=form.full_name.data, password=form.password.data)
        except BankError as error:
            return form.refused(error, "auth/register.html")
        sign_in(user)
        flash(f"Welcome, {user.full_name}. Open your first account to get started.", "success")
        return redirect(url_for("banking.dashboard"))
    return form.page("auth/register.html")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    next_path = local_path(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = customers.authenticate(bank(), email=form.email.data,
                                          password=form.password.data)
        except BankError as error:
            return form.refused(error, "auth/login.html", next_path=next_path)
        sign_in(user)
        return redirect(next_path or url_for("banking.dashboard"))
    return form.page("auth/login.html", next_path=next_path)


@bp.post("/logout")
def logout() -> Response:
    sign_out()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    user = signed_in()
    form = ProfileForm(data={"full_name": user.full_name, "email": user.email})
    if form.validate_on_submit():
        try:
            customers.update_profile(bank(), user.id, full_name=form.full_name.data,
                                     email=form.email.data)
        except BankError as error:
            return form.refused(error, "auth/profile.html", user=user)
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.profile"))
    return form.page("auth/profile.html", user=user)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    user = signed_in()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            customers.change_password(bank(), user.id, old_password=form.old_password.data,
                                      new_password=form.new_password.data)
        except BankError as error:
            return form.refused(error, "auth/password.html")
        flash("Your password is changed.", "success")
        return redirect(url_for("auth.profile"))
    return form.page("auth/password.html")
