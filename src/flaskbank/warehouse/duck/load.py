"""Events as warehouse rows, in DuckDB: one batch of the feed as stored (each payload its
JSON text), parsed and spread over the tables by a handful of statements.

Why in SQL and not in Python: parsing a payload and building its rows in Python costs
about 30 microseconds an event, which held a sync to 20,000 transactions a second; DuckDB
parses the whole batch's JSON in C++ (docs/analytics.md, "Sync speed").

Only what analysis needs is kept: the customer legs of each posted transaction (the bank's
internal side of a deposit or a withdrawal is not a customer's money), who signed up and
when, which accounts were opened, status changes and what happened to holds. Every other
kind of event moves the checkpoint and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from ...domain.chart import INTERNAL_ACCOUNTS
from ...domain.events import EventKind, StoredEvent
from ...domain.money import MINOR_UNITS
from ..base import SPELL_GAP_DAYS
from .acquisition import load_months as months_of_life
from .closings import forget_from
from .schema import ACCOUNT_MONTHS
from .zones import local_time

_HOLDS = {
    EventKind.HOLD_PLACED.value: "placed",
    EventKind.HOLD_RELEASED.value: "released",
    EventKind.HOLD_VOIDED.value: "voided",
    EventKind.HOLD_EXPIRED.value: "expired",
}

#: text -> minor units, exactly: the feed writes amounts with exactly their currency's
#: digits (str(Money)), so dropping the point is the conversion. Anything else, or a
#: currency the bank does not know (no `digits`), stops the batch rather than count a wrong
#: amount. `amount_text`, `currency` and `digits` are the columns of the row it reads.
_MINOR = (
    "CASE WHEN regexp_full_match(amount_text, '-?[0-9]+([.][0-9]+)?')"
    " AND length(split_part(amount_text, '.', 2)) = digits"
    " THEN replace(amount_text, '.', '')::BIGINT"
    " ELSE error('not an amount of ' || coalesce(currency, '?') || ': '"
    " || coalesce(amount_text, 'null')) END"
)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The lookups the statements below join: currencies' digits, the bank's own accounts,
    what each kind of hold event did."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE exponents AS SELECT unnest($1) AS currency,"
        " unnest($2) AS digits",
        [list(MINOR_UNITS), list(MINOR_UNITS.values())],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE internal AS SELECT unnest($1) AS account_id",
        [sorted(INTERNAL_ACCOUNTS)],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE hold_kinds AS SELECT unnest($1) AS kind, unnest($2) AS what",
        [list(_HOLDS), list(_HOLDS.values())],
    )


#: Posted transactions are nearly every event that counts: their payloads are parsed once
#: each, straight into this shape (json_transform), rather than once per field.
_POSTED_SHAPE = (
    '{"transaction_id": "VARCHAR", "type": "VARCHAR", "currency": "VARCHAR",'
    ' "legs": [{"account_id": "VARCHAR", "amount": "VARCHAR"}]}'
)
_POSTED = EventKind.TRANSACTION_POSTED.value
_OTHERS = frozenset(
    {
        EventKind.USER_REGISTERED.value,
        EventKind.ACCOUNT_OPENED.value,
        EventKind.ACCOUNT_STATUS_CHANGED.value,
        *_HOLDS,
    }
)


def load(con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent], timezone: str) -> None:
    """Spread one batch over the tables, inside the transaction the caller holds. Customers
    and accounts first: the batch's entries look up their owner in accounts. Events of other
    kinds (logins, rule changes, ...) are passed over here, in Python, for nothing."""
    others = [e for e in events if e.kind in _OTHERS]
    if others:
        kinds, subjects, ats, payloads, _ = (list(c) for c in zip(*others, strict=True))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch AS SELECT unnest($1) AS kind,"
            " unnest($2) AS subject, unnest($3)::TIMESTAMP AS happened,"
            " unnest($4)::JSON AS p, unnest(range(len($1))) AS seq",
            [kinds, subjects, ats, payloads],
        )
        _people_and_accounts(con)
        _statuses(con)
        _holds(con)
        forget_from(con, _first_day_changed(con, timezone))
        con.execute("DROP TABLE batch")
    posted = [e for e in events if e.kind == _POSTED]
    if posted:
        _entries(con, [e.at for e in posted], [e.payload for e in posted], timezone)


def _first_day_changed(con: duckdb.DuckDBPyConnection, timezone: str) -> date | None:
    """The first local day on which the batch opened an account or changed one's status:
    the kept closing balances from then on no longer hold."""
    row = con.execute(
        f"SELECT min(({local_time(timezone, 'happened')})::DATE) FROM batch WHERE kind IN (?, ?)",
        [EventKind.ACCOUNT_OPENED.value, EventKind.ACCOUNT_STATUS_CHANGED.value],
    ).fetchone()
    return row[0] if row is not None else None


def _people_and_accounts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO customers SELECT subject, coalesce(p->>'role', ''), happened,"
        " nullif(p->>'segment', '') FROM batch WHERE kind = ? ORDER BY seq",
        [EventKind.USER_REGISTERED.value],
    )
    con.execute(
        "INSERT INTO accounts SELECT subject, coalesce(p->>'user_id', ''),"
        " coalesce(p->>'type', ''), coalesce(p->>'currency', ''), happened, 'open'"
        " FROM batch WHERE kind = ? ORDER BY seq",
        [EventKind.ACCOUNT_OPENED.value],
    )


def _holds(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"INSERT INTO hold_events SELECT hold_id, subject, what, {_MINOR}, currency, happened FROM"
        " (SELECT p->>'hold_id' AS hold_id, subject, k.what, p->>'amount' AS amount_text,"
        " p->>'currency' AS currency, happened, seq FROM batch JOIN hold_kinds k USING (kind))"
        " LEFT JOIN exponents USING (currency) ORDER BY seq"
    )


def _statuses(con: duckdb.DuckDBPyConnection) -> None:
    kind = EventKind.ACCOUNT_STATUS_CHANGED.value
    con.execute(
        "INSERT INTO status_changes SELECT subject, coalesce(p->>'status', ''), happened"
        " FROM batch WHERE kind = ? ORDER BY seq",
        [kind],
    )
    # The latest change in the batch wins (the feed is in order: arg_max by position).
    con.execute(
        "UPDATE accounts SET status = s.status FROM (SELECT subject AS account_id,"
        " arg_max(coalesce(p->>'status', ''), seq) AS status FROM batch WHERE kind = ?"
        " GROUP BY subject) AS s WHERE accounts.account_id = s.account_id",
        [kind],
    )


def _entries(
    con: duckdb.DuckDBPyConnection, ats: list[str], payloads: list[str], timezone: str
) -> None:
    # In two steps: DuckDB parses the payloads several times faster from a table than
    # straight from the unnested parameter lists.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE posted AS SELECT unnest($1)::TIMESTAMP AS posted_at,"
        " unnest($2) AS p, unnest(range(len($1))) AS seq",
        [ats, payloads],
    )
    local = local_time(timezone, "l.posted_at")
    # Parsed, unnested into legs, amounts made minor units and each leg given its account's
    # owner and type and the owner's segment ('unknown': the account was not known when
    # loaded, or the registration did not say), in one statement: every table below reads
    # these rows.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE owned AS SELECT l.transaction_id, l.account_id, l.type,"
        f" {_MINOR} AS amount, l.currency, l.posted_at, l.seq,"
        f" {local}::DATE AS day, hour({local})::TINYINT AS hour,"
        " a.user_id AS customer_id, coalesce(a.type, 'unknown') AS account_type,"
        " coalesce(c.segment, 'unknown') AS segment"
        " FROM (SELECT t.transaction_id, coalesce(t.type, '') AS type, t.currency, posted_at,"
        " seq, unnest(t.legs, recursive := true) FROM (SELECT posted_at, seq,"
        f" json_transform(p, '{_POSTED_SHAPE}') AS t FROM posted))"
        " AS l(transaction_id, type, currency, posted_at, seq, account_id, amount_text)"
        " LEFT JOIN exponents USING (currency)"
        " LEFT JOIN accounts a ON a.account_id = l.account_id"
        " LEFT JOIN customers c ON c.user_id = a.user_id"
        " WHERE l.account_id NOT IN (SELECT account_id FROM internal)",
    )
    con.execute("DROP TABLE posted")
    con.execute(
        "INSERT INTO entries SELECT transaction_id, account_id, customer_id, type, amount,"
        " currency, posted_at, day FROM owned ORDER BY seq"
    )
    con.execute(
        "INSERT INTO daily_totals SELECT day, currency,"
        " coalesce(sum(amount) FILTER (type = 'deposit'), 0),"
        " coalesce(-sum(amount) FILTER (type = 'withdrawal'), 0),"
        " sum(amount), count(*) FROM owned GROUP BY day, currency"
        " ON CONFLICT (day, currency) DO UPDATE SET"
        " deposits = deposits + excluded.deposits,"
        " withdrawals = withdrawals + excluded.withdrawals,"
        " net = net + excluded.net, entries = entries + excluded.entries"
    )
    months_of_life(con, timezone)
    _summarise(con)
    con.execute(
        "INSERT INTO account_months "
        + ACCOUNT_MONTHS.format(source="owned")
        + " ON CONFLICT (account_id, month) DO UPDATE SET flow = flow + excluded.flow,"
        " credits = credits + excluded.credits, debits = debits + excluded.debits,"
        " entries = entries + excluded.entries"
    )
    # A transaction counts once: on the leg its money leaves a customer by for a
    # withdrawal, on the leg it reaches a customer by otherwise (a transfer's two legs).
    con.execute(
        "INSERT INTO hourly_volume SELECT day, hour, type, currency, count(*), sum(abs(amount))"
        " FROM owned WHERE (type = 'withdrawal') = (amount < 0)"
        " GROUP BY day, hour, type, currency"
        " ON CONFLICT (day, hour, type, currency) DO UPDATE SET"
        " transactions = transactions + excluded.transactions,"
        " amount = amount + excluded.amount"
    )
    _merge_spells(con)
    row = con.execute("SELECT min(day) FROM owned").fetchone()
    forget_from(con, row[0] if row is not None else None)
    con.execute("DROP TABLE owned")


def _merge_spells(con: duckdb.DuckDBPyConnection) -> None:
    """The batch's customer days merged into their spells: the customers' spells and the new
    days, in day order, start a new spell where a day comes SPELL_GAP_DAYS or more after
    everything before it. Order-free: the result depends on the set of days alone. Most days
    fall inside a spell already (the customer moved money earlier that day): only customers
    with a day outside their spells are rewritten."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE merged AS"
        " WITH days AS (SELECT DISTINCT customer_id, day FROM owned"
        " WHERE customer_id IS NOT NULL),"
        " fresh AS (SELECT d.* FROM days d ANTI JOIN activity_spells s"
        " ON s.customer_id = d.customer_id AND d.day BETWEEN s.first_day AND s.last_day),"
        " pieces AS (SELECT customer_id, first_day, last_day FROM activity_spells"
        " WHERE customer_id IN (SELECT customer_id FROM fresh)"
        " UNION ALL SELECT customer_id, day, day FROM fresh),"
        " reached AS (SELECT *, max(last_day) OVER (PARTITION BY customer_id"
        " ORDER BY first_day, last_day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        " AS reach FROM pieces),"
        " numbered AS (SELECT *, sum(CASE WHEN reach IS NULL OR first_day - reach >= $1"
        " THEN 1 ELSE 0 END) OVER (PARTITION BY customer_id ORDER BY first_day, last_day"
        " ROWS UNBOUNDED PRECEDING) AS spell FROM reached)"
        " SELECT customer_id, min(first_day) AS first_day, max(last_day) AS last_day"
        " FROM numbered GROUP BY customer_id, spell",
        [SPELL_GAP_DAYS],
    )
    con.execute("DELETE FROM activity_spells WHERE customer_id IN (SELECT customer_id FROM merged)")
    con.execute("INSERT INTO activity_spells SELECT * FROM merged")
    con.execute("DROP TABLE merged")


def _summarise(con: duckdb.DuckDBPyConnection) -> None:
    """Add the batch's legs (`owned`) into daily_groups and their transfers into daily_pairs.
    Both sides of a transfer come in one event, so in one batch."""
    con.execute(
        "INSERT INTO daily_groups SELECT day, currency, account_type, segment, type,"
        " sum(amount), count(*) FROM owned GROUP BY ALL"
        " ON CONFLICT (day, currency, account_type, segment, type) DO UPDATE SET"
        " amount = amount + excluded.amount, entries = entries + excluded.entries"
    )
    con.execute(
        "INSERT INTO daily_pairs SELECT d.day, d.currency, d.account_type, d.segment,"
        " c.account_type, c.segment, count(*) FROM owned d JOIN owned c"
        " ON c.transaction_id = d.transaction_id AND c.amount > 0"
        " WHERE d.type = 'transfer' AND d.amount < 0 GROUP BY ALL"
        " ON CONFLICT (day, currency, account_type, segment, to_account_type, to_segment)"
        " DO UPDATE SET transfers = transfers + excluded.transfers"
    )
