-- The append-only, hash-chained audit log. Each row stores
--   hash = sha256(prev_hash || canonical(id, at, actor, action, details))
-- (db/README.md gives the exact bytes), so editing or deleting a row breaks
-- the chain at that row even if the triggers below were dropped first.

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: ids never reused
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,      -- 'jigd', 'operator:<name>', 'mes', ...
    action    TEXT NOT NULL,      -- 'serial.allocate', 'serial.void', ...
    details   TEXT NOT NULL CHECK (json_valid(details)),
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE INDEX audit_events_action ON audit_events (action);

CREATE TRIGGER audit_events_no_update
BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: append a correcting event instead');
END;
CREATE TRIGGER audit_events_no_delete
BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: rows are never deleted');
END;
