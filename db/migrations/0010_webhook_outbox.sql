-- The webhook outbox: what the station owes each configured receiver
-- ([webhook NAME] in jigd.conf). A row is written in the same transaction
-- as the fact it reports (an attempt's end, a work order made or complete),
-- so a result on record is a result on its way, whatever happens to jigd
-- after the commit. jigd delivers each receiver's rows in order (by id),
-- retries with backoff until the receiver answers 2xx, and then marks the
-- row delivered; the row stays (what was sent, when, after how many tries).

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    receiver        TEXT NOT NULL,              -- the [webhook NAME]
    event           TEXT NOT NULL,              -- unit.result, work_order.created, ...
    idempotency_key TEXT NOT NULL,              -- the same on every retry
    body            TEXT NOT NULL CHECK (json_valid(body)),
    created_at      TEXT NOT NULL,
    tries           INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
    next_try_at     TEXT,                       -- NULL: as soon as its turn comes
    last_try_at     TEXT,
    last_status     INTEGER,                    -- the receiver's HTTP status; NULL: no answer
    last_error      TEXT,
    delivered_at    TEXT,
    UNIQUE (receiver, idempotency_key)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (receiver, id) WHERE delivered_at IS NULL;

-- What was owed never changes, and nothing owed goes away undelivered.
CREATE TRIGGER webhook_outbox_fixed
BEFORE UPDATE OF id, receiver, event, idempotency_key, body, created_at ON webhook_outbox
BEGIN
    SELECT RAISE(ABORT, 'a webhook delivery''s content never changes');
END;
CREATE TRIGGER webhook_outbox_kept
BEFORE DELETE ON webhook_outbox
WHEN OLD.delivered_at IS NULL
BEGIN
    SELECT RAISE(ABORT, 'an undelivered webhook is never deleted');
END;
