"""A customer's personal details: phone, postal address and date of birth, collected at
registration, edited on the profile page and through the API, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role, User
from flaskbank.domain.personal import postal_lines
from flaskbank.services import customers
from test_api_support import API, assert_problem, customer
from test_web_support import PERSONAL, Page, customer_client

REGISTRATION = {
    "email": "grace@example.com",
    "full_name": "Grace Hopper",
    "password": "a long enough password",
    **PERSONAL,
}


def test_registration_keeps_the_details_in_their_clean_form(client, app_bank):
    response = client.post(
        "/register",
        data={
            **REGISTRATION,
            "phone": " 0044 (7700) 900-123 ",
            "address": "  1 High  Street \r\n\r\nLondon SW1A 1AA\nUnited Kingdom  ",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = app_bank.store.users.find_user_by_email("grace@example.com")
    assert user is not None
    assert user.phone == "+447700900123"
    assert user.address == "1 High Street\nLondon SW1A 1AA\nUnited Kingdom"
    assert user.date_of_birth == "1990-05-17"
    assert postal_lines(user) == [
        "Grace Hopper",
        "1 High Street",
        "London SW1A 1AA",
        "United Kingdom",
    ]


def _years_ago(years: int, days: int = 0) -> str:
    from datetime import timedelta

    today = datetime.now(UTC).date()
    return (today.replace(year=today.year - years) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"phone": ""}, "phone", "enter your phone number"),
        ({"phone": "07700 900123"}, "phone", "international form"),
        ({"phone": "+44 7700 9OO123"}, "phone", "international form"),
        ({"phone": "+0 123 456 789"}, "phone", "international form"),
        ({"phone": "+1234"}, "phone", "international form"),
        ({"address": " \n "}, "address", "enter your postal address"),
        ({"address": "\n".join(["line"] * 7)}, "address", "at most 6 lines"),
        ({"address": "1 High Street\u202e"}, "address", "visible characters"),
        ({"date_of_birth": ""}, "date_of_birth", "enter your date of birth"),
        ({"date_of_birth": "17/05/1990"}, "date_of_birth", "YYYY-MM-DD"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth", "does not exist"),
        ({"date_of_birth": "２０００-01-01"}, "date_of_birth", "YYYY-MM-DD"),
        ({"date_of_birth": _years_ago(-1)}, "date_of_birth", "in the past"),
        ({"date_of_birth": _years_ago(18, days=1)}, "date_of_birth", "at least 18"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "check the year"),
    ],
)
def test_the_form_refuses_bad_details_and_registers_nobody(
    client, app_bank, changes, field, message
):
    page = Page(client.post("/register", data={**REGISTRATION, **changes}))
    assert page.status == 422
    assert message in page.error(field)
    assert app_bank.store.users.find_user_by_email("grace@example.com") is None
    assert page.value("email") == "grace@example.com"  # what was typed stays


def test_an_eighteenth_birthday_today_is_old_enough(client, app_bank):
    response = client.post("/register", data={**REGISTRATION, "date_of_birth": _years_ago(18)})
    assert response.status_code == 302


def test_the_api_registers_with_or_without_details(client, app_bank):
    bare = client.post(
        f"{API}/users",
        json={"email": "ada@example.com", "full_name": "Ada L", "password": "a long password!"},
    )
    assert bare.status_code == 201
    assert (bare.json["phone"], bare.json["address"], bare.json["date_of_birth"]) == ("", "", "")
    full = client.post(
        f"{API}/users",
        json={
            "email": "bea@example.com",
            "full_name": "Bea M",
            "password": "a long password!",
            "phone": "+1 (202) 555-0143",
            "address": "1600 Pennsylvania Ave\nWashington DC 20500",
            "date_of_birth": "1970-01-31",
        },
    )
    assert full.status_code == 201
    assert full.json["phone"] == "+12025550143"
    assert full.json["address"] == "1600 Pennsylvania Ave\nWashington DC 20500"
    assert full.json["date_of_birth"] == "1970-01-31"


@pytest.mark.parametrize(
    "field, value", [("phone", "555-0143"), ("date_of_birth", "tomorrow"), ("address", 12)]
)
def test_the_api_names_a_bad_detail_and_registers_nobody(client, app_bank, field, value):
    response = client.post(
        f"{API}/users",
        json={
            "email": "cat@example.com",
            "full_name": "Cat N",
            "password": "a long password!",
            field: value,
        },
    )
    assert_problem(response, 422, field)
    assert app_bank.store.users.find_user_by_email("cat@example.com") is None


def test_a_customer_edits_the_details_on_the_profile_page(app, app_bank):
    who, client = customer_client(app, app_bank)
    page = Page(client.get("/profile"))
    assert page.value("phone") == ""  # registered before the bank asked
    # Someone who never gave the details can still change just their name.
    response = client.post("/profile", data={"full_name": "Ada King", "email": who.email})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(
        "/profile", data={"full_name": "Ada King", "email": who.email, **PERSONAL}
    )
    assert response.status_code == 302
    user = app_bank.store.users.get_user(who.user_id)
    assert user is not None and user.full_name == "Ada King"
    assert (user.phone, user.date_of_birth) == ("+447700900123", "1990-05-17")
    page = Page(client.get("/profile"))
    assert page.value("phone") == "+447700900123"
    assert page.value("date_of_birth") == "1990-05-17"
    assert "London SW1A 1AA" in page.html
    # Once given, a detail is changed, never blanked.
    blank = Page(
        client.post(
            "/profile", data={"full_name": "Ada King", "email": who.email, **PERSONAL, "phone": ""}
        )
    )
    assert blank.status == 422 and "enter your phone number" in blank.error("phone")
    user = app_bank.store.users.get_user(who.user_id)
    assert user is not None and user.phone == "+447700900123"


def test_the_api_changes_a_detail_and_refuses_a_blank_one(client, app_bank):
    ada = customer(client, app_bank)
    response = ada.patch("/me", {"phone": "+33 1 23 45 67 89", "date_of_birth": "1980-12-01"})
    assert response.status_code == 200, response.json
    assert response.json["phone"] == "+33123456789"
    assert response.json["date_of_birth"] == "1980-12-01"
    assert_problem(ada.patch("/me", {"address": ""}), 422, "address")
    assert_problem(
        ada.patch("/me", {"phone": "+44 7700 900123", "new_password": "x" * 12}),
        422,
        "new_password",
    )
    assert ada.get("/me").json["phone"] == "+33123456789"


def test_a_profile_change_is_on_the_feed_without_the_details_themselves(bank):
    who = new_customer(bank)
    customers.update_profile(bank, who.user_id, **PERSONAL)
    events = bank.store.events.read(after=None, limit=100).events
    changed = [e for e in events if e.kind == "profile_changed"]
    assert [dict(e.payload) for e in changed] == [
        {"details": ["phone", "address", "date_of_birth"]}
    ]


def test_postal_lines_of_a_customer_without_an_address_is_their_name():
    user = User("u", "a@example.com", "Ada Lovelace", "h", Role.CUSTOMER, "2026-01-01T00:00:00Z")
    assert postal_lines(user) == ["Ada Lovelace"]
