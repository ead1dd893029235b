"""Transaction volume and customer activity over HTTP, on both stores: the staff API's
further tables and filter, and the page's chart."""

from __future__ import annotations

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from test_staff_support import IP, staff_client, staff_token, with_staff


def test_volume_counts_a_transfer_once_and_filters_by_type(app, app_bank, client):
    ada = new_customer(app_bank, "Ada Lovelace", deposit="120.50")
    bob = new_customer(app_bank, "Bob Babbage", deposit="10.00")
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="20.25")
    postings.transfer(
        app_bank, ada.user_id, ada.account_id, amount="5.05", to_account_number=bob.account_number
    )
    feed.sync(app_bank.store, app.extensions["warehouse"])
    today = app_bank.now()[:10]
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)

    def get(**query):  # type: ignore[no-untyped-def]
        return client.get(
            "/api/v1/staff/reports/transaction_volume",
            query_string={"from": today, "to": today, "period": "day", **query},
            headers={"Authorization": f"Bearer {token}"},
            environ_base={"REMOTE_ADDR": IP},
        )

    body = get().get_json()
    assert [(r["type"], r["transactions"], r["amount"]) for r in body["rows"]] == [
        ("deposit", "2", "130.50"),
        ("withdrawal", "1", "20.25"),
        ("transfer", "1", "5.05"),
    ]
    assert set(body["tables"]) == {"by_hour", "by_weekday"}
    assert len(body["tables"]["by_hour"]["rows"]) == 24 * 3
    assert body["tables"]["by_weekday"]["rows"][0]["weekday"] == "Monday"
    only = get(type="transfer").get_json()
    assert only["params"]["type"] == "transfer"
    assert [(r["type"], r["amount"]) for r in only["rows"]] == [("transfer", "5.05")]
    assert get(type="fee").status_code == 422


def test_the_activity_page_draws_active_customers(app, app_bank):
    new_customer(app_bank, "Ada Lovelace", deposit="1.00")
    feed.sync(app_bank.store, app.extensions["warehouse"])
    today = app_bank.now()[:10]
    _, browser = staff_client(with_staff(app), app_bank, Role.COMPLIANCE_OFFICER)
    page = browser.get(f"/staff/reports/customer_activity?from={today}&to={today}&period=day")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Never active" in html and "<svg" in html and "<script" not in html
