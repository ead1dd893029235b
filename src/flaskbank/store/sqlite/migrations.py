"""The embedded store's schema versions, and the steps from each to the next.

`flaskbank init` (SqliteDatabase.init_schema) runs `migrate` in one BEGIN IMMEDIATE
transaction: it holds the database's write lock from the first read of the version to the
commit, so a second `init` started meanwhile (another process, another thread) waits for
it and then finds nothing left to do; and a step that fails leaves the database as it was,
at its old version (SQLite's DDL is transactional). The version is the highest row of
`schema_migrations`, which also says when each step ran.

- No tables: a new database. It is made from schema.sql, the latest shape, and stamped with
  the latest version; replaying every step instead would make a new database the slow way
  and hide today's shape behind a history of changes.
- Tables but no `schema_migrations`: made before versions were recorded: version 1.
- Otherwise the steps after its version run in order, each stamped as it completes.

Adding a step (a table, a column, an index, a change of data):

1. change schema.sql, the shape a new database is made in;
2. add a function at the end of this module, decorated `@STEPS.add(N)` with N one more than
   the last step's, that takes the connection and makes the same change to an existing
   database; its docstring says what it changes and why (the first line is what `init`
   records). It runs inside the transaction: use `db.execute`, never `executescript` (which
   commits first) or COMMIT;
3. run tests/test_migrations.py: it checks that a database migrated from the v1 fixture has
   exactly the tables, columns, indexes and triggers that a new one has.

Two engineers adding step N at once get a merge conflict here; the second renumbers.
Steps 2 to 4 look before they alter, because a version 1 database may be of any age (the
columns came with 0494fe9, and databases made since have them already); a step after them
knows exactly what the version before it looks like.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources

from ..migrations import UNVERSIONED, SchemaReport, Steps

STEPS: Steps[sqlite3.Connection] = Steps()


def migrate(db: sqlite3.Connection) -> SchemaReport:
    """Bring the database to the latest version; `db` is inside BEGIN IMMEDIATE."""
    version = current_version(db)
    if version is None:
        for statement in _statements(
            resources.files(__package__).joinpath("schema.sql").read_text()
        ):
            db.execute(statement)
        _stamp(db, STEPS.latest, "made from schema.sql")
        return SchemaReport(STEPS.latest, created=True)
    steps = STEPS.after(version)  # refuses a database newer than this code
    for step in steps:
        step.apply(db)
        _stamp(db, step.version, step.summary)
    return SchemaReport(STEPS.latest, tuple(s.version for s in steps))


def current_version(db: sqlite3.Connection) -> int | None:
    """The database's version; None when it has no tables yet."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_migrations" in tables:
        return int(db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0])
    return UNVERSIONED if "users" in tables else None


def _stamp(db: sqlite3.Connection, version: int, summary: str) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, summary TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
        (version, datetime.now(UTC).isoformat(timespec="seconds"), summary),
    )


def _statements(text: str) -> Iterator[str]:
    """schema.sql one statement at a time (a trigger's body holds semicolons of its own)."""
    pending = ""
    for line in text.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip(" \n-"):
        raise ValueError(f"schema.sql ends inside a statement: {pending!r}")


def _add_column(db: sqlite3.Connection, table: str, column: str, spec: str) -> None:
    """ALTER TABLE ADD COLUMN, unless the table has that column already."""
    if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {spec}")


@STEPS.add(2)
def records_carry_a_version(db: sqlite3.Connection) -> None:
    """Users and browser sessions carry a version (0 for those made before), so that every
    write to them can be conditional on the version read and concurrent requests never undo
    each other (0494fe9)."""
    _add_column(db, "users", "version", "INTEGER NOT NULL DEFAULT 0")
    _add_column(db, "web_sessions", "version", "INTEGER NOT NULL DEFAULT 0")


@STEPS.add(3)
def security_stamps(db: sqlite3.Connection) -> None:
    """Users carry a security stamp and API tokens the stamp they were issued under (empty
    for those made before, which still match), so that changing the stamp ends every token
    and session at once (0494fe9)."""
    _add_column(db, "users", "security_stamp", "TEXT NOT NULL DEFAULT ''")
    _add_column(db, "api_tokens", "stamp", "TEXT NOT NULL DEFAULT ''")


@STEPS.add(4)
def refusals_kept_with_idempotency_keys(db: sqlite3.Connection) -> None:
    """An idempotency key keeps the refusal its request met (NULL for a posting), so that a
    retry is refused alike instead of judged again (0494fe9)."""
    _add_column(db, "idempotency_keys", "refusal", "TEXT")


@STEPS.add(5)
def holds_leases_and_standing_orders(db: sqlite3.Connection) -> None:
    """Ledger v2: accounts keep the amount their open holds reserve (0 for all today), holds
    are recorded, an idempotency key may answer with the hold of a transfer waiting for
    review, and the background worker gets job leases and standing orders."""
    _add_column(db, "accounts", "held_minor", "INTEGER NOT NULL DEFAULT 0")
    _add_column(db, "idempotency_keys", "hold_id", "TEXT")
    for statement in _statements(_LEDGER_V2):
        db.execute(statement)


_LEDGER_V2 = """
-- Reserved amounts (domain/holds.py); accounts.held_minor is the sum of the open ones.
CREATE TABLE IF NOT EXISTS holds (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts(id),
    kind           TEXT NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    placed_by      TEXT NOT NULL,
    placed_at      TEXT NOT NULL,
    expires_at     TEXT,
    status         TEXT NOT NULL,
    resolved_by    TEXT,
    resolved_at    TEXT,
    posting        TEXT,                         -- JSON: what a release posts
    transaction_id TEXT
);
CREATE INDEX IF NOT EXISTS holds_by_account ON holds (account_id, placed_at);
CREATE INDEX IF NOT EXISTS holds_due ON holds (expires_at) WHERE status = 'open';
-- A named job's lease: one worker runs it at a time; a dead worker's lease runs out.
CREATE TABLE IF NOT EXISTS leases (
    name   TEXT PRIMARY KEY,
    owner  TEXT NOT NULL,
    until  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS standing_orders (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id),
    from_account_id   TEXT NOT NULL REFERENCES accounts(id),
    to_account_number TEXT NOT NULL,
    amount            TEXT NOT NULL,
    memo              TEXT NOT NULL,
    day_of_month      INTEGER NOT NULL CHECK (day_of_month BETWEEN 1 AND 28),
    next_run          TEXT NOT NULL,
    end_date          TEXT,
    status            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 0,
    last_outcome      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS standing_orders_by_user ON standing_orders (user_id, created_at);
CREATE INDEX IF NOT EXISTS standing_orders_due ON standing_orders (next_run)
    WHERE status = 'active';
CREATE TABLE IF NOT EXISTS standing_order_runs (
    order_id       TEXT NOT NULL,
    run_on         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    at             TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    detail         TEXT NOT NULL,
    PRIMARY KEY (order_id, run_on)
) WITHOUT ROWID;
"""


@STEPS.add(6)
def event_outbox(db: sqlite3.Connection) -> None:
    """The event outbox: every change writes its events in its own transaction (a posting's
    with the posting), in one feed ordered by an AUTOINCREMENT position that readers resume
    from, and consumers keep their checkpoints here. New tables only; nothing existing
    changes, and the feed starts empty (there were no events before)."""
    for statement in _statements(_EVENT_OUTBOX):
        db.execute(statement)


_EVENT_OUTBOX = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,  -- the feed order (store/sqlite/events.py)
    id       TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,                       -- an account or user id
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL,
    payload  TEXT NOT NULL                        -- JSON; amounts as text
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
-- Each save is conditional on the version read, so two instances of a consumer cannot both
-- move its checkpoint.
CREATE TABLE IF NOT EXISTS consumer_checkpoints (
    consumer TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    version  INTEGER NOT NULL
) WITHOUT ROWID;
"""


@STEPS.add(7)
def demo_only_users(db: sqlite3.Connection) -> None:
    """Users carry `demo_only` (0 for every user made before): the staff `flaskbank demo`
    makes with published passwords sign in only under the demo. A store at this version
    also refuses older code, which would let those logins in anywhere."""
    # Looks before it alters, as steps 2 to 4 do: a store whose versions were lost runs
    # every step again on tables that may have the column already.
    _add_column(db, "users", "demo_only", "INTEGER NOT NULL DEFAULT 0")


@STEPS.add(8)
def bulk_loads_and_labels(db: sqlite3.Connection) -> None:
    """Bulk loads record how many of their batches are in and whether they finished, so that
    a killed `flaskbank generate` resumes or is named; the synthetic bank's labels are kept
    (issue 10). New tables only."""
    for statement in _statements(_BULK):
        db.execute(statement)


_BULK = """
CREATE TABLE IF NOT EXISTS bulk_loads (
    load_id  TEXT PRIMARY KEY,
    batches  INTEGER NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS labels (
    id              TEXT PRIMARY KEY,
    pattern         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    transaction_ids TEXT NOT NULL,               -- JSON list
    start           TEXT NOT NULL,
    end             TEXT NOT NULL,
    note            TEXT NOT NULL
) WITHOUT ROWID;
"""


@STEPS.add(9)
def monitoring(db: sqlite3.Connection) -> None:
    """Real-time monitoring keeps customers' profiles, the live rule set and every version of
    each rule, alerts and backtests (issue 11). New tables only, each made only if missing,
    so that a store whose version records were lost can run the step again."""
    for statement in _statements(_MONITORING):
        db.execute(statement)


_MONITORING = """
-- Monitoring (issue 11): customers' profiles, the live rule set (one row) and every version
-- of each rule, alerts (the rules that fired on each, for the queue's rule filter), backtests.
-- Profiles, the rule set, alerts and backtests are saved conditionally on their version;
-- tables of JSON documents keep their rowid (WITHOUT ROWID suits small rows only).
CREATE TABLE IF NOT EXISTS monitoring_profiles (
    user_id TEXT PRIMARY KEY,
    data    TEXT NOT NULL,                       -- JSON (domain/monitoring/profile.py)
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS monitoring_rule_set (
    id      INTEGER PRIMARY KEY CHECK (id = 1),  -- one live rule set
    data    TEXT NOT NULL,                       -- JSON (rules.dump)
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_changes (
    rule_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    at      TEXT NOT NULL,
    by      TEXT NOT NULL,
    data    TEXT NOT NULL,                       -- JSON: the rule as of this version
    PRIMARY KEY (rule_id, version)
);
CREATE TABLE IF NOT EXISTS alerts (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    severity       TEXT NOT NULL,
    score          INTEGER NOT NULL,
    status         TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    decision       TEXT NOT NULL,
    verdict        TEXT NOT NULL,                -- JSON: the rules that fired and why
    amount         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    transaction_id TEXT,
    hold_id        TEXT,
    assignee       TEXT,
    notes          TEXT NOT NULL,                -- JSON list of [at, by, text]
    closed_at      TEXT,
    closed_by      TEXT,
    version        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_newest ON alerts (created_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_status ON alerts (status, created_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_customer ON alerts (customer_id, created_at, id);
-- The rules that fired on each alert (they never change once it is raised).
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    alert_id   TEXT NOT NULL REFERENCES alerts(id),
    PRIMARY KEY (rule_id, created_at, alert_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS backtests (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    since      TEXT NOT NULL,
    until      TEXT NOT NULL,
    rules      TEXT NOT NULL,                    -- JSON: the draft rule set
    status     TEXT NOT NULL,
    progress   INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    result     TEXT NOT NULL,                    -- JSON when done
    error      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    extra      TEXT NOT NULL                     -- JSON
);
"""


@STEPS.add(10)
def saved_reports(db: sqlite3.Connection) -> None:
    """Staff save a report's parameters under a name and share its link (issue 12). A new
    table only, made only if missing."""
    for statement in _statements(_SAVED_REPORTS):
        db.execute(statement)


_SAVED_REPORTS = """
-- Reports saved under a name (issue 12): a report's parameters (JSON object of text), unique
-- by name_key (the name case-folded), so that staff share one link.
CREATE TABLE IF NOT EXISTS saved_reports (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    report      TEXT NOT NULL,
    params      TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    owner_email TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
"""


@STEPS.add(11)
def mail_and_recovery(db: sqlite3.Connection) -> None:
    """Mail and account recovery (issue 13): emailed one-time links (by their token's hash),
    the addresses customers confirmed, the mail outbox the worker sends from, and the devices
    customers signed in from. New tables only, made only if missing."""
    for statement in _statements(_MAIL_AND_RECOVERY):
        db.execute(statement)


_MAIL_AND_RECOVERY = """
-- Emailed one-time links (issue 13): only the token's SHA-256; a use deletes the row.
CREATE TABLE IF NOT EXISTS email_links (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,                    -- reset_password, confirm_email
    user_id    TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS email_links_by_expiry ON email_links (expires_at);
-- The addresses each customer has confirmed (by identity.email_key): a changed email is
-- unconfirmed until its own link is used.
CREATE TABLE IF NOT EXISTS confirmed_emails (
    user_id      TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (user_id, email_key)
) WITHOUT ROWID;
-- The mail outbox: the worker's send job hands each row to the mailer and marks it sent.
CREATE TABLE IF NOT EXISTS mail_outbox (
    id         TEXT PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,                    -- emptied once sent if it carried a link
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_at    TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    sent_at    TEXT,
    last_error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mail_outbox_due ON mail_outbox (next_at) WHERE sent_at IS NULL;
-- The devices each customer has signed in from, for new-device notices.
CREATE TABLE IF NOT EXISTS user_devices (
    user_id    TEXT NOT NULL,
    device     TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (user_id, device)
) WITHOUT ROWID;
"""


@STEPS.add(12)
def account_nicknames_and_primary(db: sqlite3.Connection) -> None:
    """Accounts get a nickname (empty) and the primary flag (off: money sent to an email
    lands in the oldest open checking account until the owner chooses, domain.recipients),
    issue 13. It looks before it alters: a store whose version record was lost runs every
    step again on the shape it has."""
    have = {row[1] for row in db.execute("PRAGMA table_info(accounts)")}
    if "nickname" not in have:
        db.execute("ALTER TABLE accounts ADD COLUMN nickname TEXT NOT NULL DEFAULT ''")
    if "is_primary" not in have:
        db.execute("ALTER TABLE accounts ADD COLUMN is_primary INTEGER NOT NULL DEFAULT 0")


@STEPS.add(13)
def payees(db: sqlite3.Connection) -> None:
    """Customers save payees, by account number or email (issue 13). A new table only."""
    for statement in _statements(_PAYEES):
        db.execute(statement)


_PAYEES = """
-- A customer's saved payees (domain/payees.py): whom they pay, by account number or email.
CREATE TABLE IF NOT EXISTS payees (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    nickname   TEXT NOT NULL,
    number     TEXT NOT NULL DEFAULT '',        -- canonical account number, or ''
    email      TEXT NOT NULL DEFAULT '',        -- or the recipient's email, as typed
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payees_by_user ON payees (user_id, created_at);
"""


@STEPS.add(14)
def personal_details_notes_and_approvals(db: sqlite3.Connection) -> None:
    """Customers' phone, postal address and date of birth (empty for those who registered
    before), staff's internal notes on customers, and requests for two-person approval
    (issue 13)."""
    # It looks before it alters: a store whose version record was lost runs every step
    # again on the shape it has.
    have = {row[1] for row in db.execute("PRAGMA table_info(users)")}
    for column in ("phone", "address", "date_of_birth"):
        if column not in have:
            db.execute(f"ALTER TABLE users ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    for statement in _statements(_NOTES_AND_APPROVALS):
        db.execute(statement)


_NOTES_AND_APPROVALS = """
-- Staff's internal notes on customers: append-only (issue 13).
CREATE TABLE IF NOT EXISTS customer_notes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    customer_id  TEXT NOT NULL,
    at           TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    author_email TEXT NOT NULL,
    text         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_customer ON customer_notes (customer_id, at, id);
CREATE TRIGGER IF NOT EXISTS customer_notes_no_update BEFORE UPDATE ON customer_notes
BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS customer_notes_no_delete BEFORE DELETE ON customer_notes
BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
-- Requests for two-person approval (issue 13); a decision is conditional on `version`.
CREATE TABLE IF NOT EXISTS approval_requests (
    id                 TEXT PRIMARY KEY,
    action             TEXT NOT NULL,
    target             TEXT NOT NULL,
    customer_id        TEXT NOT NULL,
    reason             TEXT NOT NULL,
    requested_by       TEXT NOT NULL,
    requested_by_email TEXT NOT NULL,
    requested_at       TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    status             TEXT NOT NULL,
    decided_by         TEXT NOT NULL,
    decided_by_email   TEXT NOT NULL,
    decided_at         TEXT NOT NULL,
    version            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_by_status ON approval_requests (status, requested_at);
"""


@STEPS.add(15)
def approval_requests_carry_a_detail(db: sqlite3.Connection) -> None:
    """A request for two-person approval says what its action needs beyond its target
    (closing an account with a balance: where the money goes), issue 13; requests asked
    before needed none and read as ''. It looks before it alters."""
    have = {row[1] for row in db.execute("PRAGMA table_info(approval_requests)")}
    if "detail" not in have:
        db.execute("ALTER TABLE approval_requests ADD COLUMN detail TEXT NOT NULL DEFAULT ''")


@STEPS.add(16)
def corrective_actions(db: sqlite3.Connection) -> None:
    """Corrective actions that compliance officers record against the findings of the
    compliance review (issue 13): a new append-only table; nothing older changes."""
    for statement in _statements(_CORRECTIVE_ACTIONS):
        db.execute(statement)


_CORRECTIVE_ACTIONS = """
-- Corrective actions recorded against compliance findings: append-only (issue 13).
CREATE TABLE IF NOT EXISTS corrective_actions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    finding      TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    at           TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    author_email TEXT NOT NULL,
    text         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_finding ON corrective_actions (finding, at, id);
CREATE TRIGGER IF NOT EXISTS corrective_actions_no_update BEFORE UPDATE ON corrective_actions
BEGIN SELECT RAISE(ABORT, 'corrective actions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS corrective_actions_no_delete BEFORE DELETE ON corrective_actions
BEGIN SELECT RAISE(ABORT, 'corrective actions are append-only'); END;
"""
