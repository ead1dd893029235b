"""Per-request access to the bank and the signed-in user, for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import abort, current_app, g, redirect, request, session, url_for

from ..domain.accounts import Role, User
from ..domain.security import device_of, may_sign_in
from ..services import customers, tokens
from ..services.bank import Bank
from .sessions import USER_KEY, renew_session

F = TypeVar("F", bound=Callable[..., Any])

#: Session keys of a login whose password was right but whose second factor is still due.
PENDING_USER = "pending_user_id"
PENDING_NEXT = "pending_next"
#: The user's security stamp when this session signed in.
STAMP_KEY = "stamp"
#: The browser's User-Agent and device name when it signed in (the security page lists them).
AGENT_KEY = "agent"
BROWSER_KEY = "browser"


def bank() -> Bank:
    return current_app.extensions["flaskbank"]  # type: ignore[no-any-return]


def client_ip() -> str:
    return request.remote_addr or ""


def client_device() -> str:
    """The request's device as monitoring names it (a fingerprint of its User-Agent)."""
    return device_of(request.headers.get("User-Agent", ""))


def current_user() -> User | None:
    """The browser session's user (cached for the request). A session begun before the
    user's security stamp changed (password, email or role change, "end sessions") has
    ended: it is emptied, and the session interface deletes it."""
    if "user" not in g:
        user_id = session.get(USER_KEY)
        user = customers.get_user(bank(), user_id) if isinstance(user_id, str) else None
        # A session begun under the demo by a demo-only user ends when the same store is
        # served for real (may_sign_in).
        if user is not None and (
            session.get(STAMP_KEY, "") != user.security_stamp
            or not may_sign_in(user, demo=bank().settings.demo)
        ):
            session.clear()
            user = None
        g.user = user
    return cast(User | None, g.user)


def signed_in() -> User:
    """The signed-in user, behind login_required (401 if the account vanished meanwhile)."""
    user = current_user()
    if user is None:
        abort(401)
    return user


def here() -> str:
    """This page's path and query, to come back to after logging in ("/a", not "/a?")."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=here()))
        return view(*args, **kwargs)

    return cast(F, wrapped)


#: Where each staff role's work is: it lands there after signing in, and the customer pages
#: send it there.
LANDING = {
    Role.FRAUD_ANALYST: "staff.monitoring",
    Role.FINANCIAL_MANAGER: "staff.reports",
    Role.COMPLIANCE_OFFICER: "staff.compliance_review",
    Role.ADMIN: "staff.home",
}


def home_of(user: User | None) -> str:
    """The endpoint a person's home is: their role's work for staff, the dashboard for a
    customer (and for nobody signed in, which the dashboard sends to the login page)."""
    if user is None or not user.is_staff:
        return "banking.dashboard"
    return LANDING.get(user.role, "staff.home")


def sign_in(user: User) -> None:
    """Both factors passed: a fresh session under a new id, so nothing from before (and no
    id an attacker planted) carries over."""
    from .devices import browser, user_agent

    session.clear()
    session[USER_KEY] = user.id
    session[STAMP_KEY] = user.security_stamp
    session[AGENT_KEY] = user_agent()
    session[BROWSER_KEY] = browser()
    renew_session(session)
    g.user = user


def keep_signed_in(user: User) -> None:
    """After this person's own password or email change: this browser carries on under the
    new security stamp and a new session id; every other session has ended."""
    session[STAMP_KEY] = user.security_stamp
    renew_session(session)
    g.user = user


def await_second_factor(user: User, next_path: str | None) -> None:
    """The password was right; the code is still due. Not signed in yet."""
    session.clear()
    session[PENDING_USER] = user.id
    if next_path:
        session[PENDING_NEXT] = next_path
    renew_session(session)
    g.user = None


def pending_user() -> User | None:
    user_id = session.get(PENDING_USER)
    user = customers.get_user(bank(), user_id) if isinstance(user_id, str) else None
    # A password step passed under the demo completes nowhere else.
    return user if user is not None and may_sign_in(user, demo=bank().settings.demo) else None


def sign_out() -> None:
    """Empty the session: the session interface deletes its record from the store at once."""
    session.clear()
    g.user = None


#: Longer than any token we issue; a longer header is refused without hashing it.
TOKEN_MAX = 256


def bearer_token() -> str | None:
    """The token in the Authorization header, or None when there is none in Bearer form."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX or " " in token:
        return None
    return token


def token_user() -> User | None:
    """The live token's user, or None; looked up once per request (the rate limiter asks
    before the view does)."""
    if "token_user" not in g:
        token = bearer_token()
        g.token_user = tokens.user_for_token(bank(), token) if token is not None else None
    return cast(User | None, g.token_user)
