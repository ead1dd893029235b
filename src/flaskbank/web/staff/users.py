"""User management for admins: the list of users, new staff users (the one-time password is
shown once, on the answer to the post, and never stored in clear), roles, ending a user's
sessions and tokens, and unlocking a login that failed too often."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from ...domain.accounts import User
from ...domain.errors import BankError
from ...domain.security import Permission
from ...services import customers, staff
from ..context import bank
from . import bp
from .forms import ROLE_NAMES, ConfirmForm, CreateStaffForm, RoleForm, UnlockForm
from .policy import actor, requires, staff_user
from .views import refused


def _user(user_id: str) -> User:
    user = customers.get_user(bank(), user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@requires(Permission.MANAGE_USERS)
def users() -> str:
    cursor = request.args.get("cursor") or None
    page = staff.list_users(bank(), staff_user(), cursor)
    return render_template("staff/users.html", page=page, cursor=cursor)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def new_user() -> Any:
    form = CreateStaffForm()
    if form.validate_on_submit():
        try:
            user, password = staff.create_staff(
                bank(),
                email=form.email.data,
                full_name=form.full_name.data,
                role=form.role.data,
                actor=actor(),
            )
        except BankError as error:
            return refused(form, error, "staff/new_user.html")
        # Shown on this answer only (not after a redirect, which would have to keep it
        # somewhere); the page is not cached, and the password must be changed at first login.
        return render_template("staff/created.html", person=user, password=password), 201
    return form.page("staff/new_user.html")


@bp.get("/users/<user_id>")
@requires(Permission.MANAGE_USERS)
def user(user_id: str) -> str:
    found = _user(user_id)
    return render_template(
        "staff/user.html",
        form=RoleForm(role=found.role.value),
        person=found,
        revoke_form=ConfirmForm(),
    )


@bp.post("/users/<user_id>/role")
@requires(Permission.MANAGE_USERS)
def change_role(user_id: str) -> Any:
    found = _user(user_id)
    form = RoleForm()
    page = {"person": found, "revoke_form": ConfirmForm()}
    if form.validate_on_submit():
        try:
            changed = staff.change_role(bank(), staff_user(), found.id, form.role.data, actor())
        except BankError as error:
            return refused(form, error, "staff/user.html", **page)
        flash(
            f"{changed.email} is now {ROLE_NAMES[changed.role]}; their sessions ended.", "success"
        )
        return redirect(url_for(".user", user_id=found.id))
    return form.page("staff/user.html", **page)


@bp.post("/users/<user_id>/revoke")
@requires(Permission.MANAGE_USERS)
def revoke(user_id: str) -> Any:
    found = _user(user_id)
    if ConfirmForm().validate_on_submit():
        ended = staff.revoke_sessions(bank(), staff_user(), found.id, actor())
        flash(f"Ended {ended} session(s) and API token(s) of {found.email}.", "success")
    return redirect(url_for(".user", user_id=found.id))


@bp.route("/logins/unlock", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def unlock() -> Any:
    form = UnlockForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        try:
            staff.unlock_login(bank(), staff_user(), form.email.data, actor())
        except BankError as error:
            return refused(form, error, "staff/unlock.html")
        flash(f"Logins for {form.email.data.strip()} are unlocked.", "success")
        return redirect(url_for(".unlock"))
    return form.page("staff/unlock.html")
