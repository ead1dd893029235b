"""Schema versions on DynamoDB (store/dynamo/migrations.py), on DynamoDB Local: the version
item, a new store stamped at once, a second `init` that does nothing, a newer store refused,
two `init`s at once; and each step on the older shape of item it rewrites."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator

import pytest

from conftest import new_customer
from dynamodb_local import REGION
from flaskbank.domain import holds, ledger
from flaskbank.domain.accounts import (
    Account,
    AccountStatus,
    AccountType,
    account_id_for,
    new_account_number,
)
from flaskbank.domain.money import Money
from flaskbank.domain.monitoring.model import StoredProfile
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, postings, sessions, tokens
from flaskbank.services.bank import Bank
from flaskbank.services.ledger_checks import verify
from flaskbank.store.base import BulkBatch
from flaskbank.store.dynamo import DynamoStore, migrations
from flaskbank.store.dynamo import items as di
from flaskbank.store.dynamo.schema import table_definitions
from flaskbank.store.migrations import (
    UNVERSIONED,
    SchemaBehind,
    SchemaReport,
    SchemaTooNew,
)
from test_dynamo_specific import allowed, iam_requests

LATEST = migrations.STEPS.latest


@pytest.fixture
def endpoint(dynamodb_endpoint: str) -> str:
    return dynamodb_endpoint


def new_store(endpoint: str, prefix: str | None = None) -> DynamoStore:
    """A store on tables of its own, not created yet."""
    return DynamoStore(
        region=REGION, endpoint_url=endpoint, table_prefix=prefix or f"m{uuid.uuid4().hex[:12]}-"
    )


@pytest.fixture
def store(endpoint: str) -> Iterator[DynamoStore]:
    s = new_store(endpoint)
    yield s
    s.close()


def version_item(store: DynamoStore) -> di.Item | None:
    return store.db.get(store.tables.transactions, migrations.VERSION_KEY)


def set_version(store: DynamoStore, version: int | None) -> None:
    """Make the store look as if `version` were recorded (None: made before versions)."""
    key = di.to_wire(migrations.VERSION_KEY)
    if version is None:
        store.db.client.delete_item(TableName=store.tables.transactions, Key=key)
    else:
        store.db.client.put_item(
            TableName=store.tables.transactions,
            Item=di.to_wire({**migrations.VERSION_KEY, "version": version}),
        )


def test_a_new_store_is_stamped_at_the_latest_version_and_a_second_init_does_nothing(store):
    assert migrations.schema_version(store.db) is None
    assert store.init_schema() == SchemaReport(LATEST, created=True)
    assert version_item(store)["version"] == LATEST  # type: ignore[index]
    assert store.init_schema() == SchemaReport(LATEST)
    store.check_schema()


def test_a_store_made_before_versions_runs_every_step(store):
    store.init_schema()
    set_version(store, None)
    assert migrations.schema_version(store.db) == UNVERSIONED
    with pytest.raises(SchemaBehind, match="at schema version 1"):
        store.check_schema()
    assert store.init_schema() == SchemaReport(LATEST, tuple(range(2, LATEST + 1)))
    assert version_item(store)["version"] == LATEST  # type: ignore[index]


def test_a_store_newer_than_the_code_is_refused_before_anything_is_touched(store):
    store.init_schema()
    set_version(store, LATEST + 1)
    store.db.client.delete_table(TableName=store.tables.audit)
    with pytest.raises(SchemaTooNew, match=f"version {LATEST + 1}, newer than this code"):
        store.init_schema()
    assert store.tables.audit not in store.db.client.list_tables()["TableNames"]
    with pytest.raises(SchemaTooNew):
        store.check_schema()


def test_two_inits_at_once_on_a_new_store_both_end_at_the_latest_version(endpoint):
    prefix = f"m{uuid.uuid4().hex[:12]}-"
    stores = [new_store(endpoint, prefix) for _ in range(2)]
    start = threading.Barrier(2)
    reports: list[SchemaReport] = []

    def run(store: DynamoStore) -> None:
        start.wait()
        reports.append(store.init_schema())

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2 and {r.version for r in reports} == {LATEST}
    assert migrations.schema_version(stores[0].db) == LATEST
    stores[0].check_schema()
    for s in stores:
        s.close()


# -- the steps, each on the older shape it exists for -----------------------------------------
@pytest.fixture
def bank(store: DynamoStore) -> Bank:
    store.init_schema()
    return Bank(store, FastHasher())


def remove(store: DynamoStore, table: str, key: di.Item, *names: str) -> None:
    """Leave attributes out, as the release before them wrote the item."""
    store.db.client.update_item(
        TableName=table, Key=di.to_wire(key), UpdateExpression="REMOVE " + ", ".join(names)
    )


def raw(store: DynamoStore, table: str, key: di.Item) -> di.Item:
    item = store.db.get(table, key)
    assert item is not None
    return item


def legacy_account(bank: Bank, user_id: str, name: str) -> Account:
    """An account as releases before d40e6db opened it: an id not derived from its number."""
    account = Account(
        id=ledger.new_id(),
        number=new_account_number(),
        user_id=user_id,
        type=AccountType.CHECKING,
        currency="USD",
        balance=Money.zero("USD"),
        status=AccountStatus.OPEN,
        opened_at=bank.now(),
        owner_name=name,
    )
    bank.store.ledger.add_account(account)
    return account


def migrated(store: DynamoStore) -> SchemaReport:
    """`init` on a store made before versions: every step runs."""
    set_version(store, None)
    report = store.init_schema()
    assert report == SchemaReport(LATEST, tuple(range(2, LATEST + 1)))
    return report


def test_step_2_gives_accounts_their_owners_name(bank, store):
    ada = new_customer(bank, "Ada Lovelace")
    grace = new_customer(bank, "Grace Hopper")
    remove(store, store.tables.accounts, di.account_key(ada.account_id), "owner_name")
    migrated(store)
    assert raw(store, store.tables.accounts, di.account_key(ada.account_id))["owner_name"] == (
        "Ada Lovelace"
    )
    assert store.ledger.get_account(grace.account_id).owner_name == "Grace Hopper"
    assert verify(bank).problems == []


def test_step_3_gives_an_account_opened_before_ids_followed_numbers_an_alias(bank, store):
    ada = new_customer(bank, deposit="20.00")
    carol = new_customer(bank, "Carol Shaw")
    old = legacy_account(bank, carol.user_id, "Carol Shaw")
    derived = di.account_key(account_id_for(old.number))
    assert "no alias at the key its number gives" in " ".join(verify(bank).problems)
    migrated(store)
    assert raw(store, store.tables.accounts, derived) == {
        **derived,
        "kind": "alias",
        "alias_of": old.id,
    }
    assert store.ledger.get_account(account_id_for(old.number)) is None  # not an account
    assert store.ledger.get_account(old.id) == old  # which keeps its id
    assert [a.id for a in store.ledger.accounts_of(carol.user_id)] == [carol.account_id, old.id]
    postings.transfer(
        bank, ada.user_id, ada.account_id, amount="2.50", to_account_number=old.number
    )
    assert store.ledger.get_account(old.id).balance == Money.of("2.50")
    assert verify(bank).problems == []
    assert verify(bank).accounts == 3


def test_step_4_lists_an_owners_accounts_on_their_email_lock(bank, store):
    bob = new_customer(bank, "Bob Babbage")
    savings = accounts.open_account(bank, bob.user_id, type="savings")
    old = legacy_account(bank, bob.user_id, "Bob Babbage")
    remove(store, store.tables.users, di.email_key(bob.email), "account_ids")
    grace = new_customer(bank, "Grace Hopper")
    kept = raw(store, store.tables.users, di.email_key(grace.email))
    migrated(store)
    lock = raw(store, store.tables.users, di.email_key(bob.email))
    assert lock["account_ids"] == [bob.account_id, savings.id, old.id]  # oldest first
    assert raw(store, store.tables.users, di.email_key(grace.email)) == kept
    assert verify(bank).problems == []


def test_step_5_gives_records_a_version_and_a_security_stamp(bank, store):
    carol = new_customer(bank, "Carol Shaw")
    token, _ = tokens.issue_token(bank, email=carol.email, password=carol.password)
    session_id = sessions.save(bank, None, carol.user_id, {"csrf": "x"}, None)
    assert session_id is not None
    remove(store, store.tables.users, di.user_key(carol.user_id), "version", "security_stamp")
    remove(store, store.tables.tokens, {"pk": hashlib.sha256(token.encode()).hexdigest()}, "stamp")
    remove(store, store.tables.sessions, {"pk": sessions.hash_id(session_id)}, "version")
    migrated(store)
    user = raw(store, store.tables.users, di.user_key(carol.user_id))
    assert (user["version"], user["security_stamp"]) == (0, "")
    assert tokens.user_for_token(bank, token).id == carol.user_id  # still signed in
    session = sessions.load(bank, session_id)
    assert session is not None and session.version == 0 and session.data == {"csrf": "x"}
    customers.update_profile(bank, carol.user_id, full_name="Carol S. Shaw")
    assert store.ledger.get_account(carol.account_id).owner_name == "Carol S. Shaw"


def test_step_8_marks_every_existing_profile_as_no_demo_login(bank, store):
    carol = new_customer(bank, "Carol Shaw")
    remove(store, store.tables.users, di.user_key(carol.user_id), "demo_only")
    migrated(store)
    assert raw(store, store.tables.users, di.user_key(carol.user_id))["demo_only"] is False
    user = store.users.get_user(carol.user_id)
    assert user is not None and not user.demo_only
    assert tokens.issue_token(bank, email=carol.email, password=carol.password)


def test_step_9_bulk_loads_get_their_table_and_a_loader_refuses_a_store_without_it(store):
    """A store of the release before has no `loads` table: a loader refuses it until `init` has made
    the table and moved the version on (step 9 changes no item)."""
    store.init_schema()
    store.db.client.delete_table(TableName=store.tables.loads)
    store.db.client.get_waiter("table_not_exists").wait(TableName=store.tables.loads)
    set_version(store, 8)
    with pytest.raises(SchemaBehind, match="at schema version 8"):
        store.bulk.load(BulkBatch("load-1", 0))
    assert store.init_schema() == SchemaReport(LATEST, tuple(range(9, LATEST + 1)))
    assert store.db.client.describe_table(TableName=store.tables.loads)["Table"]
    assert store.bulk.unfinished_loads() == []


def test_step_10_monitoring_gets_its_table_and_indexes_and_serve_refuses_a_store_without_it(
    store,
):
    """A store of the release before has no `monitoring` table: serve and verify refuse it
    (check_schema) until `init` has made the table with the alert queue's indexes."""
    store.init_schema()
    store.db.client.delete_table(TableName=store.tables.monitoring)
    store.db.client.get_waiter("table_not_exists").wait(TableName=store.tables.monitoring)
    set_version(store, 9)
    with pytest.raises(SchemaBehind, match="at schema version 9"):
        store.check_schema()
    assert store.init_schema() == SchemaReport(LATEST, tuple(range(10, LATEST + 1)))
    store.check_schema()
    table = store.db.client.describe_table(TableName=store.tables.monitoring)["Table"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == [
        "alerts_by_customer",
        "alerts_by_status",
        "alerts_newest",
    ]
    saved = store.monitoring.save_profile(StoredProfile("u-1", "{}"))
    assert store.monitoring.profile("u-1") == saved


def test_step_11_gives_the_holds_table_its_index_by_hold_id(endpoint):
    """A holds table made by the release before has no by_id index: `init` adds it to the
    table as it is, and a hold is then found by its id alone; serve refuses a store at
    version 10 (DynamoDB Local cannot drop an index, so the old table is made as it was)."""
    store = new_store(endpoint)
    client = store.db.client
    (table,) = [d for d in table_definitions(store.tables) if d["TableName"] == store.tables.holds]
    old = [g for g in table["GlobalSecondaryIndexes"] if g["IndexName"] != "by_id"]
    client.create_table(
        **{**table, "GlobalSecondaryIndexes": old, "BillingMode": "PAY_PER_REQUEST"}
    )
    store.init_schema()
    described = client.describe_table(TableName=store.tables.holds)["Table"]
    assert {i["IndexName"]: i["IndexStatus"] for i in described["GlobalSecondaryIndexes"]} == {
        "due": "ACTIVE",
        "by_id": "ACTIVE",
    }
    bank = Bank(store, FastHasher())
    ada = new_customer(bank, "Ada Lovelace", deposit="50.00")
    hold = holds.staff_hold(
        store.ledger.get_account(ada.account_id),
        Money.of("10.00", "USD"),
        reason="court order",
        by="cli",
        at=bank.now(),
        expires_at=None,
    )
    store.holds.place(hold)
    assert store.holds.find(hold.id) == hold
    assert store.holds.find("no-such-hold") is None
    set_version(store, 10)
    with pytest.raises(SchemaBehind, match="at schema version 10"):
        store.check_schema()
    store.close()


def test_step_13_gives_the_users_table_an_index_by_surname_and_profiles_its_key(endpoint):
    """A users table made by the release before has no by_surname index and its profiles no
    surname_key: `init` adds the index to the table as it is, step 13 gives each profile its
    key, and staff search then finds a customer of before by their surname."""
    store = new_store(endpoint)
    client = store.db.client
    (table,) = [d for d in table_definitions(store.tables) if d["TableName"] == store.tables.users]
    old = [g for g in table["GlobalSecondaryIndexes"] if g["IndexName"] != "by_surname"]
    keys = [a for a in table["AttributeDefinitions"] if a["AttributeName"] != "surname_key"]
    client.create_table(
        **{**table, "AttributeDefinitions": keys, "GlobalSecondaryIndexes": old}
        | {"BillingMode": "PAY_PER_REQUEST"}
    )
    store.init_schema()
    bank = Bank(store, FastHasher())
    grace = new_customer(bank, "Grace Brewster Hopper")
    remove(store, store.tables.users, di.user_key(grace.user_id), "surname_key")
    assert [u.id for u in store.users.search_users("hopper", limit=10)] == []
    set_version(store, 12)
    assert store.init_schema() == SchemaReport(LATEST, tuple(range(13, LATEST + 1)))
    described = client.describe_table(TableName=store.tables.users)["Table"]
    assert "by_surname" in {i["IndexName"] for i in described["GlobalSecondaryIndexes"]}
    assert [u.id for u in store.users.search_users("hopper", limit=10)] == [grace.user_id]
    store.close()


def test_step_14_gives_profiles_empty_personal_details_and_makes_the_new_tables(endpoint):
    """A users table made by the release before has no by_phone index, and no notes or
    approvals table exists: `init` adds them; step 14 gives each profile of before an empty
    phone, address and date of birth, so it reads as a customer who has not given them."""
    store = new_store(endpoint)
    client = store.db.client
    for definition in table_definitions(store.tables):
        name = definition["TableName"]
        if name in (store.tables.notes, store.tables.approvals):
            continue
        if name == store.tables.users:
            old = [g for g in definition["GlobalSecondaryIndexes"] if g["IndexName"] != "by_phone"]
            keys = [
                a for a in definition["AttributeDefinitions"] if a["AttributeName"] != "phone_key"
            ]
            definition = {**definition, "AttributeDefinitions": keys, "GlobalSecondaryIndexes": old}
        client.create_table(**definition, BillingMode="PAY_PER_REQUEST")
    for name in store.tables.all():
        if name not in (store.tables.notes, store.tables.approvals):
            client.get_waiter("table_exists").wait(TableName=name)
    set_version(store, 13)
    users = store.tables.users
    bank = Bank(store, FastHasher())
    # `init` adds the tables and the index; then a profile as the release before wrote it.
    assert store.init_schema() == SchemaReport(LATEST, tuple(range(14, LATEST + 1)))
    person = new_customer(bank, "Grace Hopper")
    for attribute in ("phone", "address", "date_of_birth"):
        remove(store, users, di.user_key(person.user_id), attribute)
    set_version(store, 13)
    assert store.init_schema() == SchemaReport(LATEST, tuple(range(14, LATEST + 1)))
    user = store.users.get_user(person.user_id)
    assert user is not None and (user.phone, user.address, user.date_of_birth) == ("", "", "")
    described = client.describe_table(TableName=users)["Table"]
    assert "by_phone" in {i["IndexName"] for i in described["GlobalSecondaryIndexes"]}
    customers.update_profile(bank, person.user_id, phone="+1 202 555 0100")
    assert [u.id for u in store.users.search_users("555 0100", limit=5)] == [person.user_id]
    assert store.notes.notes_of(person.user_id, limit=5) == []
    assert store.approvals.pending_requests(limit=5) == []
    store.close()


def test_every_step_is_idempotent(bank, store):
    carol = new_customer(bank, "Carol Shaw")
    legacy_account(bank, carol.user_id, "Carol Shaw")
    remove(store, store.tables.users, di.email_key(carol.email), "account_ids")
    remove(store, store.tables.users, di.user_key(carol.user_id), "version")

    def everything() -> list[di.Item]:
        return sorted(
            (
                di.from_wire(i)
                for table in store.tables.all()
                for page in store.db.pages("scan", TableName=table, ConsistentRead=True)
                for i in page["Items"]
            ),
            key=repr,
        )

    for step in migrations.STEPS:
        step.apply(store.db)
    once = everything()
    for step in migrations.STEPS:
        step.apply(store.db)
    assert everything() == once
    assert verify(bank).problems == []


def test_two_inits_at_once_migrate_an_older_store_once(endpoint, bank, store):
    carol = new_customer(bank, "Carol Shaw", deposit="5.00")
    old = legacy_account(bank, carol.user_id, "Carol Shaw")
    remove(store, store.tables.users, di.email_key(carol.email), "account_ids")
    remove(store, store.tables.users, di.user_key(carol.user_id), "version", "security_stamp")
    set_version(store, None)
    others = [new_store(endpoint, store.table_prefix) for _ in range(2)]
    start = threading.Barrier(2)
    reports: list[SchemaReport] = []

    def run(s: DynamoStore) -> None:
        start.wait()
        reports.append(s.init_schema())

    threads = [threading.Thread(target=run, args=(s,)) for s in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2
    applied = sorted(v for r in reports for v in r.applied)
    assert applied == list(range(2, LATEST + 1))  # each step stamped by one of them
    assert migrations.schema_version(store.db) == LATEST
    lock = raw(store, store.tables.users, di.email_key(carol.email))
    assert lock["account_ids"] == [carol.account_id, old.id]
    assert verify(bank).problems == []
    for s in others:
        s.close()


def test_the_iam_policies_allow_what_a_migration_sends(bank, store):
    """The operator's role (app and init policies together) may run every step."""
    carol = new_customer(bank, "Carol Shaw")
    legacy_account(bank, carol.user_id, "Carol Shaw")
    token, _ = tokens.issue_token(bank, email=carol.email, password=carol.password)
    session_id = sessions.save(bank, None, carol.user_id, {}, None)
    assert session_id is not None
    remove(store, store.tables.users, di.email_key(carol.email), "account_ids")
    remove(store, store.tables.accounts, di.account_key(carol.account_id), "owner_name")
    remove(store, store.tables.users, di.user_key(carol.user_id), "version", "security_stamp")
    remove(store, store.tables.tokens, {"pk": hashlib.sha256(token.encode()).hexdigest()}, "stamp")
    remove(store, store.tables.sessions, {"pk": sessions.hash_id(session_id)}, "version")
    set_version(store, None)
    needed: list[tuple[str, str]] = []

    def hook(model, params, **_):  # type: ignore[no-untyped-def]
        needed.extend(iam_requests(store, model.name, params))

    store.db.client.meta.events.register("before-parameter-build.dynamodb", hook, unique_id="m")
    assert store.init_schema().applied == tuple(range(2, LATEST + 1))
    store.db.client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="m")
    assert {action for action, _ in needed} >= {"dynamodb:Scan", "dynamodb:UpdateItem"}
    policies = ["iam-policy-app.json", "iam-policy-init.json"]
    assert [c for c in needed if not allowed(policies, *c)] == []
