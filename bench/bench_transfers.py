"""Transfers per second: through the ledger in-process and through the HTTP API, each beside
a raw baseline measured in the same run (these machines are shared and noisy, so the ratio
is the figure to watch). Both servers run at once and are timed in alternating batches, so
that load from other processes falls on both alike.

    ./dev bench            # or: .venv/bin/python bench/bench_transfers.py --n 1000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import raw_ledger

from flaskbank.bootstrap import bootstrap
from flaskbank.cli import DEFAULT_THREADS, gunicorn_settings
from flaskbank.config import Config
from flaskbank.domain.ledger import Posting, PostResult
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, postings

HERE = Path(__file__).resolve().parent
FUNDS_MINOR = 10**12


class StoreWrite:
    """Seconds and calls of the store's write (`SqliteLedger.post`: the unit of work that
    applies a built posting, its checks at commit, and COMMIT): what a transfer would cost
    if reading, screening, validating and building it were free."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, post: Callable[[Posting], PostResult]) -> Callable[[Posting], PostResult]:
        def timed(posting: Posting) -> PostResult:
            began = time.perf_counter()
            try:
                return post(posting)
            finally:
                self.seconds += time.perf_counter() - began
                self.calls += 1

        return timed


def ledger_in_process(
    path: str, synchronous: str, write: StoreWrite | None = None
) -> Callable[[int], None]:
    """`postings.transfer` through the services on SQLite between two funded customers;
    the i-th transfer, by account number with an idempotency key. With `write`, the
    store's write of each posting is timed into it."""
    bank = bootstrap(Config(store_url=f"sqlite:///{path}"), passwords=FastHasher())
    bank.store.init_schema()
    bank.store.database.conn.execute(f"PRAGMA synchronous={synchronous}")
    pairs = []
    for name in ("a", "b"):
        user = customers.register(
            bank, email=f"{name}@example.com", full_name=name, password="a long bench secret"
        )
        acc = accounts.open_account(bank, user.id, type="checking")
        postings.deposit(bank, user.id, acc.id, amount="10000.00")
        pairs.append((user.id, acc))
    (ua, a), (ub, b) = pairs
    legs = [(ua, a, b.number), (ub, b, a.number)]
    if write is not None:
        bank.store.ledger.post = write.wrap(bank.store.ledger.post)

    def step(i: int) -> None:
        user, src, dst = legs[i % 2]
        postings.transfer(
            bank,
            user,
            src.id,
            amount="1.25",
            to_account_number=dst,
            idempotency_key=str(uuid.uuid4()),
        )

    return step


def raw_in_process(path: str, synchronous: str) -> Callable[[int], None]:
    db = raw_ledger.connect(path)
    db.execute(f"PRAGMA synchronous={synchronous}")
    a, b = raw_ledger.seed(db, FUNDS_MINOR)
    return lambda i: raw_ledger.transfer(db, *((a, b) if i % 2 else (b, a)), 125, str(uuid.uuid4()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {argv[0]} did not start")


def post(port: int, path: str, body: dict, headers: dict[str, str]) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    data = json.loads(response.read() or b"{}")
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{path}: {response.status} {data}")
    return data


def get(port: int, path: str, headers: dict[str, str]) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


@contextmanager
def api_over_http(tmp: str, workers: int, threads: int) -> Iterator[Callable[[int], None]]:
    """`flaskbank serve` on its own SQLite file, two funded customers made through the API;
    yields the i-th transfer between them (by account number, with an idempotency key)."""
    port = free_port()
    # Limits high enough not to throttle one client, low enough that the limiter still runs.
    env = {
        "FLASKBANK_DATA_DIR": f"{tmp}/api",
        "FLASKBANK_SECRET_KEY": "b" * 40,
        "FLASKBANK_RATELIMIT_MONEY": "1000000/minute",
        "FLASKBANK_RATELIMIT_TOKENS": "1000/minute",
        "FLASKBANK_RATELIMIT_REGISTRATION": "1000/minute",
    }
    flaskbank = str(Path(sys.executable).with_name("flaskbank"))
    subprocess.run(
        [flaskbank, "init"], env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL
    )
    serve = [flaskbank, "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = start(serve + ["--workers", str(workers), "--threads", str(threads)], env, port)
    try:
        people = []
        for name in ("a", "b"):
            email = f"{name}@example.com"
            post(
                port,
                "/api/v1/users",
                {"email": email, "full_name": name, "password": "a long bench secret"},
                {},
            )
            token = post(
                port, "/api/v1/tokens", {"email": email, "password": "a long bench secret"}, {}
            )["token"]
            auth = {"Authorization": f"Bearer {token}"}
            acc = post(port, "/api/v1/accounts", {"type": "checking"}, auth)
            post(port, f"/api/v1/accounts/{acc['id']}/deposits", {"amount": "10000.00"}, auth)
            people.append((auth, acc))

        def step(i: int) -> None:
            (auth, src), (_, dst) = people[i % 2], people[1 - i % 2]
            post(
                port,
                "/api/v1/transfers",
                {
                    "from_account_id": src["id"],
                    "amount": "1.25",
                    "to_account_number": dst["number"],
                },
                {**auth, "Idempotency-Key": str(uuid.uuid4())},
            )

        yield step
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def bare_over_http(tmp: str, workers: int, threads: int) -> Iterator[Callable[[int], None]]:
    """bare_app.py behind the same gunicorn, set up as `flaskbank serve` sets it up (workers,
    worker class, threads) but with no access log; yields the i-th raw transfer."""
    port = free_port()
    db_path = f"{tmp}/bare.db"
    a, b = raw_ledger.seed(raw_ledger.connect(db_path), FUNDS_MINOR)
    same = gunicorn_settings("127.0.0.1", port, workers, threads)
    proc = start(
        [sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-b", same["bind"]]
        + [
            "-w",
            str(same["workers"]),
            "-k",
            same["worker_class"],
            "--threads",
            str(same["threads"]),
        ]
        + ["bare_app:app"],
        {"BENCH_DB": db_path},
        port,
    )
    try:
        yield lambda i: post(
            port,
            "/transfers",
            {
                "src": (a, b)[i % 2],
                "dst": (b, a)[i % 2],
                "minor": 125,
                "key": str(uuid.uuid4()),
            },
            {},
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


#: Transfers numbered first, first + 1, ... (count of them); what `interleaved` times.
Run = Callable[[int, int], None]


def one_by_one(step: Callable[[int], None]) -> Run:
    def run(first: int, count: int) -> None:
        for i in range(first, first + count):
            step(i)

    return run


def interleaved(
    runs: dict[str, Run], n: int, batch: int = 50, cpu: dict[str, float] | None = None
) -> dict[str, float]:
    """Transfers per second of each side, `n` each, timed in alternating batches: on a
    shared machine, load from other processes then falls on every side alike instead of on
    whichever happened to run while it lasted. One untimed batch warms each side up."""
    for run in runs.values():
        run(0, batch)
    spent = dict.fromkeys(runs, 0.0)
    for first in range(0, n, batch):
        for name, run in runs.items():
            began, used = time.perf_counter(), time.process_time()
            run(first, min(batch, n - first))
            spent[name] += time.perf_counter() - began
            if cpu is not None:  # this process's CPU seconds per transfer, for in-process runs
                cpu[name] = cpu.get(name, 0.0) + (time.process_time() - used) / n
    return {name: n / spent[name] for name in runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="transfers per measurement")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-threads", type=int, default=DEFAULT_THREADS, help="threads per gunicorn worker"
    )
    parser.add_argument(
        "--synchronous",
        choices=("FULL", "OFF"),
        default="FULL",
        help="in-process rows only: OFF leaves out the fsync, to see the rest of the cost",
    )
    args, _ = parser.parse_known_args()  # ./dev bench passes every benchmark the same flags
    with tempfile.TemporaryDirectory() as tmp:
        cpu: dict[str, float] = {}
        write = StoreWrite()
        in_process = interleaved(
            {
                "ledger": one_by_one(
                    ledger_in_process(f"{tmp}/ledger.db", args.synchronous, write)
                ),
                "raw": one_by_one(raw_in_process(f"{tmp}/raw.db", args.synchronous)),
            },
            args.n,
            batch=min(200, args.n),
            cpu=cpu,
        )
        ledger, raw = in_process["ledger"], in_process["raw"]
        with (
            api_over_http(tmp, args.workers, args.worker_threads) as api_step,
            bare_over_http(tmp, args.workers, args.worker_threads) as bare_step,
        ):
            rates = interleaved(
                {"api": one_by_one(api_step), "bare": one_by_one(bare_step)},
                args.n // 2,
                batch=min(50, args.n // 2),
            )
        api, bare = rates["api"], rates["bare"]
    print(f"{'path':<32}{'transfers/s':>12}{'baseline/s':>12}{'ratio':>8}")
    print(f"{'ledger in-process (SQLite)':<32}{ledger:>12.0f}{raw:>12.0f}{ledger / raw:>8.2f}")
    print(
        f"{'  CPU ms per transfer':<32}{cpu['ledger'] * 1000:>12.3f}{cpu['raw'] * 1000:>12.3f}"
        f"{cpu['raw'] / cpu['ledger']:>8.2f}   (synchronous={args.synchronous})"
    )
    # Raw's whole transfer against our write alone: the ceiling of the row above, were
    # every other step of ours free (docs/performance.md, "The ceiling").
    alone = write.calls / write.seconds
    print(f"{'  its store write alone':<32}{alone:>12.0f}{raw:>12.0f}{alone / raw:>8.2f}")
    print(f"{'HTTP API (gunicorn, SQLite)':<32}{api:>12.0f}{bare:>12.0f}{api / bare:>8.2f}")
    print(
        "baselines: raw sqlite3 doing the same row writes (WAL, synchronous=FULL, BEGIN "
        "IMMEDIATE); a bare Flask endpoint doing those writes behind the same gunicorn "
        f"({args.workers} workers x {args.worker_threads} threads, one client)"
    )


if __name__ == "__main__":
    main()
