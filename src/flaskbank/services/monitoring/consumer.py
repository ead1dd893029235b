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
from collections.abc import Mapping

from ...domain.chart import is_internal
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


def alert_id(transaction_id: str) -> str:
    return str(uuid.uuid5(_ALERTS, transaction_id))


class MonitoringConsumer:
    name = NAME

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self._owners: dict[str, str | None] = {}  # account id -> owner; accounts never move
        self.screened: list[Event] = []  # for the live board, saved after each batch

    def apply(self, event: Event) -> None:
        payload = event.payload
        if isinstance(payload.get("screening"), dict):
            self.screened.append(event)
        if event.kind is EventKind.TRANSACTION_POSTED:
            for account_id in _leg_accounts(payload):
                owner = self._owner(account_id)
                if owner is not None:
                    self._observe(owner, event, account_id)
            self._open_alert(event)
        elif event.kind is EventKind.HOLD_PLACED or event.kind is EventKind.POSTING_BLOCKED:
            self._open_alert(event)
        elif event.kind in _SECURITY:
            self._observe(event.subject, event, None)

    def _owner(self, account_id: str) -> str | None:
        if is_internal(account_id):
            return None
        if account_id not in self._owners:
            account = self.bank.store.ledger.get_account(account_id)
            self._owners[account_id] = None if account is None else account.user_id
        return self._owners[account_id]

    def _observe(self, user_id: str, event: Event, account_id: str | None) -> None:
        store = self.bank.store.monitoring

        def attempt(_: int) -> None:
            stored = store.profile(user_id)
            profile = profiles.Profile.load(stored, user_id)
            if profiles.observe(profile, event, account_id=account_id):
                version = 0 if stored is None else stored.version
                store.save_profile(StoredProfile(user_id, profile.dump(), version))

        retrying(attempt)

    def _open_alert(self, event: Event) -> None:
        payload = event.payload
        screened = payload.get("screening")
        transaction_id = payload.get("transaction_id")
        if not isinstance(screened, dict) or not isinstance(transaction_id, str):
            return
        verdict = Verdict.from_json(screened)
        if verdict.decision is Decision.APPROVE:
            return
        store = self.bank.store.monitoring
        key = alert_id(transaction_id)
        if store.get_alert(key) is not None:
            return
        held = event.kind is EventKind.HOLD_PLACED
        posted = event.kind is EventKind.TRANSACTION_POSTED
        hold_id = payload.get("hold_id")
        store.add_alert(
            Alert(
                id=key,
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
        )


def catch_up(
    bank: Bank, *, limit: int = BATCH, batches: int = 20, budget: float | None = None
) -> int:
    """The worker's job: apply the feed in batches until caught up, putting each batch on the
    live board. It stops after `batches`, so that one run stays well inside its lease, or
    once it has run `budget` seconds: the worker runs its jobs one after another, and a
    backlog here (a worker started on a bank with history) must not hold the warehouse's
    sync back past its 5 s (bench/bench_warehouse_lag.py measured 18 s without it)."""
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
