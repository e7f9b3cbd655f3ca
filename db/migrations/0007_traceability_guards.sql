-- The rows that trace a board are written once and then only in the ways jigd
-- writes them; these triggers say so in the database, so an edit by hand is
-- refused instead of merely detected. From this version on, each write of a
-- unit, an ended attempt, a certificate or a serial allocation also appends an
-- audit event carrying the row (db/audit_records.c); the upgrade to it records
-- the rows already there in audit.baseline events.

-- A unit's identity is what the ROM loader reported and the serial it got;
-- only last_seen and the void columns change.
CREATE TRIGGER units_identity_fixed
BEFORE UPDATE OF serial, mac, chip, revision, flash_id, flash_size, first_seen ON units
BEGIN
    SELECT RAISE(ABORT, 'a unit''s identity never changes: void its serial instead');
END;
CREATE TRIGGER units_kept
BEFORE DELETE ON units
BEGIN
    SELECT RAISE(ABORT, 'units are never deleted: void the serial instead');
END;

-- An ended attempt is what happened to the board.
CREATE TRIGGER attempts_end_is_final
BEFORE UPDATE ON attempts
WHEN OLD.result <> 'running'
BEGIN
    SELECT RAISE(ABORT, 'an attempt that ended is final');
END;
CREATE TRIGGER attempts_kept
BEFORE DELETE ON attempts
BEGIN
    SELECT RAISE(ABORT, 'attempts are never deleted');
END;

CREATE TRIGGER certificates_fixed
BEFORE UPDATE ON certificates
BEGIN
    SELECT RAISE(ABORT, 'a certificate issued is never changed');
END;
CREATE TRIGGER certificates_kept
BEFORE DELETE ON certificates
BEGIN
    SELECT RAISE(ABORT, 'certificates are never deleted');
END;

-- An allocation gets its unit, then completes or is voided; what it allocated
-- never changes.
CREATE TRIGGER serial_allocations_fixed
BEFORE UPDATE OF serial, scope, seq, work_order, allocated_at ON serial_allocations
BEGIN
    SELECT RAISE(ABORT, 'a serial allocation never changes what it allocated');
END;
CREATE TRIGGER serial_allocations_kept
BEFORE DELETE ON serial_allocations
BEGIN
    SELECT RAISE(ABORT, 'serial allocations are never deleted: void the serial instead');
END;
