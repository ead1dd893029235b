"""Demo data: a synthetic bank (synthetic/, docs/synthetic.md) of a few hundred customers
with 18 months of history up to the end of last month, from a fixed seed, loaded through the
store's bulk path (so the ledger's invariants hold for it too). Its first customers are
Alice, Bob and Carol; every generated customer shares the demo password, which is printed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .domain.labels import Pattern
from .services.bank import Bank
from .synthetic import Options
from .synthetic.loading import load_bank

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed to the user on purpose
PEOPLE = (
    ("alice@example.com", "Alice Martin"),
    ("bob@example.com", "Bob Nguyen"),
    ("carol@example.com", "Carol Okafor"),
)
CUSTOMERS = 300
MONTHS = 18
SEED = 7
#: Planted patterns at 20 times their realistic rates, so that a demo shows some of each.
PATTERN_RATE = 20.0


def demo_options(now: datetime) -> Options:
    """The demo bank: 18 whole months that end with the month before `now`'s, so that no
    posting is dated in the future."""
    months_back = now.year * 12 + now.month - 1 - MONTHS
    start = date(months_back // 12, months_back % 12 + 1, 1)
    return Options(CUSTOMERS, MONTHS, SEED, start, PATTERN_RATE, named=PEOPLE)


def load_demo(bank: Bank, *, now: datetime | None = None) -> list[str]:
    """Make the demo bank unless the store already has users; returns logins to print:
    the named customers, then one customer of each planted pattern."""
    emails = [email for email, _ in PEOPLE]
    if bank.store.users.count_users() > 0:
        return emails
    options = demo_options(now or datetime.now(UTC))
    load_bank(bank.store, options, bank.passwords.hash(DEMO_PASSWORD))
    shown: dict[Pattern, str] = {}
    for label in bank.store.bulk.labels():
        if label.pattern not in shown:
            user = bank.store.users.get_user(label.user_id)
            if user is not None:
                shown[label.pattern] = f"{user.email} ({label.pattern.value})"
    return emails + [shown[p] for p in Pattern if p in shown]
