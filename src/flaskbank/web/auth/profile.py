"""The profile: name and email, and the password (API tokens: api_access.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, session, url_for

from ...domain.accounts import User
from ...domain.errors import BankError
from ...domain.personal import DETAILS
from ...services import customers, recovery
from ..context import bank, client_ip, keep_signed_in, login_required, signed_in
from ..sessions import session_hash
from . import bp
from .forms import PasswordForm, ProfileForm


def _details_given(form: ProfileForm, user: User) -> dict[str, str | None]:
    """The personal details as the form gives them, but a blank one the customer never gave
    (they registered before the bank asked) is left out rather than refused, so that they
    can still change their name; one given before cannot be blanked."""
    given = {}
    for name in DETAILS:
        value = getattr(form, name).data or ""
        given[name] = None if not value.strip() and not getattr(user, name) else value
    return given


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    user = signed_in()
    form = ProfileForm(
        data={
            "full_name": user.full_name,
            "email": user.email,
            "phone": user.phone,
            "address": user.address,
            "date_of_birth": user.date_of_birth,
        }
    )
    page = {
        "user": user,
        "confirmed": recovery.email_confirmed(bank(), user),
    }
    if form.validate_on_submit():
        try:
            updated = customers.update_profile(
                bank(),
                user.id,
                full_name=form.full_name.data,
                email=form.email.data,
                current_password=form.old_password.data,
                otp=form.otp.data,
                ip=client_ip(),
                **_details_given(form, user),
            )
        except BankError as error:
            return form.refused(error, "auth/profile.html", **page)
        flash("Your profile is saved.", "success")
        if updated.security_stamp != user.security_stamp:
            keep_signed_in(updated)
            flash("Your other sessions and your API tokens have ended.", "info")
        return redirect(url_for("auth.profile"))
    return form.page("auth/profile.html", **page)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    user = signed_in()
    form = PasswordForm()
    page = {"has_two_factor": user.has_two_factor}
    if form.validate_on_submit():
        try:
            # Every other session and every API token ends; this browser carries on under a
            # new session id.
            updated = customers.change_password(
                bank(),
                user.id,
                old_password=form.old_password.data,
                new_password=form.new_password.data,
                otp=form.otp.data,
                keep_session=session_hash(session),
                ip=client_ip(),
            )
        except BankError as error:
            return form.refused(error, "auth/password.html", **page)
        keep_signed_in(updated)
        flash("Your password is changed.", "success")
        flash("Your other sessions and your API tokens have ended.", "info")
        return redirect(url_for("auth.profile"))
    return form.page("auth/password.html", **page)
