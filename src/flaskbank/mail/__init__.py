"""Mailers (base.Mailer): SMTP for production, .eml files for the demo and development,
chosen from the settings here and nowhere else."""

from __future__ import annotations

from ..config import Config
from .base import Mailer, MailError
from .files import FileMailer
from .smtp import SmtpMailer, parse_smtp_url


def open_mailer(config: Config) -> Mailer:
    """SMTP when FLASKBANK_SMTP_URL is set (config.py checked it), else .eml files under
    <data dir>/mail/. Nothing connects until a mail is sent."""
    if config.smtp_url:
        return SmtpMailer(parse_smtp_url(config.smtp_url), config.mail_from)
    return FileMailer(config.data_dir / "mail", config.mail_from)


__all__ = ["FileMailer", "MailError", "Mailer", "SmtpMailer", "open_mailer"]
