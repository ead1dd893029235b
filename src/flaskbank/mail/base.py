"""The mailer port: how the bank hands a message to the outside world. The services know
only this; SMTP and the .eml folder are adapters (smtp.py, files.py), chosen from settings
in one place (open_mailer in __init__.py)."""

from __future__ import annotations

from typing import Protocol

from ..domain.mail import Mail


class MailError(Exception):
    """The message was not handed over (server down, refused, bad credentials); the worker
    tries it again later. The message never holds the server's password."""


class Mailer(Protocol):
    sender: str

    def send(self, mail: Mail) -> None:
        """Hand the message over, or raise MailError. Sending one mail twice sends it with
        the same Message-ID (Mail.message_id)."""

    def describe(self) -> str:
        """Where the mail goes, for `flaskbank demo` and logs (never a password)."""
