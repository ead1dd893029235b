"""DynamoStore's security side: API tokens, TOTP replay guard, recovery codes, staff search and
the admin list, sessions, login throttles and the append-only audit log. A mixin, as in
the SQL store, so that dynamo.py stays about users, accounts and the ledger.

No Scan here either: staff search and the admin list read the users table's indexes, the
token and session lists read by_user indexes, the audit log reads its own keys.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from typing import Any

from ..domain.accounts import User
from ..domain.digits import ASCII_DIGITS
from ..domain.errors import StaleRecord, StoreError, WriteConflict
from ..domain.identity import email_key
from ..domain.security import ApiToken, AuditAction, AuditEvent, LoginThrottle, WebSession
from . import dynamo_items as di
from .base import Page
from .cursors import decode_cursor, encode_cursor
from .dynamo_ledger import Dynamo, Refused
from .dynamo_reads import newest_first
from .dynamo_schema import BY_ACTION, BY_ACTOR, BY_CREATED, BY_EMAIL, BY_NAME, BY_USER

_FAILED = ("ConditionalCheckFailedException",)
_sequence_lock = threading.Lock()
_last_sequence = 0


def _sequence() -> int:
    """Increasing within this process: orders audit events that share a timestamp (a test's
    frozen clock) in the order they were appended, as the SQL store's rowid does."""
    global _last_sequence
    with _sequence_lock:
        _last_sequence = max(_last_sequence + 1, time.time_ns())
        return _last_sequence


class DynamoSecurity:
    """Expects the host class to provide `db` (a Dynamo)."""

    @property
    def db(self) -> Dynamo:
        raise NotImplementedError

    def _keys_in_order(self, table: str, keys: list[di.Item]) -> list[di.Item]:
        """The items for keys an index gave, read strongly consistent, in the index's order."""
        order = {k["pk"]: n for n, k in enumerate(keys)}
        found: list[di.Item] = []
        for i in range(0, len(keys), 100):
            found += self.db.batch_get({table: keys[i:i + 100]})[table]
        return sorted(found, key=lambda item: order[item["pk"]])

    def _index_keys(self, **query: Any) -> list[di.Item]:
        return [{"pk": di.from_wire(i)["pk"]}
                for page in self.db.pages("query", **query) for i in page["Items"]]

    # -- API tokens -------------------------------------------------------------------------
    def add_token(self, token: ApiToken) -> None:
        self.db.write(({"Put": {"TableName": self.db.tables.tokens,
                                "Item": di.to_wire(di.token_item(token)),
                                "ConditionExpression": "attribute_not_exists(pk)"}},
                       StoreError("that token is already stored")))

    def get_token(self, token_hash: str) -> ApiToken | None:
        item = self.db.get(self.db.tables.tokens, {"pk": token_hash})
        return di.to_token(item) if item else None

    def revoke_token(self, token_hash: str) -> None:
        if not di.can_exist({"pk": token_hash}):
            return
        # A Delete would lose the record; an Update without a condition would invent one.
        self.db.write(({"Update": {"TableName": self.db.tables.tokens,
                                   "Key": di.to_wire({"pk": token_hash}),
                                   "UpdateExpression": "SET revoked = :t",
                                   "ConditionExpression": "attribute_exists(pk)",
                                   "ExpressionAttributeValues": di.to_wire({":t": True})}},
                       None))  # an unknown token is as good as revoked

    # -- users and tokens -------------------------------------------------------------------
    def record_totp_step(self, user_id: str, step: int) -> bool:
        try:
            self.db.call("update_item", expect=_FAILED, TableName=self.db.tables.users,
                         Key=di.to_wire(di.user_key(user_id)),
                         UpdateExpression="SET totp_last_step = :step",
                         ConditionExpression="attribute_exists(pk) AND totp_last_step < :step",
                         ExpressionAttributeValues=di.to_wire({":step": step}))
            return True
        except Refused:
            return False

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        for _ in range(5):
            user = self.db.get(self.db.tables.users, di.user_key(user_id))
            codes = list(user["recovery_codes"]) if user else []
            if code_hash not in codes:
                return False
            at = codes.index(code_hash)
            try:  # removes that very code, unless the list changed since we read it
                self.db.call("update_item", expect=_FAILED, TableName=self.db.tables.users,
                             Key=di.to_wire(di.user_key(user_id)),
                             UpdateExpression=f"REMOVE recovery_codes[{at}]",
                             ConditionExpression=f"recovery_codes[{at}] = :code",
                             ExpressionAttributeValues=di.to_wire({":code": code_hash}))
                return True
            except Refused:
                continue
        raise WriteConflict("the recovery codes changed meanwhile; try again")

    def search_users(self, text: str, *, limit: int) -> list[User]:
        """Name and email prefixes from the by_name and by_email indexes (up to `limit` each),
        the owner of an account number from its lock; merged in (name, email) order."""
        prefix, tables = email_key(text), self.db.tables
        keys: list[di.Item] = []
        for index, attribute in ((BY_NAME, "name_key"), (BY_EMAIL, "email_key")):
            condition, values = "listed = :user", {":user": "USER"}
            if prefix:
                condition += f" AND begins_with({attribute}, :prefix)"
                values[":prefix"] = prefix
            page = self.db.call("query", TableName=tables.users, IndexName=index, Limit=limit,
                                KeyConditionExpression=condition,
                                ExpressionAttributeValues=di.to_wire(values))
            keys += [{"pk": di.from_wire(i)["pk"]} for i in page["Items"]]
        digits = "".join(c for c in text if c in ASCII_DIGITS)
        lock = self.db.get(tables.accounts, di.number_key(digits)) if digits else None
        account = self.db.get(tables.accounts, di.account_key(lock["account_id"])) \
            if lock else None
        if account is not None:
            keys.append(di.user_key(account["user_id"]))
        unique = list({k["pk"]: k for k in keys}.values())
        users = [di.to_user(i) for i in self._keys_in_order(tables.users, unique)]
        users.sort(key=lambda u: (u.full_name.lower(), email_key(u.email)))
        return users[:limit]

    def list_users(self, *, limit: int, cursor: str | None = None) -> Page[User]:
        condition, values = "listed = :user", {":user": "USER"}
        if cursor is not None:
            after = decode_cursor(cursor)
            if not isinstance(after, str) or not di.CREATED_KEY.fullmatch(after):
                decode_cursor("!")  # the same 422 as any other foreign cursor
            condition += " AND created_key > :after"
            values[":after"] = after
        page = self.db.call("query", TableName=self.db.tables.users, IndexName=BY_CREATED,
                            Limit=limit + 1, KeyConditionExpression=condition,
                            ExpressionAttributeValues=di.to_wire(values))
        keys = [{"pk": di.from_wire(i)["pk"]} for i in page["Items"]]
        items = self._keys_in_order(self.db.tables.users, keys[:limit])
        more = len(keys) > limit
        return Page([di.to_user(i) for i in items],
                    encode_cursor(items[-1]["created_key"]) if more and items else None)

    def tokens_of(self, user_id: str) -> list[ApiToken]:
        keys = self._index_keys(TableName=self.db.tables.tokens, IndexName=BY_USER,
                                ScanIndexForward=False, KeyConditionExpression="user_id = :u",
                                ExpressionAttributeValues=di.to_wire({":u": user_id}))
        return [di.to_token(i) for i in self._keys_in_order(self.db.tables.tokens, keys)]

    def revoke_tokens_of(self, user_id: str) -> int:
        revoked = 0
        for token in self.tokens_of(user_id):
            if token.revoked:
                continue
            try:
                self.db.call("update_item", expect=_FAILED, TableName=self.db.tables.tokens,
                             Key=di.to_wire({"pk": token.token_hash}),
                             UpdateExpression="SET revoked = :yes",
                             ConditionExpression="revoked = :no",
                             ExpressionAttributeValues=di.to_wire({":yes": True, ":no": False}))
                revoked += 1
            except Refused:
                pass  # revoked meanwhile by someone else
        return revoked

    # -- sessions ---------------------------------------------------------------------------
    def add_session(self, session: WebSession) -> None:
        self.db.write(({"Put": {"TableName": self.db.tables.sessions,
                                "Item": di.to_wire(di.session_item(session)),
                                "ConditionExpression": "attribute_not_exists(pk)"}},
                       StoreError("that session id is already stored")))

    def save_session(self, session: WebSession) -> WebSession | None:
        # An UpdateItem that needs the version read, never a put: an ended session (its item
        # deleted) stays ended, whatever a request still in flight on it writes.
        try:
            self.db.call(
                "update_item", expect=_FAILED, TableName=self.db.tables.sessions,
                Key=di.to_wire({"pk": session.id_hash}),
                UpdateExpression="SET last_seen_at = :seen, #data = :data, #v = :next",
                ConditionExpression="attribute_exists(pk) AND "
                                    + di.at_version(session.version),
                ExpressionAttributeNames={"#data": "data", "#v": "version"},
                ExpressionAttributeValues=di.to_wire({
                    ":seen": session.last_seen_at, ":version": session.version,
                    ":next": session.version + 1,
                    ":data": json.dumps(session.data, sort_keys=True)}))
        except Refused:
            if self.get_session(session.id_hash) is None:
                return None
            raise StaleRecord("the session was saved meanwhile") from None
        return replace(session, version=session.version + 1)

    def get_session(self, id_hash: str) -> WebSession | None:
        item = self.db.get(self.db.tables.sessions, {"pk": id_hash})
        return di.to_session(item) if item else None

    def delete_session(self, id_hash: str) -> None:
        self.db.call("delete_item", TableName=self.db.tables.sessions,
                     Key=di.to_wire({"pk": id_hash}))

    def delete_sessions_of(self, user_id: str, *, keep: str | None = None) -> int:
        """The by_user index lists them (it may trail a session started a moment ago); each
        delete is conditional on the owner, so a stale index entry deletes nothing."""
        ended = 0
        for key in self._index_keys(TableName=self.db.tables.sessions, IndexName=BY_USER,
                                    KeyConditionExpression="user_id = :u",
                                    ExpressionAttributeValues=di.to_wire({":u": user_id})):
            if key["pk"] == keep:
                continue
            try:
                self.db.call("delete_item", expect=_FAILED, TableName=self.db.tables.sessions,
                             Key=di.to_wire(key), ConditionExpression="user_id = :u",
                             ExpressionAttributeValues=di.to_wire({":u": user_id}))
                ended += 1
            except Refused:
                pass  # gone already
        return ended

    # -- login throttles --------------------------------------------------------------------
    def login_throttle(self, email_key: str) -> LoginThrottle:
        item = self.db.get(self.db.tables.login_throttles, di.throttle_key(email_key))
        if item is None:
            return LoginThrottle()
        return LoginThrottle(int(item.get("failures", 0)), item.get("locked_until"))

    def record_login_failure(self, email_key: str) -> int:
        answer = self.db.call("update_item", TableName=self.db.tables.login_throttles,
                              Key=di.to_wire(di.throttle_key(email_key)),
                              UpdateExpression="ADD failures :one", ReturnValues="UPDATED_NEW",
                              ExpressionAttributeValues=di.to_wire({":one": 1}))
        return int(di.from_wire(answer["Attributes"])["failures"])

    def lock_login(self, email_key: str, until: str) -> None:
        # No failures recorded: nothing to lock, as in SQL (and no reason to fail a unit).
        self.db.write(({"Update": {"TableName": self.db.tables.login_throttles,
                                   "Key": di.to_wire(di.throttle_key(email_key)),
                                   "UpdateExpression": "SET locked_until = :until",
                                   "ConditionExpression": "attribute_exists(pk)",
                                   "ExpressionAttributeValues": di.to_wire({":until": until})}},
                       None))

    def clear_login_failures(self, email_key: str) -> None:
        self.db.write(({"Delete": {"TableName": self.db.tables.login_throttles,
                                   "Key": di.to_wire(di.throttle_key(email_key))}}, None))

    # -- audit log --------------------------------------------------------------------------
    def append_audit(self, event: AuditEvent) -> None:
        # Append-only: a put never replaces an event, and the app's IAM policy grants no
        # UpdateItem or DeleteItem on this table.
        self.db.write(({"Put": {"TableName": self.db.tables.audit,
                                "Item": di.to_wire(di.audit_item(event, _sequence())),
                                "ConditionExpression": "attribute_not_exists(pk)"}},
                       StoreError("that audit event is already recorded")))

    def audit_log(self, *, limit: int, cursor: str | None = None,
                  action: AuditAction | None = None, actor_email: str | None = None,
                  since: str | None = None, until: str | None = None) -> Page[AuditEvent]:
        query: dict[str, Any] = {"TableName": self.db.tables.audit}
        filters: dict[str, Any] = {}
        partition: dict[str, str]
        if action is not None:
            query["IndexName"], partition = BY_ACTION, {"action": action.value}
            if actor_email is not None:
                query |= {"FilterExpression": "#actor = :actor",
                          "ExpressionAttributeNames": {"#actor": "actor_email"}}
                filters[":actor"] = actor_email
        elif actor_email is not None:
            query["IndexName"], partition = BY_ACTOR, {"actor_email": actor_email}
        else:
            query["ConsistentRead"], partition = True, {"pk": "LOG"}
        items, more = newest_first(self.db, query, partition, {"pk": "LOG"}, di.AUDIT_SK,
                                   limit=limit,
                                   cursor=cursor, since=since, until=until, filters=filters)
        return Page([di.to_audit(i) for i in items],
                    encode_cursor(items[-1]["sk"]) if more else None)
