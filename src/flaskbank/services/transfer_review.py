"""What a transfer will do, before it is sent: the review a customer confirms.

The same checks as postings.transfer (the source is theirs, the amount parses within the
limit, the recipient exists, the money is there) on the same one read, without posting or
keeping anything: confirming then sends the transfer with the form's idempotency key, so a
double confirm posts once. The recipient is shown masked (domain.recipients)."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import ledger
from ..domain.accounts import Account, normalize_account_number
from ..domain.money import Money, parse_amount
from ..domain.recipients import account_ending, masked_name
from .bank import Bank
from .postings import clean_memo, own_account, payee_target, read_inputs, recipient_account


@dataclass(frozen=True, slots=True)
class Review:
    source: Account
    amount: Money
    memo: str
    #: "Alice M." for another customer; one's own account's nickname or type for oneself.
    recipient_name: str
    #: "•••• 1234"
    account_ending: str
    own: bool


def review_transfer(
    bank: Bank,
    user_id: str,
    from_account_id: object,
    *,
    amount: object,
    to_account_number: object = None,
    to_email: object = None,
    memo: object = None,
    payee_id: object = None,
) -> Review:
    """The transfer as it would be sent now, or the refusal sending it would get now
    (ValidationFailed, UnknownRecipient, InsufficientFunds, AccountNotOpen, ...)."""
    if payee_id not in (None, ""):
        to_account_number, to_email = payee_target(
            bank, user_id, payee_id, to_account_number, to_email
        )
    number = (
        normalize_account_number(to_account_number) if isinstance(to_account_number, str) else None
    )
    email = None if number else to_email
    inputs = read_inputs(bank, user_id, None, {}, [from_account_id], email, number)
    source = own_account(inputs, user_id, from_account_id)
    money = parse_amount(amount, source.currency, limit=bank.settings.limit(source.currency))
    text = clean_memo(memo)
    target = recipient_account(inputs, source, to_account_number, number, to_email)
    # Built and thrown away: the domain's own checks (same account, currency, funds).
    ledger.transfer(
        source,
        target,
        money,
        memo=text,
        at=bank.now(),
        by=user_id,
        source_label="",
        target_label="",
    )
    own = target.user_id == user_id
    name = (
        (target.nickname or target.type.value.capitalize())
        if own
        else masked_name(target.owner_name)
    )
    return Review(source, money, text, name, account_ending(target.number), own)
