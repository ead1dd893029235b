"""DynamoStore's tables, their keys and indexes, and the idempotent `init` that creates them
(migrations.py brings the items of older releases into today's shape).

Every table shares one prefix (default `flaskbank-`), so that one IAM resource pattern
(`table/flaskbank-*`) covers a deployment and tests can run side by side under unique ones:

    users          pk USER#<id>: the profile; GSIs by_name, by_surname, by_email, by_created
                   (staff search and the admin list; partition `listed`, keys only) and
                   by_phone (reversed phone digits; sparse)
                   pk EMAIL#<lower-cased email>: uniqueness lock -> user id, account ids
    accounts       pk ACCOUNT#<id> (id = UUIDv5 of the number): balance, status, version,
                   owner's name; GSI by_user (keys only)
                   pk ACCOUNT#<UUIDv5 of the number>, for an account opened before ids
                   followed numbers: alias_of -> its id (migrations.py, step 3)
                   pk NUMBER#<number>: uniqueness lock -> account id
    transactions   pk TXN#<id>, sk "TXN": the header with every leg (the cash leg too);
                   GSI by_day (day, feed_key = <created_at>#<id>), headers only
                   pk ACCT#<account id>, sk <created_at>#<seq>: one customer account's entry
                   pk META#feed, sk "META": the first and last day that hold transactions
                   pk META#schema, sk "META": the schema version (migrations.py)
    idempotency    pk <scope (user id)>, sk <client's key>
    tokens         pk <sha-256 of the API token>; GSI by_user (user_id, created_at)
    sessions       pk <sha-256 of the session id>; GSI by_user (user_id, pk)
    login_throttles pk EMAIL#<lower-cased email> (SHA256#<hash> when too long for a key)
    audit          pk "LOG", sk <at>#<sequence>#<id>; GSIs by_action, by_actor
    holds          pk <account id>, sk <hold id>; GSI by_id (sk, pk): the account of a hold;
                   GSI due (due = "OPEN", expires_at), sparse:
                   only an open hold with a deadline carries `due`
    leases         pk <job name>: the worker that runs it, until when
    standing_orders pk USER#<user id>, sk ORDER#<order id>: an order; GSI due (due =
                   "ACTIVE", next_run), sparse: only active orders carry `due`
                   pk ORDER#<order id>, sk RUN#<date>: one run's outcome
                   pk PAYEES#<user id>, sk P#<payee id>: a saved payee; sk COUNT: how
                   many the customer keeps (payees.py)
    events         pk SHARD#<nn>, sk 0: the shard's counter; sk <n> (a Number): event n
                   pk CONSUMER#<name>, sk 0: a consumer's checkpoint (see events.py)
    loads          pk LOAD, sk <load id>: a bulk load's manifest (batches in, the one being
                   written, finished); pk LABEL, sk <label id>: a planted pattern (bulk.py)
    monitoring     pk PROFILE#<user id>, sk PROFILE: a customer's monitoring profile
                   pk RULES, sk LIVE: the live rule set, one item (read with the accounts)
                   pk RULE#<rule id>, sk V#<version, 10 digits>: one version of one rule
                   pk ALERT#<id>, sk ALERT: an alert; GSIs alerts_newest (feed = "ALERT",
                   at_id = <created_at>#<id>), alerts_by_status (status, at_id) and
                   alerts_by_customer (customer_id, at_id), ALL; only alerts carry at_id
                   pk BACKTEST#<id>, sk BACKTEST: a backtest (monitoring_items.py)
    reports        pk SAVED, sk <id>: a saved report; pk NAME, sk <name key>: the name's
                   uniqueness lock -> its id (saved_reports.py)
    mail           pk LINK#<token hash>: an emailed one-time link; pk CONFIRMED#<user id>,
                   sk <email key>: a confirmed address; pk MAIL#<id>: a mail of the outbox,
                   GSI due (due = "PENDING", next_at), sparse: only mail waiting to be sent;
                   pk DEVICE#<user id>, sk <device>: a device the user signed in from (mail.py)
    notes          pk CUSTOMER#<user id>, sk <at>#<note id>: staff's note on a customer;
                   pk FINDING#<finding key>, sk <at>#<action id>: a corrective action
                   recorded against a compliance finding (corrective_actions.py)
    approvals      pk REQUEST#<id>: a request for two-person approval; GSI pending
                   (pending = "PENDING", requested_key = <requested_at>#<id>), sparse

docs/dynamodb.md explains the access pattern behind every key and index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, WaiterError

#: How much throughput `billing=provisioned` reserves per table and per index. Deliberately
#: small: a deployment that chooses provisioned capacity sizes it (or autoscaling) itself.
PROVISIONED = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
BILLING_MODES = {
    "pay_per_request": "PAY_PER_REQUEST",
    "on_demand": "PAY_PER_REQUEST",
    "provisioned": "PROVISIONED",
}
DEFAULT_PREFIX = "flaskbank-"

BY_USER = "by_user"
BY_DAY = "by_day"
BY_NAME, BY_EMAIL, BY_CREATED = "by_name", "by_email", "by_created"
BY_SURNAME = "by_surname"
BY_PHONE = "by_phone"
PENDING = "pending"
BY_ACTION, BY_ACTOR = "by_action", "by_actor"
DUE = "due"
HOLD_BY_ID = "by_id"
ALERTS_NEWEST, ALERTS_BY_STATUS, ALERTS_BY_CUSTOMER = (
    "alerts_newest",
    "alerts_by_status",
    "alerts_by_customer",
)


@dataclass(frozen=True)
class TableNames:
    users: str
    accounts: str
    transactions: str
    idempotency: str
    tokens: str
    sessions: str
    login_throttles: str
    audit: str
    holds: str
    leases: str
    standing_orders: str
    events: str
    loads: str
    monitoring: str
    reports: str
    mail: str
    notes: str
    approvals: str

    @classmethod
    def with_prefix(cls, prefix: str) -> TableNames:
        return cls(*(prefix + name for name in _NAMES))

    def all(self) -> tuple[str, ...]:
        return tuple(getattr(self, name) for name in _NAMES)


_NAMES = (
    "users",
    "accounts",
    "transactions",
    "idempotency",
    "tokens",
    "sessions",
    "login_throttles",
    "audit",
    "holds",
    "leases",
    "standing_orders",
    "events",
    "loads",
    "monitoring",
    "reports",
    "mail",
    "notes",
    "approvals",
)


def _attrs(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def _key(hash_key: str, range_key: str | None = None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key is not None:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _index(name: str, hash_key: str, range_key: str, projection: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": _key(hash_key, range_key),
        "Projection": {"ProjectionType": projection},
    }


def table_definitions(names: TableNames) -> list[dict[str, Any]]:
    """CreateTable arguments for every table, without the billing settings."""
    return [
        {
            "TableName": names.users,
            "AttributeDefinitions": _attrs(
                "pk", "listed", "name_key", "surname_key", "email_key", "created_key", "phone_key"
            ),
            "KeySchema": _key("pk"),
            # One partition ("USER") per index: staff search and the admin list read it, and
            # only a new user or a changed name or email writes it (keys only).
            "GlobalSecondaryIndexes": [
                _index(BY_NAME, "listed", "name_key", "KEYS_ONLY"),
                _index(BY_SURNAME, "listed", "surname_key", "KEYS_ONLY"),
                _index(BY_EMAIL, "listed", "email_key", "KEYS_ONLY"),
                _index(BY_CREATED, "listed", "created_key", "KEYS_ONLY"),
                # sparse: only a profile with a phone number carries phone_key
                _index(BY_PHONE, "listed", "phone_key", "KEYS_ONLY"),
            ],
        },
        {
            "TableName": names.accounts,
            "AttributeDefinitions": _attrs("pk", "user_id", "owner_key"),
            "KeySchema": _key("pk"),
            # Keys only: accounts_of reads the items themselves (strongly consistent, so the
            # balances it shows are never older than the last posting).
            "GlobalSecondaryIndexes": [_index(BY_USER, "user_id", "owner_key", "KEYS_ONLY")],
        },
        {
            "TableName": names.transactions,
            "AttributeDefinitions": _attrs("pk", "sk", "day", "feed_key"),
            "KeySchema": _key("pk", "sk"),
            # ALL: a feed page is read from the index alone, with no GetItem per transaction.
            "GlobalSecondaryIndexes": [_index(BY_DAY, "day", "feed_key", "ALL")],
        },
        {
            "TableName": names.idempotency,
            "AttributeDefinitions": _attrs("pk", "sk"),
            "KeySchema": _key("pk", "sk"),
        },
        {
            "TableName": names.tokens,
            "AttributeDefinitions": _attrs("pk", "user_id", "created_at"),
            "KeySchema": _key("pk"),
            "GlobalSecondaryIndexes": [_index(BY_USER, "user_id", "created_at", "KEYS_ONLY")],
        },
        {
            "TableName": names.sessions,
            "AttributeDefinitions": _attrs("pk", "user_id"),
            "KeySchema": _key("pk"),
            # sparse: an anonymous session has no user_id
            "GlobalSecondaryIndexes": [_index(BY_USER, "user_id", "pk", "KEYS_ONLY")],
        },
        {
            "TableName": names.login_throttles,
            "AttributeDefinitions": _attrs("pk"),
            "KeySchema": _key("pk"),
        },
        {
            "TableName": names.audit,
            "AttributeDefinitions": _attrs("pk", "sk", "action", "actor_email"),
            "KeySchema": _key("pk", "sk"),
            "GlobalSecondaryIndexes": [
                _index(BY_ACTION, "action", "sk", "ALL"),
                _index(BY_ACTOR, "actor_email", "sk", "ALL"),
            ],
        },
        {
            "TableName": names.holds,
            "AttributeDefinitions": _attrs("pk", "sk", "due", "expires_at"),
            "KeySchema": _key("pk", "sk"),
            # Sparse, one partition: only open holds with a deadline, which the worker's
            # expiry job reads; placing or resolving one is rare next to postings.
            # by_id: staff acting from an alert know the hold and not its account.
            "GlobalSecondaryIndexes": [
                _index(DUE, "due", "expires_at", "KEYS_ONLY"),
                _index(HOLD_BY_ID, "sk", "pk", "KEYS_ONLY"),
            ],
        },
        {
            "TableName": names.leases,
            "AttributeDefinitions": _attrs("pk"),
            "KeySchema": _key("pk"),
        },
        {
            "TableName": names.standing_orders,
            "AttributeDefinitions": _attrs("pk", "sk", "due", "next_run"),
            "KeySchema": _key("pk", "sk"),
            # Sparse, one partition: the worker's daily read of the orders due.
            "GlobalSecondaryIndexes": [_index(DUE, "due", "next_run", "ALL")],
        },
        {
            "TableName": names.events,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},  # an event's number in its shard
            ],
            # Shard counters, their numbered events and consumers' checkpoints (events.py).
            "KeySchema": _key("pk", "sk"),
        },
        {
            "TableName": names.loads,
            "AttributeDefinitions": _attrs("pk", "sk"),
            # Bulk loads' manifests and the labels they planted, each kind one partition
            # that a Query reads whole: both are few (a load per `generate`, labels for
            # well under 1% of customers) and written by one loader at a time.
            "KeySchema": _key("pk", "sk"),
        },
        {
            "TableName": names.monitoring,
            "AttributeDefinitions": _attrs("pk", "sk", "feed", "at_id", "status", "customer_id"),
            "KeySchema": _key("pk", "sk"),
            # ALL: a page of the alert queue is read from an index alone. Only alerts carry
            # at_id, so profiles, rules and backtests stay out of every index. One partition
            # for the newest-first list: alerts are a small share of postings, well within
            # one partition's writes (docs/dynamodb.md).
            "GlobalSecondaryIndexes": [
                _index(ALERTS_NEWEST, "feed", "at_id", "ALL"),
                _index(ALERTS_BY_STATUS, "status", "at_id", "ALL"),
                _index(ALERTS_BY_CUSTOMER, "customer_id", "at_id", "ALL"),
            ],
        },
        {
            "TableName": names.reports,
            "AttributeDefinitions": _attrs("pk", "sk"),
            # Saved reports are few (staff save them by hand): one partition, read whole by
            # a Query for the list, and one item per name as its uniqueness lock.
            "KeySchema": _key("pk", "sk"),
        },
        {
            "TableName": names.mail,
            "AttributeDefinitions": _attrs("pk", "sk", "due", "next_at"),
            "KeySchema": _key("pk", "sk"),
            # Sparse, one partition: only mail waiting to be sent carries `due`, which the
            # worker's send job reads; mail is a few messages per customer per month.
            "GlobalSecondaryIndexes": [_index(DUE, "due", "next_at", "KEYS_ONLY")],
        },
        {
            "TableName": names.notes,
            "AttributeDefinitions": _attrs("pk", "sk"),
            # One partition per customer, read newest first; staff write notes by hand.
            "KeySchema": _key("pk", "sk"),
        },
        {
            "TableName": names.approvals,
            "AttributeDefinitions": _attrs("pk", "pending", "requested_key"),
            "KeySchema": _key("pk"),
            # Sparse, one partition: only an undecided request carries `pending`; staff
            # ask for a handful a day.
            "GlobalSecondaryIndexes": [_index(PENDING, "pending", "requested_key", "ALL")],
        },
    ]


def _with_billing(definition: dict[str, Any], mode: str) -> dict[str, Any]:
    table = {**definition, "BillingMode": mode}
    if mode == "PROVISIONED":
        table["ProvisionedThroughput"] = PROVISIONED
        table["GlobalSecondaryIndexes"] = [
            {**gsi, "ProvisionedThroughput": PROVISIONED}
            for gsi in definition.get("GlobalSecondaryIndexes", [])
        ]
        if not table["GlobalSecondaryIndexes"]:
            del table["GlobalSecondaryIndexes"]
    return table


def create_tables(client: Any, names: TableNames, billing: str) -> tuple[list[str], dict[str, str]]:
    """Create what is missing, wait until every table and index is ACTIVE, and ask for
    point-in-time recovery. Safe to repeat. Returns the tables it created and each table's
    PITR outcome."""
    mode = BILLING_MODES[billing]
    created = []
    for definition in table_definitions(names):
        try:
            client.create_table(**_with_billing(definition, mode))
            created.append(definition["TableName"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceInUseException":  # it exists already
                raise
    for name in names.all():
        wait_active(client, name)
    for definition in table_definitions(names):
        _add_missing_indexes(client, definition, mode)
    return created, {name: _enable_pitr(client, name) for name in names.all()}


def _add_missing_indexes(client: Any, definition: dict[str, Any], mode: str) -> None:
    """Give a table made by an older release the indexes this one defines (one at a time,
    as DynamoDB requires), and wait until each is ACTIVE."""
    table = definition["TableName"]
    have = {
        g["IndexName"]
        for g in client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    }
    for gsi in definition.get("GlobalSecondaryIndexes", []):
        if gsi["IndexName"] in have:
            continue
        create = {**gsi, "ProvisionedThroughput": PROVISIONED} if mode == "PROVISIONED" else gsi
        client.update_table(
            TableName=table,
            AttributeDefinitions=definition["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": create}],
        )
        wait_active(client, table)


def wait_active(client: Any, table: str, timeout: float = 600.0) -> None:
    try:
        client.get_waiter("table_exists").wait(
            TableName=table, WaiterConfig={"Delay": 2, "MaxAttempts": int(timeout / 2)}
        )
    except WaiterError as e:
        raise TimeoutError(f"table {table} did not become ACTIVE") from e
    deadline = time.monotonic() + timeout
    while True:  # the table waiter does not look at the indexes
        desc = client.describe_table(TableName=table)["Table"]
        pending = [
            g["IndexName"]
            for g in desc.get("GlobalSecondaryIndexes", [])
            if g.get("IndexStatus", "ACTIVE") != "ACTIVE"
        ]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"indexes {pending} of {table} did not become ACTIVE")
        time.sleep(2)


def _enable_pitr(client: Any, table: str, attempts: int = 10) -> str:
    """'enabled', or 'unsupported' where the service has no continuous backups (DynamoDB
    Local answers UnknownOperationException)."""
    for attempt in range(attempts):
        try:
            client.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
            return "enabled"
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code == "UnknownOperationException":
                return "unsupported"
            # A table created a moment ago may not accept backups yet; it will shortly.
            if code != "ContinuousBackupsUnavailableException" or attempt == attempts - 1:
                raise
            time.sleep(min(2**attempt, 10))
    raise AssertionError("unreachable")
