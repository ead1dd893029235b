"""Digits that are not ASCII: Python's `\\d`, `isdigit()`, `int()` and `date.fromisoformat`
read more than 0-9 (fullwidth ２, Arabic-Indic ٢, superscript ², a trailing newline). Each
such input is refused like any other malformed one, naming the field; none is a 500 and none
is read as the ASCII number it looks like."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from conftest import at, new_customer
from flaskbank.services import postings
from input_matrix import matrix
from test_api_support import API, assert_problem, customer
from test_security_support import advance, enrol, log_in, signed_in_page, totp
from test_web_support import Page, balance, customer_client, sign_in, token_of

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# A year in other digits with an ASCII month passed `\d{4}`; the whole month in them did not.
BAD_MONTHS = [
    "2025".translate(FULLWIDTH) + "-02",
    "2025".translate(ARABIC_INDIC) + "-02",
    "۲۰۲۵-02",
    "2025-02\n",
    "2025-02".translate(FULLWIDTH),
    "2025-0２",
    "2025-2",
    " 2025-02",
]
BAD_DAYS = [
    "2025-02-14".translate(FULLWIDTH),
    "2025-02-14".translate(ARABIC_INDIC),
    "2025-02-14\n",
    "20250214",
    "2025-W07-5",
    "2025-02-1４",
]
BAD_LIMITS = ["3".translate(ARABIC_INDIC), "３", "²", "1_0", " 3", "3\n", "+3", "0x3"]


def _with_february(client, app_bank):
    alice = customer(client, app_bank, opened=datetime(2025, 2, 1, tzinfo=UTC))
    with at(app_bank, datetime(2025, 2, 14, tzinfo=UTC)):
        postings.deposit(app_bank, alice.user_id, alice.account_id, amount="12.34")
    return alice


# -- statements ----------------------------------------------------------------------------


@pytest.mark.parametrize(("store_kind", "month", "fmt"), matrix(BAD_MONTHS, ["json", "csv"]))
def test_api_statement_month_in_other_digits_is_refused(client, app_bank, month, fmt):
    alice = _with_february(client, app_bank)
    response = client.get(
        f"{API}/accounts/{alice.account_id}/statements/{quote(month)}",
        query_string={"format": fmt},
        headers=alice.headers(),
    )
    assert_problem(response, 422, "month")


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_web_statement_month_in_other_digits_is_refused(app, app_bank, month):
    ada, client = customer_client(app, app_bank, deposit="1.00")
    page = Page(client.get(f"/accounts/{ada.account_id}/statement", query_string={"month": month}))
    assert page.status == 422 and "2026-01" in page.error("month")
    download = client.get(
        f"/accounts/{ada.account_id}/statement.csv", query_string={"month": month}
    )
    assert download.status_code == 422 and download.mimetype == "text/html"
    assert "month" in Page(download).text


def test_the_ascii_month_still_works(client, app_bank):
    alice = _with_february(client, app_bank)
    response = alice.get(f"/accounts/{alice.account_id}/statements/2025-02?format=csv")
    assert response.status_code == 200 and "12.34" in response.get_data(as_text=True)


# -- history filters -----------------------------------------------------------------------


@pytest.mark.parametrize("limit", BAD_LIMITS)
def test_api_history_limit_must_be_ascii_digits(client, app_bank, limit):
    alice = _with_february(client, app_bank)
    response = alice.get(
        f"/accounts/{alice.account_id}/transactions", query_string={"limit": limit}
    )
    assert_problem(response, 422, "limit")


@pytest.mark.parametrize(("store_kind", "day", "field"), matrix(BAD_DAYS, ["since", "until"]))
def test_api_history_days_must_be_ascii_dates(client, app_bank, field, day):
    alice = _with_february(client, app_bank)
    response = alice.get(f"/accounts/{alice.account_id}/transactions", query_string={field: day})
    assert_problem(response, 422, field)


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("day", BAD_DAYS[:3])
def test_web_history_days_must_be_ascii_dates(app, app_bank, field, day):
    ada, client = customer_client(app, app_bank, deposit="1.00")
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string={field: day}))
    assert page.status == 422 and "2026-01-31" in page.error(field)


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Cursors we never issue: other digits, and shapes that would otherwise reach the store
# (deep nesting, a sort key longer than DynamoDB allows).
FOREIGN_CURSORS = [
    _cursor('"' + "2025-02-14T00:00:00.000000Z#000000000001".translate(FULLWIDTH) + '"'),
    _cursor("３"),
    _cursor("1".translate(ARABIC_INDIC)),
    "３４",
    "ab\n",
    _cursor("[" * 5000),
    _cursor('"2025-02-14T00:00:00.000000Z#' + "x" * 2000 + '"'),
]


@pytest.mark.parametrize("cursor", FOREIGN_CURSORS)
def test_api_history_cursor_in_other_digits_is_refused(client, app_bank, cursor):
    alice = _with_february(client, app_bank)
    response = alice.get(
        f"/accounts/{alice.account_id}/transactions", query_string={"cursor": cursor}
    )
    assert_problem(response, 422, "cursor")


@pytest.mark.parametrize("cursor", FOREIGN_CURSORS[:3])
def test_web_history_cursor_in_other_digits_is_refused(app, app_bank, cursor):
    ada, client = customer_client(app, app_bank, deposit="1.00")
    page = Page(client.get(f"/accounts/{ada.account_id}/history", query_string={"cursor": cursor}))
    assert page.status == 422 and "cursor" in " ".join(page.form_errors)


# -- transfers by account number ------------------------------------------------------------


def _look_alikes(number: str) -> list[str]:
    return [
        number.translate(SUPERSCRIPT),
        number.translate(FULLWIDTH),
        number.translate(ARABIC_INDIC),
        number[:-1] + "²",
        number + "\n",
    ]


def test_api_transfer_to_a_number_in_other_digits_is_refused(client, app_bank):
    alice = customer(client, app_bank, deposit="50.00")
    bob = new_customer(app_bank, "Bob Builder")
    for number in _look_alikes(bob.account_number):
        response = alice.post(
            "/transfers",
            {"from_account_id": alice.account_id, "to_account_number": number, "amount": "1.00"},
        )
        assert_problem(response, 422, "to_account_number")
    assert alice.balance() == "50.00" and balance(app_bank, bob) == "0.00"


def test_web_transfer_to_a_number_in_other_digits_is_refused(app, app_bank):
    ada, client = customer_client(app, app_bank, deposit="50.00")
    bob = new_customer(app_bank, "Bob Builder")
    for number in _look_alikes(bob.account_number):
        page = Page(
            client.post(
                "/transfer",
                data={
                    "from_account": ada.account_id,
                    "to_account_number": number,
                    "amount": "1.00",
                    "token": token_of(client, "/transfer"),
                },
            )
        )
        assert page.status == 422 and "account number" in page.error("to_account_number")
    assert balance(app_bank, ada) == "50.00" and balance(app_bank, bob) == "0.00"


# -- one-time codes ------------------------------------------------------------------------


def _other_digits(code: str) -> list[str]:
    return [code.translate(FULLWIDTH), code.translate(ARABIC_INDIC), code.translate(SUPERSCRIPT)]


def test_api_token_with_the_code_in_other_digits_is_refused(client, app_bank):
    ada = new_customer(app_bank)
    secret, _ = enrol(app_bank, ada.user_id)
    advance(app_bank, seconds=30)
    for code in _other_digits(totp(secret, app_bank)):
        response = client.post(
            f"{API}/tokens", json={"email": ada.email, "password": ada.password, "otp": code}
        )
        assert_problem(response, 401, "otp")
    response = client.post(
        f"{API}/tokens",
        json={"email": ada.email, "password": ada.password, "otp": totp(secret, app_bank)},
    )
    assert response.status_code == 201


def test_web_login_code_in_other_digits_is_refused(client, app_bank):
    ada = new_customer(app_bank)
    secret, _ = enrol(app_bank, ada.user_id)
    advance(app_bank, seconds=30)
    log_in(client, ada.email, ada.password)
    for code in _other_digits(totp(secret, app_bank)):
        page = Page(client.post("/login/code", data={"otp": code}))
        assert page.status == 401 and "not valid" in page.error("otp")
        assert not signed_in_page(client)
    assert client.post("/login/code", data={"otp": totp(secret, app_bank)}).status_code == 302


def test_web_enrolment_code_in_other_digits_is_refused(client, app_bank):
    ada = new_customer(app_bank)
    sign_in(client, ada)
    page = Page(client.get("/profile/two-factor"))
    secret = page.find("code", class_="secret")[0].text.replace(" ", "")
    for code in _other_digits(totp(secret, app_bank)):
        page = Page(client.post("/profile/two-factor", data={"code": code}))
        assert page.status == 422 and "does not match" in page.error("code")
    assert not app_bank.store.users.get_user(ada.user_id).has_two_factor
