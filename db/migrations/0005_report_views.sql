-- Views the reports and the quality engineer share, so "first-pass yield"
-- means the same thing in jigctl and in a hand-written query.

-- Every attempt with the unit's serial and MAC beside it.
CREATE VIEW attempt_log AS
SELECT a.id AS attempt_id, a.started_at, a.ended_at, a.station, a.slot,
       a.adapter_id, a.adapter_port, a.work_order, a.bundle_id,
       u.serial, u.mac, a.chip, a.revision, a.flash_id,
       a.result, a.failed_phase, a.cause, a.bytes_written
FROM attempts a LEFT JOIN units u ON u.id = a.unit_id;

-- Each unit's first decided attempt (ok or failed). Interrupted attempts are
-- left out: a station crash or power cut says nothing about the board.
CREATE VIEW first_attempts AS
SELECT a.unit_id, a.id AS attempt_id, a.started_at, a.result, a.work_order,
       a.failed_phase, a.cause
FROM attempts a
WHERE a.unit_id IS NOT NULL
  AND a.result IN ('ok', 'failed')
  AND a.id = (SELECT min(b.id) FROM attempts b
              WHERE b.unit_id = a.unit_id AND b.result IN ('ok', 'failed'));

CREATE INDEX attempts_ended ON attempts (ended_at);
CREATE INDEX attempts_work_order ON attempts (work_order);
