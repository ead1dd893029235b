"""The security settings: read from the environment with their defaults, refused when
malformed, and carried into the services' policies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flaskbank.config import Config, ConfigError, from_env
from flaskbank.web import create_app

SECRET = {"FLASKBANK_SECRET_KEY": "s" * 40}


def test_defaults():
    config = from_env(SECRET)
    assert (config.session_idle_minutes, config.session_max_hours) == (15, 12)
    assert config.lockout_threshold == 5
    assert config.ratelimit_enabled and config.ratelimit_storage == "memory://"
    assert (
        config.ratelimit_login,
        config.ratelimit_registration,
        config.ratelimit_tokens,
        config.ratelimit_money,
    ) == ("10/minute", "10/hour", "10/minute", "60/minute")
    assert config.proxy_hops == 0
    assert config == Config(secret_key=SECRET["FLASKBANK_SECRET_KEY"])


def test_every_setting_is_read():
    config = from_env(
        {
            **SECRET,
            "FLASKBANK_SESSION_IDLE_MINUTES": "5",
            "FLASKBANK_SESSION_MAX_HOURS": "2",
            "FLASKBANK_LOCKOUT_THRESHOLD": "3",
            "FLASKBANK_RATELIMIT_ENABLED": "0",
            "FLASKBANK_RATELIMIT_STORAGE": "redis://cache:6379",
            "FLASKBANK_RATELIMIT_LOGIN": "5/minute;50/hour",
            "FLASKBANK_RATELIMIT_REGISTRATION": "1/second",
            "FLASKBANK_RATELIMIT_TOKENS": "3/minute",
            "FLASKBANK_RATELIMIT_MONEY": "100000/minute",
            "FLASKBANK_PROXY_HOPS": "1",
        }
    )
    assert (
        config.session_idle_minutes,
        config.session_max_hours,
        config.lockout_threshold,
        config.ratelimit_enabled,
        config.ratelimit_storage,
        config.ratelimit_login,
        config.ratelimit_registration,
        config.ratelimit_tokens,
        config.ratelimit_money,
        config.proxy_hops,
    ) == (
        5,
        2,
        3,
        False,
        "redis://cache:6379",
        "5/minute;50/hour",
        "1/second",
        "3/minute",
        "100000/minute",
        1,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLASKBANK_SESSION_IDLE_MINUTES", "0"),
        ("FLASKBANK_SESSION_IDLE_MINUTES", "ten"),
        ("FLASKBANK_SESSION_MAX_HOURS", "-1"),
        ("FLASKBANK_LOCKOUT_THRESHOLD", "0"),
        ("FLASKBANK_RATELIMIT_ENABLED", "yes"),
        ("FLASKBANK_RATELIMIT_LOGIN", "lots"),
        ("FLASKBANK_RATELIMIT_MONEY", "10 per fortnight"),
        ("FLASKBANK_PROXY_HOPS", "-1"),
    ],
)
def test_malformed_settings_are_refused_by_name(name, value):
    with pytest.raises(ConfigError, match=name):
        from_env({**SECRET, name: value})


def test_the_settings_reach_the_policies(tmp_path):
    app = create_app(
        Config(
            data_dir=tmp_path,
            secret_key="s" * 40,
            session_idle_minutes=7,
            session_max_hours=3,
            lockout_threshold=9,
        ),
        overrides={"TESTING": True},
    )
    settings = app.extensions["flaskbank"].settings
    assert settings.sessions.idle == timedelta(minutes=7)
    assert settings.sessions.absolute == timedelta(hours=3)
    assert settings.lockout.threshold == 9
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    app.extensions["flaskbank"].store.close()


@pytest.mark.parametrize(
    ("testing", "enabled", "expected"),
    [(False, True, True), (False, False, False), (True, True, False)],
)
def test_rate_limiting_is_on_outside_tests_unless_turned_off(tmp_path, testing, enabled, expected):
    app = create_app(
        Config(data_dir=tmp_path, secret_key="s" * 40, ratelimit_enabled=enabled),
        overrides={"TESTING": testing},
    )
    assert app.config["RATELIMIT_ENABLED"] is expected
    app.extensions["flaskbank"].store.close()
