"""The embedded store keeps busy accounts' newest entries between postings
(store/sqlite/recent.py). Whatever happens to the file, from this process or another, a read
must answer exactly what the plain query answers: a stale or phantom entry there changes a
fraud verdict. Hypothesis drives another writer, rolled-back writes, a staged load finishing
(old seqs arriving with a schema change), times that do not follow seq, and reads of every
window and limit, and compares each read with the table."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flaskbank.domain.monitoring.profile import seconds
from flaskbank.domain.monitoring.scoring import RECENT_LIMIT
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite.recent import RecentEntries

ACCOUNTS = ("acc-a", "acc-b")
DEPTH = 4
START = datetime(2026, 1, 1, tzinfo=UTC)


def at(minute: int) -> str:
    moment = START + timedelta(minutes=minute, microseconds=999_999)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def insert(db: sqlite3.Connection, account: str, minute: int, seq: int | None = None) -> None:
    """One entry (and its transaction), as the ledger writes them; `seq` to place it among
    older ones, as a staged load's entries arrive."""
    tid = str(uuid.uuid4())
    created = at(minute)
    if seq is None:
        seq = db.execute(
            "INSERT INTO transactions (id,type,amount_minor,currency,memo,created_at,"
            "initiated_by) VALUES (?,'deposit',100,'USD','',?,'u') RETURNING seq",
            (tid, created),
        ).fetchone()[0]
    db.execute(
        "INSERT INTO entries (account_id, seq, transaction_id, type, amount_minor, currency, "
        "balance_after_minor, counterparty, memo, created_at) "
        "VALUES (?,?,?,'deposit',?,'USD',?,'cash','',?)",
        (account, seq, tid, minute + 1, minute * 10, created),
    )


def plain(db: sqlite3.Connection, account: str, since: str, limit: int) -> list[tuple]:
    return [
        (seconds(r[0]), r[1], r[2], r[3])
        for r in db.execute(
            "SELECT created_at, amount_minor, counterparty, balance_after_minor FROM entries "
            "WHERE account_id=? AND created_at>=? ORDER BY seq DESC LIMIT ?",
            (account, since, limit),
        )
    ]


def shown(entries) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(e.at, e.amount, e.counterparty, e.balance_after) for e in entries]


account = st.sampled_from(ACCOUNTS)
minute = st.integers(0, 60)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("other writer"), account, minute),
        st.tuples(st.just("read"), account, minute, st.sampled_from([DEPTH, DEPTH, 2, 9])),
        st.tuples(st.just("rolled back"), account, minute),
        st.tuples(st.just("staged load finishes"), account, minute),
    ),
    max_size=60,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_every_read_is_what_the_table_holds(tmp_path: Path, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    path = tmp_path / f"{uuid.uuid4()}.db"
    store = SqliteStore(path)
    store.init_schema()
    mine = store.database.conn
    other = sqlite3.connect(path, isolation_level=None)
    recent = RecentEntries(DEPTH, capacity=2)
    try:
        for step in steps:
            kind, acc, when = step[0], step[1], step[2]
            if kind == "other writer":
                insert(other, acc, when)
            elif kind == "read":
                since = at(when)[:16]
                got = recent.read(mine, acc, since, step[3])
                assert shown(got) == plain(other, acc, since, step[3])
            elif kind == "rolled back":  # read inside the writer's transaction, then undone
                mine.execute("BEGIN IMMEDIATE")
                insert(mine, acc, when)
                assert shown(recent.read(mine, acc, "", DEPTH)) == plain(mine, acc, "", DEPTH)
                mine.execute("ROLLBACK")
            else:  # entries with seqs below the newest appear, with the staging table dropped
                other.execute("BEGIN IMMEDIATE")
                other.execute("CREATE TABLE staged (x)")
                low = other.execute("SELECT min(seq) FROM entries").fetchone()[0]
                insert(other, acc, when, seq=0 if low is None else low - 1)
                other.execute("DROP TABLE staged")
                other.execute("COMMIT")
        for acc in ACCOUNTS:
            assert shown(recent.read(mine, acc, "", DEPTH)) == plain(other, acc, "", DEPTH)
    finally:
        other.close()
        store.close()


def test_a_busy_account_is_read_from_the_table_once_then_only_what_is_new(tmp_path):
    """What makes it worth keeping: after the first read, a read fetches the new rows only."""
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    db = store.database.conn
    for m in range(RECENT_LIMIT + 5):
        insert(db, "acc-a", m)
    fetched: list[str] = []
    db.set_trace_callback(fetched.append)
    first = store.ledger.recent("acc-a", since="", limit=RECENT_LIMIT)
    insert(db, "acc-a", 100)
    second = store.ledger.recent("acc-a", since="", limit=RECENT_LIMIT)
    db.set_trace_callback(None)
    assert len(first) == len(second) == RECENT_LIMIT
    assert second[1:] == first[:-1] and second[0].amount == 101
    reads = [s for s in fetched if "FROM entries" in s and not s.startswith("INSERT")]
    assert len(reads) == 2 and f"seq>{-(2**63)}" in reads[0] and "seq>" in reads[1]
    store.close()


def test_an_older_entry_inside_the_window_is_found_behind_a_newer_one_outside_it(tmp_path):
    """Times need not follow seq (entries written elsewhere, a clock set back): the newest
    entries kept may include one older than the window while an entry behind them is in it."""
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    db = store.database.conn
    recent = RecentEntries(DEPTH)
    for _ in range(DEPTH - 1):
        insert(db, "acc-a", 30)
    assert len(recent.read(db, "acc-a", "", DEPTH)) == DEPTH - 1  # the whole account, kept
    insert(db, "acc-a", 30)
    insert(db, "acc-a", 0)  # the newest by seq, before the window by time
    since = at(10)
    got = recent.read(db, "acc-a", since, DEPTH)
    assert shown(got) == plain(db, "acc-a", since, DEPTH)
    assert [e.at for e in got] == [seconds(at(30))] * DEPTH
    store.close()


def test_threads_sharing_the_kept_entries_each_read_their_own_last_write(tmp_path):
    """Request threads of one server share what is kept, each on its own connection: a
    thread that has just committed an entry must see it in its next read, whatever the
    others wrote or kept meanwhile, and at the end every account reads as the table."""
    store = SqliteStore(tmp_path / "bank.db")
    store.init_schema()
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(60):  # each thread writes and reads on its own connection
            account = ACCOUNTS[(n + i) % len(ACCOUNTS)]
            minute = n * 1000 + i  # the entry's amount is minute + 1: unique
            with store.database.write() as tx:
                insert(tx, account, minute)
            got = store.ledger.recent(account, since="", limit=RECENT_LIMIT)
            if minute + 1 not in [e.amount for e in got]:
                failures.append(f"thread {n} missed its entry {minute + 1} on {account}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for acc in ACCOUNTS:
        got = store.ledger.recent(acc, since="", limit=RECENT_LIMIT)
        assert shown(got) == plain(store.database.conn, acc, "", RECENT_LIMIT)
    store.close()
