"""SqliteStore: the embedded store, one SQLite file in WAL mode, one module per port.

Durability: synchronous=FULL, so an acknowledged posting survives power loss, not only a
process crash. Concurrency: every write runs in BEGIN IMMEDIATE, which takes the database's
write lock up front, so a posting's read-check-write cannot interleave with another's, across
threads and processes alike. Each thread gets its own connection (database.py), shared by
the ports on that thread and by the unit of work open on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..migrations import SchemaReport
from .audit import SqliteAudit
from .bulk import SqliteBulk
from .corrective_actions import SqliteCorrectiveActions
from .database import SqliteDatabase, SqliteUnitOfWork
from .events import SqliteEvents
from .holds import SqliteHolds
from .ledger import SqliteLedger
from .mail import SqliteLinks, SqliteMail
from .monitoring import SqliteMonitoring
from .payees import SqlitePayees
from .saved_reports import SqliteSavedReports
from .sessions import SqliteSessions
from .staff_desk import SqliteApprovals, SqliteNotes
from .users import SqliteUsers
from .worker_tables import SqliteLeases, SqliteStandingOrders


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.database = SqliteDatabase(path)
        self.ledger = SqliteLedger(self.database)
        self.users = SqliteUsers(self.database)
        self.sessions = SqliteSessions(self.database)
        self.audit = SqliteAudit(self.database)
        self.holds = SqliteHolds(self.database)
        self.leases = SqliteLeases(self.database)
        self.standing_orders = SqliteStandingOrders(self.database)
        self.events = SqliteEvents(self.database)
        self.bulk = SqliteBulk(self.database)
        self.monitoring = SqliteMonitoring(self.database)
        self.saved_reports = SqliteSavedReports(self.database)
        self.links = SqliteLinks(self.database)
        self.mail = SqliteMail(self.database)
        self.payees = SqlitePayees(self.database)
        self.notes = SqliteNotes(self.database)
        self.approvals = SqliteApprovals(self.database)
        self.corrective_actions = SqliteCorrectiveActions(self.database)

    @property
    def path(self) -> str:
        return self.database.path

    def init_schema(self) -> SchemaReport:
        return self.database.init_schema()

    def check_schema(self) -> None:
        self.database.check_schema()

    def close(self) -> None:
        self.database.close()

    def unit_of_work(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.database)

    def copies_out_of_step(self) -> Iterator[str]:
        # Owner names are joined in and numbers are a UNIQUE column; an alert's rules are
        # kept apart from its verdict for the queue's rule filter.
        return self.monitoring.copies_out_of_step()


__all__ = ["SqliteStore"]
