-- Board codes: the label on the PCB, read by the line's barcode scanner at the
-- jig and bound to the unit the board turns out to be once the ROM loader has
-- given its MAC. A code names one board for good: it is bound to one unit
-- only, and a binding is never changed or deleted. A board that gets a new
-- label gets a second code; a board flashed again with its own label keeps
-- the one it has.

CREATE TABLE board_codes (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE
               CHECK (length(code) BETWEEN 1 AND 64 AND code NOT GLOB '*[^ -~]*'),
    unit_id    INTEGER NOT NULL REFERENCES units (id),
    attempt_id INTEGER REFERENCES attempts (id),   -- the attempt that bound it
    slot       INTEGER CHECK (slot >= 0),
    bound_at   TEXT NOT NULL,
    bound_by   TEXT NOT NULL                        -- who scanned it (the token's name)
);
CREATE INDEX board_codes_unit ON board_codes (unit_id);

CREATE TRIGGER board_codes_fixed
BEFORE UPDATE ON board_codes
BEGIN
    SELECT RAISE(ABORT, 'a board code stays bound to the unit it was scanned for');
END;
CREATE TRIGGER board_codes_kept
BEFORE DELETE ON board_codes
BEGIN
    SELECT RAISE(ABORT, 'board codes are never deleted');
END;

-- The attempt log shows each unit's board codes (oldest first), so an audit
-- query by code needs no join of its own.
DROP VIEW attempt_log;
CREATE VIEW attempt_log AS
SELECT a.id AS attempt_id, a.started_at, a.ended_at, a.station, a.slot,
       a.adapter_id, a.adapter_port, a.work_order, a.bundle_id,
       u.serial, u.mac, a.chip, a.revision, a.flash_id,
       a.result, a.failed_phase, a.cause, a.bytes_written,
       (SELECT group_concat(c.code, ' ') FROM
          (SELECT code FROM board_codes WHERE unit_id = a.unit_id ORDER BY id) c) AS board_code
FROM attempts a LEFT JOIN units u ON u.id = a.unit_id;
