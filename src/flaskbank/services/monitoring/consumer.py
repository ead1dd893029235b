"""The monitoring consumer: reads the event feed, keeps every customer's profile up to date,
and opens the alert of each posting that was held for review or blocked.

Profiles are fed from the feed, not in the posting's unit of work: a posting then writes
nothing more than it did before monitoring, and a busy recipient's profile is never a hot row
that transfers to it contend on. The price is a lag: the worker applies the feed every
second, so a profile may miss the last second or two of activity. What must be exact at the
moment of a posting (velocity, money just in, cash in the window) is read from the account's
own entries instead (screening.py). docs/monitoring.md says more.

Applying an event twice changes nothing: profile.observe recognises an event it has seen,
and an alert's id follows from its transaction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence

from ...domain.chart import is_internal
from ...domain.errors import StaleRecord
from ...domain.events import Event, EventKind, JsonValue
from ...domain.monitoring import profile as profiles
from ...domain.monitoring.model import (
    Alert,
    AlertStatus,
    Decision,
    Severity,
    StoredProfile,
    Verdict,
)
from ...retry import retrying
from ..bank import Bank
from ..consumers import run_once
from . import live

BATCH = 200

NAME = "monitoring"
#: Alert ids follow from the transaction (or the blocked attempt) they are about.
_ALERTS = uuid.UUID("5f0c2a9e-7b41-4d3a-9c58-2e6b1d4f8a17")
_SECURITY = (EventKind.LOGIN_SUCCEEDED, EventKind.PASSWORD_CHANGED, EventKind.EMAIL_CHANGED)
_ALERTED = (EventKind.TRANSACTION_POSTED, EventKind.HOLD_PLACED, EventKind.POSTING_BLOCKED)


def alert_id(transaction_id: str) -> str:
    return str(uuid.uuid5(_ALERTS, transaction_id))


class MonitoringConsumer:
    """Applies the feed a batch at a time (apply_all): the customers a batch touches are
    read together, observed in feed order in memory and written back together, and its
    alerts added together, so that a batch costs a handful of round trips however many
    events it holds (on DynamoDB, one event at a time was several sequential round trips
    each: 200 events took about 3 s, and 50 postings/s outran it)."""

    name = NAME

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self._owners: dict[str, str | None] = {}  # account id -> owner; accounts never move
        self.screened: list[Event] = []  # for the live board, saved after each batch

    def apply(self, event: Event) -> None:
        self.apply_all([event])

    def apply_all(self, events: Sequence[Event]) -> None:
        """Apply the events as if one by one in their order; applying them again changes
        nothing (each profile knows the events it has seen; an alert that exists stays)."""
        self.screened.extend(e for e in events if isinstance(e.payload.get("screening"), dict))
        self._observe_all(self._sides(events))
        alerts: dict[str, Alert] = {}
        for event in events:
            alert = alert_of(event)
            if alert is not None:
                alerts.setdefault(alert.id, alert)  # the first in feed order, as one by one
        if alerts:
            self.bank.store.monitoring.add_alerts(list(alerts.values()))

    def _sides(self, events: Sequence[Event]) -> dict[str, list[tuple[Event, str | None]]]:
        """Per customer, in feed order, each event to observe and the account it is about
        (None for a security event)."""
        self._learn_owners(
            a
            for e in events
            if e.kind is EventKind.TRANSACTION_POSTED
            for a in _leg_accounts(e.payload)
        )
        sides: dict[str, list[tuple[Event, str | None]]] = {}
        for event in events:
            if event.kind is EventKind.TRANSACTION_POSTED:
                for account_id in _leg_accounts(event.payload):
                    owner = self._owners.get(account_id)
                    if owner is not None:
                        sides.setdefault(owner, []).append((event, account_id))
            elif event.kind in _SECURITY:
                sides.setdefault(event.subject, []).append((event, None))
        return sides

    def _learn_owners(self, account_ids: Iterable[str]) -> None:
        unknown = {a for a in account_ids if not is_internal(a) and a not in self._owners}
        if not unknown:
            return
        found = self.bank.store.ledger.owners(unknown)
        for account_id in unknown:
            self._owners[account_id] = found.get(account_id)

    def _observe_all(self, sides: Mapping[str, list[tuple[Event, str | None]]]) -> None:
        """Read every profile the batch touches at once, observe, write the changed ones
        back at once; a profile that moved meanwhile (another writer) is read again and its
        events observed again, alone, until it is saved or the attempts run out."""
        store = self.bank.store.monitoring
        pending = set(sides)

        def attempt(_: int) -> None:
            nonlocal pending
            stored = store.profiles(pending)
            changed = []
            for user_id in pending:
                was = stored.get(user_id)
                profile = profiles.Profile.load(was, user_id)
                seen = [profiles.observe(profile, e, account_id=a) for e, a in sides[user_id]]
                if any(seen):
                    version = 0 if was is None else was.version
                    changed.append(StoredProfile(user_id, profile.dump(), version))
            pending = store.save_profiles(changed)
            if pending:
                raise StaleRecord(f"{len(pending)} monitoring profiles changed meanwhile")

        if pending:
            retrying(attempt)


def alert_of(event: Event) -> Alert | None:
    """The alert a screened posting, held transfer or blocked attempt opens (None when its
    verdict approved it, or it was not screened)."""
    if event.kind not in _ALERTED:
        return None
    payload = event.payload
    screened = payload.get("screening")
    transaction_id = payload.get("transaction_id")
    if not isinstance(screened, dict) or not isinstance(transaction_id, str):
        return None
    verdict = Verdict.from_json(screened)
    if verdict.decision is Decision.APPROVE:
        return None
    held = event.kind is EventKind.HOLD_PLACED
    posted = event.kind is EventKind.TRANSACTION_POSTED
    hold_id = payload.get("hold_id")
    return Alert(
        id=alert_id(transaction_id),
        created_at=event.at,
        severity=severity(verdict),
        score=verdict.score,
        status=AlertStatus.OPEN,
        customer_id=event.actor,
        account_id=event.subject,
        decision=verdict.decision,
        verdict=verdict,
        amount=str(payload.get("amount", "")),
        currency=str(payload.get("currency", "")),
        transaction_id=transaction_id if posted else None,
        hold_id=hold_id if held and isinstance(hold_id, str) else None,
    )


def catch_up(
    bank: Bank, *, limit: int = BATCH, batches: int = 20, budget: float | None = None
) -> int:
    """The worker's job: apply the feed in batches until caught up, putting each batch on the
    live board. It stops after `batches`, so that one run stays well inside its lease, or
    once it has run `budget` seconds (the worker gives it 1 s: on a backlog, a worker started
    on a bank with history, its lane ticks again at once, renewing the lease between runs)."""
    consumer = MonitoringConsumer(bank)
    done, started = 0, time.monotonic()
    for _ in range(batches):
        applied = run_once(bank.store, consumer, limit=limit)
        live.save(bank, consumer.screened)
        consumer.screened.clear()
        done += applied
        if applied < limit or (budget is not None and time.monotonic() - started > budget):
            break
    return done


def severity(verdict: Verdict) -> Severity:
    if verdict.decision is Decision.BLOCK:
        return Severity.CRITICAL
    if verdict.failed:
        return Severity.MEDIUM
    return Severity.HIGH


def _leg_accounts(payload: Mapping[str, JsonValue]) -> list[str]:
    legs = payload.get("legs")
    if not isinstance(legs, list):
        return []
    return [str(leg["account_id"]) for leg in legs if isinstance(leg, dict) and "account_id" in leg]
