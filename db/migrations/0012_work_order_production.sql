-- A work order may name how its units' serials read (NULL: the station's
-- serial_format from jigd.conf), and which work order the station flashes
-- against is chosen over the API and kept here, so a restart goes on with
-- the same order. config_work_order is what jigd.conf's [unit] work_order
-- said at the time: an engineer who edits jigd.conf afterwards has the
-- newer word, and jigd.conf wins again (docs/config.md).
ALTER TABLE work_orders ADD COLUMN serial_format TEXT;

CREATE TABLE work_order_choice (
    id                INTEGER PRIMARY KEY CHECK (id = 1),   -- one row at most
    work_order        TEXT NOT NULL REFERENCES work_orders (id),
    config_work_order TEXT NOT NULL,
    chosen_at         TEXT NOT NULL,
    chosen_by         TEXT NOT NULL
);
