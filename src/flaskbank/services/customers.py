"""Registration, login and profile."""

from __future__ import annotations

from dataclasses import replace

from email_validator import EmailNotValidError, validate_email

from ..domain.accounts import Role, User
from ..domain.errors import EmailTaken, InvalidCredentials, ValidationFailed
from ..domain.identity import email_key, plain_email, visible_name
from ..domain.ledger import new_id
from ..domain.security import AuditAction
from .audit import Actor, record
from .bank import Bank
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


def register(bank: Bank, *, email: object, full_name: object, password: object) -> User:
    """A new customer. Nobody registers as staff: the role is always customer."""
    errors: dict[str, str] = {}
    values = {}
    for key, check, value in (("email", clean_email, email), ("full_name", clean_name, full_name)):
        try:
            values[key] = check(value)
        except ValidationFailed as e:
            errors.update(e.errors)
    personal = tuple(str(v) for v in (email, full_name, str(email).split("@")[0]))
    try:
        values["password"] = check_password(password, personal=personal)
    except ValidationFailed as e:
        errors.update(e.errors)
    if errors:
        raise ValidationFailed(errors)
    user = User(id=new_id(), email=values["email"], full_name=values["full_name"],
                password_hash=bank.passwords.hash(values["password"]), role=Role.CUSTOMER,
                created_at=bank.now())
    bank.store.add_user(user)
    return user


# A real hash of a random password, checked when the email is unknown so that a wrong email
# costs the same time as a wrong password.
_DUMMY_HASH: dict[int, str] = {}


def authenticate(bank: Bank, *, email: object, password: object) -> User:
    if not isinstance(email, str) or not isinstance(password, str):
        raise InvalidCredentials("wrong email or password")
    user = bank.store.find_user_by_email(email)
    if user is None:
        dummy = _DUMMY_HASH.setdefault(id(bank.passwords), bank.passwords.hash(new_id()))
        bank.passwords.verify(dummy, password)
        raise InvalidCredentials("wrong email or password")
    if not bank.passwords.verify(user.password_hash, password):
        raise InvalidCredentials("wrong email or password")
    return user


def get_user(bank: Bank, user_id: str) -> User | None:
    return bank.store.get_user(user_id)


def update_profile(bank: Bank, user_id: str, *, full_name: object = None,
                   email: object = None) -> User:
    user = bank.store.get_user(user_id)
    if user is None:
        raise InvalidCredentials("no such user")
    changes: dict[str, str] = {}
    errors: dict[str, str] = {}
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
    updated = replace(user, full_name=changes.get("full_name", user.full_name),
                      email=changes.get("email", user.email))
    if email_key(updated.email) != email_key(user.email):
        other = bank.store.find_user_by_email(updated.email)
        if other is not None and other.id != user.id:
            raise EmailTaken("that email is already registered")
    bank.store.update_user(updated, previous_email=user.email)
    return updated


def change_password(bank: Bank, user_id: str, *, old_password: object,
                    new_password: object, keep_session: str | None = None,
                    ip: str = "") -> None:
    """Replace the password; ends the user's other sessions (all but `keep_session`, a
    session hash) and revokes their API tokens."""
    user = bank.store.get_user(user_id)
    if user is None or not isinstance(old_password, str) or not bank.passwords.verify(
            user.password_hash, old_password):
        raise ValidationFailed({"old_password": "that is not your current password"})
    new = check_password(new_password, "new_password",
                         personal=(user.email, user.full_name, user.email.split("@")[0]))
    bank.store.update_user(replace(user, password_hash=bank.passwords.hash(new),
                                   must_change_password=False), previous_email=user.email)
    # A new password ends every other way in: other sessions and every API token.
    bank.store.delete_sessions_of(user.id, keep=keep_session)
    bank.store.revoke_tokens_of(user.id)
    record(bank, Actor.of(user, ip), AuditAction.PASSWORD_CHANGED, user.id)
