"""Emailed one-time links: a password reset, an email address confirmation.

The link carries a random token (256 bits); the store keeps only its SHA-256, so that
someone who reads the store cannot use a link that is still waiting. A plain hash suffices:
the token is random and long, not a password someone chose. A link is used once (the store
removes it in the same unit of work as the change it allows) and not after `expires_at`.
Standard library only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

#: Longer than any token we issue; a longer one in a URL is refused before it is hashed.
TOKEN_MAX = 100


class LinkPurpose(StrEnum):
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a password
    CONFIRM_EMAIL = "confirm_email"


#: How long each kind of link works: a reset is a key to the account, so briefly; a
#: confirmation only says the address reads its mail.
LIFETIME = {
    LinkPurpose.RESET_PASSWORD: timedelta(minutes=30),
    LinkPurpose.CONFIRM_EMAIL: timedelta(hours=24),
}


@dataclass(frozen=True, slots=True)
class EmailLink:
    """A link waiting to be used: for `user_id`, sent to `email` (a confirmation confirms
    exactly that address, so a link to an address the customer has since changed from
    confirms nothing now)."""

    token_hash: str
    purpose: LinkPurpose
    user_id: str
    email: str
    created_at: str
    expires_at: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
