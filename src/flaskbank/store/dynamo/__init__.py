"""DynamoStore: the production store, on Amazon DynamoDB (or DynamoDB Local).

Opened from `dynamodb://?region=...&endpoint_url=...&table_prefix=...&billing=...`. No
client exists until the first call, so importing, building the app or forking gunicorn
workers opens no connection; the one low-level client is thread-safe and shared by threads
and by the ports. Credentials come from boto3's default chain; only against an explicit
endpoint (DynamoDB Local) do dummy ones stand in when the chain has none.

One module per port: ledger.py (accounts and postings; the posting path in postings.py,
reads in reads.py), users.py, sessions.py (sessions, tokens, login throttles), audit.py,
events.py (the event feed, consumers' checkpoints), bulk.py (bulk loads), monitoring.py
(profiles, rules, alerts and backtests; the alert queue in alerts.py), saved_reports.py
(reports saved under a name); the unit of
work in unit.py; tables, keys and indexes in schema.py and items.py; design notes and
measured call counts in docs/dynamodb.md.
"""

from __future__ import annotations

import platform
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import botocore
from botocore.config import Config

from ...domain.errors import StoreError
from ..base import StoreURLError
from ..migrations import SchemaReport
from . import checks, migrations
from .audit import DynamoAudit
from .bulk import DynamoBulk
from .client import Dynamo
from .corrective_actions import DynamoCorrectiveActions
from .events import DynamoEvents
from .holds import DynamoHolds
from .ledger import DynamoLedger
from .mail import DynamoLinks, DynamoMail
from .monitoring import DynamoMonitoring
from .payees import DynamoPayees
from .saved_reports import DynamoSavedReports
from .schema import BILLING_MODES, DEFAULT_PREFIX, TableNames
from .sessions import DynamoSessions
from .staff_desk import DynamoApprovals, DynamoNotes
from .unit import DynamoUnitOfWork
from .users import DynamoUsers
from .worker_tables import DynamoLeases, DynamoStandingOrders

_PREFIX = re.compile(r"[A-Za-z0-9_.-]{0,200}")
#: A call to a store that does not answer gives up within read timeout x attempts plus
#: backoff, about 11 s: well inside gunicorn's worker timeout (cli.WORKER_TIMEOUT), so that a
#: page answers 503 instead of its worker being killed mid-request. DynamoDB answers in
#: milliseconds; 5 s of silence is an outage, not a slow write. (botocore's `max_attempts`
#: counts retries, not attempts: the 5 it was set to here made 6 attempts of 20 s each.)
CONNECT_TIMEOUT, READ_TIMEOUT, ATTEMPTS = 2, 5, 2
_CLIENT_CONFIG = Config(
    # A fixed User-Agent: botocore otherwise rebuilds its many-part default twice a call,
    # about 0.6 of the 2 ms of CPU a call costs here.
    user_agent=f"flaskbank botocore/{botocore.__version__} Python/{platform.python_version()}",
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    max_pool_connections=64,
)


#: One boto3 session per region and kind of credentials, shared by the process's stores.
#: A new session loads botocore's service models and registers its handlers, ~120 ms of
#: CPU; a client from a made session costs ~3 ms (the test suite opens a store per DynamoDB
#: test). Sessions are not thread-safe, so clients are made under the lock; clients are.
_sessions: dict[tuple[str, bool], boto3.session.Session] = {}
_sessions_lock = threading.Lock()
#: Whether the default chain found credentials, per region: asked once, and only for a store
#: at an endpoint of its own (a chain that finds none is walked again on every ask, the
#: instance metadata service included).
_has_credentials: dict[str, bool] = {}


def _client(region: str, endpoint_url: str | None) -> Any:
    with _sessions_lock:
        session = _sessions.get((region, False))
        if session is None:
            session = _sessions[(region, False)] = boto3.session.Session(region_name=region)
        if endpoint_url and region not in _has_credentials:
            _has_credentials[region] = session.get_credentials() is not None
        if endpoint_url and not _has_credentials[region]:
            # DynamoDB Local checks that requests are signed, not by whom.
            session = _sessions.get((region, True))
            if session is None:
                session = _sessions[(region, True)] = boto3.session.Session(
                    region_name=region,
                    aws_access_key_id="local",
                    aws_secret_access_key="local",  # noqa: S106
                )
        return session.client("dynamodb", endpoint_url=endpoint_url, config=_CLIENT_CONFIG)


class DynamoStore:
    def __init__(
        self,
        region: str,
        endpoint_url: str | None = None,
        table_prefix: str = DEFAULT_PREFIX,
        billing: str = "pay_per_request",
    ) -> None:
        if billing not in BILLING_MODES:
            raise StoreURLError(f"billing={billing!r}: use {' or '.join(BILLING_MODES)}")
        if not _PREFIX.fullmatch(table_prefix):
            raise StoreURLError(f"table_prefix={table_prefix!r}: letters, digits, _ . - only")
        if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
            raise StoreURLError(f"endpoint_url={endpoint_url!r}: expected http(s)://host:port")
        self.region, self.endpoint_url = region, endpoint_url or None
        self.table_prefix, self.billing = table_prefix, billing
        self.tables = TableNames.with_prefix(table_prefix)
        self._db: Dynamo | None = None
        self._lock = threading.Lock()
        #: What init_schema's request for point-in-time recovery gave, per table.
        self.pitr: dict[str, str] = {}
        self.ledger = DynamoLedger(lambda: self.db)
        self.users = DynamoUsers(lambda: self.db)
        self.sessions = DynamoSessions(lambda: self.db)
        self.audit = DynamoAudit(lambda: self.db)
        self.holds = DynamoHolds(lambda: self.db)
        self.leases = DynamoLeases(lambda: self.db)
        self.standing_orders = DynamoStandingOrders(lambda: self.db)
        self.events = DynamoEvents(lambda: self.db)
        self.bulk = DynamoBulk(lambda: self.db, lambda: self.ledger.feed_range)
        self.monitoring = DynamoMonitoring(lambda: self.db)
        self.saved_reports = DynamoSavedReports(lambda: self.db)
        self.links = DynamoLinks(lambda: self.db)
        self.mail = DynamoMail(lambda: self.db)
        self.payees = DynamoPayees(lambda: self.db)
        self.notes = DynamoNotes(lambda: self.db)
        self.approvals = DynamoApprovals(lambda: self.db)
        self.corrective_actions = DynamoCorrectiveActions(lambda: self.db)

    @property
    def url(self) -> str:
        """The FLASKBANK_STORE string that opens this same store (e.g. in another process)."""
        query = {"region": self.region, "table_prefix": self.table_prefix, "billing": self.billing}
        if self.endpoint_url:
            query["endpoint_url"] = self.endpoint_url
        return "dynamodb://?" + urlencode(query)

    @property
    def db(self) -> Dynamo:
        with self._lock:
            if self._db is None:
                self._db = Dynamo(self._new_client(), self.tables)
            return self._db

    def _new_client(self) -> Any:
        return _client(self.region, self.endpoint_url)

    def init_schema(self) -> SchemaReport:
        try:
            report, self.pitr = migrations.migrate(self.db, self.billing)
        except StoreError:  # ours already: a newer store, DynamoDB unavailable
            raise
        except Exception as e:  # botocore's, or a table that never became ACTIVE
            raise StoreError(f"could not create or migrate the DynamoDB tables: {e}") from e
        return report

    def check_schema(self) -> None:
        migrations.STEPS.check(migrations.schema_version(self.db))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.client.close()
            self._db = None

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self.db)

    def copies_out_of_step(self) -> Iterator[str]:
        yield from checks.copies_out_of_step(self.db)
        yield from checks.alert_copies_out_of_step(self.db)


__all__ = ["DynamoStore"]
