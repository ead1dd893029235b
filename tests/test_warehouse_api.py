"""The deposit growth report over HTTP: the staff API (JSON and CSV) and the staff page, on
both stores, fed through the warehouse the app reads."""

from __future__ import annotations

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from test_staff_support import IP, staff_client, staff_token, with_staff

API = "/api/v1/staff/reports/deposit_growth"


def _synced(app, bank):  # type: ignore[no-untyped-def]
    ada = new_customer(bank, "Ada Lovelace", deposit="120.50")
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="20.25")
    feed.sync(bank.store, app.extensions["warehouse"])
    return ada, bank.now()[:10]


def _get(client, token, **query):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    return client.get(API, query_string=query, headers=headers, environ_base={"REMOTE_ADDR": IP})


def test_the_api_answers_with_text_amounts_and_the_feed_position(app, app_bank, client):
    _, today = _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    response = _get(client, token, **{"from": today, "to": today, "period": "day"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["report"] == "deposit_growth"
    assert body["params"] == {"from": today, "to": today, "period": "day"}
    assert body["as_of"]["events"] >= 4 and body["as_of"]["at"].startswith(today)
    assert body["columns"][:3] == ["period_start", "period_end", "currency"]
    [row] = body["rows"]
    assert (row["deposits"], row["withdrawals"], row["net_flow"], row["closing_balance"]) == (
        "120.50",
        "20.25",
        "100.25",
        "100.25",
    )
    assert row["growth_vs_previous_pct"] is None  # nothing the day before


def test_csv_has_the_same_rows(app, app_bank, client):
    _, today = _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    response = _get(client, token, **{"from": today, "to": today, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("period_start,period_end,currency,deposits")
    assert ",120.50,20.25,100.25,100.25," in lines[1]


def test_bad_parameters_and_roles(app, app_bank, client):
    _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.ADMIN)
    bad = _get(client, token, **{"from": "2024-02-30", "period": "fortnight"})
    assert bad.status_code == 422
    assert {"from", "period"} <= set(bad.get_json()["errors"])
    assert _get(client, token, format="docx").status_code == 422
    _, analyst = staff_token(app_bank, Role.FRAUD_ANALYST)
    assert _get(client, analyst).status_code == 403


def test_the_page_shows_the_table_and_a_chart_without_script(app, app_bank):
    _, today = _synced(app, app_bank)
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    page = browser.get(f"/staff/reports/deposit_growth?from={today}&to={today}&period=week")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "100.25" in html and "<svg" in html and "<script" not in html
    assert browser.get("/staff/reports").status_code == 200


def test_an_unknown_report_is_not_found(app, app_bank, client):
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    response = client.get(
        "/api/v1/staff/reports/no_such_report",
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": IP},
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert browser.get("/staff/reports/no_such_report").status_code == 404


def test_a_warehouse_an_older_version_built_answers_503_naming_the_rebuild(app, app_bank, client):
    """After an upgrade, until `flaskbank warehouse rebuild`: the reports and the compliance
    review say what to do, as a 503, rather than fail on a missing table as a 500."""
    import duckdb

    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    _, today = _synced(app, app_bank)
    warehouse = app.extensions["warehouse"]
    front = warehouse.copies.copy(warehouse.copies.front())
    with duckdb.connect(str(front)) as con:
        con.execute("UPDATE feed SET schema_version = schema_version - 1")
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    response = _get(client, token, **{"from": today, "to": today})
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert "flaskbank warehouse rebuild" in response.get_json()["detail"]
    page = browser.get("/staff/reports/deposit_growth")
    assert page.status_code == 503 and "flaskbank warehouse rebuild" in page.get_data(as_text=True)
