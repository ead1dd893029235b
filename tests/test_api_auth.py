"""Users, tokens and the profile through the API: registration, bearer auth, /me."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flaskbank.domain.ledger import parse_utc_iso
from test_api_support import API, assert_problem, customer

NEW_USER = {
    "email": "grace@example.com",
    "full_name": "Grace Hopper",
    "password": "a long enough password",
}


def test_register_answers_the_user_without_the_password(client, app_bank):
    response = client.post(f"{API}/users", json=NEW_USER)
    assert response.status_code == 201
    body = response.json
    assert set(body) == {
        "id",
        "email",
        "full_name",
        "role",
        "created_at",
        "phone",
        "address",
        "date_of_birth",
    }
    assert body["email"] == "grace@example.com"
    assert body["role"] == "customer"
    assert response.headers["Location"].endswith("/api/v1/me")
    assert NEW_USER["password"] not in response.get_data(as_text=True)
    assert app_bank.store.users.find_user_by_email("grace@example.com") is not None


def test_register_ignores_a_requested_role(client):
    response = client.post(f"{API}/users", json={**NEW_USER, "role": "admin"})
    assert response.status_code == 201
    assert response.json["role"] == "customer"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": []}, "email"),
        ({"email": None}, "email"),
        ({"email": "gr\u0430ce@example.com"}, "email"),  # a Cyrillic а
        ({"full_name": "   "}, "full_name"),
        ({"full_name": 5}, "full_name"),
        ({"full_name": "x" * 101}, "full_name"),
        ({"full_name": "Grace \u202eHopper"}, "full_name"),  # a bidi override
        ({"full_name": "\x00\x01"}, "full_name"),
        ({"password": "short"}, "password"),
        ({"password": "aaaaaaaaaa"}, "password"),
        ({"password": "grace hopper"}, "password"),
        ({"password": {"a": 1}}, "password"),
        ({"password": "x" * 201}, "password"),
    ],
)
def test_register_refuses_bad_fields(client, change, field):
    assert_problem(client.post(f"{API}/users", json={**NEW_USER, **change}), 422, field)


def test_register_refuses_a_taken_email(client):
    assert client.post(f"{API}/users", json=NEW_USER).status_code == 201
    for email in ("GRACE@example.com", "\uff47race@example.com"):  # fullwidth ｇ
        again = {**NEW_USER, "email": email}
        assert_problem(client.post(f"{API}/users", json=again), 422, "email")


def test_token_for_good_credentials_opens_the_api(client, app_bank):
    alice = customer(client, app_bank)
    response = client.post(f"{API}/tokens", json={"email": alice.email, "password": alice.password})
    assert response.status_code == 201
    assert set(response.json) == {"token", "expires_at"}
    parse_utc_iso(response.json["expires_at"])
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200
    assert me.json["id"] == alice.user_id


@pytest.mark.parametrize(
    "credentials",
    [
        {"password": "wrong password!"},
        {"email": "nobody@example.com"},
    ],
)
def test_wrong_credentials_are_a_401_with_a_challenge(client, app_bank, credentials):
    alice = customer(client, app_bank)
    body = {"email": alice.email, "password": alice.password, **credentials}
    response = client.post(f"{API}/tokens", json=body)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "body", [{"email": "a@example.com"}, {"password": "x" * 12}, {"email": 1, "password": "x" * 12}]
)
def test_token_request_without_string_credentials_is_a_422(client, body):
    assert_problem(client.post(f"{API}/tokens", json=body), 422)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer " + "x" * 300,
        "Token abc",
    ],
)
def test_missing_or_bad_bearer_is_a_401(client, app_bank, authorization):
    customer(client, app_bank)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(f"{API}/me", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_is_case_insensitive(client, app_bank):
    alice = customer(client, app_bank)
    response = client.get(f"{API}/me", headers={"Authorization": f"bearer {alice.token}"})
    assert response.status_code == 200


def test_the_session_cookie_is_never_accepted(client, app_bank):
    alice = customer(client, app_bank)
    with client.session_transaction() as session:
        session["user_id"] = alice.user_id  # what a signed-in browser carries
    for response in (
        client.get(f"{API}/me"),
        client.get(f"{API}/accounts"),
        client.post(f"{API}/accounts/{alice.account_id}/deposits", json={"amount": "5.00"}),
    ):
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert alice.balance() == "0.00"


def test_revoked_token_is_a_401(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.delete("/tokens/current")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(alice.get("/me"), 401)
    assert_problem(alice.delete("/tokens/current"), 401)


def test_revoking_one_token_leaves_the_others(client, app_bank):
    alice = customer(client, app_bank)
    second = client.post(
        f"{API}/tokens", json={"email": alice.email, "password": alice.password}
    ).json["token"]
    assert alice.delete("/tokens/current").status_code == 204
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_expired_token_is_a_401(client, app_bank):
    alice = customer(client, app_bank)
    assert alice.get("/me").status_code == 200
    real_clock = app_bank.clock
    later = real_clock() + timedelta(seconds=app_bank.settings.token_ttl_seconds + 1)
    app_bank.clock = lambda: later
    try:
        response = alice.get("/me")
    finally:
        app_bank.clock = real_clock
    assert_problem(response, 401)
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_me_shows_the_profile(client, app_bank):
    alice = customer(client, app_bank, "Alice Liddell")
    response = alice.get("/me")
    assert response.status_code == 200
    assert response.json["full_name"] == "Alice Liddell"
    assert "password" not in response.get_data(as_text=True)
    assert "hash" not in response.get_data(as_text=True)


def test_patch_me_changes_name_and_email(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.patch(
        "/me",
        {
            "full_name": "  Alice   Pleasance ",
            "email": "al@example.com",
            "old_password": alice.password,
        },
    )
    assert response.status_code == 200
    assert response.json["full_name"] == "Alice Pleasance"
    assert response.json["email"] == "al@example.com"
    # A new email ends every token, this one too: the client signs in again.
    assert alice.get("/me").status_code == 401


def test_patch_me_with_an_empty_object_changes_nothing(client, app_bank):
    alice = customer(client, app_bank)
    before = alice.get("/me").json
    response = alice.patch("/me", {})
    assert response.status_code == 200
    assert response.json == before


def test_patch_me_refuses_a_taken_email(client, app_bank):
    alice, bob = customer(client, app_bank), customer(client, app_bank, "Bob Builder")
    assert_problem(
        alice.patch("/me", {"email": bob.email, "old_password": alice.password}), 422, "email"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": []}, "email"),
        ({"email": "nope"}, "email"),
        ({"full_name": 7}, "full_name"),
        ({"full_name": ""}, "full_name"),
        ({"old_password": 1, "new_password": "a brand new password"}, "old_password"),
        (
            {"old_password": "wrong password!", "new_password": "a brand new password"},
            "old_password",
        ),
        ({"new_password": "a brand new password"}, "old_password"),
        ({"new_password": ["x"]}, "new_password"),
    ],
)
def test_patch_me_refuses_bad_fields(client, app_bank, body, field):
    alice = customer(client, app_bank)
    assert_problem(alice.patch("/me", body), 422, field)


def test_patch_me_changes_the_password(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.patch(
        "/me", {"old_password": alice.password, "new_password": "a brand new password"}
    )
    assert response.status_code == 200
    assert response.json["id"] == alice.user_id
    old = client.post(f"{API}/tokens", json={"email": alice.email, "password": alice.password})
    assert_problem(old, 401)
    new = client.post(
        f"{API}/tokens", json={"email": alice.email, "password": "a brand new password"}
    )
    assert new.status_code == 201


def test_patch_me_refuses_a_short_new_password(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.patch("/me", {"old_password": alice.password, "new_password": "short"})
    assert_problem(response, 422, "new_password")


def test_password_change_is_its_own_request(client, app_bank):
    alice = customer(client, app_bank)
    response = alice.patch(
        "/me",
        {
            "old_password": alice.password,
            "full_name": "Someone Else",
            "new_password": "a brand new password",
        },
    )
    assert_problem(response, 422, "new_password")
    assert alice.get("/me").json["full_name"] == "Ada Lovelace"
