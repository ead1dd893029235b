"""Registration, login and profile."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email

from ..domain import personal
from ..domain.accounts import Role, User
from ..domain.errors import InvalidCredentials, ValidationFailed
from ..domain.events import EventKind, JsonValue
from ..domain.identity import email_key, plain_email, visible_name
from ..domain.ledger import new_id
from ..domain.security import AuditAction
from . import authentication, links
from .audit import Actor, record
from .bank import Bank
from .events import emit
from .password_policy import check_password

NAME_MAX = 100


def clean_email(email: object) -> str:
    if not isinstance(email, str) or not email.strip():
        raise ValidationFailed({"email": "enter your email address"})
    text = plain_email(email)
    try:
        # The ASCII form keeps an internationalised domain as typed in xn-- form, where
        # `normalized` would turn it into Unicode (which plain_email refuses).
        info = validate_email(text, check_deliverability=False)
        return info.ascii_email or info.normalized
    except EmailNotValidError as e:
        raise ValidationFailed({"email": str(e)}) from None


def clean_name(name: object) -> str:
    name = visible_name(name) if isinstance(name, str) else ""
    if not name:
        raise ValidationFailed({"full_name": "enter your full name"})
    if len(name) > NAME_MAX:
        raise ValidationFailed({"full_name": f"at most {NAME_MAX} characters"})
    return name


def clean_personal(bank: Bank, **given: object) -> tuple[dict[str, str], dict[str, str]]:
    """The personal details given (phone, address, date_of_birth; None: not given), cleaned
    by domain.personal's rules, and the errors of those that break them."""
    today = bank.clock().date()

    def date_of_birth(value: object) -> str:
        return personal.clean_date_of_birth(value, today)

    rules: dict[str, Callable[[object], str]] = {
        "phone": personal.clean_phone,
        "address": personal.clean_address,
        "date_of_birth": date_of_birth,
    }
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, value in given.items():
        if value is None:
            continue
        try:
            values[key] = rules[key](value)
        except ValidationFailed as e:
            errors.update(e.errors)
    return values, errors


def register(
    bank: Bank,
    *,
    email: object,
    full_name: object,
    password: object,
    phone: object = None,
    address: object = None,
    date_of_birth: object = None,
    browser: str = "",
) -> User:
    """A new customer. Nobody registers as staff: the role is always customer. The personal
    details are checked when given: the web form always gives them (a blank one is
    refused); the API accepts a registration without them (docs/security.md). A link to
    confirm the address is mailed (services/recovery.py); `browser` names the device they
    signed up from (web/devices.py), so that it is not news when they sign in from it."""
    values, errors = clean_personal(bank, phone=phone, address=address, date_of_birth=date_of_birth)
    for key, check, value in (("email", clean_email, email), ("full_name", clean_name, full_name)):
        try:
            values[key] = check(value)
        except ValidationFailed as e:
            errors.update(e.errors)
    own_words = tuple(str(v) for v in (email, full_name, str(email).split("@")[0]))
    try:
        values["password"] = check_password(password, personal=own_words)
    except ValidationFailed as e:
        errors.update(e.errors)
    if errors:
        raise ValidationFailed(errors)
    user = User(
        id=new_id(),
        email=values["email"],
        full_name=values["full_name"],
        password_hash=bank.passwords.hash(values["password"]),
        role=Role.CUSTOMER,
        created_at=bank.now(),
        security_stamp=new_stamp(),
        phone=values.get("phone", ""),
        address=values.get("address", ""),
        date_of_birth=values.get("date_of_birth", ""),
    )

    def add() -> None:
        bank.store.users.add_user(user)
        emit(
            bank,
            EventKind.USER_REGISTERED,
            user.id,
            user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role.value,
            **({"browser": browser} if browser else {}),
        )
        links.queue_confirmation(bank, user, user.email)

    bank.in_unit(add)
    return user


# A real hash of a random password, checked when the email is unknown so that a wrong email
# costs the same time as a wrong password.
_DUMMY_HASH: dict[int, str] = {}


def authenticate(bank: Bank, *, email: object, password: object) -> User:
    if not isinstance(email, str) or not isinstance(password, str):
        raise InvalidCredentials("wrong email or password")
    user = bank.store.users.find_user_by_email(email)
    if user is None:
        dummy = _DUMMY_HASH.setdefault(id(bank.passwords), bank.passwords.hash(new_id()))
        bank.passwords.verify(dummy, password)
        raise InvalidCredentials("wrong email or password")
    if not bank.passwords.verify(user.password_hash, password):
        raise InvalidCredentials("wrong email or password")
    return user


def get_user(bank: Bank, user_id: str) -> User | None:
    return bank.store.users.get_user(user_id)


def new_stamp() -> str:
    return secrets.token_urlsafe(16)


def update_profile(
    bank: Bank,
    user_id: str,
    *,
    full_name: object = None,
    email: object = None,
    current_password: object = None,
    otp: object = None,
    ip: str = "",
    phone: object = None,
    address: object = None,
    date_of_birth: object = None,
) -> User:
    """Change the name, the email and/or the personal details (None: unchanged; a detail
    given cannot be blank). A new email needs the current password (and the second factor
    when enrolled), and ends every other session and API token."""
    user = bank.store.users.get_user(user_id)
    if user is None:
        raise InvalidCredentials("no such user")
    changes, errors = clean_personal(
        bank, phone=phone, address=address, date_of_birth=date_of_birth
    )
    if full_name is not None:
        try:
            changes["full_name"] = clean_name(full_name)
        except ValidationFailed as e:
            errors.update(e.errors)
    if email is not None:
        try:
            changes["email"] = clean_email(email)
        except ValidationFailed as e:
            errors.update(e.errors)
    if errors:
        raise ValidationFailed(errors)
    new_email = email_key(changes.get("email", user.email)) != email_key(user.email)
    if new_email and user.demo_only:
        # Their fixed emails are how `serve` spots them and `remove-demo-staff` finds them.
        raise ValidationFailed({"email": "the demo's staff logins keep their emails"})
    if new_email:
        authentication.confirm_identity(bank, user, current_password, otp, ip)

    def save() -> User:
        current = bank.store.users.get_user(user_id)
        if current is None:
            raise InvalidCredentials("no such user")
        wanted = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not wanted:
            return current
        if new_email:
            wanted["security_stamp"] = new_stamp()
        updated = bank.store.users.update_user(user_id, version=current.version, changes=wanted)
        actor = Actor.of(updated, ip)
        # A new spelling of the same email (its case) is a profile change, not a new email.
        profile: dict[str, JsonValue] = {
            k: wanted[k] for k in ("full_name", "email") if k in wanted
        }
        if new_email:
            del profile["email"]
        # Only the names of the personal details that changed: the feed is read widely
        # (the warehouse, monitoring), and a phone or an address has no business there.
        details: list[JsonValue] = [k for k in personal.DETAILS if k in wanted]
        if details:
            profile["details"] = details
        if profile:
            emit(bank, EventKind.PROFILE_CHANGED, user_id, actor, **profile)
        if new_email:
            record(
                bank,
                actor,
                AuditAction.EMAIL_CHANGED,
                user_id,
                old=current.email,
                new=updated.email,
            )
            emit(
                bank,
                EventKind.EMAIL_CHANGED,
                user_id,
                actor,
                old_email=current.email,
                new_email=updated.email,
            )
            # The new address is unconfirmed until its own link is used; the old one hears
            # of the change from the security notices (services/notices.py).
            links.queue_confirmation(bank, updated, updated.email)
        return updated

    updated = bank.in_unit(save)
    if new_email:
        end_other_ways_in(bank, user_id)
    return updated


def end_other_ways_in(bank: Bank, user_id: str, keep_session: str | None = None) -> int:
    """Delete the user's other session records and mark their tokens revoked: tidying up
    after a new security stamp, which has already ended them (docs/security.md)."""
    return bank.store.sessions.delete_sessions_of(
        user_id, keep=keep_session
    ) + bank.store.sessions.revoke_tokens_of(user_id)


def change_password(
    bank: Bank,
    user_id: str,
    *,
    old_password: object,
    new_password: object,
    otp: object = None,
    keep_session: str | None = None,
    ip: str = "",
) -> User:
    """Replace the password, given the current one (and the second factor when enrolled);
    ends the user's other sessions (all but `keep_session`, a session hash) and every API
    token. Returns the user as saved, whose new security stamp the kept session takes."""
    user = bank.store.users.get_user(user_id)
    if user is None:
        raise ValidationFailed({"old_password": "that is not your current password"})
    authentication.confirm_identity(bank, user, old_password, otp, ip)
    new = check_password(
        new_password,
        "new_password",
        personal=(user.email, user.full_name, user.email.split("@")[0]),
    )
    password_hash = bank.passwords.hash(new)

    def save() -> User:
        current = bank.store.users.get_user(user_id)
        if current is None:
            raise ValidationFailed({"old_password": "that is not your current password"})
        updated = bank.store.users.update_user(
            user_id,
            version=current.version,
            changes={
                "password_hash": password_hash,
                "must_change_password": False,
                "security_stamp": new_stamp(),
            },
        )
        record(bank, Actor.of(updated, ip), AuditAction.PASSWORD_CHANGED, user_id)
        emit(bank, EventKind.PASSWORD_CHANGED, user_id, Actor.of(updated, ip))
        return updated

    updated = bank.in_unit(save)
    end_other_ways_in(bank, user_id, keep_session)
    return updated
