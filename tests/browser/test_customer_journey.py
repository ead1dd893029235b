"""A customer's first visit, in Debian's chromium against the real server, on a 360 px phone
and on a 1280 px desktop: register, open an account, deposit, send money, read the history
and a statement, the profile and API access, and the footer's pages. Every page is checked
by axe-core and photographed (browser/looks.py); the keyboard reaches everything."""

from __future__ import annotations

import json
import re
import secrets
import urllib.request

import pytest
from playwright.sync_api import expect

from browser.looks import WIDTHS, Journey

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


def focused(page) -> dict:  # type: ignore[no-untyped-def]
    """The focused element: its tag, class, text and whether its focus ring is drawn."""
    return page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName, cls: e.className, text: e.textContent.trim(),
                ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }"""
    )


@pytest.mark.parametrize("width, height", WIDTHS)
def test_a_new_customer_banks_in_the_browser(live_server, browser, width, height):
    recipient_number = api_customer(live_server)
    walk = Journey(browser, "customer", width, height)
    page = walk.page

    page.goto(live_server + "/register")
    walk.look("register")
    # The first Tab lands on the skip link, shown with a focus ring; it leads to the content.
    page.keyboard.press("Tab")
    assert focused(page) == {
        "tag": "A",
        "cls": "skip-link",
        "text": "Skip to content",
        "ring": True,
    }
    page.keyboard.press("Enter")
    assert focused(page)["tag"] == "MAIN"
    page.get_by_label("Email").fill(f"web-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Full name").fill("Wendy Web <b>bold</b>")
    page.get_by_label("Phone number").fill("+44 7700 900456")
    page.get_by_label("Postal address").fill("2 Market Street\nLeeds LS1 1AA")
    page.get_by_label("Date of birth").fill("1985-03-02")
    page.get_by_label("Password").fill("a long web password")
    # Sent from the keyboard: Enter in the last field submits the form.
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Hello, Wendy Web <b>bold</b>")).to_be_visible()
    walk.look("dashboard-new")

    page.get_by_role("link", name="Open an account").first.click()
    walk.look("open-account")
    page.get_by_role("button", name="Open account").click()
    page.get_by_role("link", name="Deposit").first.click()
    walk.look("deposit")
    page.get_by_label("Amount").fill("250.00")
    page.get_by_label("Memo (optional)").fill("First pay")
    page.get_by_role("button", name="Deposit").click()
    expect(page.get_by_text("Balance: 250.00 USD").first).to_be_visible()

    page.get_by_role("link", name="Transfer").first.click()
    walk.look("transfer")
    page.get_by_label("Recipient's account number").fill(recipient_number)
    page.get_by_label("Amount").fill("40.50")
    page.get_by_label("Memo (optional)").fill("Books and a long memo that a phone cuts short")
    page.get_by_role("button", name="Review transfer").click()
    # The review names the recipient masked, with the account's last four digits.
    expect(page.get_by_text(f"Rita R. •••• {recipient_number[-4:]}")).to_be_visible()
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_text("209.50 USD").first).to_be_visible()
    walk.look("dashboard")

    page.get_by_role("link", name="History").first.click()
    expect(page.get_by_text(f"Rita R. · •••• {recipient_number[-4:]}").first).to_be_visible()
    expect(page.get_by_text("-40.50").first).to_be_visible()
    walk.look("history")
    lines = page.locator("table.ledger tbody tr")
    expect(lines).to_have_count(2)
    if width < 768:
        # As in a bank's app: one or two lines each (a line of text is ~24 px), not a ~230 px card.
        assert all(box["height"] < 72 for box in (r.bounding_box() for r in lines.all()))

    page.get_by_role("link", name="Monthly statements").click()
    expect(page.get_by_text("Closing balance")).to_be_visible()
    walk.look("statement")

    # Save the recipient as a payee, and pay them again from the list.
    page.goto(live_server + "/transfer")
    page.get_by_role("link", name="Manage payees").click()
    page.get_by_label("Nickname").fill("Rita")
    page.get_by_label("Account number").fill(recipient_number)
    page.get_by_role("button", name="Save payee").click()
    expect(page.get_by_text("Saved Rita as a payee.")).to_be_visible()
    walk.look("payees")
    page.get_by_role("link", name="Pay").first.click()
    page.get_by_label("Amount").fill("9.50")
    page.get_by_role("button", name="Review transfer").click()
    walk.look("review")
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_text("200.00 USD").first).to_be_visible()

    if width < 768:
        # The header's menu is closed on a phone until opened: no script, a <details>.
        expect(page.get_by_role("link", name="Standing orders")).to_be_hidden()
    walk.menu()
    if width < 768:
        expect(page.get_by_role("link", name="Standing orders")).to_be_visible()
        walk.look("menu")
    page.get_by_role("link", name="Profile").click()
    walk.look("profile")
    expect(page.get_by_text("POST /api/v1/tokens")).to_have_count(0)
    page.get_by_role("link", name="API access").click()
    expect(page.get_by_text("POST /api/v1/tokens")).to_be_visible()
    walk.look("api-access")

    for link, heading in [
        ("Help", "Help"),
        ("Security", "Security and staying safe"),
        ("Privacy", "Privacy"),
        ("Contact", "Contact us"),
    ]:
        page.get_by_role("contentinfo").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        walk.look(link.lower())
    walk.close()


@pytest.mark.parametrize("width, height", WIDTHS)
def test_every_other_customer_page_passes_axe(live_server, browser, width, height):
    """The pages the journey does not pass through, and forms showing their errors."""
    email = f"every-{secrets.token_hex(4)}@example.com"
    request = urllib.request.Request(
        live_server + "/api/v1/users",
        json.dumps(
            {"email": email, "full_name": "Eve Every", "password": "every page pw 1"}
        ).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
    walk = Journey(browser, "customer-pages", width, height)
    page = walk.page
    page.goto(live_server + "/password/forgot")
    walk.look("forgot-password")
    page.goto(live_server + "/login")
    walk.look("login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("every page pw 1")
    page.get_by_role("button", name="Log in").click()
    walk.look("dashboard-empty")
    page.get_by_role("link", name="Open an account").first.click()
    page.get_by_role("button", name="Open account").click()
    account = page.get_by_role("link", name="Withdraw").first.get_attribute("href")
    assert account is not None
    for step, path in [
        ("withdraw", account),
        ("standing-orders", "/standing-orders"),
        ("password", "/profile/password"),
        ("two-factor", "/profile/two-factor"),
        ("security", "/profile/security"),
        ("api-access", "/profile/api"),
        ("payees", "/payees"),
        ("account-settings", account.replace("withdraw", "settings")),
        ("history-bad-filter", account.replace("withdraw", "history") + "?min_amount=lots"),
        ("not-found", "/accounts/not-mine/history"),
    ]:
        page.goto(live_server + path)
        walk.look(step)
    page.goto(live_server + "/transfer")
    page.get_by_label("Amount").fill("twelve")
    page.get_by_role("button", name="Review transfer").click()
    expect(page.locator(".error").first).to_be_visible()
    walk.look("transfer-errors")
    # The 404 and the 422s above are what this walk asked for.
    walk.errors = [e for e in walk.errors if not re.search(r"\b(404|422)\b", e)]
    walk.close()


def signed_up(base: str, browser, width: int, height: int, name: str) -> Journey:  # type: ignore[no-untyped-def]
    """A customer made through the API, signed in through the login form, with an account."""
    email = f"keys-{secrets.token_hex(4)}@example.com"
    body = {"email": email, "full_name": "Kim Keys", "password": "keyboard only pw"}
    request = urllib.request.Request(
        base + "/api/v1/users", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).close()
    walk = Journey(browser, name, width, height)
    walk.page.goto(base + "/login")
    walk.page.get_by_label("Email").fill(email)
    walk.page.get_by_label("Password").fill("keyboard only pw")
    walk.page.get_by_label("Password").press("Enter")
    walk.page.get_by_role("link", name="Open an account").first.click()
    walk.page.get_by_role("button", name="Open account").click()
    return walk


@pytest.mark.parametrize("width, height", WIDTHS)
def test_the_keyboard_reaches_everything_with_a_visible_focus(live_server, browser, width, height):
    walk = signed_up(live_server, browser, width, height, "keyboard")
    page = walk.page
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    stops = [focused(page)]
    while stops[-1]["text"] != "Contact" and len(stops) < 40:
        page.keyboard.press("Tab")
        stops.append(focused(page))
    texts = [stop["text"] for stop in stops]
    assert all(stop["ring"] for stop in stops), [(s["tag"], s["text"][:20]) for s in stops]
    assert texts[:2] == ["Skip to content", "Flask Bank"]
    actions = ["Deposit", "Withdraw", "Transfer", "Statement", "History"]
    in_main = texts[texts.index("Open an account") :]
    assert [t for t in in_main if t in actions] == actions
    assert texts[-4:] == ["Help", "Security", "Privacy", "Contact"]
    if width < 768:
        # The closed menu is one stop; its links are not reached until it opens.
        assert texts[2] == "Menu" and "Standing orders" not in texts
        page.keyboard.press("Shift+Tab")
        for _ in texts[3:-1]:
            page.keyboard.press("Shift+Tab")
        assert focused(page)["text"] == "Menu"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Dashboard"
        walk.look("menu-open")
    else:
        assert texts[2:7] == ["Dashboard", "Transfer", "Standing orders", "Profile", "Log out"]
    walk.close()
