"""Logging in: password, lockout after repeated failures, the second factor, and the
security events each step writes to the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pyotp

from ..domain.accounts import User
from ..domain.digits import ascii_digits
from ..domain.errors import (
    DemoOnlyLogin,
    InvalidCredentials,
    LoginLocked,
    SecondFactorRequired,
    ValidationFailed,
)
from ..domain.events import EventKind, JsonValue
from ..domain.identity import email_key
from ..domain.ledger import parse_utc_iso, utc_iso
from ..domain.security import AuditAction, LockoutPolicy, may_sign_in
from . import customers
from .audit import Actor, record
from .bank import Bank
from .events import emit

RECOVERY_CODES = 10


def _key(email: object) -> str:
    return email_key(email) if isinstance(email, str) else ""


def check_password(
    bank: Bank, *, email: object, password: object, ip: str, policy: LockoutPolicy | None = None
) -> User:
    """The first step of a login. Unknown emails and wrong passwords fail alike and count
    alike toward the lock, so that neither the answer nor a lock reveals who is a customer."""
    policy = policy or bank.settings.lockout
    key = _key(email)
    refuse_if_locked(bank, key, ip)
    try:
        user = customers.authenticate(bank, email=email, password=password)
    except InvalidCredentials:
        count_failure(bank, key, ip, policy, AuditAction.LOGIN_FAILED)
        raise
    if not may_sign_in(user, demo=bank.settings.demo):
        refuse_demo_only(bank, user, ip)
    return user


def refuse_demo_only(bank: Bank, user: User, ip: str) -> None:
    """The right password for one of the demo's published staff logins, on a server not
    running the demo: audited and refused, but not counted toward the lock (the password
    was right, and counting would only let anyone lock a login nobody may use here)."""

    def log() -> None:
        actor = Actor(None, user.email, ip)
        record(bank, actor, AuditAction.LOGIN_REFUSED, user.id, reason="demo_only")
        emit(
            bank,
            EventKind.LOGIN_FAILED,
            user.id,
            actor,
            attempt=AuditAction.LOGIN_REFUSED.value,
            reason="demo_only",
            ip=ip,
        )

    bank.in_unit(log)
    raise DemoOnlyLogin(
        f"{user.email} is a demo-only login: it signs in only on a server started with "
        "`flaskbank demo`"
    )


def refuse_if_locked(bank: Bank, key: str, ip: str) -> None:
    throttle = bank.store.sessions.login_throttle(key)
    if throttle.locked_until and parse_utc_iso(throttle.locked_until) > bank.clock():
        record(
            bank, Actor(None, key, ip), AuditAction.LOGIN_LOCKED, key, until=throttle.locked_until
        )
        raise LoginLocked("too many failed attempts; try again later", until=throttle.locked_until)


def count_failure(
    bank: Bank, key: str, ip: str, policy: LockoutPolicy, action: AuditAction, target: str = ""
) -> None:
    # The count commits at once, on its own: a failure counts even if the rest of this
    # request fails. Its audit entry and the lock it may set then commit together.
    failures = bank.store.sessions.record_login_failure(key)

    def log_and_lock() -> None:
        record(bank, Actor(None, key, ip), action, target or key, failures=str(failures))
        emit(
            bank,
            EventKind.LOGIN_FAILED,
            target or key,
            Actor(None, key, ip),
            attempt=action.value,
            failures=failures,
            ip=ip,
        )
        lock = policy.lock_for(failures)
        if lock is not None:
            bank.store.sessions.lock_login(key, utc_iso(bank.clock() + lock))

    bank.in_unit(log_and_lock)


def succeeded(
    bank: Bank, user: User, ip: str, device: str = "", browser: str = "", agent: str = ""
) -> None:
    """The whole login (both factors) went through. `device`: domain.security.device_of the
    client's User-Agent ("" when unknown); `browser`: the device cookie's name and `agent`
    a short description of the browser (web/devices.py), for new-device notices."""
    bank.in_unit(lambda: record_success(bank, user, ip, device, browser, agent))


def record_success(
    bank: Bank, user: User, ip: str, device: str = "", browser: str = "", agent: str = ""
) -> None:
    bank.store.sessions.clear_login_failures(_key(user.email))
    record(bank, Actor.of(user, ip), AuditAction.LOGIN_SUCCEEDED, user.id)
    # The device, when known, lets monitoring see a login from one the customer never used.
    seen: dict[str, JsonValue] = {"ip": ip, "device": device} if device else {"ip": ip}
    if browser:
        seen.update(browser=browser, agent=agent)
    emit(bank, EventKind.LOGIN_SUCCEEDED, user.id, user.id, **seen)


def confirm_identity(
    bank: Bank, user: User, password: object, otp: object, ip: str, field: str = "old_password"
) -> None:
    """Before an email or password change: the current password, and the second factor when
    enrolled. A wrong guess counts toward the same lock as a failed login and is written to
    the audit log on the customer's record, so the password cannot be guessed here instead."""
    if not isinstance(password, str) or not password:
        # Nothing typed is no guess: it is said so, and counts toward nothing.
        raise ValidationFailed({field: "enter your current password to make this change"})
    key = _key(user.email)
    refuse_if_locked(bank, key, ip)
    if not isinstance(password, str) or not bank.passwords.verify(user.password_hash, password):
        count_failure(
            bank, key, ip, bank.settings.lockout, AuditAction.REAUTH_FAILED, target=user.id
        )
        raise ValidationFailed({field: "that is not your current password"})
    check_second_factor(bank, user, otp, ip)


def check_second_factor(bank: Bank, user: User, code: object, ip: str) -> None:
    """Accept a current TOTP code (never one already used) or an unused recovery code;
    a failure counts toward the same lock as a wrong password."""
    if not user.has_two_factor:
        return
    text = "".join(code.split()) if isinstance(code, str) else ""
    if not text:
        raise SecondFactorRequired("enter the code from your authenticator app")
    refuse_if_locked(bank, _key(user.email), ip)
    if is_totp_code(text):
        step = matching_step(user.totp_secret or "", text, bank)
        if step is not None and bank.store.users.record_totp_step(user.id, step):
            return
    elif bank.store.users.use_recovery_code(user.id, hash_recovery_code(text)):
        record(bank, Actor.of(user, ip), AuditAction.RECOVERY_CODE_USED, user.id)
        return
    count_failure(bank, _key(user.email), ip, bank.settings.lockout, AuditAction.TWO_FACTOR_FAILED)
    raise SecondFactorRequired("that code is not valid (or was already used)")


def is_totp_code(text: str) -> bool:
    """Six ASCII digits. Other digits (fullwidth, Arabic-Indic) are no TOTP code, however
    they look: compare_digest refuses non-ASCII text with a TypeError."""
    return len(text) == 6 and ascii_digits(text)


def matching_step(secret: str, code: str, bank: Bank) -> int | None:
    """The 30-second time step whose code this is, allowing one step of clock drift."""
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret)
    now = bank.clock()
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=30 * drift)
        if secrets.compare_digest(totp.at(moment), code):
            return int(totp.timecode(moment))
    return None


def hash_recovery_code(code: str) -> str:
    # Recovery codes carry 50 random bits each and are single-use: a plain hash suffices.
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
