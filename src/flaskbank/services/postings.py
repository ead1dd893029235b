"""Deposits, withdrawals and transfers: the only ways a customer moves money.

Each builds a balanced posting in the domain and hands it to the store, which applies it
atomically. An idempotency key makes a retried request post once: the same key and request
return the first transaction; the same key with a different request is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from ..domain import events, holds, ledger
from ..domain.accounts import (
    Account,
    format_account_number,
    normalize_account_number,
)
from ..domain.errors import (
    Blocked,
    IdempotencyConflict,
    Refusal,
    UnknownRecipient,
    ValidationFailed,
)
from ..domain.holds import Hold
from ..domain.ledger import IdempotencyKey, Posting, PostResult, TransactionType
from ..domain.money import Money, parse_amount
from ..domain.monitoring.model import Candidate, Decision, StoredProfile, StoredRuleSet, Verdict
from ..domain.recipients import masked_label, primary_account
from ..retry import retrying
from . import payees
from .accounts import owned
from .bank import Bank
from .monitoring import screening

IDEMPOTENCY_KEY_MAX = 200


@dataclass(frozen=True, slots=True)
class Inputs:
    idempotency: IdempotencyKey | None
    replay: PostResult | Hold | None
    accounts: dict[str, Account]
    recipients: list[Account] | None
    profile: StoredProfile | None = None
    rules: StoredRuleSet | None = None


def read_inputs(
    bank: Bank,
    user_id: str,
    key: str | None,
    request: dict[str, object],
    account_ids: list[object],
    recipient_email: object = None,
    recipient_number: str | None = None,
) -> Inputs:
    """The accounts the posting may touch, under a client's key the earlier result, the
    accounts of a recipient named by email or the account of one named by number, and what
    monitoring scores with (the customer's profile, the live rules): one read of the store.
    The same key and request replay; a different request is refused."""
    if key is not None and (not key or len(key) > IDEMPOTENCY_KEY_MAX):
        raise ValidationFailed({"idempotency_key": f"1 to {IDEMPOTENCY_KEY_MAX} characters"})
    fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    email = recipient_email if isinstance(recipient_email, str) and recipient_email else None
    found = bank.store.ledger.read_for_posting(
        [i for i in account_ids if isinstance(i, str)],
        idempotency=None if key is None else (user_id, key),
        recipient_email=email,
        recipient_number=recipient_number,
        profile_of=user_id,
        with_rules=True,
    )
    if found.earlier is not None:
        return Inputs(
            None, ledger.replay(found.earlier, fingerprint), found.accounts, found.recipients
        )
    idem = None if key is None else IdempotencyKey(user_id, key, fingerprint)
    return Inputs(idem, None, found.accounts, found.recipients, found.profile, found.rules)


def own_account(inputs: Inputs, user_id: str, account_id: object) -> Account:
    return owned(inputs.accounts.get(account_id) if isinstance(account_id, str) else None, user_id)


def _post(
    bank: Bank, build: Callable[[IdempotencyKey | None], Posting], idem: IdempotencyKey | None
) -> PostResult:
    """Build the posting and have the store apply it. A business refusal, by the domain now
    or by the store at commit, is kept under the idempotency key, so that a retry of the
    same request is refused alike instead of judged again."""
    try:
        posting = build(idem)
        return retrying(lambda _: bank.store.ledger.post(posting))
    except Refusal as refused:
        _keep(bank, idem, refused)
        raise


def _keep(bank: Bank, idem: IdempotencyKey | None, refused: Refusal) -> None:
    """Keep a refusal under the request's key, so that a retry is refused alike."""
    if idem is not None:
        bank.store.ledger.record_refusal(idem, refused, bank.now())


def _block(
    bank: Bank, build: Callable[[IdempotencyKey | None], Posting], idem: IdempotencyKey | None
) -> NoReturn:
    """Refuse what monitoring blocked, after recording the attempt (its event carries the
    verdict; the monitoring consumer opens the alert from it). A refusal the ledger would
    give anyway (no funds, a frozen account) is given instead, as without monitoring."""
    try:
        posting = build(idem)
    except Refusal as refused:
        _keep(bank, idem, refused)
        raise
    bank.in_unit(lambda: bank.store.events.append(events.posting_blocked(posting)))
    blocked = Blocked()
    _keep(bank, idem, blocked)
    raise blocked


def deposit(
    bank: Bank,
    user_id: str,
    account_id: object,
    *,
    amount: object,
    memo: object = None,
    idempotency_key: str | None = None,
) -> PostResult:
    """Cash into one of the customer's accounts."""
    return _cash(
        bank, "deposit", ledger.deposit, user_id, account_id, amount, memo, idempotency_key
    )


def withdraw(
    bank: Bank,
    user_id: str,
    account_id: object,
    *,
    amount: object,
    memo: object = None,
    idempotency_key: str | None = None,
) -> PostResult:
    """Cash out of one of the customer's accounts."""
    return _cash(
        bank, "withdraw", ledger.withdrawal, user_id, account_id, amount, memo, idempotency_key
    )


def _cash(
    bank: Bank,
    op: str,
    build: Callable[..., Posting],
    user_id: str,
    account_id: object,
    amount: object,
    memo: object,
    key: str | None,
) -> PostResult:
    request = {"op": op, "account": account_id, "amount": amount, "memo": memo}
    inputs = read_inputs(bank, user_id, key, request, [account_id])
    if isinstance(inputs.replay, PostResult):
        return inputs.replay
    if inputs.replay is not None:  # a transfer's key reused for cash: a different request
        raise IdempotencyConflict("this Idempotency-Key was used for a different request")
    account = own_account(inputs, user_id, account_id)
    money = parse_amount(amount, account.currency, limit=bank.settings.limit(account.currency))
    text = clean_memo(memo)
    kind = TransactionType.DEPOSIT if op == "deposit" else TransactionType.WITHDRAWAL
    verdict = _screen(bank, inputs, screening.candidate(kind, user_id, account, money, bank.now()))
    screened = screening.payload(verdict)

    def posting(idem: IdempotencyKey | None) -> Posting:
        return build(
            account,
            money,
            memo=text,
            at=bank.now(),
            by=user_id,
            idempotency=idem,
            screening=screened,
        )

    if verdict.decision is Decision.BLOCK:
        _block(bank, posting, inputs.idempotency)
    # Cash handed over at a counter cannot wait: a review posts, and the alert follows it.
    return _post(bank, posting, inputs.idempotency)


def _screen(bank: Bank, inputs: Inputs, what: Candidate) -> Verdict:
    return screening.screen(bank, what, inputs.profile, inputs.rules)


def transfer(
    bank: Bank,
    user_id: str,
    from_account_id: object,
    *,
    amount: object,
    to_account_number: object = None,
    to_email: object = None,
    memo: object = None,
    idempotency_key: str | None = None,
    payee_id: object = None,
) -> PostResult | Hold:
    """Send money to another account, named by its number, by its owner's email (then the
    account the owner chose as primary, domain.recipients; the sender's own email means the
    sender's other account in the currency), or by one of the sender's saved payees (the
    same request as naming the payee's number or email). A transfer that needs review is
    not posted: its amount is held on the source account and the hold is returned
    (domain/holds.py).

    By number this is one read (the sender's account, the recipient's and the idempotency
    record together) and one write; by email the store may need one more read for the
    accounts of the email's owner."""
    if payee_id not in (None, ""):
        to_account_number, to_email = payee_target(
            bank, user_id, payee_id, to_account_number, to_email
        )
    request = {
        "op": "transfer",
        "from": from_account_id,
        "amount": amount,
        "memo": memo,
        "to_number": to_account_number,
        "to_email": to_email,
    }
    number = (
        normalize_account_number(to_account_number) if isinstance(to_account_number, str) else None
    )
    email = None if number else to_email
    inputs = read_inputs(bank, user_id, idempotency_key, request, [from_account_id], email, number)
    if inputs.replay is not None:
        return inputs.replay
    source = own_account(inputs, user_id, from_account_id)
    money = parse_amount(amount, source.currency, limit=bank.settings.limit(source.currency))
    text = clean_memo(memo)
    try:
        target = recipient_account(inputs, source, to_account_number, number, to_email)
    except Refusal as refused:
        _keep(bank, inputs.idempotency, refused)
        raise
    verdict = _screen(
        bank,
        inputs,
        screening.candidate(TransactionType.TRANSFER, user_id, source, money, bank.now(), target),
    )
    screened = screening.payload(verdict)

    def build(idem: IdempotencyKey | None = None) -> Posting:
        return ledger.transfer(
            source,
            target,
            money,
            memo=text,
            at=bank.now(),
            by=user_id,
            source_label=_label(source.owner_name, source.number),
            target_label=_seen_by_sender(source, target),
            idempotency=idem,
            screening=screened,
        )

    if verdict.decision is Decision.BLOCK:
        _block(bank, build, inputs.idempotency)
    if verdict.decision is Decision.REVIEW or _needs_review(bank, money):
        return _hold_for_review(bank, build, source, inputs.idempotency)
    return _post(bank, build, inputs.idempotency)


def payee_target(
    bank: Bank, user_id: str, payee_id: object, number: object, email: object
) -> tuple[str | None, str | None]:
    """The number or email of the sender's payee (PayeeNotFound for anyone else's)."""
    if number not in (None, "") or email not in (None, ""):
        raise ValidationFailed(
            {"payee_id": "choose a payee, or give an account number or email, not both"}
        )
    payee = payees.payee_of(bank, user_id, payee_id)
    return payee.number or None, payee.email or None


def _needs_review(bank: Bank, amount: Money) -> bool:
    threshold = bank.settings.review_threshold
    return threshold is not None and amount.amount >= threshold


def _hold_for_review(
    bank: Bank, build: Callable[[], Posting], source: Account, idem: IdempotencyKey | None
) -> Hold:
    """Reserve the transfer's amount until staff review it; what a release posts is the
    posting built now. A refusal is kept under the key like a posting's."""
    try:
        posting = build()
        hold = holds.pending_transfer(
            posting,
            source=source,
            at=posting.created_at,
            expires_at=holds.deadline(posting.created_at, bank.settings.review_hours),
        )

        def place() -> Hold:
            bank.store.holds.place(hold, idempotency=idem)
            bank.store.events.append(events.hold_placed(hold))
            return hold

        return bank.in_unit(place)
    except Refusal as refused:
        _keep(bank, idem, refused)
        raise


def recipient_account(
    inputs: Inputs, source: Account, number: object, canonical: str | None, email: object
) -> Account:
    """The account a transfer goes to: named by `number` (`canonical` is its normal form,
    None when it is none) or by `email`."""
    if number not in (None, "") and email not in (None, ""):
        raise ValidationFailed(
            {"to_account_number": "give an account number or an email, not both"}
        )
    if number not in (None, ""):
        if canonical is None:
            raise ValidationFailed(
                {"to_account_number": "that is not a valid account number; check the digits"}
            )
        target = next(iter(inputs.recipients or []), None)
        if target is None or target.number != canonical:
            raise UnknownRecipient("no account has that number", field="to_account_number")
        return target
    if email not in (None, ""):
        target = primary_account(inputs.recipients or [], source.currency)
        if target is not None and target.user_id == source.user_id:
            return _own_other_account(source, inputs.recipients or [])
        if target is not None:
            return target
        raise UnknownRecipient(
            f"no open {source.currency} account belongs to that email", field="to_email"
        )
    raise ValidationFailed({"to_account_number": "give the recipient's account number or email"})


def _own_other_account(source: Account, mine: list[Account]) -> Account:
    """Money sent to one's own email goes to one's other open account in the currency; with
    several, the customer must say which. With none it is the source itself, which the
    ledger refuses (SameAccount)."""
    others = [
        acc
        for acc in mine
        if acc.id != source.id and acc.is_open and acc.currency == source.currency
    ]
    if len(others) > 1:
        raise ValidationFailed({"to_email": "you have several accounts; give the account number"})
    return others[0] if others else source


def _seen_by_sender(source: Account, target: Account) -> str:
    """How the sender's history names the recipient: their own account in full, another
    customer's as a masked name and the last four digits (domain.recipients), so that an
    email or a number typed by mistake never reveals a stranger's name and account."""
    if target.user_id == source.user_id:
        return _label(target.nickname or target.owner_name, target.number)
    return masked_label(target)


def _label(name: str, number: str) -> str:
    return f"{name} · {format_account_number(number)}".strip(" ·")


def clean_memo(memo: object) -> str:
    if memo is not None and not isinstance(memo, str):
        raise ValidationFailed({"memo": "memo must be text"})
    return ledger.clean_memo(memo)
