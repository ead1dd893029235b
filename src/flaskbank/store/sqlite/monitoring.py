"""The monitoring port on SQLite: profiles, the live rule set (one row) and its history,
alerts and backtests, each saved conditionally on the version it was read at. Every write
goes through database.write(), so inside a unit of work it joins it (an alert commits with
its posting, a profile with the posting that moved it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence

from ...domain.errors import StaleRecord, WriteConflict
from ...domain.monitoring.model import (
    Alert,
    AlertStatus,
    Backtest,
    RuleChange,
    StoredProfile,
    StoredRuleSet,
)
from ..alert_json import (
    ALERT_CHANGES,
    BACKTEST_CHANGES,
    alert_cursor,
    alert_fields,
    alert_from_fields,
    backtest_fields,
    backtest_from_fields,
    cursor_position,
    rules_of,
)
from ..base import Page
from ..cursors import decode_cursor, encode_cursor
from .database import SqliteDatabase

#: Ids per IN (...) query: well under SQLite's limit on bound parameters.
CHUNK = 500


def read_profile(db: sqlite3.Connection, user_id: str) -> StoredProfile | None:
    row = db.execute(
        "SELECT data, version FROM monitoring_profiles WHERE user_id=?", (user_id,)
    ).fetchone()
    return None if row is None else StoredProfile(user_id, row["data"], row["version"])


def read_rule_set(db: sqlite3.Connection) -> StoredRuleSet | None:
    row = db.execute("SELECT data, version FROM monitoring_rule_set WHERE id=1").fetchone()
    return None if row is None else StoredRuleSet(row["data"], row["version"])


def _saved(db: sqlite3.Connection, table: str, key: str, value: object, data: str, at: int) -> bool:
    """Write (key, data) at version at + 1: insert it when `at` is 0 (new), else update it
    where it is still at `at`; whether it was written."""
    if at == 0:
        sql = f"INSERT OR IGNORE INTO {table} ({key}, data, version) VALUES (?, ?, 1)"
        return bool(db.execute(sql, (value, data)).rowcount)
    sql = f"UPDATE {table} SET data=?, version=? WHERE {key}=? AND version=?"
    return bool(db.execute(sql, (data, at + 1, value, at)).rowcount)


class SqliteMonitoring:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def profile(self, user_id: str) -> StoredProfile | None:
        return read_profile(self.database.conn, user_id)

    def save_profile(self, profile: StoredProfile) -> StoredProfile:
        user, data, at = profile.user_id, profile.data, profile.version
        with self.database.write() as db:
            if not _saved(db, "monitoring_profiles", "user_id", user, data, at):
                raise StaleRecord("the customer's monitoring profile changed meanwhile")
        return StoredProfile(user, data, at + 1)

    def profiles(self, user_ids: Collection[str]) -> dict[str, StoredProfile]:
        ids = list(dict.fromkeys(user_ids))
        found: dict[str, StoredProfile] = {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = (
                f"SELECT user_id, data, version FROM monitoring_profiles WHERE user_id IN ({marks})"
            )
            for r in self.database.conn.execute(sql, chunk):
                found[r["user_id"]] = StoredProfile(r["user_id"], r["data"], r["version"])
        return found

    def save_profiles(self, profiles: Sequence[StoredProfile]) -> set[str]:
        # One transaction for the batch (one fsync, not one a profile); a stale profile is
        # left out of it, not a reason to roll the others back.
        self._outside_unit()
        stale: set[str] = set()
        with self.database.write() as db:
            for p in profiles:
                if not _saved(db, "monitoring_profiles", "user_id", p.user_id, p.data, p.version):
                    stale.add(p.user_id)
        return stale

    def _outside_unit(self) -> None:
        if getattr(self.database.local, "unit", None) is not None:
            raise RuntimeError("a batch of profiles or alerts is not part of a unit of work")

    def rule_set(self) -> StoredRuleSet | None:
        return read_rule_set(self.database.conn)

    def save_rule_set(self, rules: StoredRuleSet, changes: Sequence[RuleChange]) -> StoredRuleSet:
        new = rules.version + 1
        with self.database.write() as db:
            if not _saved(db, "monitoring_rule_set", "id", 1, rules.data, rules.version):
                raise StaleRecord("the rules changed meanwhile")
            try:
                db.executemany(
                    "INSERT INTO rule_changes VALUES (?,?,?,?,?)",
                    [(c.rule_id, c.version, c.at, c.by, c.data) for c in changes],
                )
            except sqlite3.IntegrityError as e:  # that version of the rule is kept already
                raise StaleRecord("the rules changed meanwhile") from e
        return StoredRuleSet(rules.data, new)

    def rule_history(self, rule_id: str) -> list[RuleChange]:
        rows = self.database.conn.execute(
            "SELECT * FROM rule_changes WHERE rule_id=? ORDER BY version DESC", (rule_id,)
        ).fetchall()
        return [RuleChange(r["rule_id"], r["version"], r["at"], r["by"], r["data"]) for r in rows]

    def add_alert(self, alert: Alert) -> None:
        fields = alert_fields(alert)
        with self.database.write() as db:
            _insert(db, "alerts", fields)
            db.executemany(
                "INSERT INTO alert_rules VALUES (?,?,?)",
                [(rule, alert.created_at, alert.id) for rule in rules_of(alert)],
            )

    def add_alerts(self, alerts: Sequence[Alert]) -> set[str]:
        self._outside_unit()
        added: set[str] = set()
        with self.database.write() as db:
            for alert in alerts:
                if db.execute("SELECT 1 FROM alerts WHERE id=?", (alert.id,)).fetchone():
                    continue
                _insert(db, "alerts", alert_fields(alert))
                db.executemany(
                    "INSERT INTO alert_rules VALUES (?,?,?)",
                    [(rule, alert.created_at, alert.id) for rule in rules_of(alert)],
                )
                added.add(alert.id)
        return added

    def get_alert(self, alert_id: str) -> Alert | None:
        row = self.database.conn.execute("SELECT * FROM alerts WHERE id=?", (alert_id,)).fetchone()
        return None if row is None else alert_from_fields(dict(row))

    def save_alert(self, alert: Alert) -> Alert:
        fields = {k: v for k, v in alert_fields(alert).items() if k in ALERT_CHANGES}
        with self.database.write() as db:
            sets = ",".join(f"{k}=?" for k in fields)
            done = db.execute(
                f"UPDATE alerts SET {sets} WHERE id=? AND version=?",
                (*fields.values(), alert.id, alert.version - 1),
            ).rowcount
            if not done:
                raise StaleRecord("the alert changed meanwhile")
        return alert

    def alerts(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        status: AlertStatus | None = None,
        rule: str | None = None,
        since: str | None = None,
        until: str | None = None,
        customer_id: str | None = None,
    ) -> Page[Alert]:
        where: list[str] = ["1=1"]
        args: list[object] = []
        after = None if cursor is None else _position(cursor)
        for clause, value in (
            ("status=?", status and status.value),
            ("customer_id=?", customer_id),
            ("created_at>=?", since),
            ("created_at<?", until),
            ("id IN (SELECT alert_id FROM alert_rules WHERE rule_id=?)", rule),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        if after is not None:
            where.append("(created_at, id) < (?, ?)")
            args.extend(after)
        rows = self.database.conn.execute(
            f"SELECT * FROM alerts WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        found = [alert_from_fields(dict(r)) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(found, encode_cursor(alert_cursor(found[-1])) if more else None)

    def copies_out_of_step(self) -> Iterator[str]:
        """Alerts whose rows in alert_rules are not the rules their verdict says fired."""
        db = self.database.conn
        kept: dict[str, list[str]] = {}
        for r in db.execute("SELECT alert_id, rule_id FROM alert_rules"):
            kept.setdefault(r["alert_id"], []).append(r["rule_id"])
        for row in db.execute("SELECT * FROM alerts"):
            alert = alert_from_fields(dict(row))
            listed = sorted(kept.get(alert.id, []))
            if listed != sorted(rules_of(alert)):
                yield f"alert {alert.id} lists rules {listed}; its verdict {rules_of(alert)}"

    def add_backtest(self, backtest: Backtest) -> None:
        fields = backtest_fields(backtest)
        with self.database.write() as db:
            _insert(db, "backtests", fields)

    def get_backtest(self, backtest_id: str) -> Backtest | None:
        row = self.database.conn.execute(
            "SELECT * FROM backtests WHERE id=?", (backtest_id,)
        ).fetchone()
        return None if row is None else backtest_from_fields(dict(row))

    def save_backtest(self, backtest: Backtest) -> Backtest:
        fields = {k: v for k, v in backtest_fields(backtest).items() if k in BACKTEST_CHANGES}
        with self.database.write() as db:
            sets = ",".join(f"{k}=?" for k in fields)
            done = db.execute(
                f"UPDATE backtests SET {sets} WHERE id=? AND version=?",
                (*fields.values(), backtest.id, backtest.version - 1),
            ).rowcount
            if not done:
                raise StaleRecord("the backtest changed meanwhile")
        return backtest


def _insert(db: sqlite3.Connection, table: str, fields: Mapping[str, str | int | None]) -> None:
    """Insert a new alert or backtest; WriteConflict if one with its id exists already."""
    if db.execute(f"SELECT 1 FROM {table} WHERE id=?", (fields["id"],)).fetchone():
        raise WriteConflict(f"{table[:-1]} {fields['id']} exists already")
    marks = ",".join("?" * len(fields))
    db.execute(f"INSERT INTO {table} ({','.join(fields)}) VALUES ({marks})", tuple(fields.values()))


def _position(cursor: str) -> tuple[str, str]:
    position = cursor_position(decode_cursor(cursor))
    if position is None:
        decode_cursor("!")  # the same 422 as any other foreign cursor
        raise AssertionError  # unreachable: decode_cursor raised
    return position
