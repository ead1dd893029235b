"""SqliteStore: the embedded store, one SQLite file in WAL mode.

Durability: synchronous=FULL, so an acknowledged posting survives power loss, not only a
process crash. Concurrency: every write runs in BEGIN IMMEDIATE, which takes the database's
write lock up front, so a posting's read-check-write cannot interleave with another's, across
threads and processes alike. Each thread gets its own connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from importlib import resources
from pathlib import Path

from ..domain.accounts import (
    CASH_ACCOUNT_ID,
    MAX_ACCOUNTS_PER_CUSTOMER,
    USER_FIELDS,
    Account,
    AccountStatus,
    User,
)
from ..domain.errors import (
    AccountNotFound,
    EmailTaken,
    Refusal,
    StaleRecord,
    StoreError,
    TooManyAccounts,
    WriteConflict,
    refusal,
)
from ..domain.identity import email_key
from ..domain.ledger import (
    Entry,
    IdempotencyKey,
    Leg,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
    check_leg,
    recorded,
)
from ..domain.money import Money
from ..domain.security import ApiToken
from .base import Earlier, Page, PostingInputs, replay
from .cursors import decode_cursor, encode_cursor
from .sqlite_rows import (
    ENTRY_COLS,
    row_to_account,
    row_to_entry,
    row_to_token,
    row_to_user,
    user_columns,
    user_row,
)
from .sqlite_security import SqliteSecurity

BUSY_TIMEOUT_MS = 10_000
#: Columns that update_user leaves alone (see Store.update_user).
#: Accounts with their owner's name, which this store joins in rather than copies.
_ACCOUNTS = ("SELECT a.*, coalesce(u.full_name, '') AS owner_name FROM accounts a "
             "LEFT JOIN users u ON u.id = a.user_id")
_ADDED_COLUMNS = (
    ("users", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("users", "security_stamp", "TEXT NOT NULL DEFAULT ''"),
    ("api_tokens", "stamp", "TEXT NOT NULL DEFAULT ''"),
    ("web_sessions", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("idempotency_keys", "refusal", "TEXT"),
)


class SqliteUnitOfWork:
    """One BEGIN IMMEDIATE transaction around every write the use case makes on this
    thread's connection; rolled back unless commit() was called."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> SqliteUnitOfWork:
        local = self._store._local
        if getattr(local, "unit", None) is not None:
            raise RuntimeError("a unit of work is already open on this thread")
        self._db = self._store._begin()
        local.unit = self
        return self

    def commit(self) -> None:
        if self._db is None:
            raise RuntimeError("commit() outside the with block")
        try:
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as e:
            raise StoreError("the embedded store failed; nothing was written") from e
        finally:
            self._store._local.unit = None

    def __exit__(self, *exc: object) -> None:
        self._store._local.unit = None
        if self._db is not None and self._db.in_transaction:
            self._db.execute("ROLLBACK")


class SqliteStore(SqliteSecurity):
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # -- connections and transactions ---------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _begin(self) -> sqlite3.Connection:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):  # still locked after the busy timeout
                raise WriteConflict("the ledger is busy; try again") from e
            raise StoreError("the embedded store failed; nothing was written") from e
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: its own transaction, or inside a unit of work a savepoint of it
        (so that a refused step leaves the unit's other steps as they were)."""
        if getattr(self._local, "unit", None) is not None:
            db = self._db
            db.execute("SAVEPOINT step")
            try:
                yield db
                db.execute("RELEASE step")
            except BaseException as e:
                db.execute("ROLLBACK TO step")
                db.execute("RELEASE step")
                if isinstance(e, sqlite3.OperationalError):
                    raise StoreError("the embedded store failed; nothing was written") from e
                raise
            return
        db = self._begin()
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError):  # disk full, I/O error, corruption
                raise StoreError("the embedded store failed; nothing was written") from e
            raise

    def unit_of_work(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self)

    def init_schema(self) -> None:
        ddl = resources.files(__package__).joinpath("sqlite_schema.sql").read_text()
        self._db.executescript(ddl)
        # A file made before these columns existed gets them, with their defaults.
        for table, column, spec in _ADDED_COLUMNS:
            have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {spec}")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # -- users --------------------------------------------------------------------------
    def add_user(self, user: User) -> None:
        try:
            with self._write() as db:
                row = user_row(user)
                db.execute(f"INSERT INTO users ({','.join(row)}) "
                           f"VALUES ({','.join(':' + k for k in row)})", row)
        except sqlite3.IntegrityError as e:
            raise EmailTaken("that email is already registered") from e

    def get_user(self, user_id: str) -> User | None:
        row = self._db.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
        return row_to_user(row) if row else None

    def find_user_by_email(self, email: str) -> User | None:
        row = self._db.execute(
            "SELECT * FROM users WHERE email_key=?", (email_key(email),)
        ).fetchone()
        return row_to_user(row) if row else None

    def update_user(self, user_id: str, *, version: int,
                    changes: Mapping[str, object]) -> User:
        unknown = set(changes) - USER_FIELDS
        if unknown or not changes:
            raise ValueError(f"update_user cannot change {sorted(unknown) or 'nothing'}")
        row = user_columns(changes)
        sets = ",".join(f"{k}=:{k}" for k in row)
        try:
            with self._write() as db:
                found = db.execute(f"UPDATE users SET {sets}, version=version+1 "
                                   "WHERE id=:user_id AND version=:version RETURNING *",
                                   {**row, "user_id": user_id, "version": version}).fetchone()
                if found is None:
                    if db.execute("SELECT 1 FROM users WHERE id=?", (user_id,)).fetchone():
                        raise StaleRecord("the user changed meanwhile; read it again")
                    raise AccountNotFound("no such user")
                return row_to_user(found)
        except sqlite3.IntegrityError as e:
            raise EmailTaken("that email is already registered") from e

    def count_users(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM users").fetchone()[0])

    # -- accounts -----------------------------------------------------------------------
    def add_account(self, account: Account) -> None:
        try:
            with self._write() as db:
                held = db.execute("SELECT count(*) FROM accounts WHERE user_id=?",
                                  (account.user_id,)).fetchone()[0]
                if held >= MAX_ACCOUNTS_PER_CUSTOMER:
                    raise TooManyAccounts(MAX_ACCOUNTS_PER_CUSTOMER)
                db.execute(
                    "INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?)",
                    (account.id, account.number, account.user_id, account.type.value,
                     account.currency, account.balance.minor, account.status.value,
                     account.opened_at, account.status_reason),
                )
        except sqlite3.IntegrityError as e:
            raise WriteConflict("account number already taken") from e

    def get_account(self, account_id: str) -> Account | None:
        row = self._db.execute(f"{_ACCOUNTS} WHERE a.id=?", (account_id,)).fetchone()
        return row_to_account(row) if row else None

    def find_account_by_number(self, number: str) -> Account | None:
        row = self._db.execute(f"{_ACCOUNTS} WHERE a.number=?", (number,)).fetchone()
        return row_to_account(row) if row else None

    def accounts_of(self, user_id: str) -> list[Account]:
        rows = self._db.execute(
            f"{_ACCOUNTS} WHERE a.user_id=? ORDER BY a.opened_at, a.number", (user_id,)
        ).fetchall()
        return [row_to_account(r) for r in rows]

    def set_account_status(self, account_id: str, status: AccountStatus,
                           reason: str = "") -> None:
        with self._write() as db:
            if not db.execute("UPDATE accounts SET status=?, status_reason=? WHERE id=?",
                              (status.value, reason, account_id)).rowcount:
                raise AccountNotFound("no such account")

    # -- the ledger ---------------------------------------------------------------------
    def post(self, posting: Posting) -> PostResult:
        with self._write() as db:
            idem = posting.idempotency
            if idem is not None:
                earlier = self._idempotent(db, idem.scope, idem.key)
                if earlier is not None:
                    return replay(earlier, idem.fingerprint)
            # The time was read before the write lock: never let it fall behind the last
            # posting's, so that time order is commit order (statements and the feed rely
            # on the balance chain following created_at). The rule itself keeps the latest
            # time on the highest seq, so one step along the primary key finds it.
            row = db.execute("SELECT created_at FROM transactions ORDER BY seq DESC LIMIT 1"
                             ).fetchone()
            if row is not None and row[0] > posting.created_at:
                posting = replace(posting, created_at=row[0])
            cur = db.execute(
                "INSERT INTO transactions (id,type,amount_minor,currency,memo,created_at,"
                "initiated_by) VALUES (?,?,?,?,?,?,?)",
                (posting.id, posting.type.value, posting.amount.minor, posting.amount.currency,
                 posting.memo, posting.created_at, posting.initiated_by),
            )
            seq = cur.lastrowid
            balances: dict[str, Money | None] = {}
            for leg in posting.legs:
                after = None if leg.account_id == CASH_ACCOUNT_ID else self._apply(db, leg)
                balances[leg.account_id] = (None if after is None
                                            else Money.from_minor(after, leg.amount.currency))
                db.execute(
                    f"INSERT INTO entries ({ENTRY_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (leg.account_id, seq, posting.id, posting.type.value, leg.amount.minor,
                     leg.amount.currency, after, leg.counterparty, posting.memo,
                     posting.created_at),
                )
            if idem is not None:
                db.execute("INSERT INTO idempotency_keys (scope, key, fingerprint, transaction_id, "
                       "created_at) VALUES (?,?,?,?,?)",
                           (idem.scope, idem.key, idem.fingerprint, posting.id,
                            posting.created_at))
        return PostResult(recorded(posting, balances, str(seq)))

    @staticmethod
    def _apply(db: sqlite3.Connection, leg: Leg) -> int:
        row = db.execute("SELECT balance_minor, status, number FROM accounts WHERE id=?",
                         (leg.account_id,)).fetchone()
        if row is None:
            raise AccountNotFound("no such account")
        currency = leg.amount.currency
        check_leg(leg.amount, balance=Money.from_minor(row["balance_minor"], currency),
                  status=AccountStatus(row["status"]), number=row["number"])
        after = row["balance_minor"] + leg.amount.minor
        db.execute("UPDATE accounts SET balance_minor=? WHERE id=?", (after, leg.account_id))
        return int(after)

    def _idempotent(self, db: sqlite3.Connection, scope: str, key: str) -> Earlier | None:
        row = db.execute("SELECT fingerprint, transaction_id, refusal FROM idempotency_keys "
                         "WHERE scope=? AND key=?", (scope, key)).fetchone()
        if row is None:
            return None
        if row["refusal"] is not None:
            kept = json.loads(row["refusal"])
            return row["fingerprint"], refusal(kept["kind"], kept["message"], kept["field"])
        txn = self._transaction(db, "t.id=?", (row["transaction_id"],))
        if txn is None:
            raise StoreError("idempotency key points at a missing transaction")
        return row["fingerprint"], txn

    def record_refusal(self, idempotency: IdempotencyKey, error: Refusal, at: str) -> None:
        kept = json.dumps({"kind": type(error).__name__, "message": error.message,
                           "field": error.field})
        with self._write() as db:  # the first answer stands: a racer's posting or refusal
            db.execute("INSERT OR IGNORE INTO idempotency_keys VALUES (?,?,?,'',?,?)",
                       (idempotency.scope, idempotency.key, idempotency.fingerprint, at, kept))

    def read_for_posting(self, account_ids: Sequence[str], *,
                         idempotency: tuple[str, str] | None = None,
                         recipient_email: str | None = None) -> PostingInputs:
        db = self._db
        ids = list(dict.fromkeys(account_ids))
        rows = db.execute(f"{_ACCOUNTS} WHERE a.id IN ({','.join('?' * len(ids))})",
                          ids).fetchall() if ids else []
        earlier = None if idempotency is None else self._idempotent(db, *idempotency)
        recipients = None if recipient_email is None else [row_to_account(r) for r in db.execute(
            f"{_ACCOUNTS} WHERE u.email_key=? ORDER BY a.opened_at, a.number",
            (email_key(recipient_email),))]
        return PostingInputs({r["id"]: row_to_account(r) for r in rows}, earlier, recipients)

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        return self._transaction(self._db, "t.id=?", (transaction_id,))

    def _transactions(self, db: sqlite3.Connection, where: str, args: tuple,  # type: ignore[type-arg]
                      tail: str = "") -> list[Transaction]:
        heads = db.execute(f"SELECT * FROM transactions t WHERE {where} ORDER BY t.seq {tail}",
                           args).fetchall()
        if not heads:
            return []
        seqs = [h["seq"] for h in heads]
        marks = ",".join("?" * len(seqs))
        by_seq: dict[int, list[Entry]] = {s: [] for s in seqs}
        query = f"SELECT * FROM entries WHERE seq IN ({marks}) ORDER BY seq, amount_minor"
        for r in db.execute(query, seqs):
            by_seq[r["seq"]].append(row_to_entry(r))
        from .sqlite_rows import row_to_transaction

        return [row_to_transaction(h, by_seq[h["seq"]]) for h in heads]

    def _transaction(self, db: sqlite3.Connection, where: str, args: tuple  # type: ignore[type-arg]
                     ) -> Transaction | None:
        found = self._transactions(db, where, args)
        return found[0] if found else None

    def history(self, account_id: str, *, limit: int, cursor: str | None = None,
                since: str | None = None, until: str | None = None,
                type: TransactionType | None = None) -> Page[Entry]:
        where, args = ["account_id=?"], [account_id]
        if cursor is not None:
            position = decode_cursor(cursor)
            # Beyond 64 bits SQLite cannot bind the number (OverflowError): foreign too.
            if not isinstance(position, int) or not 0 <= position < 2**63:
                decode_cursor("!")  # raises the same 422 as any other foreign cursor
            where.append("seq<?")
            args.append(position)
        if since is not None:
            where.append("created_at>=?")
            args.append(since)
        if until is not None:
            where.append("created_at<?")
            args.append(until)
        if type is not None:
            where.append("type=?")
            args.append(type.value)
        rows = self._db.execute(
            f"SELECT * FROM entries WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([row_to_entry(r) for r in rows],
                    encode_cursor(rows[-1]["seq"]) if more else None)

    def entries_between(self, account_id: str, start: str, end: str) -> list[Entry]:
        rows = self._db.execute(
            "SELECT * FROM entries WHERE account_id=? AND created_at>=? AND created_at<? "
            "ORDER BY seq", (account_id, start, end)).fetchall()
        return [row_to_entry(r) for r in rows]

    def balance_before(self, account_id: str, moment: str) -> Entry | None:
        row = self._db.execute(
            "SELECT * FROM entries WHERE account_id=? AND created_at<? "
            "ORDER BY created_at DESC, seq DESC LIMIT 1", (account_id, moment)).fetchone()
        return row_to_entry(row) if row else None

    def feed(self, *, after: str | None, limit: int) -> Page[Transaction]:
        position = 0 if after is None else decode_cursor(after)
        if not isinstance(position, int) or not 0 <= position < 2**63:
            decode_cursor("!")
        txns = self._transactions(self._db, "t.seq>?", (position,), f"LIMIT {int(limit)}")
        last = int(txns[-1].position) if txns else position
        return Page(txns, encode_cursor(last))

    def all_accounts(self) -> Iterator[Account]:
        for row in self._db.execute(f"{_ACCOUNTS} ORDER BY a.opened_at"):
            yield row_to_account(row)

    def copies_out_of_step(self) -> Iterator[str]:
        return iter(())  # owner names are joined in and numbers are a UNIQUE column

    def all_transactions(self) -> Iterator[Transaction]:
        after = None
        while True:
            page = self.feed(after=after, limit=500)
            yield from page.items
            if not page.items:
                return
            after = page.next_cursor

    # -- API tokens ---------------------------------------------------------------------
    def add_token(self, token: ApiToken) -> None:
        with self._write() as db:
            db.execute("INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at, "
                       "revoked, stamp) VALUES (?,?,?,?,?,?)",
                       (token.token_hash, token.user_id, token.created_at, token.expires_at,
                        int(token.revoked), token.stamp))

    def get_token(self, token_hash: str) -> ApiToken | None:
        row = self._db.execute("SELECT * FROM api_tokens WHERE token_hash=?",
                               (token_hash,)).fetchone()
        return None if row is None else row_to_token(row)

    def revoke_token(self, token_hash: str) -> None:
        with self._write() as db:
            db.execute("UPDATE api_tokens SET revoked=1 WHERE token_hash=?", (token_hash,))
