-- Boards, the firmware bundles written to them, and every attempt to flash one.
-- Times are UTC text, 'YYYY-MM-DDTHH:MM:SS.SSSZ': readable in an audit, sortable
-- as text, and understood by SQLite's date functions.

CREATE TABLE bundles (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    version         TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL UNIQUE
                    CHECK (length(manifest_sha256) = 64 AND manifest_sha256 NOT GLOB '*[^0-9a-f]*'),
    registered_at   TEXT NOT NULL
);

-- One row per board identity. A board keeps its row (and serial) through
-- rework; when the operator voids a serial the row stays, voided, and the
-- board gets a new row with a new serial the next time it is seen. Hence
-- the MAC is unique among live units only.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    serial      TEXT NOT NULL UNIQUE,
    mac         TEXT NOT NULL
                CHECK (length(mac) = 17 AND mac GLOB '[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]'),
    chip        TEXT NOT NULL,
    revision    TEXT NOT NULL,
    flash_id    INTEGER NOT NULL,     -- JEDEC id as the ROM reports it
    flash_size  INTEGER NOT NULL,     -- bytes
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    voided      INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),
    voided_at   TEXT,
    void_reason TEXT,
    CHECK (voided = 0 OR voided_at IS NOT NULL)
);
CREATE UNIQUE INDEX units_live_mac ON units (mac) WHERE voided = 0;
CREATE INDEX units_mac ON units (mac);

-- One row per run of jigd on this database, so an attempt left 'running'
-- can be told apart from one the current process is driving.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    station    TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    end_reason TEXT            -- 'closed' or 'interrupted'
);

CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER REFERENCES units (id),  -- NULL until the board identified
    session_id    INTEGER NOT NULL REFERENCES sessions (id),
    station       TEXT NOT NULL,
    slot          INTEGER NOT NULL CHECK (slot >= 0),
    adapter_id    TEXT,            -- USB serial number / by-path name of the adapter
    adapter_port  TEXT,            -- the device path or rfc2217:// URL used
    bundle_id     INTEGER REFERENCES bundles (id),
    work_order    TEXT,
    chip          TEXT,            -- what the board said in this attempt
    revision      TEXT,
    flash_id      INTEGER,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    bytes_written INTEGER NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),
    result        TEXT NOT NULL DEFAULT 'running'
                  CHECK (result IN ('running', 'ok', 'failed', 'interrupted')),
    failed_phase  TEXT,
    cause         TEXT,
    CHECK ((result = 'running') = (ended_at IS NULL)),
    CHECK (result IN ('running', 'ok') OR cause IS NOT NULL),
    CHECK (result <> 'ok' OR unit_id IS NOT NULL)
);
CREATE INDEX attempts_unit ON attempts (unit_id);
CREATE INDEX attempts_started ON attempts (started_at);
CREATE INDEX attempts_running ON attempts (result) WHERE result = 'running';

-- Per-phase timings: sync, identify, stub, erase, write, verify, boot, ...
CREATE TABLE attempt_phases (
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    seq         INTEGER NOT NULL,
    phase       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    bytes       INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    PRIMARY KEY (attempt_id, seq)
);

-- What was written: every bundle part and per-unit part, with its hash, so
-- an audit can prove which firmware a serial carries.
CREATE TABLE attempt_parts (
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    name       TEXT NOT NULL,
    flash_offset INTEGER NOT NULL CHECK (flash_offset >= 0),
    size       INTEGER NOT NULL CHECK (size >= 0),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    per_unit   INTEGER NOT NULL CHECK (per_unit IN (0, 1)),
    PRIMARY KEY (attempt_id, name)
);
