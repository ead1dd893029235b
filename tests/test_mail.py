"""The mailers: SMTP against a real server in the test process, and the .eml folder."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from flaskbank.config import Config, ConfigError, from_env
from flaskbank.domain.mail import Mail, retry_delay
from flaskbank.mail import FileMailer, MailError, SmtpMailer, open_mailer
from flaskbank.mail.smtp import parse_smtp_url
from mail_support import free_port, smtp_server

SECRET = {"FLASKBANK_SECRET_KEY": "x" * 32}


def a_mail(to: str = "ada@example.com", mail_id: str = "m-1") -> Mail:
    return Mail(
        mail_id,
        to,
        "Your password was changed",
        "Hello Ada,\n\nSomeone — we hope you — changed it.\n",
        "password_changed",
        "2026-11-26T10:00:00.000000Z",
        "2026-11-26T10:00:00.000000Z",
    )


def test_smtp_delivers_the_message_with_its_message_id() -> None:
    with smtp_server() as server:
        SmtpMailer(parse_smtp_url(server.url), "Flask Bank <no-reply@bank.example>").send(a_mail())
        [message] = server.inbox.to("ada@example.com")
    assert message["Subject"] == "Your password was changed"
    assert message["From"] == "Flask Bank <no-reply@bank.example>"
    assert message["Message-ID"] == "<m-1@flaskbank.example>"
    assert "we hope you" in message.get_content()


def test_smtp_logs_in_with_url_decoded_credentials() -> None:
    credentials = ("bank@relay.example", "p@ss/w:rd%")
    with smtp_server(credentials) as server:
        assert "%40" in server.url and "%2F" in server.url
        SmtpMailer(parse_smtp_url(server.url), "no-reply@bank.example").send(a_mail())
        assert server.inbox.logins == ["bank@relay.example"]
        assert len(server.inbox.messages) == 1


def test_wrong_smtp_password_is_a_mail_error_without_the_password() -> None:
    with smtp_server(("bank", "right-password")) as server:
        url = f"smtp://bank:wrong-password@127.0.0.1:{server.port}"
        with pytest.raises(MailError) as caught:
            # smtplib tries LOGIN after PLAIN fails, which aiosmtpd leaves unanswered: a
            # short timeout ends that wait.
            SmtpMailer(parse_smtp_url(url), "no-reply@bank.example", timeout=2).send(a_mail())
        assert server.inbox.messages == []
    assert "wrong-password" not in str(caught.value)


def test_a_server_that_is_down_is_a_mail_error() -> None:
    mailer = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}"), "a@bank.example")
    with pytest.raises(MailError):
        mailer.send(a_mail())


def test_file_mailer_writes_one_eml_per_mail_and_rewrites_it_when_sent_again(
    tmp_path: Path,
) -> None:
    mailer = FileMailer(tmp_path / "mail", "no-reply@bank.example")
    mailer.send(a_mail())
    mailer.send(a_mail())
    mailer.send(a_mail(mail_id="m-2"))
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "ada@example.com"
    assert str(tmp_path / "mail") in mailer.describe()


def test_no_smtp_url_means_eml_files_under_the_data_folder(tmp_path: Path) -> None:
    mailer = open_mailer(Config(data_dir=tmp_path))
    assert isinstance(mailer, FileMailer)
    assert mailer.folder == tmp_path / "mail"
    smtp = open_mailer(from_env({**SECRET, "FLASKBANK_SMTP_URL": "smtps://u:p@mail.example"}))
    assert isinstance(smtp, SmtpMailer)
    assert smtp.target.port == 465 and smtp.target.password == "p"  # noqa: S105


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.example", ("relay.example", 25, "", "", False)),
        ("smtp://u:p%40ss@relay.example:587?starttls=1", ("relay.example", 587, "u", "p@ss", True)),
        ("smtps://u:p@relay.example", ("relay.example", 465, "u", "p", False)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    t = parse_smtp_url(url)
    assert (t.host, t.port, t.username, t.password, t.starttls) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://relay.example", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://relay.example:99999", "port"),
        ("smtp://relay.example?tls=1", "options"),
        ("smtp://relay.example?starttls=yes", "starttls must be 0 or 1"),
        ("smtps://relay.example?starttls=1", "TLS already"),
        ("smtp://u:secret-pw@relay.example?x=1", "options"),
    ],
)
def test_bad_smtp_urls_stop_the_app_naming_the_setting(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_env({**SECRET, "FLASKBANK_SMTP_URL": url})
    assert "FLASKBANK_SMTP_URL" in str(caught.value) and says in str(caught.value)
    assert "secret-pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLASKBANK_MAIL_FROM", "not an address"),
        ("FLASKBANK_MAIL_FROM", "a@b.example\r\nBcc: x@y.example"),
        ("FLASKBANK_BASE_URL", "bank.example"),
        ("FLASKBANK_BASE_URL", "ftp://bank.example"),
        ("FLASKBANK_LARGE_TRANSFER", "-5"),
    ],
)
def test_bad_mail_settings_name_themselves(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_env({**SECRET, name: value})


def test_mail_settings_defaults_and_values() -> None:
    d = from_env(SECRET)
    assert d.smtp_url == "" and d.base_url == "http://127.0.0.1:8000"
    assert str(d.large_transfer) == "1000.00"
    c = from_env(
        {
            **SECRET,
            "FLASKBANK_BASE_URL": "https://bank.example/",
            "FLASKBANK_MAIL_FROM": "Bank <hello@bank.example>",
            "FLASKBANK_LARGE_TRANSFER": "250.00",
        }
    )
    assert c.base_url == "https://bank.example"
    assert c.mail_from == "Bank <hello@bank.example>"
    assert str(c.large_transfer) == "250.00"


def test_retries_back_off_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(50).total_seconds() == 3600
