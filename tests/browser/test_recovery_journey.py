"""Forgot password in Debian's chromium against the real server and the real worker: the
worker writes the reset mail as an .eml file (no SMTP URL set), the customer opens its link,
sets a new password, and the browser that was signed in elsewhere is signed out. Then the
security page lists where they are signed in and signs the others out."""

from __future__ import annotations

import re
import secrets
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser.conftest import server_env, serving
from live_server import flaskbank_command

pytestmark = pytest.mark.browser
PASSWORD = "a long web password"  # noqa: S105 - a test's
NEW_PASSWORD = "another long web password"  # noqa: S105 - a test's


def run_worker_once(data: Path) -> None:
    subprocess.run(
        [flaskbank_command(), "worker", "--once"],
        env=server_env(data),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def mail_to(data: Path, address: str, subject: str) -> str:
    for path in sorted((data / "mail").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address and message["Subject"] == subject:
            return str(message.get_body().get_content())  # type: ignore[union-attr]
    raise AssertionError(f"no mail {subject!r} to {address}")


def test_a_customer_resets_a_forgotten_password_and_signs_out_elsewhere(browser, tmp_path):
    data = tmp_path / "bank"
    data.mkdir()
    email = f"forgetful-{secrets.token_hex(4)}@example.com"
    with serving(data) as url:
        laptop = browser.new_context(viewport={"width": 1280, "height": 800})
        phone = browser.new_context(viewport={"width": 360, "height": 740})
        page = laptop.new_page()
        page.goto(url + "/register")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Full name").fill("Fran Forgetful")
        page.get_by_label("Phone number").fill("+44 7700 900789")
        page.get_by_label("Postal address").fill("3 Mill Lane\nYork YO1 7HH")
        page.get_by_label("Date of birth").fill("1979-11-30")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        expect(page.get_by_text("open it to confirm your address")).to_be_visible()

        mobile = phone.new_page()
        mobile.goto(url + "/login")
        mobile.get_by_role("link", name="Forgot your password?").click()
        mobile.get_by_label("Email").fill(email)
        mobile.get_by_role("button", name="Email me a link").click()
        expect(mobile.get_by_text("If an account exists for that address")).to_be_visible()

        run_worker_once(data)
        body = mail_to(data, email, "Reset your Flask Bank password")
        path = re.search(r"https?://[^/\s]+(/password/reset/\S+)", body)
        assert path is not None
        mobile.goto(url + path.group(1))
        mobile.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        mobile.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        mobile.get_by_role("button", name="Set my new password").click()
        expect(mobile.get_by_text("Your password is changed")).to_be_visible()
        mobile.get_by_label("Email").fill(email)
        mobile.get_by_label("Password").fill(NEW_PASSWORD)
        mobile.get_by_role("button", name="Log in").click()

        page.goto(url + "/profile")  # the laptop's session ended with the reset
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(url + "/profile/security")
        expect(page.get_by_text("(this device)")).to_be_visible()
        expect(page.locator("tbody tr")).to_have_count(2)
        page.get_by_role("button", name="Sign out everywhere else").click()
        expect(page.get_by_text("1 other session")).to_be_visible()
        mobile.goto(url + "/profile")
        expect(mobile.get_by_role("heading", name="Log in")).to_be_visible()

        run_worker_once(data)  # the notice of the changed password
        assert "password of your Flask Bank account was changed" in mail_to(
            data, email, "Your Flask Bank password was changed"
        )
        laptop.close()
        phone.close()
