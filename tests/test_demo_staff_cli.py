"""The demo's staff logins through the `flaskbank` console script: what `demo` prints (and
that it is enough to sign in), that `serve` warns of them and serves without them, and
`remove-demo-staff`."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner

from conftest import store_url
from flaskbank import cli
from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.demo_staff import LOGINS, add_demo_staff, demo_staff_in
from flaskbank.passwords import FastHasher
from flaskbank.services import customers
from flaskbank.store.sqlite import SqliteStore
from flaskbank.web import bank_of, create_app

SECRET = "s" * 40


def run(args: list[str], data_dir: Path, **env: str | None):
    env = {
        "FLASKBANK_DATA_DIR": str(data_dir),
        "FLASKBANK_STORE": None,
        "FLASKBANK_SECRET_KEY": SECRET,
        **env,
    }
    return CliRunner().invoke(cli.main, args, env=env, catch_exceptions=False)


def printed(output: str) -> tuple[str, str, dict[str, str]]:
    """The staff password, the TOTP secret and each role's email, as `demo` prints them."""
    [password] = re.findall(r"^Demo staff, demo-only \(password for all: (\S+)\):$", output, re.M)
    [grouped] = re.findall(r"two-factor secret for all: ([A-Z2-7 ]+)$", output, re.M)
    emails = dict(re.findall(r"^  (\S+@\S+)\s+(\w+)$", output, re.M))
    return password, grouped.replace(" ", ""), {role: email for email, role in emails.items()}


def test_demo_prints_staff_logins_that_sign_in_to_the_demo_only(tmp_path):
    result = run(["demo", "--no-serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    assert result.exit_code == 0, result.output
    password, secret, emails = printed(result.output)
    assert set(emails) == {"fraud_analyst", "financial_manager", "compliance_officer", "admin"}
    assert "otpauth://totp/" in result.output and "flaskbank demo-code" in result.output
    store = SqliteStore(tmp_path / "flaskbank.db")
    key = (tmp_path / "secret_key").read_text()
    try:
        for demo, answer in ((True, "/staff"), (False, None)):
            # The real (scrypt) hasher the command hashed the password with.
            app = create_app(Config(data_dir=tmp_path, secret_key=key, demo=demo), store=store)
            app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
            client = app.test_client()
            first = client.post("/login", data={"email": emails["admin"], "password": password})
            if answer is None:
                assert first.status_code == 401 and "demo-only" in first.get_data(as_text=True)
                continue
            assert first.location == "/login/code"
            code = pyotp.TOTP(secret).now()
            assert client.post("/login/code", data={"otp": code}).location == answer
            assert client.get("/staff/users").status_code == 200
    finally:
        store.close()
    again = run(["demo", "--no-serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    assert printed(again.output) == (password, secret, emails)
    store = SqliteStore(tmp_path / "flaskbank.db")
    staff = [u for u in store.users.list_users(limit=100).items if u.is_staff]
    store.close()
    assert sorted(u.email for u in staff) == sorted(emails.values())  # none twice


def test_demo_on_a_store_it_did_not_fill_adds_no_staff(tmp_path):
    assert run(["init"], tmp_path).exit_code == 0
    store = SqliteStore(tmp_path / "flaskbank.db")
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    customers.register(bank, email="eve@bank.example", full_name="Eve", password="a long pass 1")
    result = run(["demo", "--no-serve"], tmp_path, FLASKBANK_SECRET_KEY=None)
    assert result.exit_code == 0 and "No demo staff in this store" in result.output
    assert demo_staff_in(bank) == []
    store.close()


@pytest.fixture
def served(monkeypatch):
    """What gunicorn would serve: the app its `load` builds, without running a server."""
    from gunicorn.app.base import BaseApplication

    apps = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: apps.append(self.load()))
    return apps


def test_only_the_demo_command_serves_as_the_demo(tmp_path, served, monkeypatch):
    class Jobs:  # the background worker `demo` starts beside the server
        def __init__(self, *args: object) -> None: ...
        def terminate(self) -> None: ...
        def wait(self, timeout: float) -> None: ...

    monkeypatch.setattr(cli.subprocess, "Popen", Jobs)
    assert run(["demo"], tmp_path, FLASKBANK_SECRET_KEY=None).exit_code == 0
    assert run(["serve"], tmp_path).exit_code == 0
    assert [bank_of(app).settings.demo for app in served] == [True, False]


def test_serve_warns_of_demo_staff_and_names_the_command_that_removes_them(store, served):
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    quiet = run(["serve"], Path("."), FLASKBANK_STORE=store_url(store))
    assert quiet.exit_code == 0 and "WARNING" not in quiet.stderr
    add_demo_staff(bank)
    loud = run(["serve"], Path("."), FLASKBANK_STORE=store_url(store))
    assert loud.exit_code == 0 and len(served) == 2  # it serves all the same
    assert "WARNING: this store holds the demo's staff logins" in loud.stderr
    assert "flaskbank remove-demo-staff" in loud.stderr
    assert all(login.email in loud.stderr for login in LOGINS)


def test_remove_demo_staff_deletes_them_on_both_stores(store, tmp_path):
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    add_demo_staff(bank)
    keep = customers.register(
        bank, email="real@bank.example", full_name="Real", password=secrets.token_hex(8)
    )
    result = run(["remove-demo-staff"], tmp_path, FLASKBANK_STORE=store_url(store))
    assert result.exit_code == 0, result.output
    assert sorted(re.findall(r"^Removed demo \w+ (\S+)\.$", result.output, re.M)) == sorted(
        login.email for login in LOGINS
    )
    assert demo_staff_in(bank) == [] and store.users.count_users() == 1
    assert store.users.get_user(keep.id) is not None
    again = run(["remove-demo-staff"], tmp_path, FLASKBANK_STORE=store_url(store))
    assert again.output == "This store holds no demo staff.\n"


def test_demo_code_prints_a_code_the_published_secret_accepts(tmp_path):
    from flaskbank.demo_staff import TOTP_SECRET

    result = run(["demo-code"], tmp_path)
    assert result.exit_code == 0
    assert pyotp.TOTP(TOTP_SECRET).verify(result.output.strip(), valid_window=1)
