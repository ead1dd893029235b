"""`flaskbank verify`: recompute the ledger's invariants from everything stored."""

from __future__ import annotations

from ..domain.ledger import LedgerReport, verify_ledger
from .bank import Bank


def verify(bank: Bank) -> LedgerReport:
    return verify_ledger(bank.store.all_accounts(), bank.store.all_transactions())
