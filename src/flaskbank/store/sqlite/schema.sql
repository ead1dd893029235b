-- Flask Bank embedded schema. Amounts are integer minor units (cents); timestamps ISO 8601 UTC.
CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,          -- lower-cased email: one account per address
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    totp_secret   TEXT,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    recovery_codes TEXT NOT NULL DEFAULT '[]',   -- JSON list of code hashes
    version       INTEGER NOT NULL DEFAULT 0,    -- every UPDATE is conditional on it
    security_stamp TEXT NOT NULL DEFAULT '',     -- sessions and tokens carry the one they began with
    demo_only     INTEGER NOT NULL DEFAULT 0,    -- 1: signs in only under `flaskbank demo`
    phone         TEXT NOT NULL DEFAULT '',      -- E.164; '' before the bank asked (issue 13)
    address       TEXT NOT NULL DEFAULT '',      -- lines joined by newlines
    date_of_birth TEXT NOT NULL DEFAULT ''       -- YYYY-MM-DD
);
CREATE INDEX IF NOT EXISTS users_by_name ON users (lower(full_name));
CREATE TABLE IF NOT EXISTS accounts (
    id            TEXT PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    type          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    -- The store re-checks the domain's rule (domain.chart) at commit; no product allows an
    -- overdraft yet, so the database refuses a negative balance too.
    balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0),
    status        TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    held_minor    INTEGER NOT NULL DEFAULT 0,    -- the sum of the account's open holds
    nickname      TEXT NOT NULL DEFAULT '',      -- the owner's name for it
    is_primary    INTEGER NOT NULL DEFAULT 0     -- receives money sent to the owner's email
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
    balance_after_minor INTEGER,                 -- NULL on the bank's own accounts (domain.chart)
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
    transaction_id TEXT NOT NULL,                -- '' when the request was refused
    created_at     TEXT NOT NULL,
    refusal        TEXT,                         -- JSON {kind, message, field} of a refusal
    hold_id        TEXT,                         -- a transfer held for review
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
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
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0,
    stamp      TEXT NOT NULL DEFAULT ''          -- the user's security stamp when issued
);
-- Browser sessions: the cookie holds a random id, we keep only its SHA-256.
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    data         TEXT NOT NULL,                  -- JSON
    version      INTEGER NOT NULL DEFAULT 0      -- a save is conditional on it
);
CREATE INDEX IF NOT EXISTS web_sessions_by_user ON web_sessions (user_id);
-- Failed logins per email (also unknown ones, so that a lock reveals nothing).
CREATE TABLE IF NOT EXISTS login_throttles (
    email_key    TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until TEXT
) WITHOUT ROWID;
-- Append-only: the store offers no update or delete for it.
CREATE TABLE IF NOT EXISTS audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    at         TEXT NOT NULL,
    action     TEXT NOT NULL,
    actor_id   TEXT,
    actor_email TEXT NOT NULL,
    ip         TEXT NOT NULL,
    target     TEXT NOT NULL,
    details    TEXT NOT NULL                     -- JSON
);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_log (action, seq);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_log (actor_email, seq);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- The event outbox: every change's events, in feed order, and the consumers' checkpoints.
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
-- Bulk loads (`flaskbank generate`): how many batches of each are in, so that a killed load
-- resumes where it stopped, and whether it finished (verify and serve name those that did not).
CREATE TABLE IF NOT EXISTS bulk_loads (
    load_id  TEXT PRIMARY KEY,
    batches  INTEGER NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- What the synthetic bank planted (domain/labels.py): ground truth for monitoring.
CREATE TABLE IF NOT EXISTS labels (
    id              TEXT PRIMARY KEY,
    pattern         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    transaction_ids TEXT NOT NULL,               -- JSON list
    start           TEXT NOT NULL,
    end             TEXT NOT NULL,
    note            TEXT NOT NULL
) WITHOUT ROWID;
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
    version            INTEGER NOT NULL,
    detail             TEXT NOT NULL DEFAULT ''  -- what the action needs beyond its target
);
CREATE INDEX IF NOT EXISTS approvals_by_status ON approval_requests (status, requested_at);
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
