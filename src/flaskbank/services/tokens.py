"""API bearer tokens: the user's id and 256 random bits, stored only as a hash, expiring,
revocable."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from ..domain.accounts import User
from ..domain.errors import NotPermitted, PasswordChangeRequired
from ..domain.ledger import utc_iso
from ..domain.security import ApiToken, AuditAction, may_sign_in
from . import authentication
from .audit import Actor, record
from .bank import Bank


def _hash(token: str) -> str:
    # A plain SHA-256 suffices: the token has 256 random bits, so there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    bank: Bank,
    *,
    email: object,
    password: object,
    otp: object = None,
    ip: str = "",
    device: str = "",
) -> tuple[str, str]:
    """(token, expires_at) for valid credentials, and the TOTP or recovery code when the user
    has two-factor authentication. Raises InvalidCredentials, LoginLocked or
    SecondFactorRequired; failures count toward the same lock as web logins."""
    user = authentication.check_password(bank, email=email, password=password, ip=ip)
    if user.must_change_password:
        raise PasswordChangeRequired("change your one-time password in the web app first")
    if user.is_staff and not user.has_two_factor:
        raise NotPermitted("staff must enrol in two-factor authentication in the web app first")
    authentication.check_second_factor(bank, user, otp, ip)
    # The user's id up front lets a store read the token and its user at once (on DynamoDB one
    # BatchGetItem instead of two GetItems in a row); it is no secret: the 256 bits after it are.
    token = f"{user.id}.{secrets.token_urlsafe(32)}"
    expires = utc_iso(bank.clock() + timedelta(seconds=bank.settings.token_ttl_seconds))

    def issue() -> None:
        authentication.record_success(bank, user, ip, device)
        bank.store.sessions.add_token(
            ApiToken(_hash(token), user.id, bank.now(), expires, stamp=user.security_stamp)
        )
        record(bank, Actor.of(user, ip), AuditAction.TOKEN_CREATED, _hash(token)[:12])

    bank.in_unit(issue)
    return token, expires


def _named_user(token: str) -> str | None:
    """The user id a token begins with ("<user id>.<secret>"); None for a token issued before
    tokens named their user. Only a hint for reading: the stored record says whose it is."""
    user_id, dot, _ = token.rpartition(".")
    return user_id if dot and user_id else None


def user_for_token(bank: Bank, token: str) -> User | None:
    """The token's user, or None when the token is unknown, revoked or expired. Every request
    reads the token and its user afresh (one read on either store), so a revocation or a new
    security stamp ends the token at once, on every worker."""
    found = bank.store.sessions.get_token_with_user(_hash(token), _named_user(token))
    if found is None:
        return None
    record, user = found
    # utc_iso text, whose text order is time order: no strptime on every request.
    if record.revoked or record.expires_at <= bank.now():
        return None
    # A password, email or role change since the token was issued has ended it.
    if user is None or user.security_stamp != record.stamp:
        return None
    # A token issued under the demo ends when the same store is served for real.
    if not may_sign_in(user, demo=bank.settings.demo):
        return None
    return user


def revoke_token(bank: Bank, token: str, *, ip: str = "") -> None:
    record_hash = _hash(token)
    found = bank.store.sessions.get_token(record_hash)
    if found is None:
        return  # an unknown token is as good as revoked

    def revoke() -> None:
        bank.store.sessions.revoke_token(record_hash)
        record(bank, Actor(found.user_id, "", ip), AuditAction.TOKEN_REVOKED, record_hash[:12])

    bank.in_unit(revoke)


def tokens_of(bank: Bank, user: User) -> list[ApiToken]:
    return bank.store.sessions.tokens_of(user.id)


def revoke_own_token(bank: Bank, user: User, token_id: str, *, ip: str = "") -> None:
    """Revoke one of the user's tokens by its listed id (the start of its hash)."""
    for token in bank.store.sessions.tokens_of(user.id):
        if len(token_id) >= 12 and token.token_hash.startswith(token_id):
            bank.in_unit(functools.partial(_revoke, bank, user, token.token_hash, token_id, ip))


def _revoke(bank: Bank, user: User, token_hash: str, token_id: str, ip: str) -> None:
    bank.store.sessions.revoke_token(token_hash)
    record(bank, Actor.of(user, ip), AuditAction.TOKEN_REVOKED, token_id)
