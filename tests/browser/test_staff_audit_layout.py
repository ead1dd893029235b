"""The audit log and the customer view in Debian's chromium, at 1280 px and 360 px: every
column of the audit log is on screen at 1280 px (nothing scrolls sideways, no column cut
off), each event reads as one compact card on a phone, and the customer view never scrolls
sideways either. Screenshots go to build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from browser.conftest import serving
from conftest import new_customer
from flaskbank.bootstrap import bootstrap
from flaskbank.config import Config
from flaskbank.services import audit_trail, customers, postings, staff
from flaskbank.services.audit import Actor
from flaskbank.services.bank import Bank

pytestmark = pytest.mark.browser

PASSWORD = "a compliance officer's long password"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Bank]]:
    data = tmp_path_factory.mktemp("audit-layout")
    with serving(data) as url:
        bank = bootstrap(Config(data_dir=Path(data)))
        try:
            yield url, bank
        finally:
            bank.store.close()


def officer(bank: Bank, email: str) -> str:
    user, _ = staff.create_staff(
        bank,
        email=email,
        full_name="Olga Officer",
        role="compliance_officer",
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
    return secret


@pytest.mark.parametrize("width, height", [(1280, 800), (360, 740)])
def test_the_audit_log_fits_and_reads_as_cards(served, browser, width, height):
    url, bank = served
    ada = new_customer(bank, "Adelaide Montgomery-Fitzwilliam")
    customers.update_profile(
        bank,
        ada.user_id,
        phone="+44 7700 900123",
        address="Flat 12, Long Building Name\nA Very Long Street Name Indeed\nLondon SW1A 1AA",
        date_of_birth="1980-02-29",
    )
    postings.deposit(bank, ada.user_id, ada.account_id, amount="1234.56", memo="a" * 120)
    audit_trail.catch_up(bank)
    email = f"olga-{width}@bank.example"
    secret = officer(bank, email)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.goto(url + "/staff/audit")
    page.wait_for_load_state("load")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"staff-audit-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("table.audit-log")
    box = table.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    deposit = page.locator("table.audit-log tbody tr", has_text="Deposited").first
    assert "Adelaide Montgomery-Fitzwilliam" in deposit.inner_text()
    if width == 1280:
        for header in ("When", "Who", "What", "About", "Details"):
            cell = page.get_by_role("columnheader", name=header)
            cell_box = cell.bounding_box()
            assert cell_box is not None and cell_box["x"] + cell_box["width"] <= width, header
    else:
        # A card: one block per event, its header row hidden, at most a few lines tall.
        assert not page.locator("table.audit-log thead").is_visible() or (
            page.locator("table.audit-log thead").bounding_box()["height"] <= 1
        )
        card = deposit.bounding_box()
        assert card is not None and card["width"] <= width and card["height"] < 400
    page.goto(url + f"/staff/customers/{ada.user_id}")
    page.wait_for_load_state("load")
    page.screenshot(path=str(SHOTS / f"staff-customer-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
