"""Notes and approval requests as the staff API answers them."""

from __future__ import annotations

from typing import Any

from ...domain.approvals import ApprovalRequest
from ...domain.notes import CustomerNote
from ...services import approvals


def note_json(n: CustomerNote) -> dict[str, Any]:
    return {"id": n.id, "at": n.at, "author_email": n.author_email, "text": n.text}


def request_json(r: ApprovalRequest) -> dict[str, Any]:
    action = approvals.ACTIONS.get(r.action)
    return {
        "id": r.id,
        "action": r.action,
        "title": action.title if action else r.action,
        "target": r.target,
        "detail": r.detail or None,
        "customer_id": r.customer_id,
        "reason": r.reason,
        "requested_by_email": r.requested_by_email,
        "requested_at": r.requested_at,
        "expires_at": r.expires_at,
        "status": r.status.value,
        "decided_by_email": r.decided_by_email or None,
        "decided_at": r.decided_at or None,
    }
