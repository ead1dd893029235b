"""The web layer: an app factory, one blueprint per feature, thin views over the services."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..bootstrap import bootstrap, warehouse_of
from ..config import Config, from_env
from ..services.bank import Bank, PasswordHasher
from ..store import Store


def create_app(
    config: Config | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    store: Store | None = None,
    passwords: PasswordHasher | None = None,
) -> Flask:
    """Build the app on the bank bootstrap() builds. Tests pass a Config (and a store, a fast
    hasher); production reads the environment. Nothing is connected until the first request
    needs it."""
    config = config or from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        # Bodies beyond this are refused before a view reads them (413).
        MAX_CONTENT_LENGTH=64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        FLASKBANK=config,
    )
    app.config.update(overrides or {})
    app.extensions["flaskbank"] = bootstrap(config, store=store, passwords=passwords)
    app.extensions["warehouse"] = warehouse_of(config)  # opened per report, read-only

    from flask_wtf.csrf import CSRFProtect

    from . import api, auth, banking, errors, filters, pages, ratelimits, security, staff
    from .sessions import StoreSessionInterface

    # The cookie holds a random id; the session lives in the store (web/sessions.py).
    app.session_interface = StoreSessionInterface(bank_of)
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)  # bearer tokens only; the API never reads the session cookie
    csrf.exempt(staff.api_bp)
    filters.register(app)
    errors.register(app)
    security.init_app(app, config)
    app.register_blueprint(auth.bp)
    app.register_blueprint(banking.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(staff.bp, url_prefix="/staff")
    app.register_blueprint(staff.api_bp, url_prefix="/api/v1/staff")
    ratelimits.init_rate_limits(app, config)  # wraps views, so after the blueprints
    return app


def bank_of(app: Flask) -> Bank:
    return app.extensions["flaskbank"]  # type: ignore[no-any-return]
