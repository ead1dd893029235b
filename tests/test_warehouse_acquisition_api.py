"""The customer acquisition report over HTTP on both stores: the staff API with its cohort
table, the CSV, XLSX and PDF with both tables, and the page with its chart and no script."""

from __future__ import annotations

import io

import openpyxl

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services.analytics import feed
from test_staff_support import IP, staff_client, staff_token, with_staff

API = "/api/v1/staff/reports/customer_acquisition"


def test_the_api_the_csv_and_the_page(app, app_bank, client):
    # Staff sign up too, but are not customers.
    _, browser = staff_client(with_staff(app), app_bank, Role.COMPLIANCE_OFFICER)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    new_customer(app_bank, "Ada Lovelace", deposit="120.50")
    new_customer(app_bank, "Charles Babbage")
    feed.sync(app_bank.store, app.extensions["warehouse"])
    today = app_bank.now()[:10]
    query = {"from": today, "to": today, "period": "day"}
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get(API, query_string=query, headers=headers, environ_base={"REMOTE_ADDR": IP})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["report"] == "customer_acquisition"
    [row] = body["rows"]
    assert row == {
        "period_start": today,
        "period_end": today,
        "new_customers": "2",
        "cumulative_customers": "2",
        "activated": "1",
        "activation_rate_pct": "50.00",
    }
    [cohort] = body["tables"]["cohorts"]["rows"]
    assert (cohort["currency"], cohort["customers"], cohort["balance_1m"]) == ("USD", "2", None)

    csv = client.get(
        API,
        query_string={**query, "format": "csv"},
        headers=headers,
        environ_base={"REMOTE_ADDR": IP},
    )
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("period_start,period_end,new_customers,cumulative_customers")
    assert lines[1] == f"{today},{today},2,2,1,50.00"
    assert lines[4].startswith("cohort_start,cohort_end,currency,customers,active_1m,balance_1m")
    assert lines[5] == f"{today},{today},USD,2" + "," * 8

    sheets = client.get(
        API,
        query_string={**query, "format": "xlsx"},
        headers=headers,
        environ_base={"REMOTE_ADDR": IP},
    )
    book = openpyxl.load_workbook(io.BytesIO(sheets.data))
    assert len(book.worksheets) == 3  # the summary, the main table, the cohorts
    cohorts = list(book.worksheets[2].values)
    assert cohorts[1][3:6] == (2, None, None)  # customers; not yet known a month on
    document = client.get(
        API,
        query_string={**query, "format": "pdf"},
        headers=headers,
        environ_base={"REMOTE_ADDR": IP},
    )
    assert document.status_code == 200 and document.mimetype == "application/pdf"

    page = browser.get(f"/staff/reports/customer_acquisition?from={today}&to={today}&period=week")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Deposited within 30 days" in html and "Balances after 12 months" in html
    assert "<svg" in html and "<script" not in html
