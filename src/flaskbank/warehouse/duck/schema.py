"""The warehouse's tables (docs/analytics.md describes the model).

Money is BIGINT minor units per row and HUGEINT in sums: never DOUBLE. Times are TIMESTAMP
in UTC; `day` is the date in the bank's reporting time zone (feed.timezone), fixed when
the warehouse is built: another zone needs a rebuild.
"""

from __future__ import annotations

#: Bumped when a table is added or changes shape: a warehouse built by an older version must
#: be rebuilt (its new aggregates would be missing what it counted before).
VERSION = 6

TABLES = f"""
CREATE TABLE IF NOT EXISTS feed (
    id INTEGER PRIMARY KEY,
    schema_version INTEGER NOT NULL DEFAULT {VERSION},
    timezone VARCHAR,  -- the reporting time zone the days are counted in
    position VARCHAR,
    last_event_at VARCHAR NOT NULL DEFAULT '',
    events BIGINT NOT NULL DEFAULT 0,
    closed_through DATE  -- closing_days holds every day up to this one (null: none yet)
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
-- Each customer's entries by month of their life as a customer: month 0 is the signup day,
-- month k the days after the (k-1)-month anniversary up to the k-month one (signup day plus k
-- months, the month's last day when it has no such day). Kept by the writer with the entries,
-- so that customer acquisition reads a few rows per customer, not every entry.
CREATE TABLE IF NOT EXISTS customer_months (
    customer_id VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    month INTEGER NOT NULL,
    flow HUGEINT NOT NULL,  -- the month's change of the customer's balance in the currency
    entries BIGINT NOT NULL,
    first_deposit DATE,  -- the month's first day with a deposit; null if none
    PRIMARY KEY (customer_id, currency, month)
);
-- Transactions counted once each (a transfer on its credit leg, a withdrawal on its debit
-- leg), by the local day and hour they were posted: transaction volume reads this, not the
-- entries, so its cost does not grow with the number of transactions.
CREATE TABLE IF NOT EXISTS hourly_volume (
    day DATE NOT NULL,
    hour TINYINT NOT NULL,  -- 0-23 in the reporting time zone
    type VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    transactions BIGINT NOT NULL,
    amount HUGEINT NOT NULL,  -- positive minor units
    PRIMARY KEY (day, hour, type, currency)
);
-- Each customer's days with entries, as spells: days fewer than SPELL_GAP_DAYS (base.py)
-- apart are one spell, so spells lie at least that far apart. A function of the set of
-- days (batches may come in any order), a few rows per customer, and enough to tell
-- exactly whether a customer had an entry in any window of SPELL_GAP_DAYS or more.
CREATE TABLE IF NOT EXISTS activity_spells (
    customer_id VARCHAR NOT NULL,
    first_day DATE NOT NULL,
    last_day DATE NOT NULL
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
CREATE TABLE IF NOT EXISTS daily_groups (
    day DATE NOT NULL,
    currency VARCHAR NOT NULL,
    account_type VARCHAR NOT NULL,  -- 'unknown': the account was not known when loaded
    segment VARCHAR NOT NULL,       -- 'unknown': the owner's registration did not say
    type VARCHAR NOT NULL,          -- the transaction type
    amount HUGEINT NOT NULL,        -- the sum of the entries (signed: + credits)
    entries BIGINT NOT NULL,
    PRIMARY KEY (day, currency, account_type, segment, type)
);
-- Transfers by the cells of their two sides (the debited and the credited account's type and
-- owner's segment): what the builder subtracts from daily_groups' entries to count each
-- transaction once per group.
CREATE TABLE IF NOT EXISTS daily_pairs (
    day DATE NOT NULL,
    currency VARCHAR NOT NULL,
    account_type VARCHAR NOT NULL,
    segment VARCHAR NOT NULL,
    to_account_type VARCHAR NOT NULL,
    to_segment VARCHAR NOT NULL,
    transfers BIGINT NOT NULL,
    PRIMARY KEY (day, currency, account_type, segment, to_account_type, to_segment)
);
-- The closing balances of each day that is over (closings.py): the figures balances by day
-- or week read instead of every account at every day. Rows for the days after
-- feed.closed_through are dropped when a batch brings something that happened on them.
CREATE TABLE IF NOT EXISTS closing_days (
    day DATE NOT NULL,
    type VARCHAR NOT NULL,
    segment VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    accounts BIGINT NOT NULL,
    total HUGEINT NOT NULL,
    minimum HUGEINT NOT NULL,
    maximum HUGEINT NOT NULL,
    low_middle HUGEINT NOT NULL,
    high_middle HUGEINT NOT NULL,
    PRIMARY KEY (day, type, segment, currency)
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
