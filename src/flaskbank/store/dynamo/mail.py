"""Emailed links, confirmed addresses, the mail outbox and known devices on DynamoDB (the
LinkPort and the MailPort), all in the `mail` table (schema.py):

    pk LINK#<token hash>, sk LINK           a link waiting to be used (deleted by its use)
    pk CONFIRMED#<user id>, sk <email key>  an address the user confirmed
    pk MAIL#<id>, sk MAIL                   a mail; while it waits it carries `due` =
                                            "PENDING", the partition of the sparse index
                                            `due` (sorted by next_at) the send job reads
    pk DEVICE#<user id>, sk <device>        a device the user signed in from

Writes go through db.write, so inside a unit of work they commit with their change.
"""

from __future__ import annotations

from typing import Any

from ...domain.errors import LinkNotValid, StaleRecord, WriteConflict
from ...domain.identity import email_key
from ...domain.links import EmailLink, LinkPurpose
from ...domain.mail import MAX_ATTEMPTS, Mail
from . import items as di
from .client import Connected
from .schema import DUE

PENDING = "PENDING"


def _link_key(token_hash: str) -> di.Item:
    return {"pk": f"LINK#{token_hash}", "sk": "LINK"}


def _mail_key(mail_id: str) -> di.Item:
    return {"pk": f"MAIL#{mail_id}", "sk": "MAIL"}


def _to_mail(item: di.Item) -> Mail:
    return Mail(
        str(item["pk"]).removeprefix("MAIL#"),
        item["to"],
        item["subject"],
        item["body"],
        item["kind"],
        item["created_at"],
        item["next_at"],
        int(item["attempts"]),
        item.get("sent_at"),
        item.get("last_error", ""),
    )


def _update(table: str, key: di.Item, expression: str, condition: str | None, **values: Any) -> Any:
    update = {
        "TableName": table,
        "Key": di.to_wire(key),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": di.to_wire({f":{k}": v for k, v in values.items()}),
    }
    if condition is not None:
        update["ConditionExpression"] = condition
    return {"Update": update}


class DynamoLinks(Connected):
    def add_link(self, link: EmailLink) -> None:
        item = {
            **_link_key(link.token_hash),
            "purpose": link.purpose.value,
            "user_id": link.user_id,
            "email": link.email,
            "created_at": link.created_at,
            "expires_at": link.expires_at,
        }
        self.db.write(({"Put": di.put_new(self.tables.mail, item)}, WriteConflict("taken")))

    def get_link(self, token_hash: str) -> EmailLink | None:
        item = self.db.get(self.tables.mail, _link_key(token_hash))
        if item is None:
            return None
        return EmailLink(
            token_hash,
            LinkPurpose(item["purpose"]),
            item["user_id"],
            item["email"],
            item["created_at"],
            item["expires_at"],
        )

    def use_link(self, link: EmailLink) -> None:
        delete = {
            "TableName": self.tables.mail,
            "Key": di.to_wire(_link_key(link.token_hash)),
            "ConditionExpression": "attribute_exists(pk)",
        }
        self.db.write(({"Delete": delete}, LinkNotValid("this link was used already")))

    def confirm_email(self, user_id: str, email: str, at: str) -> None:
        # No condition (which would cancel a whole unit of work): a repeat keeps the first.
        key = {"pk": f"CONFIRMED#{user_id}", "sk": email_key(email)}
        expression = "SET confirmed_at = if_not_exists(confirmed_at, :at)"
        self.db.write((_update(self.tables.mail, key, expression, None, at=at), None))

    def email_confirmed_at(self, user_id: str, email: str) -> str | None:
        key = {"pk": f"CONFIRMED#{user_id}", "sk": email_key(email)}
        item = self.db.get(self.tables.mail, key)
        return None if item is None else str(item["confirmed_at"])


class DynamoMail(Connected):
    def queue_mail(self, mail: Mail) -> None:
        item: di.Item = {
            **_mail_key(mail.id),
            "to": mail.to,
            "subject": mail.subject,
            "body": mail.body,
            "kind": mail.kind,
            "created_at": mail.created_at,
            "next_at": mail.next_at,
            "attempts": mail.attempts,
            "last_error": mail.last_error,
        }
        if mail.sent_at is None:
            item["due"] = PENDING
        else:
            item["sent_at"] = mail.sent_at
        unit = self.db.open_unit() is not None
        # Outside a unit a mail queued already (an event applied again) is left as it is.
        self.db.write(
            ({"Put": di.put_new(self.tables.mail, item)}, WriteConflict("taken") if unit else None)
        )

    def get_mail(self, mail_id: str) -> Mail | None:
        item = self.db.get(self.tables.mail, _mail_key(mail_id))
        return None if item is None else _to_mail(item)

    def due_mail(self, now: str, *, limit: int) -> list[Mail]:
        page = self.db.call(
            "query",
            TableName=self.tables.mail,
            IndexName=DUE,
            KeyConditionExpression="due = :p AND next_at <= :now",
            ExpressionAttributeValues=di.to_wire({":p": PENDING, ":now": now}),
            Limit=limit,
        )
        # The index may trail a send that just happened: read each again, strongly.
        keys = [_mail_key(str(di.from_wire(i)["pk"]).removeprefix("MAIL#")) for i in page["Items"]]
        found = self.db.batch_get({self.tables.mail: keys})[self.tables.mail] if keys else []
        mails = [_to_mail(i) for i in found if "due" in i]
        return sorted(mails, key=lambda m: (m.next_at, m.id))

    def mail_sent(self, mail: Mail, at: str, *, body: str) -> None:
        self.db.write(
            (
                _update(
                    self.tables.mail,
                    _mail_key(mail.id),
                    "SET sent_at = :at, body = :body REMOVE due",
                    "attribute_exists(pk) AND attribute_not_exists(sent_at)",
                    at=at,
                    body=body,
                ),
                None,
            )
        )

    def mail_failed(self, mail: Mail, error: str, next_at: str) -> None:
        given_up = mail.attempts + 1 >= MAX_ATTEMPTS
        self.db.write(
            (
                _update(
                    self.tables.mail,
                    _mail_key(mail.id),
                    "SET attempts = :next, next_at = :at, last_error = :error"
                    + (" REMOVE due" if given_up else ""),
                    "attempts = :was AND attribute_not_exists(sent_at)",
                    next=mail.attempts + 1,
                    at=next_at,
                    error=error,
                    was=mail.attempts,
                ),
                StaleRecord("the mail was tried meanwhile"),
            )
        )

    def devices_of(self, user_id: str) -> list[str]:
        found = [
            di.from_wire(i)
            for page in self.db.pages(
                "query",
                TableName=self.tables.mail,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=di.to_wire({":pk": f"DEVICE#{user_id}"}),
                ConsistentRead=True,
            )
            for i in page.get("Items", [])
        ]
        return [str(i["sk"]) for i in sorted(found, key=lambda i: (i["first_seen"], i["sk"]))]

    def add_device(self, user_id: str, device: str, at: str) -> None:
        item = {"pk": f"DEVICE#{user_id}", "sk": device, "first_seen": at}
        self.db.write(({"Put": di.put_new(self.tables.mail, item)}, None))
