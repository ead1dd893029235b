"""The report builder and saved reports over HTTP, on both stores: the builder's page and
API, saving a report under a name (financial managers and admins), opening it from its link
(compliance officers too), deleting it (its owner or an admin), each save and delete audited."""

from __future__ import annotations

import pytest

from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.services import postings
from flaskbank.services.analytics import feed
from test_staff_support import IP, audit_lines, staff_client, staff_token, with_staff

API = "/api/v1/staff/reports"


@pytest.fixture
def app(app):
    return with_staff(app)


@pytest.fixture
def today(app, app_bank):  # type: ignore[no-untyped-def]
    ada = new_customer(app_bank, "Ada Lovelace", deposit="120.50")
    postings.withdraw(app_bank, ada.user_id, ada.account_id, amount="20.25")
    feed.sync(app_bank.store, app.extensions["warehouse"])
    return app_bank.now()[:10]


class Api:
    def __init__(self, client, token: str) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.open(
            API + path, method=method, headers=self.headers, environ_base={"REMOTE_ADDR": IP}, **kw
        )


def test_save_open_and_delete_through_the_api(client, app_bank, today):
    manager, fm = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    _, co = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    _, other = staff_token(app_bank, Role.FINANCIAL_MANAGER)
    _, admin = staff_token(app_bank, Role.ADMIN)
    fm, co, other, admin = (Api(client, t) for t in (fm, co, other, admin))
    params = {"from": today, "to": today, "period": "day", "metric": "deposits"}
    body = {"name": "Daily deposits", "report": "builder", "params": params}
    made = fm("POST", "/saved", json=body)
    assert made.status_code == 201, made.json
    saved = made.json
    assert (saved["name"], saved["report"], saved["owner"]) == (
        "Daily deposits",
        "builder",
        manager.email,
    )
    assert saved["params"] == params and saved["link"] == f"/staff/reports/saved/{saved['id']}"
    # Everyone who reads reports lists and runs it: the figures of the saved parameters.
    assert [s["id"] for s in co("GET", "/saved").json["items"]] == [saved["id"]]
    run = co("GET", f"/saved/{saved['id']}")
    assert run.status_code == 200
    assert run.json["report"] == "builder" and run.json["saved"] == saved
    assert run.json["rows"] == [
        {
            "period_start": today,
            "period_end": today,
            "group": "all",
            "currency": "USD",
            "value": "120.50",
        }
    ]
    csv = co("GET", f"/saved/{saved['id']}", query_string={"format": "csv"})
    assert csv.mimetype == "text/csv" and ",all,USD,120.50" in csv.get_data(as_text=True)
    # A compliance officer opens but does not save; names are unique whatever their case.
    assert co("POST", "/saved", json=body).status_code == 403
    taken = other("POST", "/saved", json={**body, "name": "DAILY deposits"})
    assert taken.status_code == 422 and "name" in taken.json["errors"]
    # Only the owner or an admin deletes it.
    assert other("DELETE", f"/saved/{saved['id']}").status_code == 403
    assert co("DELETE", f"/saved/{saved['id']}").status_code == 403
    assert admin("DELETE", f"/saved/{saved['id']}").status_code == 204
    assert fm("GET", f"/saved/{saved['id']}").status_code == 404
    assert fm("DELETE", f"/saved/{saved['id']}").status_code == 404
    actions = [(e.action.value, e.target) for e in audit_lines(app_bank)]
    assert ("report_saved", saved["id"]) in actions and ("report_deleted", saved["id"]) in actions


#: Saves that break a rule, and the field the 422 names.
REFUSED = [
    ({"name": "", "report": "builder"}, "name"),
    ({"name": "x" * 81, "report": "builder"}, "name"),
    ({"name": "Fine", "report": "no_such_report"}, "report"),
    ({"name": "Fine", "report": "builder", "params": {"metric": "deposits", "type": "x"}}, "type"),
    (
        {
            "name": "Fine",
            "report": "builder",
            "params": {"metric": "new_customers", "currency": "USD"},
        },
        "currency",
    ),
    ({"name": "Fine", "report": "builder", "params": {"from": "2025-13-01"}}, "from"),
    ({"name": "Fine", "report": "builder", "params": ["from"]}, "params"),
]


def test_a_save_that_breaks_a_rule_names_its_field(client, app_bank):
    _, token = staff_token(app_bank, Role.ADMIN)
    api = Api(client, token)
    for body, field in REFUSED:
        refused = api("POST", "/saved", json=body)
        assert refused.status_code == 422, body
        assert field in refused.json["errors"], body
    assert api("GET", "/saved").json["items"] == []


def test_the_builder_answers_grouped_and_refuses_what_does_not_go_together(client, app_bank, today):
    _, token = staff_token(app_bank, Role.COMPLIANCE_OFFICER)
    api = Api(client, token)
    query = {"from": today, "to": today, "period": "month", "metric": "withdrawals"}
    grouped = api("GET", "/builder", query_string={**query, "group_by": "account_type"})
    assert grouped.status_code == 200
    [row] = grouped.json["rows"]
    assert (row["group"], row["value"]) == ("checking", "20.25")
    bad = api("GET", "/builder", query_string={**query, "type": "transfer"})
    assert bad.status_code == 422 and "type" in bad.json["errors"]


def test_the_pages_save_share_and_delete(app, app_bank, today):
    _, browser = staff_client(app, app_bank, Role.FINANCIAL_MANAGER)
    builder = browser.get(
        f"/staff/reports/builder?from={today}&to={today}&period=week&metric=net_flow"
        "&group_by=account_type"
    )
    html = builder.get_data(as_text=True)
    assert builder.status_code == 200
    assert "100.25" in html and "<svg" in html and "<script" not in html
    assert 'name="param_group_by" value="account_type"' in html  # the save form
    params = {"param_from": today, "param_to": today, "param_period": "week"}
    form = {"report": "builder", "name": "Weekly net flow", **params, "param_metric": "net_flow"}
    saved = browser.post("/staff/reports/saved", data=form)
    assert saved.status_code == 302
    link = saved.location
    again = browser.post("/staff/reports/saved", data=form)
    assert again.status_code == 422 and "has that name already" in again.get_data(as_text=True)
    # A compliance officer opens the shared link, sees the list, and may not delete.
    _, colleague = staff_client(app, app_bank, Role.COMPLIANCE_OFFICER)
    page = colleague.get(link).get_data(as_text=True)
    assert "Weekly net flow" in page and "100.25" in page and "<svg" in page
    assert "Delete this saved report" not in page and "Save these parameters" not in page
    assert "Weekly net flow" in colleague.get("/staff/reports").get_data(as_text=True)
    assert colleague.post(f"{link}/delete").status_code == 403
    assert "Delete this saved report" in browser.get(link).get_data(as_text=True)
    assert browser.post(f"{link}/delete").status_code == 302
    assert colleague.get(link).status_code == 404
    assert colleague.get("/staff/reports/saved/no-such-id").status_code == 404
