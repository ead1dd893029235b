"""A bank stored by the code before schema versions (48183d6: tests/fixtures/, made by
make_v1_fixture.py) upgrades in place with `flaskbank init` and loses nothing: every
customer, account, balance, history page, statement, transaction, audit line, token and
session is as the old code saw it; the old passwords log in; an idempotency key still
replays its posting and its refusal; `verify` passes, as it did before; a second `init`
does nothing. On both stores: SQLite from the committed file, DynamoDB from a dump of every
table (definitions and items) loaded into DynamoDB Local."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dynamodb_local import REGION, fresh_dynamo_store
from fixtures.snapshot import snapshot
from flaskbank.bootstrap import bootstrap
from flaskbank.cli import main
from flaskbank.config import Config
from flaskbank.domain.errors import InsufficientFunds
from flaskbank.services import accounts, customers, postings, tokens
from flaskbank.services.bank import Bank
from flaskbank.store import open_store
from flaskbank.store.dynamo import DynamoStore
from flaskbank.store.dynamo import migrations as dynamo_migrations
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite import migrations as sqlite_migrations
from test_migrations import shape

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Old:
    """A store holding the fixture's bank, not migrated yet, and what the old code saw."""

    url: str
    latest: int
    facts: dict[str, Any]
    expected: dict[str, Any]


def load_dynamodb(endpoint: str, dump: dict[str, Any]) -> str:
    """Every table of the dump, under a prefix of its own, with every item; its store URL."""
    prefix = f"v{uuid.uuid4().hex[:12]}-"
    url = f"dynamodb://?region={REGION}&endpoint_url={endpoint}&table_prefix={prefix}"
    client = DynamoStore(region=REGION, endpoint_url=endpoint, table_prefix=prefix).db.client
    for name, table in dump["tables"].items():
        definition = {k: v for k, v in table["definition"].items() if v}
        client.create_table(TableName=prefix + name, BillingMode="PAY_PER_REQUEST", **definition)
        client.get_waiter("table_exists").wait(TableName=prefix + name)
        items = table["items"]
        for i in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]
            client.batch_write_item(RequestItems={prefix + name: batch})
    client.close()
    return url


@pytest.fixture(params=["sqlite", "dynamodb"])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Old]:
    if request.param == "sqlite":
        path = tmp_path / "bank.db"
        shutil.copy(FIXTURES / "v1.sqlite", path)
        kept = json.loads((FIXTURES / "v1_sqlite_expected.json").read_text())
        yield Old(f"sqlite:///{path}", sqlite_migrations.STEPS.latest, **kept)
        return
    dump = json.loads((FIXTURES / "v1_dynamodb.json").read_text())
    url = load_dynamodb(request.getfixturevalue("dynamodb_endpoint"), dump)
    yield Old(url, dynamo_migrations.STEPS.latest, dump["facts"], dump["expected"])


def run(command: str, url: str) -> Result:
    env = {"FLASKBANK_STORE": url, "FLASKBANK_SECRET_KEY": "s" * 40}
    return CliRunner().invoke(main, [command], env=env, catch_exceptions=False)


@pytest.fixture
def bank(old: Old) -> Iterator[Bank]:
    """The bank on the fixture's store after `flaskbank init`, with real password hashing."""
    assert old.expected["verify"]["problems"] == []  # verify passed before, on the old code
    refused = run("verify", old.url)
    assert refused.exit_code == 1 and "run `flaskbank init` first" in refused.output
    result = run("init", old.url)
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        f": schema at version {old.latest}; applied migrations 2..{old.latest}\n"
    )
    upgraded = bootstrap(Config(), store=open_store(old.url))
    yield upgraded
    upgraded.store.close()


def test_nothing_is_lost_and_verify_passes_before_and_after(old: Old, bank: Bank) -> None:
    assert json.loads(json.dumps(snapshot(bank, old.facts))) == old.expected
    checked = run("verify", old.url)
    assert checked.exit_code == 0, checked.output
    verified = old.expected["verify"]
    assert checked.output.startswith(
        f"{verified['accounts']} accounts, {verified['transactions']} transactions\n"
    )
    assert checked.output.endswith("ledger OK: every invariant holds\n")
    again = run("init", old.url)
    assert again.exit_code == 0 and again.output.endswith(f": already at version {old.latest}\n")


def test_old_passwords_tokens_and_sessions_still_work(old: Old, bank: Bank) -> None:
    users = old.expected["users"]
    for email, password in old.facts["passwords"].items():
        assert (
            customers.authenticate(bank, email=email, password=password).id == (users[email]["id"])
        )
    bank.clock = lambda: datetime.fromisoformat(old.facts["clock"])  # when they were issued
    for email, token in old.facts["tokens"].items():
        found = tokens.user_for_token(bank, token)
        assert found is not None and found.email == email


def test_idempotency_keys_replay_their_posting_and_their_refusal(old: Old, bank: Bank) -> None:
    kept = old.facts["replay"]
    again = postings.deposit(
        bank,
        kept["user_id"],
        kept["account_id"],
        amount=kept["amount"],
        idempotency_key=kept["key"],
    )
    assert again.replayed and again.transaction.id == kept["transaction_id"]
    refused = old.facts["refused"]
    with pytest.raises(InsufficientFunds):
        postings.withdraw(
            bank,
            refused["user_id"],
            refused["account_id"],
            amount=refused["amount"],
            idempotency_key=refused["key"],
        )
    assert (
        json.loads(json.dumps(snapshot(bank, old.facts)))["transactions"]
        == (old.expected["transactions"])
    )


def test_the_bank_goes_on_after_the_upgrade(old: Old, bank: Bank) -> None:
    """Money moves by number to the account opened before ids followed numbers, and to
    Carol by email (the same account: her first in USD); she opens another account and
    changes her name, which reaches all of them."""
    users = old.expected["users"]
    ada, carol = users["ada@example.com"], users["carol@example.com"]
    legacy = old.facts["legacy_account"]
    assert carol["accounts"][0]["id"] == legacy["id"]
    source = ada["accounts"][0]["id"]
    postings.transfer(bank, ada["id"], source, amount="1.00", to_account_number=legacy["number"])
    postings.transfer(bank, ada["id"], source, amount="2.00", to_email="carol@example.com")
    opened = accounts.open_account(bank, carol["id"], type="savings")
    customers.update_profile(bank, carol["id"], full_name="Carol S. Shaw")
    mine = bank.store.ledger.accounts_of(carol["id"])
    assert [a.id for a in mine] == [a["id"] for a in carol["accounts"]] + [opened.id]
    assert {a.owner_name for a in mine} == {"Carol S. Shaw"}
    before = Decimal(carol["accounts"][0]["balance"].split()[0])
    assert mine[0].balance.amount == before + Decimal("3.00")
    checked = run("verify", old.url)
    assert checked.exit_code == 0, checked.output


def definitions(store: DynamoStore) -> dict[str, Any]:
    found = {}
    for name in store.tables.all():
        desc = store.db.client.describe_table(TableName=name)["Table"]
        found[name.removeprefix(store.table_prefix)] = (
            desc["KeySchema"],
            sorted(desc["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
            sorted(
                (g["IndexName"], g["KeySchema"], g["Projection"])
                for g in desc.get("GlobalSecondaryIndexes", [])
            ),
        )
    return found


def test_the_upgraded_store_has_the_shape_of_a_new_one(
    old: Old, bank: Bank, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """What the steps made of the old store is what a new store is made as (SQLite:
    schema.sql; DynamoDB: schema.py's tables and indexes)."""
    store = bank.store
    if isinstance(store, SqliteStore):
        new = SqliteStore(tmp_path / "new.db")
        new.init_schema()
        assert shape(Path(store.path)) == shape(Path(new.path))
    else:
        assert isinstance(store, DynamoStore)
        new_dynamo = fresh_dynamo_store(request.getfixturevalue("dynamodb_endpoint"))
        assert definitions(store) == definitions(new_dynamo)
        new_dynamo.close()
