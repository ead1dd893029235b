"""`flaskbank verify`: recompute the ledger's invariants from everything stored, and check
the copies a store keeps for speed against what they copy."""

from __future__ import annotations

from ..domain.verification import LedgerReport, verify_ledger
from .bank import Bank


def verify(bank: Bank) -> LedgerReport:
    report = verify_ledger(bank.store.ledger.all_accounts(), bank.store.ledger.all_transactions())
    report.problems.extend(bank.store.copies_out_of_step())
    return report
