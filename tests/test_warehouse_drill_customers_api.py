"""The customer drill-down over HTTP, on both stores: the figures of customer acquisition and
customer activity that count customers link to the customer list (API and page), its count
equals the figure, Newer/Older page through every customer once, each customer links to the
staff customer page, a customer's token or session gets what an unknown path gets, other
staff without reports a 403, and hostile input a 422 that names its field."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services import tokens
from flaskbank.services.analytics import feed
from test_staff_support import IP, customer_signed_in, staff_client, staff_token, with_staff
from test_web_support import Page

API = "/api/v1/staff/reports"
CUSTOMERS = "/api/v1/staff/reports/customers"


def _synced(app, bank):  # type: ignore[no-untyped-def]
    """Three customers today: two deposit (activated, active), one never does."""
    people = [
        new_customer(bank, "Ada Lovelace", deposit="120.50"),
        new_customer(bank, "Bob Babbage", deposit="30.00"),
        new_customer(bank, "Cy Never"),
    ]
    feed.sync(bank.store, app.extensions["warehouse"])
    return people, bank.now()[:10]


def _get(client, token, path, **query):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    return client.get(path, query_string=query, headers=headers, environ_base={"REMOTE_ADDR": IP})


def _follow(client, token, href):  # type: ignore[no-untyped-def]
    parts = urlsplit(href)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return _get(client, token, parts.path, **query)


def _counts_follow(client, token, table):  # type: ignore[no-untyped-def]
    """Each customer link of a table: its list's count equals the figure. The columns linked."""
    linked = set()
    for row, links in zip(table["rows"], table["drill"], strict=True):
        for column, link in links.items():
            if link["measure"] != "customers":
                continue
            assert link["href"].startswith(CUSTOMERS + "?"), link
            answer = _follow(client, token, link["href"])
            assert answer.status_code == 200, answer.get_json()
            assert answer.get_json()["totals"] == [{"customers": row[column]}], column
            linked.add(column)
    return linked


def test_counts_of_customers_link_to_as_many_customers(app, app_bank, client):
    _, today = _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    asked = {"from": today, "to": today, "period": "day"}
    body = _get(client, token, f"{API}/customer_acquisition", **asked).get_json()
    [row] = body["rows"]
    assert (row["new_customers"], row["activated"]) == ("3", "2")
    linked = _counts_follow(client, token, body)
    assert linked == {"new_customers", "cumulative_customers", "activated"}
    assert "activation_rate_pct" not in body["drill"][0]
    # The cohort's months are not known yet: only its customers link.
    assert _counts_follow(client, token, body["tables"]["cohorts"]) == {"customers"}
    activity = _get(client, token, f"{API}/customer_activity", **asked).get_json()
    [row] = activity["rows"]
    assert (row["customers"], row["active"], row["never_active"]) == ("3", "2", "1")
    linked = _counts_follow(client, token, activity)
    assert linked == {"customers", "active", "dormant", "churned", "never_active"}
    assert not any(c.endswith("_pct") for c in activity["drill"][0])


def test_the_list_pages_every_customer_once_each_way(app, app_bank, client):
    people, today = _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    first = _get(client, token, CUSTOMERS, at=today, size="1").get_json()
    assert first["newer"] is None and first["params"]["size"] == "1"
    pages = [first]
    while pages[-1]["older"]:
        pages.append(_follow(client, token, pages[-1]["older"]).get_json())
    seen = [c["customer_id"] for p in pages for c in p["customers"]]
    assert sorted(seen) == sorted(p.user_id for p in people)
    back = [pages[-1]]
    while back[-1]["newer"]:
        back.append(_follow(client, token, back[-1]["newer"]).get_json())
    assert [c for p in reversed(back) for c in p["customers"]] == [
        c for p in pages for c in p["customers"]
    ]
    by_id = {c["customer_id"]: c for p in pages for c in p["customers"]}
    never = by_id[people[2].user_id]
    assert (never["category"], never["last_entry"], never["signed_up"]) == (
        "never_active",
        None,
        today,
    )
    assert (by_id[people[0].user_id]["category"], by_id[people[0].user_id]["last_entry"]) == (
        "active",
        today,
    )


def test_the_page_links_the_figure_and_each_customer(app, app_bank):
    people, today = _synced(app, app_bank)
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    report = Page(
        browser.get(f"/staff/reports/customer_activity?from={today}&to={today}&period=day")
    )
    href = report.link("2")  # active
    assert href and href.startswith("/staff/reports/customers?") and "category=active" in href
    page = browser.get(href)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script" not in html
    assert "<strong>2</strong> customers selected" in html
    listed = Page(page)
    for person in people[:2]:
        assert listed.link(person.user_id) == f"/staff/customers/{person.user_id}"
    assert listed.link(people[2].user_id) is None  # never active: not in this list
    assert 'value="active" selected' in html and f'value="{today}"' in html
    assert listed.by_id("at").attrs["placeholder"] == "YYYY-MM-DD"  # as the pages write it
    small = Page(browser.get(f"/staff/reports/customers?signed_up_to={today}&size=2"))
    older = small.link("Older")
    assert older and "size=2" in older and small.link("Newer") is None
    assert Page(browser.get(older)).link("Newer")


HOSTILE = [
    ({"signed_up_from": "2025-02-30"}, "signed_up_from"),
    ({"signed_up_from": "2025-03-01", "signed_up_to": "2025-01-01"}, "signed_up_to"),
    ({"size": "1000000"}, "size"),
    ({"category": "active"}, "category"),
    ({"category": "<script>", "at": "2025-01-01"}, "category"),
    ({"segment": "a' OR 1=1 --"}, "segment"),
    ({"active_in_month": "-1"}, "active_in_month"),
    ({"activated": "1"}, "activated"),
    ({"older": "'; SELECT 1"}, "older"),
]


def test_hostile_input_is_a_422_naming_the_field(app, app_bank, client):
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    _, token = staff_token(app_bank, Role.ADMIN)
    for query, field in HOSTILE:
        response = _get(client, token, CUSTOMERS, **query)
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert field in response.get_json()["errors"], query
        page = browser.get("/staff/reports/customers", query_string=query)
        assert page.status_code == 422 and "<script>" not in page.get_data(as_text=True)


def test_who_may_list_customers(app, app_bank, client):
    staffed = with_staff(app)  # before any request
    people, _ = _synced(app, app_bank)
    _, analyst = staff_token(app_bank, Role.FRAUD_ANALYST)
    assert _get(client, analyst, CUSTOMERS).status_code == 403
    ada = people[0]
    token, _ = tokens.issue_token(app_bank, email=ada.email, password=ada.password)
    unknown = client.get("/api/v1/nothing-here")
    refused = _get(client, token, CUSTOMERS)
    assert refused.status_code == 404 and refused.get_json() == unknown.get_json()
    _, browser = customer_signed_in(staffed, app_bank, "Eve Customer")
    assert browser.get("/staff/reports/customers").status_code == 404
    _, manager = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    answer = _get(client, manager, CUSTOMERS)
    # The static path, not /reports/<name> asking for a report called "customers".
    assert answer.status_code == 200 and answer.get_json()["measure"] == "customers"
