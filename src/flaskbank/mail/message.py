"""A Mail as an RFC 5322 message, the same for every adapter."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from ..domain.ledger import parse_utc_iso
from ..domain.mail import Mail


def to_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(parse_utc_iso(mail.created_at))
    message["Message-ID"] = mail.message_id
    # Security notices and links are no marketing: autoresponders should not answer them.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message
