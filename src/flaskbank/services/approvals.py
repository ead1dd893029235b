"""Two-person approval (domain/approvals.py): a staff member asks for a sensitive action,
another approves (the action runs, once) or rejects it; each step is audited. The actions
are a registry (services/approval_actions.py), so that new ones plug in without touching
the flow."""

from __future__ import annotations

import contextlib

from ..domain.accounts import User
from ..domain.approvals import (
    ApprovalRequest,
    ApprovalStatus,
    check_decision,
    clean_reason,
    expiry_of,
)
from ..domain.errors import AccountNotFound, StaleRecord, ValidationFailed
from ..domain.ledger import new_id
from ..domain.security import AuditAction, Permission, allows
from .account_closing import CLOSE_ACCOUNT
from .approval_actions import BUILT_IN, ApprovalAction
from .audit import Actor, record
from .bank import Bank
from .permissions import require

ACTIONS: dict[str, ApprovalAction] = {a.name: a for a in (*BUILT_IN, CLOSE_ACCOUNT)}
#: Undecided requests read at once: staff ask for a handful a day.
PENDING_MAX = 200


def register_action(action: ApprovalAction) -> None:
    """Make `action` something staff can ask for (at import time of the module that
    defines it)."""
    ACTIONS[action.name] = action


def action_of(name: str) -> ApprovalAction:
    try:
        return ACTIONS[name]
    except KeyError:
        raise ValidationFailed({"action": f"choose one of {', '.join(ACTIONS)}"}) from None


def may_request(user: User, name: str) -> bool:
    return name in ACTIONS and allows(user.role, ACTIONS[name].request_permission)


def may_decide(user: User, request: ApprovalRequest) -> bool:
    action = ACTIONS.get(request.action)
    return (
        action is not None
        and request.requested_by != user.id
        and allows(user.role, action.approve_permission)
    )


def request_action(
    bank: Bank,
    staff: User,
    action: object,
    target: str,
    reason: object,
    actor: Actor,
    detail: object = None,
) -> ApprovalRequest:
    """Ask for `action` on `target` (with `detail`, for an action that needs more); refused
    while the same is already waiting."""
    kind = action_of(action if isinstance(action, str) else "")
    require(staff, kind.request_permission)
    text = clean_reason(reason)
    customer_id = kind.check(bank, target)
    if kind.clean_detail is not None:
        cleaned = kind.clean_detail(bank, target, detail)
    elif detail in (None, ""):
        cleaned = ""
    else:
        raise ValidationFailed({"detail": "this action takes no detail"})
    now = bank.now()
    if any(r.action == kind.name and r.target == target for r in pending(bank, staff)):
        raise ValidationFailed({"action": "the same request is already waiting for approval"})
    request = ApprovalRequest(
        new_id(),
        kind.name,
        target,
        customer_id,
        text,
        staff.id,
        staff.email,
        now,
        expiry_of(now),
        detail=cleaned,
    )

    def add() -> None:
        bank.store.approvals.add_request(request)
        record(
            bank,
            actor,
            AuditAction.APPROVAL_REQUESTED,
            customer_id,
            request=request.id,
            approval=kind.name,
            subject=target,
            reason=text,
            **({"detail": cleaned} if cleaned else {}),
        )

    bank.in_unit(add)
    return request


def pending(bank: Bank, staff: User) -> list[ApprovalRequest]:
    """Requests waiting for a decision, oldest first. One that lapsed is marked expired as
    it is met (so that it leaves the list for good) and left out."""
    require(staff, Permission.VIEW_CUSTOMERS)
    now = bank.now()
    waiting = []
    for request in bank.store.approvals.pending_requests(limit=PENDING_MAX):
        if not request.expired(now):
            waiting.append(request)
            continue
        # Decided or expired by someone else meanwhile (StaleRecord): gone either way.
        with contextlib.suppress(StaleRecord):
            bank.store.approvals.save_request(
                request.decided(ApprovalStatus.EXPIRED, "", "", request.expires_at)
            )
    return waiting


def get_request(bank: Bank, staff: User, request_id: str) -> ApprovalRequest:
    require(staff, Permission.VIEW_CUSTOMERS)
    request = bank.store.approvals.get_request(request_id)
    if request is None:
        raise AccountNotFound("no such request")
    return request


def approve(bank: Bank, staff: User, request_id: str, actor: Actor) -> ApprovalRequest:
    """Approve someone else's request and run its action, all in one unit of work: two
    approvers at once both write the decision conditionally on the version they read, so
    one of them fails, reads again, and is told it was approved already."""
    return _decide(bank, staff, request_id, actor, ApprovalStatus.APPROVED)


def reject(bank: Bank, staff: User, request_id: str, actor: Actor) -> ApprovalRequest:
    return _decide(bank, staff, request_id, actor, ApprovalStatus.REJECTED)


def _decide(
    bank: Bank, staff: User, request_id: str, actor: Actor, status: ApprovalStatus
) -> ApprovalRequest:
    require(staff, Permission.VIEW_CUSTOMERS)

    def decide() -> ApprovalRequest:
        request = get_request(bank, staff, request_id)
        kind = action_of(request.action)
        check_decision(request, staff.id, bank.now())  # one's own request: whatever the role
        require(staff, kind.approve_permission)
        decided = request.decided(status, staff.id, staff.email, bank.now())
        bank.store.approvals.save_request(decided)
        if status is ApprovalStatus.APPROVED:
            _execute(bank, kind, decided, actor)
        record(
            bank,
            actor,
            AuditAction.APPROVAL_APPROVED
            if status is ApprovalStatus.APPROVED
            else AuditAction.APPROVAL_REJECTED,
            request.customer_id,
            request=request.id,
            approval=kind.name,
            subject=request.target,
            requested_by=request.requested_by_email,
            reason=request.reason,
        )
        return decided

    decided = bank.in_unit(decide)
    after = ACTIONS[decided.action].after
    if status is ApprovalStatus.APPROVED and after is not None:
        after(bank, decided)
    return decided


def _execute(bank: Bank, kind: ApprovalAction, decided: ApprovalRequest, actor: Actor) -> None:
    """Run the approved action. A store whose unit of work reads outside its transaction
    (DynamoDB) may show a second approver the target as the first one left it (no longer
    frozen) before their decision conflicts; told the request is decided, not the target's
    state, they learn what happened. A store that reads its own unit's writes (SQLite)
    shows this decision itself: then the action's own refusal stands."""
    try:
        kind.execute(bank, decided, actor)
    except ValidationFailed:
        current = bank.store.approvals.get_request(decided.id)
        if current is not None and current != decided:
            check_decision(current, decided.decided_by, bank.now())
        raise
