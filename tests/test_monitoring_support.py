"""Helpers for the monitoring workspace tests (no tests here): rules that send a customer's
transfer to review, and the alert that the monitoring consumer opens for it."""

from __future__ import annotations

from conftest import Customer, new_customer
from flaskbank.domain.accounts import Role
from flaskbank.domain.holds import Hold
from flaskbank.domain.monitoring.model import Alert
from flaskbank.services import postings
from flaskbank.services.bank import Bank
from flaskbank.services.monitoring import alerts, consumer, rules
from test_staff_support import CLI, make_staff

#: Transfers from this amount up wait for review under review_rules().
REVIEW_FROM = "50.00"


def review_rules(bank: Bank) -> None:
    """Live rules under which any transfer of REVIEW_FROM or more waits for review (one
    rule's score reaches the review threshold), as an analyst would set them."""
    analyst = make_staff(bank, Role.FRAUD_ANALYST)
    rules.change_rule(
        bank,
        analyst,
        "large_amount",
        params={"amount": REVIEW_FROM, "types": ["transfer"]},
        score=30,
        actor=CLI,
    )
    rules.change_thresholds(bank, analyst, review_at=30, block_at=1000, actor=CLI)


def held_alert(bank: Bank, amount: str = "60.00") -> tuple[Alert, Customer]:
    """A customer's transfer held for review, and the alert the consumer opened for it."""
    review_rules(bank)
    sender = new_customer(bank, "Sam Sender", deposit="500.00")
    recipient = new_customer(bank, "Rob Recipient")
    held = postings.transfer(
        bank,
        sender.user_id,
        sender.account_id,
        amount=amount,
        to_account_number=recipient.account_number,
    )
    assert isinstance(held, Hold), held
    consumer.catch_up(bank)
    found = bank.store.monitoring.alerts(limit=alerts.PAGE_MAX, customer_id=sender.user_id)
    [alert] = found.items
    return alert, sender
