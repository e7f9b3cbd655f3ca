/* sdb_audit_verify: everything that says whether the audit log can be
 * trusted, in the order a quality engineer needs to hear it: the chain
 * itself (audit_log.c), where the log ends (sqlite_sequence and the anchor
 * file, audit_anchor.c), the rows the log recorded (audit_records.c), and
 * the triggers that guard the tables (audit_guards.c). The first problem
 * found is the one reported: a row changed by hand comes before the
 * dropped trigger that let it be changed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

void db_audit_bad(struct sdb_audit_check *c, int64_t id, const char *fmt, ...)
{
    va_list ap;
    c->ok = false;
    c->first_bad_id = id;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

static int64_t query_int(struct station_db *db, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t v = -1;
    if (db_prepare(db, sql, &stmt) != SDB_OK)
        return -1;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* Rows deleted from the end while sqlite_sequence was left alone. */
static void check_sequence(struct station_db *db, int64_t last_id, struct sdb_audit_check *c)
{
    int64_t seq = query_int(db, "SELECT coalesce((SELECT seq FROM sqlite_sequence"
                                " WHERE name = 'audit_events'), 0)");
    if (seq > last_id)
        db_audit_bad(c, last_id + 1, "row %lld and after were deleted from the end of the log "
                     "(the log had reached row %lld)", (long long)(last_id + 1), (long long)seq);
}

int sdb_audit_verify(struct station_db *db, struct sdb_audit_check *c)
{
    memset(c, 0, sizeof *c);
    c->ok = true;
    c->anchored_id = -1;
    /* The anchor is read before the table: jigd writes it after each
     * commit, so the rows read next are never older than the file. */
    struct audit_anchor file;
    db_anchor_read(db, &file);
    int64_t last_id;
    /* One read transaction, so rows appended meanwhile cannot confuse us. */
    int rc = db_exec(db, "BEGIN");
    if (rc != SDB_OK)
        return rc;
    rc = db_audit_walk(db, c, &last_id);
    if (rc == SDB_OK && c->ok)
        check_sequence(db, last_id, c);
    if (rc == SDB_OK && c->ok)
        rc = db_anchor_verify(db, &file, last_id, c->head_hash, c);
    if (rc == SDB_OK && c->ok)
        rc = db_anchor_events_verify(db, c);
    if (rc == SDB_OK)
        rc = db_records_verify(db, c);
    if (rc == SDB_OK && c->ok)
        rc = db_guards_verify(db, c);
    db_exec(db, "COMMIT");
    return rc;
}

/* The audit row the chain broke at, as stored now (NULL if it is gone). */
static cJSON *broken_row(struct station_db *db, int64_t id)
{
    sqlite3_stmt *stmt;
    if (db_prepare(db, "SELECT id, at, actor, action, details, prev_hash, hash"
                       " FROM audit_events WHERE id = ?", &stmt) != SDB_OK)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    cJSON *rows = cJSON_CreateArray();
    cJSON *row = rows && db_rows_to_json(stmt, rows) == SQLITE_DONE
                     ? cJSON_DetachItemFromArray(rows, 0) : NULL;
    sqlite3_finalize(stmt);
    cJSON_Delete(rows);
    return row;
}

int sdb_audit_verify_json(struct station_db *db, cJSON **out)
{
    struct sdb_audit_check check;
    *out = NULL;
    int rc = sdb_audit_verify(db, &check);
    if (rc != SDB_OK)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", check.ok);
    cJSON_AddNumberToObject(o, "rows", (double)check.rows);
    cJSON_AddNumberToObject(o, "records", (double)check.records);
    cJSON_AddNumberToObject(o, "anchored_id", (double)check.anchored_id);
    cJSON_AddNumberToObject(o, "first_bad_id", (double)check.first_bad_id);
    cJSON_AddStringToObject(o, "reason", check.reason);
    cJSON_AddStringToObject(o, "head_hash", check.head_hash);
    cJSON *row = check.ok || !check.first_bad_id ? NULL : broken_row(db, check.first_bad_id);
    if (row)
        cJSON_AddItemToObject(o, "broken_row", row);
    *out = o;
    return SDB_OK;
}
