"""Enrolling in and leaving TOTP two-factor authentication."""

from __future__ import annotations

import pyotp

from ..domain.accounts import User
from ..domain.errors import NotPermitted, ValidationFailed
from ..domain.events import EventKind
from ..domain.security import AuditAction
from .audit import Actor, record
from .authentication import hash_recovery_code, matching_step, new_recovery_codes
from .bank import Bank
from .events import emit

ISSUER = "Flask Bank"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def confirm(bank: Bank, user: User, secret: str, code: object, ip: str) -> list[str]:
    """Turn 2FA on once the person proves their app has the secret; returns the one-time
    recovery codes, shown once and stored only as hashes."""
    text = "".join(code.split()) if isinstance(code, str) else ""
    step = matching_step(secret, text, bank)  # None for anything but six ASCII digits
    if step is None:
        raise ValidationFailed({"code": "that code does not match; check your app's clock"})
    codes = new_recovery_codes()
    _save(
        bank,
        user.id,
        {
            "totp_secret": secret,
            "totp_last_step": step,
            "recovery_codes": tuple(hash_recovery_code(c) for c in codes),
        },
        Actor.of(user, ip),
        AuditAction.TWO_FACTOR_ENABLED,
    )
    return codes


def disable(bank: Bank, user: User, *, password: object, ip: str) -> None:
    """Customers may turn 2FA off with their password; staff must keep it."""
    if user.is_staff:
        raise NotPermitted("staff accounts must keep two-factor authentication")
    if not isinstance(password, str) or not bank.passwords.verify(user.password_hash, password):
        raise ValidationFailed({"password": "that is not your current password"})
    _save(
        bank,
        user.id,
        {"totp_secret": None, "totp_last_step": 0, "recovery_codes": ()},
        Actor.of(user, ip),
        AuditAction.TWO_FACTOR_DISABLED,
    )


def _save(
    bank: Bank, user_id: str, changes: dict[str, object], actor: Actor, action: AuditAction
) -> None:
    def save() -> None:
        current = bank.store.users.get_user(user_id)
        if current is None:
            raise NotPermitted("no such user")
        bank.store.users.update_user(user_id, version=current.version, changes=changes)
        record(bank, actor, action, user_id)
        enrolled = action is AuditAction.TWO_FACTOR_ENABLED
        kind = EventKind.TWO_FACTOR_ENROLLED if enrolled else EventKind.TWO_FACTOR_DISABLED
        emit(bank, kind, user_id, actor)

    bank.in_unit(save)
