"""Security notices: the event consumer that mails a customer when something happens to
their account that they should know of, whoever did it.

    login_succeeded    from a device (the browser's device cookie, web/devices.py) the
                       customer has not signed in from before; their first device is no news
    password_changed   by them, or from a reset link
    email_changed      to the old address (the new one gets its confirmation link)
    transaction_posted a transfer or withdrawal of at least Settings.large_transfer
    hold_placed        a transfer held for review (not staff holds: their reasons are
                       internal, and telling could tip someone off)

Effectively once: a notice's mail id follows from its event's id, and queueing a mail whose
id is queued already does nothing, so an event applied again (consumers.py: at least once)
queues nothing new. The request that made the event only appended it, so a slow mail server
never slows a request; the outbox (services/mail.py) sends and retries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from ..domain.accounts import User
from ..domain.events import Event, EventKind, JsonValue
from ..domain.holds import HoldKind
from ..domain.ledger import TransactionType, parse_utc_iso
from ..domain.money import Money
from . import mail
from .bank import Bank
from .consumers import run_once

NAME = "security-notices"
_MAIL_IDS = uuid.UUID("3f0f6c1e-2b8a-4d57-9a61-0c5e8d7b4a19")
#: A notice about something older is news to nobody: it is skipped. A worker started on a
#: bank with history (the demo's 18 months, a bulk load) would otherwise mail all of it.
MAX_AGE = timedelta(days=1)
_LARGE = frozenset({TransactionType.TRANSFER.value, TransactionType.WITHDRAWAL.value})


@dataclass(frozen=True)
class Notice:
    to: str
    subject: str
    what: str  # one paragraph: what happened


def mail_id(event: Event) -> str:
    return str(uuid.uuid5(_MAIL_IDS, event.id))


def _money(payload: Mapping[str, JsonValue]) -> str:
    return Money.of(str(payload["amount"]), str(payload["currency"])).display()


class SecurityNotices:
    """The consumer (services/consumers.py); the worker runs it as a job of its own."""

    name = NAME

    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    def apply(self, event: Event) -> None:
        if self.bank.clock() - parse_utc_iso(event.at) > MAX_AGE:
            return
        notice = self.notice_for(event)
        if notice is not None:
            mail.queue(
                self.bank,
                to=notice.to,
                subject=notice.subject,
                kind=f"notice:{event.kind.value}",
                mail_id=mail_id(event),
                body=self.body(notice),
            )
        if event.kind in (EventKind.LOGIN_SUCCEEDED, EventKind.USER_REGISTERED):
            # After the notice: a run cut short between the two queues it again (the same
            # id, so nothing new) rather than forgetting it.
            browser = event.payload.get("browser")
            if isinstance(browser, str) and browser:
                self.bank.store.mail.add_device(event.subject, browser, event.at)

    def body(self, notice: Notice) -> str:
        site = self.bank.settings.base_url
        return (
            f"{notice.what}\n\n"
            "If this was you, there is nothing to do. If it was not, change your password at "
            f"{site}/profile/password (or ask for a reset link at {site}/password/forgot) "
            "and call us.\n\n-- Flask Bank\n"
        )

    def notice_for(self, event: Event) -> Notice | None:
        kind, p = event.kind, event.payload
        if kind is EventKind.EMAIL_CHANGED:
            user = self._user(event.subject)
            old = p.get("old_email")
            if user is None or not isinstance(old, str):
                return None
            return Notice(
                old,
                "Your Flask Bank email address was changed",
                f"Hello {user.full_name},\n\nthe email address of your Flask Bank account was "
                f"changed from {old} to {p.get('new_email')} on {_when(event)}. We will "
                "write to the new address from now on.",
            )
        if kind is EventKind.PASSWORD_CHANGED:
            return self._to_owner(
                event.subject,
                "Your Flask Bank password was changed",
                f"the password of your Flask Bank account was changed on {_when(event)}"
                + (" with a reset link." if p.get("via") == "reset_link" else ".")
                + " Every other session and API token has ended.",
            )
        if kind is EventKind.LOGIN_SUCCEEDED:
            return self._new_device(event)
        if kind is EventKind.TRANSACTION_POSTED and p.get("type") in _LARGE:
            if Decimal(str(p["amount"])) < self.bank.settings.large_transfer:
                return None
            what = "transfer" if p["type"] == TransactionType.TRANSFER.value else "withdrawal"
            return self._to_account_owner(
                event.subject,
                f"A {what} of {_money(p)} from your account",
                f"a {what} of {_money(p)} left your account {{account}} on {_when(event)}.",
            )
        if kind is EventKind.HOLD_PLACED and p.get("kind") == HoldKind.PENDING_TRANSFER.value:
            return self._to_account_owner(
                event.subject,
                "Your transfer is waiting for review",
                f"your transfer of {_money(p)} from your account {{account}} is waiting for "
                "our review. The money is reserved and not sent yet; we will decide soon.",
            )
        return None

    def _new_device(self, event: Event) -> Notice | None:
        browser = event.payload.get("browser")
        if not isinstance(browser, str) or not browser:
            return None
        known = self.bank.store.mail.devices_of(event.subject)
        if not known or browser in known:  # the first device, or a known one: no news
            return None
        agent = event.payload.get("agent") or "an unknown browser"
        return self._to_owner(
            event.subject,
            "New sign-in to your Flask Bank account",
            f"someone signed in to your Flask Bank account on {_when(event)} from a device "
            f"we have not seen before ({agent}, address {event.payload.get('ip') or 'unknown'}).",
        )

    def _user(self, user_id: str) -> User | None:
        user = self.bank.store.users.get_user(user_id)
        return None if user is None or user.demo_only else user

    def _to_owner(self, user_id: str, subject: str, what: str) -> Notice | None:
        user = self._user(user_id)
        if user is None:
            return None
        return Notice(user.email, subject, f"Hello {user.full_name},\n\n{what}")

    def _to_account_owner(self, account_id: str, subject: str, what: str) -> Notice | None:
        account = self.bank.store.ledger.get_account(account_id)
        if account is None:
            return None
        ending = f"ending {account.number[-4:]}"
        return self._to_owner(account.user_id, subject, what.replace("{account}", ending))


def _when(event: Event) -> str:
    return f"{event.at[:10]} at {event.at[11:16]} UTC"


def catch_up(bank: Bank, *, limit: int = 500, budget: float = 1.0) -> int:
    """The worker's job: apply the feed in batches until caught up or `budget` seconds
    have passed (a backlog carries over; other jobs must not wait on it)."""
    consumer = SecurityNotices(bank)
    done, started = 0, time.monotonic()
    while True:
        applied = run_once(bank.store, consumer, limit=limit)
        done += applied
        if applied < limit or time.monotonic() - started > budget:
            return done
