"""The ledger port on SQLite: accounts, postings and what is read back of them.

A posting is one BEGIN IMMEDIATE transaction: the idempotency record, the header, one entry
per leg and one balance update per customer leg (the bank's internal accounts keep no
stored balance), each customer leg re-checked against the domain's rules (domain.chart) on
the row it lands on, and the posting's event."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace

from ...domain.accounts import MAX_ACCOUNTS_PER_CUSTOMER, Account, AccountStatus
from ...domain.chart import check_leg, is_internal
from ...domain.errors import (
    NOT_EMPTY,
    AccountNotEmpty,
    AccountNotFound,
    AccountNotOpen,
    Refusal,
    StoreError,
    TooManyAccounts,
    WriteConflict,
    refusal,
)
from ...domain.events import hold_resolved
from ...domain.holds import Hold, HoldStatus
from ...domain.identity import email_key
from ...domain.ledger import (
    Closing,
    Earlier,
    Entry,
    IdempotencyKey,
    Leg,
    Posting,
    PostResult,
    Transaction,
    TransactionType,
    recorded,
    replay_posting,
)
from ...domain.money import Money
from ...domain.monitoring.checks import RecentEntry
from ...domain.monitoring.scoring import RECENT_LIMIT
from ...domain.search import HistorySearch
from ..base import Page, PostingInputs
from ..cursors import (
    decode_cursor,
    decode_history_cursor,
    encode_cursor,
    history_page,
)
from .database import MATCHES, SqliteDatabase
from .events import insert_event, insert_posted
from .holds import close, row_to_hold
from .monitoring import CHUNK, read_profile, read_rule_set
from .recent import RecentEntries
from .rows import (
    ACCOUNTS,
    ENTRY_COLS,
    row_to_account,
    row_to_entry,
    row_to_transaction,
    standing,
)


class SqliteLedger:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database
        self._recent = RecentEntries(RECENT_LIMIT)

    def add_account(self, account: Account, *, max_open: int = MAX_ACCOUNTS_PER_CUSTOMER) -> None:
        try:
            # Counted under the write lock (BEGIN IMMEDIATE), so two opened at once are
            # counted one after the other.
            with self.database.write() as db:
                held, still_open = db.execute(
                    "SELECT count(*), count(*) FILTER (WHERE status != 'closed') "
                    "FROM accounts WHERE user_id=?",
                    (account.user_id,),
                ).fetchone()
                if still_open >= max_open:
                    raise TooManyAccounts(max_open)
                if held >= MAX_ACCOUNTS_PER_CUSTOMER:
                    raise TooManyAccounts(MAX_ACCOUNTS_PER_CUSTOMER)
                db.execute(
                    "INSERT INTO accounts (id, number, user_id, type, currency, balance_minor, "
                    "status, opened_at, status_reason, nickname) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        account.id,
                        account.number,
                        account.user_id,
                        account.type.value,
                        account.currency,
                        account.balance.minor,
                        account.status.value,
                        account.opened_at,
                        account.status_reason,
                        account.nickname,
                    ),
                )
        except sqlite3.IntegrityError as e:
            raise WriteConflict("account number already taken") from e

    def rename_account(self, account_id: str, nickname: str) -> None:
        with self.database.write() as db:
            if not db.execute(
                "UPDATE accounts SET nickname=? WHERE id=?", (nickname, account_id)
            ).rowcount:
                raise AccountNotFound("no such account")

    def choose_primary(self, user_id: str, account_id: str) -> None:
        with self.database.write() as db:
            if not db.execute(
                "SELECT 1 FROM accounts WHERE id=? AND user_id=?", (account_id, user_id)
            ).fetchone():
                raise AccountNotFound("no such account")
            db.execute(
                "UPDATE accounts SET is_primary = (id = ?) WHERE user_id=?", (account_id, user_id)
            )

    def close_account(self, account_id: str, reason: str = "") -> None:
        with self.database.write() as db:
            self.close_empty(db, account_id, reason)

    @staticmethod
    def close_empty(db: sqlite3.Connection, account_id: str, reason: str) -> None:
        """Close an open, empty account in the write `db` is in (the bulk load's too)."""
        row = db.execute(
            "SELECT balance_minor, held_minor, status FROM accounts WHERE id=?",
            (account_id,),
        ).fetchone()
        if row is None:
            raise AccountNotFound("no such account")
        if row["status"] != AccountStatus.OPEN.value:
            raise AccountNotOpen(f"this account is {row['status']}")
        if row["balance_minor"] or row["held_minor"]:
            raise AccountNotEmpty(NOT_EMPTY)
        db.execute(
            "UPDATE accounts SET status=?, status_reason=?, is_primary=0 WHERE id=?",
            (AccountStatus.CLOSED.value, reason, account_id),
        )

    def get_account(self, account_id: str) -> Account | None:
        row = self.database.conn.execute(f"{ACCOUNTS} WHERE a.id=?", (account_id,)).fetchone()
        return row_to_account(row) if row else None

    def owners(self, account_ids: Collection[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(account_ids))
        found: dict[str, str] = {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, user_id FROM accounts WHERE id IN ({marks})"
            found.update((r["id"], r["user_id"]) for r in self.database.conn.execute(sql, chunk))
        return found

    def find_account_by_number(self, number: str) -> Account | None:
        row = self.database.conn.execute(f"{ACCOUNTS} WHERE a.number=?", (number,)).fetchone()
        return row_to_account(row) if row else None

    def accounts_of(self, user_id: str) -> list[Account]:
        rows = self.database.conn.execute(
            f"{ACCOUNTS} WHERE a.user_id=? ORDER BY a.opened_at, a.number", (user_id,)
        ).fetchall()
        return [row_to_account(r) for r in rows]

    def set_account_status(self, account_id: str, status: AccountStatus, reason: str = "") -> None:
        with self.database.write() as db:
            if not db.execute(
                "UPDATE accounts SET status=?, status_reason=? WHERE id=?",
                (status.value, reason, account_id),
            ).rowcount:
                raise AccountNotFound("no such account")

    def post(
        self, posting: Posting, *, releasing: Hold | None = None, closing: Closing | None = None
    ) -> PostResult:
        with self.database.write() as db:
            idem = posting.idempotency
            # The key first: it claims the request, or finds the retry's first answer.
            if (
                idem is not None
                and not db.execute(
                    "INSERT INTO idempotency_keys (scope, key, fingerprint, transaction_id, "
                    "created_at) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                    (idem.scope, idem.key, idem.fingerprint, posting.id, posting.created_at),
                ).rowcount
            ):
                earlier = self._idempotent(db, idem.scope, idem.key)
                if earlier is None:  # pragma: no cover - the row was there a statement ago
                    raise StoreError("idempotency record vanished")
                return replay_posting(earlier, idem.fingerprint)
            if releasing is not None:  # first, so that the debit rule no longer counts it
                close(
                    db,
                    releasing,
                    HoldStatus.RELEASED,
                    by=releasing.resolved_by or posting.initiated_by,
                    at=releasing.resolved_at or posting.created_at,
                )
            # The time was read before the write lock: never let it fall behind the last
            # posting's, so that time order is commit order (statements and the feed rely
            # on the balance chain following created_at). The rule itself keeps the latest
            # time on the highest seq, so one step along the primary key finds it.
            ((seq, created_at),) = db.execute(
                "INSERT INTO transactions (id,type,amount_minor,currency,memo,created_at,"
                "initiated_by) SELECT ?,?,?,?,?,max(?, coalesce((SELECT created_at FROM "
                "transactions ORDER BY seq DESC LIMIT 1), '')),? RETURNING seq, created_at",
                (
                    posting.id,
                    posting.type.value,
                    posting.amount.minor,
                    posting.amount.currency,
                    posting.memo,
                    posting.created_at,
                    posting.initiated_by,
                ),
            ).fetchall()  # to the end, so that the statement is done before COMMIT
            if created_at != posting.created_at:
                posting = replace(posting, created_at=created_at)
            balances: dict[str, Money | None] = {}
            rows = []
            for leg in posting.legs:
                after = None if is_internal(leg.account_id) else self._apply(db, leg)
                balances[leg.account_id] = (
                    None if after is None else Money.from_minor(after, leg.amount.currency)
                )
                rows.append(
                    (
                        leg.account_id,
                        seq,
                        posting.id,
                        posting.type.value,
                        leg.amount.minor,
                        leg.amount.currency,
                        after,
                        leg.counterparty,
                        posting.memo,
                        created_at,
                    )
                )
            db.executemany(f"INSERT INTO entries ({ENTRY_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            if closing is not None:  # judged on the balance the legs left, in the same write
                self.close_empty(db, closing.account_id, closing.reason)
            # The posting's events, in its transaction: the hold it releases, and itself.
            if releasing is not None:
                insert_event(db, hold_resolved(releasing))
            insert_posted(db, posting)
        return PostResult(recorded(posting, balances, str(seq)))

    @staticmethod
    def _apply(db: sqlite3.Connection, leg: Leg) -> int:
        """Move the account's balance and judge the leg on the balance it moved from, in one
        statement; a refusal raises, and the transaction rolls the move back."""
        try:
            rows = db.execute(
                "UPDATE accounts SET balance_minor = balance_minor + ? WHERE id=? "
                "RETURNING balance_minor, held_minor, status, number, type",
                (leg.amount.minor, leg.account_id),
            ).fetchall()
        except sqlite3.IntegrityError:
            # The table's own floor (CHECK balance_minor >= 0) stopped the move before the
            # rule could: the rule, judged on the row as it is, gives the refusal.
            row = db.execute(
                "SELECT balance_minor, held_minor, status, number, type FROM accounts WHERE id=?",
                (leg.account_id,),
            ).fetchone()
            check_leg(standing(row, leg.amount.currency), leg.amount)
            raise
        if not rows:
            raise AccountNotFound("no such account")
        row = rows[0]
        after = int(row["balance_minor"])
        check_leg(standing(row, leg.amount.currency, before=after - leg.amount.minor), leg.amount)
        return after

    def _idempotent(self, db: sqlite3.Connection, scope: str, key: str) -> Earlier | None:
        row = db.execute(
            "SELECT fingerprint, transaction_id, refusal, hold_id FROM idempotency_keys "
            "WHERE scope=? AND key=?",
            (scope, key),
        ).fetchone()
        if row is None:
            return None
        if row["hold_id"] is not None:
            held = db.execute("SELECT * FROM holds WHERE id=?", (row["hold_id"],)).fetchone()
            if held is None:
                raise StoreError("idempotency key points at a missing hold")
            return row["fingerprint"], row_to_hold(held)
        if row["refusal"] is not None:
            kept = json.loads(row["refusal"])
            return row["fingerprint"], refusal(kept["kind"], kept["message"], kept["field"])
        txn = self._transaction(db, "t.id=?", (row["transaction_id"],))
        if txn is None:
            raise StoreError("idempotency key points at a missing transaction")
        return row["fingerprint"], txn

    def record_refusal(self, idempotency: IdempotencyKey, error: Refusal, at: str) -> None:
        kept = json.dumps(
            {"kind": type(error).__name__, "message": error.message, "field": error.field}
        )
        with self.database.write() as db:  # the first answer stands: a racer's posting or refusal
            db.execute(
                "INSERT OR IGNORE INTO idempotency_keys (scope, key, fingerprint, "
                "transaction_id, created_at, refusal) VALUES (?,?,?,'',?,?)",
                (idempotency.scope, idempotency.key, idempotency.fingerprint, at, kept),
            )

    def read_for_posting(
        self,
        account_ids: Sequence[str],
        *,
        idempotency: tuple[str, str] | None = None,
        recipient_email: str | None = None,
        recipient_number: str | None = None,
        profile_of: str | None = None,
        with_rules: bool = False,
    ) -> PostingInputs:
        db = self.database.conn
        ids = list(dict.fromkeys(account_ids))
        # The accounts asked for and the recipient's by number, in one statement.
        where = [f"a.id IN ({','.join('?' * len(ids))})"] if ids else []
        if recipient_number is not None:
            where.append("a.number=?")
        rows = (
            db.execute(
                f"{ACCOUNTS} WHERE {' OR '.join(where)}",
                ids if recipient_number is None else [*ids, recipient_number],
            ).fetchall()
            if where
            else []
        )
        earlier = None if idempotency is None else self._idempotent(db, *idempotency)
        found = [row_to_account(r) for r in rows]
        recipients = None
        if recipient_email is not None:
            recipients = [
                row_to_account(r)
                for r in db.execute(
                    f"{ACCOUNTS} WHERE u.email_key=? ORDER BY a.opened_at, a.number",
                    (email_key(recipient_email),),
                )
            ]
        elif recipient_number is not None:
            recipients = [acc for acc in found if acc.number == recipient_number]
        wanted = set(ids)
        return PostingInputs(
            {acc.id: acc for acc in found if acc.id in wanted},
            earlier,
            recipients,
            None if profile_of is None else read_profile(db, profile_of),
            read_rule_set(db) if with_rules else None,
        )

    def get_transaction(self, transaction_id: str) -> Transaction | None:
        return self._transaction(self.database.conn, "t.id=?", (transaction_id,))

    def _transactions(
        self,
        db: sqlite3.Connection,
        where: str,
        args: tuple,  # type: ignore[type-arg]
        tail: str = "",
    ) -> list[Transaction]:
        heads = db.execute(
            f"SELECT * FROM transactions t WHERE {where} ORDER BY t.seq {tail}", args
        ).fetchall()
        if not heads:
            return []
        seqs = [h["seq"] for h in heads]
        marks = ",".join("?" * len(seqs))
        by_seq: dict[int, list[Entry]] = {s: [] for s in seqs}
        query = f"SELECT * FROM entries WHERE seq IN ({marks}) ORDER BY seq, amount_minor"
        for r in db.execute(query, seqs):
            by_seq[r["seq"]].append(row_to_entry(r))

        return [row_to_transaction(h, by_seq[h["seq"]]) for h in heads]

    def _transaction(
        self,
        db: sqlite3.Connection,
        where: str,
        args: tuple,  # type: ignore[type-arg]
    ) -> Transaction | None:
        found = self._transactions(db, where, args)
        return found[0] if found else None

    def recent(self, account_id: str, *, since: str, limit: int) -> list[RecentEntry]:
        return self._recent.read(self.database.conn, account_id, since, limit)

    def history(
        self,
        account_id: str,
        *,
        limit: int,
        cursor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        type: TransactionType | None = None,
        search: HistorySearch | None = None,
    ) -> Page[Entry]:
        where = ["account_id=?"]
        args: list[object] = [account_id]
        position, newer = None, False
        if cursor is not None:
            position, newer = decode_history_cursor(cursor)
            # Beyond 64 bits SQLite cannot bind the number (OverflowError): foreign too.
            if not isinstance(position, int) or not 0 <= position < 2**63:
                decode_cursor("!")  # raises the same 422 as any other foreign cursor
            where.append("seq>?" if newer else "seq<?")
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
        if search:
            where.append(f"{MATCHES}(counterparty, memo, amount_minor, ?, ?, ?)")
            args += [search.text, search.min_minor, search.max_minor]
        rows = self.database.conn.execute(
            f"SELECT * FROM entries WHERE {' AND '.join(where)} "
            f"ORDER BY seq {'ASC' if newer else 'DESC'} LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        if newer:
            rows.reverse()
        return history_page(
            [row_to_entry(r) for r in rows],
            [r["seq"] for r in rows],
            position=position,
            newer=newer,
            more=more,
        )

    def entries_between(self, account_id: str, start: str, end: str) -> list[Entry]:
        rows = self.database.conn.execute(
            "SELECT * FROM entries WHERE account_id=? AND created_at>=? AND created_at<? "
            "ORDER BY seq",
            (account_id, start, end),
        ).fetchall()
        return [row_to_entry(r) for r in rows]

    def balance_before(self, account_id: str, moment: str) -> Entry | None:
        row = self.database.conn.execute(
            "SELECT * FROM entries WHERE account_id=? AND created_at<? "
            "ORDER BY created_at DESC, seq DESC LIMIT 1",
            (account_id, moment),
        ).fetchone()
        return row_to_entry(row) if row else None

    def feed(self, *, after: str | None, limit: int) -> Page[Transaction]:
        position = 0 if after is None else decode_cursor(after)
        if not isinstance(position, int) or not 0 <= position < 2**63:
            decode_cursor("!")
        txns = self._transactions(self.database.conn, "t.seq>?", (position,), f"LIMIT {int(limit)}")
        last = int(txns[-1].position) if txns else position
        return Page(txns, encode_cursor(last))

    def all_accounts(self) -> Iterator[Account]:
        for row in self.database.conn.execute(f"{ACCOUNTS} ORDER BY a.opened_at"):
            yield row_to_account(row)

    def all_transactions(self) -> Iterator[Transaction]:
        after = None
        while True:
            page = self.feed(after=after, limit=500)
            yield from page.items
            if not page.items:
                return
            after = page.next_cursor
