"""A customer's first visit, in Debian's chromium against the real server: register, open an
account, deposit, send money, read the history; on a 360 px phone and on a desktop."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def api_customer(base: str) -> str:
    """A second customer, made through the JSON API, to receive the transfer."""
    email = f"rcpt-{secrets.token_hex(4)}@example.com"

    def post(path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            base + "/api/v1" + path, json.dumps(body).encode(), headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    post(
        "/users", {"email": email, "full_name": "Rita Recipient", "password": "a long recipient pw"}
    )
    token = post("/tokens", {"email": email, "password": "a long recipient pw"})["token"]
    return str(post("/accounts", {"type": "checking"}, token)["number"])


def no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    # A click returns once the next page starts to load; measured before its stylesheet
    # applies, the unstyled table is wider than a phone.
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


@pytest.mark.parametrize("width, height", [(360, 740), (1280, 800)])
def test_a_new_customer_banks_in_the_browser(live_server, browser, width, height, tmp_path):
    recipient_number = api_customer(live_server)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(live_server + "/register")
    no_sideways_scroll(page)
    page.get_by_label("Email").fill(f"web-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Full name").fill("Wendy Web <b>bold</b>")
    page.get_by_label("Password").fill("a long web password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Hello, Wendy Web <b>bold</b>")).to_be_visible()

    page.get_by_role("link", name="Open an account").first.click()
    page.get_by_role("button", name="Open account").click()
    page.get_by_role("link", name="Deposit").first.click()
    page.get_by_label("Amount").fill("250.00")
    page.get_by_label("Memo (optional)").fill("First pay")
    page.get_by_role("button", name="Deposit").click()
    expect(page.get_by_text("Balance: 250.00 USD").first).to_be_visible()
    no_sideways_scroll(page)

    page.get_by_role("link", name="Transfer").first.click()
    page.get_by_label("Recipient's account number").fill(recipient_number)
    page.get_by_label("Amount").fill("40.50")
    page.get_by_role("button", name="Review transfer").click()
    # The review names the recipient masked, with the account's last four digits.
    expect(page.get_by_text(f"Rita R. •••• {recipient_number[-4:]}")).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_text("209.50 USD").first).to_be_visible()

    page.get_by_role("link", name="History").first.click()
    expect(page.get_by_text(f"Rita R. · •••• {recipient_number[-4:]}").first).to_be_visible()
    expect(page.get_by_text("-40.50").first).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"history-{width}.png"), full_page=True)

    # Save the recipient as a payee, and pay them again from the list.
    page.get_by_role("link", name="Transfer").first.click()
    page.get_by_role("link", name="Manage payees").click()
    page.get_by_label("Nickname").fill("Rita")
    page.get_by_label("Account number").fill(recipient_number)
    page.get_by_role("button", name="Save payee").click()
    expect(page.get_by_text("Saved Rita as a payee.")).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_role("link", name="Pay").first.click()
    page.get_by_label("Amount").fill("9.50")
    page.get_by_role("button", name="Review transfer").click()
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_text("200.00 USD").first).to_be_visible()
    assert errors == []  # no CSP violations or script errors in the console
    context.close()
