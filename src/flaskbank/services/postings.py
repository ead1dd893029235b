"""Deposits, withdrawals and transfers: the only ways a customer moves money.

Each builds a balanced posting in the domain and hands it to the store, which applies it
atomically. An idempotency key makes a retried request post once: the same key and request
return the first transaction; the same key with a different request is refused.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import replace

from ..domain import ledger
from ..domain.accounts import format_account_number, normalize_account_number
from ..domain.errors import (
    IdempotencyConflict,
    UnknownRecipient,
    ValidationFailed,
    WriteConflict,
)
from ..domain.ledger import IdempotencyKey, Posting, PostResult
from ..domain.money import parse_amount
from .accounts import account_of
from .bank import Bank

IDEMPOTENCY_KEY_MAX = 200
_RETRIES = 5


def _idempotency(bank: Bank, user_id: str, key: str | None,
                 request: dict[str, object]) -> tuple[IdempotencyKey | None, PostResult | None]:
    """The key to post with, or the earlier result when this request was already posted."""
    if key is None:
        return None, None
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed({"idempotency_key": f"1 to {IDEMPOTENCY_KEY_MAX} characters"})
    fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    earlier = bank.store.find_idempotent(user_id, key)
    if earlier is not None:
        if earlier[0] != fingerprint:
            raise IdempotencyConflict("this Idempotency-Key was used for a different request")
        return None, PostResult(earlier[1], replayed=True)
    return IdempotencyKey(user_id, key, fingerprint), None


def _post(bank: Bank, posting: Posting, idem: IdempotencyKey | None) -> PostResult:
    if idem is not None:
        posting = replace(posting, idempotency=idem)
    for attempt in range(_RETRIES):
        try:
            return bank.store.post(posting)
        except WriteConflict:
            if attempt == _RETRIES - 1:
                raise
            # Jittered exponential backoff: contenders spread out instead of colliding again.
            time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311
    raise AssertionError("unreachable")


def deposit(bank: Bank, user_id: str, account_id: object, *, amount: object,
            memo: object = None, idempotency_key: str | None = None) -> PostResult:
    request = {"op": "deposit", "account": account_id, "amount": amount, "memo": memo}
    idem, replay = _idempotency(bank, user_id, idempotency_key, request)
    if replay:
        return replay
    account = account_of(bank, user_id, account_id)
    money = parse_amount(amount, account.currency, limit=bank.settings.limit(account.currency))
    posting = ledger.deposit(account, money, memo=_memo(memo), at=bank.now(), by=user_id)
    return _post(bank, posting, idem)


def withdraw(bank: Bank, user_id: str, account_id: object, *, amount: object,
             memo: object = None, idempotency_key: str | None = None) -> PostResult:
    request = {"op": "withdraw", "account": account_id, "amount": amount, "memo": memo}
    idem, replay = _idempotency(bank, user_id, idempotency_key, request)
    if replay:
        return replay
    account = account_of(bank, user_id, account_id)
    money = parse_amount(amount, account.currency, limit=bank.settings.limit(account.currency))
    posting = ledger.withdrawal(account, money, memo=_memo(memo), at=bank.now(), by=user_id)
    return _post(bank, posting, idem)


def transfer(bank: Bank, user_id: str, from_account_id: object, *, amount: object,
             to_account_number: object = None, to_email: object = None, memo: object = None,
             idempotency_key: str | None = None) -> PostResult:
    """Send money to another account, named by its number or by its owner's email (then the
    owner's first open account in the sender's currency)."""
    request = {"op": "transfer", "from": from_account_id, "amount": amount, "memo": memo,
               "to_number": to_account_number, "to_email": to_email}
    idem, replay = _idempotency(bank, user_id, idempotency_key, request)
    if replay:
        return replay
    source = account_of(bank, user_id, from_account_id)
    money = parse_amount(amount, source.currency, limit=bank.settings.limit(source.currency))
    target = _recipient(bank, source.currency, to_account_number, to_email)
    sender = bank.store.get_user(user_id)
    owner = bank.store.get_user(target.user_id)
    posting = ledger.transfer(
        source, target, money, memo=_memo(memo), at=bank.now(), by=user_id,
        source_label=_label(sender.full_name if sender else "", source.number),
        target_label=_label(owner.full_name if owner else "", target.number),
    )
    return _post(bank, posting, idem)


def _recipient(bank: Bank, currency: str, number: object, email: object):  # type: ignore[no-untyped-def]
    if number not in (None, "") and email not in (None, ""):
        raise ValidationFailed({"to_account_number": "give an account number or an email, "
                                "not both"})
    if number not in (None, ""):
        canonical = normalize_account_number(number) if isinstance(number, str) else None
        if canonical is None:
            raise ValidationFailed({"to_account_number": "that is not a valid account number; "
                                    "check the digits"})
        target = bank.store.find_account_by_number(canonical)
        if target is None:
            raise UnknownRecipient("no account has that number", field="to_account_number")
        return target
    if email not in (None, ""):
        owner = bank.store.find_user_by_email(email) if isinstance(email, str) else None
        if owner is not None:
            for acc in bank.store.accounts_of(owner.id):
                if acc.is_open and acc.currency == currency:
                    return acc
        raise UnknownRecipient(f"no open {currency} account belongs to that email",
                               field="to_email")
    raise ValidationFailed({"to_account_number": "give the recipient's account number or email"})


def _label(name: str, number: str) -> str:
    return f"{name} · {format_account_number(number)}".strip(" ·")


def _memo(memo: object) -> str:
    if memo is not None and not isinstance(memo, str):
        raise ValidationFailed({"memo": "memo must be text"})
    return ledger.clean_memo(memo)
