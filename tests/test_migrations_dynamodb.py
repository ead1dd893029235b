"""Schema versions on DynamoDB (store/dynamo/migrations.py), on DynamoDB Local: the version
item, a new store stamped at once, a second `init` that does nothing, a newer store refused,
and two `init`s at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from dynamodb_local import REGION
from flaskbank.store.dynamo import DynamoStore, migrations
from flaskbank.store.dynamo import items as di
from flaskbank.store.migrations import (
    SchemaReport,
    SchemaTooNew,
)

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
