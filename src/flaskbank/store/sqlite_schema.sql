-- Flask Bank embedded schema. Amounts are integer minor units (cents); timestamps ISO 8601 UTC.
CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,          -- lower-cased email: one account per address
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id            TEXT PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    type          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    -- The database re-checks the domain's rule at commit: no customer balance below zero.
    balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0),
    status        TEXT NOT NULL,
    opened_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_by_user ON accounts (user_id, opened_at);
-- seq is the global feed order that analytics read incrementally.
CREATE TABLE IF NOT EXISTS transactions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    memo          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    initiated_by  TEXT NOT NULL
);
-- One row per account side of a transaction; the account's history. Denormalised so that a
-- history page or a statement is one index range scan with no join.
CREATE TABLE IF NOT EXISTS entries (
    account_id          TEXT NOT NULL,
    seq                 INTEGER NOT NULL REFERENCES transactions(seq),
    transaction_id      TEXT NOT NULL,
    type                TEXT NOT NULL,
    amount_minor        INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    balance_after_minor INTEGER,                 -- NULL on the cash account
    counterparty        TEXT NOT NULL,
    memo                TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_time ON entries (account_id, created_at);
CREATE INDEX IF NOT EXISTS entries_by_seq ON entries (seq);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
