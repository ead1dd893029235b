"""What only DynamoStore promises, on DynamoDB Local: round trips per operation, no Scan on a
request path, one TransactWriteItems per posting, cancellation reasons mapped to the bank's
refusals, idempotency without ClientRequestToken, the cash account kept off every hot item,
the schema and its init. The behaviour both stores share is in tests/contract/."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from conftest import Customer, elsewhere, forget_schema_version, new_customer
from dynamodb_local import (
    DynamoDBLocalUnavailable,
    fresh_dynamo_store,
    start_dynamodb_local,
)
from flaskbank import demo_staff
from flaskbank.domain import ledger
from flaskbank.domain.accounts import (
    CASH_ACCOUNT_ID,
    Account,
    AccountStatus,
    AccountType,
    Role,
    new_account_number,
)
from flaskbank.domain.errors import (
    AccountNotFound,
    AccountNotOpen,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidCredentials,
    LoginLocked,
    StoreError,
    UnknownRecipient,
    ValidationFailed,
    WriteConflict,
)
from flaskbank.domain.ledger import IdempotencyKey
from flaskbank.domain.money import Money
from flaskbank.domain.monitoring.model import (
    Action,
    Alert,
    AlertStatus,
    Backtest,
    Decision,
    Hit,
    RuleChange,
    Severity,
    StoredProfile,
    StoredRuleSet,
    Verdict,
)
from flaskbank.passwords import FastHasher
from flaskbank.services import (
    accounts,
    approvals,
    audit,
    audit_trail,
    authentication,
    customers,
    history,
    notes,
    postings,
    sessions,
    staff,
    staff_customers,
    tokens,
)
from flaskbank.services.analytics import saved as saved_reports
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank
from flaskbank.services.ledger_checks import verify
from flaskbank.store import open_store
from flaskbank.store.cursors import encode_cursor
from flaskbank.store.dynamo import DynamoStore
from flaskbank.store.dynamo import items as di
from flaskbank.store.dynamo import reads as dynamo_reads


@pytest.fixture
def endpoint(dynamodb_endpoint: str) -> str:
    """The worker's one DynamoDB Local (tests/conftest.py), which the contract suite uses too."""
    return dynamodb_endpoint


@pytest.fixture
def store(endpoint: str) -> Iterator[DynamoStore]:
    s = fresh_dynamo_store(endpoint)
    yield s
    s.close()


@pytest.fixture
def bank(store: DynamoStore) -> Bank:
    return Bank(store, FastHasher())


@contextmanager
def calls(store: DynamoStore) -> Iterator[list[str]]:
    """The DynamoDB operations the store sends inside the block, in order."""
    seen: list[str] = []

    def hook(model, **_):  # type: ignore[no-untyped-def]
        seen.append(model.name)

    events = store.db.client.meta.events
    events.register("before-call.dynamodb", hook, unique_id="count-calls")
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb", unique_id="count-calls")


@contextmanager
def before_write(store: DynamoStore, action, times: int = 1) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Run `action` just before the store's next TransactWriteItems leaves: a racer."""
    left = [times]

    def hook(**_):  # type: ignore[no-untyped-def]
        if left[0] > 0:
            left[0] -= 1
            action()

    events = store.db.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", hook, unique_id="racer")
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="racer")


def balance(store: DynamoStore, account_id: str) -> Decimal:
    account = store.ledger.get_account(account_id)
    assert account is not None
    return account.balance.amount


def read_to_post(store: DynamoStore, account_id: str):  # type: ignore[no-untyped-def]
    """The account as the services read it to post (with the counter of the feed shard the
    posting's event takes), so that this thread's posting writes without reading again."""
    return store.ledger.read_for_posting([account_id]).accounts[account_id]


def raw(store: DynamoStore, table: str, key: dict) -> dict:  # type: ignore[type-arg]
    return store.db.client.get_item(TableName=table, Key=di.to_wire(key), ConsistentRead=True).get(
        "Item", {}
    )


# -- round trips per operation -------------------------------------------------------------


def test_requests_carry_a_fixed_user_agent(store):
    """botocore's default User-Agent is rebuilt twice a call, about a third of a call's CPU
    here; the store's client names itself once instead (store/dynamo/__init__.py)."""
    sent: list[str] = []

    def hook(request, **_):  # type: ignore[no-untyped-def]
        sent.append(request.headers["User-Agent"])

    store.db.client.meta.events.register("before-send.dynamodb", hook)
    store.ledger.get_account("nobody")
    store.ledger.get_account("nobody either")
    assert len(sent) == 2 and sent[0] == sent[1]
    agent = sent[0].decode() if isinstance(sent[0], bytes) else sent[0]
    assert agent.startswith("flaskbank botocore/") and "Python/" in agent


def test_stores_in_a_process_share_one_session_per_region(store, endpoint):
    """A new boto3 session loads botocore's models again (~120 ms of CPU); a store opened
    in a process that has one makes only its client (store/dynamo/__init__.py)."""
    same = DynamoStore(region=store.region, endpoint_url=endpoint, table_prefix="other-")
    elsewhere = DynamoStore(region="eu-west-1", endpoint_url=endpoint, table_prefix="other-")
    try:
        assert same.db.client is not store.db.client
        assert same.db.client._loader is store.db.client._loader
        assert elsewhere.db.client.meta.region_name == "eu-west-1"
        assert elsewhere.db.client._loader is not store.db.client._loader
    finally:
        same.close()
        elsewhere.close()


def test_a_posting_from_the_stores_own_read_is_one_transact_write(bank, store):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    read = store.ledger.read_for_posting([ada.account_id, bob.account_id]).accounts
    posting = ledger.transfer(
        read[ada.account_id],
        read[bob.account_id],
        Money.of("5"),
        memo="",
        at=bank.now(),
        by=ada.user_id,
        source_label="a",
        target_label="b",
    )
    with calls(store) as seen:
        store.ledger.post(replace(posting, idempotency=IdempotencyKey(ada.user_id, "k", "f")))
    assert seen == ["TransactWriteItems"]
    assert [store.ledger.get_account(c.account_id).balance for c in (ada, bob)] == [
        Money.of("45"),
        Money.of("5"),
    ]


def test_scoring_reads_the_profile_and_rules_in_the_postings_one_batch_get(bank, store):
    """Monitoring adds no round trip: the profile and the live rules join the accounts, the
    idempotency record and the feed counter in one BatchGetItem (docs/dynamodb.md)."""
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    profile = store.monitoring.save_profile(StoredProfile(ada.user_id, '{"n": 3}'))
    rules = store.monitoring.save_rule_set(StoredRuleSet('{"rules": []}'), [])
    with calls(store) as seen:
        read = store.ledger.read_for_posting(
            [ada.account_id, bob.account_id],
            idempotency=(ada.user_id, "k"),
            profile_of=ada.user_id,
            with_rules=True,
        )
    assert seen == ["BatchGetItem"]
    assert (read.profile, read.rules) == (profile, rules)
    assert set(read.accounts) == {ada.account_id, bob.account_id}
    posting = ledger.transfer(
        read.accounts[ada.account_id],
        read.accounts[bob.account_id],
        Money.of("5"),
        memo="",
        at=bank.now(),
        by=ada.user_id,
        source_label="a",
        target_label="b",
    )
    with calls(store) as seen:  # and the posting still writes on that read
        store.ledger.post(posting)
    assert seen == ["TransactWriteItems"]


def test_an_alert_and_a_profile_in_a_unit_of_work_are_one_write(store):
    mon = store.monitoring
    kept = mon.save_profile(StoredProfile("u-1", "{}"))
    raised = Alert(
        "al-1",
        "2026-03-01T09:00:00.000000Z",
        Severity.HIGH,
        80,
        AlertStatus.OPEN,
        "u-1",
        "acc-1",
        Decision.REVIEW,
        Verdict(Decision.REVIEW, 80),
        "9800.00",
        "EUR",
        hold_id="h-1",
    )
    with calls(store) as seen, store.unit_of_work() as uow:
        mon.add_alert(raised)
        mon.save_profile(replace(kept, data='{"n": 1}'))
        uow.commit()
    assert seen == ["TransactWriteItems"]
    assert mon.get_alert("al-1") == raised


def _scored_withdrawal(bank, ada, amount: str):  # type: ignore[no-untyped-def]
    """A withdrawal with its alert and the customer's profile, as one unit of work."""

    def scored():  # type: ignore[no-untyped-def]
        result = postings.withdraw(bank, ada.user_id, ada.account_id, amount=amount)
        bank.store.monitoring.add_alert(
            Alert(
                f"al-{result.transaction.id}",
                result.transaction.created_at,
                Severity.HIGH,
                80,
                AlertStatus.OPEN,
                ada.user_id,
                ada.account_id,
                Decision.APPROVE,
                Verdict(Decision.APPROVE, 80),
                amount,
                "EUR",
                transaction_id=result.transaction.id,
            )
        )
        profile = bank.store.monitoring.profile(ada.user_id)
        bank.store.monitoring.save_profile(profile or StoredProfile(ada.user_id, "{}"))
        return result

    return bank.in_unit(scored)


def test_a_scored_posting_in_a_unit_is_still_one_read_and_one_write(bank, store):
    ada = new_customer(bank, deposit="100.00")
    store.monitoring.save_profile(StoredProfile(ada.user_id, "{}"))
    with calls(store) as seen:
        _scored_withdrawal(bank, ada, "60.00")
    # the posting's read (with the profile), scoring's Query, the profile read again by the
    # test's unit, and the unit's one write
    assert seen == ["BatchGetItem", "Query", "GetItem", "TransactWriteItems"]
    assert store.ledger.get_account(ada.account_id).balance == Money.of("40")


def test_a_scored_posting_whose_account_changed_before_commit_runs_again(bank, store):
    ada = new_customer(bank, deposit="100.00")
    racer = _racing_store(store)

    def deposit() -> None:
        postings.deposit(Bank(racer, FastHasher()), ada.user_id, ada.account_id, amount="1")

    with before_write(store, deposit), calls(store) as seen:
        result = _scored_withdrawal(bank, ada, "60.00")
    assert seen.count("TransactWriteItems") == 2  # cancelled by the racer, then written
    assert store.ledger.get_account(ada.account_id).balance == Money.of("41")
    assert store.monitoring.get_alert(f"al-{result.transaction.id}") is not None
    assert len(store.monitoring.alerts(limit=10).items) == 1
    with pytest.raises(InsufficientFunds):
        _scored_withdrawal(bank, ada, "41.01")
    assert len(store.monitoring.alerts(limit=10).items) == 1


def test_a_posting_from_copies_this_thread_did_not_read_reads_first(bank, store):
    ada = new_customer(bank, deposit="50.00")
    bob = new_customer(bank, "Bob Babbage")
    racer = _racing_store(store)  # another store object: its reads are not this one's
    source, target = (racer.ledger.get_account(c.account_id) for c in (ada, bob))
    posting = ledger.transfer(
        source,
        target,
        Money.of("5"),
        memo="",
        at=bank.now(),
        by=ada.user_id,
        source_label="a",
        target_label="b",
    )
    with calls(store) as seen:
        store.ledger.post(posting)
    assert seen == ["BatchGetItem", "TransactWriteItems"]


def test_a_posting_from_an_old_read_is_cancelled_then_read_and_written_afresh(bank, store):
    ada = new_customer(bank, deposit="50.00")
    old = read_to_post(store, ada.account_id)  # this thread's read, outdated:
    elsewhere(lambda: postings.deposit(bank, ada.user_id, ada.account_id, amount="1"))
    with calls(store) as seen:
        txn = store.ledger.post(
            ledger.withdrawal(old, Money.of("5"), memo="", at=bank.now(), by=ada.user_id)
        ).transaction
    assert seen == ["TransactWriteItems", "BatchGetItem", "TransactWriteItems"]
    assert str(txn.entry_for(ada.account_id).balance_after) == "46.00"


def test_service_level_round_trips(bank, store):
    """The figures in docs/dynamodb.md: what each customer operation costs end to end."""
    ada = new_customer(bank, deposit="500.00")
    bob = new_customer(bank, "Bob Babbage")
    token, _ = tokens.issue_token(bank, email=ada.email, password=ada.password)
    expected = {
        # Every API request: the token names its user, so the two are read at once.
        "token check": (lambda: tokens.user_for_token(bank, token), ["BatchGetItem"]),
        "token check, an unknown token naming no user": (
            lambda: tokens.user_for_token(bank, token.rpartition(".")[2]),
            ["GetItem"],
        ),
        "deposit": (
            lambda: postings.deposit(bank, ada.user_id, ada.account_id, amount="1"),
            # Scoring's one extra read: the account's recent entries (docs/monitoring.md).
            ["BatchGetItem", "Query", "TransactWriteItems"],
        ),
        "deposit with idempotency key": (
            lambda: postings.deposit(
                bank, ada.user_id, ada.account_id, amount="1", idempotency_key="once"
            ),
            ["BatchGetItem", "Query", "TransactWriteItems"],
        ),
        "replayed deposit": (
            lambda: postings.deposit(
                bank, ada.user_id, ada.account_id, amount="1", idempotency_key="once"
            ),
            ["BatchGetItem", "GetItem"],
        ),
        "withdrawal": (
            lambda: postings.withdraw(bank, ada.user_id, ada.account_id, amount="1"),
            ["BatchGetItem", "Query", "TransactWriteItems"],
        ),
        # The budget: one write round trip, and one read that finds the recipient (its id
        # follows from the number) together with the sender's account, the key's record,
        # the sender's monitoring profile and the rules; scoring adds the one Query.
        "transfer by number": (
            lambda: postings.transfer(
                bank, ada.user_id, ada.account_id, amount="1", to_account_number=bob.account_number
            ),
            ["BatchGetItem", "Query", "TransactWriteItems"],
        ),
        "transfer by number with idempotency key": (
            lambda: postings.transfer(
                bank,
                ada.user_id,
                ada.account_id,
                amount="1",
                to_account_number=bob.account_number,
                idempotency_key="send-once",
            ),
            ["BatchGetItem", "Query", "TransactWriteItems"],
        ),
        # An email names a person, not an account: the first read brings the email's lock,
        # which lists the owner's account ids, and one more reads those accounts.
        "transfer by email": (
            lambda: postings.transfer(
                bank, ada.user_id, ada.account_id, amount="1", to_email=bob.email
            ),
            ["BatchGetItem", "BatchGetItem", "Query", "TransactWriteItems"],
        ),
        "history page": (
            lambda: history.history(bank, ada.user_id, ada.account_id, limit=20),
            ["GetItem", "Query"],
        ),
        "statement": (
            lambda: history.statement(bank, ada.user_id, ada.account_id, bank.now()[:7]),
            ["GetItem", "Query", "Query"],
        ),
        "log in": (
            lambda: customers.authenticate(bank, email=ada.email, password=ada.password),
            ["GetItem", "GetItem"],
        ),
        "account list": (lambda: store.ledger.accounts_of(ada.user_id), ["Query", "BatchGetItem"]),
    }
    measured = {}
    for name, (operation, _) in expected.items():
        with calls(store) as seen:
            operation()
        measured[name] = seen
    assert measured == {name: want for name, (_, want) in expected.items()}


def _forget_account_list(store: DynamoStore, email: str) -> None:
    """Make the email's lock look like one written before locks listed accounts."""
    store.db.client.update_item(
        TableName=store.tables.users,
        Key=di.to_wire(di.email_key(email)),
        UpdateExpression="REMOVE account_ids",
    )


def test_an_email_lock_from_before_account_lists_gets_one_from_init_and_no_index_is_read(
    bank, store
):
    ada = new_customer(bank, deposit="9.00")
    bob = new_customer(bank, "Bob Babbage")
    _forget_account_list(store, bob.email)
    forget_schema_version(store)
    store.init_schema()  # migration 4 lists Bob's accounts on his lock
    savings = accounts.open_account(bank, bob.user_id, type="savings", currency="EUR")
    lock = store.db.get(store.tables.users, di.email_key(bob.email))
    assert lock is not None and lock["account_ids"] == [bob.account_id, savings.id]
    with calls(store) as seen:
        postings.transfer(bank, ada.user_id, ada.account_id, amount="4", to_email=bob.email)
    assert seen == ["BatchGetItem", "BatchGetItem", "Query", "TransactWriteItems"]
    assert balance(store, bob.account_id) == Decimal("4.00")
    assert (
        store.ledger.read_for_posting([], recipient_email=bob.email).recipients
        == store.ledger.accounts_of(bob.user_id)
        == [store.ledger.get_account(bob.account_id), store.ledger.get_account(savings.id)]
    )


def test_a_transfer_by_number_reads_one_more_item_only_for_an_account_with_an_alias(bank, store):
    """Accounts opened before ids followed numbers are found through the alias migration 3
    left at the key their number gives; a number nobody has costs no read beyond the one."""
    ada = new_customer(bank, deposit="9.00")
    carol = new_customer(bank, "Carol Shaw")
    old = Account(
        id=ledger.new_id(),
        number=new_account_number(),
        user_id=carol.user_id,
        type=AccountType.CHECKING,
        currency="USD",
        balance=Money.of("0"),
        status=AccountStatus.OPEN,
        opened_at=bank.now(),
        owner_name="Carol Shaw",
    )
    store.ledger.add_account(old)
    forget_schema_version(store)
    store.init_schema()
    with calls(store) as seen:
        postings.transfer(
            bank, ada.user_id, ada.account_id, amount="1", to_account_number=old.number
        )
    assert seen == ["BatchGetItem", "GetItem", "Query", "TransactWriteItems"]
    assert balance(store, old.id) == Decimal("1.00")
    nobody = new_account_number()
    with calls(store) as seen, pytest.raises(UnknownRecipient):
        postings.transfer(bank, ada.user_id, ada.account_id, amount="1", to_account_number=nobody)
    assert seen == ["BatchGetItem"]


def test_a_rename_finds_the_accounts_on_the_email_lock_not_the_lagging_index(bank, store):
    ada = new_customer(bank)
    savings = accounts.open_account(bank, ada.user_id, type="savings")
    with calls(store) as seen:
        customers.update_profile(bank, ada.user_id, full_name="Augusta Ada King")
    assert "Query" not in seen and seen[-1] == "TransactWriteItems"
    assert {store.ledger.get_account(i).owner_name for i in (ada.account_id, savings.id)} == {
        "Augusta Ada King"
    }


def test_an_email_change_racing_an_account_opening_is_retried_and_lists_both(bank, store):
    ada = new_customer(bank)
    racer = _racing_store(store)
    opened: list[str] = []

    def open_meanwhile() -> None:
        opened.append(
            accounts.open_account(Bank(racer, FastHasher()), ada.user_id, type="savings").id
        )

    with before_write(store, open_meanwhile):  # refused, then done again from fresh reads
        customers.update_profile(
            bank, ada.user_id, email="countess@example.com", current_password=ada.password
        )
    listed = store.ledger.read_for_posting([], recipient_email="Countess@Example.com").recipients
    assert [a.id for a in listed or []] == [ada.account_id, *opened]
    assert store.ledger.read_for_posting([], recipient_email=ada.email).recipients == []
    racer.close()


def test_an_unfiltered_history_page_is_exactly_one_query(bank, store):
    ada = new_customer(bank)
    for i in range(12):
        postings.deposit(bank, ada.user_id, ada.account_id, amount=f"{i + 1}")
    cursor, pages = None, 0
    while True:
        with calls(store) as seen:
            page = store.ledger.history(ada.account_id, limit=5, cursor=cursor)
        assert seen == ["Query"]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3


def test_a_type_filtered_page_fills_up_across_queries(bank, store, monkeypatch):
    """DynamoDB applies Limit before a FilterExpression: the store keeps querying until the
    page is full, so a sparse type still gives full pages."""
    monkeypatch.setattr(dynamo_reads, "FILTERED_READ", 3)
    ada = new_customer(bank)
    for i in range(9):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="5")
        if i % 3 == 0:
            postings.withdraw(bank, ada.user_id, ada.account_id, amount="1")
    with calls(store) as seen:
        page = store.ledger.history(ada.account_id, limit=2, type=ledger.TransactionType.WITHDRAWAL)
    assert len(page.items) == 2 and page.next_cursor and len(seen) > 1
    rest = store.ledger.history(
        ada.account_id, limit=2, cursor=page.next_cursor, type=ledger.TransactionType.WITHDRAWAL
    )
    assert len(rest.items) == 1 and rest.next_cursor is None


def monitoring_paths(store: DynamoStore) -> None:
    """What scoring, the analysts' workspace and backtests ask of the monitoring table."""
    mon = store.monitoring
    rules = mon.save_rule_set(StoredRuleSet("{}"), [RuleChange("big", 1, "t", "fiona", "{}")])
    mon.save_rule_set(rules, [RuleChange("big", 2, "t", "fiona", "{}")])
    mon.rule_history("big")
    mon.save_profile(StoredProfile("u-1", "{}"))
    store.ledger.read_for_posting([], profile_of="u-1", with_rules=True)
    hit = Hit("big", "amount_over", 1, 80, Action.SCORE, "amount over 5,000.00")
    verdict = Verdict(Decision.REVIEW, 80, (hit,))
    raised = Alert(
        "al-1",
        "2026-03-01T09:00:00.000000Z",
        Severity.HIGH,
        80,
        AlertStatus.OPEN,
        "u-1",
        "acc-1",
        Decision.REVIEW,
        verdict,
        "9800.00",
        "EUR",
    )
    mon.add_alert(raised)
    mon.save_alert(replace(raised, status=AlertStatus.INVESTIGATING, version=2))
    # the monitoring consumer's batch: owners, profiles read and saved, alerts added
    store.ledger.owners(["acc-1"])
    mon.save_profiles([*mon.profiles(["u-1", "u-2"]).values(), StoredProfile("u-2", "{}")])
    mon.add_alerts([raised, replace(raised, id="al-2")])
    assert mon.get_alert("al-1") is not None
    for filters in ({}, {"status": AlertStatus.OPEN}, {"customer_id": "u-1", "rule": "big"}):
        mon.alerts(limit=5, since="2026-01-01", until="2027-01-01", **filters)  # type: ignore[arg-type]
    mon.add_backtest(Backtest("bt-1", "t", "fiona", "2026-01-01", "2026-02-01", "{}"))
    mon.save_backtest(replace(mon.get_backtest("bt-1"), status="running", version=2))  # type: ignore[type-var]


def request_paths(bank: Bank) -> None:
    """Every customer and staff operation the web app and the API offer, once."""
    ada = new_customer(bank, deposit="100.00")
    bob = new_customer(bank, "Bob Babbage")
    customers.authenticate(bank, email=ada.email.upper(), password=ada.password)
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="1", idempotency_key="w")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="1", idempotency_key="w")
    postings.transfer(
        bank, ada.user_id, ada.account_id, amount="2", to_account_number=bob.account_number
    )
    postings.transfer(bank, ada.user_id, ada.account_id, amount="3", to_email=bob.email)
    history.history(bank, ada.user_id, ada.account_id, type="transfer", since="2020-01-01")
    history.statement(bank, ada.user_id, ada.account_id, bank.now()[:7])
    customers.update_profile(
        bank, ada.user_id, email="ada.k@example.com", current_password=ada.password
    )
    token, _ = tokens.issue_token(bank, email="ada.k@example.com", password=ada.password)
    assert tokens.user_for_token(bank, token) is not None
    tokens.revoke_token(bank, token)
    sid = sessions.save(bank, None, ada.user_id, {"csrf": "x"}, None)
    assert sessions.load(bank, sid) is not None
    for _ in range(6):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            authentication.check_password(bank, email=bob.email, password="no", ip="::1")
    admin, _ = staff.create_staff(
        bank,
        email="root@bank.example",
        full_name="Root",
        role="admin",
        actor=Actor(None, "cli", "local"),
    )
    me = Actor.of(admin, "127.0.0.1")
    assert staff.search_customers(bank, admin, "bob", me)
    assert staff.view_customer(bank, admin, ada.user_id, me).accounts
    staff.set_frozen(bank, admin, bob.account_id, frozen=True, reason="checks", actor=me)
    assert staff.list_users(bank, admin).items
    staff.revoke_sessions(bank, admin, ada.user_id, me)
    staff.unlock_login(bank, admin, bob.email, me)
    assert audit.audit_log(bank, admin, action="sessions_revoked").items
    assert audit.audit_log(bank, admin, actor_email="cli").items
    bank.store.ledger.feed(after=None, limit=10)
    monitoring_paths(bank.store)
    # saved reports: save, list, open, delete
    kept = saved_reports.save(
        bank,
        admin,
        name="Tour",
        report="deposit_growth",
        params={"from": "2026-01-01", "to": "2026-01-31"},
        actor=me,
    )
    assert saved_reports.listing(bank, admin) == [saved_reports.get(bank, admin, kept.id)]
    saved_reports.delete(bank, admin, kept.id, actor=me)
    mail_and_recovery_paths(bank, ada)
    # the customer file: details, search by phone, history and statements, notes
    customers.update_profile(
        bank, ada.user_id, phone="+44 7700 900123", address="1 High St", date_of_birth="1990-01-01"
    )
    assert staff.search_customers(bank, admin, "7700 900123", me)
    staff_customers.account_history(bank, admin, ada.user_id, ada.account_id, me)
    staff_customers.account_statement(bank, admin, ada.user_id, ada.account_id, bank.now()[:7], me)
    notes.add_note(bank, admin, ada.user_id, "called", me)
    assert notes.notes_of(bank, admin, ada.user_id)
    # two-person approval: ask, list, approve (the unfreeze runs), and the audit trail
    analyst, _ = staff.create_staff(
        bank, email="fa@bank.example", full_name="Fa", role="fraud_analyst", actor=me
    )
    asked = approvals.request_action(
        bank, analyst, "unfreeze_account", bob.account_id, "cleared", Actor.of(analyst, "::1")
    )
    assert approvals.pending(bank, admin)
    approvals.approve(bank, admin, asked.id, me)
    audit_trail.catch_up(bank)
    # the event feed as `events tail` and the worker's consumers read it
    page = bank.store.events.read(after=None, limit=10)
    bank.store.events.save_checkpoint("tour", page.checkpoint, version=0)
    assert bank.store.events.checkpoint("tour").version == 1


def mail_and_recovery_paths(bank: Bank, ada: Customer) -> None:
    """Forgot password and its link, email confirmation, the security page's reads, and the
    worker's notices consumer and send job."""
    from flaskbank.services import devices, recovery
    from mail_support import Recorder, deliver, link_in

    mailer = Recorder()
    deliver(bank, mailer)
    [confirm] = [m for m in mailer.to("ada.k@example.com") if m.kind == "email_confirmation"]
    recovery.confirm_email(
        bank, token=link_in(confirm.body, "/email/confirm/").split("/")[-1], ip=""
    )
    recovery.request_password_reset(bank, email="ada.k@example.com", ip="::1")
    recovery.request_password_reset(bank, email="nobody@example.com", ip="::1")
    deliver(bank, mailer)
    [reset] = [m for m in mailer.sent if m.kind == "password_reset"]
    recovery.reset_password(
        bank,
        token=link_in(reset.body, "/password/reset/").split("/")[-1],
        new_password="a brand new passphrase 42",
        ip="",
    )
    user = bank.store.users.get_user(ada.user_id)
    assert user is not None
    devices.live_sessions(bank, user)
    devices.sign_out_elsewhere(bank, user, keep=None, ip="")
    deliver(bank, mailer)


def test_no_request_path_scans(bank, store):
    """Every customer and staff operation is a key lookup or a Query; only verify, the
    reports' all_accounts and demo's count_users may Scan."""

    def refuse(model, **_):  # type: ignore[no-untyped-def]
        if model.name == "Scan":
            raise AssertionError("a request path sent a Scan")

    store.db.client.meta.events.register("before-call.dynamodb", refuse, unique_id="no-scan")
    request_paths(bank)
    store.db.client.meta.events.unregister("before-call.dynamodb", unique_id="no-scan")
    assert verify(bank).problems == []  # the admin path may scan


def iam_requests(store: DynamoStore, operation: str, params: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(IAM action, resource ARN) pairs one call needs, with the deployment's default prefix
    in place of the test's own."""

    def arn(table: str, index: str | None = None) -> str:
        name = "flaskbank-" + table.removeprefix(store.table_prefix)
        return f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}" + (
            f"/index/{index}" if index else ""
        )

    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{kind}Item", arn(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", arn(t)) for t in params["RequestItems"]]
    return [(f"dynamodb:{operation}", arn(params["TableName"], params.get("IndexName")))]


def allowed(policies: list[str], action: str, resource: str) -> bool:
    import fnmatch
    import json
    from pathlib import Path

    for name in policies:
        doc = json.loads((Path(__file__).resolve().parents[1] / "deploy" / name).read_text())
        for statement in doc["Statement"]:
            if (
                statement["Effect"] == "Allow"
                and action in statement["Action"]
                and any(fnmatch.fnmatchcase(resource, pattern) for pattern in statement["Resource"])
            ):
                return True
    return False


def test_the_iam_policies_allow_exactly_what_the_app_calls(endpoint):
    """deploy/iam-policy-app.json covers every request path; the init policy adds what
    `init`, `demo` (count_users) and `verify` need, and nothing here needs more."""
    store = DynamoStore(
        region="us-east-1", endpoint_url=endpoint, table_prefix=f"iam{uuid.uuid4().hex[:8]}-"
    )
    needed: list[tuple[str, str]] = []

    def hook(model, params, **_):  # type: ignore[no-untyped-def]
        needed.extend(iam_requests(store, model.name, params))

    # before-parameter-build sees the API parameters (before-call sees the HTTP request)
    store.db.client.meta.events.register("before-parameter-build.dynamodb", hook, unique_id="iam")
    store.init_schema()
    admin_calls, needed[:] = list(needed), []
    request_paths(Bank(store, FastHasher()))
    # serve's look for demo staff and remove-demo-staff run with the app's role too
    demo_staff.add_demo_staff(Bank(store, FastHasher()))
    assert demo_staff.demo_staff_in(Bank(store, FastHasher()))
    demo_staff.remove_demo_staff(Bank(store, FastHasher()), Actor(None, "cli", "local"))
    app_calls, needed[:] = list(needed), []
    assert store.users.count_users() > 0
    assert verify(Bank(store, FastHasher())).problems == []
    admin_calls += needed
    app = ["iam-policy-app.json"]
    assert [c for c in app_calls if not allowed(app, *c)] == []
    assert [c for c in admin_calls if not allowed([*app, "iam-policy-init.json"], *c)] == []
    assert not allowed(app, "dynamodb:Scan", "arn:aws:dynamodb:us-east-1:1:table/flaskbank-users")
    for forbidden in ("dynamodb:UpdateItem", "dynamodb:DeleteItem"):  # the audit log
        assert not allowed(app, forbidden, "arn:aws:dynamodb:us-east-1:1:table/flaskbank-audit")
    store.close()


# -- cancellation reasons ------------------------------------------------------------------


def _racing_store(store: DynamoStore) -> DynamoStore:
    return DynamoStore(
        region=store.region, endpoint_url=store.endpoint_url, table_prefix=store.table_prefix
    )


def test_a_balance_drained_by_a_racer_is_insufficient_funds(bank, store):
    ada = new_customer(bank, deposit="10.00")
    snapshot = read_to_post(store, ada.account_id)
    racer = _racing_store(store)
    drain = ledger.withdrawal(snapshot, Money.of("8"), memo="", at=bank.now(), by=ada.user_id)
    mine = ledger.withdrawal(snapshot, Money.of("5"), memo="", at=bank.now(), by=ada.user_id)
    with (
        before_write(store, lambda: racer.ledger.post(drain)),
        calls(store) as seen,
        pytest.raises(InsufficientFunds),
    ):
        store.ledger.post(mine)
    # written on the snapshot's version; the cancelled write's reason carried the account
    # as it was, so the refusal needed no read at all
    assert seen == ["TransactWriteItems"]
    assert balance(store, ada.account_id) == Decimal("2.00")
    racer.close()


def test_an_account_frozen_by_a_racer_is_not_open(bank, store):
    ada = new_customer(bank, deposit="10.00")
    snapshot = store.ledger.get_account(ada.account_id)
    racer = _racing_store(store)
    mine = ledger.withdrawal(snapshot, Money.of("5"), memo="", at=bank.now(), by=ada.user_id)
    freeze = lambda: racer.ledger.set_account_status(ada.account_id, AccountStatus.FROZEN)  # noqa: E731
    with before_write(store, freeze), pytest.raises(AccountNotOpen):
        store.ledger.post(mine)
    # a frozen account takes no credit either (the one rule, as in the SQL store)
    with pytest.raises(AccountNotOpen):
        store.ledger.post(
            ledger.Posting(
                ledger.new_id(),
                ledger.TransactionType.DEPOSIT,
                Money.of("1"),
                (
                    ledger.Leg(ada.account_id, Money.of("1")),
                    ledger.Leg(CASH_ACCOUNT_ID, Money.of("-1")),
                ),
                "",
                bank.now(),
                ada.user_id,
            )
        )
    assert balance(store, ada.account_id) == Decimal("10.00")
    racer.close()


def test_an_account_deleted_by_a_racer_is_not_found(bank, store):
    ada = new_customer(bank, deposit="10.00")
    snapshot = store.ledger.get_account(ada.account_id)
    mine = ledger.withdrawal(snapshot, Money.of("5"), memo="", at=bank.now(), by=ada.user_id)
    racer = _racing_store(store)
    delete = lambda: racer.db.client.delete_item(  # noqa: E731
        TableName=store.tables.accounts, Key=di.to_wire(di.account_key(ada.account_id))
    )
    with before_write(store, delete), pytest.raises(AccountNotFound):
        store.ledger.post(mine)
    racer.close()


def test_a_version_race_is_retried_inside_the_store_then_reported(bank, store):
    ada = new_customer(bank, deposit="10.00")
    racer = _racing_store(store)

    def deposit_meanwhile() -> None:
        racer.ledger.post(
            ledger.deposit(
                racer.ledger.get_account(ada.account_id),
                Money.of("1"),
                memo="",
                at=bank.now(),
                by=ada.user_id,
            )
        )

    mine = ledger.withdrawal(
        store.ledger.get_account(ada.account_id),
        Money.of("5"),
        memo="",
        at=bank.now(),
        by=ada.user_id,
    )
    with before_write(store, deposit_meanwhile), calls(store) as seen:
        result = store.ledger.post(mine)  # lost once, re-read, won
    assert seen.count("TransactWriteItems") == 2
    assert str(result.transaction.entry_for(ada.account_id).balance_after) == "6.00"
    again = ledger.withdrawal(
        store.ledger.get_account(ada.account_id),
        Money.of("1"),
        memo="",
        at=bank.now(),
        by=ada.user_id,
    )
    with before_write(store, deposit_meanwhile, times=100), pytest.raises(WriteConflict):
        store.ledger.post(again)  # lost every time: the service's own retries take over
    assert verify(bank).problems == []
    racer.close()


@pytest.mark.parametrize("same_request", [True, False])
def test_a_racer_with_the_same_idempotency_key_wins_once(bank, store, same_request):
    ada = new_customer(bank, deposit="10.00")
    account = store.ledger.get_account(ada.account_id)
    racer = _racing_store(store)
    key = IdempotencyKey(ada.user_id, "race", "fp-1")
    theirs = replace(
        ledger.deposit(account, Money.of("3"), memo="", at=bank.now(), by=ada.user_id),
        idempotency=key,
    )
    mine = replace(
        ledger.deposit(account, Money.of("3"), memo="", at=bank.now(), by=ada.user_id),
        idempotency=key if same_request else replace(key, fingerprint="fp-2"),
    )
    posted: list[ledger.PostResult] = []
    with before_write(store, lambda: posted.append(racer.ledger.post(theirs))):
        if same_request:
            result = store.ledger.post(mine)
            assert result.replayed and result.transaction == posted[0].transaction
        else:
            with pytest.raises(IdempotencyConflict):
                store.ledger.post(mine)
    assert balance(store, ada.account_id) == Decimal("13.00")
    racer.close()


def test_a_replay_needs_no_client_request_token_and_no_time_window(bank, store):
    """Idempotency lives in our own table: a retry a day later, from another process, with
    a newly built posting (so botocore's ClientRequestToken would differ) is a replay."""
    ada = new_customer(bank, deposit="10.00")
    first = postings.withdraw(
        bank, ada.user_id, ada.account_id, amount="4", idempotency_key="pay-1"
    )
    tomorrow = replace(
        bank, store=open_store(store.url), clock=lambda: datetime.now(UTC) + timedelta(days=1)
    )
    with calls(tomorrow.store) as seen:  # type: ignore[arg-type]
        again = postings.withdraw(
            tomorrow, ada.user_id, ada.account_id, amount="4", idempotency_key="pay-1"
        )
    assert again.replayed and again.transaction == first.transaction
    assert "TransactWriteItems" not in seen
    # and at the store itself, below the service's check
    posting = ledger.withdrawal(
        store.ledger.get_account(ada.account_id),
        Money.of("4"),
        memo="",
        at=tomorrow.now(),
        by=ada.user_id,
    )
    key = store.db.get(store.tables.idempotency, {"pk": ada.user_id, "sk": "pay-1"})
    assert key is not None
    fingerprint = key["fingerprint"]
    replayed = store.ledger.post(
        replace(posting, idempotency=IdempotencyKey(ada.user_id, "pay-1", fingerprint))
    )
    assert replayed.replayed and balance(store, ada.account_id) == Decimal("6.00")
    tomorrow.store.close()


# -- money, the cash account, the ledger's shape -------------------------------------------


def test_money_is_stored_as_numbers_of_minor_units(bank, store):
    ada = new_customer(bank)
    for _ in range(3):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="0.10")
    item = raw(store, store.tables.accounts, di.account_key(ada.account_id))
    assert item["balance_minor"] == {"N": "30"}
    assert balance(store, ada.account_id) == Decimal("0.30")


def test_the_cash_account_is_no_hot_item(bank, store):
    """Deposits and withdrawals never read or write an item of the bank's cash account: its
    leg lives only on the transaction header, and verify sums it from there."""
    ada = new_customer(bank)
    for _ in range(3):
        postings.deposit(bank, ada.user_id, ada.account_id, amount="10")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="4")
    assert raw(store, store.tables.accounts, di.account_key(CASH_ACCOUNT_ID)) == {}
    cash_entries = store.db.client.query(
        TableName=store.tables.transactions,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=di.to_wire({":pk": di.entries_pk(CASH_ACCOUNT_ID)}),
    )
    assert cash_entries["Items"] == []
    txns = list(store.ledger.all_transactions())
    cash = [t.entry_for(CASH_ACCOUNT_ID) for t in txns]
    assert [str(e.amount) for e in cash] == ["-10.00"] * 3 + ["4.00"]
    assert all(e.balance_after is None for e in cash)
    assert [e.amount.amount for e in txns[0].entries] == sorted(
        e.amount.amount for e in txns[0].entries
    )  # debit side first, as SqliteStore reads
    report = verify(bank)
    assert report.problems == [] and report.transactions == 4


def test_a_statement_adds_up_when_clocks_were_read_out_of_order(bank, store):
    """Two postings whose timestamps were taken in one order and committed in the other: the
    statement follows the account's posting order, so each balance_after follows."""
    ada = new_customer(bank, opened=datetime(2026, 2, 1, tzinfo=UTC))
    february = replace(bank, clock=lambda: datetime(2026, 2, 1, tzinfo=UTC))
    postings.deposit(february, ada.user_id, ada.account_id, amount="100.00")
    snapshot = store.ledger.get_account(ada.account_id)
    early, late = "2026-03-10T10:00:00.000000Z", "2026-03-10T10:00:00.000001Z"
    store.ledger.post(ledger.withdrawal(snapshot, Money.of("10"), memo="", at=late, by=ada.user_id))
    store.ledger.post(
        ledger.withdrawal(
            store.ledger.get_account(ada.account_id),
            Money.of("5"),
            memo="",
            at=early,
            by=ada.user_id,
        )
    )
    march = history.statement(bank, ada.user_id, ada.account_id, "2026-03")
    assert [str(line.amount) for line in march.lines] == ["-10.00", "-5.00"]
    assert (str(march.opening_balance), str(march.closing_balance)) == ("100.00", "85.00")


def test_keys_dynamodb_cannot_hold_are_simply_not_found(bank, store):
    """A 5,000-character id from a URL or an empty email is a miss, not a 503."""
    assert store.ledger.get_account("x" * 5000) is None
    assert store.users.find_user_by_email("a" * 3000 + "@example.com") is None
    for key in ("", "k" * 5000):
        assert store.sessions.record_login_failure(key) == 1
        store.sessions.lock_login(key, "2030-01-01T00:00:00.000000Z")
        assert store.sessions.login_throttle(key).locked_until == "2030-01-01T00:00:00.000000Z"
        store.sessions.clear_login_failures(key)
        assert store.sessions.login_throttle(key).failures == 0


# -- cursors and the feed ------------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [
        "abc",
        5,
        None,
        {"pk": "ACCT#x", "sk": "y"},
        "2026-01-01T00:00:00.000000Z#1",
        "2026-01-01T00:00:00.000000Z#000000000001\n",
    ],
)
def test_a_cursor_we_did_not_issue_is_refused(bank, store, position):
    ada = new_customer(bank, deposit="1.00")
    with pytest.raises(ValidationFailed) as err:
        store.ledger.history(ada.account_id, limit=5, cursor=encode_cursor(position))
    assert "cursor" in err.value.errors


def test_the_feed_walks_days_and_an_idle_feed_keeps_its_place(bank, store, monkeypatch):
    empty = store.ledger.feed(after=None, limit=5)
    assert empty.items == [] and store.ledger.feed(after=empty.next_cursor, limit=5) == empty
    ada = new_customer(bank)
    days = [
        datetime(2026, 1, 1, 9, tzinfo=UTC),
        datetime(2026, 1, 5, 9, tzinfo=UTC),
        datetime(2026, 1, 9, 9, tzinfo=UTC),
    ]
    ids = [
        postings.deposit(
            replace(bank, clock=lambda d=d: d), ada.user_id, ada.account_id, amount="1"
        ).transaction.id
        for d in days
    ]
    monkeypatch.setattr(dynamo_reads, "FEED_MAX_DAYS", 2)  # gaps longer than one call walks
    seen, cursor, calls_made = [], None, 0
    while len(seen) < 3 and calls_made < 20:
        page = store.ledger.feed(after=cursor, limit=2)
        seen += [t.id for t in page.items]
        cursor, calls_made = page.next_cursor, calls_made + 1
    assert seen == ids
    idle = store.ledger.feed(after=cursor, limit=2)
    assert idle.items == [] and idle.next_cursor == cursor


# -- schema, init, URL ---------------------------------------------------------------------


def test_init_schema_is_idempotent_and_asks_for_point_in_time_recovery(endpoint):
    store = DynamoStore(region="us-east-1", endpoint_url=endpoint, table_prefix="init-twice-")
    with calls(store) as seen:
        store.init_schema()
    assert seen.count("CreateTable") == len(store.tables.all())
    assert seen.count("UpdateContinuousBackups") == len(store.tables.all())
    # DynamoDB Local has no continuous backups (UnknownOperationException); AWS enables them
    assert set(store.pitr.values()) <= {"enabled", "unsupported"}
    assert set(store.pitr) == set(store.tables.all())
    store.init_schema()  # again: every table exists, nothing fails
    desc = store.db.client.describe_table(TableName=store.tables.transactions)["Table"]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [k["AttributeName"] for k in desc["KeySchema"]] == ["pk", "sk"]
    assert {
        g["IndexName"]: [k["AttributeName"] for k in g["KeySchema"]]
        for g in desc["GlobalSecondaryIndexes"]
    } == {"by_day": ["day", "feed_key"]}
    store.close()


def test_billing_provisioned_reserves_throughput(endpoint):
    store = DynamoStore(
        region="us-east-1", endpoint_url=endpoint, table_prefix="prov-", billing="provisioned"
    )
    store.init_schema()
    desc = store.db.client.describe_table(TableName=store.tables.accounts)["Table"]
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert desc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    store.close()


def test_the_url_reopens_the_same_tables(bank, store):
    ada = new_customer(bank, deposit="7.00")
    other = open_store(store.url)
    assert isinstance(other, DynamoStore) and other.table_prefix == store.table_prefix
    assert balance(other, ada.account_id) == Decimal("7.00")  # type: ignore[arg-type]
    other.close()


@pytest.mark.parametrize(
    "url",
    [
        "dynamodb://?region=us-east-1&billing=free",
        "dynamodb://?region=us-east-1&table_prefix=no spaces",
        "dynamodb://?region=us-east-1&endpoint_url=localhost:8000",
    ],
)
def test_bad_options_are_url_errors(url):
    from flaskbank.store import StoreURLError

    with pytest.raises(StoreURLError):
        open_store(url)


def test_no_client_exists_until_the_first_call():
    store = DynamoStore(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert store._db is None


def test_an_unreachable_endpoint_is_a_store_error_chained_to_botocore(monkeypatch):
    from botocore.config import Config

    from flaskbank.store import dynamo

    monkeypatch.setattr(dynamo, "_CLIENT_CONFIG", Config(retries={"max_attempts": 1}))
    store = DynamoStore(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(StoreError) as err:
        store.users.get_user("x")
    assert type(err.value.__cause__).__module__.startswith("botocore")
    store.close()


def test_a_missing_jar_or_java_is_reported_for_a_skip(monkeypatch, tmp_path):
    import dynamodb_local

    monkeypatch.setenv("DYNAMODB_LOCAL_JAR", str(tmp_path / "missing.jar"))
    with pytest.raises(DynamoDBLocalUnavailable), start_dynamodb_local():
        pass
    monkeypatch.setattr(dynamodb_local.shutil, "which", lambda _: None)
    with pytest.raises(DynamoDBLocalUnavailable, match="java"), start_dynamodb_local():
        pass


# -- concurrency ---------------------------------------------------------------------------


@pytest.mark.slow
def test_eight_threads_of_random_transfers_conserve_money(bank, store):
    people = [new_customer(bank, f"Holder {i}", deposit="300.00") for i in range(3)]
    numbers = {p.account_id: p.account_number for p in people}
    failures: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            src, dst = rng.sample(people, 2)
            try:
                postings.transfer(
                    bank,
                    src.user_id,
                    src.account_id,
                    amount=f"{rng.randrange(1, 9000) / 100:.2f}",
                    to_account_number=numbers[dst.account_id],
                )
            except InsufficientFunds:
                pass
            except BaseException as e:  # noqa: BLE001 - reported below
                failures.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sum(balance(store, p.account_id) for p in people) == Decimal("900.00")
    assert verify(bank).problems == []


def test_staff_see_users_in_order_and_search_by_prefix(bank, store):
    for name in ("Carol Okafor", "Ada Lovelace", "Ada Byron"):
        new_customer(bank, name)
    admin, _ = staff.create_staff(
        bank,
        email="root@bank.example",
        full_name="Root",
        role=Role.ADMIN.value,
        actor=Actor(None, "cli", "local"),
    )
    page = store.users.list_users(limit=2)
    rest = store.users.list_users(limit=2, cursor=page.next_cursor)
    assert [u.full_name for u in page.items + rest.items] == [
        "Carol Okafor",
        "Ada Lovelace",
        "Ada Byron",
        "Root",
    ] and rest.next_cursor is None
    assert [u.full_name for u in store.users.search_users("ada", limit=10)] == [
        "Ada Byron",
        "Ada Lovelace",
    ]
    assert [u.full_name for u in store.users.search_users("ADA L", limit=10)] == ["Ada Lovelace"]


# -- units of work ---------------------------------------------------------------------------


def test_a_unit_of_more_than_100_writes_is_refused_before_anything_is_written(bank, store):
    """TransactWriteItems takes 100 actions: a larger unit never commits in part."""
    from flaskbank.domain.security import AuditAction, AuditEvent

    events = [
        AuditEvent(
            ledger.new_id(),
            bank.now(),
            AuditAction.CUSTOMER_SEARCHED,
            None,
            "cli",
            "local",
            "",
            {"n": str(n)},
        )
        for n in range(101)
    ]
    with pytest.raises(StoreError), store.unit_of_work() as uow:
        for event in events:
            store.audit.append_audit(event)
        uow.commit()
    assert store.audit.audit_log(limit=10).items == []
    with store.unit_of_work() as uow:
        for event in events[:100]:
            store.audit.append_audit(event)
        uow.commit()
    assert len(store.audit.audit_log(limit=200).items) == 100


def test_placing_and_resolving_a_hold_is_one_write_each(bank, store):
    """A hold: reads (the account, the event shard's counter), then one TransactWriteItems
    (the hold, the account's held amount, its event); a void reads the hold and writes once;
    releasing a pending transfer is the posting's own single write."""
    from flaskbank.domain import holds as domain
    from flaskbank.domain.holds import HoldStatus
    from flaskbank.services import holds

    ada, bob = new_customer(bank, deposit="900.00"), new_customer(bank, "Bob Stone")
    account = bank.store.ledger.get_account(ada.account_id)
    hold = domain.staff_hold(
        account, Money.of("100"), reason="levy", by="t", at=bank.now(), expires_at=None
    )
    with calls(store) as seen:
        bank.in_unit(lambda: bank.store.holds.place(hold))
    assert [c for c in seen if c != "GetItem" and c != "BatchGetItem"] == ["TransactWriteItems"]
    with calls(store) as seen:
        bank.in_unit(
            lambda: bank.store.holds.resolve(hold, HoldStatus.VOIDED, by="t", at=bank.now())
        )
    assert [c for c in seen if c not in ("GetItem", "BatchGetItem")] == ["TransactWriteItems"]
    bank.settings = replace(bank.settings, review_threshold=Decimal("500"))
    pending = postings.transfer(
        bank, ada.user_id, ada.account_id, amount="600.00", to_account_number=bob.account_number
    )
    analyst, _ = staff.create_staff(
        bank,
        email="fay@example.com",
        full_name="Fay",
        role="fraud_analyst",
        actor=Actor.of(None, "127.0.0.1", "cli"),
    )
    with calls(store) as seen:
        holds.release(bank, analyst, ada.account_id, pending.id, Actor.of(analyst, "127.0.0.1"))
    # the hold, the accounts and the shard counter; one write (the posting, the hold, both
    # events); then the audit line, which is not part of it (docs/ledger.md)
    assert seen == ["GetItem", "BatchGetItem", "TransactWriteItems", "PutItem"]
    assert bank.store.ledger.get_account(bob.account_id).balance == Money.of("600.00")
