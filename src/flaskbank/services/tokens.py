"""API bearer tokens: random, stored only as a hash, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from ..domain.accounts import User
from ..domain.ledger import parse_utc_iso, utc_iso
from ..store.base import ApiToken
from .bank import Bank
from .customers import authenticate


def _hash(token: str) -> str:
    # A plain SHA-256 suffices: the token has 256 random bits, so there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(bank: Bank, *, email: object, password: object) -> tuple[str, str]:
    """(token, expires_at) for valid credentials; raises InvalidCredentials otherwise."""
    user = authenticate(bank, email=email, password=password)
    token = secrets.token_urlsafe(32)
    expires = utc_iso(bank.clock() + timedelta(seconds=bank.settings.token_ttl_seconds))
    bank.store.add_token(ApiToken(_hash(token), user.id, bank.now(), expires))
    return token, expires


def user_for_token(bank: Bank, token: str) -> User | None:
    """The token's user, or None when the token is unknown, revoked or expired."""
    record = bank.store.get_token(_hash(token))
    if record is None or record.revoked:
        return None
    if parse_utc_iso(record.expires_at) <= bank.clock():
        return None
    return bank.store.get_user(record.user_id)


def revoke_token(bank: Bank, token: str) -> None:
    bank.store.revoke_token(_hash(token))
