-- Serial allocation and the work orders that bound it.

CREATE TABLE work_orders (
    id         TEXT PRIMARY KEY,                 -- the MES's identifier
    bundle_id  INTEGER REFERENCES bundles (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    done       INTEGER NOT NULL DEFAULT 0 CHECK (done >= 0),    -- units completed
    failed     INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0),  -- failed attempts
    created_at TEXT NOT NULL
);

-- One counter per scope: the serial format with its date and station fields
-- expanded and the sequence left as '{seq}' (e.g. 'ACME-2447-{seq}'). The
-- counter only ever goes up; triggers below make that a property of the
-- database, not just of the code.
CREATE TABLE serial_counters (
    scope      TEXT PRIMARY KEY,
    format     TEXT NOT NULL,        -- the format that opened this scope
    last_seq   INTEGER NOT NULL CHECK (last_seq >= 0),
    updated_at TEXT NOT NULL
);
CREATE TRIGGER serial_counters_only_up
BEFORE UPDATE OF last_seq ON serial_counters
WHEN NEW.last_seq < OLD.last_seq
BEGIN
    SELECT RAISE(ABORT, 'serial counters never go back: that would reissue serials');
END;
CREATE TRIGGER serial_counters_kept
BEFORE DELETE ON serial_counters
BEGIN
    SELECT RAISE(ABORT, 'serial counters are never deleted: that would reissue serials');
END;

CREATE TABLE serial_allocations (
    id           INTEGER PRIMARY KEY,
    serial       TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL REFERENCES serial_counters (scope),
    seq          INTEGER NOT NULL,
    unit_id      INTEGER UNIQUE REFERENCES units (id),
    work_order   TEXT REFERENCES work_orders (id),
    state        TEXT NOT NULL DEFAULT 'allocated'
                 CHECK (state IN ('allocated', 'completed', 'voided')),
    allocated_at TEXT NOT NULL,
    completed_at TEXT,
    voided_at    TEXT,
    void_reason  TEXT,
    UNIQUE (scope, seq)
);
CREATE INDEX serial_allocations_work_order ON serial_allocations (work_order, state);
CREATE TRIGGER serial_allocations_void_is_final
BEFORE UPDATE OF state ON serial_allocations
WHEN OLD.state = 'voided' AND NEW.state <> 'voided'
BEGIN
    SELECT RAISE(ABORT, 'a voided serial stays voided');
END;
