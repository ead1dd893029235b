"""Each staff role's day, in Debian's chromium against the real server, on a 360 px phone and
on a 1280 px desktop: sign in with a password and a code, land on the role's work, and walk
its main pages. Every page is checked by axe-core and photographed (browser/looks.py)."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from browser.conftest import flaskbank_command, server_env, serving
from browser.looks import WIDTHS, Journey
from conftest import new_customer
from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.services import accounts, postings, staff
from flaskbank.services.analytics.reports import SPECS
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank
from test_monitoring_support import held_alert

pytestmark = pytest.mark.browser

PASSWORD = "a member of staff's long password"


@pytest.fixture(scope="module")
def bank_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Bank]]:
    """The server, with a customer who has some history, a transfer held for review with its
    alert, and the warehouse synced so that reports have figures; the same store opened here
    to make staff."""
    data = tmp_path_factory.mktemp("staffed")
    # Eight sign-ins from one address in a minute or two, two posts each: past the limit
    # that stops guessing, which test_security_ratelimits tests.
    with serving(data, FLASKBANK_RATELIMIT_LOGIN="100/minute") as url:
        bank = bootstrap(Config(data_dir=Path(data)))
        carl = new_customer(bank, "Carl Customer", deposit="1200.00")
        postings.withdraw(bank, carl.user_id, carl.account_id, amount="80.00", memo="groceries")
        held_alert(bank)  # a transfer held for review, and its alert in the queue
        subprocess.run(
            [flaskbank_command(), "warehouse", "sync", "--quiet"],
            env=server_env(data),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            yield url, bank
        finally:
            bank.store.close()


def member_of_staff(bank: Bank, role: str) -> tuple[str, str]:
    """A new member of staff in `role`, past the first login (own password, two-factor on):
    their email and two-factor secret."""
    user, _ = staff.create_staff(
        bank,
        email=f"{role}-{secrets.token_hex(3)}@bank.example",
        full_name=f"Sam {role.replace('_', ' ').title().replace(' ', '')}",
        role=role,
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


def signed_in(walk: Journey, url: str, bank: Bank, role: str) -> None:
    """Signs in with a password and then a code; the two pages are the same for every role,
    so only an admin's walk looks at them."""
    email, secret = member_of_staff(bank, role)
    page = walk.page
    page.goto(url + "/login")
    if role == "admin":
        walk.look("login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if role == "admin":
        walk.look("code")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()


def visit(walk: Journey, link: str, heading: str, step: str) -> None:
    walk.page.get_by_role("navigation", name="Staff").get_by_role("link", name=link).click()
    expect(walk.page.get_by_role("heading", level=1)).to_contain_text(heading)
    walk.look(step)


def lands_on(walk: Journey, heading: str) -> None:
    expect(walk.page.get_by_role("heading", level=1)).to_contain_text(heading)
    walk.look("landing")


def find_carl(walk: Journey) -> None:
    visit(walk, "Find a customer", "Find a customer", "search")
    query = walk.page.get_by_role("search").locator("input[name=q]")
    query.fill("Customer")
    query.press("Enter")
    walk.page.get_by_role("link", name="Carl Customer").click()
    expect(walk.page.get_by_role("heading", level=1)).to_contain_text("Carl Customer")
    walk.look("customer")


def fraud_analyst(walk: Journey) -> None:
    lands_on(walk, "Live monitoring")
    visit(walk, "Alerts", "Alerts", "alerts")
    walk.page.get_by_role("main").get_by_role("table").get_by_role("link").first.click()
    expect(walk.page.get_by_role("heading", level=1)).to_contain_text("Alert")
    walk.look("alert")
    visit(walk, "Rules", "Monitoring rules", "rules")
    find_carl(walk)


def financial_manager(walk: Journey) -> None:
    lands_on(walk, "Reports")
    walk.page.get_by_role("main").get_by_role("link", name="Deposit growth").click()
    expect(walk.page.get_by_role("heading", level=1)).to_contain_text("Deposit growth")
    walk.look("report")


def admin(walk: Journey) -> None:
    lands_on(walk, "Staff area")
    visit(walk, "Users", "Users", "users")
    visit(walk, "Audit log", "Audit log", "audit")
    visit(walk, "New staff user", "New staff user", "new-user")


def compliance_officer(walk: Journey) -> None:
    lands_on(walk, "Compliance")
    # Carl never gave his personal details: a KYC gap, and an action recorded against it.
    gaps = walk.page.get_by_role("table").filter(has_text="Carl Customer").last
    gaps.get_by_text("Record an action").first.click()
    gaps.get_by_label("What was done").first.fill("Asked Carl for his address")
    walk.look("record-action")
    gaps.get_by_role("button", name="Record action").first.click()
    expect(walk.page.get_by_text("Corrective action recorded.")).to_be_visible()
    # Oldest first: this walk's is the last (the other width's walk records one too).
    expect(walk.page.get_by_text("Asked Carl for his address").last).to_be_visible()
    walk.look("action-recorded")
    visit(walk, "Audit log", "Audit log", "audit")
    visit(walk, "Reports", "Reports", "reports")
    find_carl(walk)


ROLES = [fraud_analyst, financial_manager, admin, compliance_officer]


@pytest.mark.parametrize("width, height", WIDTHS)
@pytest.mark.parametrize("day", ROLES, ids=[r.__name__ for r in ROLES])
def test_each_staff_role_does_its_work_in_the_browser(bank_server, browser, day, width, height):
    url, bank = bank_server
    walk = Journey(browser, day.__name__.replace("_", "-"), width, height)
    signed_in(walk, url, bank, day.__name__)
    day(walk)
    # Staff are not customers: their menu has no banking pages.
    walk.menu()
    menu = walk.page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link")).to_have_text(["Staff area", "Profile"])
    walk.close()


@pytest.mark.parametrize("width, height", WIDTHS)
def test_every_other_staff_page_passes_axe(bank_server, browser, width, height):
    """An admin, who may open every staff page, on the pages the journeys do not pass."""
    url, bank = bank_server
    [carl] = bank.store.users.search_users("Carl", limit=1)
    [account] = accounts.accounts_of(bank, carl.id)
    of_carl = f"/staff/customers/{carl.id}/accounts/{account.id}"
    walk = Journey(browser, "staff-pages", width, height)
    signed_in(walk, url, bank, "admin")
    paths = [
        ("hold", of_carl + "/hold"),
        ("freeze", of_carl + "/freeze"),
        ("close-request", of_carl + "/close"),
        ("backtests", "/staff/monitoring/backtests"),
        ("unlock", "/staff/logins/unlock"),
        ("entries", "/staff/reports/entries"),
        ("user", f"/staff/users/{carl.id}"),
        ("customer-file", f"/staff/customers/{carl.id}"),
        ("customer-history", of_carl + "/history"),
        ("password-reset-request", f"/staff/customers/{carl.id}/password-reset"),
        ("approvals", "/staff/approvals"),
        ("audit-log", "/staff/audit"),
        ("customer-list", "/staff/reports/customers"),
        ("compliance-year", "/staff/compliance?from=2026-01-01&to=2026-12-31"),
    ]
    paths += [(f"report-{name}", f"/staff/reports/{name}") for name in SPECS]
    for step, path in paths:
        walk.page.goto(url + path)
        expect(walk.page.get_by_role("heading", level=1)).to_be_visible()
        walk.look(step)
    walk.page.goto(url + "/staff/monitoring/rules")
    walk.page.get_by_role("main").get_by_role("table").get_by_role("link").first.click()
    walk.look("rule")
    walk.close()
