"""Backtests: a draft rule set (changed parameters, a new rule, a rule switched off) run over
a period of history, touching nothing: the feed is replayed through the same scorer as the
live path (domain.monitoring.replay), with profiles built in memory from the start of the
feed, so that the period's first days are scored with the history before them.

The figures: alerts in the period, per day; per rule, and overall, precision and recall
against the synthetic bank's labels; and the overlap with the live rules over the same
period. An analyst starts one (queued); the worker runs it in a thread of its own, saving its
progress as it goes, so a long period shows how far it got and the worker's other jobs go on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ...domain.accounts import User
from ...domain.errors import BacktestNotFound, StaleRecord, ValidationFailed
from ...domain.events import Event, EventKind
from ...domain.ledger import new_id, parse_utc_iso, utc_iso
from ...domain.monitoring import replay, rules
from ...domain.monitoring.model import Backtest, Rule, RuleSet, Thresholds
from ...domain.security import AuditAction, Permission
from ..audit import Actor, record
from ..bank import Bank
from ..consumers import run_once
from ..events import emit
from ..permissions import require
from .fields import action_of, flag_of, score_of
from .screening import live_rules

log = logging.getLogger("flaskbank.monitoring")

MAX_DAYS = 3 * 366
PAGE = 2000
SAVE_EVERY = 20_000  # events between progress saves
STALLED = timedelta(minutes=5)  # a running backtest with no progress this long is run again


def start(
    bank: Bank,
    analyst: User,
    *,
    rules_given: object = None,
    thresholds: object = None,
    since: object,
    until: object,
    actor: Actor,
) -> Backtest:
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    draft = draft_rules(bank, rules_given, thresholds)
    start_at, end_at = _period(since, until)
    backtest = Backtest(
        id=new_id(),
        created_at=bank.now(),
        created_by=analyst.email,
        since=start_at,
        until=end_at,
        rules=rules.dump(draft),
    )

    def add() -> Backtest:
        bank.store.monitoring.add_backtest(backtest)
        emit(bank, EventKind.BACKTEST_REQUESTED, backtest.id, actor, since=start_at, until=end_at)
        record(bank, actor, AuditAction.BACKTEST_STARTED, backtest.id, since=start_at, until=end_at)
        return backtest

    return bank.in_unit(add)


def get(bank: Bank, analyst: User, backtest_id: str) -> Backtest:
    """The backtest as it stands; one running without a sign of life for STALLED (its
    worker died) is shown as failed, so that nobody waits on it."""
    require(analyst, Permission.MONITOR_TRANSACTIONS)
    found = bank.store.monitoring.get_backtest(backtest_id)
    if found is None:
        raise BacktestNotFound("no such backtest")
    beat = found.extra.get("heartbeat")
    stalled = isinstance(beat, str) and parse_utc_iso(beat) < bank.clock() - STALLED
    if found.status == "running" and stalled:
        return replace(found, status="failed", error="interrupted: start it again")
    return found


def draft_rules(bank: Bank, given: object, thresholds: object) -> RuleSet:
    """The draft: the rules given (each {id, type, params, score, action, enabled}), or the
    live ones; the thresholds given ({review_at, block_at}), or the live ones."""
    live = live_rules(bank.store.monitoring.rule_set())
    drafted = (
        live.rules if given is None else tuple(_rule(r, i) for i, r in enumerate(_list(given)))
    )
    ids = [r.id for r in drafted]
    if len(set(ids)) != len(ids):
        raise ValidationFailed({"rules": "each rule needs an id of its own"})
    return RuleSet(drafted, live.thresholds if thresholds is None else _thresholds(thresholds))


def _list(value: object) -> list[object]:
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        raise ValidationFailed({"rules": "give 1 to 100 rules"})
    return value


def _rule(value: object, i: int) -> Rule:
    if not isinstance(value, dict):
        raise ValidationFailed({f"rules[{i}]": "give the rule as an object"})
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in rules.RULE_TYPES:
        raise ValidationFailed(
            {f"rules[{i}].type": "one of " + ", ".join(sorted(rules.RULE_TYPES))}
        )
    rule_id = value.get("id", kind)
    if not isinstance(rule_id, str) or not 1 <= len(rule_id) <= 64:
        raise ValidationFailed({f"rules[{i}].id": "1 to 64 characters"})
    params = value.get("params", {})
    if not isinstance(params, dict):
        raise ValidationFailed({f"rules[{i}].params": "give the parameters as an object"})
    return Rule(
        id=rule_id,
        type=kind,
        params=rules.validate(kind, params),
        score=score_of(value.get("score", 0), f"rules[{i}].score"),
        action=action_of(value.get("action", "score")),
        enabled=flag_of(value.get("enabled", True)),
        version=0,  # a draft's rules are no version of the live ones
    )


def _thresholds(value: object) -> Thresholds:
    if not isinstance(value, dict):
        raise ValidationFailed({"thresholds": "give {review_at, block_at}"})
    review = score_of(value.get("review_at"), "thresholds.review_at")
    block = score_of(value.get("block_at"), "thresholds.block_at")
    if not 0 < review <= block:
        raise ValidationFailed({"thresholds.block_at": "must be at least review_at"})
    return Thresholds(review, block, 0)


def _period(since: object, until: object) -> tuple[str, str]:
    start_at, end_at = _moment(since, "since"), _moment(until, "until")
    if end_at <= start_at:
        raise ValidationFailed({"until": "must be after since"})
    if parse_utc_iso(end_at) - parse_utc_iso(start_at) > timedelta(days=MAX_DAYS):
        raise ValidationFailed({"until": f"a backtest covers at most {MAX_DAYS} days"})
    return start_at, end_at


def _moment(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({field: "give a date like 2026-01-31 or a time in ISO 8601"})
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            {field: "give a date like 2026-01-31 or a time in ISO 8601"}
        ) from None
    return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


# -- running ------------------------------------------------------------------------------


class BacktestConsumer:
    """Runs each backtest the feed says was requested, in a thread of its own, so that the
    worker's other jobs go on meanwhile. Claiming is conditional (queued -> running), so a
    request seen twice runs once. A worker that dies mid-run leaves it running with an old
    heartbeat; `get` then reports it as interrupted, and the analyst starts it again."""

    name = "backtests"

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.started: list[threading.Thread] = []

    def apply(self, event: Event) -> None:
        if event.kind is not EventKind.BACKTEST_REQUESTED:
            return
        found = self.bank.store.monitoring.get_backtest(event.subject)
        claimed = None if found is None or found.status != "queued" else _claim(self.bank, found)
        if claimed is not None:
            thread = threading.Thread(target=run, args=(self.bank, claimed), daemon=True)
            thread.start()
            self.started.append(thread)


def start_queued(bank: Bank, *, limit: int = 2000, batches: int = 50) -> int:
    """The worker's job: start the backtests requested since its last run. It reads the
    feed in large batches until caught up (or `batches` done, well inside its lease): on a
    bank loaded in bulk the first run has the whole feed to pass, and a request waiting
    behind it would otherwise wait for minutes."""
    consumer = BacktestConsumer(bank)
    for _ in range(batches):
        if run_once(bank.store, consumer, limit=limit) < limit:
            break
    return len(consumer.started)


def _claim(bank: Bank, backtest: Backtest) -> Backtest | None:
    try:
        return bank.store.monitoring.save_backtest(
            replace(
                backtest,
                status="running",
                progress=0,
                extra={"heartbeat": bank.now()},
                version=backtest.version + 1,
            )
        )
    except StaleRecord:  # another worker claimed it first
        return None


def run(bank: Bank, backtest: Backtest) -> Backtest:
    """Replay the feed up to the period's end with the draft and with the live rules, and
    save the figures. A failure is saved as such, with its reason."""
    state = {"backtest": backtest}

    def progress(done: int) -> None:
        if done % SAVE_EVERY == 0:
            current = state["backtest"]
            state["backtest"] = bank.store.monitoring.save_backtest(
                replace(
                    current,
                    progress=done,
                    extra={"heartbeat": bank.now()},
                    version=current.version + 1,
                )
            )

    try:
        draft = rules.load(backtest.rules)
        live = live_rules(bank.store.monitoring.rule_set())
        since, until = backtest.since, backtest.until
        labels = [x for x in bank.store.bulk.labels() if x.end >= since and x.start < until]
        tried = _within(replay.replay(_feed(bank, until), draft, progress=progress), since)
        kept = _within(replay.replay(_feed(bank, until), live), since)
        figures = replay.evaluate(tried, labels)
        figures["overlap_with_live"] = replay.overlap(tried, kept)
        figures["scored"] = tried.scored
        done = replace(
            state["backtest"],
            status="done",
            result=json.dumps(figures),
            version=state["backtest"].version + 1,
        )
    except Exception as e:  # noqa: BLE001 - a failed backtest says why, and the worker goes on
        log.exception("backtest %s failed", backtest.id)
        done = replace(
            state["backtest"],
            status="failed",
            error=str(e)[:500],
            version=state["backtest"].version + 1,
        )
    return bank.store.monitoring.save_backtest(done)


def _within(result: replay.ReplayResult, since: str) -> replay.ReplayResult:
    """The replay's alerts in the period (the replay stopped at its end; what came before
    `since` only built the profiles)."""
    kept = [a for a in result.alerts if a.at >= since]
    return replay.ReplayResult(kept, result.events, result.transactions, result.scored)


def _feed(bank: Bank, until: str) -> Iterator[Event]:
    """The feed from its start up to `until` (exclusive), page by page."""
    after: str | None = None
    while True:
        page = bank.store.events.read(after=after, limit=PAGE)
        for event in page.events:
            if event.at >= until:
                return
            yield event
        if len(page.events) < PAGE:
            return
        after = page.checkpoint


def figures(backtest: Backtest) -> Mapping[str, object]:
    return {} if not backtest.result else dict(json.loads(backtest.result))
