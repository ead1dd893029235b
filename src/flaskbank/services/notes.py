"""Staff's internal notes on a customer: written by any staff role that may see customers,
read only by staff, never changed or removed, each one audited."""

from __future__ import annotations

from ..domain.accounts import User
from ..domain.errors import AccountNotFound
from ..domain.ledger import new_id
from ..domain.notes import CustomerNote, clean_note
from ..domain.security import AuditAction, Permission
from .audit import Actor, record
from .bank import Bank
from .permissions import require

#: Notes shown on the customer view, newest first.
NOTES_SHOWN = 50
#: How much of a note its audit line quotes: enough to tell notes apart.
AUDIT_EXCERPT = 80


def customer_of(bank: Bank, customer_id: str) -> User:
    """The customer, or AccountNotFound (a 404) for an unknown id or a staff login."""
    user = bank.store.users.get_user(customer_id)
    if user is None or user.is_staff:
        raise AccountNotFound("no such customer")
    return user


def add_note(bank: Bank, staff: User, customer_id: str, text: object, actor: Actor) -> CustomerNote:
    require(staff, Permission.VIEW_CUSTOMERS)
    body = clean_note(text)
    customer = customer_of(bank, customer_id)
    note = CustomerNote(new_id(), customer.id, bank.now(), staff.id, staff.email, body)

    def add() -> None:
        bank.store.notes.add_note(note)
        excerpt = body if len(body) <= AUDIT_EXCERPT else body[: AUDIT_EXCERPT - 1] + "…"
        record(bank, actor, AuditAction.NOTE_ADDED, customer.id, note=excerpt)

    bank.in_unit(add)
    return note


def notes_of(bank: Bank, staff: User, customer_id: str) -> list[CustomerNote]:
    require(staff, Permission.VIEW_CUSTOMERS)
    return bank.store.notes.notes_of(customer_id, limit=NOTES_SHOWN)
