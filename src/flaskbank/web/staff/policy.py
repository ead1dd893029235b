"""Who may open which staff page: one decorator per view, checked on every request.

The answer depends only on the signed-in user's role (domain.security.ROLE_PERMISSIONS):
- nobody signed in: the login page, which comes back here afterwards;
- a customer: 404, the same page as for a path that does not exist, so the staff area does
  not reveal itself to customers;
- staff whose role lacks the permission: 403;
- staff who still hold a one-time password: the password change page first.

The services check the role again (services.permissions.require); this is the web's half,
which decides what a person sees before any service runs. The blueprint also refuses any
view that was registered without the decorator (deny by default).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for

from ...domain.accounts import User
from ...domain.security import Permission, allows
from ...services.audit import Actor
from ..context import client_ip, current_user, here

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute `requires` leaves on a view, read by the deny-by-default guard and the tests.
MARK = "staff_permissions"


class Verdict(Enum):
    ALLOWED = "allowed"
    SIGN_IN = "sign in"
    HIDDEN = "hidden"  # answered as 404
    FORBIDDEN = "forbidden"  # answered as 403


def verdict(user: User | None, permissions: tuple[Permission, ...]) -> Verdict:
    """What `user` gets for a staff page that needs all of `permissions` (none: any staff)."""
    if user is None:
        return Verdict.SIGN_IN
    if not user.is_staff:
        return Verdict.HIDDEN
    if not all(allows(user.role, p) for p in permissions):
        return Verdict.FORBIDDEN
    return Verdict.ALLOWED


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Run the view only for staff whose role has every one of `permissions`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            found = verdict(user, permissions)
            if found is Verdict.SIGN_IN:
                return redirect(url_for("auth.login", next=here()))
            if found is Verdict.HIDDEN:
                abort(404)
            if found is Verdict.FORBIDDEN:
                abort(403)
            user = cast(User, user)  # ALLOWED implies a user
            if user.must_change_password:
                flash("Choose your own password before using the staff area.", "info")
                return redirect(url_for("auth.change_password"))
            g.staff_user = user
            return view(*args, **kwargs)

        setattr(wrapped, MARK, permissions)
        return cast(F, wrapped)

    return decorate


def staff_user() -> User:
    """The staff member the policy let through (inside a `requires` view)."""
    return cast(User, g.staff_user)


def can(permission: Permission) -> bool:
    """For templates: whether the signed-in staff member's role allows `permission`."""
    user = g.get("staff_user")
    return user is not None and allows(user.role, permission)


def guarded(view: Callable[..., Any] | None) -> bool:
    return view is not None and hasattr(view, MARK)


def actor() -> Actor:
    """The staff member and address every audit line of this request names."""
    return Actor.of(staff_user(), client_ip())


def guard(blueprint: Blueprint) -> None:
    """Deny by default and never cache: every staff blueprint, pages and API alike."""

    @blueprint.before_request
    def deny_unguarded() -> None:
        # A view added without `requires` is answered like no page at all.
        if not guarded(current_app.view_functions.get(request.endpoint or "")):
            abort(404)

    @blueprint.after_request
    def no_store(response: Response) -> Response:
        # Customer data and one-time passwords are nobody's to cache.
        response.headers.setdefault("Cache-Control", "no-store")
        return response
