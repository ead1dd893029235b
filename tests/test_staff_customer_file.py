"""The staff customer view as a customer's file: personal details, every account's full
history and monthly statements, internal notes, and search by phone number, through the
pages and the staff API, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import at, new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.errors import StoreError
from flaskbank.domain.security import AuditAction
from flaskbank.services import customers, postings
from test_api_support import API, assert_problem
from test_staff_support import audit_lines, staff_client, staff_token, with_staff
from test_web_support import PERSONAL, Page


@pytest.fixture
def staff_app(app):
    return with_staff(app)


def _ada(bank, **details: str):
    who = new_customer(bank, "Ada Lovelace", deposit="100.00")
    customers.update_profile(bank, who.user_id, **{**PERSONAL, **details})
    return who


def test_the_customer_view_shows_details_history_and_statement_links(staff_app, app_bank):
    ada = _ada(app_bank)
    _, staff = staff_client(staff_app, app_bank, Role.COMPLIANCE_OFFICER)
    page = Page(staff.get(f"/staff/customers/{ada.user_id}"))
    assert page.status == 200
    assert "+447700900123" in page.text and "1990-05-17" in page.text
    assert "London SW1A 1AA" in page.text
    history = f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/history"
    assert page.find("a", href=history)
    month = app_bank.now()[:7]
    statement = f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/statements/{month}"
    assert page.link(month) == statement
    shown = Page(staff.get(statement))
    assert shown.status == 200
    assert [r["Amount"] for r in shown.rows()] == ["+100.00 USD"]
    assert "Opening balance" in shown.text
    assert staff.get(statement.replace(month, "1999-01")).status_code == 404


def test_an_old_customer_without_details_reads_as_not_given(staff_app, app_bank):
    ada = new_customer(app_bank)
    _, staff = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    page = Page(staff.get(f"/staff/customers/{ada.user_id}"))
    assert page.status == 200 and page.text.count("Not given") == 3


def test_staff_page_through_the_whole_history_both_ways(staff_app, app_bank):
    ada = new_customer(app_bank, opened=datetime(2025, 1, 1, tzinfo=UTC))
    for day in range(1, 31):
        with at(app_bank, datetime(2025, 1, day, 12, tzinfo=UTC)):
            postings.deposit(app_bank, ada.user_id, ada.account_id, amount=f"{day}.00")
    _, staff = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    base = f"/staff/customers/{ada.user_id}/accounts/{ada.account_id}/history"
    first = Page(staff.get(base))
    assert first.status == 200
    assert [r["Amount"] for r in first.rows()][:2] == ["+30.00 USD", "+29.00 USD"]
    assert len(first.rows()) == 25
    older = first.link("Older")
    assert older is not None
    second = Page(staff.get(older))
    assert [r["Amount"] for r in second.rows()] == [f"+{d}.00 USD" for d in range(5, 0, -1)]
    newer = second.link("Newer")
    assert newer is not None
    assert Page(staff.get(newer)).rows() == first.rows()
    filtered = Page(staff.get(base + "?since=2025-01-10&until=2025-01-11"))
    assert [r["Amount"] for r in filtered.rows()] == ["+11.00 USD", "+10.00 USD"]
    assert filtered.value("since") == "2025-01-10"
    bad = Page(staff.get(base + "?since=yesterday"))
    assert bad.status == 422 and bad.error("since")
    months = Page(staff.get(f"/staff/customers/{ada.user_id}"))
    assert months.link("2025-01") and months.link(app_bank.now()[:7])
    viewed = [e for e in audit_lines(app_bank) if e.action is AuditAction.CUSTOMER_VIEWED]
    assert any(e.details.get("history") == ada.account_number for e in viewed)


def test_another_customers_account_is_a_404_on_the_staff_pages(staff_app, app_bank):
    ada, bob = new_customer(app_bank), new_customer(app_bank, "Bob Byte")
    _, staff = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    assert (
        staff.get(f"/staff/customers/{ada.user_id}/accounts/{bob.account_id}/history").status_code
        == 404
    )
    month = app_bank.now()[:7]
    path = f"/staff/customers/{ada.user_id}/accounts/{bob.account_id}/statements/{month}"
    assert staff.get(path).status_code == 404


@pytest.mark.parametrize(
    "typed, found",
    [
        ("+44 7700 900123", True),
        ("900123", True),
        ("07700 900123", True),  # the national form: the trunk 0 is dropped
        ("447700900123", True),
        ("00123", False),  # too few digits to be a phone number
        ("+44 7700 900124", False),
    ],
)
def test_search_finds_a_customer_by_phone_number(staff_app, app_bank, typed, found):
    ada = _ada(app_bank)
    new_customer(app_bank, "Bob Byte")
    _, staff = staff_client(staff_app, app_bank, Role.FINANCIAL_MANAGER)
    page = Page(staff.get("/staff/customers", query_string={"q": typed}))
    assert page.status == 200
    assert bool(page.find("a", href=f"/staff/customers/{ada.user_id}")) is found


def test_a_changed_phone_number_is_found_by_its_new_digits_only(bank):
    from flaskbank.services.staff import search_customers
    from test_staff_support import CLI, make_staff

    ada = _ada(bank)
    officer = make_staff(bank, Role.COMPLIANCE_OFFICER)
    customers.update_profile(bank, ada.user_id, phone="+1 202 555 0143")
    assert [u.id for u in search_customers(bank, officer, "555 0143", CLI)] == [ada.user_id]
    assert search_customers(bank, officer, "7700900123", CLI) == []


def test_staff_add_notes_that_only_staff_see(staff_app, app_bank, client):
    ada = _ada(app_bank)
    user, staff = staff_client(staff_app, app_bank, Role.FRAUD_ANALYST)
    path = f"/staff/customers/{ada.user_id}"
    assert (
        staff.post(path + "/notes", data={"text": "Called in; sounded unsure."}).status_code == 302
    )
    assert staff.post(path + "/notes", data={"text": "Sent ID\nby post"}).status_code == 302
    page = Page(staff.get(path))
    text = page.text
    assert text.index("Sent ID by post") < text.index("Called in; sounded unsure.")
    assert user.email in text
    refused = staff.post(path + "/notes", data={"text": "   "}, follow_redirects=True)
    assert "write the note" in Page(refused).text
    assert len(app_bank.store.notes.notes_of(ada.user_id, limit=10)) == 2
    lines = [e for e in audit_lines(app_bank) if e.action is AuditAction.NOTE_ADDED]
    assert [(e.target, e.actor_email, e.details["note"]) for e in lines] == [
        (ada.user_id, user.email, "Sent ID\nby post"),
        (ada.user_id, user.email, "Called in; sounded unsure."),
    ]
    # Nothing of the notes reaches the customer.
    token = client.post(f"{API}/tokens", json={"email": ada.email, "password": ada.password})
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token.json['token']}"})
    assert "unsure" not in me.get_data(as_text=True)
    assert staff.post("/staff/customers/nobody/notes", data={"text": "x"}).status_code == 404


def test_notes_through_the_staff_api(staff_app, app_bank):
    ada = _ada(app_bank)
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    headers = {"Authorization": f"Bearer {token}"}
    c = staff_app.test_client()
    made = c.post(
        f"{API}/staff/customers/{ada.user_id}/notes", json={"text": "KYC ok"}, headers=headers
    )
    assert made.status_code == 201 and made.json["text"] == "KYC ok"
    listed = c.get(f"{API}/staff/customers/{ada.user_id}/notes", headers=headers)
    assert [n["text"] for n in listed.json["items"]] == ["KYC ok"]
    view = c.get(f"{API}/staff/customers/{ada.user_id}", headers=headers).json
    assert view["user"]["phone"] == "+447700900123"
    assert [n["text"] for n in view["notes"]] == ["KYC ok"]
    assert view["statement_months"][ada.account_id][0] == app_bank.now()[:7]
    assert_problem(
        c.post(
            f"{API}/staff/customers/{ada.user_id}/notes", json={"text": "x" * 2001}, headers=headers
        ),
        422,
        "text",
    )
    assert c.get(f"{API}/staff/customers/nobody/notes", headers=headers).status_code == 404
    history = c.get(
        f"{API}/staff/customers/{ada.user_id}/accounts/{ada.account_id}/transactions",
        headers=headers,
    )
    assert [e["amount"] for e in history.json["items"]] == ["100.00"]
    month = app_bank.now()[:7]
    statement = c.get(
        f"{API}/staff/customers/{ada.user_id}/accounts/{ada.account_id}/statements/{month}",
        headers=headers,
    )
    assert statement.status_code == 200 and statement.json["closing_balance"] == "100.00"


def test_notes_are_append_only_in_the_store(bank):
    from flaskbank.services import notes
    from test_staff_support import CLI, make_staff

    ada = _ada(bank)
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    note = notes.add_note(bank, analyst, ada.user_id, "first", CLI)
    assert not hasattr(bank.store.notes, "remove_note")
    assert not hasattr(bank.store.notes, "update_note")
    with pytest.raises(StoreError):
        bank.store.notes.add_note(note)
    assert [n.text for n in bank.store.notes.notes_of(ada.user_id, limit=5)] == ["first"]
