/* Work orders: how many units of which bundle the MES asked for. The
 * quantity bounds serial allocation (serials.c): a work order that holds its
 * quantity of serials allocates no more. Counting held serials, not finished
 * units, is what stops eight slots starting at once from overshooting. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "serial_format.h"

static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] <= ' ' || id[i] >= 0x7f)
            return false;
    return true;
}

static int insert_locked(struct station_db *db, const struct sdb_work_order_new *w,
                         const char *format)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    db_now(db, now);
    int rc = db_prepare(db, "INSERT INTO work_orders (id, bundle_id, quantity, created_at,"
                            " serial_format) VALUES (?, ?, ?, ?, ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, w->id);
    if (w->bundle_id > 0)
        sqlite3_bind_int64(stmt, 2, w->bundle_id);
    sqlite3_bind_int64(stmt, 3, w->quantity);
    db_bind_text(stmt, 4, now);
    if (format)
        db_bind_text(stmt, 5, format);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        rc = db_sql_fail(db, "creating the work order");
        if (rc == SDB_CONFLICT)
            rc = db_fail(db, rc, "work order %s already exists", w->id);
    }
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "work_order", w->id);
    cJSON_AddNumberToObject(d, "quantity", (double)w->quantity);
    if (w->bundle_id > 0)
        cJSON_AddNumberToObject(d, "bundle", (double)w->bundle_id);
    if (format)
        cJSON_AddStringToObject(d, "serial_format", format);
    rc = db_audit_append_locked(db, w->actor ? w->actor : "mes", "work_order.create", d);
    cJSON_Delete(d);
    return rc == SDB_OK ? db_outbox_work_order_locked(db, w->id, "work_order.created", 0) : rc;
}

int sdb_work_order_create(struct station_db *db, const struct sdb_work_order_new *w)
{
    if (!valid_id(w->id))
        return db_fail(db, SDB_REFUSED, "a work order id is 1 to 64 printable characters "
                       "without spaces");
    if (w->quantity <= 0)
        return db_fail(db, SDB_REFUSED, "work order %s: the quantity must be at least 1",
                       w->id);
    const char *format = w->serial_format && w->serial_format[0] ? w->serial_format : NULL;
    struct serial_format f;
    char why[300];
    if (format && !serial_format_parse(format, &f, why, sizeof why))
        return db_fail(db, SDB_REFUSED, "work order %s: serial format '%s': %s", w->id,
                       format, why);
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    return db_finish(db, insert_locked(db, w, format));
}

static int close_locked(struct station_db *db, const char *id, const char *actor,
                        const char *reason)
{
    struct sdb_work_order w;
    int rc = sdb_work_order_get(db, id, &w);
    if (rc != SDB_OK)
        return rc;
    if (w.closed_at[0])
        return db_fail(db, SDB_CONFLICT, "work order %s was closed already, at %s by %s", id,
                       w.closed_at, w.closed_by);
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    if ((rc = db_prepare(db, "UPDATE work_orders SET closed_at = ?2, closed_by = ?3,"
                             " close_reason = ?4 WHERE id = ?1", &stmt)) != SDB_OK)
        return rc;
    db_now(db, now);
    db_bind_text(stmt, 1, id);
    db_bind_text(stmt, 2, now);
    db_bind_text(stmt, 3, actor);
    db_bind_text(stmt, 4, reason);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "closing the work order");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "work_order", id);
    cJSON_AddStringToObject(d, "reason", reason);
    rc = db_audit_append_locked(db, actor, "work_order.close", d);
    cJSON_Delete(d);
    return rc == SDB_OK ? db_outbox_work_order_locked(db, id, "work_order.closed", 0) : rc;
}

int sdb_work_order_close(struct station_db *db, const char *id, const char *actor,
                         const char *reason)
{
    if (!actor || !*actor || !reason || !*reason)
        return db_fail(db, SDB_REFUSED, "say who closes work order %s and why: the audit log "
                       "keeps both", id ? id : "");
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    return db_finish(db, close_locked(db, id, actor, reason));
}

int sdb_work_order_get(struct station_db *db, const char *id, struct sdb_work_order *out)
{
    sqlite3_stmt *stmt;
    memset(out, 0, sizeof *out);
    int rc = db_prepare(db, "SELECT w.id, coalesce(w.bundle_id, 0), w.quantity, w.done,"
                            " w.failed, (SELECT count(*) FROM serial_allocations s"
                            "  WHERE s.work_order = w.id AND s.state <> 'voided'), w.created_at,"
                            " coalesce(w.closed_at, ''), coalesce(w.closed_by, ''),"
                            " coalesce(w.close_reason, ''), coalesce(w.serial_format, ''),"
                            " coalesce(b.manifest_sha256, '') FROM work_orders w"
                            " LEFT JOIN bundles b ON b.id = w.bundle_id WHERE w.id = ?",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        db_column_copy(stmt, 0, out->id, sizeof out->id);
        out->bundle_id = sqlite3_column_int64(stmt, 1);
        out->quantity = sqlite3_column_int64(stmt, 2);
        out->done = sqlite3_column_int64(stmt, 3);
        out->failed = sqlite3_column_int64(stmt, 4);
        out->allocated = sqlite3_column_int64(stmt, 5);
        out->full = out->allocated >= out->quantity;
        db_column_copy(stmt, 6, out->created_at, sizeof out->created_at);
        db_column_copy(stmt, 7, out->closed_at, sizeof out->closed_at);
        db_column_copy(stmt, 8, out->closed_by, sizeof out->closed_by);
        db_column_copy(stmt, 9, out->close_reason, sizeof out->close_reason);
        db_column_copy(stmt, 10, out->serial_format, sizeof out->serial_format);
        db_column_copy(stmt, 11, out->bundle_sha256, sizeof out->bundle_sha256);
    } else if (step == SQLITE_DONE) {
        rc = db_fail(db, SDB_NOT_FOUND, "work order %s is unknown", id);
    } else {
        rc = db_sql_fail(db, "reading the work order");
    }
    sqlite3_finalize(stmt);
    return rc;
}

int sdb_work_order_list(struct station_db *db, const struct sdb_page *page, cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    /* seq (the row's rowid) is the order they were made in, and the cursor. */
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT w.rowid AS seq, w.id, w.bundle_id, w.quantity, (SELECT count(*) FROM"
             " serial_allocations s WHERE s.work_order = w.id AND s.state <> 'voided')"
             " AS allocated, w.done, w.failed, w.created_at, w.closed_at,"
             " w.closed_by, w.close_reason, w.serial_format, b.manifest_sha256 AS bundle"
             " FROM work_orders w LEFT JOIN bundles b ON b.id = w.bundle_id"
             " WHERE ?1 = 0 OR w.rowid %s ?1 ORDER BY w.rowid %s LIMIT ?2",
             page->newest_first ? "<" : ">", page->newest_first ? "DESC" : "ASC");
    int rc = db_prepare(db, sql, &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, page->cursor);
    sqlite3_bind_int64(stmt, 2, page->limit > 0 ? page->limit : -1);
    return db_collect_rows(db, stmt, "listing work orders", rows);
}
