"""Scoring a posting before it commits: approve, review or block.

The verdict is made from what the posting's own read brought (the customer's profile and the
live rule set come with the accounts: no extra round trip) and the source account's recent
entries (one more read). It travels in the posting's event (Posting.screening), so that the
decision commits with the money, or with the pending transfer's hold, or with the record of
a blocked attempt, and the monitoring consumer opens the alert from the feed.

A scorer that fails never approves: the posting goes to review, the failure is logged, and
the verdict says `failed`, so that analysts see it and the alert queue counts it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import lru_cache

from ...domain.accounts import Account
from ...domain.ledger import TransactionType, utc_iso
from ...domain.money import Money
from ...domain.monitoring import profile as profiles
from ...domain.monitoring import rules, scoring
from ...domain.monitoring.model import (
    Candidate,
    Decision,
    RuleSet,
    StoredProfile,
    StoredRuleSet,
    Verdict,
)
from ..bank import Bank

log = logging.getLogger("flaskbank.monitoring")

_WINDOW = timedelta(hours=scoring.RECENT_WINDOW_HOURS)

#: Scorer failures since the process started (also visible as failed verdicts in alerts).
failures = 0


@lru_cache(maxsize=8)
def _rule_set(data: str) -> RuleSet:
    """Parse the stored rule set once per distinct text, not once per posting."""
    return rules.load(data)


@lru_cache(maxsize=1)
def _defaults() -> RuleSet:
    """One object, so that the scorer compiles the defaults once (it caches by identity)."""
    return rules.default_rule_set()


def live_rules(stored: StoredRuleSet | None) -> RuleSet:
    """The rule set in force: the stored one, or the defaults before anyone edited it."""
    return _defaults() if stored is None else _rule_set(stored.data)


def candidate(
    type: TransactionType,
    user_id: str,
    account: Account,
    amount: Money,
    at: str,
    counterparty: Account | None = None,
) -> Candidate:
    return Candidate(
        type=type,
        user_id=user_id,
        account_id=account.id,
        amount=amount.minor,
        currency=amount.currency,
        at=at,
        counterparty_account_id=None if counterparty is None else counterparty.id,
        to_own_account=counterparty is not None and counterparty.user_id == user_id,
    )


def screen(
    bank: Bank,
    what: Candidate,
    stored_profile: StoredProfile | None,
    stored_rules: StoredRuleSet | None,
) -> Verdict:
    """The verdict on one posting; never raises (a failure is a review)."""
    global failures
    try:
        ruleset = live_rules(stored_rules)
        profile = profiles.Profile.load(stored_profile, what.user_id)
        # The bank's own time (Bank.now): fromisoformat reads it a tenth as slowly as strptime.
        since = utc_iso(datetime.fromisoformat(what.at) - _WINDOW)
        recent = bank.store.ledger.recent(what.account_id, since=since, limit=scoring.RECENT_LIMIT)
        return scoring.score(ruleset, profile, recent, what)
    except Exception:  # noqa: BLE001 - any failure of the scorer must hold, not approve
        failures += 1
        log.exception("monitoring: scoring failed for %s on %s", what.type, what.account_id)
        return Verdict(Decision.REVIEW, 0, failed=True)


def payload(verdict: Verdict) -> dict[str, object]:
    """The verdict as the posting's event carries it. Every rule version it was judged by
    is kept, so that the explanation can be read later against the rules as they were."""
    return dict(verdict.to_json())
