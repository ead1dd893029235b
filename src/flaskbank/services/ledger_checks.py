"""`flaskbank verify`: recompute the ledger's invariants from everything stored, and check
the copies a store keeps for speed against what they copy."""

from __future__ import annotations

from ..domain.verification import LedgerReport, verify_ledger
from .bank import Bank


def verify(bank: Bank) -> LedgerReport:
    ledger = bank.store.ledger
    report = verify_ledger(
        ledger.all_accounts(), ledger.all_transactions(), bank.store.holds.all_holds()
    )
    report.problems.extend(bank.store.copies_out_of_step())
    return report
