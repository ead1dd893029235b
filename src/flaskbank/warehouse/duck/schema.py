"""The warehouse's tables (docs/analytics.md describes the model).

Money is BIGINT minor units per row and HUGEINT in sums: never DOUBLE. Times are TIMESTAMP
in UTC; `day` is the date in the bank's reporting time zone (feed.timezone), fixed when
the warehouse is built: another zone needs a rebuild.
"""

from __future__ import annotations

#: 2: account_months (built from the entries when a version 1 warehouse is next written).
VERSION = 2

TABLES = f"""
CREATE TABLE IF NOT EXISTS feed (
    id INTEGER PRIMARY KEY,
    schema_version INTEGER NOT NULL DEFAULT {VERSION},
    timezone VARCHAR,  -- the reporting time zone the days are counted in
    position VARCHAR,
    last_event_at VARCHAR NOT NULL DEFAULT '',
    events BIGINT NOT NULL DEFAULT 0
);
INSERT INTO feed (id) VALUES (1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS customers (
    user_id VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    signed_up_at TIMESTAMP NOT NULL,
    segment VARCHAR
);
CREATE TABLE IF NOT EXISTS accounts (
    account_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'open'
);
CREATE TABLE IF NOT EXISTS entries (
    transaction_id VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    customer_id VARCHAR,
    type VARCHAR NOT NULL,
    amount BIGINT NOT NULL,
    currency VARCHAR NOT NULL,
    posted_at TIMESTAMP NOT NULL,
    day DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS daily_totals (
    day DATE NOT NULL,
    currency VARCHAR NOT NULL,
    deposits HUGEINT NOT NULL,
    withdrawals HUGEINT NOT NULL,
    net HUGEINT NOT NULL,
    entries BIGINT NOT NULL,
    PRIMARY KEY (day, currency)
);
-- One account's movements in one local month: what the balances and top customers reports
-- read for whole months instead of every entry. Kept in the same transaction as the entries.
CREATE TABLE IF NOT EXISTS account_months (
    account_id VARCHAR NOT NULL,
    month DATE NOT NULL,  -- the month's first day, in the reporting time zone
    currency VARCHAR NOT NULL,
    flow HUGEINT NOT NULL,  -- credits - debits
    credits HUGEINT NOT NULL,  -- both positive
    debits HUGEINT NOT NULL,
    entries BIGINT NOT NULL,
    PRIMARY KEY (account_id, month)
);
CREATE TABLE IF NOT EXISTS status_changes (
    account_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS hold_events (
    hold_id VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    what VARCHAR NOT NULL,
    amount BIGINT NOT NULL,
    currency VARCHAR NOT NULL,
    happened_at TIMESTAMP NOT NULL
);
-- Closing balance of each account on each day it moved: computed, not stored, so that
-- applying a late batch never rewrites later snapshots.
CREATE OR REPLACE VIEW account_days AS
SELECT account_id, customer_id, currency, day, sum(amount) AS flow,
       sum(sum(amount)) OVER (PARTITION BY account_id ORDER BY day) AS closing
FROM entries GROUP BY account_id, customer_id, currency, day;
CREATE OR REPLACE VIEW dates AS
SELECT d::DATE AS day, year(d) AS year, quarter(d) AS quarter, month(d) AS month,
       isoyear(d) AS iso_year, week(d) AS iso_week, isodow(d) AS weekday
FROM generate_series(
    (SELECT coalesce(min(day), current_date) FROM daily_totals),
    (SELECT coalesce(max(day), current_date) FROM daily_totals),
    INTERVAL 1 DAY
) AS t(d);
"""

#: account_months from entries, grouped as the writer adds each batch's.
ACCOUNT_MONTHS = """
SELECT account_id, date_trunc('month', day)::DATE, any_value(currency), sum(amount),
       coalesce(sum(amount) FILTER (amount > 0), 0),
       coalesce(-sum(amount) FILTER (amount < 0), 0), count(*)
FROM {source} GROUP BY account_id, date_trunc('month', day)::DATE
"""
