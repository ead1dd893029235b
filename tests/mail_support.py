"""A real SMTP server in the test process (aiosmtpd), on 127.0.0.1 and a free port, that keeps
what arrives; it can be stopped and started again on the same port (an outage)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the server received, as parsed messages, and the logins it accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    credentials: tuple[str, str] | None = None
    controller: Controller | None = None

    @property
    def url(self) -> str:
        if self.credentials:
            user, password = self.credentials
            from urllib.parse import quote

            return f"smtp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.credentials:
            expected = self.credentials

            def check(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
                ok = (
                    isinstance(auth, LoginPassword)
                    and (
                        auth.login.decode(),
                        auth.password.decode(),
                    )
                    == expected
                )
                if ok:
                    self.inbox.logins.append(auth.login.decode())
                return AuthResult(success=ok)

            # No certificate here, so AUTH is allowed without TLS in this test server only
            # (test_mail_tls.py makes one with openssl and requires TLS for AUTH).
            kwargs = {"authenticator": check, "auth_require_tls": False}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), Inbox(), credentials)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Recorder:
    """A mailer that keeps what it is given (for flows that only need the mail's text)."""

    sender: str = "no-reply@bank.example"
    sent: list[Any] = field(default_factory=list)

    def send(self, mail: Any) -> None:
        self.sent.append(mail)

    def describe(self) -> str:
        return "a list in the test"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.sent if m.to == address]


def deliver(bank: Any, mailer: Any) -> None:
    """What the worker does for mail: the notices consumer, then the send job."""
    from flaskbank.services import mail, notices

    notices.catch_up(bank)
    mail.send_due(bank, mailer)


def link_in(text: str, path: str) -> str:
    """The path (from `path` on) of the one link in a mail's text that leads there."""
    import re

    found = re.findall(r"https?://[^/\s]+(" + re.escape(path) + r"[A-Za-z0-9_-]+)", text)
    assert len(found) == 1, text
    return str(found[0])
