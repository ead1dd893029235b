"""The balances and top customers reports asked straight of an SQLite bank (the baselines
bench_warehouse.py times them against): every customer entry grouped per account and day in
SQL, each account's closing balance at each period's end by a running sum in Python, the
segments and status changes read from the event outbox. Days in UTC, as the bench's
warehouse counts them. Each returns the report's tables' rows, which the bench compares."""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections import defaultdict
from datetime import date
from itertools import accumulate
from pathlib import Path

from flaskbank.domain.money import minor_exponent
from flaskbank.services.analytics import balances, top_customers
from flaskbank.services.analytics.catalog import Cell, Query, money
from flaskbank.services.analytics.periods import spans
from flaskbank.warehouse.base import CustomerBalance, CustomerFlow

Rows = dict[str, list[dict[str, Cell]]]


class _Bank:
    def __init__(self, db: Path, until: date) -> None:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            self.accounts = con.execute(
                "SELECT id, user_id, type, currency, substr(opened_at, 1, 10) FROM accounts"
            ).fetchall()
            self.segments = dict(
                con.execute(
                    "SELECT subject, json_extract(payload, '$.segment') FROM events"
                    " WHERE kind = 'user_registered'"
                ).fetchall()
            )
            self.statuses = con.execute(
                "SELECT subject, json_extract(payload, '$.status'), substr(at, 1, 10)"
                " FROM events WHERE kind = 'account_status_changed' ORDER BY position"
            ).fetchall()
            days: dict[str, list[tuple[str, int]]] = defaultdict(list)
            for account, day, flow in con.execute(
                "SELECT account_id, substr(created_at, 1, 10), sum(amount_minor) FROM entries"
                " WHERE account_id NOT LIKE 'bank-%' AND created_at < ?"
                " GROUP BY 1, 2 ORDER BY 1, 2",
                [f"{until.isoformat()}T99"],
            ):
                days[account].append((day, flow))
            self.con = con
        except BaseException:
            con.close()
            raise
        self.days = {a: [d for d, _ in rows] for a, rows in days.items()}
        self.running = {a: list(accumulate(f for _, f in rows)) for a, rows in days.items()}

    def closing(self, day: date) -> dict[str, int]:
        """The accounts that exist at the end of `day` and their closing balances."""
        text = day.isoformat()
        status = {a: s for a, s, at in self.statuses if at <= text}
        found = {}
        for account, _, _, _, opened in self.accounts:
            if opened <= text and status.get(account) != "closed":
                i = bisect_right(self.days.get(account, []), text)
                found[account] = self.running[account][i - 1] if i else 0
        return found

    def segment(self, user: str) -> str:
        return self.segments.get(user) or "unknown"


def balances_from_sqlite(db: Path, asked: Query) -> Rows:
    covered = spans(asked.first, asked.last, asked.period)
    bank = _Bank(db, max(covered[-1][1], asked.last))
    try:
        info = {a: (u, t, c) for a, u, t, c, _ in bank.accounts}
        rows = []
        for start, end in covered:
            groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
            for account, balance in bank.closing(end).items():
                user, kind, currency = info[account]
                groups[(kind, bank.segment(user), currency)].append(balance)
            for (kind, segment, currency), values in sorted(groups.items()):
                values.sort()
                n = len(values)
                rows.append(
                    {
                        "period_start": start.isoformat(),
                        "period_end": end.isoformat(),
                        "account_type": kind,
                        "segment": segment,
                        "currency": currency,
                        "accounts": str(n),
                        "total": money(sum(values), currency),
                        "average": money(balances.divide(sum(values), n), currency),
                        "median": money(
                            balances.divide(values[(n - 1) // 2] + values[n // 2], 2), currency
                        ),
                        "min": money(values[0], currency),
                        "max": money(values[-1], currency),
                    }
                )
        bands: dict[tuple[str, str], list[int]] = defaultdict(list)
        for account, balance in bank.closing(asked.last).items():
            _, kind, currency = info[account]
            bands[(kind, currency)].append(balance)
        distribution = []
        for (kind, currency), values in sorted(bands.items()):
            exponent = minor_exponent(currency)
            edges = [0, *(10 ** (k + 2 + exponent) for k in range(4))]  # 100, 1,000, ...
            for i, band in enumerate((*balances.BANDS, balances.TOP_BAND)):
                mine = [v for v in values if bisect_right(edges, v) == i]
                distribution.append(
                    {
                        "day": asked.last.isoformat(),
                        "account_type": kind,
                        "currency": currency,
                        "band": band,
                        "accounts": str(len(mine)),
                        "total": money(sum(mine), currency),
                    }
                )
        return {"balances": rows, "distribution": distribution}
    finally:
        bank.con.close()


def top_customers_from_sqlite(db: Path, asked: Query) -> Rows:
    bank = _Bank(db, asked.last)
    try:
        info = {a: (u, c) for a, u, _, c, _ in bank.accounts}
        owned: dict[tuple[str, str], list[int]] = defaultdict(list)
        for account, balance in bank.closing(asked.last).items():
            owned[info[account]].append(balance)
        by_balance = sorted(owned.items(), key=lambda kv: (kv[0][1], -sum(kv[1]), kv[0][0]))
        flows = bank.con.execute(
            "SELECT a.user_id, e.currency,"
            " sum(CASE WHEN e.amount_minor > 0 THEN e.amount_minor ELSE 0 END),"
            " -sum(CASE WHEN e.amount_minor < 0 THEN e.amount_minor ELSE 0 END)"
            " FROM entries e JOIN accounts a ON a.id = e.account_id"
            " WHERE e.created_at >= ? AND e.created_at < ? GROUP BY 1, 2",
            [asked.first.isoformat(), f"{asked.last.isoformat()}T99"],
        ).fetchall()
        by_flow = sorted(flows, key=lambda f: (f[1], -(f[2] + f[3]), f[0]))
        top = top_customers.TOP
        ranked_balances = [
            CustomerBalance(user, bank.segment(user), currency, len(values), sum(values))
            for currency in sorted({c for _, c in owned})
            for (user, _), values in [kv for kv in by_balance if kv[0][1] == currency][:top]
        ]
        ranked_flows = [
            CustomerFlow(user, bank.segment(user), currency, money_in, money_out)
            for wanted in sorted({f[1] for f in flows})
            for user, currency, money_in, money_out in [f for f in by_flow if f[1] == wanted][:top]
        ]
        return {
            "by_balance": top_customers.balance_rows(ranked_balances),
            "by_flow": top_customers.flow_rows(ranked_flows),
        }
    finally:
        bank.con.close()
