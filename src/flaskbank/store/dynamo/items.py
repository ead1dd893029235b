"""Item <-> domain mapping for DynamoStore (kept apart so the store reads as its calls).

Money is stored as integer minor units in DynamoDB Numbers, serialised by boto3's
TypeSerializer from int (it refuses floats), and read back as Decimal, so no amount ever
passes through a binary float.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ...domain import identity, personal
from ...domain.accounts import Account, AccountStatus, AccountType, Role, User
from ...domain.chart import is_internal
from ...domain.ledger import Entry, Posting, Transaction, TransactionType
from ...domain.money import Money
from ...domain.security import ApiToken, AuditAction, AuditEvent, WebSession

Item = dict[str, Any]  # plain Python values, as TypeDeserializer gives them

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

#: Entry sort keys end in the account's version, zero-padded so text order is number order.
SEQ_DIGITS = 12
FEED_META = {"pk": "META#feed", "sk": "META"}

# The shapes of the sort keys that cursors carry: a cursor that does not have its shape was
# not issued by us (422), whatever else it decodes to. [0-9], not \d: \d is any Unicode digit.
_DAY, _TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}", r"T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
ENTRY_SK = re.compile(rf"^{_DAY}{_TIME}#[0-9]{{{SEQ_DIGITS}}}$")
AUDIT_SK = re.compile(rf"^{_DAY}{_TIME}#[0-9]{{20}}#[^#]+$")
CREATED_KEY = re.compile(rf"^{_DAY}{_TIME}#[^#]+$")
#: A feed position: nothing yet, the end of a day ("<day>~"), or a transaction's feed_key.
FEED_POSITION = re.compile(rf"^({_DAY}(~|{_TIME}#[^#]+))?$")


def to_wire(item: Item) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def from_wire(item: dict[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


# -- keys ---------------------------------------------------------------------------------
#: DynamoDB's limits on key values, in UTF-8 bytes: larger keys are refused, not missing.
_KEY_BYTES = {"pk": 2048, "sk": 1024}


def can_exist(key: Item) -> bool:
    """Whether an item could have this key; a lookup of one that cannot is simply None."""
    return all(
        isinstance(v, str)
        and 0 < len(v.encode("utf-8", "surrogatepass")) <= _KEY_BYTES[k]
        or type(v) is int  # the events table's numbered sort keys
        for k, v in key.items()
    )


def throttle_key(email_key: str) -> Item:
    """Login throttles count whatever was typed, so a key of any length must fit."""
    if len(email_key.encode("utf-8", "surrogatepass")) > 1000:
        return {
            "pk": "SHA256#" + hashlib.sha256(email_key.encode("utf-8", "surrogatepass")).hexdigest()
        }
    return {"pk": f"EMAIL#{email_key}"}


def user_key(user_id: str) -> Item:
    return {"pk": f"USER#{user_id}"}


def email_key(email: str) -> Item:
    return {"pk": f"EMAIL#{identity.email_key(email)}"}


def account_key(account_id: str) -> Item:
    return {"pk": f"ACCOUNT#{account_id}"}


def number_key(number: str) -> Item:
    return {"pk": f"NUMBER#{number}"}


def entries_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def header_key(transaction_id: str) -> Item:
    return {"pk": f"TXN#{transaction_id}", "sk": "TXN"}


def feed_key(created_at: str, transaction_id: str) -> str:
    return f"{created_at}#{transaction_id}"


# -- writes that several ports make ---------------------------------------------------------
def put_new(table: str, item: Item) -> dict[str, Any]:
    """A Put that refuses to replace an item with the same key."""
    return {
        "TableName": table,
        "Item": to_wire(item),
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def email_lock(user: User, account_ids: list[str]) -> Item:
    """The lock on a user's email, which also lists the user's account ids (so that a
    transfer to an email reads the lock and then the accounts)."""
    return {**email_key(user.email), "user_id": user.id, "account_ids": account_ids}


def named(users_table: str, user_id: str, name: str) -> dict[str, Any]:
    """A condition that the user's profile still carries `name`."""
    return {
        "TableName": users_table,
        "Key": to_wire(user_key(user_id)),
        "ConditionExpression": "full_name = :name",
        "ExpressionAttributeValues": to_wire({":name": name}),
    }


# -- users ----------------------------------------------------------------------------------
#: Joins a lower-cased name to the email in by_name's sort key; below every printable
#: character, so the key sorts as the pair (name, email) does.
NAME_SEP = "\n"


def surname_of(full_name: str) -> str:
    """A name's last word, lower-cased: what by_surname sorts on, so that staff find
    "Alice Martin" by "mart" as well as by "ali"."""
    words = full_name.lower().split()
    return words[-1] if words else ""


def user_item(user: User) -> Item:
    email = identity.email_key(user.email)
    return {
        **user_key(user.id),
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "created_at": user.created_at,
        "must_change_password": user.must_change_password,
        "totp_secret": user.totp_secret,
        "totp_last_step": user.totp_last_step,
        "recovery_codes": list(user.recovery_codes),
        "version": user.version,
        "security_stamp": user.security_stamp,
        "demo_only": user.demo_only,
        # keys of the users table's indexes (staff search, the admin list)
        "listed": "USER",
        "email_key": email,
        "name_key": f"{user.full_name.lower()}{NAME_SEP}{email}",
        "surname_key": f"{surname_of(user.full_name)}{NAME_SEP}{email}",
        "created_key": f"{user.created_at}#{user.id}",
        "phone": user.phone,
        "address": user.address,
        "date_of_birth": user.date_of_birth,
        # by_phone is sparse: an index key may not be empty, and only a phone is searched
        **({"phone_key": phone_key(user.phone)} if user.phone else {}),
    }


def phone_key(phone: str) -> str:
    """by_phone's sort key: the phone's digits reversed, so that a number's last digits
    (what staff type, personal.search_digits) are a prefix that begins_with can find."""
    return personal.phone_digits(phone)[::-1]


def to_user(item: Item) -> User:
    return User(
        item["id"],
        item["email"],
        item["full_name"],
        item["password_hash"],
        Role(item["role"]),
        item["created_at"],
        must_change_password=bool(item["must_change_password"]),
        totp_secret=item["totp_secret"],
        totp_last_step=int(item["totp_last_step"]),
        recovery_codes=tuple(item["recovery_codes"]),
        version=int(item["version"]),
        security_stamp=str(item["security_stamp"]),
        demo_only=bool(item["demo_only"]),
        phone=str(item["phone"]),
        address=str(item["address"]),
        date_of_birth=str(item["date_of_birth"]),
    )


#: The attributes a change of these user fields rewrites (index keys follow their fields).
DERIVED = {
    "email": ("email_key", "name_key", "surname_key"),
    "full_name": ("name_key", "surname_key"),
    "phone": ("phone_key",),
}


# -- accounts -------------------------------------------------------------------------------
def account_item(account: Account) -> Item:
    return {
        **account_key(account.id),
        "kind": "account",
        "id": account.id,
        "number": account.number,
        "user_id": account.user_id,
        "type": account.type.value,
        "currency": account.currency,
        "balance_minor": account.balance.minor,
        "status": account.status.value,
        "opened_at": account.opened_at,
        "status_reason": account.status_reason,
        "owner_name": account.owner_name,
        "held_minor": account.held_minor,
        "nickname": account.nickname,
        "primary": account.primary,
        # accounts_of lists oldest first, ties by number, like the SQL store's ORDER BY
        "owner_key": f"{account.opened_at}#{account.number}",
        # bumped by every posting; a posting's write is conditional on the version it read
        "version": 0,
    }


def account_alias(derived_id: str, account_id: str) -> Item:
    """For an account opened before ids followed numbers: an item at the key its number
    derives, naming its real id (no user_id, so by_user leaves it out)."""
    return {**account_key(derived_id), "kind": "alias", "alias_of": account_id}


def is_alias(item: Item) -> bool:
    return "alias_of" in item


def to_account(item: Item) -> Account:
    return Account(
        id=item["id"],
        number=item["number"],
        user_id=item["user_id"],
        type=AccountType(item["type"]),
        currency=item["currency"],
        balance=Money.from_minor(int(item["balance_minor"]), item["currency"]),
        status=AccountStatus(item["status"]),
        opened_at=item["opened_at"],
        status_reason=item["status_reason"],
        owner_name=str(item["owner_name"]),
        held_minor=int(item["held_minor"]),
        # Accounts written before nicknames and the primary choice have neither (absent
        # reads as the default, so no migration step rewrites them).
        nickname=str(item.get("nickname", "")),
        primary=bool(item.get("primary", False)),
    )


# -- the ledger -----------------------------------------------------------------------------
def header_item(posting: Posting, balances_after: dict[str, int | None]) -> Item:
    """The transaction with all its legs (the cash leg included), as the feed and verify
    read it; `day` and `feed_key` place it in the by_day index."""
    return {
        **header_key(posting.id),
        "kind": "txn",
        "id": posting.id,
        "type": posting.type.value,
        "amount_minor": posting.amount.minor,
        "currency": posting.amount.currency,
        "memo": posting.memo,
        "created_at": posting.created_at,
        "initiated_by": posting.initiated_by,
        "day": posting.created_at[:10],
        "feed_key": feed_key(posting.created_at, posting.id),
        "legs": [
            {
                "account_id": leg.account_id,
                "amount_minor": leg.amount.minor,
                "balance_after_minor": balances_after.get(leg.account_id),
                "counterparty": leg.counterparty,
            }
            for leg in posting.legs
        ],
    }


def entry_item(posting: Posting, account_id: str, seq: int, balance_after_minor: int) -> Item:
    leg = next(leg for leg in posting.legs if leg.account_id == account_id)
    return {
        "pk": entries_pk(account_id),
        "sk": f"{posting.created_at}#{seq:0{SEQ_DIGITS}d}",
        "seq": seq,
        "transaction_id": posting.id,
        "account_id": account_id,
        "type": posting.type.value,
        "amount_minor": leg.amount.minor,
        "currency": leg.amount.currency,
        "balance_after_minor": balance_after_minor,
        "counterparty": leg.counterparty,
        "memo": posting.memo,
        "created_at": posting.created_at,
    }


def _money(minor: Decimal | int | None, currency: str) -> Money | None:
    return None if minor is None else Money.from_minor(int(minor), currency)


def to_entry(item: Item) -> Entry:
    cur = item["currency"]
    return Entry(
        transaction_id=item["transaction_id"],
        account_id=item["account_id"],
        type=TransactionType(item["type"]),
        amount=Money.from_minor(int(item["amount_minor"]), cur),
        balance_after=_money(item["balance_after_minor"], cur),
        counterparty=item["counterparty"],
        memo=item["memo"],
        created_at=item["created_at"],
    )


def to_transaction(header: Item) -> Transaction:
    cur, kind = header["currency"], TransactionType(header["type"])
    entries = [
        Entry(
            header["id"],
            leg["account_id"],
            kind,
            Money.from_minor(int(leg["amount_minor"]), cur),
            # the bank's own accounts keep no stored balance, exactly as in the SQL store
            None if is_internal(leg["account_id"]) else _money(leg["balance_after_minor"], cur),
            leg["counterparty"],
            header["memo"],
            header["created_at"],
        )
        for leg in header["legs"]
    ]
    entries.sort(key=lambda e: e.amount.amount)  # debit side first, as every store reads it
    return Transaction(
        id=header["id"],
        type=kind,
        amount=Money.from_minor(int(header["amount_minor"]), cur),
        memo=header["memo"],
        created_at=header["created_at"],
        initiated_by=header["initiated_by"],
        entries=tuple(entries),
        position=header["feed_key"],
    )


# -- tokens, sessions, the audit log --------------------------------------------------------
def token_item(token: ApiToken) -> Item:
    return {
        "pk": token.token_hash,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked": token.revoked,
        "stamp": token.stamp,
    }


def to_token(item: Item) -> ApiToken:
    return ApiToken(
        item["pk"],
        item["user_id"],
        item["created_at"],
        item["expires_at"],
        bool(item["revoked"]),
        str(item["stamp"]),
    )


def session_item(session: WebSession) -> Item:
    item = {
        "pk": session.id_hash,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        # JSON text: the data round-trips exactly, numbers included, with no float
        "data": json.dumps(session.data, sort_keys=True),
        "version": session.version,
    }
    if session.user_id is not None:  # by_user is sparse: anonymous sessions stay out
        item["user_id"] = session.user_id
    return item


def to_session(item: Item) -> WebSession:
    return WebSession(
        item["pk"],
        item.get("user_id"),
        item["created_at"],
        item["last_seen_at"],
        json.loads(item["data"]),
        int(item["version"]),
    )


#: A condition that an item is still at the version read (:version; #v names the attribute).
#: Items written before records carried versions have one since migration 5.
AT_VERSION = "#v = :version"


def audit_item(event: AuditEvent, sequence: int) -> Item:
    item = {
        "pk": "LOG",
        "sk": f"{event.at}#{sequence:020d}#{event.id}",
        "id": event.id,
        "at": event.at,
        "action": event.action.value,
        "actor_id": event.actor_id,
        "ip": event.ip,
        "target": event.target,
        "details": json.dumps(event.details, sort_keys=True),
    }
    if event.actor_email:  # an index key cannot be empty: no actor, no by_actor entry
        item["actor_email"] = event.actor_email
    return item


def to_audit(item: Item) -> AuditEvent:
    return AuditEvent(
        item["id"],
        item["at"],
        AuditAction(item["action"]),
        item["actor_id"],
        item.get("actor_email", ""),
        item["ip"],
        item["target"],
        json.loads(item["details"]),
    )
