"""`flaskbank warehouse ...`: catch the analytics warehouse up with the event feed, rebuild
it, export it as Parquet (docs/analytics.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

# The helpers of cli.py are imported where used: cli.py imports this module to register it.


@click.group()
def warehouse() -> None:
    """The analytics warehouse: a DuckDB file fed from the event feed."""


@contextmanager
def _warehouse_errors() -> Iterator[None]:
    from .warehouse.base import WarehouseError

    try:
        yield
    except WarehouseError as e:
        raise click.ClickException(e.message) from None


def _sync(fresh: bool, quiet: bool) -> None:
    from tqdm import tqdm

    from .bootstrap import warehouse_of
    from .cli import _bank, _config, _require_schema, _store_errors
    from .services.analytics import feed

    bank = _bank()
    _require_schema(bank)
    target = warehouse_of(_config())
    with (
        _store_errors(),
        _warehouse_errors(),
        tqdm(unit=" events", disable=quiet, mininterval=0.5) as bar,
    ):
        if fresh:
            done = feed.rebuild(bank.store, target, progress=bar.update)
        else:
            done = feed.sync(bank.store, target, limit=feed.CATCH_UP, progress=bar.update)
    with _warehouse_errors(), target.reading() as reader:
        as_of = reader.as_of()
    click.echo(
        f"{'rebuilt' if fresh else 'synced'}: {done} events applied; the warehouse reflects "
        f"{as_of.events} events, up to {as_of.last_event_at or 'none'}"
    )
    if fresh:  # published already: reports read it while the closing days are kept
        started = time.monotonic()
        with _store_errors(), _warehouse_errors():
            days = feed.close_days(bank.store, target)
        click.echo(f"closing balances kept for {days} days in {time.monotonic() - started:.1f} s")


@warehouse.command()
@click.option("--quiet", is_flag=True, help="no progress bar")
def sync(quiet: bool) -> None:
    """Catch up with the event feed from the warehouse's own checkpoint; safe to interrupt
    and run again (each batch commits with its checkpoint)."""
    _sync(fresh=False, quiet=quiet)


@warehouse.command()
@click.option("--quiet", is_flag=True, help="no progress bar")
def rebuild(quiet: bool) -> None:
    """Build the warehouse again from the start of the feed; reports keep reading the
    current one until the new one is complete."""
    _sync(fresh=True, quiet=quiet)


@warehouse.command()
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="a directory; entries go under entries/year=YYYY/month=M/",
)
def export(to: Path) -> None:
    """Write the published warehouse as Parquet, entries partitioned by month."""
    from .bootstrap import warehouse_of
    from .cli import _config

    with _warehouse_errors():
        files = warehouse_of(_config()).export(to)
    click.echo(f"wrote {len(files)} Parquet files under {to}")
