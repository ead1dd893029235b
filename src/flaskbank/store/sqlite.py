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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from importlib import resources
from pathlib import Path

from ..domain.accounts import CASH_ACCOUNT_ID, Account, AccountStatus, User
from ..domain.errors import (
    AccountNotFound,
    AccountNotOpen,
    EmailTaken,
    IdempotencyConflict,
    InsufficientFunds,
    StoreError,
    WriteConflict,
)
from ..domain.identity import email_key
from ..domain.ledger import (
    Entry,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
    recorded,
)
from ..domain.money import Money
from .base import ApiToken, Page, PostingInputs
from .cursors import decode_cursor, encode_cursor
from .sqlite_rows import ENTRY_COLS, row_to_account, row_to_entry, row_to_user, user_row
from .sqlite_security import SqliteSecurity

BUSY_TIMEOUT_MS = 10_000
#: Columns that update_user leaves alone (see Store.update_user).
#: Accounts with their owner's name, which this store joins in rather than copies.
_ACCOUNTS = ("SELECT a.*, coalesce(u.full_name, '') AS owner_name FROM accounts a "
             "LEFT JOIN users u ON u.id = a.user_id")
TWO_FACTOR = frozenset({"totp_secret", "totp_last_step", "recovery_codes"})


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

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):  # still locked after the busy timeout
                raise WriteConflict("the ledger is busy; try again") from e
            raise StoreError("the embedded store failed; nothing was written") from e
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError):  # disk full, I/O error, corruption
                raise StoreError("the embedded store failed; nothing was written") from e
            raise

    def init_schema(self) -> None:
        ddl = resources.files(__package__).joinpath("sqlite_schema.sql").read_text()
        self._db.executescript(ddl)

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

    def update_user(self, user: User, *, previous_email: str) -> None:
        try:
            with self._write() as db:
                row = {k: v for k, v in user_row(user).items() if k not in TWO_FACTOR}
                db.execute(f"UPDATE users SET {','.join(f'{k}=:{k}' for k in row)} "
                           "WHERE id=:id", row)
        except sqlite3.IntegrityError as e:
            raise EmailTaken("that email is already registered") from e

    def set_two_factor(self, user_id: str, *, secret: str | None, last_step: int,
                       recovery_codes: tuple[str, ...]) -> None:
        with self._write() as db:
            db.execute("UPDATE users SET totp_secret=?, totp_last_step=?, recovery_codes=? "
                       "WHERE id=?", (secret, last_step, json.dumps(list(recovery_codes)),
                                      user_id))

    def count_users(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM users").fetchone()[0])

    # -- accounts -----------------------------------------------------------------------
    def add_account(self, account: Account) -> None:
        try:
            with self._write() as db:
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
                    if earlier[0] != idem.fingerprint:
                        raise IdempotencyConflict(
                            "this Idempotency-Key was used for a different request")
                    return PostResult(earlier[1], replayed=True)
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
                db.execute("INSERT INTO idempotency_keys VALUES (?,?,?,?,?)",
                           (idem.scope, idem.key, idem.fingerprint, posting.id,
                            posting.created_at))
        return PostResult(recorded(posting, balances, str(seq)))

    @staticmethod
    def _apply(db: sqlite3.Connection, leg) -> int:  # type: ignore[no-untyped-def]
        row = db.execute("SELECT balance_minor, status, number FROM accounts WHERE id=?",
                         (leg.account_id,)).fetchone()
        if row is None:
            raise AccountNotFound("no such account")
        if leg.amount.is_negative() and row["status"] != AccountStatus.OPEN.value:
            raise AccountNotOpen(f"account {row['number']} is {row['status']}")
        after = row["balance_minor"] + leg.amount.minor
        if after < 0:
            raise InsufficientFunds("insufficient funds")
        db.execute("UPDATE accounts SET balance_minor=? WHERE id=?", (after, leg.account_id))
        return int(after)

    def _idempotent(self, db: sqlite3.Connection, scope: str, key: str):  # type: ignore[no-untyped-def]
        row = db.execute("SELECT fingerprint, transaction_id FROM idempotency_keys "
                         "WHERE scope=? AND key=?", (scope, key)).fetchone()
        if row is None:
            return None
        txn = self._transaction(db, "t.id=?", (row["transaction_id"],))
        if txn is None:
            raise StoreError("idempotency key points at a missing transaction")
        return row["fingerprint"], txn

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
            db.execute("INSERT INTO api_tokens VALUES (?,?,?,?,?)",
                       (token.token_hash, token.user_id, token.created_at, token.expires_at,
                        int(token.revoked)))

    def get_token(self, token_hash: str) -> ApiToken | None:
        row = self._db.execute("SELECT * FROM api_tokens WHERE token_hash=?",
                               (token_hash,)).fetchone()
        if row is None:
            return None
        return ApiToken(row["token_hash"], row["user_id"], row["created_at"],
                        row["expires_at"], bool(row["revoked"]))

    def revoke_token(self, token_hash: str) -> None:
        with self._write() as db:
            db.execute("UPDATE api_tokens SET revoked=1 WHERE token_hash=?", (token_hash,))
