"""The demo's staff: one login per staff role, with a published password and a published TOTP
secret already enrolled, so that a newcomer signs in as a fraud analyst, a financial manager,
a compliance officer or an admin at once, with no one-time password to change and no
authenticator to enrol first.

Each is marked demo-only (User.demo_only, set at creation and never changed): it signs in
only on a server started by `flaskbank demo` (Settings.demo; domain.security.may_sign_in).
`flaskbank serve` refuses it, audited, and warns at start that the store holds such logins;
`flaskbank remove-demo-staff` deletes them before a store goes live. Their emails are fixed
(a demo-only user cannot change theirs), which is how both commands find them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pyotp

from .domain.accounts import Role, User
from .domain.errors import EmailTaken
from .domain.events import EventKind
from .domain.ledger import new_id
from .domain.security import AuditAction
from .services.audit import Actor, record
from .services.bank import Bank
from .services.customers import clean_email, new_stamp
from .services.events import emit

STAFF_PASSWORD = "demo-staff-password-1"  # noqa: S105 - printed to the user on purpose
#: Printed by every demo (and in the README), so these logins are as good as public: hence
#: demo-only. 32 base32 characters, 160 bits, the length RFC 4226 recommends.
TOTP_SECRET = "FLASKBANKDEMOSTAFFTOTPSECRET2345"  # noqa: S105 - published on purpose
ISSUER = "Flask Bank demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    full_name: str
    role: Role


LOGINS = (
    DemoLogin("analyst@demo.flaskbank.example", "Dana Reyes (demo)", Role.FRAUD_ANALYST),
    DemoLogin("manager@demo.flaskbank.example", "Farid Osei (demo)", Role.FINANCIAL_MANAGER),
    DemoLogin("compliance@demo.flaskbank.example", "Chen Wu (demo)", Role.COMPLIANCE_OFFICER),
    DemoLogin("admin@demo.flaskbank.example", "Ada Lindqvist (demo)", Role.ADMIN),
)

#: The audit log's actor for what the demo command does.
DEMO_ACTOR = Actor(None, "demo", "local")


def add_demo_staff(bank: Bank) -> list[User]:
    """Create each demo login the store does not have yet (so a second run adds nothing);
    returns those created. Each is one unit of work with its audit entry and events."""
    created = []
    for login in LOGINS:
        if bank.store.users.find_user_by_email(login.email) is not None:
            continue
        user = User(
            id=new_id(),
            email=clean_email(login.email),
            full_name=login.full_name,
            password_hash=bank.passwords.hash(STAFF_PASSWORD),
            role=login.role,
            created_at=bank.now(),
            totp_secret=TOTP_SECRET,
            security_stamp=new_stamp(),
            demo_only=True,
        )
        try:
            bank.in_unit(functools.partial(_add, bank, user))
        except EmailTaken:
            continue  # another demo process made it meanwhile
        created.append(user)
    return created


def _add(bank: Bank, user: User) -> None:
    bank.store.users.add_user(user)
    role = user.role.value
    record(bank, DEMO_ACTOR, AuditAction.STAFF_CREATED, user.id, email=user.email, role=role)
    emit(
        bank,
        EventKind.USER_REGISTERED,
        user.id,
        DEMO_ACTOR,
        email=user.email,
        full_name=user.full_name,
        role=role,
        demo_only=True,
    )
    emit(bank, EventKind.TWO_FACTOR_ENROLLED, user.id, DEMO_ACTOR)


def demo_staff_in(bank: Bank) -> list[User]:
    """The demo-only users in the store, found at the demo's fixed emails (a few reads: cheap
    enough for every `serve` to ask, unlike a scan of every user)."""
    found = (bank.store.users.find_user_by_email(login.email) for login in LOGINS)
    return [user for user in found if user is not None and user.demo_only]


def remove_demo_staff(bank: Bank, actor: Actor) -> list[User]:
    """Delete every demo-only login from the store, each with its audit entry and an event;
    returns those removed. Their audit entries stay, naming them by email."""
    removed = []
    for user in demo_staff_in(bank):

        def remove(user_id: str = user.id) -> User | None:
            current = bank.store.users.get_user(user_id)
            if current is None:
                return None  # removed meanwhile
            bank.store.users.remove_user(user_id, version=current.version)
            record(bank, actor, AuditAction.STAFF_REMOVED, user_id, email=current.email)
            emit(bank, EventKind.STAFF_ACTION, user_id, actor, action="demo_staff_removed")
            return current

        gone = bank.in_unit(remove)
        if gone is not None:
            removed.append(gone)
    return removed


def code_to_show(bank: Bank, user: User) -> str | None:
    """On the demo's own server, the code a demo login needs now, for the login page to show
    (the secret is published anyway), so that signing in takes no authenticator app; None
    for anyone else, and anywhere but the demo. When this step's code was used already (a
    second login within 30 s), the next step's, which the one step of drift allowed accepts."""
    if not (bank.settings.demo and user.demo_only and user.totp_secret):
        return None
    code = pyotp.TOTP(user.totp_secret)
    now = bank.clock()
    used = user.totp_last_step >= code.timecode(now)
    return code.at(now, counter_offset=1 if used else 0)


def totp() -> pyotp.TOTP:
    return pyotp.TOTP(TOTP_SECRET)


def provisioning_uri() -> str:
    """The otpauth:// URI an authenticator app reads: one entry serves every demo login."""
    return totp().provisioning_uri(name="demo staff", issuer_name=ISSUER)
