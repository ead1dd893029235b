"""Transfers per second on DynamoDB Local, each figure beside another measured in the same
run (shared machines are noisy: the ratio is the figure to watch):

- through the services in-process, DynamoDB beside SqliteStore (by account number);
- through the HTTP API behind gunicorn beside the same transfers through the services
  in-process (by email, several clients at once, the two timed in alternating batches):
  what the web layer costs on DynamoDB.

    .venv/bin/python bench/bench_dynamo.py --n 300       # ./dev bench runs it too

Each transfer is the full service path with an idempotency key: by number one read (both
accounts, the key's record and the counter of the event feed's shard) and one write (the
posting and its event); by email one read more (the recipient's accounts, listed on their
email lock). A transfer that loses a race (the same account, or the same feed shard) is
cancelled and tried again: "writes/transfer" counts the TransactWriteItems sent per
transfer, 1.00 meaning no retries. DynamoDB Local runs on this machine, so its figures
measure our round trips and its JVM, not AWS's latency (single-digit ms per call in a
region, which would bound one thread to roughly 50-150 transfers/s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_transfers import Run, free_port, interleaved, post, start

from flaskbank.bootstrap import bootstrap
from flaskbank.cli import DEFAULT_THREADS
from flaskbank.config import Config
from flaskbank.passwords import FastHasher
from flaskbank.services import accounts, customers, postings
from flaskbank.services.bank import Bank
from flaskbank.store.base import Store
from flaskbank.store.sqlite import SqliteStore

TESTS = Path(__file__).resolve().parents[1] / "tests"  # the DynamoDB Local launcher lives there
PASSWORD = "a long bench secret long"

#: One side of a pair: (user id, account id, the other's number, the other's email).
Leg = tuple[str, str, str, str]


def pair(bank: Bank, tag: str) -> list[Leg]:
    """Two funded customers, each with what it takes to send money to the other."""
    made = []
    for name in ("a", "b"):
        email = f"{name}-{tag}@example.com"
        user = customers.register(bank, email=email, full_name=name, password=PASSWORD)
        acc = accounts.open_account(bank, user.id, type="checking")
        postings.deposit(bank, user.id, acc.id, amount="10000.00")
        made.append((user.id, acc, email))
    (ua, a, ea), (ub, b, eb) = made
    return [(ua, a.id, b.number, eb), (ub, b.id, a.number, ea)]


def in_parallel(threads: int, per_thread: int, step: Callable[[int, int], None]) -> float:
    """`step(thread, i)` per_thread times on each of `threads` threads; transfers/s."""

    def run(t: int) -> None:
        for i in range(per_thread):
            step(t, i)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return per_thread * threads / (time.perf_counter() - began)


def parallel(threads: int, step: Callable[[int, int], None]) -> Run:
    """`count` transfers spread over `threads` threads at once (a Run for `interleaved`)."""

    def run(first: int, count: int) -> None:
        in_parallel(threads, count // threads, step)

    return run


def transfers_per_second(store: Store, n: int, threads: int) -> tuple[float, float]:
    """Transfers through the services by account number, `threads` at once, each thread
    between its own pair: per second, and TransactWriteItems sent per transfer (DynamoDB
    only)."""
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    pairs = [pair(bank, f"{t}-{uuid.uuid4().hex[:6]}") for t in range(threads)]
    writes = _count_writes(store)

    def step(t: int, i: int) -> None:
        user, source, number, _ = pairs[t][i % 2]
        postings.transfer(
            bank,
            user,
            source,
            amount="1.25",
            to_account_number=number,
            idempotency_key=str(uuid.uuid4()),
        )

    rate = in_parallel(threads, n // threads, step)
    return rate, len(writes) / (n // threads * threads)


def _count_writes(store: Store) -> list[None]:
    """A list that grows by one per TransactWriteItems the store sends from now on."""
    sent: list[None] = []
    client = getattr(getattr(store, "db", None), "client", None)
    if client is not None:
        client.meta.events.register(
            "before-call.dynamodb.TransactWriteItems", lambda **_: sent.append(None)
        )
    return sent


def by_email_in_process(store: Store, clients: int) -> Run:
    """Transfers by email through the services, `clients` threads at once."""
    bank = bootstrap(Config(), store=store, passwords=FastHasher())
    pairs = [pair(bank, f"{c}-{uuid.uuid4().hex[:6]}") for c in range(clients)]

    def step(c: int, i: int) -> None:
        user, source, _, email = pairs[c][i % 2]
        postings.transfer(
            bank, user, source, amount="1.25", to_email=email, idempotency_key=str(uuid.uuid4())
        )

    return parallel(clients, step)


@contextmanager
def by_email_over_http(
    store_url: str, tmp: str, workers: int, threads: int, clients: int
) -> Iterator[Run]:
    """The same transfers through the HTTP API: `flaskbank serve` with `workers` gunicorn
    workers of `threads` threads on the store at `store_url`, `clients` clients at once."""
    port = free_port()
    env = {
        "FLASKBANK_STORE": store_url,
        "FLASKBANK_DATA_DIR": f"{tmp}/http",
        "FLASKBANK_SECRET_KEY": "d" * 40,
        # Limits high enough not to throttle the bench, low enough that the limiter runs.
        "FLASKBANK_RATELIMIT_MONEY": "1000000/minute",
        "FLASKBANK_RATELIMIT_TOKENS": "1000/minute",
        "FLASKBANK_RATELIMIT_REGISTRATION": "1000/minute",
    }
    flaskbank = str(Path(sys.executable).with_name("flaskbank"))
    argv = [flaskbank, "serve", "--port", str(port), "--workers", str(workers)]
    argv += ["--threads", str(threads)]
    proc = start(argv, env, port)
    try:
        pairs = [http_pair(port, f"{c}-{uuid.uuid4().hex[:6]}") for c in range(clients)]

        def step(c: int, i: int) -> None:
            auth, source, email = pairs[c][i % 2]
            post(
                port,
                "/api/v1/transfers",
                {"from_account_id": source, "amount": "1.25", "to_email": email},
                {**auth, "Idempotency-Key": str(uuid.uuid4())},
            )

        yield parallel(clients, step)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def http_pair(port: int, tag: str) -> list[tuple[dict[str, str], str, str]]:
    """Two funded customers made through the API: (auth header, account id, the other's
    email) for each."""
    made = []
    for name in ("a", "b"):
        email = f"{name}-{tag}@example.com"
        post(port, "/api/v1/users", {"email": email, "full_name": name, "password": PASSWORD}, {})
        token = post(port, "/api/v1/tokens", {"email": email, "password": PASSWORD}, {})["token"]
        auth = {"Authorization": f"Bearer {token}"}
        acc = post(port, "/api/v1/accounts", {"type": "checking"}, auth)
        post(port, f"/api/v1/accounts/{acc['id']}/deposits", {"amount": "10000.00"}, auth)
        made.append((auth, acc["id"], email))
    (auth_a, a, email_a), (auth_b, b, email_b) = made
    return [(auth_a, a, email_b), (auth_b, b, email_a)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="transfers per measurement")
    parser.add_argument("--threads", type=int, default=4, help="threads for the second row")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (HTTP rows)")
    parser.add_argument(
        "--worker-threads", type=int, default=DEFAULT_THREADS, help="threads per gunicorn worker"
    )
    parser.add_argument("--clients", type=int, default=8, help="clients at once (HTTP rows)")
    args, _ = parser.parse_known_args()  # ./dev bench passes every benchmark the same flags
    sys.path.insert(0, str(TESTS))
    from dynamodb_local import (
        DynamoDBLocalUnavailable,
        fresh_dynamo_store,
        start_dynamodb_local,
    )

    try:
        with start_dynamodb_local() as endpoint, tempfile.TemporaryDirectory() as tmp:
            rows = []
            for threads in (1, args.threads):
                dynamo = fresh_dynamo_store(endpoint)
                sqlite = SqliteStore(f"{tmp}/bench-{threads}.db")
                sqlite.init_schema()
                transfers_per_second(dynamo, min(args.n, 20), threads)  # warm the JVM up
                d, tries = transfers_per_second(dynamo, args.n, threads)
                s, _ = transfers_per_second(sqlite, args.n, threads)
                rows.append((threads, d, s, tries))
                dynamo.close()
                sqlite.close()
            # Both on their own tables, timed in alternating batches (bench_transfers.py).
            batch = args.clients * 5
            local, remote = fresh_dynamo_store(endpoint), fresh_dynamo_store(endpoint)
            with by_email_over_http(
                remote.url, tmp, args.workers, args.worker_threads, args.clients
            ) as http_run:
                rates = interleaved(
                    {"http": http_run, "local": by_email_in_process(local, args.clients)},
                    max(batch, args.n - args.n % batch),
                    batch,
                )
            http, local_rate = rates["http"], rates["local"]
            local.close()
            remote.close()
    except DynamoDBLocalUnavailable as e:
        print(f"bench_dynamo skipped: DynamoDB Local not available ({e})")
        return
    print(
        f"{'transfers through the services':<34}{'DynamoDB Local/s':>17}{'SQLite/s':>10}"
        f"{'ratio':>8}{'writes/transfer':>17}"
    )
    for threads, d, s, tries in rows:
        label = f"in-process, {threads} thread{'s' if threads > 1 else ''}, n={args.n}"
        print(f"{label:<34}{d:>17.0f}{s:>10.0f}{d / s:>8.2f}{tries:>17.2f}")
    print(
        f"{'transfers by email, DynamoDB Local':<34}{'HTTP API/s':>17}{'in-process/s':>14}"
        f"{'ratio':>8}"
    )
    label = (
        f"{args.workers} worker{'s' if args.workers > 1 else ''} x {args.worker_threads}, "
        f"{args.clients} clients"
    )
    print(f"{label:<34}{http:>17.0f}{local_rate:>14.0f}{http / local_rate:>8.2f}")


if __name__ == "__main__":
    main()
