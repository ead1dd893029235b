"""The SMTP mailer, for production: FLASKBANK_SMTP_URL names the server.

    smtp://host:25                          plain SMTP (a relay on the same host or network)
    smtp://user:pass@host:587?starttls=1    STARTTLS, then AUTH (the usual submission port)
    smtps://user:pass@host:465              TLS from the first byte

The user and password are percent-decoded (a password with @ or / is written %40, %2F).
TLS checks the server's certificate against the system's trust store (SSL_CERT_FILE points
OpenSSL at another, such as a private CA's: tests/test_mail_tls.py). One connection per
batch of mail (the worker's send job), so that a batch costs one TLS handshake.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ..domain.mail import Mail
from .base import MailError
from .message import to_message

#: Seconds to wait for the server: the worker, not a request, waits, but a hung server must
#: not hold the send job's lease for ever.
TIMEOUT = 20.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False

    def describe(self) -> str:
        tls = " with STARTTLS" if self.starttls else ""
        who = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}{tls}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """The server a FLASKBANK_SMTP_URL names; ValueError saying what is wrong (never
    repeating the password)."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("must start with smtp:// or smtps://")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("names no host")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(options) - {"starttls"}
    if unknown:
        raise ValueError(f"has options it does not know: {', '.join(sorted(unknown))}")
    starttls = options.get("starttls", ["0"])[-1]
    if starttls not in ("0", "1"):
        raise ValueError("starttls must be 0 or 1")
    if starttls == "1" and parts.scheme == "smtps":
        raise ValueError("smtps:// is TLS already; starttls=1 is for smtp://")
    if (parts.username is None) != (parts.password is None):
        raise ValueError("needs both a user and a password, or neither")
    return SmtpTarget(
        parts.scheme,
        parts.hostname,
        port,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        starttls == "1",
    )


class SmtpMailer:
    def __init__(self, target: SmtpTarget, sender: str, timeout: float = TIMEOUT) -> None:
        self.target = target
        self.sender = sender
        self.timeout = timeout

    @contextmanager
    def connection(self) -> Iterator[smtplib.SMTP]:
        """One session with the server; MailError if it cannot be opened."""
        t = self.target
        try:
            if t.scheme == "smtps":
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    t.host, t.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
            with server:
                if t.starttls:
                    server.starttls(context=ssl.create_default_context())
                if t.username:
                    server.login(t.username, t.password)
                yield server
        except (smtplib.SMTPException, OSError) as e:
            raise MailError(f"{t.describe()}: {_reason(e)}") from e

    def send(self, mail: Mail) -> None:
        with self.connection() as server:
            self.send_on(server, mail)

    def send_on(self, server: smtplib.SMTP, mail: Mail) -> None:
        """Send on an open connection (a batch shares one)."""
        try:
            refused = server.send_message(to_message(mail, self.sender))
        except (smtplib.SMTPException, OSError) as e:
            raise MailError(f"{self.target.describe()}: {_reason(e)}") from e
        if refused:
            raise MailError(f"{self.target.describe()}: refused {', '.join(refused)}")

    def describe(self) -> str:
        return f"SMTP at {self.target.describe()}"


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        raw = error.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        return f"{error.smtp_code} {text}".strip()
    return str(error) or type(error).__name__
