"""`flaskbank verify` on DynamoDB also checks the copies DynamoStore keeps so that a transfer
reads fewer items: owner names on accounts, account lists on email locks, number locks. A
busy life keeps them in step; each one broken by hand is reported, and the command fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from conftest import Customer, new_customer
from flaskbank.cli import main
from flaskbank.domain.accounts import Role
from flaskbank.services import accounts, customers, postings, staff
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank
from flaskbank.services.ledger_checks import verify
from flaskbank.store.dynamo import DynamoStore
from flaskbank.store.dynamo import items as di

pytestmark = pytest.mark.parametrize("store_kind", ["dynamodb"])  # conftest's store and bank


@pytest.fixture
def ada(bank: Bank) -> Customer:
    return new_customer(bank, "Ada Lovelace", deposit="100.00")


def test_a_busy_life_keeps_every_copy_in_step(bank: Bank, ada: Customer) -> None:
    grace = new_customer(bank, "Grace Hopper")
    savings = accounts.open_account(bank, ada.user_id, type="savings")
    customers.update_profile(bank, ada.user_id, full_name="Augusta Ada King")
    customers.update_profile(
        bank, ada.user_id, email="countess@example.com", current_password=ada.password
    )
    accounts.open_account(bank, ada.user_id, type="checking", currency="EUR")
    postings.transfer(bank, ada.user_id, ada.account_id, amount="25.00", to_email=grace.email)
    postings.transfer(
        bank, ada.user_id, ada.account_id, amount="5.00", to_account_number=savings.number
    )
    staff.create_staff(
        bank,
        email="ann@bank.example",
        full_name="Ann Analyst",
        role=Role.FRAUD_ANALYST.value,
        actor=Actor(None, "cli", "local"),
    )
    report = verify(bank)
    assert report.problems == []
    assert report.accounts == 4


def _update(
    store: DynamoStore, table: str, key: di.Item, expression: str, values: dict[str, object]
) -> None:
    store.db.client.update_item(
        TableName=table,
        Key=di.to_wire(key),
        UpdateExpression=expression,
        ExpressionAttributeValues=di.to_wire(values),
    )


def _rename_account_only(store: DynamoStore, ada: Customer) -> None:
    _update(
        store,
        store.tables.accounts,
        di.account_key(ada.account_id),
        "SET owner_name = :n",
        {":n": "Someone Else"},
    )


def _drop_from_email_lock(store: DynamoStore, ada: Customer) -> None:
    _update(
        store, store.tables.users, di.email_key(ada.email), "SET account_ids = :ids", {":ids": []}
    )


def _lose_number_lock(store: DynamoStore, ada: Customer) -> None:
    store.db.client.delete_item(
        TableName=store.tables.accounts, Key=di.to_wire(di.number_key(ada.account_number))
    )


def _leave_old_email_lock(store: DynamoStore, ada: Customer) -> None:
    store.db.client.put_item(
        TableName=store.tables.users,
        Item=di.to_wire(
            {**di.email_key("ada-old@example.com"), "user_id": ada.user_id, "account_ids": []}
        ),
    )


@pytest.mark.parametrize(
    "damage, reported",
    [
        (_rename_account_only, "names its owner 'Someone Else'; the profile says 'Ada Lovelace'"),
        (_drop_from_email_lock, "their email lock lists accounts [], they own"),
        (_lose_number_lock, "is not the account its number's lock points at"),
        (_leave_old_email_lock, "is left over from an older email"),
    ],
)
def test_verify_reports_a_copy_out_of_step(
    bank: Bank,
    store: DynamoStore,
    ada: Customer,
    damage: Callable[[DynamoStore, Customer], None],
    reported: str,
) -> None:
    new_customer(bank, "Grace Hopper", deposit="10.00")
    assert verify(bank).problems == []
    damage(store, ada)
    problems = verify(bank).problems
    assert len(problems) == 1, problems
    assert reported in problems[0]


def test_the_command_fails_on_a_copy_out_of_step(store: DynamoStore, ada: Customer) -> None:
    env = {"FLASKBANK_STORE": store.url, "FLASKBANK_DATA_DIR": None}
    assert CliRunner().invoke(main, ["verify"], env=env).exit_code == 0
    _rename_account_only(store, ada)
    result = CliRunner().invoke(main, ["verify"], env=env)
    assert result.exit_code == 1
    assert f"BREACH: account {ada.account_number} names its owner" in result.output


def test_a_rename_that_gives_up_leaves_nothing_out_of_step(
    bank: Bank, store: DynamoStore, ada: Customer
) -> None:
    """Issue 8, defect 8: the rename and its copies onto the accounts are one transaction.
    When it cannot be written (here DynamoDB refuses every attempt), neither the profile nor
    any account has the new name, and saving again copies it everywhere."""
    from botocore.exceptions import ClientError

    from flaskbank.domain.errors import StoreError

    savings = accounts.open_account(bank, ada.user_id, type="savings")

    def refuse(**_: object) -> None:
        raise ClientError(
            {"Error": {"Code": "InternalServerError", "Message": "down"}}, "TransactWriteItems"
        )

    events = store.db.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", refuse, unique_id="down")
    try:
        with pytest.raises(StoreError):
            customers.update_profile(bank, ada.user_id, full_name="Augusta Ada King")
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="down")
    names = {store.ledger.get_account(i).owner_name for i in (ada.account_id, savings.id)}
    assert (store.users.get_user(ada.user_id).full_name, names) == (
        "Ada Lovelace",
        {"Ada Lovelace"},
    )
    assert verify(bank).problems == []
    customers.update_profile(bank, ada.user_id, full_name="Augusta Ada King")
    names = {store.ledger.get_account(i).owner_name for i in (ada.account_id, savings.id)}
    assert names == {"Augusta Ada King"} and verify(bank).problems == []
