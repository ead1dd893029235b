"""The ledger: postings (balanced sets of legs), the transactions they become, and the checks
that keep money conserved.

A posting is what a service proposes; a store applies it atomically and returns the
Transaction with each side's balance after. Every posting's legs sum to zero, so money only
moves between accounts: deposits and withdrawals move it against the bank's cash account.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .accounts import CASH_ACCOUNT_ID, Account
from .chart import check_credit, check_debit, standing_of
from .errors import (
    IdempotencyConflict,
    InvalidAmount,
    Refusal,
    SameAccount,
)
from .money import Money

if TYPE_CHECKING:
    from .holds import Hold


class TransactionType(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER = "transfer"


MEMO_MAX = 140


def utc_iso(moment: datetime) -> str:
    """ISO 8601 UTC with a four-digit year and fixed-width microseconds, so that text order
    is time order (strftime's %Y does not pad years before 1000)."""
    m = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # Field by field: formatting through strftime cost more than the rest of a posting's
    # text put together.
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
        f"{m.second:02d}.{m.microsecond:06d}Z"
    )


def parse_utc_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Leg:
    """One account's side of a posting: a signed amount and how that side sees the other."""

    account_id: str
    amount: Money
    counterparty: str = ""


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's retry key, scoped to the user who sent it, with a fingerprint of the request
    so that the same key with a different request can be told apart."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Posting:
    id: str
    type: TransactionType
    amount: Money
    legs: tuple[Leg, ...]
    memo: str
    created_at: str
    initiated_by: str
    idempotency: IdempotencyKey | None = None
    #: Monitoring's verdict on it (domain.monitoring), JSON-safe; it travels in the
    #: posting's event, so that the decision commits with the money or not at all.
    screening: Mapping[str, object] | None = None
    #: The account this posting empties and closes (staff closing it, Closing below): its
    #: event names it, since the bank made the posting and monitoring never scored it.
    closes: str = ""

    def __post_init__(self) -> None:
        if not self.amount.is_positive():
            raise InvalidAmount("a posting moves a positive amount")
        currency = self.amount.currency
        total = Money.zero(currency).amount
        for leg in self.legs:
            if leg.amount.currency != currency:
                raise InvalidAmount(f"cannot mix {currency} and {leg.amount.currency}")
            total += leg.amount.amount
        if total != 0:
            raise ValueError(f"posting {self.id} does not balance: legs sum to {total:f}")
        if len({leg.account_id for leg in self.legs}) != len(self.legs):
            raise SameAccount("a posting touches each account once")


#: Each type by its text: calling the enum costs about a microsecond, and stores, bulk loads
#: and replays look one up per row.
TRANSACTION_TYPES = {t.value: t for t in TransactionType}


#: Posting's fields after its amount and legs, in order (packed and unpacked below).
_REST = ("memo", "created_at", "initiated_by", "idempotency", "screening", "closes")


def packed(postings: Sequence[Posting]) -> tuple[list[Any], ...]:
    """Postings as a few flat lists, one per field, for a bulk load's batches to cross to
    another process (synthetic/apart.py): pickling a list of texts costs a fraction of
    pickling an object, and pickle's default for slotted dataclasses made a dict for each
    posting, leg and amount."""
    legs = [leg for p in postings for leg in p.legs]
    return (
        [p.id for p in postings],
        [p.type.value for p in postings],
        [p.amount.amount for p in postings],
        [p.amount.currency for p in postings],
        [len(p.legs) for p in postings],
        [leg.account_id for leg in legs],
        [leg.amount.amount for leg in legs],
        [leg.counterparty for leg in legs],
        *([getattr(p, name) for p in postings] for name in _REST),
    )


def unpacked(columns: tuple[list[Any], ...]) -> tuple[Posting, ...]:
    """The postings `packed` made, equal to the originals. Like any unpickling, it does not
    run their checks again."""
    ids, kinds, amounts, currencies, counts, accounts, leg_amounts, counterparties = columns[:8]
    put = object.__setattr__
    made = []
    first = 0
    for posting_id, kind, amount, currency, count, rest in zip(
        ids, kinds, amounts, currencies, counts, zip(*columns[8:], strict=True), strict=True
    ):
        posting = object.__new__(Posting)
        put(posting, "id", posting_id)
        put(posting, "type", TRANSACTION_TYPES[kind])
        put(posting, "amount", Money._exact(amount, currency))
        end = first + count
        legs = tuple(
            Leg(a, Money._exact(m, currency), c)
            for a, m, c in zip(
                accounts[first:end], leg_amounts[first:end], counterparties[first:end], strict=True
            )
        )
        put(posting, "legs", legs)
        first = end
        for name, value in zip(_REST, rest, strict=True):
            put(posting, name, value)
        made.append(posting)
    return tuple(made)


@dataclass(frozen=True, slots=True)
class Closing:
    """The account a posting empties and closes in the same atomic write (staff closing an
    account with its balance paid out or moved): the store refuses with AccountNotEmpty
    when the posting would leave money or a hold in it, so nothing arriving meanwhile is
    shut in."""

    account_id: str
    reason: str


def recorded(
    posting: Posting, balances_after: dict[str, Money | None], position: str
) -> Transaction:
    """The Transaction a store returns for a posting it has just applied, without reading it
    back. Entries come debit side first, the order in which stores read them."""
    entries = tuple(
        sorted(
            (
                Entry(
                    posting.id,
                    leg.account_id,
                    posting.type,
                    leg.amount,
                    balances_after.get(leg.account_id),
                    leg.counterparty,
                    posting.memo,
                    posting.created_at,
                )
                for leg in posting.legs
            ),
            key=lambda e: e.amount.amount,
        )
    )
    return Transaction(
        posting.id,
        posting.type,
        posting.amount,
        posting.memo,
        posting.created_at,
        posting.initiated_by,
        entries,
        position,
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of an account's history: the account's side of one transaction."""

    transaction_id: str
    account_id: str
    type: TransactionType
    amount: Money  # signed: positive credits the account, negative debits it
    balance_after: Money | None  # None on internal accounts, which keep no stored balance
    counterparty: str
    memo: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    type: TransactionType
    amount: Money
    memo: str
    created_at: str
    initiated_by: str
    entries: tuple[Entry, ...]
    position: str = ""  # where this transaction sits in the global feed

    def entry_for(self, account_id: str) -> Entry:
        for entry in self.entries:
            if entry.account_id == account_id:
                return entry
        raise KeyError(account_id)


@dataclass(frozen=True, slots=True)
class PostResult:
    transaction: Transaction
    replayed: bool = False  # True when an idempotency key matched an earlier posting


#: What an idempotency key already holds: the request's fingerprint and its outcome (the
#: transaction, a refusal, or the hold of a transfer that went to review).
Earlier = tuple[str, "Transaction | Refusal | Hold"]


def replay(earlier: Earlier, fingerprint: str) -> PostResult | Hold:
    """The one idempotency matcher: the same request gets the first outcome again (the
    transaction, the refusal raised again, or the pending transfer's hold); another request
    under the key is refused."""
    kept, outcome = earlier
    if kept != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used for a different request")
    if isinstance(outcome, Refusal):
        raise outcome
    if isinstance(outcome, Transaction):
        return PostResult(outcome, replayed=True)
    return outcome


def replay_posting(earlier: Earlier, fingerprint: str) -> PostResult:
    """replay() for a store about to post: a key that holds a pending transfer was not
    used for this posting (only a request racing its own retry gets here)."""
    result = replay(earlier, fingerprint)
    if not isinstance(result, PostResult):
        raise IdempotencyConflict("this Idempotency-Key holds a transfer waiting for review")
    return result


def new_id() -> str:
    return str(uuid.uuid4())


def clean_memo(memo: str | None) -> str:
    memo = (memo or "").strip()
    if len(memo) > MEMO_MAX:
        from .errors import ValidationFailed

        raise ValidationFailed({"memo": f"memo may be at most {MEMO_MAX} characters"})
    return memo


def ensure_can_send(account: Account, amount: Money) -> None:
    """Refuse a debit the account cannot make; the store re-checks it atomically at commit."""
    if amount.currency != account.currency:
        raise InvalidAmount(f"account {account.number} holds {account.currency}")
    check_debit(standing_of(account), amount)


def ensure_can_receive(account: Account, amount: Money) -> None:
    """Refuse a credit the account cannot take (frozen or closed, for every kind of credit)."""
    if amount.currency != account.currency:
        raise InvalidAmount(f"account {account.number} holds {account.currency}")
    check_credit(standing_of(account), amount)


def deposit(
    account: Account,
    amount: Money,
    *,
    memo: str,
    at: str,
    by: str,
    idempotency: IdempotencyKey | None = None,
    screening: Mapping[str, object] | None = None,
) -> Posting:
    ensure_can_receive(account, amount)
    return Posting(
        id=new_id(),
        type=TransactionType.DEPOSIT,
        idempotency=idempotency,
        screening=screening,
        amount=amount,
        memo=memo,
        created_at=at,
        initiated_by=by,
        legs=(
            Leg(account.id, amount, "Cash deposit"),
            Leg(CASH_ACCOUNT_ID, -amount, account.number),
        ),
    )


def withdrawal(
    account: Account,
    amount: Money,
    *,
    memo: str,
    at: str,
    by: str,
    idempotency: IdempotencyKey | None = None,
    screening: Mapping[str, object] | None = None,
) -> Posting:
    ensure_can_send(account, amount)
    return Posting(
        id=new_id(),
        type=TransactionType.WITHDRAWAL,
        idempotency=idempotency,
        screening=screening,
        amount=amount,
        memo=memo,
        created_at=at,
        initiated_by=by,
        legs=(
            Leg(account.id, -amount, "Cash withdrawal"),
            Leg(CASH_ACCOUNT_ID, amount, account.number),
        ),
    )


def transfer(
    source: Account,
    target: Account,
    amount: Money,
    *,
    memo: str,
    at: str,
    by: str,
    source_label: str,
    target_label: str,
    idempotency: IdempotencyKey | None = None,
    screening: Mapping[str, object] | None = None,
) -> Posting:
    """A transfer between two customer accounts; the labels are how each side will see the
    other in its history (name and account number)."""
    if source.id == target.id:
        raise SameAccount("choose a different account to send to")
    ensure_can_send(source, amount)
    if target.currency != source.currency:
        raise InvalidAmount(
            f"the recipient's account holds {target.currency}, not {source.currency}"
        )
    ensure_can_receive(target, amount)
    return Posting(
        id=new_id(),
        type=TransactionType.TRANSFER,
        idempotency=idempotency,
        screening=screening,
        amount=amount,
        memo=memo,
        created_at=at,
        initiated_by=by,
        legs=(Leg(source.id, -amount, target_label), Leg(target.id, amount, source_label)),
    )
