"""The compliance review and corrective actions (docs/compliance.md).

What moved comes from the analytics warehouse, which answers a month of cash at 10 million
transactions in milliseconds; who the customers are, what they told the bank about
themselves and which accounts are frozen, and why, come from the store through its ports,
since the warehouse keeps neither names, personal details nor reasons."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..domain.accounts import AccountStatus, User
from ..domain.compliance import (
    CASH_REPORT_OVER,
    DEFAULT_DAYS,
    MAX_DAYS,
    STRUCTURING_FROM,
    CorrectiveAction,
    FindingKind,
    SplitCash,
    clean_action,
    finding_key,
    parse_finding,
    structuring,
    thresholds,
)
from ..domain.errors import AccountNotFound, ValidationFailed
from ..domain.ledger import new_id
from ..domain.money import MINOR_UNITS
from ..domain.personal import DETAILS
from ..domain.security import AuditAction, AuditEvent, Permission
from ..warehouse.base import AsOf, CashDay, WarehousePort
from .audit import Actor, record
from .bank import Bank
from .permissions import require

#: Customers with gaps listed at most (all are counted); users read per page of the scan.
KYC_SHOWN = 100
_USERS_PAGE = 500
_AUDIT_PAGE = 500
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: How much of an action its audit line quotes: enough to tell actions apart.
AUDIT_EXCERPT = 80


@dataclass(frozen=True)
class Period:
    first: date
    last: date


@dataclass(frozen=True)
class LargeCash:
    finding: str
    customer_id: str
    name: str
    cash: CashDay
    actions: list[CorrectiveAction] = field(default_factory=list)


@dataclass(frozen=True)
class Structuring:
    finding: str
    customer_id: str
    name: str
    split: SplitCash
    actions: list[CorrectiveAction] = field(default_factory=list)


@dataclass(frozen=True)
class KycGap:
    finding: str
    customer_id: str
    name: str
    email: str
    missing: tuple[str, ...]  # of domain.personal.DETAILS
    actions: list[CorrectiveAction] = field(default_factory=list)


@dataclass(frozen=True)
class FrozenAccount:
    finding: str
    account_id: str
    number: str
    customer_id: str
    name: str
    reason: str  # internal: staff only
    since: str
    frozen_by: str
    actions: list[CorrectiveAction] = field(default_factory=list)


@dataclass(frozen=True)
class Review:
    period: Period
    large_cash: list[LargeCash]
    structuring: list[Structuring]
    kyc_gaps: list[KycGap]
    kyc_gap_count: int  # every customer with a gap; at most KYC_SHOWN are listed
    frozen: list[FrozenAccount]
    as_of: AsOf


def parse_period(args: Mapping[str, str], today: date) -> Period:
    """`from` and `to` (YYYY-MM-DD, both included), by default the DEFAULT_DAYS up to
    today; ValidationFailed names each bad field."""
    errors: dict[str, str] = {}

    def day(name: str, default: date) -> date | None:
        text = (args.get(name) or "").strip()
        if not text:
            return default
        try:
            if _DAY.fullmatch(text):
                return date.fromisoformat(text)
        except ValueError:
            pass
        errors[name] = "must be a date written YYYY-MM-DD"
        return None

    last = day("to", today)
    first = day("from", (last or today) - timedelta(days=DEFAULT_DAYS - 1))
    if first and last and last < first:
        errors["to"] = "must not be before from"
    elif first and last and (last - first).days >= MAX_DAYS:
        errors["from"] = f"a review covers at most {MAX_DAYS} days"
    if errors or first is None or last is None:
        raise ValidationFailed(errors)
    return Period(first, last)


def review(bank: Bank, warehouse: WarehousePort, staff: User, period: Period) -> Review:
    require(staff, Permission.REVIEW_COMPLIANCE)
    currencies = list(MINOR_UNITS)
    over = thresholds(currencies, CASH_REPORT_OVER)
    with warehouse.reading() as reader:
        days = reader.cash_days(period.first, period.last, over)
        near = reader.cash_deposits(
            period.first, period.last, thresholds(currencies, STRUCTURING_FROM), over
        )
        as_of = reader.as_of()
    names: dict[str, str] = {}

    def name(customer_id: str) -> str:
        if customer_id not in names:
            user = bank.store.users.get_user(customer_id)
            names[customer_id] = user.full_name if user is not None else customer_id
        return names[customer_id]

    large = [
        LargeCash(
            finding_key(FindingKind.LARGE_CASH, d.customer_id, d.day.isoformat(), d.currency),
            d.customer_id,
            name(d.customer_id),
            d,
        )
        for d in days
    ]
    split = [
        Structuring(
            finding_key(FindingKind.STRUCTURING, s.customer_id, s.first.isoformat(), s.currency),
            s.customer_id,
            name(s.customer_id),
            s,
        )
        for s in structuring(near)
    ]
    gaps, gap_count = _kyc_gaps(bank)
    frozen = list(_frozen(bank))
    findings: list[LargeCash | Structuring | KycGap | FrozenAccount] = [
        *large,
        *split,
        *gaps,
        *frozen,
    ]
    actions = bank.store.corrective_actions.actions_on([f.finding for f in findings])
    for found in findings:
        found.actions.extend(actions.get(found.finding, []))
    return Review(period, large, split, gaps, gap_count, frozen, as_of)


def _kyc_gaps(bank: Bank) -> tuple[list[KycGap], int]:
    """Customers missing any personal detail, in the order they registered. Every user is
    read (in pages): the store keeps no index of what is missing."""
    gaps: list[KycGap] = []
    count = 0
    cursor: str | None = None
    while True:
        page = bank.store.users.list_users(limit=_USERS_PAGE, cursor=cursor)
        for user in page.items:
            missing = tuple(d for d in DETAILS if not getattr(user, d))
            if user.is_staff or not missing:
                continue
            count += 1
            if len(gaps) < KYC_SHOWN:
                key = finding_key(FindingKind.KYC_GAP, user.id)
                gaps.append(KycGap(key, user.id, user.full_name, user.email, missing))
        cursor = page.next_cursor
        if cursor is None:
            return gaps, count


def _freezes(bank: Bank) -> Iterator[AuditEvent]:
    cursor: str | None = None
    while True:
        page = bank.store.audit.audit_log(
            limit=_AUDIT_PAGE, cursor=cursor, action=AuditAction.ACCOUNT_FROZEN
        )
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def _frozen(bank: Bank) -> Iterator[FrozenAccount]:
    """Accounts frozen now, newest freeze first, with the internal reason of their latest
    freeze: every freeze is audited with its reason (services/staff.set_frozen), and an
    account unfrozen since is left out by its status."""
    seen: set[str] = set()
    for event in _freezes(bank):  # newest first: the first line of an account is its latest
        if event.target in seen:
            continue
        seen.add(event.target)
        account = bank.store.ledger.get_account(event.target)
        if account is None or account.status is not AccountStatus.FROZEN:
            continue
        owner = bank.store.users.get_user(account.user_id)
        yield FrozenAccount(
            finding_key(FindingKind.FROZEN, account.id, event.at),
            account.id,
            account.number,
            account.user_id,
            owner.full_name if owner is not None else account.owner_name,
            event.details.get("reason", ""),
            event.at,
            event.actor_email,
        )


def record_action(
    bank: Bank, staff: User, finding: object, text: object, actor: Actor
) -> CorrectiveAction:
    """Record what was done about a finding; audited in the same unit of work. The finding
    must name a customer (or, for a frozen account, an account) that exists: AccountNotFound
    (a 404) otherwise."""
    require(staff, Permission.REVIEW_COMPLIANCE)
    errors: dict[str, str] = {}
    for check in (lambda: parse_finding(finding), lambda: clean_action(text)):
        try:
            check()
        except ValidationFailed as e:
            errors |= e.errors
    if errors:
        raise ValidationFailed(errors)
    kind, subject = parse_finding(finding)
    body = clean_action(text)
    key = str(finding)
    if kind is FindingKind.FROZEN:
        account = bank.store.ledger.get_account(subject)
        if account is None:
            raise AccountNotFound("no such account")
        customer_id = account.user_id
    else:
        customer_id = subject
    customer = bank.store.users.get_user(customer_id)
    if customer is None or customer.is_staff:
        raise AccountNotFound("no such customer")
    action = CorrectiveAction(new_id(), key, customer.id, bank.now(), staff.id, staff.email, body)

    def add() -> None:
        bank.store.corrective_actions.add_action(action)
        excerpt = body if len(body) <= AUDIT_EXCERPT else body[: AUDIT_EXCERPT - 1] + "…"
        record(
            bank,
            actor,
            AuditAction.CORRECTIVE_ACTION_RECORDED,
            customer.id,
            finding=key,
            corrective_action=excerpt,
        )

    bank.in_unit(add)
    return action
