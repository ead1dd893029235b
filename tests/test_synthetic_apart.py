"""Generating in a process of its own (synthetic/apart.py): the same bank as generating in
the loading process, and a generating process that fails or is killed is named, never taken
for the end of the load. Also the two things the hand-over leans on: a posting pickles to an
equal posting, and the SQLite bulk path's spelled-out event JSON is json.dumps's text."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from bank_tables import dump
from flaskbank.domain.events import transaction_posted, transaction_posted_fields
from flaskbank.domain.ledger import IdempotencyKey, Leg, Posting, TransactionType
from flaskbank.domain.money import Money
from flaskbank.store.base import BulkBatch
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite.bulk import _posted_row
from flaskbank.store.sqlite.events import insert_event, insert_posted
from flaskbank.synthetic import LOCKED, Options, apart, generate
from flaskbank.synthetic.apart import GeneratorFailed, generated_apart
from flaskbank.synthetic.loading import load_bank

OPTIONS = Options(50, 4, 12, date(2024, 2, 1), pattern_rate=30, batch_size=700)


def test_a_bank_generated_apart_is_the_bank_generated_in_the_loading_process(tmp_path):
    loaded = {}
    for elsewhere in (True, False):
        store = SqliteStore(tmp_path / f"{elsewhere}.db")
        store.init_schema()
        loaded[elsewhere] = load_bank(store, OPTIONS, LOCKED, checksum=True, apart=elsewhere)
        store.close()
    assert loaded[True].digest == loaded[False].digest
    assert loaded[True].postings == loaded[False].postings > 1_000
    assert loaded[True].batches == loaded[False].batches > 2
    assert dump(tmp_path / "True.db") == dump(tmp_path / "False.db")


def test_a_generating_process_that_fails_is_named_with_its_error():
    broken = Options(5, 1, 1)
    object.__setattr__(broken, "start", "not a date")  # fails in the child, not here
    with pytest.raises(GeneratorFailed, match="generating failed:(.|\n)*AttributeError"):
        list(generated_apart(broken, LOCKED))


def children() -> list[int]:
    """This process's child processes, by each of its threads (a thread may end meanwhile:
    threads of earlier tests in the same worker still wind down)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found += [int(pid) for pid in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def test_a_killed_generating_process_is_named_not_taken_for_the_end():
    before = children()
    stream = generated_apart(OPTIONS, LOCKED)
    first = next(stream)
    assert first.number == 0
    (child,) = set(children()) - set(before)
    os.kill(child, signal.SIGKILL)
    with pytest.raises(GeneratorFailed, match="ended before its last batch"):
        for _ in stream:
            pass


def test_stopping_early_stops_the_generating_process():
    before = children()
    stream = generated_apart(OPTIONS, LOCKED)
    next(stream)
    assert len(children()) == len(before) + 1
    stream.close()
    assert children() == before


ODD = ['say "hi"\\ now', "café ☕ \u2028 line", "tab\tand\nnewline \x00 \x1f", "", "💸" * 3]


def odd_postings() -> list[Posting]:
    usd = Money.of("12.30")
    legs = (Leg("a-1", -usd, "To Bö · ****1234"), Leg("cash", usd, 'quote " here'))
    plain = Posting(
        "019a0000-0000-7000-8000-000000000001",
        TransactionType.WITHDRAWAL,
        usd,
        legs,
        "memo",
        "2025-01-02T03:04:05.000006Z",
        "user-1",
    )
    made = [replace(plain, memo=memo) for memo in ODD]
    made.append(replace(plain, closes="a-1", initiated_by="bank"))
    made.append(replace(plain, id="not-a-uuid7 \"'"))
    made.append(replace(plain, screening={"score": 40, "rules": ["large_amount"]}))
    verdict = {
        "decision": "review",
        "failed": False,
        "hits": [{"explanation": 'a "new" payee ☕', "rule": "r1", "score": 20, "version": 2}],
        "rule_versions": [["r1", 2], ["thresholds", 1]],
        "score": 20,
        "zero": None,
    }
    made.append(replace(plain, screening=verdict, closes="a-1"))
    made.append(replace(plain, idempotency=IdempotencyKey("user-1", "k", "f" * 64)))
    three = (Leg("a-1", -usd, ""), Leg("b-2", Money.of("10.00"), ""), Leg("c", Money.of("2.30")))
    made.append(replace(plain, type=TransactionType.TRANSFER, legs=three))
    made.append(
        replace(
            plain,
            amount=Money.of("12.30", "EUR"),
            legs=tuple(
                Leg(leg.account_id, Money(leg.amount.amount, "EUR"), leg.counterparty)
                for leg in legs
            ),
        )
    )
    return made


def generated_postings() -> list[Posting]:
    return [p for b in generate(OPTIONS, LOCKED) for p in b.postings]


@pytest.mark.parametrize("source", [odd_postings, generated_postings])
def test_a_batch_pickles_to_an_equal_batch(source):
    postings = tuple(source())
    batch = BulkBatch("load", 3, postings=postings, events=next(generate(OPTIONS, LOCKED)).events)
    back = pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301
    assert back == batch and len(back.postings) == len(postings) and back.events
    assert [type(leg.amount.amount) for p in back.postings for leg in p.legs] == [
        type(leg.amount.amount) for p in postings for leg in p.legs
    ]
    assert [str(p.amount) for p in back.postings] == [str(p.amount) for p in postings]
    assert [len(p.legs) for p in back.postings] == [len(p.legs) for p in postings]


@pytest.mark.parametrize("source", [odd_postings, generated_postings])
def test_the_bulk_paths_event_json_is_json_dumps_text(source):
    encode = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
    for posting in source():
        event_id, kind, subject, actor, at, payload = transaction_posted_fields(posting)
        assert _posted_row(posting) == (event_id, kind.value, subject, actor, at, encode(payload))


def test_a_posting_writes_its_event_as_insert_event_would():
    """SqliteLedger.post writes transaction_posted's row straight from the posting: the same
    statement and values, byte for byte, as writing the checked Event; a verdict that JSON
    would not carry exactly is refused, as an Event refuses it."""

    class Recorder:
        def execute(self, sql: str, values: tuple) -> None:  # type: ignore[type-arg]
            self.written = (sql, values)

    ours, theirs = Recorder(), Recorder()
    any_mapping = replace(odd_postings()[0], screening=MappingProxyType({"score": 5}))
    for posting in [*odd_postings(), any_mapping]:
        insert_posted(ours, posting)  # type: ignore[arg-type]
        insert_event(theirs, transaction_posted(posting))  # type: ignore[arg-type]
        assert ours.written == theirs.written
    with pytest.raises(TypeError, match="payload.screening.score: float"):
        insert_posted(ours, replace(odd_postings()[0], screening={"score": 0.5}))  # type: ignore[arg-type]


def test_a_damaged_or_cut_message_from_the_generating_process_is_never_unpickled():
    data = pickle.dumps(next(generate(OPTIONS, LOCKED)))
    sent = io.BytesIO()
    apart._send(sent, pickle.loads(data))  # noqa: S301
    whole = sent.getvalue()
    assert pickle.loads(apart._read(io.BytesIO(whole))) == pickle.loads(data)  # noqa: S301
    damaged = bytearray(whole)
    damaged[len(whole) // 2] ^= 0x40
    with pytest.raises(GeneratorFailed, match="arrived damaged"):
        apart._read(io.BytesIO(bytes(damaged)))
    assert apart._read(io.BytesIO(whole[:-1])) is None  # cut short: the child ended early
