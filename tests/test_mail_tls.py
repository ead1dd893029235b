"""SMTP over TLS against a real server in the test process (aiosmtpd): STARTTLS on a server
that requires it before anything else (AUTH included), and smtps:// (TLS from the first
byte). The server's certificate is self-signed, made here with the openssl command (the
`cryptography` package is not installed); the client trusts it as an operator would trust
a private CA, through SSL_CERT_FILE. A certificate the client does not trust fails the
delivery: the mail stays in the outbox, with the error, for the next try."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from flaskbank.mail import MailError, SmtpMailer
from flaskbank.mail.smtp import parse_smtp_url
from flaskbank.services import mail
from mail_support import Inbox, free_port
from test_mail import a_mail

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

USER, PASSWORD = "bank@relay.example", "s3cret/pw"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(folder: Path, name: str) -> Certificate:
    """A certificate for 127.0.0.1 (the address the client dials, checked as a hostname)."""
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path, "mail-server")


@pytest.fixture
def trusted(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> Certificate:
    """The client trusts the server's certificate (and only it), as through a private CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


@pytest.fixture
def distrusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client trusts another certificate only: the server's is a stranger's."""
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed(tmp_path, "someone-else").cert))


@dataclass
class TlsInbox(Inbox):
    """What arrived, and whether each message came over TLS."""

    encrypted: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return await super().handle_DATA(server, session, envelope)


def _check_login(inbox: Inbox) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        ok = isinstance(auth, LoginPassword) and (
            auth.login.decode(),
            auth.password.decode(),
        ) == (USER, PASSWORD)
        if ok:
            inbox.logins.append(auth.login.decode())
        return AuthResult(success=ok)

    return check


@contextmanager
def tls_server(certificate: Certificate, *, implicit: bool) -> Iterator[tuple[int, TlsInbox]]:
    """STARTTLS required before MAIL and AUTH (`implicit` False), or TLS from the first
    byte (`implicit` True); either way AUTH only over TLS."""
    inbox, port = TlsInbox(), free_port()
    context = certificate.server_context()
    # aiosmtpd counts only a STARTTLS upgrade as TLS for AUTH; over implicit TLS the whole
    # session is encrypted already, so AUTH is allowed there.
    tls: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_check_login(inbox), **tls
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _url(port: int, *, implicit: bool) -> str:
    if implicit:
        return f"smtps://bank%40relay.example:s3cret%2Fpw@127.0.0.1:{port}"
    return f"smtp://bank%40relay.example:s3cret%2Fpw@127.0.0.1:{port}?starttls=1"


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_mail_goes_over_tls_to_a_server_whose_certificate_is_trusted(
    trusted: Certificate, implicit: bool
) -> None:
    with tls_server(trusted, implicit=implicit) as (port, inbox):
        SmtpMailer(parse_smtp_url(_url(port, implicit=implicit)), "no-reply@bank.example").send(
            a_mail()
        )
        [message] = inbox.to("ada@example.com")
    assert message["Subject"] == "Your password was changed"
    assert inbox.logins == [USER]  # AUTH went over TLS: the server allows it nowhere else
    assert inbox.encrypted == [True]


def test_a_server_that_requires_starttls_refuses_a_client_that_skips_it(
    trusted: Certificate,
) -> None:
    with tls_server(trusted, implicit=False) as (port, inbox):
        plain = f"smtp://127.0.0.1:{port}"
        with pytest.raises(MailError, match="STARTTLS"):
            SmtpMailer(parse_smtp_url(plain), "no-reply@bank.example", timeout=2).send(a_mail())
    assert inbox.messages == []


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_an_untrusted_certificate_fails_delivery_and_the_mail_waits_in_the_outbox(
    bank: Any, certificate: Certificate, distrusted: None, implicit: bool
) -> None:
    queued = mail.queue(
        bank, to="ada@example.com", subject="Your password was changed", body="Hi", kind="x"
    )
    with tls_server(certificate, implicit=implicit) as (port, inbox):
        mailer = SmtpMailer(
            parse_smtp_url(_url(port, implicit=implicit)), "no-reply@bank.example", timeout=2
        )
        assert mail.send_due(bank, mailer) == 0
    assert inbox.messages == [] and inbox.logins == []  # the password never left
    [waiting] = bank.store.mail.due_mail("9999", limit=10)
    assert waiting.id == queued.id and waiting.attempts == 1
    assert "CERTIFICATE_VERIFY_FAILED" in waiting.last_error
    assert PASSWORD not in waiting.last_error
