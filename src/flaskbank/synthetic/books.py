"""The books: the planned actions carried out in time order against balances kept here (no
account ever goes below zero: what it cannot pay is skipped), as users, accounts, postings,
events and labels, gathered into BulkBatches of about `batch_size` postings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..domain.accounts import (
    CASH_ACCOUNT_ID,
    CLOSED_BY_THE_BANK,
    Account,
    AccountStatus,
    AccountType,
    Role,
    User,
    format_account_number,
)
from ..domain.events import Event, EventKind, JsonValue
from ..domain.identity import email_key
from ..domain.labels import Label, Pattern
from ..domain.ledger import Leg, Posting, TransactionType
from ..domain.money import Money
from ..domain.recipients import account_ending, masked_name
from ..store.base import BulkBatch
from .clock import DAY, Calendar
from .ids import Ids
from .people import Customer, Segment
from .plan import Do, Draft

CURRENCY = "USD"
CASH_REPORT_LIMIT = 1_000_000  # 10,000.00: cash above it in a day must be reported
#: Who closes a leaver's account: the bank, as staff do for a customer who asks (the
#: synthetic bank has no staff of its own; "system" as for the bank's other own actions).
BANK = "system"
ZERO = Money.from_minor(0, CURRENCY)
#: (customer, day, deposit or withdrawal)
CashDay = tuple[int, int, TransactionType]


@dataclass(slots=True)
class _Pending:
    users: list[User] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


class Books:
    def __init__(
        self,
        load_id: str,
        cal: Calendar,
        ids: Ids,
        people: list[Customer],
        password_hash: str,
        batch_size: int,
    ) -> None:
        self.load_id = load_id
        self.cal = cal
        self.ids = ids
        self.people = people
        self.password_hash = password_hash
        self.batch_size = batch_size
        self.balances: dict[str, int] = {}
        #: Accounts the bank has closed: nothing moves in or out of them any more.
        self.closed: set[str] = set()
        self.pending = _Pending()
        self.number = 0
        self.postings = 0
        #: Each customer's cash in and out per day this month: (total, [(transaction, time)]).
        self.cash: dict[CashDay, tuple[list[int], list[tuple[str, int]]]] = {}

    # -- carrying out -------------------------------------------------------------------
    def run(self, action: tuple[Any, ...]) -> None:
        """Carry out one planned action (plan.Action)."""
        t, do, args = action[0], action[1], action[2:]
        if do is Do.SIGNUP:
            self._signup(t, self.people[args[0]])
            return
        draft: Draft | None = args[-2]
        role: str = args[-1]
        txn: str | None = None
        happened = False
        if do is Do.LOGIN:
            payload = {"ip": args[1], "device": args[2]}
            happened = self._event(t, self.people[args[0]], EventKind.LOGIN_SUCCEEDED, payload)
        elif do is Do.EVENT:
            who, kind, payload = args[0], args[1], args[2]
            happened = self._event(t, self.people[who], kind, payload)
        elif do is Do.TRANSFER:
            txn = self._transfer(t, *args[:6])
        elif do is Do.CLOSE:
            txn = self._close(t, *args[:3])
        else:
            txn = self._cash(t, do, *args[:4])
        finished = draft is not None and draft.step(t, role, txn, happened or txn is not None)
        if draft is not None and finished and draft.holds:
            self._label(
                draft.pattern,
                draft.customer,
                draft.transaction_ids,
                draft.start,
                draft.end,
                draft.note,
            )

    def _signup(self, t: int, c: Customer) -> None:
        at = self.cal.iso(t)
        self.pending.users.append(
            User(
                c.id,
                c.final_email,
                c.full_name,
                self.password_hash,
                Role.CUSTOMER,
                at,
                security_stamp=self.ids.next("stamp"),
                phone=c.phone,
                address=c.postal,
                date_of_birth=c.born,
            )
        )
        self._emit(
            t,
            EventKind.USER_REGISTERED,
            c.id,
            c.id,
            {
                "email": c.email,
                "full_name": c.full_name,
                "role": Role.CUSTOMER.value,
                "address": c.address,
                "date_of_birth": c.born,
                "segment": c.segment.value,
            },
        )
        kinds = [AccountType.CHECKING]
        if c.segment in (Segment.SALARIED, Segment.RETIREE, Segment.HIGH_NET_WORTH):
            kinds.append(AccountType.SAVINGS)
        if c.segment is Segment.BUSINESS:
            kinds.append(AccountType.CHECKING)
        for kind in kinds:
            account_id, number = self.ids.account()
            self.pending.accounts.append(
                Account(
                    account_id,
                    number,
                    c.id,
                    kind,
                    CURRENCY,
                    ZERO,
                    AccountStatus.OPEN,
                    at,
                    owner_name=c.full_name,
                )
            )
            self._emit(
                t,
                EventKind.ACCOUNT_OPENED,
                account_id,
                c.id,
                {
                    "user_id": c.id,
                    "number": number,
                    "type": kind.value,
                    "currency": CURRENCY,
                },
            )
            c.accounts.append(account_id)
            c.numbers.append(number)
            self.balances[account_id] = 0
        if c.listed:
            self._label(
                Pattern.SANCTIONED_NAME,
                c.index,
                [],
                t,
                t,
                f"{c.full_name} resembles the listed name {c.listed}",
            )

    def _event(self, t: int, c: Customer, kind: EventKind, payload: dict[str, JsonValue]) -> bool:
        if not c.accounts:
            return False
        email = c.final_email if c.email_change is not None and self._changed(c, t) else c.email
        if kind is EventKind.LOGIN_FAILED:
            key = email_key(email)
            self._emit(t, kind, key, key, payload)
        else:
            self._emit(t, kind, c.id, c.id, payload)
        return True

    def _changed(self, c: Customer, t: int) -> bool:
        return c.email_change is not None and self.cal.month_of_day(t // DAY) > c.email_change

    def _cash(
        self, t: int, do: Do, who: int, slot: int, amount: int | float, memo: str
    ) -> str | None:
        c = self.people[who]
        if slot >= len(c.accounts):
            return None
        account = c.accounts[slot]
        if account in self.closed:
            return None
        balance = self.balances[account]
        if do is Do.WITHDRAW:
            minor = int(balance * amount) if isinstance(amount, float) else amount
            if minor <= 0 or minor > balance:
                return None
            money = Money.from_minor(minor, CURRENCY)
            legs = (
                Leg(account, -money, "Cash withdrawal"),
                Leg(CASH_ACCOUNT_ID, money, c.numbers[slot]),
            )
            self.balances[account] = balance - minor
            kind = TransactionType.WITHDRAWAL
        else:
            minor = int(amount)
            money = Money.from_minor(minor, CURRENCY)
            legs = (
                Leg(account, money, "Cash deposit"),
                Leg(CASH_ACCOUNT_ID, -money, c.numbers[slot]),
            )
            self.balances[account] = balance + minor
            kind = TransactionType.DEPOSIT
        txn = self._post(t, kind, money, legs, memo, c.id)
        self._tally(t, who, kind, minor, txn)
        return txn

    def _tally(self, t: int, who: int, kind: TransactionType, minor: int, txn: str) -> None:
        """Count cash in or out towards the customer's day (report_cash)."""
        total, txns = self.cash.setdefault((who, self.cal.day_of(t), kind), ([0], []))
        total[0] += minor
        txns.append((txn, t))

    def _transfer(
        self, t: int, who: int, slot: int, to: int, to_slot: int, amount: int | float, memo: str
    ) -> str | None:
        c, r = self.people[who], self.people[to]
        if slot >= len(c.accounts) or to_slot >= len(r.accounts):
            return None
        source, target = c.accounts[slot], r.accounts[to_slot]
        if source == target or source in self.closed or target in self.closed:
            return None
        balance = self.balances[source]
        minor = int(balance * amount) if isinstance(amount, float) else amount
        if minor <= 0 or minor > balance:
            return None
        money = Money.from_minor(minor, CURRENCY)
        legs = (
            Leg(
                source,
                -money,
                _masked(r.full_name, r.numbers[to_slot])
                if c is not r
                else _label(r.full_name, r.numbers[to_slot]),
            ),
            Leg(target, money, _label(c.full_name, c.numbers[slot])),
        )
        self.balances[source] = balance - minor
        self.balances[target] += minor
        return self._post(t, TransactionType.TRANSFER, money, legs, memo, c.id)

    def _close(self, t: int, who: int, slot: int, into: int | None) -> str | None:
        """The bank closes a customer's account as staff do (services/account_closing.py):
        its balance moved to their account in slot `into` (if open) or paid out by cheque,
        in a posting that names the account it closes, with the live path's memo and legs;
        then the account's status event. A payout leaves the vault as a withdrawal, so it
        counts towards the day's cash as compliance counts it."""
        c = self.people[who]
        if slot >= len(c.accounts) or c.accounts[slot] in self.closed:
            return None
        account, number = c.accounts[slot], c.numbers[slot]
        minor = self.balances[account]
        txn = None
        if minor > 0:
            money = Money.from_minor(minor, CURRENCY)
            memo = f"Closing balance of account {format_account_number(number)}"
            target = "" if into is None or into == slot else c.accounts[into]
            if not target or target in self.closed:
                legs = (
                    Leg(account, -money, "Cash withdrawal"),
                    Leg(CASH_ACCOUNT_ID, money, number),
                )
                kind, memo = TransactionType.WITHDRAWAL, f"{memo}, paid out by cheque"
            else:
                legs = (
                    Leg(account, -money, _label(c.full_name, c.numbers[c.accounts.index(target)])),
                    Leg(target, money, _label(c.full_name, number)),
                )
                kind = TransactionType.TRANSFER
                self.balances[target] += minor
            self.balances[account] = 0
            txn = self._post(t, kind, money, legs, memo, BANK, closes=account)
            if kind is TransactionType.WITHDRAWAL:
                self._tally(t, who, kind, minor, txn)
        self.closed.add(account)
        status: dict[str, JsonValue] = {
            "status": AccountStatus.CLOSED.value,
            "reason": CLOSED_BY_THE_BANK,
        }
        self._emit(t, EventKind.ACCOUNT_STATUS_CHANGED, account, BANK, status)
        return txn

    def _post(
        self,
        t: int,
        kind: TransactionType,
        money: Money,
        legs: tuple[Leg, ...],
        memo: str,
        by: str,
        *,
        closes: str = "",
    ) -> str:
        txn = self.ids.timed("txn", self.cal.epoch_us + t)
        at = self.cal.iso(t)
        self.pending.postings.append(Posting(txn, kind, money, legs, memo, at, by, closes=closes))
        self.postings += 1
        return txn

    def _emit(
        self, t: int, kind: EventKind, subject: str, actor: str, payload: dict[str, JsonValue]
    ) -> None:
        event_id = self.ids.timed("event", self.cal.epoch_us + t)
        self.pending.events.append(Event(event_id, kind, subject, actor, self.cal.iso(t), payload))

    def _label(
        self, pattern: Pattern, who: int, txns: list[str], start: int, end: int, note: str
    ) -> None:
        self.pending.labels.append(
            Label(
                self.ids.next("label"),
                pattern,
                self.people[who].id,
                tuple(txns),
                self.cal.iso(start),
                self.cal.iso(end),
                note,
            )
        )

    # -- closing a month, cutting batches -----------------------------------------------------
    def report_cash(self) -> None:
        """Label each customer-day whose cash in (or out) passed the reporting limit, then
        forget the month's tallies."""
        for (who, _day, kind), (total, txns) in self.cash.items():
            if total[0] > CASH_REPORT_LIMIT:
                ids = [txn for txn, _ in txns]
                times = [t for _, t in txns]
                self._label(
                    Pattern.LARGE_CASH,
                    who,
                    ids,
                    min(times),
                    max(times),
                    f"cash {kind.value}s of {Money.from_minor(total[0], CURRENCY)} in a day",
                )
        self.cash.clear()

    def batches(self, *, final: bool = False) -> Iterator[BulkBatch]:
        if len(self.pending.postings) >= self.batch_size or (final and self._any()):
            p = self.pending
            self.pending = _Pending()
            yield BulkBatch(
                self.load_id,
                self.number,
                tuple(p.users),
                tuple(p.accounts),
                tuple(p.postings),
                tuple(p.events),
                tuple(p.labels),
            )
            self.number += 1

    def _any(self) -> bool:
        p = self.pending
        return bool(p.users or p.accounts or p.postings or p.events or p.labels)


def _masked(name: str, number: str) -> str:
    """How a sender sees another customer (domain.recipients; services/postings.py alike)."""
    return " · ".join(p for p in (masked_name(name), account_ending(number)) if p)


def _label(name: str, number: str) -> str:
    """How a recipient sees the sender (services/postings.py does the same)."""
    return f"{name} · {format_account_number(number)}".strip(" ·")
