"""Every setting is checked at start: a value that would let the app start and then break
requests (every posting refused, a 500 on POST /tokens, tokens born expired) stops it with a
message naming the variable, from the CLI as a one-line error rather than a traceback.
tests/test_security_config.py covers what the security settings do once accepted."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner

from flaskbank.cli import main
from flaskbank.config import ConfigError, from_env
from flaskbank.web import create_app
from test_api_support import API, assert_problem, customer
from test_security_support import advance, make_app

SECRET = {"FLASKBANK_SECRET_KEY": "s" * 40}

BAD = {
    "FLASKBANK_MAX_TRANSACTION": [
        "10000.001",
        "0",
        "0.00",
        "-5",
        "1e4",
        "1E4",
        "NaN",
        "Infinity",
        "inf",
        "",
        " 100",
        "100 ",
        "1,000",
        "1000000000.01",
        "99999999999",
        "１００",
        "+100",
        "0x10",
        "10.",
        ".5",
        "5.000000000000000001",
    ],
    "FLASKBANK_TOKEN_TTL": [
        "999999999999",
        "-1",
        "-3600",
        "0",
        "59",
        "2592001",
        "3600.0",
        "1e3",
        "",
        "٣٦٠٠",
        " 3600",
        "3_600",
        "ten",
        "9" * 5000,
    ],
    "FLASKBANK_SESSION_IDLE_MINUTES": ["0", "1441", "-1", "99999999999", "15.5", "", "１５"],
    "FLASKBANK_SESSION_MAX_HOURS": ["0", "721", "-1", "99999999999", "", "12h"],
    "FLASKBANK_LOCKOUT_THRESHOLD": ["0", "101", "-1", "five", ""],
    "FLASKBANK_PROXY_HOPS": ["-1", "11", "1.0", "one", ""],
    # At most the hard cap (domain.accounts.MAX_ACCOUNTS_PER_CUSTOMER, 20).
    "FLASKBANK_MAX_OPEN_ACCOUNTS": ["0", "21", "-1", "ten", ""],
    "FLASKBANK_SECURE_COOKIES": ["true", "yes", "on", "2", "", " 1", "1 "],
    "FLASKBANK_RATELIMIT_ENABLED": ["true", "no", "", "2"],
    "FLASKBANK_RATELIMIT_STORAGE": [
        "bogus://x",
        "redis",
        "localhost:6379",
        "",
        "http://x",
        "async+redis://localhost:6379",
        "file:///tmp/limits",
    ],
    "FLASKBANK_RATELIMIT_LOGIN": ["lots", "0/minute", "", "10/fortnight", "-1/minute"],
    "FLASKBANK_RATELIMIT_REGISTRATION": ["0/hour", "10 per fortnight"],
    "FLASKBANK_RATELIMIT_TOKENS": ["10/minute;0/hour", "x"],
    "FLASKBANK_RATELIMIT_MONEY": ["0/minute", "sixty"],
    "FLASKBANK_SECRET_KEY": ["", "short", "s" * 31],
}

GOOD = {
    "FLASKBANK_MAX_TRANSACTION": [
        ("0.01", Decimal("0.01")),
        ("250.5", Decimal("250.50")),
        ("10000", Decimal("10000")),
        ("1000000000.00", Decimal("1000000000")),
    ],
    "FLASKBANK_TOKEN_TTL": [("60", 60), ("2592000", 2592000), ("0300", 300)],
    "FLASKBANK_SESSION_IDLE_MINUTES": [("1", 1), ("1440", 1440)],
    "FLASKBANK_SESSION_MAX_HOURS": [("1", 1), ("720", 720)],
    "FLASKBANK_LOCKOUT_THRESHOLD": [("1", 1), ("100", 100)],
    "FLASKBANK_PROXY_HOPS": [("0", 0), ("10", 10)],
    "FLASKBANK_MAX_OPEN_ACCOUNTS": [("1", 1), ("20", 20)],
    "FLASKBANK_SECURE_COOKIES": [("0", False), ("1", True)],
    "FLASKBANK_RATELIMIT_STORAGE": [
        ("memory://", "memory://"),
        ("rediss://cache:6380/0", "rediss://cache:6380/0"),
        ("redis+sentinel://s:26379/main", "redis+sentinel://s:26379/main"),
        ("memcached://m:11211", "memcached://m:11211"),
        ("mongodb://db:27017", "mongodb://db:27017"),
    ],
}
FIELDS = {
    "FLASKBANK_MAX_TRANSACTION": "max_transaction",
    "FLASKBANK_TOKEN_TTL": "token_ttl_seconds",
    "FLASKBANK_SESSION_IDLE_MINUTES": "session_idle_minutes",
    "FLASKBANK_SESSION_MAX_HOURS": "session_max_hours",
    "FLASKBANK_LOCKOUT_THRESHOLD": "lockout_threshold",
    "FLASKBANK_PROXY_HOPS": "proxy_hops",
    "FLASKBANK_MAX_OPEN_ACCOUNTS": "max_open_accounts",
    "FLASKBANK_SECURE_COOKIES": "secure_cookies",
    "FLASKBANK_RATELIMIT_STORAGE": "ratelimit_storage",
}


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in BAD.items() for v in vs])
def test_a_bad_value_is_refused_by_name(name, value):
    with pytest.raises(ConfigError, match=name):
        from_env({**SECRET, name: value})


@pytest.mark.parametrize(
    ("name", "value", "expected"), [(n, v, e) for n, pairs in GOOD.items() for v, e in pairs]
)
def test_the_edges_of_each_range_are_accepted(name, value, expected):
    assert getattr(from_env({**SECRET, name: value}), FIELDS[name]) == expected


def test_the_examples_from_the_issue_are_refused_with_the_rule():
    for name, value, rule in [
        ("FLASKBANK_MAX_TRANSACTION", "10000.001", "at most 2 decimal places"),
        ("FLASKBANK_TOKEN_TTL", "999999999999", "from 60 to 2592000"),
        ("FLASKBANK_TOKEN_TTL", "-60", "from 60 to 2592000"),
    ]:
        with pytest.raises(ConfigError) as refused:
            from_env({**SECRET, name: value})
        assert name in str(refused.value) and rule in str(refused.value)
        assert repr(value) in str(refused.value)


def test_a_storage_url_is_not_repeated_in_the_message():
    with pytest.raises(ConfigError) as refused:
        from_env({**SECRET, "FLASKBANK_RATELIMIT_STORAGE": "rediz://:hunter2@cache:6379"})
    assert "hunter2" not in str(refused.value) and "redis://" in str(refused.value)


@pytest.mark.parametrize("url", ["postgres://x", "sqlite://", "dynamodb://?colour=blue"])
def test_a_bad_store_url_stops_the_app_by_name(tmp_path, url):
    config = from_env({**SECRET, "FLASKBANK_STORE": url, "FLASKBANK_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="FLASKBANK_STORE"):
        create_app(config)


@pytest.mark.skipif(
    importlib.util.find_spec("redis") is not None, reason="the redis client is installed here"
)
def test_a_storage_whose_client_is_missing_stops_the_app_by_name(tmp_path):
    config = from_env(
        {
            **SECRET,
            "FLASKBANK_RATELIMIT_STORAGE": "redis://cache:6379",
            "FLASKBANK_DATA_DIR": str(tmp_path),
        }
    )
    with pytest.raises(ConfigError, match="FLASKBANK_RATELIMIT_STORAGE.*redis"):
        create_app(config)


# -- from the command line -----------------------------------------------------------------


def invoke(args: list[str], tmp_path, **env: str):
    # catch_exceptions=False: anything but click's own error exit would fail the test.
    return CliRunner().invoke(
        main,
        args,
        catch_exceptions=False,
        env={"FLASKBANK_DATA_DIR": str(tmp_path), "FLASKBANK_STORE": None, **SECRET, **env},
    )


def _no_server(*args: object) -> None:
    raise AssertionError("the server was started with a bad setting")


@pytest.mark.parametrize("command", ["init", "serve", "verify", "demo"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLASKBANK_TOKEN_TTL", "999999999999"),
        ("FLASKBANK_MAX_TRANSACTION", "10000.001"),
        ("FLASKBANK_STORE", "postgres://x"),
        ("FLASKBANK_RATELIMIT_STORAGE", "bogus://x"),
        ("FLASKBANK_SECURE_COOKIES", "true"),
    ],
)
def test_the_cli_refuses_to_start_with_a_one_line_message(
    tmp_path, monkeypatch, command, name, value
):
    monkeypatch.setattr("flaskbank.cli._run_gunicorn", _no_server)
    args = [command, "--no-serve"] if command == "demo" else [command]
    result = invoke(args, tmp_path, **{name: value})
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {name}"), result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
    assert not (tmp_path / "flaskbank.db").exists()  # nothing was created


def test_serve_refuses_a_rate_limit_storage_it_cannot_use(tmp_path, monkeypatch):
    if importlib.util.find_spec("redis") is not None:
        pytest.skip("the redis client is installed here")
    monkeypatch.setattr("flaskbank.cli._run_gunicorn", _no_server)
    result = invoke(["serve"], tmp_path, FLASKBANK_RATELIMIT_STORAGE="redis://cache:6379")
    assert result.exit_code == 1
    assert result.output.startswith("Error: FLASKBANK_RATELIMIT_STORAGE")


# -- accepted values work ------------------------------------------------------------------


@pytest.mark.parametrize("ttl", ["60", "2592000"])
def test_a_token_issued_with_a_boundary_ttl_works_until_it_expires(store, tmp_path, ttl):
    config = from_env({**SECRET, "FLASKBANK_TOKEN_TTL": ttl})
    app = make_app(store, tmp_path, token_ttl_seconds=config.token_ttl_seconds)
    client, bank = app.test_client(), app.extensions["flaskbank"]
    ada = customer(client, bank)  # POST /tokens
    assert ada.get("/me").status_code == 200
    advance(bank, seconds=int(ttl) - 1)
    assert ada.get("/me").status_code == 200
    advance(bank, seconds=1)
    assert_problem(ada.get("/me"), 401)
    response = client.post(f"{API}/tokens", json={"email": ada.email, "password": ada.password})
    assert response.status_code == 201
    assert response.json["expires_at"] > bank.now()


def test_a_limit_with_a_single_decimal_is_the_limit_in_cents(store, tmp_path):
    config = from_env({**SECRET, "FLASKBANK_MAX_TRANSACTION": "250.5"})
    app = make_app(store, tmp_path, max_transaction=config.max_transaction)
    client, bank = app.test_client(), app.extensions["flaskbank"]
    ada = customer(client, bank)
    path = f"/accounts/{ada.account_id}/deposits"
    assert ada.post(path, {"amount": "250.50"}, key="a").status_code == 201
    body = assert_problem(ada.post(path, {"amount": "250.51"}, key="b"), 422, "amount")
    assert "250.50 USD" in body["errors"]["amount"]
    assert ada.balance() == "250.50"


def test_session_bounds_keep_every_expiry_a_real_date(tmp_path):
    config = from_env(
        {
            **SECRET,
            "FLASKBANK_SESSION_IDLE_MINUTES": "1440",
            "FLASKBANK_SESSION_MAX_HOURS": "720",
            "FLASKBANK_DATA_DIR": str(tmp_path),
        }
    )
    app = create_app(config, overrides={"TESTING": True})
    sessions = app.extensions["flaskbank"].settings.sessions
    assert (sessions.idle, sessions.absolute) == (timedelta(days=1), timedelta(days=30))
    app.extensions["flaskbank"].store.close()
