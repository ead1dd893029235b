"""What the analysts' pages read besides the alert itself: the queue arranged by what the
store cannot order or filter (severity, assignee, age, status), and the case file of one
alert (the customer, the account's recent history, the profile's devices, addresses and
security events, and the customer's other alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ...domain.accounts import Account, User
from ...domain.errors import ValidationFailed
from ...domain.holds import Hold
from ...domain.ledger import Entry
from ...domain.monitoring.model import Alert, AlertStatus, Severity
from ...domain.monitoring.profile import Profile
from ...domain.security import AuditAction
from ..audit import Actor, record
from ..bank import Bank
from ..history import day_bounds
from . import alerts

PAGE = 50
HISTORY = 20
RELATED = 20

#: How the queue can be ordered; "newest" is the store's own order.
SORTS = ("newest", "oldest", "severity", "assignee", "status")
_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}  # low ... critical
_STATUS_RANK = {s: i for i, s in enumerate(AlertStatus)}  # open first, closed last
UNASSIGNED = "none"


@dataclass(frozen=True, slots=True)
class Worklist:
    items: list[Alert]
    next_cursor: str | None
    arranged: bool  # severity, assignee or the order applied to this page only
    fetched: int  # alerts the page held before severity and assignee filtered it


def worklist(
    bank: Bank,
    analyst: User,
    *,
    status: object = None,
    rule: object = None,
    since: object = None,
    until: object = None,
    customer_id: object = None,
    severity: object = None,
    assignee: object = None,
    sort: object = None,
    cursor: str | None = None,
) -> Worklist:
    """The queue as the analysts' page shows it: the store's filters (status, rule, days,
    customer) and cursor; then, on the page it returned, severity, assignee and the order.
    A page that is arranged is the store's largest (PAGE_MAX), so that it holds the most."""
    order = str(sort or "newest")
    if order not in SORTS:
        raise ValidationFailed({"sort": "one of " + ", ".join(SORTS)})
    wanted = severity_of(severity)
    who = str(assignee or "").strip() or None
    arranged = wanted is not None or who is not None or order != "newest"
    start, end = day_bounds(since, until)
    page = alerts.queue(
        bank,
        analyst,
        alerts.AlertQuery(
            status=alerts.status_of(status),
            rule=str(rule or "").strip() or None,
            since=start,
            until=end,
            customer_id=str(customer_id or "").strip() or None,
            limit=alerts.PAGE_MAX if arranged else PAGE,
            cursor=cursor,
        ),
    )
    items = arrange(page.items, severity=wanted, assignee=who, sort=order)
    return Worklist(items, page.next_cursor, arranged, len(page.items))


def severity_of(text: object) -> Severity | None:
    if text in (None, ""):
        return None
    try:
        return Severity(str(text))
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise ValidationFailed({"severity": f"one of {choices}"}) from None


def arrange(
    items: list[Alert],
    *,
    severity: Severity | None = None,
    assignee: str | None = None,
    sort: str = "newest",
) -> list[Alert]:
    """One page of the queue, filtered by severity and assignee (an email, or "none" for
    nobody's) and sorted. Only the page is arranged: the store lists alerts newest first
    and filters by status, rule, period and customer, not by these."""
    kept = [a for a in items if severity is None or a.severity is severity]
    if assignee:
        wanted = None if assignee.strip().lower() == UNASSIGNED else assignee.strip().lower()
        kept = [a for a in kept if a.assignee == wanted]
    # Sorts are stable, so alerts that tie keep the store's order (newest first).
    if sort == "oldest":
        kept.reverse()
    elif sort == "severity":
        kept.sort(key=lambda a: -_SEVERITY_RANK[a.severity])
    elif sort == "assignee":
        kept.sort(key=lambda a: (a.assignee is None, a.assignee or ""))
    elif sort == "status":
        kept.sort(key=lambda a: _STATUS_RANK[a.status])
    return kept


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    at: str
    what: str


@dataclass(frozen=True, slots=True)
class Case:
    alert: Alert
    customer: User | None
    account: Account | None
    hold: Hold | None  # the held transfer, as it stands now
    history: list[Entry]
    devices: list[str]
    addresses: list[str]
    security: list[SecurityEvent]  # newest first
    last_active: str | None
    related: list[Alert]  # the customer's other alerts, newest first


def case(bank: Bank, analyst: User, alert_id: str, actor: Actor) -> Case:
    """The alert and what an analyst weighs it against. Reading it is audited as a look at
    the customer, as the customer view is."""
    alert = alerts.get(bank, analyst, alert_id)
    record(bank, actor, AuditAction.CUSTOMER_VIEWED, alert.customer_id, alert=alert.id)
    account = bank.store.ledger.get_account(alert.account_id)
    history = [] if account is None else bank.store.ledger.history(account.id, limit=HISTORY).items
    profile = Profile.load(bank.store.monitoring.profile(alert.customer_id), alert.customer_id)
    others = alerts.queue(
        bank, analyst, alerts.AlertQuery(customer_id=alert.customer_id, limit=RELATED + 1)
    )
    return Case(
        alert=alert,
        customer=bank.store.users.get_user(alert.customer_id),
        account=account,
        hold=None
        if alert.hold_id is None
        else bank.store.holds.get(alert.account_id, alert.hold_id),
        history=history,
        devices=list(profile.devices),
        addresses=list(profile.ips),
        security=[SecurityEvent(_iso(t), what) for t, what in reversed(profile.security)],
        last_active=_iso(profile.last_at) if profile.last_at else None,
        related=[a for a in others.items if a.id != alert.id][:RELATED],
    )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
