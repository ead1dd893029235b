"""Holds through the JSON API, customer and staff: available_balance, 202 for a transfer
that waits for review, the holds of an account, cancelling, staff placing, releasing and
voiding (audited), 409 for the second resolution, 404 for another's account."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from test_api_support import API, PROBLEM, customer
from test_staff_support import audit_lines, staff_token, with_staff


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def reviewing(app_bank):
    app_bank.settings = replace(app_bank.settings, review_threshold=Decimal("500.00"))
    return app_bank


def staff_post(client, token, path, body=None):
    return client.post(
        f"{API}/staff{path}", json=body or {}, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_large_transfer_answers_202_with_its_hold_and_moves_nothing(client, reviewing):
    ada = customer(client, reviewing, deposit="900.00")
    bob = customer(client, reviewing, "Bob Stone")
    response = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "amount": "600.00",
            "to_account_number": bob.account_number,
        },
        key="t-1",
    )
    assert response.status_code == 202, response.json
    body = response.json
    assert body["status"] == "pending" and body["hold_id"] == body["hold"]["id"]
    assert body["hold"]["kind"] == "pending_transfer" and body["hold"]["amount"] == "600.00"
    # The sender sees the recipient masked, here as everywhere.
    assert body["hold"]["transfer"]["to"] == f"Bob S. · •••• {bob.account_number[-4:]}"
    assert response.headers["Location"].endswith(
        f"/accounts/{ada.account_id}/holds/{body['hold_id']}"
    )
    account = ada.get(f"/accounts/{ada.account_id}").json
    assert (account["balance"], account["available_balance"]) == ("900.00", "300.00")
    assert bob.balance() == "0.00"
    again = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "amount": "600.00",
            "to_account_number": bob.account_number,
        },
        key="t-1",
    )
    assert again.status_code == 202 and again.json["hold_id"] == body["hold_id"]
    listed = ada.get(f"/accounts/{ada.account_id}/holds?status=open").json["items"]
    assert [h["id"] for h in listed] == [body["hold_id"]]
    assert ada.get(f"/accounts/{ada.account_id}/holds/{body['hold_id']}").json == body["hold"]
    small = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "amount": "10.00",
            "to_account_number": bob.account_number,
        },
    )
    assert small.status_code == 201


def test_the_customer_cancels_a_pending_transfer_once(client, reviewing):
    ada = customer(client, reviewing, deposit="900.00")
    bob = customer(client, reviewing, "Bob Stone")
    hold_id = ada.post(
        "/transfers",
        {"from_account_id": ada.account_id, "amount": "700.00", "to_email": bob.email},
    ).json["hold_id"]
    cancelled = ada.post(f"/accounts/{ada.account_id}/holds/{hold_id}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "voided"
    assert ada.get(f"/accounts/{ada.account_id}").json["available_balance"] == "900.00"
    twice = ada.post(f"/accounts/{ada.account_id}/holds/{hold_id}/cancel", {})
    assert twice.status_code == 409 and twice.headers["Content-Type"] == PROBLEM
    assert ada.get(f"/accounts/{ada.account_id}/holds?status=open").json["items"] == []


def test_another_customers_holds_are_not_found(client, reviewing):
    ada = customer(client, reviewing, deposit="900.00")
    eve = customer(client, reviewing, "Eve Other")
    hold_id = ada.post(
        "/transfers",
        {"from_account_id": ada.account_id, "amount": "600.00", "to_email": eve.email},
    ).json["hold_id"]
    assert eve.get(f"/accounts/{ada.account_id}/holds").status_code == 404
    assert eve.get(f"/accounts/{ada.account_id}/holds/{hold_id}").status_code == 404
    assert eve.post(f"/accounts/{ada.account_id}/holds/{hold_id}/cancel", {}).status_code == 404
    assert ada.get(f"/accounts/{ada.account_id}/holds/nope").status_code == 404
    assert ada.get(f"/accounts/{ada.account_id}/holds?status=closed").status_code == 422


def test_staff_release_a_pending_transfer_and_the_second_decision_is_a_409(client, reviewing):
    ada = customer(client, reviewing, deposit="900.00")
    bob = customer(client, reviewing, "Bob Stone")
    hold_id = ada.post(
        "/transfers",
        {
            "from_account_id": ada.account_id,
            "amount": "600.00",
            "to_account_number": bob.account_number,
        },
    ).json["hold_id"]
    analyst, token = staff_token(reviewing, "fraud_analyst")
    path = f"/accounts/{ada.account_id}/holds/{hold_id}"
    released = staff_post(client, token, f"{path}/release")
    assert released.status_code == 200, released.json
    assert released.json["status"] == "released" and released.json["transaction_id"]
    assert bob.balance() == "600.00" and ada.balance() == "300.00"
    [line] = [e for e in bob.history() if e["id"] == released.json["transaction_id"]]
    assert line["amount"] == "600.00"
    voided = staff_post(client, token, f"{path}/void")
    assert voided.status_code == 409 and voided.headers["Content-Type"] == PROBLEM
    lines = [e for e in audit_lines(reviewing) if e.action.value == "hold_released"]
    assert lines and lines[0].actor_id == analyst.id and lines[0].details["hold"] == hold_id


def test_staff_place_and_lift_a_hold_and_a_manager_may_not(client, app_bank):
    ada = customer(client, app_bank, deposit="100.00")
    _, token = staff_token(app_bank, "fraud_analyst")
    placed = staff_post(
        client,
        token,
        f"/accounts/{ada.account_id}/holds",
        {"amount": "80.00", "reason": "court order 12/3", "expires_at": "2999-01-01T00:00:00Z"},
    )
    assert placed.status_code == 201, placed.json
    assert placed.json["kind"] == "staff" and placed.json["expires_at"].startswith("2999-01-01")
    withdraw = ada.post(f"/accounts/{ada.account_id}/withdrawals", {"amount": "20.01"})
    assert withdraw.status_code == 422 and "available balance is 20.00" in withdraw.json["detail"]
    too_much = staff_post(
        client, token, f"/accounts/{ada.account_id}/holds", {"amount": "20.01", "reason": "x"}
    )
    assert too_much.status_code == 422 and too_much.json["errors"] == {
        "amount": too_much.json["detail"]
    }
    for when in ("soon", "9999-12-31T23:59:59-14:00", "2000-01-01T00:00:00Z"):
        bad = staff_post(
            client,
            token,
            f"/accounts/{ada.account_id}/holds",
            {"amount": "1.00", "reason": "x", "expires_at": when},
        )
        assert bad.status_code == 422 and "expires_at" in bad.json["errors"], when
    no_reason = staff_post(
        client, token, f"/accounts/{ada.account_id}/holds", {"amount": "1.00", "reason": " "}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    _, manager = staff_token(app_bank, "financial_manager")
    refused = staff_post(
        client, manager, f"/accounts/{ada.account_id}/holds", {"amount": "1.00", "reason": "x"}
    )
    assert refused.status_code == 403
    lifted = staff_post(
        client, token, f"/accounts/{ada.account_id}/holds/{placed.json['id']}/release"
    )
    assert lifted.status_code == 200 and lifted.json["status"] == "released"
    assert ada.get(f"/accounts/{ada.account_id}").json["available_balance"] == "100.00"
    seen = client.get(
        f"{API}/staff/accounts/{ada.account_id}/holds",
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert seen.status_code == 200 and [h["status"] for h in seen.json["items"]] == ["released"]
