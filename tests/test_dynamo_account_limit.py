"""DynamoDB only: opening an account is conditional on the owner's list of accounts being as
long as when they were counted, so an account opened in between makes the write fail and
the count run again (the threaded race on both stores is in tests/contract)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from conftest import new_customer
from dynamodb_local import fresh_dynamo_store
from flaskbank.domain.errors import TooManyAccounts
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts
from flaskbank.services.bank import Bank
from flaskbank.store.dynamo import DynamoStore
from test_dynamo_specific import _racing_store, before_write, calls


@pytest.fixture
def store(dynamodb_endpoint: str) -> Iterator[DynamoStore]:
    s = fresh_dynamo_store(dynamodb_endpoint)
    yield s
    s.close()


@pytest.fixture
def bank(store: DynamoStore) -> Bank:
    return Bank(store, FastHasher())


def test_an_account_opened_between_the_count_and_the_write_is_counted(bank, store):
    bank.settings = replace(bank.settings, max_open_accounts=2)
    ada = new_customer(bank)
    racer = _racing_store(store)
    opened: list[str] = []

    def open_meanwhile() -> None:
        racing_bank = Bank(racer, FastHasher(), replace(bank.settings))
        opened.append(accounts.open_account(racing_bank, ada.user_id, type="savings").id)

    # Both counted one account; the racer's write lands first, so ours is refused and, from
    # fresh reads, finds the limit reached.
    with (
        before_write(store, open_meanwhile),
        calls(store) as seen,
        pytest.raises(TooManyAccounts, match="at most 2 accounts"),
    ):
        accounts.open_account(bank, ada.user_id, type="savings")
    assert seen.count("TransactWriteItems") == 1
    assert [a.id for a in store.ledger.accounts_of(ada.user_id)][1:] == opened
    assert len(store.ledger.read_for_posting([], recipient_email=ada.email).recipients or []) == 2
    racer.close()
