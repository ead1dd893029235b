"""Account recovery and email confirmation: "forgot password", a reset sent by staff on a
customer's behalf, setting a new password from the emailed link, and confirming an email
address.

A request for a reset answers the same whether or not the address belongs to anyone, and
costs about the same: both write an audit entry in one unit of work, and only the mail that
one of them queues is sent later, by the worker. What the customer reads is the mail.
"""

from __future__ import annotations

from ..domain.accounts import User
from ..domain.errors import AccountNotFound, ValidationFailed
from ..domain.events import EventKind
from ..domain.identity import email_key
from ..domain.links import LinkPurpose
from ..domain.security import AuditAction
from . import links
from .audit import Actor, record
from .bank import Bank
from .customers import clean_email, end_other_ways_in, new_stamp
from .events import emit
from .password_policy import check_password


def request_password_reset(bank: Bank, *, email: object, ip: str) -> None:
    """Email a reset link to `email` if a user who may reset has it; otherwise nothing is
    sent. Either way the caller says the same ("if an account exists ..."). Bad input (no
    address, not an address) is refused: it reveals nothing about who is a customer."""
    address = clean_email(email)
    user = bank.store.users.find_user_by_email(address)
    # The demo's published staff logins keep their published password.
    eligible = user is not None and not user.demo_only

    def ask() -> None:
        target = user.id if eligible and user is not None else email_key(address)
        record(bank, Actor(None, address, ip), AuditAction.PASSWORD_RESET_REQUESTED, target)
        if eligible and user is not None:
            links.queue_reset(bank, user)

    bank.in_unit(ask)


def send_password_reset(bank: Bank, user_id: str, *, by: Actor) -> User:
    """Staff send a customer a reset link (after checking who is asking, and behind the
    approval that services/staff puts around it). Audited under the staff member's name.
    AccountNotFound (404) when there is no such user, or it is a demo-only login."""
    user = bank.store.users.get_user(user_id)
    if user is None or user.demo_only:
        raise AccountNotFound("no such customer")
    bank.in_unit(lambda: reset_on_behalf(bank, user, by=by))
    return user


def reset_on_behalf(bank: Bank, user: User, *, by: Actor, **details: str) -> None:
    """Inside a unit of work: audit the request under the staff member's name and queue
    the customer's reset link (two-person approval runs it when the second person agrees)."""
    record(bank, by, AuditAction.PASSWORD_RESET_REQUESTED, user.id, on_behalf="1", **details)
    links.queue_reset(bank, user)


def check_reset_link(bank: Bank, token: object) -> User:
    """The user a reset link is for, while it may be used; LinkNotValid otherwise."""
    return links.valid_link(bank, token, LinkPurpose.RESET_PASSWORD)[1]


def reset_password(bank: Bank, *, token: object, new_password: object, ip: str) -> User:
    """Set a new password from an emailed link: the link is used up with the change (so it
    works once, also with two tabs at once), every session and API token ends (a new
    security stamp), and a lock from failed logins is lifted. The customer then signs in."""
    link, user = links.valid_link(bank, token, LinkPurpose.RESET_PASSWORD)
    new = check_password(
        new_password,
        "new_password",
        personal=(user.email, user.full_name, user.email.split("@")[0]),
    )
    password_hash = bank.passwords.hash(new)

    def save() -> User:
        current = bank.store.users.get_user(user.id)
        if current is None:
            raise ValidationFailed({"new_password": "this account no longer exists"})
        bank.store.links.use_link(link)
        updated = bank.store.users.update_user(
            user.id,
            version=current.version,
            changes={
                "password_hash": password_hash,
                "must_change_password": False,
                "security_stamp": new_stamp(),
            },
        )
        actor = Actor(None, updated.email, ip)
        record(bank, actor, AuditAction.PASSWORD_CHANGED, user.id, via="reset_link")
        emit(bank, EventKind.PASSWORD_CHANGED, user.id, user.id, via="reset_link", ip=ip)
        # Reading the link's mail proves the address too.
        bank.store.links.confirm_email(user.id, updated.email, bank.now())
        return updated

    updated = bank.in_unit(save)
    bank.store.sessions.clear_login_failures(email_key(updated.email))
    end_other_ways_in(bank, updated.id)
    return updated


def confirm_email(bank: Bank, *, token: object, ip: str) -> User:
    """Confirm the address a confirmation link was sent to; LinkNotValid when it is used,
    expired, or the customer's email is another one by now."""
    link, user = links.valid_link(bank, token, LinkPurpose.CONFIRM_EMAIL)

    def save() -> None:
        bank.store.links.use_link(link)
        bank.store.links.confirm_email(user.id, link.email, bank.now())
        record(bank, Actor.of(user, ip), AuditAction.EMAIL_CONFIRMED, user.id, email=link.email)

    bank.in_unit(save)
    return user


def email_confirmed(bank: Bank, user: User) -> bool:
    """Whether the user's current address is confirmed."""
    return bank.store.links.email_confirmed_at(user.id, user.email) is not None


def resend_confirmation(bank: Bank, user: User, *, ip: str) -> bool:
    """Send a new confirmation link to the user's current address; False when it is
    confirmed already (nothing is sent)."""
    if email_confirmed(bank, user):
        return False

    del ip  # asking for the link again changes nothing worth an audit line
    bank.in_unit(lambda: links.queue_confirmation(bank, user, user.email))
    return True
