"""Sessions, lockout, two-factor, staff powers and the audit log, on every store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest

from conftest import new_customer
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.domain.errors import (
    AccountNotOpen,
    InvalidCredentials,
    LoginLocked,
    NotPermitted,
    PasswordChangeRequired,
    SecondFactorRequired,
    StaleRecord,
    ValidationFailed,
)
from flaskbank.domain.security import AuditAction, WebSession
from flaskbank.services import (
    audit,
    authentication,
    customers,
    postings,
    sessions,
    staff,
    tokens,
    two_factor,
)
from flaskbank.services.audit import Actor

IP = "203.0.113.7"


IP = "203.0.113.7"
CLI = Actor(None, "cli", "local")


def later(bank, **delta):
    moment = bank.clock() + timedelta(**delta)
    return replace(bank, clock=lambda: moment)


def make_staff(bank, role: Role, email: str | None = None):
    user, password = staff.create_staff(
        bank,
        email=email or f"{role.value}@bank.example",
        full_name=role.value.title(),
        role=role.value,
        actor=CLI,
    )
    return user, password


def actions(bank) -> list[str]:
    return [e.action.value for e in bank.store.audit.audit_log(limit=100).items]


# -- sessions ------------------------------------------------------------------------------


def test_a_session_lives_by_its_hash_and_ends_when_idle_or_too_old(bank):
    ada = new_customer(bank)
    sid = sessions.save(bank, None, ada.user_id, {"k": "v"}, None)
    found = sessions.load(bank, sid)
    assert found.user_id == ada.user_id and found.data == {"k": "v"}
    assert bank.store.sessions.get_session(sid) is None  # only the hash is stored
    assert sessions.load(later(bank, minutes=16), sid) is None  # idle timeout
    assert sessions.load(bank, sid) is None  # and it was deleted


def test_a_busy_session_still_ends_at_its_absolute_lifetime(bank):
    ada = new_customer(bank)
    sid = sessions.save(bank, None, ada.user_id, {}, None)
    session = sessions.load(bank, sid)
    for hours in range(1, 13):
        step = later(bank, hours=hours)
        sid = sessions.save(step, sid, ada.user_id, {}, session)
        session = sessions.load(step, sid)
    assert session is None or session.expired(
        later(bank, hours=12, minutes=1).clock(), bank.settings.sessions
    )


def test_logging_in_issues_a_new_session_id(bank):
    ada = new_customer(bank)
    anonymous = sessions.save(bank, None, None, {"csrf": "x"}, None)
    before = sessions.load(bank, anonymous)
    signed_in = sessions.save(bank, anonymous, ada.user_id, {}, before)
    assert signed_in != anonymous
    assert sessions.load(bank, anonymous) is None  # the planted id gained nothing


def test_ending_all_sessions_but_one(bank):
    ada = new_customer(bank)
    ids = [sessions.save(bank, None, ada.user_id, {}, None) for _ in range(3)]
    keep = sessions.hash_id(ids[0])
    assert bank.store.sessions.delete_sessions_of(ada.user_id, keep=keep) == 2
    assert [sessions.load(bank, i) is not None for i in ids] == [True, False, False]


def test_a_password_change_ends_other_sessions_and_every_token(bank):
    ada = new_customer(bank)
    here, there = (sessions.save(bank, None, ada.user_id, {}, None) for _ in range(2))
    token, _ = tokens.issue_token(bank, email=ada.email, password=ada.password)
    customers.change_password(
        bank,
        ada.user_id,
        old_password=ada.password,
        new_password="a brand new secret",
        keep_session=sessions.hash_id(here),
    )
    assert sessions.load(bank, here) is not None and sessions.load(bank, there) is None
    assert tokens.user_for_token(bank, token) is None


# -- lockout -------------------------------------------------------------------------------


def test_five_failures_lock_the_email_even_for_the_right_password(bank):
    ada = new_customer(bank)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email=ada.email, password="nope", ip=IP)
    with pytest.raises(LoginLocked):
        authentication.check_password(bank, email=ada.email, password=ada.password, ip=IP)
    # the lock holds in the store, for any worker, until it runs out
    after = later(bank, minutes=1, seconds=1)
    assert (
        authentication.check_password(
            after, email=ada.email.upper(), password=ada.password, ip=IP
        ).id
        == ada.user_id
    )


def test_locks_grow_with_every_further_failure(bank):
    ada = new_customer(bank)
    for _ in range(6):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            authentication.check_password(bank, email=ada.email, password="nope", ip=IP)
    mid = later(bank, minutes=1, seconds=1)
    with pytest.raises(InvalidCredentials):  # the first lock ran out, the next failure...
        authentication.check_password(mid, email=ada.email, password="nope", ip=IP)
    with pytest.raises(LoginLocked):  # ...locks for longer than a minute
        authentication.check_password(
            later(mid, minutes=1, seconds=1), email=ada.email, password=ada.password, ip=IP
        )


def test_unknown_emails_lock_too_so_a_lock_reveals_nothing(bank):
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email="ghost@example.com", password="x", ip=IP)
    with pytest.raises(LoginLocked):
        authentication.check_password(bank, email="ghost@example.com", password="x", ip=IP)
    assert actions(bank).count("login_failed") == 5 and "login_locked" in actions(bank)


def test_a_successful_login_clears_the_count(bank):
    ada = new_customer(bank)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email=ada.email, password="nope", ip=IP)
    user = authentication.check_password(bank, email=ada.email, password=ada.password, ip=IP)
    authentication.succeeded(bank, user, IP)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email=ada.email, password="nope", ip=IP)
    authentication.check_password(bank, email=ada.email, password=ada.password, ip=IP)


# -- two-factor ----------------------------------------------------------------------------


def enrol(bank, user_id: str):
    user = bank.store.users.get_user(user_id)
    secret = two_factor.new_secret()
    codes = two_factor.confirm(bank, user, secret, pyotp.TOTP(secret).at(bank.clock()), IP)
    return secret, codes


def test_a_totp_code_works_once_and_never_again(bank):
    ada = new_customer(bank)
    secret, _ = enrol(bank, ada.user_id)
    user = bank.store.users.get_user(ada.user_id)
    assert user.has_two_factor and "two_factor_enabled" in actions(bank)
    step = later(bank, seconds=30)
    code = pyotp.TOTP(secret).at(step.clock())
    authentication.check_second_factor(step, user, code, IP)
    with pytest.raises(SecondFactorRequired):
        authentication.check_second_factor(step, bank.store.users.get_user(ada.user_id), code, IP)
    with pytest.raises(SecondFactorRequired):  # the enrolment code is spent too
        authentication.check_second_factor(bank, user, pyotp.TOTP(secret).at(bank.clock()), IP)


def test_a_recovery_code_works_once(bank):
    ada = new_customer(bank)
    _, codes = enrol(bank, ada.user_id)
    assert len(set(codes)) == 10
    user = bank.store.users.get_user(ada.user_id)
    assert all(code not in str(user) for code in codes)  # stored hashed
    authentication.check_second_factor(bank, user, codes[3].upper(), IP)
    with pytest.raises(SecondFactorRequired):
        authentication.check_second_factor(bank, user, codes[3], IP)
    assert len(bank.store.users.get_user(ada.user_id).recovery_codes) == 9


def test_enrolment_needs_a_matching_code(bank):
    ada = new_customer(bank)
    user = bank.store.users.get_user(ada.user_id)
    with pytest.raises(ValidationFailed):
        two_factor.confirm(bank, user, two_factor.new_secret(), "000000", IP)
    assert not bank.store.users.get_user(ada.user_id).has_two_factor


def test_api_tokens_need_the_second_factor(bank):
    ada = new_customer(bank)
    secret, _ = enrol(bank, ada.user_id)
    with pytest.raises(SecondFactorRequired):
        tokens.issue_token(bank, email=ada.email, password=ada.password)
    step = later(bank, seconds=30)
    token, _ = tokens.issue_token(
        step, email=ada.email, password=ada.password, otp=pyotp.TOTP(secret).at(step.clock())
    )
    assert tokens.user_for_token(bank, token).id == ada.user_id
    assert [t.token_hash for t in bank.store.sessions.tokens_of(ada.user_id)] != []


def test_staff_cannot_turn_two_factor_off(bank):
    analyst, _ = make_staff(bank, Role.FRAUD_ANALYST)
    with pytest.raises(NotPermitted):
        two_factor.disable(bank, analyst, password="whatever", ip=IP)


# -- staff ---------------------------------------------------------------------------------


def test_staff_start_with_a_one_time_password_they_must_change(bank):
    analyst, password = make_staff(bank, Role.FRAUD_ANALYST)
    assert analyst.must_change_password and analyst.role is Role.FRAUD_ANALYST
    with pytest.raises(PasswordChangeRequired):
        tokens.issue_token(bank, email=analyst.email, password=password)
    customers.change_password(
        bank, analyst.id, old_password=password, new_password="analyst's own secret"
    )
    assert not bank.store.users.get_user(analyst.id).must_change_password


def test_staff_get_no_api_token_before_enrolling_in_two_factor(bank):
    analyst, password = make_staff(bank, Role.FRAUD_ANALYST)
    customers.change_password(
        bank, analyst.id, old_password=password, new_password="analyst's own secret", ip=IP
    )
    with pytest.raises(NotPermitted):
        tokens.issue_token(bank, email=analyst.email, password="analyst's own secret")
    assert bank.store.sessions.tokens_of(analyst.id) == []
    event = bank.store.audit.audit_log(limit=1, action=AuditAction.PASSWORD_CHANGED).items[0]
    assert (event.actor_email, event.ip, event.target) == (analyst.email, IP, analyst.id)


def test_nobody_is_created_as_a_customer_by_staff_tools(bank):
    with pytest.raises(ValidationFailed):
        staff.create_staff(bank, email="c@example.com", full_name="C", role="customer", actor=CLI)


@pytest.mark.parametrize(
    "role, can_freeze",
    [
        (Role.FRAUD_ANALYST, True),
        (Role.ADMIN, True),
        (Role.FINANCIAL_MANAGER, False),
        (Role.COMPLIANCE_OFFICER, False),
        (Role.CUSTOMER, False),
    ],
)
def test_only_fraud_analysts_and_admins_freeze(bank, role, can_freeze):
    ada = new_customer(bank, deposit="10.00")
    if role is Role.CUSTOMER:
        actor_user = bank.store.users.get_user(new_customer(bank, "Eve").user_id)
    else:
        actor_user, _ = make_staff(bank, role)

    def act() -> object:
        return staff.set_frozen(
            bank,
            actor_user,
            ada.account_id,
            frozen=True,
            reason="card reported stolen",
            actor=Actor.of(actor_user, IP),
        )

    if not can_freeze:
        with pytest.raises(NotPermitted):
            act()
        assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.OPEN
        return
    act()
    frozen = bank.store.ledger.get_account(ada.account_id)
    # The owner is told the bank's message, never the staff's reason.
    assert frozen.status is AccountStatus.FROZEN
    assert frozen.status_reason == staff.FREEZE_MESSAGES["review"]
    with pytest.raises(AccountNotOpen):
        postings.withdraw(bank, ada.user_id, ada.account_id, amount="1")
    event = bank.store.audit.audit_log(limit=1).items[0]
    assert (event.action, event.actor_email, event.ip, event.target) == (
        AuditAction.ACCOUNT_FROZEN,
        actor_user.email,
        IP,
        ada.account_id,
    )


def test_a_freeze_needs_a_reason(bank):
    ada = new_customer(bank)
    analyst, _ = make_staff(bank, Role.FRAUD_ANALYST)
    with pytest.raises(ValidationFailed):
        staff.set_frozen(
            bank, analyst, ada.account_id, frozen=True, reason="  ", actor=Actor.of(analyst, IP)
        )


def test_search_by_name_email_prefix_and_account_number(bank):
    ada = new_customer(bank, "Ada Lovelace")
    new_customer(bank, "Bob Babbage")
    officer, _ = make_staff(bank, Role.COMPLIANCE_OFFICER)
    me = Actor.of(officer, IP)
    by = lambda q: {u.id for u in staff.search_customers(bank, officer, q, me)}  # noqa: E731
    assert ada.user_id in by("ada lov") and ada.user_id in by(ada.email[:6].upper())
    assert by(ada.account_number) == {ada.user_id}
    assert ada.user_id not in by("Bob")
    # The last word of a name too (a surname), the same on both stores; a middle word or the
    # inside of a word is no prefix of either, so it finds nobody.
    martin = new_customer(bank, "Alice Jane Martin")
    assert by("martin") == by("MART") == by("alice j") == {martin.user_id}
    assert martin.user_id not in by("jane") | by("artin")
    customers.update_profile(bank, martin.user_id, full_name="Alice Jane Moreau")
    assert martin.user_id not in by("martin") and by("moreau") == {martin.user_id}
    assert by("%%") == set()  # wildcards are text, not patterns


def test_admins_manage_roles_and_sessions_others_cannot(bank):
    admin, _ = make_staff(bank, Role.ADMIN)
    analyst, _ = make_staff(bank, Role.FRAUD_ANALYST)
    ada = new_customer(bank)
    sid = sessions.save(bank, None, ada.user_id, {}, None)
    with pytest.raises(NotPermitted):
        staff.change_role(bank, analyst, ada.user_id, "admin", Actor.of(analyst, IP))
    with pytest.raises(NotPermitted):
        staff.list_users(bank, analyst)
    assert staff.revoke_sessions(bank, admin, ada.user_id, Actor.of(admin, IP)) == 1
    assert sessions.load(bank, sid) is None
    promoted = staff.change_role(bank, admin, ada.user_id, "financial_manager", Actor.of(admin, IP))
    assert bank.store.users.get_user(ada.user_id).role is Role.FINANCIAL_MANAGER == promoted.role
    assert len(staff.list_users(bank, admin).items) == 3


# -- the audit log -------------------------------------------------------------------------


def test_the_audit_log_filters_and_pages_and_is_for_auditors_only(bank):
    admin, _ = make_staff(bank, Role.ADMIN)
    officer, _ = make_staff(bank, Role.COMPLIANCE_OFFICER)
    manager, _ = make_staff(bank, Role.FINANCIAL_MANAGER)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            authentication.check_password(bank, email="x@example.com", password="y", ip=IP)
    page = audit.audit_log(bank, officer, action="login_failed", limit=2)
    assert [e.action.value for e in page.items] == ["login_failed"] * 2 and page.next_cursor
    rest = audit.audit_log(bank, officer, action="login_failed", cursor=page.next_cursor)
    assert len(rest.items) == 1 and rest.next_cursor is None
    assert {e.actor_email for e in audit.audit_log(bank, admin, actor_email="CLI").items} == {"cli"}
    today = bank.now()[:10]
    assert len(audit.audit_log(bank, admin, since=today, until=today).items) == 6
    assert audit.audit_log(bank, admin, until="2000-01-01").items == []
    with pytest.raises(NotPermitted):
        audit.audit_log(bank, manager)
    with pytest.raises(ValidationFailed):
        audit.audit_log(bank, admin, action="drop table")


def test_the_session_record_round_trips(bank):
    record = WebSession("h" * 64, None, bank.now(), bank.now(), {"csrf": "t", "n": [1, 2]})
    bank.store.sessions.add_session(record)
    assert bank.store.sessions.get_session("h" * 64) == record


def test_staff_guards_closed_accounts_blank_unlocks_and_unknown_users(bank):
    admin, _ = make_staff(bank, Role.ADMIN)
    ada = new_customer(bank)
    bank.store.ledger.set_account_status(ada.account_id, AccountStatus.CLOSED, "closed by request")
    from flaskbank.services import approvals

    with pytest.raises(ValidationFailed):  # a closed account is not frozen
        approvals.request_action(
            bank, admin, "unfreeze_account", ada.account_id, "reopen?", Actor.of(admin, IP)
        )
    assert bank.store.ledger.get_account(ada.account_id).status is AccountStatus.CLOSED
    with pytest.raises(ValidationFailed):
        staff.unlock_login(bank, admin, "  ", Actor.of(admin, IP))
    from flaskbank.domain.errors import AccountNotFound

    with pytest.raises(AccountNotFound):
        staff.revoke_sessions(bank, admin, "no-such-user", Actor.of(admin, IP))


def test_a_write_from_an_earlier_read_is_refused_and_gives_back_no_spent_code(bank):
    """A user write conditional on a version read before a login spent a code (and before
    a rename) is refused as stale: it neither undoes the rename nor gives the code back."""
    ada = new_customer(bank)
    secret, codes = enrol(bank, ada.user_id)
    before = bank.store.users.get_user(ada.user_id)
    step = later(bank, seconds=30)
    totp = pyotp.TOTP(secret).at(step.clock())
    authentication.check_second_factor(step, before, totp, IP)
    authentication.check_second_factor(bank, before, codes[0], IP)
    customers.update_profile(bank, ada.user_id, full_name="Ada King")  # reads afresh...
    with pytest.raises(StaleRecord):  # ...this one does not
        bank.store.users.update_user(
            ada.user_id, version=before.version, changes={"full_name": "Ada Stale"}
        )
    after = bank.store.users.get_user(ada.user_id)
    assert after.full_name == "Ada King" and after.has_two_factor
    assert len(after.recovery_codes) == 9
    with pytest.raises(SecondFactorRequired):
        authentication.check_second_factor(step, after, totp, IP)
    with pytest.raises(SecondFactorRequired):
        authentication.check_second_factor(bank, after, codes[0], IP)
