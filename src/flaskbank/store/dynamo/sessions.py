"""The sessions-and-tokens port on DynamoDB: browser sessions (saved only by an UpdateItem
conditional on the version read, so an ended one stays ended), API tokens, login throttles."""

from __future__ import annotations

import json
from dataclasses import replace

from ...domain.accounts import User
from ...domain.errors import StaleRecord, StoreError
from ...domain.security import ApiToken, LoginThrottle, WebSession
from . import items as di
from . import lookups
from .client import CONDITION_FAILED, Connected, Refused
from .schema import BY_USER


class DynamoSessions(Connected):
    def add_token(self, token: ApiToken) -> None:
        self.db.write(
            (
                {
                    "Put": {
                        "TableName": self.db.tables.tokens,
                        "Item": di.to_wire(di.token_item(token)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                StoreError("that token is already stored"),
            )
        )

    def get_token(self, token_hash: str) -> ApiToken | None:
        item = self.db.get(self.db.tables.tokens, {"pk": token_hash})
        return di.to_token(item) if item else None

    def get_token_with_user(
        self, token_hash: str, user_id: str | None = None
    ) -> tuple[ApiToken, User | None] | None:
        """One strongly consistent BatchGetItem of the token and the profile of `user_id`
        when given; a GetItem each otherwise, or when the token is another user's."""
        tables = self.db.tables
        if user_id is None:
            token = self.get_token(token_hash)
            return None if token is None else (token, self._user(token.user_id))
        found = self.db.batch_get(
            {tables.tokens: [{"pk": token_hash}], tables.users: [di.user_key(user_id)]}
        )
        if not found[tables.tokens]:
            return None
        token = di.to_token(found[tables.tokens][0])
        if token.user_id != user_id:
            return token, self._user(token.user_id)
        users = found[tables.users]
        return token, (di.to_user(users[0]) if users else None)

    def _user(self, user_id: str) -> User | None:
        item = self.db.get(self.db.tables.users, di.user_key(user_id))
        return di.to_user(item) if item else None

    def revoke_token(self, token_hash: str) -> None:
        if not di.can_exist({"pk": token_hash}):
            return
        # A Delete would lose the record; an Update without a condition would invent one.
        self.db.write(
            (
                {
                    "Update": {
                        "TableName": self.db.tables.tokens,
                        "Key": di.to_wire({"pk": token_hash}),
                        "UpdateExpression": "SET revoked = :t",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": di.to_wire({":t": True}),
                    }
                },
                None,
            )
        )  # an unknown token is as good as revoked

    def tokens_of(self, user_id: str) -> list[ApiToken]:
        keys = lookups.index_keys(
            self.db,
            TableName=self.db.tables.tokens,
            IndexName=BY_USER,
            ScanIndexForward=False,
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues=di.to_wire({":u": user_id}),
        )
        return [di.to_token(i) for i in lookups.keys_in_order(self.db, self.db.tables.tokens, keys)]

    def revoke_tokens_of(self, user_id: str) -> int:
        revoked = 0
        for token in self.tokens_of(user_id):
            if token.revoked:
                continue
            try:
                self.db.call(
                    "update_item",
                    expect=CONDITION_FAILED,
                    TableName=self.db.tables.tokens,
                    Key=di.to_wire({"pk": token.token_hash}),
                    UpdateExpression="SET revoked = :yes",
                    ConditionExpression="revoked = :no",
                    ExpressionAttributeValues=di.to_wire({":yes": True, ":no": False}),
                )
                revoked += 1
            except Refused:
                pass  # revoked meanwhile by someone else
        return revoked

    def add_session(self, session: WebSession) -> None:
        self.db.write(
            (
                {
                    "Put": {
                        "TableName": self.db.tables.sessions,
                        "Item": di.to_wire(di.session_item(session)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                StoreError("that session id is already stored"),
            )
        )

    def save_session(self, session: WebSession) -> WebSession | None:
        # An UpdateItem that needs the version read, never a put: an ended session (its item
        # deleted) stays ended, whatever a request still in flight on it writes.
        try:
            self.db.call(
                "update_item",
                expect=CONDITION_FAILED,
                TableName=self.db.tables.sessions,
                Key=di.to_wire({"pk": session.id_hash}),
                UpdateExpression="SET last_seen_at = :seen, #data = :data, #v = :next",
                ConditionExpression="attribute_exists(pk) AND " + di.AT_VERSION,
                ExpressionAttributeNames={"#data": "data", "#v": "version"},
                ExpressionAttributeValues=di.to_wire(
                    {
                        ":seen": session.last_seen_at,
                        ":version": session.version,
                        ":next": session.version + 1,
                        ":data": json.dumps(session.data, sort_keys=True),
                    }
                ),
            )
        except Refused:
            if self.get_session(session.id_hash) is None:
                return None
            raise StaleRecord("the session was saved meanwhile") from None
        return replace(session, version=session.version + 1)

    def get_session(self, id_hash: str) -> WebSession | None:
        item = self.db.get(self.db.tables.sessions, {"pk": id_hash})
        return di.to_session(item) if item else None

    def delete_session(self, id_hash: str) -> None:
        self.db.call(
            "delete_item", TableName=self.db.tables.sessions, Key=di.to_wire({"pk": id_hash})
        )

    def delete_sessions_of(self, user_id: str, *, keep: str | None = None) -> int:
        """The by_user index lists them (it may trail a session started a moment ago); each
        delete is conditional on the owner, so a stale index entry deletes nothing."""
        ended = 0
        for key in lookups.index_keys(
            self.db,
            TableName=self.db.tables.sessions,
            IndexName=BY_USER,
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues=di.to_wire({":u": user_id}),
        ):
            if key["pk"] == keep:
                continue
            try:
                self.db.call(
                    "delete_item",
                    expect=CONDITION_FAILED,
                    TableName=self.db.tables.sessions,
                    Key=di.to_wire(key),
                    ConditionExpression="user_id = :u",
                    ExpressionAttributeValues=di.to_wire({":u": user_id}),
                )
                ended += 1
            except Refused:
                pass  # gone already
        return ended

    def sessions_of(self, user_id: str) -> list[WebSession]:
        keys = lookups.index_keys(
            self.db,
            TableName=self.db.tables.sessions,
            IndexName=BY_USER,
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues=di.to_wire({":u": user_id}),
        )
        found = [
            di.to_session(i) for i in lookups.keys_in_order(self.db, self.tables.sessions, keys)
        ]
        # The index may list a session that was ended or reused meanwhile: the item decides.
        mine = [s for s in found if s.user_id == user_id]
        return sorted(mine, key=lambda s: (s.created_at, s.id_hash))

    def login_throttle(self, email_key: str) -> LoginThrottle:
        item = self.db.get(self.db.tables.login_throttles, di.throttle_key(email_key))
        if item is None:
            return LoginThrottle()
        return LoginThrottle(int(item.get("failures", 0)), item.get("locked_until"))

    def record_login_failure(self, email_key: str) -> int:
        answer = self.db.call(
            "update_item",
            TableName=self.db.tables.login_throttles,
            Key=di.to_wire(di.throttle_key(email_key)),
            UpdateExpression="ADD failures :one",
            ReturnValues="UPDATED_NEW",
            ExpressionAttributeValues=di.to_wire({":one": 1}),
        )
        return int(di.from_wire(answer["Attributes"])["failures"])

    def lock_login(self, email_key: str, until: str) -> None:
        # No failures recorded: nothing to lock, as in SQL (and no reason to fail a unit).
        self.db.write(
            (
                {
                    "Update": {
                        "TableName": self.db.tables.login_throttles,
                        "Key": di.to_wire(di.throttle_key(email_key)),
                        "UpdateExpression": "SET locked_until = :until",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": di.to_wire({":until": until}),
                    }
                },
                None,
            )
        )

    def clear_login_failures(self, email_key: str) -> None:
        self.db.write(
            (
                {
                    "Delete": {
                        "TableName": self.db.tables.login_throttles,
                        "Key": di.to_wire(di.throttle_key(email_key)),
                    }
                },
                None,
            )
        )
