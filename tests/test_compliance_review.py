"""The compliance review as the service answers it, on both stores: cash over the report
threshold by customer and day (exactly the threshold is not over), deposits that look split
under it, KYC gaps, frozen accounts with their internal reason, and corrective actions
recorded against findings (audited, shown beside the finding afterwards)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from compliance_support import cash_bank
from conftest import new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.compliance import CashDeposit, SplitCash, structuring
from flaskbank.domain.errors import AccountNotFound, NotPermitted, ValidationFailed
from flaskbank.domain.security import AuditAction
from flaskbank.services import compliance, staff
from test_staff_support import CLI, make_staff

TODAY = date(2026, 11, 26)


def _review(app, bank, who=None, first=None, last=None):  # type: ignore[no-untyped-def]
    today = date.fromisoformat(bank.now()[:10])
    period = compliance.Period(first or today - timedelta(days=29), last or today)
    officer = who or make_staff(bank, Role.COMPLIANCE_OFFICER)
    return compliance.review(bank, app.extensions["warehouse"], officer, period)


def test_large_cash_is_each_customers_day_over_the_threshold(app, app_bank):
    cash = cash_bank(app, app_bank)
    found = _review(app, app_bank)
    rows = {(f.customer_id, f.cash.day): f for f in found.large_cash}
    ada, eve = rows.pop((cash.ada.user_id, cash.day)), rows.pop((cash.eve.user_id, cash.day))
    assert [
        (f.name, f.cash) for f in rows.values()
    ] == []  # Bob's exactly 10,000.00 is not over; Cy's and Dee's days are under
    assert (ada.name, ada.cash.transactions, ada.cash.total) == ("Ada Tester", 2, 1_000_001)
    assert (eve.cash.transactions, eve.cash.total, eve.cash.currency) == (2, 1_899_998, "USD")
    assert ada.finding == f"large_cash:{cash.ada.user_id}:{cash.day}:USD"


def test_deposits_just_under_the_threshold_that_add_past_it_in_three_days(app, app_bank):
    cash = cash_bank(app, app_bank)
    [split] = _review(app, app_bank).structuring
    assert split.customer_id == cash.cy.user_id and split.name == "Cy Tester"
    assert (split.split.first, split.split.last) == (cash.day - timedelta(days=2), cash.day)
    assert (split.split.deposits, split.split.total) == (2, 1_850_000)


def test_a_period_that_leaves_the_day_out_finds_nothing_there(app, app_bank):
    cash = cash_bank(app, app_bank)
    before = _review(
        app, app_bank, first=cash.day - timedelta(days=20), last=cash.day - timedelta(days=1)
    )
    assert before.large_cash == [] and before.structuring == []


def _d(customer: str, day: int, amount: int, tx: str = "") -> CashDeposit:
    return CashDeposit(
        customer, "USD", TODAY + timedelta(days=day), tx or f"t{day}{amount}", amount
    )


def test_structuring_windows_merge_and_stop_at_three_days() -> None:
    run = [_d("a", 0, 950_000), _d("a", 2, 950_000), _d("a", 4, 950_000), _d("a", 8, 990_000)]
    assert structuring(run) == [
        SplitCash("a", "USD", TODAY, TODAY + timedelta(days=4), 3, 2_850_000)
    ]
    # Exactly 10,000.00 together is not past it; one cent more is.
    assert structuring([_d("b", 0, 900_000), _d("b", 1, 100_000)]) == []
    assert structuring([_d("b", 0, 900_000), _d("b", 1, 100_001)]) != []
    # Other customers' and currencies' deposits are never added together.
    assert structuring([_d("c", 0, 950_000), _d("d", 0, 950_000)]) == []


def test_kyc_gaps_list_customers_missing_details_not_staff(app, app_bank):
    bare = new_customer(app_bank, "Bare Details")
    full = new_customer(app_bank, "Full Details")
    user = app_bank.store.users.get_user(full.user_id)
    app_bank.store.users.update_user(
        user.id,
        version=user.version,
        changes={
            "phone": "+447700900123",
            "address": "1 High St\nLondon",
            "date_of_birth": "1980-01-31",
        },
    )
    half = new_customer(app_bank, "Half Details")
    user = app_bank.store.users.get_user(half.user_id)
    app_bank.store.users.update_user(
        user.id, version=user.version, changes={"phone": "+447700900124"}
    )
    found = _review(app, app_bank)
    gaps = {g.customer_id: g.missing for g in found.kyc_gaps}
    assert gaps == {
        bare.user_id: ("phone", "address", "date_of_birth"),
        half.user_id: ("address", "date_of_birth"),
    }
    assert found.kyc_gap_count == 2


def test_frozen_accounts_show_the_latest_freezes_internal_reason(app, app_bank):
    ada = new_customer(app_bank, "Ada Frozen")
    bob = new_customer(app_bank, "Bob Open")
    analyst = make_staff(app_bank, Role.FRAUD_ANALYST)
    staff.set_frozen(
        app_bank, analyst, ada.account_id, frozen=True, reason="suspected mule", actor=CLI
    )
    found = _review(app, app_bank)
    [frozen] = found.frozen
    assert (frozen.account_id, frozen.name, frozen.reason) == (
        ada.account_id,
        "Ada Frozen",
        "suspected mule",
    )
    assert frozen.since <= app_bank.now() and frozen.frozen_by == "cli"
    assert bob.account_id not in {f.account_id for f in found.frozen}


def test_a_corrective_action_is_audited_and_shown_beside_its_finding(app, app_bank):
    cash = cash_bank(app, app_bank)
    officer = make_staff(app_bank, Role.COMPLIANCE_OFFICER)
    key = f"large_cash:{cash.ada.user_id}:{cash.day}:USD"
    action = compliance.record_action(app_bank, officer, key, "  CTR filed\n", CLI)
    assert action.text == "CTR filed" and action.customer_id == cash.ada.user_id
    [ada] = [f for f in _review(app, app_bank).large_cash if f.finding == key]
    assert [(a.text, a.author_email) for a in ada.actions] == [("CTR filed", officer.email)]
    [line] = app_bank.store.audit.audit_log(
        limit=5, action=AuditAction.CORRECTIVE_ACTION_RECORDED
    ).items
    assert line.target == cash.ada.user_id
    assert line.details == {"finding": key, "corrective_action": "CTR filed"}


@pytest.mark.parametrize(
    ("finding", "text", "field"),
    [
        ("large_cash:abc:2026-01-01:USD", "", "text"),
        ("large_cash:abc:2026-01-01:USD", "a\u200bb", "text"),
        ("nonsense:abc", "CTR filed", "finding"),
        ("large_cash:abc", "CTR filed", "finding"),
        (None, None, "finding"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_records_nothing(app_bank, finding, text, field):
    officer = make_staff(app_bank, Role.COMPLIANCE_OFFICER)
    with pytest.raises(ValidationFailed) as refused:
        compliance.record_action(app_bank, officer, finding, text, CLI)
    assert field in refused.value.errors
    assert app_bank.store.corrective_actions.actions_on([str(finding)]) == {}


def test_an_unknown_customer_or_a_staff_member_is_not_found(app_bank):
    officer = make_staff(app_bank, Role.COMPLIANCE_OFFICER)
    with pytest.raises(AccountNotFound):
        compliance.record_action(app_bank, officer, "kyc_gap:no-such-customer", "called", CLI)
    with pytest.raises(AccountNotFound):
        compliance.record_action(app_bank, officer, f"kyc_gap:{officer.id}", "called", CLI)


@pytest.mark.parametrize("role", [Role.FRAUD_ANALYST, Role.FINANCIAL_MANAGER, Role.CUSTOMER])
def test_other_roles_may_neither_review_nor_record(app, app_bank, role):
    who = make_staff(app_bank, role) if role is not Role.CUSTOMER else None
    if who is None:
        customer = new_customer(app_bank, "Nosy Customer")
        who = app_bank.store.users.get_user(customer.user_id)
    with pytest.raises(NotPermitted):
        _review(app, app_bank, who=who)
    with pytest.raises(NotPermitted):
        compliance.record_action(app_bank, who, f"kyc_gap:{who.id}", "x", CLI)
