"""Saved payees: the people a customer pays again, named by account number or email, under a
nickname of the customer's choosing. A payee is the customer's own note; it moves no money
and says nothing of whether the account or email exists until a transfer is sent to it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .accounts import normalize_account_number
from .errors import ValidationFailed
from .identity import plain_email, visible_name

#: The most payees one customer keeps (DynamoDB holds them in one item; see store/dynamo).
MAX_PAYEES_PER_CUSTOMER = 50
PAYEE_NICKNAME_MAX = 40
EMAIL_MAX = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class Payee:
    id: str
    user_id: str
    nickname: str
    #: The canonical account number, or "" when the payee is named by email.
    number: str
    #: The recipient's email as typed (plain ASCII), or "" when named by number.
    email: str
    created_at: str


def clean_nickname(text: object, *, field: str = "nickname", most: int = PAYEE_NICKNAME_MAX) -> str:
    """A nickname as it will be shown: visible characters, single spaces, 1 to `most` long."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed({field: "give a nickname"})
    try:
        name = visible_name(text)
    except ValidationFailed:
        raise ValidationFailed(
            {field: "use visible letters only: no control, formatting or invisible characters"}
        ) from None
    if len(name) > most:
        raise ValidationFailed({field: f"at most {most} characters"})
    return name


def payee_target(account_number: object, email: object) -> tuple[str, str]:
    """(number, email) of a payee, exactly one of them non-empty; a number must pass its
    check digit (domain.accounts), so that a typo is caught when the payee is saved."""
    number = account_number.strip() if isinstance(account_number, str) else ""
    mail = email.strip() if isinstance(email, str) else ""
    if number and mail:
        raise ValidationFailed({"account_number": "give an account number or an email, not both"})
    if number:
        canonical = normalize_account_number(number)
        if canonical is None:
            raise ValidationFailed(
                {"account_number": "that is not a valid account number; check the digits"}
            )
        return canonical, ""
    if mail:
        try:
            mail = plain_email(mail)
        except ValidationFailed as refused:
            raise ValidationFailed({"email": refused.errors["email"]}) from None
        if len(mail) > EMAIL_MAX or not _EMAIL.fullmatch(mail):
            raise ValidationFailed({"email": "give an email such as name@example.com"})
        return "", mail
    raise ValidationFailed({"account_number": "give the payee's account number or email"})
