"""Emailed one-time links: issuing one (the link in the store by its hash, the mail in the
outbox, both in the unit of work open on the thread) and checking one that comes back.

The paths are the web app's (web/auth/recovery.py routes them); the host is the bank's
configured address (Settings.base_url), never the Host header of the request that asked,
which a client chooses: a reset link must not be made to point at somebody else's site.
"""

from __future__ import annotations

from datetime import timedelta

from ..domain.accounts import User
from ..domain.errors import LinkNotValid
from ..domain.identity import email_key
from ..domain.ledger import parse_utc_iso, utc_iso
from ..domain.links import LIFETIME, TOKEN_MAX, EmailLink, LinkPurpose, hash_token, new_token
from . import mail
from .bank import Bank

RESET_PATH = "/password/reset/"
CONFIRM_PATH = "/email/confirm/"


def issue(bank: Bank, purpose: LinkPurpose, user: User, email: str) -> str:
    """A new link for `user` to `email`; returns the URL (the token is in it and nowhere
    else)."""
    token = new_token()
    now = bank.clock()
    bank.store.links.add_link(
        EmailLink(
            hash_token(token),
            purpose,
            user.id,
            email,
            utc_iso(now),
            utc_iso(now + LIFETIME[purpose]),
        )
    )
    path = RESET_PATH if purpose is LinkPurpose.RESET_PASSWORD else CONFIRM_PATH
    return f"{bank.settings.base_url}{path}{token}"


def valid_link(bank: Bank, token: object, purpose: LinkPurpose) -> tuple[EmailLink, User]:
    """The link a token names and its user, while it may be used: not used yet, not
    expired, of this purpose, and its user still at the address it was sent to (a reset
    sent to an address the customer has since left opens nothing). LinkNotValid otherwise,
    the same for every reason."""
    refused = LinkNotValid("this link has expired or was already used; ask for a new one")
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        raise refused
    link = bank.store.links.get_link(hash_token(token))
    if link is None or link.purpose is not purpose:
        raise refused
    if parse_utc_iso(link.expires_at) <= bank.clock():
        raise refused
    user = bank.store.users.get_user(link.user_id)
    if user is None or email_key(user.email) != email_key(link.email):
        raise refused
    return link, user


def queue_reset(bank: Bank, user: User) -> None:
    url = issue(bank, LinkPurpose.RESET_PASSWORD, user, user.email)
    minutes = int(LIFETIME[LinkPurpose.RESET_PASSWORD] / timedelta(minutes=1))
    mail.queue(
        bank,
        to=user.email,
        subject="Reset your Flask Bank password",
        kind="password_reset",
        body=(
            f"Hello {user.full_name},\n\n"
            "Someone asked to reset the password of your Flask Bank account. To choose a "
            f"new password, open this link within {minutes} minutes:\n\n{url}\n\n"
            "The link works once. If you did not ask for it, ignore this message: your "
            "password stays as it is.\n\n-- Flask Bank\n"
        ),
    )


def queue_confirmation(bank: Bank, user: User, email: str) -> None:
    url = issue(bank, LinkPurpose.CONFIRM_EMAIL, user, email)
    hours = int(LIFETIME[LinkPurpose.CONFIRM_EMAIL] / timedelta(hours=1))
    mail.queue(
        bank,
        to=email,
        subject="Confirm your email address for Flask Bank",
        kind="email_confirmation",
        body=(
            f"Hello {user.full_name},\n\n"
            f"Please confirm that {email} is your address for Flask Bank by opening this "
            f"link within {hours} hours:\n\n{url}\n\n"
            "If you did not sign up or change your email with us, ignore this message.\n\n"
            "-- Flask Bank\n"
        ),
    )
