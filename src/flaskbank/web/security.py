"""Request-level defences: security headers on every response, rate limits on the routes an
attacker would hammer, and trusting a reverse proxy's forwarded headers only when told to.

Rate limits use Flask-Limiter. With the default `memory://` storage each worker process
counts on its own (N workers allow N times the limit); set FLASKBANK_RATELIMIT_STORAGE to
e.g. `redis://host:6379` to share the counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask.wrappers import Response
from flask_limiter import Limiter
from limits.errors import ConfigurationError
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Config, ConfigError
from .context import client_ip, current_user, token_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"

#: Which views each limit guards (POST and PATCH only); a limit is shared by its views, so
#: the web form and the API count together.
LIMITED: dict[str, tuple[str, ...]] = {
    # Asking for the current password (an email or password change) is a login by another
    # door: the same limit, so the password cannot be guessed there instead.
    "login": (
        "auth.login",
        "auth.login_code",
        "auth.profile",
        "auth.change_password",
        "api.update_me",
    ),
    "registration": ("auth.register", "api.register"),
    "tokens": ("api.issue_token",),
    "money": (
        "banking.deposit",
        "banking.withdraw",
        "banking.transfer",
        "api.deposit",
        "api.withdraw",
        "api.transfer",
    ),
}


def _money_key() -> str:
    """Money movement counts per signed-in user (a shared NAT must not block a whole office),
    and per address for anyone else."""
    user = token_user() if request.blueprint == "api" else current_user()
    return f"user:{user.id}" if user is not None else f"ip:{client_ip()}"


def _keys() -> dict[str, Callable[[], str]]:
    by_ip: Callable[[], str] = lambda: f"ip:{client_ip()}"  # noqa: E731
    return {"login": by_ip, "registration": by_ip, "tokens": by_ip, "money": _money_key}


def _limits(config: Config) -> dict[str, str]:
    return {
        "login": config.ratelimit_login,
        "registration": config.ratelimit_registration,
        "tokens": config.ratelimit_tokens,
        "money": config.ratelimit_money,
    }


def init_rate_limits(app: Flask, config: Config) -> Limiter:
    """Wrap the LIMITED views (call after the blueprints are registered). An app built with
    TESTING=True counts nothing unless RATELIMIT_ENABLED is set in its config."""
    app.config.setdefault("RATELIMIT_ENABLED", config.ratelimit_enabled and not app.testing)
    limiter = Limiter(
        client_ip,
        storage_uri=config.ratelimit_storage,
        key_prefix="flaskbank",
        headers_enabled=False,
    )
    try:
        limiter.init_app(app)
    except ConfigurationError as e:  # e.g. redis:// without the redis client installed
        raise ConfigError(f"FLASKBANK_RATELIMIT_STORAGE: {e}") from None
    keys, limits = _keys(), _limits(config)
    for kind, endpoints in LIMITED.items():
        shared = limiter.shared_limit(
            limits[kind], scope=kind, key_func=keys[kind], methods=["POST", "PATCH"]
        )
        for endpoint in endpoints:
            view: Callable[..., Any] = app.view_functions[endpoint]
            app.view_functions[endpoint] = shared(view)
    app.extensions["flaskbank_limiter"] = limiter
    return limiter


def retry_after(app: Flask) -> int:
    """Seconds until the limit this request broke lets requests through again."""
    limiter: Limiter | None = app.extensions.get("flaskbank_limiter")
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask, config: Config) -> None:
    if config.proxy_hops:
        # Only behind proxies we run: otherwise anyone could pick their address and scheme.
        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.after_request(add_headers)
