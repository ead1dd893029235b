"""What bank staff do: find customers, look at them read-only, freeze and unfreeze accounts,
and (admins) manage users. Every use case checks the role first and writes the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from ..domain.accounts import Account, AccountStatus, Role, User
from ..domain.approvals import ApprovalRequest
from ..domain.errors import AccountNotFound, NotPermitted, ValidationFailed
from ..domain.events import EventKind
from ..domain.holds import Hold
from ..domain.identity import email_key
from ..domain.ledger import Entry, new_id
from ..domain.notes import CustomerNote
from ..domain.security import ApiToken, AuditAction, Permission
from ..store.base import Page
from . import approvals
from .audit import Actor, record
from .bank import Bank
from .customers import clean_email, clean_name, end_other_ways_in, new_stamp
from .events import emit
from .notes import NOTES_SHOWN
from .permissions import require

REASON_MAX = 500
#: What a frozen account's owner is told, chosen by staff: the reason staff give stays
#: internal (audit log, event feed), since telling a customer "suspected money laundering"
#: tips them off.
FREEZE_MESSAGES = {
    "review": "We are reviewing recent activity on this account. Please contact us if you "
    "have any questions.",
    "verify": "We need to confirm some details with you before this account can send money "
    "again. Please contact us.",
    "contact": "Please contact us about this account.",
    "requested": "Frozen at your request. Contact us when you want it unfrozen.",
}


@dataclass(frozen=True)
class CustomerView:
    user: User
    accounts: list[Account]
    recent: dict[str, list[Entry]]  # account id -> last entries, newest first
    tokens: list[ApiToken]
    on_hold: dict[str, list[Hold]]  # account id -> open holds, newest first
    notes: list[CustomerNote] = field(default_factory=list)  # newest first
    requests: list[ApprovalRequest] = field(default_factory=list)  # waiting, oldest first
    months: dict[str, list[str]] = field(default_factory=dict)  # account id -> statements


def create_staff(
    bank: Bank, *, email: object, full_name: object, role: object, actor: Actor
) -> tuple[User, str]:
    """A staff user with a one-time password that must be changed at first login.
    Used by `flaskbank create-staff` (actor: the CLI) and by admins in the UI."""
    try:
        kind = Role(role if isinstance(role, str) else "")
    except ValueError:
        raise ValidationFailed({"role": "choose a staff role"}) from None
    if kind is Role.CUSTOMER:
        raise ValidationFailed({"role": "customers register themselves"})
    password = secrets.token_urlsafe(12)
    user = User(
        id=new_id(),
        email=clean_email(email),
        full_name=clean_name(full_name),
        password_hash=bank.passwords.hash(password),
        role=kind,
        created_at=bank.now(),
        must_change_password=True,
        security_stamp=new_stamp(),
    )

    def create() -> None:
        bank.store.users.add_user(user)
        record(bank, actor, AuditAction.STAFF_CREATED, user.id, email=user.email, role=kind.value)
        emit(
            bank,
            EventKind.USER_REGISTERED,
            user.id,
            actor,
            email=user.email,
            full_name=user.full_name,
            role=kind.value,
        )

    bank.in_unit(create)
    return user, password


def search_customers(bank: Bank, staff: User, text: object, actor: Actor) -> list[User]:
    require(staff, Permission.VIEW_CUSTOMERS)
    query = text.strip() if isinstance(text, str) else ""
    if len(query) < 2 or len(query) > 100:
        raise ValidationFailed({"q": "type 2 to 100 characters of a name, email or number"})
    record(bank, actor, AuditAction.CUSTOMER_SEARCHED, "", query=query)
    return bank.store.users.search_users(query, limit=50)


def view_customer(bank: Bank, staff: User, user_id: str, actor: Actor) -> CustomerView:
    require(staff, Permission.VIEW_CUSTOMERS)
    user = bank.store.users.get_user(user_id)
    if user is None:
        raise AccountNotFound("no such customer")
    record(bank, actor, AuditAction.CUSTOMER_VIEWED, user.id)
    accounts = bank.store.ledger.accounts_of(user.id)
    recent = {a.id: bank.store.ledger.history(a.id, limit=10).items for a in accounts}
    # Only an account with something held has holds to read.
    on_hold = {
        a.id: bank.store.holds.holds_of(a.id, open_only=True) if a.held_minor else []
        for a in accounts
    }
    tokens = bank.store.sessions.tokens_of(user.id)
    waiting = [r for r in approvals.pending(bank, staff) if r.customer_id == user.id]
    today = bank.now()[:7]
    return CustomerView(
        user,
        accounts,
        recent,
        tokens,
        on_hold,
        notes=bank.store.notes.notes_of(user.id, limit=NOTES_SHOWN),
        requests=waiting,
        months={a.id: statement_months(a.opened_at[:7], today) for a in accounts},
    )


def statement_months(first: str, last: str) -> list[str]:
    """Every month (YYYY-MM) from `last` back to `first`, newest first: the months with a
    statement, from the account's opening to the current one."""
    year, month = int(last[:4]), int(last[5:7])
    months = []
    while f"{year:04d}-{month:02d}" >= first:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def set_frozen(
    bank: Bank,
    staff: User,
    account_id: str,
    *,
    frozen: bool,
    reason: object,
    actor: Actor,
    customer_message: object = "review",
) -> Account:
    """Freeze an account. The reason is required and internal (the audit log and the event
    feed); the owner is shown one of FREEZE_MESSAGES, by its key. Unfreezing takes a second
    person's approval (services/approvals.py, action unfreeze_account): `frozen=False` is
    refused."""
    require(staff, Permission.FREEZE_ACCOUNTS)
    if not frozen:
        raise NotPermitted("unfreezing an account needs a second person's approval")
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    errors = {}
    if not text or len(text) > REASON_MAX:
        errors["reason"] = f"give a reason (at most {REASON_MAX} characters)"
    key = customer_message if isinstance(customer_message, str) else ""
    if key not in FREEZE_MESSAGES:
        errors["customer_message"] = f"choose one of {', '.join(FREEZE_MESSAGES)}"
    if errors:
        raise ValidationFailed(errors)
    shown = FREEZE_MESSAGES[key]
    account = bank.store.ledger.get_account(account_id)
    if account is None:
        raise AccountNotFound("no such account")
    if account.status is AccountStatus.CLOSED:
        raise ValidationFailed({"reason": "a closed account is neither frozen nor unfrozen"})
    status = AccountStatus.FROZEN

    def apply() -> None:
        bank.store.ledger.set_account_status(account.id, status, shown)
        record(
            bank,
            actor,
            AuditAction.ACCOUNT_FROZEN,
            account.id,
            number=account.number,
            reason=text,
            customer_message=key,
        )
        emit(
            bank,
            EventKind.ACCOUNT_STATUS_CHANGED,
            account.id,
            actor,
            status=status.value,
            reason=text,
            customer_message=key,
        )

    bank.in_unit(apply)
    return replace(account, status=status, status_reason=shown)


def list_users(bank: Bank, admin: User, cursor: str | None = None) -> Page[User]:
    require(admin, Permission.MANAGE_USERS)
    return bank.store.users.list_users(limit=50, cursor=cursor)


def change_role(bank: Bank, admin: User, user_id: str, role: object, actor: Actor) -> User:
    """A new role ends every session and API token the user had, in the same write: new
    powers or fewer, nothing begun under the old role carries on."""
    require(admin, Permission.MANAGE_USERS)
    try:
        kind = Role(role if isinstance(role, str) else "")
    except ValueError:
        raise ValidationFailed({"role": "not a role"}) from None
    if user_id == admin.id:
        raise ValidationFailed({"role": "you cannot change your own role"})

    def save() -> User:
        user = bank.store.users.get_user(user_id)
        if user is None:
            raise AccountNotFound("no such user")
        updated = bank.store.users.update_user(
            user_id, version=user.version, changes={"role": kind, "security_stamp": new_stamp()}
        )
        record(bank, actor, AuditAction.ROLE_CHANGED, user_id, old=user.role.value, new=kind.value)
        emit(bank, EventKind.ROLE_CHANGED, user_id, actor, old=user.role.value, new=kind.value)
        return updated

    updated = bank.in_unit(save)
    end_other_ways_in(bank, user_id)
    return updated


def revoke_sessions(bank: Bank, admin: User, user_id: str, actor: Actor) -> int:
    """End every session and API token of the user (a new security stamp, with its audit
    entry); returns how many session and token records were tidied away."""
    require(admin, Permission.MANAGE_USERS)

    def save() -> None:
        user = bank.store.users.get_user(user_id)
        if user is None:
            raise AccountNotFound("no such user")
        bank.store.users.update_user(
            user_id, version=user.version, changes={"security_stamp": new_stamp()}
        )
        record(bank, actor, AuditAction.SESSIONS_REVOKED, user_id)
        emit(bank, EventKind.STAFF_ACTION, user_id, actor, action="sessions_revoked")

    bank.in_unit(save)
    return end_other_ways_in(bank, user_id)


def unlock_login(bank: Bank, admin: User, email: object, actor: Actor) -> None:
    require(admin, Permission.MANAGE_USERS)
    key = email_key(email) if isinstance(email, str) else ""
    if not key:
        raise ValidationFailed({"email": "give the email whose login to unlock"})

    def unlock() -> None:
        bank.store.sessions.clear_login_failures(key)
        record(bank, actor, AuditAction.LOGIN_UNLOCKED, key)
        emit(bank, EventKind.STAFF_ACTION, key, actor, action="login_unlocked")

    bank.in_unit(unlock)
