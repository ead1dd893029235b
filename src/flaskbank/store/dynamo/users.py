"""The users port on DynamoDB: profiles (each write conditional on the version read), the
lock on each email (which lists the user's accounts), staff search and the admin list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...domain.accounts import USER_FIELDS, User
from ...domain.digits import ASCII_DIGITS
from ...domain.errors import (
    AccountNotFound,
    BankError,
    EmailTaken,
    NotPermitted,
    StaleRecord,
    StoreError,
    WriteConflict,
)
from ...domain.identity import email_key
from ...domain.personal import search_digits
from ...retry import retrying
from ..base import Page
from ..cursors import decode_cursor, encode_cursor
from . import items as di
from . import lookups, payees
from .client import CONDITION_FAILED, Connected, IfRefused, Refused
from .schema import (
    BY_CREATED,
    BY_EMAIL,
    BY_NAME,
    BY_PHONE,
    BY_SURNAME,
)


def _stale_user(found: di.Item | None) -> BankError:
    if found is None:
        return AccountNotFound("no such user")
    return StaleRecord("the user changed meanwhile; read it again")


class DynamoUsers(Connected):
    def add_user(self, user: User) -> None:
        """The profile and a lock on its lower-cased email, both or neither."""
        self.db.write(
            (
                {"Put": di.put_new(self.tables.users, di.user_item(user))},
                StoreError("a user with that id is already stored"),
            ),
            (
                {"Put": di.put_new(self.tables.users, di.email_lock(user, []))},
                EmailTaken("that email is already registered"),
            ),
        )

    def get_user(self, user_id: str) -> User | None:
        item = self.db.get(self.tables.users, di.user_key(user_id))
        return di.to_user(item) if item else None

    def find_user_by_email(self, email: str) -> User | None:
        """Two strongly consistent GetItems (the lock, then the profile), so a login sees a
        registration or an email change at once, which an index could not promise."""
        lock = self.db.get(self.tables.users, di.email_key(email))
        return self.get_user(lock["user_id"]) if lock else None

    def update_user(self, user_id: str, *, version: int, changes: Mapping[str, object]) -> User:
        """The changed attributes, conditional on the version read; a new email moves its
        lock (with the list of accounts on it), a new name is copied onto every account, all
        in the same transaction, so that a rename never leaves an account out of step."""
        unknown = set(changes) - USER_FIELDS
        if unknown or not changes:
            raise ValueError(f"update_user cannot change {sorted(unknown) or 'nothing'}")
        item = self.db.get(self.tables.users, di.user_key(user_id))
        if item is None:
            raise AccountNotFound("no such user")
        current = di.to_user(item)
        if current.version != version:
            raise StaleRecord("the user changed meanwhile; read it again")
        updated = replace(current, **changes, version=version + 1)  # type: ignore[arg-type]
        lock = self.db.get(self.tables.users, di.email_key(current.email)) or {}
        actions: list[tuple[dict[str, Any], IfRefused]] = [
            (self._profile_update(updated, version, changes), _stale_user)
        ]
        if di.email_key(updated.email) != di.email_key(current.email):
            actions += self._move_email_lock(current, updated, lock)
        if updated.full_name != current.full_name:
            actions += [
                (
                    {
                        "Update": {
                            "TableName": self.tables.accounts,
                            "Key": di.to_wire(key),
                            "UpdateExpression": "SET owner_name = :name",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": di.to_wire({":name": updated.full_name}),
                        }
                    },
                    WriteConflict("an account was closed meanwhile; try again"),
                )
                for key in lookups.account_keys(user_id, lock)
            ]
        self.db.write(*actions)
        return updated

    def remove_user(self, user_id: str, *, version: int) -> None:
        """The profile (at `version`), its email lock (still this user's, listing no
        account) and their saved payees, all or none. Sessions and tokens stay until they
        expire: each read of one finds no user, which ends it."""
        item = self.db.get(self.tables.users, di.user_key(user_id))
        if item is None:
            raise AccountNotFound("no such user")
        if int(item["version"]) != version:
            raise StaleRecord("the user changed meanwhile; read it again")
        self.db.write(
            (
                {
                    "Delete": {
                        "TableName": self.tables.users,
                        "Key": di.to_wire(di.user_key(user_id)),
                        "ConditionExpression": di.AT_VERSION,
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": di.to_wire({":version": version}),
                    }
                },
                _stale_user,
            ),
            (
                {
                    "Delete": {
                        "TableName": self.tables.users,
                        "Key": di.to_wire(di.email_key(item["email"])),
                        "ConditionExpression": "user_id = :u AND size(account_ids) = :none",
                        "ExpressionAttributeValues": di.to_wire({":u": user_id, ":none": 0}),
                    }
                },
                NotPermitted("a user who holds accounts is never removed"),
            ),
            *payees.forgetting(self.db, user_id),
        )

    def _profile_update(
        self, user: User, version: int, changes: Mapping[str, object]
    ) -> dict[str, Any]:
        item = di.user_item(user)
        names = list(
            dict.fromkeys(
                [*changes, *(d for c in changes for d in di.DERIVED.get(c, ())), "version"]
            )
        )
        aliases = {f"#a{i}": name for i, name in enumerate(names)}
        kept = {a: n for a, n in aliases.items() if n in item}
        # An attribute the new shape lacks (a sparse index key) is removed.
        gone = [a for a in aliases if a not in kept]
        expression = "SET " + ", ".join(f"{a} = :{a[1:]}" for a in kept)
        if gone:
            expression += " REMOVE " + ", ".join(gone)
        return {
            "Update": {
                "TableName": self.tables.users,
                "Key": di.to_wire(di.user_key(user.id)),
                "UpdateExpression": expression,
                "ConditionExpression": di.AT_VERSION,
                "ExpressionAttributeNames": {**aliases, "#v": "version"},
                "ExpressionAttributeValues": di.to_wire(
                    {**{f":{a[1:]}": item[n] for a, n in kept.items()}, ":version": version}
                ),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _move_email_lock(
        self, current: User, updated: User, lock: di.Item
    ) -> list[tuple[dict[str, Any], Any]]:
        """The new email's lock takes over the old one's account list, on condition that no
        account was added to it meanwhile."""
        ids = list(lock.get("account_ids", []))  # none: the lock is gone, and so is the Delete
        return [
            (
                {
                    "Delete": {
                        "TableName": self.tables.users,
                        "Key": di.to_wire(di.email_key(current.email)),
                        "ConditionExpression": "user_id = :id AND size(account_ids) = :n",
                        "ExpressionAttributeValues": di.to_wire(
                            {":id": current.id, ":n": len(ids)}
                        ),
                    }
                },
                WriteConflict("the profile changed meanwhile; try again"),
            ),
            (
                {"Put": di.put_new(self.tables.users, di.email_lock(updated, ids))},
                EmailTaken("that email is already registered"),
            ),
        ]

    def count_users(self) -> int:
        """A Select=COUNT Scan: only `flaskbank demo` asks, to see whether the store is empty
        (DescribeTable's ItemCount lags by hours)."""
        return sum(
            int(page["Count"])
            for page in self.db.pages(
                "scan",
                TableName=self.tables.users,
                Select="COUNT",
                ConsistentRead=True,
                FilterExpression="begins_with(pk, :user)",
                ExpressionAttributeValues=di.to_wire({":user": "USER#"}),
            )
        )

    def record_totp_step(self, user_id: str, step: int) -> bool:
        try:
            self.db.call(
                "update_item",
                expect=CONDITION_FAILED,
                TableName=self.db.tables.users,
                Key=di.to_wire(di.user_key(user_id)),
                UpdateExpression="SET totp_last_step = :step",
                ConditionExpression="attribute_exists(pk) AND totp_last_step < :step",
                ExpressionAttributeValues=di.to_wire({":step": step}),
            )
            return True
        except Refused:
            return False

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        def attempt(_: int) -> bool:
            user = self.db.get(self.db.tables.users, di.user_key(user_id))
            codes = list(user["recovery_codes"]) if user else []
            if code_hash not in codes:
                return False
            at = codes.index(code_hash)
            try:  # removes that very code, unless the list changed since we read it
                self.db.call(
                    "update_item",
                    expect=CONDITION_FAILED,
                    TableName=self.db.tables.users,
                    Key=di.to_wire(di.user_key(user_id)),
                    UpdateExpression=f"REMOVE recovery_codes[{at}]",
                    ConditionExpression=f"recovery_codes[{at}] = :code",
                    ExpressionAttributeValues=di.to_wire({":code": code_hash}),
                )
                return True
            except Refused:
                raise WriteConflict("the recovery codes changed meanwhile; try again") from None

        return retrying(attempt)

    def search_users(self, text: str, *, limit: int) -> list[User]:
        """Prefixes of the name, of its last word and of the email from the by_name,
        by_surname and by_email indexes (up to `limit` each), the end of a phone number from
        by_phone (reversed digits), the owner of an account number from its lock; merged in
        (name, email) order."""
        prefix, tables = email_key(text), self.db.tables
        keys: list[di.Item] = []
        indexes = ((BY_NAME, "name_key"), (BY_SURNAME, "surname_key"), (BY_EMAIL, "email_key"))
        for index, attribute in indexes:
            condition, values = "listed = :user", {":user": "USER"}
            if prefix:
                condition += f" AND begins_with({attribute}, :prefix)"
                values[":prefix"] = prefix
            page = self.db.call(
                "query",
                TableName=tables.users,
                IndexName=index,
                Limit=limit,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=di.to_wire(values),
            )
            keys += [{"pk": di.from_wire(i)["pk"]} for i in page["Items"]]
        tail = search_digits(text)
        if tail is not None:
            page = self.db.call(
                "query",
                TableName=tables.users,
                IndexName=BY_PHONE,
                Limit=limit,
                KeyConditionExpression="listed = :user AND begins_with(phone_key, :tail)",
                ExpressionAttributeValues=di.to_wire({":user": "USER", ":tail": tail[::-1]}),
            )
            keys += [{"pk": di.from_wire(i)["pk"]} for i in page["Items"]]
        digits = "".join(c for c in text if c in ASCII_DIGITS)
        lock = self.db.get(tables.accounts, di.number_key(digits)) if digits else None
        account = self.db.get(tables.accounts, di.account_key(lock["account_id"])) if lock else None
        if account is not None:
            keys.append(di.user_key(account["user_id"]))
        unique = list({k["pk"]: k for k in keys}.values())
        users = [di.to_user(i) for i in lookups.keys_in_order(self.db, tables.users, unique)]
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
        page = self.db.call(
            "query",
            TableName=self.db.tables.users,
            IndexName=BY_CREATED,
            Limit=limit + 1,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=di.to_wire(values),
        )
        keys = [{"pk": di.from_wire(i)["pk"]} for i in page["Items"]]
        items = lookups.keys_in_order(self.db, self.db.tables.users, keys[:limit])
        more = len(keys) > limit
        return Page(
            [di.to_user(i) for i in items],
            encode_cursor(items[-1]["created_key"]) if more and items else None,
        )
