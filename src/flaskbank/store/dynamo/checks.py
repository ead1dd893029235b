"""What `flaskbank verify` checks on DynamoDB beyond the ledger: the copies the store keeps so
that a request reads one item instead of several (see docs/dynamodb.md).

- an account's `owner_name` copies its owner's profile name;
- an email lock names the user with that email and lists exactly that user's account ids;
- a number lock points at the account with that number;
- an account whose id does not follow from its number (opened before d40e6db) has an alias
  at the key its number gives, and every alias names such an account (migrations.py);
- an alert's `rules` (the rule filter's) are the rules its verdict says fired, and its
  `at_id` and `feed` (the queue's index keys) follow from its time and id.

Three Scans with strongly consistent reads: an admin tool, never on a request path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...domain.accounts import account_id_for
from ..alert_json import alert_from_fields, rules_of
from . import items as di
from . import monitoring_items as mi
from .client import Dynamo


def _items(db: Dynamo, table: str) -> Iterator[di.Item]:
    for page in db.pages("scan", TableName=table, ConsistentRead=True):
        yield from map(di.from_wire, page["Items"])


def _by_kind(
    db: Dynamo, table: str, row: str, lock: str
) -> tuple[dict[str, di.Item], dict[str, di.Item]]:
    """A table's rows by id and its locks (and aliases) by key, told apart by their key's
    prefix (an alias has a row's prefix and no id)."""
    rows: dict[str, di.Item] = {}
    locks: dict[str, di.Item] = {}
    for item in _items(db, table):
        if di.is_alias(item):
            locks[item["pk"]] = item
        elif item["pk"].startswith(row):
            rows[item["id"]] = item
        elif item["pk"].startswith(lock):
            locks[item["pk"]] = item
    return rows, locks


def copies_out_of_step(db: Dynamo) -> Iterator[str]:
    users, email_locks = _by_kind(db, db.tables.users, "USER#", "EMAIL#")
    accounts, locks = _by_kind(db, db.tables.accounts, "ACCOUNT#", "NUMBER#")
    number_locks = {k: v for k, v in locks.items() if not di.is_alias(v)}
    aliases = {k: v for k, v in locks.items() if di.is_alias(v)}
    owned: dict[str, list[str]] = defaultdict(list)
    for account in accounts.values():
        number = account["number"]
        owned[account["user_id"]].append(account["id"])
        owner = users.get(account["user_id"])
        if owner is None:
            yield f"account {number} belongs to no user"
        elif account.get("owner_name") != owner["full_name"]:
            yield (
                f"account {number} names its owner {account.get('owner_name')!r}; "
                f"the profile says {owner['full_name']!r}"
            )
        lock = number_locks.get(di.number_key(number)["pk"])
        if lock is None or lock["account_id"] != account["id"]:
            yield f"account {number} is not the account its number's lock points at"
        derived = di.account_key(account_id_for(number))["pk"]
        alias = aliases.get(derived)
        if derived != account["pk"] and (alias is None or alias["alias_of"] != account["id"]):
            yield f"account {number}: no alias at the key its number gives (run flaskbank init)"
    for key, alias in aliases.items():
        target = accounts.get(alias["alias_of"])
        if target is None or di.account_key(account_id_for(target["number"]))["pk"] != key:
            yield f"the alias {key} names no account with the number it stands for"
    for user_id, user in users.items():
        lock = email_locks.get(di.email_key(user["email"])["pk"])
        if lock is None or lock["user_id"] != user_id:
            yield f"user {user_id}: no lock on their email points at them"
        elif "account_ids" not in lock:
            yield f"user {user_id}: their email lock lists no accounts (run flaskbank init)"
        elif sorted(lock["account_ids"]) != sorted(owned[user_id]):
            yield (
                f"user {user_id}: their email lock lists accounts {sorted(lock['account_ids'])}"
                f", they own {sorted(owned[user_id])}"
            )
    for key, lock in email_locks.items():
        owner = users.get(lock["user_id"])
        if owner is None or di.email_key(owner["email"])["pk"] != key:
            yield f"an email lock for user {lock['user_id']} is left over from an older email"
    for key, lock in number_locks.items():
        if lock["account_id"] not in accounts:
            yield f"the lock on number {key.removeprefix('NUMBER#')} points at no account"


def alert_copies_out_of_step(db: Dynamo) -> Iterator[str]:
    for item in _items(db, db.tables.monitoring):
        if not str(item["pk"]).startswith("ALERT#"):
            continue
        alert = alert_from_fields(item)
        if list(item.get("rules", [])) != rules_of(alert):
            yield f"alert {alert.id} lists rules {item.get('rules')}; its verdict {rules_of(alert)}"
        if item.get("at_id") != mi.at_id(alert.created_at, alert.id) or (
            item.get("feed") != mi.ALERT_FEED
        ):
            yield f"alert {alert.id} is filed in the queue under another time or id"
