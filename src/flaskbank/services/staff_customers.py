"""What staff read of a customer's account beyond the customer view: the full history, paged
as the customer pages it, and each monthly statement. Read only, and audited like the
customer view (every page staff open on a customer is a line of the audit log)."""

from __future__ import annotations

from ..domain.accounts import Account, User
from ..domain.ledger import Entry
from ..domain.security import AuditAction, Permission
from ..store.base import Page
from . import history
from .audit import Actor, record
from .bank import Bank
from .notes import customer_of
from .permissions import require

HISTORY_PAGE = 25


def account_history(
    bank: Bank,
    staff: User,
    customer_id: str,
    account_id: str,
    actor: Actor,
    *,
    cursor: str | None = None,
    since: object = None,
    until: object = None,
    type: object = None,
    q: object = None,
) -> tuple[User, Account, Page[Entry]]:
    """The customer's account history, newest first, filtered and paged both ways as the
    customer's own (services/history.py); AccountNotFound unless the account is theirs."""
    require(staff, Permission.VIEW_CUSTOMERS)
    customer = customer_of(bank, customer_id)
    account, page = history.history(
        bank,
        customer.id,
        account_id,
        limit=HISTORY_PAGE,
        cursor=cursor,
        since=since,
        until=until,
        type=type,
        q=q,
    )
    record(bank, actor, AuditAction.CUSTOMER_VIEWED, customer.id, history=account.number)
    return customer, account, page


def account_statement(
    bank: Bank, staff: User, customer_id: str, account_id: str, month: str, actor: Actor
) -> tuple[User, history.Statement]:
    """The customer's statement for `month`, as they would get it (StatementNotFound for a
    month before the account was opened or still to come)."""
    require(staff, Permission.VIEW_CUSTOMERS)
    customer = customer_of(bank, customer_id)
    found = history.statement(bank, customer.id, account_id, month)
    record(
        bank,
        actor,
        AuditAction.CUSTOMER_VIEWED,
        customer.id,
        statement=f"{found.account.number} {found.month}",
    )
    return customer, found
