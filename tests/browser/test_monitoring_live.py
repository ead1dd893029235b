"""The fraud analysts' workspace in Debian's chromium, against the real server and the real
worker: a posting made while the live view is open shows up within 2 seconds, without a
reload (static/monitoring.js polls live.json; no inline script, which the CSP would refuse),
and a backtest's page follows the run until it shows the figures."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from browser.conftest import flaskbank_command, server_env, serving
from conftest import new_customer
from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.services import postings, staff
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank

pytestmark = pytest.mark.browser

PASSWORD = "an analyst's long password"


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Bank]]:
    """The server, a worker that applies the feed to the live board every 0.2 s (as the
    default second, made shorter so the test measures the page and not the worker's
    schedule), and the same store opened here to make staff and postings."""
    data = tmp_path_factory.mktemp("monitored")
    with serving(data) as url:
        worker = subprocess.Popen(
            [flaskbank_command(), "worker", "--every", "0.2", "--tick", "0.1"],
            env=server_env(data),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        bank = bootstrap(Config(data_dir=Path(data)))
        try:
            yield url, bank
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            bank.store.close()


def analyst(bank: Bank, email: str = "fay.analyst@bank.example") -> tuple[str, str]:
    """A fraud analyst past the first login (own password, two-factor on): email, secret."""
    user, _ = staff.create_staff(
        bank,
        email=email,
        full_name="Fay Analyst",
        role="fraud_analyst",
        actor=Actor(None, "cli", "local"),
    )
    secret = pyotp.random_base32()
    bank.store.users.update_user(
        user.id,
        version=user.version,
        changes={
            "must_change_password": False,
            "password_hash": bank.passwords.hash(PASSWORD),
            "totp_secret": secret,
        },
    )
    return user.email, secret


def signed_in(browser, url: str, bank: Bank, email: str):  # type: ignore[no-untyped-def]
    """A page of a new browser context, signed in as a new fraud analyst, and the list the
    console's errors (a CSP violation, a failed poll) go to."""
    email, secret = analyst(bank, email)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    # An analyst lands on their work: the live view.
    expect(page.get_by_role("heading", name="Live monitoring")).to_be_visible()
    return page, errors


def test_a_new_posting_appears_on_the_live_view_within_two_seconds(monitored, browser):
    url, bank = monitored
    customer = new_customer(bank, "Carl Customer")
    page, errors = signed_in(browser, url, bank, "fay.analyst@bank.example")
    page.get_by_role("link", name="Live monitoring").first.click()
    expect(page.get_by_role("heading", name="Live monitoring")).to_be_visible()
    expect(page.locator("#live-state")).to_have_text("updating every 1 s")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    postings.deposit(bank, customer.user_id, customer.account_id, amount="123.45")
    made = time.monotonic()
    row = page.locator("#live-latest tr", has_text="123.45 USD")
    expect(row).to_be_visible(timeout=2000)
    assert time.monotonic() - made <= 2.0
    expect(row).to_contain_text("Posted deposit")
    expect(row).to_contain_text("approve")
    assert page.evaluate("window.loadedOnce") is True
    assert "1 postings" in page.locator("#live-rate").inner_text()
    assert errors == []  # no CSP violation, no failed poll
    page.context.close()


def test_a_backtest_page_follows_the_run_to_its_figures(monitored, browser):
    url, bank = monitored
    page, errors = signed_in(browser, url, bank, "gus.analyst@bank.example")
    page.get_by_role("link", name="Backtests").first.click()
    page.get_by_role("button", name="Run backtest").click()
    # Its own page (the "queued" notice may be gone already: the page reloads itself when the
    # worker is quick to finish).
    expect(page).to_have_url(re.compile(r"/staff/monitoring/backtests/[0-9a-f-]{36}$"))
    # The worker runs it; the page polls and shows the figures without being reloaded by us.
    expect(page.locator("#backtest-status")).to_have_text("done", timeout=15_000)
    expect(page.get_by_role("heading", name="Per rule")).to_be_visible()
    expect(page.get_by_role("heading", name="Alerts per day")).to_be_visible()
    assert errors == []
    page.context.close()
