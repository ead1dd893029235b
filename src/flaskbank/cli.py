"""The `flaskbank` console script: init, serve, worker, demo, demo-code, verify,
create-staff, remove-demo-staff, events tail.

Every command builds the bank with the same composition root (bootstrap.py) the web server
uses, so the CLI and the web see the same configuration and services.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .config import Config, ConfigError, from_env
from .domain.events import Event
from .services.bank import Bank


def _config(require_secret: bool = False) -> Config:
    try:
        return from_env(require_secret=require_secret)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _bank(require_secret: bool = False) -> Bank:
    """The bank as the web app builds it (bootstrap.py): every setting checked, the store
    URL included, each refusal a one-line message naming the variable."""
    from .bootstrap import bootstrap

    try:
        return bootstrap(_config(require_secret))
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


@click.group()
def main() -> None:
    """Flask Bank: core banking on SQLite or DynamoDB. Settings come from FLASKBANK_*
    environment variables (see the README)."""


@contextmanager
def _store_errors() -> Iterator[None]:
    """A store of another schema version, or one that is busy or unreachable, is a one-line
    error, not a traceback."""
    from .domain.errors import StoreError, WriteConflict

    try:
        yield
    except (StoreError, WriteConflict) as e:
        raise click.ClickException(e.message) from None


def _migrated(bank: Bank) -> str:
    with _store_errors():
        return str(bank.store.init_schema())


def _require_schema(bank: Bank) -> None:
    """Code written for one schema version runs on a store of that version only."""
    with _store_errors():
        bank.store.check_schema()


@main.command()
def init() -> None:
    """Create the store's tables and indexes, or migrate them to this code's schema version
    (docs/operations.md); safe to repeat, also in two processes at once."""
    bank = _bank()
    click.echo(f"{_config().store}: {_migrated(bank)}")


@main.command()
def verify() -> None:
    """Check the ledger's invariants; exit 1 if any is broken."""
    from .services.ledger_checks import verify as run_verify

    bank = _bank()
    _require_schema(bank)
    unfinished = _unfinished_loads(bank)
    if unfinished:
        raise click.ClickException(unfinished)
    report = run_verify(bank)
    click.echo(f"{report.accounts} accounts, {report.transactions} transactions")
    for cur, tb in sorted(report.trial_balances.items()):
        click.echo(f"\nTrial balance ({cur})")
        click.echo(f"  {'class':<10} {'account':<30} {'debit':>20} {'credit':>20}")
        for line in tb.lines:
            debit = line.debit.display() if line.debit.is_positive() else ""
            credit = line.credit.display() if line.credit.is_positive() else ""
            click.echo(f"  {line.account_class:<10} {line.name:<30} {debit:>20} {credit:>20}")
        click.echo(f"  {'total':<41} {tb.debits.display():>20} {tb.credits.display():>20}")
    if report.problems:
        for problem in report.problems:
            click.echo(f"BREACH: {problem}", err=True)
        sys.exit(1)
    click.echo("ledger OK: every invariant holds")


def _unfinished_loads(bank: Bank) -> str:
    """A message naming the bulk loads that began and never finished, or ''."""
    with _store_errors():
        loads = bank.store.bulk.unfinished_loads()
    if not loads:
        return ""
    return (
        f"unfinished bulk load(s) {', '.join(loads)}: the store is half-loaded; run the same "
        "`flaskbank generate` again to finish it, or start from a fresh store"
    )


@main.command()
@click.option("--customers", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--months", type=click.IntRange(1, 240), required=True)
@click.option("--seed", type=int, required=True)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2024-01-01",
    show_default=True,
    help="the first day of the period",
)
@click.option("--checksum", is_flag=True, help="print a digest of the generated content")
@click.option(
    "--pattern-rate",
    type=click.FloatRange(0, 100),
    default=1.0,
    show_default=True,
    help="multiply the planted patterns' realistic rates (well under 1%% of customers each)",
)
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=25_000, show_default=True)
@click.option("--quiet", is_flag=True, help="no progress bar")
def generate(
    customers: int,
    months: int,
    seed: int,
    start: Any,
    checksum: bool,
    pattern_rate: float,
    batch_size: int,
    quiet: bool,
) -> None:
    """Make a synthetic bank (docs/synthetic.md) and load it through the store's bulk path.
    The same options give the same bank; run again after a kill, it resumes the load."""
    from .synthetic import LOCKED, Options
    from .synthetic.loading import load_bank

    options = Options(customers, months, seed, start.date(), pattern_rate, batch_size)
    bank = _bank()
    _migrated(bank)
    with _store_errors():
        done = bank.store.bulk.loaded(options.load_id)
        if options.load_id in bank.store.bulk.unfinished_loads():
            if done:
                click.echo(f"resuming load {options.load_id}: {done} batches are in already")
        elif done:
            click.echo(f"load {options.load_id} is in this store already ({done} batches)")
            if not checksum:
                return
        result = load_bank(bank.store, options, LOCKED, progress=not quiet, checksum=checksum)
    click.echo(
        f"load {options.load_id}: {result.customers} customers, {result.postings} transactions, "
        f"{result.events} events, {result.labels} labels in {result.batches} batches "
        f"({result.skipped} were in already), {result.seconds:.1f} s"
    )
    if checksum:
        click.echo(f"checksum {result.digest}")


STAFF_ROLES = ("fraud_analyst", "financial_manager", "compliance_officer", "admin")


@main.command("create-staff")
@click.option("--email", required=True, help="the staff member's email (their login)")
@click.option("--name", "full_name", required=True, help="their full name")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
def create_staff(email: str, full_name: str, role: str) -> None:
    """Create a staff user and print a one-time password, which they must change at their
    first login. The audit log names the actor "cli"."""
    from .domain.errors import BankError
    from .services.audit import Actor
    from .services.staff import create_staff as create

    bank = _bank()
    _migrated(bank)
    try:
        user, password = create(
            bank, email=email, full_name=full_name, role=role, actor=Actor(None, "cli", "local")
        )
    except BankError as e:
        raise click.ClickException(e.message) from None
    click.echo(f"Created {user.role.value} {user.email} ({user.full_name}).")
    click.echo(f"One-time password: {password}")
    click.echo("It is shown only now and must be changed at the first login.")


#: Requests each gunicorn worker serves at once: 1 is gunicorn's sync worker, more its gthread
#: worker. Threads let a worker overlap requests that wait on DynamoDB round trips (and keep
#: connections alive); one request at a time was the faster on SQLite with a single client.
#: Measured in docs/performance.md.
DEFAULT_THREADS = 1


#: Seconds gunicorn lets a request run before it kills the worker; the stores give up on a
#: backend that does not answer well before (store/dynamo: CONNECT_TIMEOUT, READ_TIMEOUT).
WORKER_TIMEOUT = 30


def gunicorn_settings(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """What `flaskbank serve` sets in gunicorn; bench/ serves its bare baseline with the same
    (but for the access log, which the baseline does without)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": WORKER_TIMEOUT,
        "accesslog": "-",
    }


@main.group()
def events() -> None:
    """The event feed: every change the bank made, in order."""


#: How --follow waits between reads (a test replaces it).
_sleep = time.sleep
PAYLOAD_WIDTH = 100


@events.command()
@click.option("--after", help="a checkpoint printed by an earlier run; default: the start")
@click.option("--follow", is_flag=True, help="keep printing new events until interrupted")
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="events to print (with --follow: per read)",
)
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 3600),
    help="seconds between reads with --follow",
)
def tail(after: str | None, follow: bool, limit: int, interval: float) -> None:
    """Print the feed, one line per event (position, time, kind, subject, payload), then on
    stderr the checkpoint to pass to --after to go on from there."""
    from .domain.errors import BankError
    from .services.events import read_feed

    bank = _bank()
    _require_schema(bank)
    checkpoint = after
    try:
        while True:
            page = read_feed(bank, after=checkpoint, limit=limit)
            for event in page.events:
                click.echo(_line(event))
            checkpoint = page.checkpoint
            if not follow:
                break
            if len(page.events) < limit:
                _sleep(interval)
    except KeyboardInterrupt:
        pass
    except BankError as e:
        raise click.ClickException(e.message) from None
    click.echo(f"go on with: --after '{checkpoint or ''}'", err=True)


def _line(event: Event) -> str:
    payload = json.dumps(dict(event.payload), ensure_ascii=False, separators=(",", ":"))
    if len(payload) > PAYLOAD_WIDTH:
        payload = payload[: PAYLOAD_WIDTH - 1] + "…"
    return f"{event.position:>8}  {event.at}  {event.kind.value:<22}  {event.subject}  {payload}"


def _serve_options(f: Any) -> Any:
    f = click.option(
        "--threads",
        default=DEFAULT_THREADS,
        show_default=True,
        type=click.IntRange(1, 64),
        help="requests each worker serves at once, on threads (1: gunicorn's sync worker)",
    )(f)
    f = click.option("--workers", default=2, show_default=True, help="gunicorn workers")(f)
    f = click.option("--port", default=8000, show_default=True)(f)
    return click.option("--host", default="127.0.0.1", show_default=True)(f)


def _run_gunicorn(host: str, port: int, workers: int, threads: int, *, demo: bool = False) -> None:
    from dataclasses import replace

    from gunicorn.app.base import BaseApplication

    from .web import create_app

    class FlaskBankServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in gunicorn_settings(host, port, workers, threads).items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            # Only `flaskbank demo` passes demo=True: no setting turns it on (config.Config.demo).
            return create_app(replace(from_env(), demo=demo))

    FlaskBankServer().run()


@main.command()
@_serve_options
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with gunicorn (FLASKBANK_SECRET_KEY required).

    Run `flaskbank worker` beside it for the background jobs (hold expiry, standing
    orders). Under systemd: deploy/flaskbank-web.service and deploy/flaskbank-worker.service
    (Restart=always; the worker stops cleanly on the SIGTERM that `systemctl stop` sends)."""
    # The app is built once here (its rate limiter too), so that a bad setting stops the
    # command with its message instead of every gunicorn worker failing with a traceback.
    from .web import bank_of, create_app

    try:
        bank = bank_of(create_app(_config(require_secret=True)))
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    _require_schema(bank)
    unfinished = _unfinished_loads(bank)
    if unfinished:
        raise click.ClickException(f"{unfinished}; the server will not start on it")
    _warn_of_demo_staff(bank)
    bank.store.close()
    _run_gunicorn(host, port, workers, threads)


def _warn_of_demo_staff(bank: Bank) -> None:
    """This server refuses them anyway; the warning is for the operator of a store that was
    a demo once and is about to go live."""
    from .demo_staff import demo_staff_in

    with _store_errors():
        found = demo_staff_in(bank)
    if found:
        emails = ", ".join(user.email for user in found)
        click.secho(
            f"WARNING: this store holds the demo's staff logins ({emails}), whose passwords "
            "and TOTP secret are published. This server refuses them; remove them before "
            "the store goes live: flaskbank remove-demo-staff",
            err=True,
            fg="red",
        )


@main.command("remove-demo-staff")
def remove_demo_staff() -> None:
    """Delete the staff logins `flaskbank demo` made (published passwords, demo-only) from the
    store, e.g. before a store that began as a demo goes live. The audit log keeps their
    entries and names the actor "cli"."""
    from .demo_staff import remove_demo_staff as remove
    from .services.audit import Actor

    bank = _bank()
    _require_schema(bank)
    with _store_errors():
        removed = remove(bank, Actor(None, "cli", "local"))
    for user in removed:
        click.echo(f"Removed demo {user.role.value} {user.email}.")
    if not removed:
        click.echo("This store holds no demo staff.")


@main.command("demo-code")
def demo_code() -> None:
    """Print the current two-factor code of the demo's staff logins (their TOTP secret is
    published), for a newcomer without an authenticator app at hand."""
    from .demo_staff import totp

    click.echo(totp().now())


@main.command()
@_serve_options
@click.option("--no-serve", is_flag=True, help="load the demo data and exit")
def demo(host: str, port: int, workers: int, threads: int, no_serve: bool) -> None:
    """Fill an empty store (the embedded one unless FLASKBANK_STORE says otherwise) with demo
    customers and months of history and one demo-only staff login per role, print their
    logins, and serve as the demo (the only server on which those staff logins sign in).
    Makes a secret key once and keeps it in the data folder. A store that already has users
    is left as it is."""
    from .demo import DEMO_PASSWORD, load_demo
    from .demo_staff import add_demo_staff

    config = _config()
    if not os.environ.get("FLASKBANK_SECRET_KEY"):
        key_file = Path(config.data_dir) / "secret_key"
        key_file.parent.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        os.environ["FLASKBANK_SECRET_KEY"] = key_file.read_text().strip()
    # Links in the demo's mail lead to the demo's server (the worker and gunicorn read it).
    os.environ.setdefault("FLASKBANK_BASE_URL", f"http://{host}:{port}")
    config = _config()
    bank = _bank(require_secret=True)
    _migrated(bank)
    # Its staff logins go into a store the demo fills, never into one it found with users.
    found = bank.store.users.count_users()
    where = getattr(bank.store, "path", None) or getattr(bank.store, "url", "the store")
    people = load_demo(bank)
    if found == 0:
        add_demo_staff(bank)
        click.echo(f"Created a new demo bank in {where}.")
    else:
        click.echo(
            f"Reusing the bank already in {where} ({found} users): nothing was added. "
            "Delete it to start over."
        )
    click.echo(f"Demo customers (password for all: {DEMO_PASSWORD}):")
    for email in people:
        click.echo(f"  {email}")
    _print_demo_staff(bank)
    from .mail import open_mailer

    click.echo(
        "Mail (password resets, email confirmations, security notices) goes to "
        f"{open_mailer(config).describe()}."
    )
    if not no_serve:
        click.echo(f"Open http://{host}:{port}/ and log in.")
        # The background jobs (standing orders, hold expiry) beside the server, stopped with it.
        jobs = subprocess.Popen(
            [sys.executable, "-c", "from flaskbank.cli import main; main()", "worker"]
        )
        try:
            _run_gunicorn(host, port, workers, threads, demo=True)
        finally:
            jobs.terminate()
            jobs.wait(timeout=30)


def _print_demo_staff(bank: Bank) -> None:
    from .demo_staff import STAFF_PASSWORD, TOTP_SECRET, demo_staff_in, provisioning_uri

    found = demo_staff_in(bank)
    if not found:
        click.echo("No demo staff in this store: the demo adds them only to a store it fills")
        click.echo("itself. Delete the data folder to start over with them.")
        return
    click.echo(f"Demo staff, demo-only (password for all: {STAFF_PASSWORD}):")
    for user in found:
        click.echo(f"  {user.email:<36} {user.role.value}")
    grouped = " ".join(TOTP_SECRET[i : i + 4] for i in range(0, len(TOTP_SECRET), 4))
    click.echo(f"  two-factor secret for all: {grouped}")
    click.echo(f"  (authenticator app: {provisioning_uri()})")
    click.echo("  no app at hand: the demo's code page shows the current code, and so does")
    click.echo("  .venv/bin/flaskbank demo-code")


@main.command()
@click.option("--once", is_flag=True, help="run each job once, then exit")
@click.option("--every", type=float, default=None, help="seconds between runs of each job")
@click.option("--lease-seconds", type=float, default=60.0, show_default=True)
@click.option("--tick", type=float, default=1.0, show_default=True, help="seconds between checks")
def worker(once: bool, every: float | None, lease_seconds: float, tick: float) -> None:
    """Run the background jobs (hold expiry, standing orders, the monitoring consumer, the
    analytics warehouse's sync) until SIGTERM or SIGINT. Any
    number of workers may run: a lease in the store gives each job to one of them at a time,
    and passes it on when a worker dies."""
    import logging
    import time
    from dataclasses import replace

    from .worker import Worker, default_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from .bootstrap import warehouse_of
    from .mail import open_mailer

    jobs = default_jobs(warehouse=warehouse_of(_config()), mailer=open_mailer(_config()))
    if every is not None:
        jobs = [replace(job, every=every) for job in jobs]
    bank = _bank()
    _require_schema(bank)
    running = Worker(bank, jobs, lease_seconds=lease_seconds)
    if once:
        done = running.tick(time.monotonic())
        running.shutdown()
        for name, count in done.items():
            click.echo(f"{name}: {count}")
        return
    running.stop_on_signals()
    running.run_forever(time.monotonic, tick)


from .cli_warehouse import warehouse  # noqa: E402  (it uses the helpers above)

main.add_command(warehouse)
