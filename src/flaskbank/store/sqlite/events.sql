-- The event outbox and the consumers' checkpoints (issue 9), kept apart from schema.sql so
-- that they become one migration step. Run by init_schema after schema.sql; safe to repeat.
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
