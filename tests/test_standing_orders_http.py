"""Standing orders through the JSON API and the browser: set one up, list it, see a run's
outcome (a failed one too), cancel it; another customer's order is not found."""

from __future__ import annotations

from click.testing import CliRunner

from conftest import store_url
from flaskbank.cli import main
from flaskbank.services import standing_orders
from test_api_support import PROBLEM, customer
from test_web_support import Page, customer_client


def today_day(bank) -> str:
    return str(min(int(bank.now()[8:10]), 28))


def test_the_api_sets_up_lists_shows_runs_and_cancels(client, app_bank, store, tmp_path):
    ada = customer(client, app_bank, deposit="30.00")
    bob = customer(client, app_bank, "Bob Stone")
    body = {
        "from_account_id": ada.account_id,
        "to_account_number": bob.account_number,
        "amount": "50.00",
        "day_of_month": today_day(app_bank),
        "memo": "rent",
    }
    created = ada.post("/standing-orders", body)
    assert created.status_code == 201, created.json
    order = created.json
    assert order["status"] == "active" and order["amount"] == "50.00"
    assert created.headers["Location"].endswith(f"/standing-orders/{order['id']}")
    assert [o["id"] for o in ada.get("/standing-orders").json["items"]] == [order["id"]]
    for day in ("31", 5):  # past the 28th; a JSON number (every field is text)
        bad = ada.post("/standing-orders", {**body, "day_of_month": day})
        assert bad.status_code == 422 and bad.headers["Content-Type"] == PROBLEM
        assert "day_of_month" in bad.json["errors"]
    if order["next_run"] == app_bank.now()[:10]:  # due today: the worker runs it now
        env = {"FLASKBANK_STORE": store_url(store), "FLASKBANK_DATA_DIR": str(tmp_path)}
        ran = CliRunner().invoke(main, ["worker", "--once"], env=env)
        assert ran.exit_code == 0 and "standing-orders: 1" in ran.output
        shown = ada.get(f"/standing-orders/{order['id']}").json
        assert shown["runs"][0]["outcome"] == "failed"  # 30.00 cannot pay 50.00
        assert "insufficient funds" in shown["runs"][0]["detail"]
        assert shown["last_outcome"].startswith("failed")
    assert bob.get(f"/standing-orders/{order['id']}").status_code == 404
    assert bob.post(f"/standing-orders/{order['id']}/cancel", {}).status_code == 404
    cancelled = ada.post(f"/standing-orders/{order['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["next_run"] is None


def test_the_browser_sets_up_and_cancels_a_standing_order(app, app_bank):
    ada, browser = customer_client(app, app_bank, deposit="100.00")
    bob, _ = customer_client(app, app_bank, "Bob Stone")
    page = Page(browser.get("/standing-orders"))
    assert page.status == 200 and "No standing orders yet" in page.text
    refused = Page(
        browser.post(
            "/standing-orders",
            data={
                "from_account": ada.account_id,
                "to_account_number": "1234",
                "amount": "50.00",
                "day_of_month": "1",
            },
        )
    )
    assert refused.status == 422 and "not a valid account number" in refused.error(
        "to_account_number"
    )
    done = browser.post(
        "/standing-orders",
        data={
            "from_account": ada.account_id,
            "to_account_number": bob.account_number,
            "amount": "50.00",
            "day_of_month": "1",
            "memo": "rent",
        },
    )
    assert done.status_code == 302
    page = Page(browser.get("/standing-orders"))
    assert "Standing order set up" in " ".join(page.flashes)
    [row] = page.rows()
    assert row["Amount"] == "50.00" and "day 1 of each month" in row["When"]
    [form] = [f for f in page.find("form") if "/cancel" in f.attrs.get("action", "")]
    assert browser.post(form.attrs["action"]).status_code == 302
    [order] = standing_orders.orders_of(app_bank, ada.user_id)
    assert order.status.value == "cancelled"
    assert "Cancelled" in Page(browser.get("/standing-orders")).rows()[0]["Status"]
