"""Staff's notes on customers and requests for two-person approval, on DynamoDB (the
`notes` and `approvals` tables, schema.py). Writes go through db.write, so inside a unit of
work they commit with their audit entries (and a decision with the action it runs)."""

from __future__ import annotations

from ...domain.approvals import ApprovalRequest, ApprovalStatus
from ...domain.errors import StaleRecord, StoreError
from ...domain.notes import CustomerNote
from . import items as di
from .client import Connected
from .schema import PENDING

_FIELDS = (
    "id",
    "action",
    "target",
    "customer_id",
    "reason",
    "requested_by",
    "requested_by_email",
    "requested_at",
    "expires_at",
    "decided_by",
    "decided_by_email",
    "decided_at",
    "detail",
)


def _note(item: di.Item) -> CustomerNote:
    return CustomerNote(
        *(str(item[k]) for k in ("id", "customer_id", "at", "author_id", "author_email", "text"))
    )


def _request_item(request: ApprovalRequest) -> di.Item:
    item: di.Item = {
        "pk": f"REQUEST#{request.id}",
        **{k: getattr(request, k) for k in _FIELDS},
        "status": request.status.value,
        "version": request.version,
    }
    if request.status is ApprovalStatus.PENDING:  # the sparse index lists undecided ones
        item |= {"pending": "PENDING", "requested_key": f"{request.requested_at}#{request.id}"}
    return item


def _request(item: di.Item) -> ApprovalRequest:
    return ApprovalRequest(
        # A request asked before step 17 has no detail: it needed none.
        **{k: str(item.get(k, "")) for k in _FIELDS},
        status=ApprovalStatus(item["status"]),
        version=int(item["version"]),
    )


class DynamoNotes(Connected):
    def add_note(self, note: CustomerNote) -> None:
        # The key follows from the note alone, so that writing it again is refused; two
        # notes written in the same microsecond are listed in either order.
        item = {
            "pk": f"CUSTOMER#{note.customer_id}",
            "sk": f"{note.at}#{note.id}",
            "id": note.id,
            "customer_id": note.customer_id,
            "at": note.at,
            "author_id": note.author_id,
            "author_email": note.author_email,
            "text": note.text,
        }
        self.db.write(
            ({"Put": di.put_new(self.tables.notes, item)}, StoreError("that note is stored"))
        )

    def notes_of(self, customer_id: str, *, limit: int) -> list[CustomerNote]:
        page = self.db.call(
            "query",
            TableName=self.tables.notes,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=di.to_wire({":pk": f"CUSTOMER#{customer_id}"}),
            ScanIndexForward=False,
            ConsistentRead=True,
            Limit=limit,
        )
        return [_note(di.from_wire(i)) for i in page.get("Items", [])]


class DynamoApprovals(Connected):
    def add_request(self, request: ApprovalRequest) -> None:
        self.db.write(
            (
                {"Put": di.put_new(self.tables.approvals, _request_item(request))},
                StoreError("a request with that id is stored"),
            )
        )

    def get_request(self, request_id: str) -> ApprovalRequest | None:
        item = self.db.get(self.tables.approvals, {"pk": f"REQUEST#{request_id}"})
        return None if item is None else _request(item)

    def save_request(self, request: ApprovalRequest) -> None:
        self.db.write(
            (
                {
                    "Put": {
                        "TableName": self.tables.approvals,
                        "Item": di.to_wire(_request_item(request)),
                        "ConditionExpression": di.AT_VERSION,
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": di.to_wire({":version": request.version - 1}),
                    }
                },
                StaleRecord("the request changed meanwhile; read it again"),
            )
        )

    def pending_requests(self, *, limit: int) -> list[ApprovalRequest]:
        # The index is eventually consistent: each request is read again by key, and one
        # decided meanwhile is left out.
        page = self.db.call(
            "query",
            TableName=self.tables.approvals,
            IndexName=PENDING,
            KeyConditionExpression="pending = :p",
            ExpressionAttributeValues=di.to_wire({":p": "PENDING"}),
            Limit=limit,
        )
        found = [self.get_request(str(di.from_wire(i)["id"])) for i in page.get("Items", [])]
        return [r for r in found if r is not None and r.status is ApprovalStatus.PENDING]
