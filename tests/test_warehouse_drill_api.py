"""The drill-down over HTTP, on both stores: a report's figures link to the entries behind
them (API and page), the links' totals equal the figures, Newer/Older links page through
every entry once, and hostile input is a 422 that names its field."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from test_staff_support import IP, staff_client, staff_token, with_staff
from test_web_support import Page

REPORT = "/api/v1/staff/reports/deposit_growth"
ENTRIES = "/api/v1/staff/reports/entries"


def _synced(app, bank):  # type: ignore[no-untyped-def]
    ada = new_customer(bank, "Ada Lovelace", deposit="120.50")
    bob = new_customer(bank, "Bob Babbage", deposit="30.00")
    for amount in ("1.10", "2.20", "3.30"):
        postings.deposit(bank, ada.user_id, ada.account_id, amount=amount)
    postings.withdraw(bank, ada.user_id, ada.account_id, amount="20.25")
    postings.transfer(
        bank, ada.user_id, ada.account_id, to_account_number=bob.account_number, amount="5.00"
    )
    feed.sync(bank.store, app.extensions["warehouse"])
    return ada, bank.now()[:10]


def _get(client, token, path, **query):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    return client.get(path, query_string=query, headers=headers, environ_base={"REMOTE_ADDR": IP})


def _follow(client, token, href):  # type: ignore[no-untyped-def]
    parts = urlsplit(href)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return _get(client, token, parts.path, **query)


def test_each_figure_links_to_entries_whose_total_equals_it(app, app_bank, client):
    _, today = _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    body = _get(client, token, REPORT, **{"from": today, "to": today, "period": "day"}).get_json()
    [row], [links] = body["rows"], body["drill"]
    assert row["deposits"] == "157.10" and row["net_flow"] == "136.85"
    assert set(links) == {"deposits", "withdrawals", "net_flow", "closing_balance"}
    for column, link in links.items():
        assert link["href"].startswith(ENTRIES + "?")
        listed = _follow(client, token, link["href"])
        assert listed.status_code == 200, listed.get_json()
        answer = listed.get_json()
        [totals] = answer["totals"]
        assert answer["measure"] == link["measure"]
        assert totals[link["measure"]] == row[column], column
    deposits = _follow(client, token, links["deposits"]["href"]).get_json()
    assert [e["amount"] for e in deposits["entries"]] == ["3.30", "2.20", "1.10", "30.00", "120.50"]
    assert deposits["totals"][0]["transactions"] == "5" and deposits["newer"] is None


def test_newer_and_older_links_page_through_every_entry_once(app, app_bank, client):
    _synced(app, app_bank)
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    first = _get(client, token, ENTRIES, currency="USD", size="2").get_json()
    pages = [first]
    while pages[-1]["older"]:
        pages.append(_follow(client, token, pages[-1]["older"]).get_json())
    seen = [(e["transaction_id"], e["account_id"]) for p in pages for e in p["entries"]]
    [totals] = first["totals"]
    assert len(seen) == len(set(seen)) == int(totals["entries"]) == 8
    assert int(totals["transactions"]) == 7  # the transfer's two legs are one transaction
    assert totals["amount"] == "136.85" and totals["debits"] == "25.25"
    back = [pages[-1]]
    while back[-1]["newer"]:
        back.append(_follow(client, token, back[-1]["newer"]).get_json())
    assert [e for p in reversed(back) for e in p["entries"]] == [
        e for p in pages for e in p["entries"]
    ]
    assert all(p["params"]["size"] == "2" for p in pages)


def test_the_page_links_figures_and_keeps_its_filters(app, app_bank):
    _, today = _synced(app, app_bank)
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    report = Page(browser.get(f"/staff/reports/deposit_growth?from={today}&to={today}&period=day"))
    href = report.link("157.10")
    assert href and href.startswith("/staff/reports/entries?")
    page = browser.get(href)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script" not in html
    assert "credits</strong>: <strong>157.10" in html
    assert 'value="deposit" checked' in html and 'value="transfer" checked' not in html
    listed = Page(browser.get("/staff/reports/entries?currency=USD&size=3"))
    older = listed.link("Older")
    assert older and "size=3" in older and "currency=USD" in older
    assert listed.link("Newer") is None
    assert Page(browser.get(older)).link("Newer")


def test_another_reports_figures_link_too_in_every_table(app, app_bank, client):
    """Transaction volume: its main table, by hour and by weekday all carry `drill`, and the
    page links its figures (the generic path, not deposit growth's own)."""
    _, today = _synced(app, app_bank)
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    _, token = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    asked = {"from": today, "to": today, "period": "day"}
    body = _get(client, token, "/api/v1/staff/reports/transaction_volume", **asked).get_json()
    deposits = next(i for i, r in enumerate(body["rows"]) if r["type"] == "deposit")
    assert body["rows"][deposits]["amount"] == "157.10"
    assert set(body["drill"][deposits]) == {"transactions", "amount"}
    for name in ("by_hour", "by_weekday"):
        assert any(body["tables"][name]["drill"]), name
    for table in (body, body["tables"]["by_hour"], body["tables"]["by_weekday"]):
        for row, links in zip(table["rows"], table["drill"], strict=True):
            for column, link in links.items():
                if row[column] not in ("0", "0.00"):
                    answer = _follow(client, token, link["href"]).get_json()
                    assert [t[link["measure"]] for t in answer["totals"]] == [row[column]]
    page = Page(
        browser.get(f"/staff/reports/transaction_volume?from={today}&to={today}&period=day")
    )
    href = page.link("157.10")
    assert href and href.startswith("/staff/reports/entries?") and "type=deposit" in href
    # The page's form keeps every field a report's link may set.
    query = (
        f"to={today}&hour=7&weekday=3&open_at_end=true&signed_up_from=2020-01-31"
        "&signed_up_to=2030-02-28&life_months=12&segment=unknown"
    )
    listed = browser.get(f"/staff/reports/entries?{query}")
    html = listed.get_data(as_text=True)
    assert listed.status_code == 200
    for name, value in [("hour", "7"), ("weekday", "3"), ("life_months", "12")]:
        assert f'name="{name}" value="{value}"' in html, name
    assert 'value="2020-01-31"' in html and 'name="open_at_end" value="true" checked' in html


HOSTILE = [
    ({"from": "2025-02-30"}, "from"),
    ({"from": "2025-03-01", "to": "2025-01-01"}, "to"),
    ({"size": "1000000"}, "size"),
    ({"type": "deposit,bribe"}, "type"),
    ({"currency": "usd'--"}, "currency"),
    ({"segment": "a' OR 1=1 --"}, "segment"),
    ({"account_id": "x; DROP TABLE entries"}, "account_id"),
    ({"older": "'; SELECT 1"}, "older"),
    ({"side": "<script>"}, "side"),
]


def test_hostile_input_is_a_422_naming_the_field(app, app_bank, client):
    _, browser = staff_client(with_staff(app), app_bank, Role.FINANCIAL_MANAGER)
    _, token = staff_token(app_bank, Role.ADMIN)
    for query, field in HOSTILE:
        response = _get(client, token, ENTRIES, **query)
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert field in response.get_json()["errors"], query
        page = browser.get("/staff/reports/entries", query_string=query)
        assert page.status_code == 422 and "<script>" not in page.get_data(as_text=True)


def test_roles_and_the_route_that_wins(app, app_bank, client):
    _synced(app, app_bank)
    _, analyst = staff_token(app_bank, Role.FRAUD_ANALYST)
    assert _get(client, analyst, ENTRIES).status_code == 403
    _, manager = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    answer = _get(client, manager, ENTRIES)
    # The static path, not /reports/<name> asking for a report called "entries".
    assert answer.status_code == 200 and "totals" in answer.get_json()
