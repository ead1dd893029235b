"""The synthetic bank (flaskbank generate): the same seed gives the same bank, the ledger it
loads passes verify, and a killed load resumed ends identical to one never interrupted."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bank_tables import dump
from flaskbank.cli import main
from flaskbank.domain.errors import StoreError
from flaskbank.domain.events import (
    Event,
    transaction_posted,
    transaction_posted_fields,
    transaction_posted_in_time,
)
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite.bulk import SqliteBulk
from flaskbank.synthetic import LOCKED, Digest, Options, generate
from flaskbank.synthetic.ids import Ids
from flaskbank.synthetic.loading import load_bank

SMALL = ["--customers", "40", "--months", "3", "--seed", "11", "--start", "2024-03-01"]


def digest(options: Options) -> str:
    d = Digest()
    for batch in generate(options, LOCKED):
        d.add(batch)
    return d.hexdigest()


def test_the_same_seed_makes_the_same_bank_and_another_seed_another():
    options = Options(60, 4, 5, date(2024, 1, 1), pattern_rate=30, batch_size=500)
    assert digest(options) == digest(options)
    assert digest(Options(60, 4, 6, date(2024, 1, 1), pattern_rate=30, batch_size=500)) != (
        digest(options)
    )


def test_ids_and_times_follow_from_the_seed_not_the_clock_or_chance():
    options = Options(30, 2, 3, batch_size=200)
    first, again = list(generate(options, LOCKED)), list(generate(options, LOCKED))
    assert [b.postings for b in first] == [b.postings for b in again]
    assert [b.events for b in first] == [b.events for b in again]
    assert first[0].users[0].id == again[0].users[0].id


def test_batches_are_numbered_in_order_and_postings_follow_time():
    # A year of 150 customers: steps planned near a month's end fall into the next month.
    options = Options(150, 12, 9, batch_size=2000)
    batches = list(generate(options, LOCKED))
    assert [b.number for b in batches] == list(range(len(batches)))
    times = [p.created_at for b in batches for p in b.postings]
    assert times == sorted(times) and len(times) > 10_000
    assert times[-1] < "2025-01-01"  # nothing after the period
    seen: set[str] = set()
    for b in batches:  # a customer's accounts come in a batch no later than its postings
        seen.update(a.id for a in b.accounts)
        assert all(leg.account_id in seen for p in b.postings for leg in p.legs[:1])


def run(args: list[str], tmp_path: Path) -> Result:
    env = {"FLASKBANK_DATA_DIR": str(tmp_path), "FLASKBANK_STORE": None}
    return CliRunner().invoke(main, args, env=env)


def test_generate_loads_a_bank_that_verify_passes_and_prints_its_checksum(tmp_path):
    done = run(["generate", *SMALL, "--checksum", "--quiet"], tmp_path)
    assert done.exit_code == 0, done.output
    assert "40 customers" in done.output
    checksum = done.output.split("checksum ")[1].strip()
    checked = run(["verify"], tmp_path)
    assert checked.exit_code == 0 and "ledger OK" in checked.output, checked.output
    elsewhere = run(["generate", *SMALL, "--checksum", "--quiet"], tmp_path / "other")
    assert elsewhere.output.split("checksum ")[1].strip() == checksum


def schema(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ).fetchall()


@pytest.mark.parametrize("stage_from", [10**9, 1], ids=["row by row", "entries staged"])
def test_a_killed_load_is_named_then_resumed_to_the_same_bank(tmp_path, monkeypatch, stage_from):
    monkeypatch.setattr(SqliteBulk, "stage_from", 10**9)
    whole = run(["generate", *SMALL, "--quiet", "--batch-size", "200"], tmp_path / "whole")
    assert whole.exit_code == 0, whole.output
    monkeypatch.setattr(SqliteBulk, "stage_from", stage_from)
    real_load = SqliteBulk.load

    def killed_after_three(self, batch):  # type: ignore[no-untyped-def]
        if batch.number == 3:
            raise KeyboardInterrupt  # as a Ctrl-C or a kill would stop it: mid-stream
        real_load(self, batch)

    monkeypatch.setattr(SqliteBulk, "load", killed_after_three)
    killed = run(["generate", *SMALL, "--quiet", "--batch-size", "200"], tmp_path)
    assert killed.exit_code != 0
    monkeypatch.setattr(SqliteBulk, "load", real_load)
    refused = run(["verify"], tmp_path)
    assert refused.exit_code != 0 and "unfinished bulk load" in refused.output
    resumed = run(["generate", *SMALL, "--quiet", "--batch-size", "200"], tmp_path)
    assert resumed.exit_code == 0, resumed.output
    assert "resuming load" in resumed.output and "3 were in already" in resumed.output
    assert run(["verify"], tmp_path).exit_code == 0
    assert dump(tmp_path / "flaskbank.db") == dump(tmp_path / "whole" / "flaskbank.db")
    # The entries' indexes exist again, as a new database has them; no staging table is left.
    assert schema(tmp_path / "flaskbank.db") == schema(tmp_path / "whole" / "flaskbank.db")


def test_serve_refuses_a_half_loaded_store(tmp_path):
    store = SqliteStore(tmp_path / "flaskbank.db")
    store.init_schema()
    batch = next(iter(generate(Options(5, 1, 1), LOCKED)))
    store.bulk.load(batch)
    store.close()
    env = {"FLASKBANK_DATA_DIR": str(tmp_path), "FLASKBANK_SECRET_KEY": "s" * 40}
    result = CliRunner().invoke(main, ["serve"], env={**env, "FLASKBANK_STORE": None})
    assert result.exit_code != 0
    assert f"unfinished bulk load(s) {batch.load_id}" in result.output


@pytest.mark.parametrize("rate", [0.0])
def test_pattern_rate_zero_plants_nothing_but_reports_large_cash(rate, tmp_path):
    store = SqliteStore(tmp_path / "b.db")
    store.init_schema()
    load_bank(store, Options(80, 3, 2, pattern_rate=rate), LOCKED)
    assert {lb.pattern.value for lb in store.bulk.labels()} <= {"large_cash"}


def test_ids_are_the_uuid5_of_the_seed_and_a_counter():
    ids = Ids(42)
    for _ in range(300):
        assert ids.next("txn") == str(uuid.uuid5(ids.namespace, f"txn:{ids.counter}"))


def test_transactions_and_events_are_named_in_time_order_by_uuid7s_of_the_seed():
    # In time order, each id index grows at its end instead of taking ids on random pages.
    batches = list(generate(Options(60, 3, 4, batch_size=500), LOCKED))
    postings = [p for b in batches for p in b.postings]
    txn_ids = [p.id for p in postings]
    assert txn_ids == sorted(txn_ids) and len(set(txn_ids)) == len(txn_ids)
    assert {uuid.UUID(t).version for t in txn_ids} == {7}
    first = datetime.fromisoformat(postings[0].created_at)
    assert uuid.UUID(txn_ids[0]).int >> 80 == int(first.timestamp() * 1000)
    for b in batches:  # an event's id carries its time, to the millisecond
        for e in b.events:
            millis = int(datetime.fromisoformat(e.at).timestamp() * 1000)
            assert uuid.UUID(e.id).version == 7 and uuid.UUID(e.id).int >> 80 == millis
    again = [p.id for b in generate(Options(60, 3, 4, batch_size=500), LOCKED) for p in b.postings]
    assert again == txn_ids


def test_a_posting_event_of_a_load_leads_with_its_transaction_time():
    posting = next(p for b in generate(Options(20, 1, 4), LOCKED) for p in b.postings)
    ordered = transaction_posted_in_time(posting)
    usual = transaction_posted(posting)
    assert ordered.id[:19] == posting.id[:19] and ordered.id != posting.id
    assert ordered.id == transaction_posted_in_time(posting).id  # a replayed batch: the same id
    assert Event(*transaction_posted_fields(posting)) == ordered  # what the SQLite bulk path writes
    assert uuid.UUID(ordered.id).version == 7
    assert (ordered.kind, ordered.subject, ordered.at, ordered.payload) == (
        usual.kind,
        usual.subject,
        usual.at,
        usual.payload,
    )
    older = replace(posting, id=str(uuid.uuid4()))  # a transaction id without its time
    assert transaction_posted_in_time(older).id == transaction_posted(older).id


def test_the_checksum_is_the_same_in_another_process_with_another_hash_seed():
    script = (
        "from flaskbank.synthetic import LOCKED, Digest, Options, generate\n"
        "d = Digest()\n"
        "for b in generate(Options(60, 4, 5, pattern_rate=30), LOCKED): d.add(b)\n"
        "print(d.hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_a_load_already_in_says_so_and_a_colliding_batch_is_refused_whole(tmp_path):
    assert run(["generate", *SMALL, "--quiet"], tmp_path).exit_code == 0
    again = run(["generate", *SMALL, "--quiet"], tmp_path)
    assert again.exit_code == 0 and "is in this store already" in again.output
    store = SqliteStore(tmp_path / "flaskbank.db")
    first = next(iter(generate(Options(40, 3, 11, date(2024, 3, 1)), LOCKED)))
    clash = replace(first, load_id="another", number=0)  # the same customers again
    with pytest.raises(StoreError, match="collides with what the store holds"):
        store.bulk.load(clash)
    assert store.bulk.loaded("another") == 0
    store.close()
