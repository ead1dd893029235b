"""The synthetic bank's bulk load on SQLite (issue 10): generating and loading N transactions
end to end, its rate and peak resident memory, and the bulk path against raw sqlite3
`executemany` inserting the same rows (generation excluded: a slice of batches is generated
first, then both insert it, in alternating rounds, best of each, since this machine is
shared and noisy).

    .venv/bin/python bench/bench_generate.py                 # 10,000,000 transactions
    .venv/bin/python bench/bench_generate.py --n 1000000 --ratio-rows 100000

Targets: 10 million in under 10 minutes, a ratio of at least 0.5, peak RSS under 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from flaskbank.domain.chart import is_internal
from flaskbank.domain.events import transaction_posted_in_time
from flaskbank.store.base import BulkBatch
from flaskbank.store.sqlite import SqliteStore
from flaskbank.store.sqlite.rows import ENTRY_COLS, user_row
from flaskbank.synthetic import LOCKED, Options, generate
from flaskbank.synthetic.loading import APART_FROM, load_bank

START = date(2024, 1, 1)


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


class TreeRss:
    """The most resident memory this process and its children held at once, sampled every
    0.2 s from /proc (a large load generates in a child process: synthetic/apart.py). The
    sum of each one's own peak overstates it: the loading process's peak comes in `finish`,
    after the generating one has ended."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(p) for p in _tree(os.getpid())))


def _tree(pid: int) -> list[int]:
    found = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += _tree(int(child))
    except OSError:  # ended meanwhile
        pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds() -> tuple[float, float]:
    """User and system CPU seconds of this process, and of its children that have ended (the
    generating process, once a load has waited for it)."""
    own, ended = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, ended.ru_utime + ended.ru_stime


def customers_for(n: int, months: int, seed: int) -> int:
    """How many customers make about n transactions over the period (from a pilot run)."""
    pilot = 300
    made = sum(len(b.postings) for b in generate(Options(pilot, months, seed, START), LOCKED))
    return max(1, math.ceil(n * pilot / made))


def end_to_end(path: Path, n: int, months: int, seed: int, progress: bool, batch_size: int) -> None:
    customers = customers_for(n, months, seed)
    store = SqliteStore(path)
    store.init_schema()
    options = Options(customers, months, seed, START, batch_size=batch_size)
    before = cpu_seconds()
    with TreeRss() as rss:
        result = load_bank(store, options, LOCKED, progress=progress)
    store.close()
    loading, generating = (after - was for after, was in zip(cpu_seconds(), before, strict=True))
    print(
        f"generate+load  {result.postings:,} transactions ({customers:,} customers, {months} "
        f"months, {result.events:,} events, {result.labels:,} labels) in {result.seconds:,.1f} s: "
        f"{result.postings / result.seconds:,.0f} transactions/s; "
        f"10M at this rate: {1e7 / (result.postings / result.seconds) / 60:,.1f} min"
    )
    print(
        f"peak RSS       {rss.peak_kib / 1024:,.0f} MiB at once, both processes (target < "
        f"1024); each one's own peak: loading {peak_rss_mib():,.0f} MiB, generating "
        f"{peak_rss_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )
    # The two processes' CPU, whatever else the machine ran: a load cannot end sooner than
    # its CPU seconds spread over both cores (docs/synthetic.md, "What 10 minutes allows").
    per_10m = (loading + generating) * 1e7 / result.postings
    print(
        f"CPU in all     {loading + generating:,.1f} s: loading {loading:,.1f} s (unpickling, "
        f"the bulk path, finish; a load under {APART_FROM:,} customers generates there too), "
        f"generating apart {generating:,.1f} s; 10M needs {per_10m:,.0f} CPU seconds, "
        f"{per_10m / 2 / 60:,.1f} min of both cores busy throughout (target < 10)"
    )


def raw_rows(batches: list[BulkBatch]) -> list[dict[str, list[tuple[object, ...]]]]:
    """The rows the bulk path writes for each batch, worked out beforehand (untimed)."""
    balances: dict[str, int] = {}
    seq = 0
    out = []
    for b in batches:
        users = [tuple(user_row(u).values()) for u in b.users]
        accounts = [
            (
                a.id,
                a.number,
                a.user_id,
                a.type.value,
                a.currency,
                0,
                a.status.value,
                a.opened_at,
                a.status_reason,
            )
            for a in b.accounts
        ]
        for a in b.accounts:
            balances[a.id] = 0
        headers, entries, moved = [], [], set()
        for p in b.postings:
            seq += 1
            headers.append(
                (
                    seq,
                    p.id,
                    p.type.value,
                    p.amount.minor,
                    p.amount.currency,
                    p.memo,
                    p.created_at,
                    p.initiated_by,
                )
            )
            for leg in p.legs:
                after = None
                if not is_internal(leg.account_id):
                    balances[leg.account_id] += leg.amount.minor
                    after = balances[leg.account_id]
                    moved.add(leg.account_id)
                entries.append(
                    (
                        leg.account_id,
                        seq,
                        p.id,
                        p.type.value,
                        leg.amount.minor,
                        leg.amount.currency,
                        after,
                        leg.counterparty,
                        p.memo,
                        p.created_at,
                    )
                )
        events = sorted(
            [transaction_posted_in_time(p) for p in b.postings] + list(b.events), key=lambda e: e.at
        )
        out.append(
            {
                "users": users,
                "accounts": accounts,
                "transactions": headers,
                "entries": entries,
                "events": [
                    (
                        e.id,
                        e.kind.value,
                        e.subject,
                        e.actor,
                        e.at,
                        json.dumps(e.payload, separators=(",", ":"), sort_keys=True),
                    )
                    for e in events
                ],
                "balances": [(balances[a], a) for a in sorted(moved)],
            }
        )
    return out


def insert_raw(path: Path, rows: list[dict[str, list[tuple[object, ...]]]]) -> tuple[float, float]:
    store = SqliteStore(path)
    store.init_schema()
    db = store.database.conn
    db.execute("PRAGMA cache_size=-131072")
    db.execute("PRAGMA synchronous=NORMAL")  # as the bulk path writes its batches
    users = ",".join("?" * len(rows[0]["users"][0]))
    started, cpu = time.perf_counter(), time.process_time()
    for r in rows:
        db.execute("BEGIN IMMEDIATE")
        if r["users"]:
            db.executemany(f"INSERT INTO users VALUES ({users})", r["users"])  # noqa: S608
        db.executemany(
            "INSERT INTO accounts (id, number, user_id, type, currency, balance_minor, status, "
            "opened_at, status_reason) VALUES (?,?,?,?,?,?,?,?,?)",
            r["accounts"],
        )
        db.executemany(
            "INSERT INTO transactions (seq,id,type,amount_minor,currency,memo,created_at,"
            "initiated_by) VALUES (?,?,?,?,?,?,?,?)",
            r["transactions"],
        )
        db.executemany(
            f"INSERT INTO entries ({ENTRY_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            r["entries"],
        )
        db.executemany(
            "INSERT INTO events (id, kind, subject, actor, at, payload) VALUES (?,?,?,?,?,?)",
            r["events"],
        )
        db.executemany("UPDATE accounts SET balance_minor=? WHERE id=?", r["balances"])
        db.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return seconds, cpu


def load_bulk(path: Path, batches: list[BulkBatch]) -> tuple[float, float]:
    store = SqliteStore(path)
    store.init_schema()
    started, cpu = time.perf_counter(), time.process_time()
    for b in batches:
        store.bulk.load(b)
    store.bulk.finish(batches[0].load_id)  # a large load's entries move into place here
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return seconds, cpu


def ratio(folder: Path, rows_wanted: int, months: int, seed: int, rounds: int) -> None:
    customers = customers_for(rows_wanted, months, seed)
    batches = list(generate(Options(customers, months, seed + 1, START), LOCKED))
    n = sum(len(b.postings) for b in batches)
    rows = raw_rows(batches)
    ours: list[tuple[float, float]] = []
    raw: list[tuple[float, float]] = []
    for i in range(rounds):
        ours.append(load_bulk(folder / f"bulk{i}.db", batches))
        raw.append(insert_raw(folder / f"raw{i}.db", rows))
    wall, raw_wall = min(w for w, _ in ours), min(w for w, _ in raw)
    print(
        f"bulk path      {n / wall:,.0f} transactions/s; raw executemany of the same rows "
        f"{n / raw_wall:,.0f}/s; ratio {raw_wall / wall:.2f} (target >= 0.5; "
        f"{n:,} transactions, best of {rounds})"
    )
    # CPU seconds of this process: what the two cost whatever else the machine runs (a
    # shared machine slows the bulk path's Python more than raw's time in SQLite's C).
    cpu, raw_cpu = min(c for _, c in ours), min(c for _, c in raw)
    print(
        f"CPU time       bulk path {cpu / n * 1e6:,.1f} us a transaction, raw "
        f"{raw_cpu / n * 1e6:,.1f} us; ratio {raw_cpu / cpu:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="transactions end to end")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ratio-rows",
        type=int,
        default=100_000,
        help="transactions in the slice timed against raw executemany",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=Options(1, 1, 0).batch_size)
    parser.add_argument("--no-ratio", action="store_true", help="end to end only")
    parser.add_argument("--progress", action="store_true", help="a progress bar on stderr")
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        end_to_end(
            folder / "bank.db", args.n, args.months, args.seed, args.progress, args.batch_size
        )
        (folder / "bank.db").unlink()
        if not args.no_ratio:
            ratio(folder, args.ratio_rows, args.months, args.seed, args.rounds)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
