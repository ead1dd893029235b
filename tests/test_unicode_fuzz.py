"""Arbitrary Unicode in every field a person or a client can fill: each JSON body field,
query parameter and path segment of the API (customer and staff), and each field of the web
forms and filters. Whatever arrives, the answer is never a 5xx; the API's errors are always
problem+json; and the ledger still adds up afterwards.

Text comes from every Unicode category except surrogates (UTF-8 cannot carry a lone one,
so neither can a form; an escaped one in JSON is tests/test_api_errors.py's), and from digits
of every script (hypothesis' `\\d` is any
Unicode digit). Most requests are valid but for one field, which is garbage or a
look-alike of its valid value (other digits, a line break), so that examples reach past the
first check to the code that reads the field. tests/test_api_fuzz.py throws non-text JSON.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import STORES, Customer, make_store, new_customer
from flaskbank.config import Config
from flaskbank.domain.accounts import AccountStatus, Role
from flaskbank.passwords import FastHasher
from flaskbank.services import tokens
from flaskbank.services.ledger_checks import verify
from test_api_support import API, PROBLEM
from test_security_support import enrol, totp
from test_staff_support import signed_in, staff_token, with_staff

UNICODE = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
DIGITS = st.one_of(
    st.from_regex(r"\d{1,12}", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}(-\d{2})?\n?", fullmatch=True),
    st.from_regex(r"[\d ]{6,16}", fullmatch=True),
)
ANY = st.one_of(UNICODE, DIGITS)
# 0-9 in other scripts: fullwidth, Arabic-Indic, Persian, Devanagari and mathematical bold
# (outside the Basic Multilingual Plane), which int() reads; superscript, subscript and
# circled, which isdigit() accepts and int() refuses.
SCRIPTS = [
    "０１２３４５６７８９",
    "٠١٢٣٤٥٦٧٨٩",
    "۰۱۲۳۴۵۶۷۸۹",
    "०१२३४५६७८९",
    "".join(chr(0x1D7CE + i) for i in range(10)),
    "⁰¹²³⁴⁵⁶⁷⁸⁹",
    "₀₁₂₃₄₅₆₇₈₉",
    "⓪①②③④⑤⑥⑦⑧⑨",
]
EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def look_alike(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """`valid` with one change that `\\d`, isdigit(), int() or strip() let through: all its
    digits or one of them in another script, or a space or line break around it."""
    text = draw(valid)
    script = draw(st.sampled_from(SCRIPTS))
    digits = [i for i, c in enumerate(text) if c in "0123456789"]
    change = draw(st.sampled_from(["all digits", "one digit", "newline after", "space before"]))
    # Drawn whatever the text, so that the draws do not depend on a value read at run time
    # (a password, a TOTP code), which hypothesis would call a flaky strategy.
    pick, space = draw(st.integers(0, 63)), draw(st.sampled_from(" \n\t"))
    if change == "all digits" or (change == "one digit" and digits):
        chosen = set(digits) if change == "all digits" else {digits[pick % len(digits)]}
        return "".join(script[int(c)] if i in chosen else c for i, c in enumerate(text))
    return text + "\n" if change == "newline after" else space + text


@dataclass
class World:
    """One app per store for the whole module (a fresh one per route would cost more than the
    route's examples): Ada (signed in, or holding an API token), Bob (a recipient), Carol
    (two-factor on), Dave (whose role admins change) and an admin. `reset` undoes what one
    route's examples may have done to them that would stop the next route's examples early."""

    app: Any
    bank: Any
    ada: Customer
    bob: Customer
    carol: Customer
    dave: Customer
    carol_secret: str
    admin_token: str
    admin_id: str
    ada_token: str = ""

    def reset(self) -> None:
        self.unlock()
        for account in (self.ada.account_id, self.bob.account_id):
            self.bank.store.ledger.set_account_status(account, AccountStatus.OPEN, "")
        user = self.bank.store.users.get_user(self.ada.user_id)
        self.ada.email = user.email  # a profile edit may have changed it
        self.ada_token, _ = tokens.issue_token(
            self.bank, email=user.email, password=self.ada.password
        )

    def unlock(self) -> None:
        """No login is locked, so the paths past the lock stay reachable."""
        for who in (self.ada, self.bob, self.carol):
            self.bank.store.sessions.clear_login_failures(who.email)

    def valid(self, login: Customer) -> dict[str, st.SearchStrategy[str]]:
        """Per field (and path segment), a valid value; read when drawn, since an earlier
        example may have changed a password."""
        a, b = self.ada, self.bob
        return {
            "email": st.builds(lambda: login.email),
            "password": st.builds(lambda: login.password),
            "full_name": st.just("Ada Lovelace"),
            "phone": st.just("+44 7700 900123"),
            "address": st.just("1 High Street\nLondon"),
            "date_of_birth": st.just("1990-05-17"),
            "old_password": st.builds(lambda: a.password),
            "new_password": st.just("a brand new phrase!"),
            "confirm_password": st.just("a brand new phrase!"),
            "otp": st.builds(lambda: totp(self.carol_secret, self.bank)),
            "code": st.just("123456"),
            "type": st.sampled_from(["checking", "deposit"]),
            "currency": st.just("EUR"),
            "amount": st.just("1.00"),
            "memo": st.just("rent"),
            "token": st.uuids().map(str),
            "from_account_id": st.just(a.account_id),
            "from_account": st.just(a.account_id),
            "from": st.just(a.account_id),
            "to_account_number": st.just(b.account_number),
            "to_email": st.just(""),
            "limit": st.just("20"),
            "cursor": st.just(""),
            "since": st.just("2025-01-01"),
            "until": st.just("2030-12-31"),
            "month": st.just("2025-02"),
            "format": st.sampled_from(["json", "csv"]),
            "q": st.sampled_from(["ada", b.account_number]),
            "reason": st.just("card reported stolen"),
            "text": st.just("Called; identity checked"),
            "target": st.just(a.account_id),
            "role": st.just("fraud_analyst"),
            "action": st.just("login_failed"),
            "actor": st.just(a.email),
            "next": st.just("/transfer"),
            # path segments
            "account_id": st.just(a.account_id),
            "user_id": st.just(self.dave.user_id),
            "token_id": st.just("abcdefabcdef"),
        }


@dataclass(frozen=True)
class Route:
    method: str
    #: With {seg} for the fuzzed path segment; {ada} and {ada_user} are Ada's account and
    #: user ids.
    path: str
    #: The body's fields for POST and PATCH, the query's for GET.
    fields: tuple[str, ...] = ()
    #: The field that fills {seg}.
    segment: str | None = None
    #: Who asks: "ada", "admin", "" (nobody) or "pending" (Carol, between password and code).
    who: str = "ada"
    #: Whose email and password are the valid ones.
    login: str = "ada"

    def names(self) -> tuple[str, ...]:
        return self.fields + ((self.segment,) if self.segment else ())

    def requests(self, world: World) -> st.SearchStrategy[dict[str, str]]:
        names = self.names()
        if not names:
            return st.just({})
        valid = world.valid(world.carol if self.login == "carol" else world.ada)
        one_off = st.sampled_from(names).flatmap(
            lambda bad: st.fixed_dictionaries(
                {
                    **{n: valid[n] for n in names},
                    bad: st.one_of(look_alike(valid[bad]), look_alike(valid[bad]), ANY),
                }
            )
        )
        each = {n: st.one_of(ANY, valid[n], look_alike(valid[n])) for n in names}
        path = {n: each.pop(n) for n in names if n == self.segment}  # a path has its segment
        anything = st.fixed_dictionaries(path, optional=each)
        return st.one_of(one_off, one_off, anything)  # two parts in three one field off

    def url(self, world: World, request: dict[str, str]) -> str:
        segment = request.pop(self.segment, "") if self.segment else ""
        return self.path.format(
            seg=quote(segment, safe=""), ada=world.ada.account_id, ada_user=world.ada.user_id
        )


@pytest.fixture(scope="module", params=STORES)
def world(request, tmp_path_factory) -> Any:
    from flaskbank.web import create_app

    tmp = tmp_path_factory.mktemp("fuzz")
    store = make_store(request.param, tmp, request)
    app = create_app(
        Config(data_dir=tmp, secret_key=secrets.token_hex(32)),
        overrides={"TESTING": True, "WTF_CSRF_ENABLED": False},
        passwords=FastHasher(),
    )
    app.extensions["flaskbank"].store.close()
    app.extensions["flaskbank"].store = store
    app = with_staff(app)
    bank = app.extensions["flaskbank"]
    ada = new_customer(bank, "Ada Lovelace", deposit="1000.00")
    bob = new_customer(bank, "Bob Builder", deposit="5.00")
    carol = new_customer(bank, "Carol Otp")
    dave = new_customer(bank, "Dave Role")
    secret, _ = enrol(bank, carol.user_id)
    admin, token = staff_token(bank, Role.ADMIN)
    yield World(app, bank, ada, bob, carol, dave, secret, token, admin.id)
    store.close()


def fuzz(world: World, route: Route, send: Any) -> None:
    """`send(request)` for many requests the route may get; then the ledger must add up."""
    world.reset()

    @EXAMPLES
    @given(request=route.requests(world))
    def check(request: dict[str, str]) -> None:
        if route.who in ("", "pending"):
            world.unlock()
        send(dict(request))

    check()
    assert verify(world.bank).problems == []


# -- the API -------------------------------------------------------------------------------

API_ROUTES = {
    "register": Route(
        "POST",
        "/users",
        ("email", "full_name", "password", "phone", "address", "date_of_birth"),
        who="",
    ),
    "tokens": Route("POST", "/tokens", ("email", "password", "otp"), who="", login="carol"),
    "me": Route(
        "PATCH",
        "/me",
        ("full_name", "email", "old_password", "new_password", "phone", "date_of_birth"),
    ),
    "open": Route("POST", "/accounts", ("type", "currency")),
    "account": Route("GET", "/accounts/{seg}", segment="account_id"),
    "deposit": Route("POST", "/accounts/{seg}/deposits", ("amount", "memo"), segment="account_id"),
    "withdraw": Route(
        "POST", "/accounts/{seg}/withdrawals", ("amount", "memo"), segment="account_id"
    ),
    "transfer": Route(
        "POST", "/transfers", ("from_account_id", "to_account_number", "to_email", "amount", "memo")
    ),
    "history": Route(
        "GET",
        "/accounts/{seg}/transactions",
        ("limit", "cursor", "since", "until", "type"),
        segment="account_id",
    ),
    "statement": Route("GET", "/accounts/{ada}/statements/{seg}", ("format",), segment="month"),
    "staff-search": Route("GET", "/staff/customers", ("q",), who="admin"),
    "staff-customer": Route("GET", "/staff/customers/{seg}", segment="user_id", who="admin"),
    "staff-freeze": Route(
        "POST", "/staff/accounts/{seg}/freeze", ("reason",), segment="account_id", who="admin"
    ),
    "staff-unfreeze": Route(
        "POST", "/staff/accounts/{seg}/unfreeze", ("reason",), segment="account_id", who="admin"
    ),
    "staff-audit": Route(
        "GET", "/staff/audit", ("cursor", "action", "actor", "since", "until"), who="admin"
    ),
    "staff-note": Route(
        "POST", "/staff/customers/{seg}/notes", ("text",), segment="user_id", who="admin"
    ),
    "staff-history": Route(
        "GET",
        "/staff/customers/{ada_user}/accounts/{seg}/transactions",
        ("cursor", "since", "until", "type", "q"),
        segment="account_id",
        who="admin",
    ),
    "staff-approval": Route(
        "POST", "/staff/approvals", ("action", "target", "reason"), who="admin"
    ),
}
# Header values carry no line breaks (and on the wire little beyond Latin-1): printable text.
KEYS = st.none() | st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40)


def bearer(world: World, who: str) -> dict[str, str]:
    token = {"ada": world.ada_token, "admin": world.admin_token}.get(who)
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.mark.parametrize("name", sorted(API_ROUTES))
def test_unicode_never_breaks_the_api(world, name):
    route, client = API_ROUTES[name], world.app.test_client()

    def send(request: dict[str, str]) -> None:
        path = API + route.url(world, request)
        headers = bearer(world, route.who)
        if route.method == "GET":
            response = client.get(path, query_string=request, headers=headers)
        else:
            response = client.open(path, method=route.method, json=request, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM, response.get_data(as_text=True)
            assert response.json["status"] == response.status_code
        if name == "me" and response.status_code == 200 and "new_password" in request:
            world.ada.password = request["new_password"]  # and her tokens are revoked
            world.reset()

    fuzz(world, route, send)


@pytest.mark.parametrize("name", ["deposit", "transfer"])
def test_unicode_idempotency_keys_never_break_the_api(world, name):
    route, client = API_ROUTES[name], world.app.test_client()
    world.reset()

    @EXAMPLES
    @given(request=route.requests(world), key=KEYS)
    def check(request: dict[str, str], key: str | None) -> None:
        headers = bearer(world, "ada") | ({} if key is None else {"Idempotency-Key": key})
        body = dict(request)
        response = client.post(API + route.url(world, body), json=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.status_code < 400 or response.mimetype == PROBLEM

    check()
    assert verify(world.bank).problems == []


# -- the web pages -------------------------------------------------------------------------

PAGES = {
    "login": Route("POST", "/login", ("email", "password"), who=""),
    "login-next": Route("GET", "/login", ("next",), who=""),
    "login-code": Route("POST", "/login/code", ("otp",), who="pending"),
    "register": Route(
        "POST",
        "/register",
        ("email", "full_name", "password", "phone", "address", "date_of_birth"),
        who="",
    ),
    "profile": Route("POST", "/profile", ("full_name", "email", "phone", "address")),
    "password": Route(
        "POST", "/profile/password", ("old_password", "new_password", "confirm_password")
    ),
    "enrol": Route("POST", "/profile/two-factor", ("code",)),
    "revoke-token": Route("POST", "/profile/tokens/{seg}/revoke", segment="token_id"),
    "open": Route("POST", "/accounts/new", ("type", "currency")),
    "deposit": Route(
        "POST", "/accounts/{seg}/deposit", ("amount", "memo", "token"), segment="account_id"
    ),
    "withdraw": Route(
        "POST", "/accounts/{seg}/withdraw", ("amount", "memo", "token"), segment="account_id"
    ),
    "transfer": Route(
        "POST",
        "/transfer",
        ("from_account", "to_account_number", "to_email", "amount", "memo", "token"),
    ),
    "transfer-from": Route("GET", "/transfer", ("from",)),
    "history": Route(
        "GET", "/accounts/{seg}/history", ("since", "until", "type", "cursor"), segment="account_id"
    ),
    "statement": Route("GET", "/accounts/{seg}/statement", ("month",), segment="account_id"),
    "statement-csv": Route(
        "GET", "/accounts/{seg}/statement.csv", ("month",), segment="account_id"
    ),
    "staff-search": Route("GET", "/staff/customers", ("q",), who="admin"),
    "staff-customer": Route("GET", "/staff/customers/{seg}", segment="user_id", who="admin"),
    "staff-freeze": Route(
        "POST",
        "/staff/customers/{ada_user}/accounts/{seg}/freeze",
        ("reason",),
        segment="account_id",
        who="admin",
    ),
    "staff-audit": Route(
        "GET", "/staff/audit", ("action", "actor", "since", "until", "cursor"), who="admin"
    ),
    "staff-users": Route("GET", "/staff/users", ("cursor",), who="admin"),
    "staff-new-user": Route(
        "POST", "/staff/users/new", ("email", "full_name", "role"), who="admin"
    ),
    "staff-role": Route(
        "POST", "/staff/users/{seg}/role", ("role",), segment="user_id", who="admin"
    ),
    "staff-unlock": Route("POST", "/staff/logins/unlock", ("email",), who="admin"),
}


def browser(world: World, who: str) -> Any:
    """A test client as `who`, signed in afresh for each example."""
    if who in ("ada", "admin"):
        return signed_in(world.app, world.ada.user_id if who == "ada" else world.admin_id)
    client = world.app.test_client()
    if who == "pending":
        response = client.post(
            "/login", data={"email": world.carol.email, "password": world.carol.password}
        )
        assert response.location == "/login/code"
    return client


@pytest.mark.parametrize("name", sorted(PAGES))
def test_unicode_never_breaks_a_page(world, name):
    route = PAGES[name]

    def send(request: dict[str, str]) -> None:
        client = browser(world, route.who)
        if name == "enrol":
            client.get("/profile/two-factor")  # the secret being enrolled
        path = route.url(world, request)
        if route.method == "GET":
            response = client.get(path, query_string=request)
        else:
            response = client.post(path, data=request)
        assert response.status_code < 500, response.get_data(as_text=True)
        if name == "password" and response.status_code == 302:
            world.ada.password = request["new_password"]

    fuzz(world, route, send)
