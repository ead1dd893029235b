"""Per-request access to the bank and the signed-in user, for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, redirect, request, session, url_for

from ..domain.accounts import User
from ..services import customers
from ..services.bank import Bank

F = TypeVar("F", bound=Callable[..., Any])


def bank() -> Bank:
    return current_app.extensions["flaskbank"]  # type: ignore[no-any-return]


def current_user() -> User | None:
    """The browser session's user (cached for the request)."""
    if "user" not in g:
        user_id = session.get("user_id")
        g.user = customers.get_user(bank(), user_id) if isinstance(user_id, str) else None
    return cast(User | None, g.user)


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def sign_in(user: User) -> None:
    session.clear()  # a fresh session at login, so nothing from before carries over
    session["user_id"] = user.id
    g.user = user


def sign_out() -> None:
    session.clear()
    g.user = None
