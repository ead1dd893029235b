"""The web layer: an app factory, one blueprint per feature, thin views over the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from ..config import Config, ConfigError, from_env
from ..domain.security import LockoutPolicy, SessionPolicy
from ..passwords import ScryptHasher
from ..services.bank import Bank, PasswordHasher, Settings
from ..store import StoreURLError, open_store


def create_app(config: Config | None = None, *, overrides: dict[str, Any] | None = None,
               passwords: PasswordHasher | None = None) -> Flask:
    """Build the app. Tests pass a Config (and a fast hasher); production reads the
    environment. Nothing is connected until the first request needs it."""
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
    try:
        store = open_store(config.store)
    except StoreURLError as e:  # the CLI and gunicorn report a ConfigError as a setting's fault
        raise ConfigError(f"FLASKBANK_STORE: {e}") from None
    settings = Settings(
        max_transaction=config.max_transaction, token_ttl_seconds=config.token_ttl_seconds,
        lockout=LockoutPolicy(threshold=config.lockout_threshold),
        sessions=SessionPolicy(idle=timedelta(minutes=config.session_idle_minutes),
                               absolute=timedelta(hours=config.session_max_hours)))
    app.extensions["flaskbank"] = Bank(store, passwords or ScryptHasher(), settings)

    from flask_wtf.csrf import CSRFProtect

    from . import api, auth, banking, errors, filters, security, staff
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
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(staff.bp, url_prefix="/staff")
    app.register_blueprint(staff.api_bp, url_prefix="/api/v1/staff")
    security.init_rate_limits(app, config)  # wraps views, so after the blueprints
    return app


def bank_of(app: Flask) -> Bank:
    return app.extensions["flaskbank"]  # type: ignore[no-any-return]
