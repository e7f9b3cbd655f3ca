-- A work order the MES closes takes no more boards, whatever its quantity
-- says (an order cancelled, or finished short); boards already in it keep
-- their serials and may come back for rework. Closing is for good.
ALTER TABLE work_orders ADD COLUMN closed_at TEXT;
ALTER TABLE work_orders ADD COLUMN closed_by TEXT;
ALTER TABLE work_orders ADD COLUMN close_reason TEXT;

CREATE TRIGGER work_orders_close_is_final
BEFORE UPDATE OF closed_at, closed_by, close_reason ON work_orders
WHEN OLD.closed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a closed work order stays closed: open a new one');
END;
