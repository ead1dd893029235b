"""Bearer authentication for the API.

Only the `Authorization: Bearer <token>` header is read: the browser's session cookie is never
consulted, so a page on another site cannot make a signed-in browser call the API (and the
blueprint is exempt from CSRF for that reason).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, g

from ...domain.accounts import User
from ..context import bearer_token, token_user
from ..problems import problem

F = TypeVar("F", bound=Callable[..., Any])


def unauthorized(detail: str, error: str | None = None) -> Response:
    """401 with the challenge RFC 6750 asks for; `error` says why a token was refused."""
    response = problem(401, detail)
    challenge = 'Bearer realm="flaskbank"'
    response.headers["WWW-Authenticate"] = challenge + (f', error="{error}"' if error else "")
    return response


def bearer_required(view: F) -> F:
    """Run the view only for a live token (known, not revoked, not expired); otherwise 401."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        if token is None:
            return unauthorized("send Authorization: Bearer <token>; get one from POST /tokens")
        user = token_user()
        if user is None:
            return unauthorized("the token is unknown, revoked or expired", "invalid_token")
        g.api_user, g.api_token = user, token
        return view(*args, **kwargs)

    return cast(F, wrapped)


def api_user() -> User:
    """The user whose token authenticated this request (inside a bearer_required view)."""
    return cast(User, g.api_user)


def api_token() -> str:
    return cast(str, g.api_token)
