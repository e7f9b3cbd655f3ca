/* Row records: the audit chain covers the rows that trace a board, not
 * only the events about them.
 *
 * The chain protects audit_events; a unit's serial, an attempt's result or
 * a certificate's fingerprint live in other tables, where an UPDATE by hand
 * left no trace. So every write that decides such a row appends, in the same
 * transaction, an event whose details carry the row as it now is:
 *
 *     "rows": {"units/12": {"serial": "ACME-0001", "mac": "...", ...}}
 *
 * and sdb_audit_verify recomputes each row's record from the table and
 * compares it with the latest event that recorded it: a row changed since,
 * deleted since, or never recorded at all is reported with the column, the
 * value now and the value on record.
 *
 * What a record holds is written once, below, as the SQL that makes it;
 * recording and verifying use the same text. Covered: units (identity and
 * void, not last_seen, which every rework refreshes), attempts once ended
 * (a running one is still being written), certificates (the PEM by its
 * SHA-256), serial allocations, and API tokens (by a hash of the token's
 * hash: the log never holds what the table checks tokens against), so a
 * token granted by hand is reported like a unit made by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define UNIT_RECORD                                                                      \
    "json_object('serial', serial, 'mac', mac, 'chip', chip, 'revision', revision,"      \
    " 'flash_id', flash_id, 'flash_size', flash_size, 'first_seen', first_seen,"         \
    " 'voided', voided, 'voided_at', voided_at, 'void_reason', void_reason)"
#define ATTEMPT_RECORD                                                                   \
    "json_object('unit_id', unit_id, 'session_id', session_id, 'station', station,"      \
    " 'slot', slot, 'adapter_id', adapter_id, 'adapter_port', adapter_port,"             \
    " 'bundle_id', bundle_id, 'work_order', work_order, 'chip', chip,"                   \
    " 'revision', revision, 'flash_id', flash_id, 'started_at', started_at,"             \
    " 'ended_at', ended_at, 'bytes_written', bytes_written, 'result', result,"           \
    " 'failed_phase', failed_phase, 'cause', cause)"
#define CERTIFICATE_RECORD                                                               \
    "json_object('unit_id', unit_id, 'serial', serial,"                                  \
    " 'fingerprint_sha256', fingerprint_sha256, 'subject', subject,"                     \
    " 'not_before', not_before, 'not_after', not_after, 'pem_sha256', jigd_sha256(pem),"  \
    " 'created_at', created_at)"
#define ALLOCATION_RECORD                                                                \
    "json_object('serial', serial, 'scope', scope, 'seq', seq, 'unit_id', unit_id,"      \
    " 'work_order', work_order, 'state', state, 'allocated_at', allocated_at,"           \
    " 'completed_at', completed_at, 'voided_at', voided_at, 'void_reason', void_reason)"

#define TOKEN_RECORD                                                                     \
    "json_object('name', name, 'role', role, 'hash_sha256', jigd_sha256(hash),"           \
    " 'created_at', created_at, 'created_by', created_by, 'revoked_at', revoked_at,"     \
    " 'revoked_by', revoked_by)"

/* Every row of the tables schema 7 covered, as (key, record): what its
 * upgrade records, before later tables exist. */
#define BASELINE_RECORDS                                                                 \
    "SELECT 'units/' || id AS key, " UNIT_RECORD " AS value FROM units"                  \
    " UNION ALL SELECT 'attempts/' || id, " ATTEMPT_RECORD " FROM attempts"              \
    "  WHERE result <> 'running'"                                                        \
    " UNION ALL SELECT 'certificates/' || id, " CERTIFICATE_RECORD " FROM certificates"  \
    " UNION ALL SELECT 'serial_allocations/' || id, " ALLOCATION_RECORD                  \
    "  FROM serial_allocations"
#define BOARD_CODE_RECORD                                                                \
    "json_object('code', code, 'unit_id', unit_id, 'attempt_id', attempt_id,"            \
    " 'slot', slot, 'bound_at', bound_at, 'bound_by', bound_by)"

/* Every covered row: api_tokens (0008) and board_codes (0009) are recorded
 * from their first row on. */
#define ALL_RECORDS                                                                      \
    BASELINE_RECORDS " UNION ALL SELECT 'api_tokens/' || id, " TOKEN_RECORD " FROM api_tokens" \
    " UNION ALL SELECT 'board_codes/' || id, " BOARD_CODE_RECORD " FROM board_codes"

static const struct {
    const char *name;       /* the table; "<name>/<id>" is a record's key */
    const char *one;        /* one row's record, by id */
} tables[] = {
    [DB_RECORD_UNIT] = {"units", "SELECT " UNIT_RECORD " FROM units WHERE id = ?"},
    [DB_RECORD_ATTEMPT] = {"attempts", "SELECT " ATTEMPT_RECORD " FROM attempts WHERE id = ?"},
    [DB_RECORD_CERTIFICATE] = {"certificates",
                               "SELECT " CERTIFICATE_RECORD " FROM certificates WHERE id = ?"},
    [DB_RECORD_ALLOCATION] = {"serial_allocations",
                              "SELECT " ALLOCATION_RECORD " FROM serial_allocations WHERE id = ?"},
    [DB_RECORD_TOKEN] = {"api_tokens", "SELECT " TOKEN_RECORD " FROM api_tokens WHERE id = ?"},
    [DB_RECORD_BOARD_CODE] = {"board_codes",
                              "SELECT " BOARD_CODE_RECORD " FROM board_codes WHERE id = ?"},
};

/* jigd_sha256(text): a certificate is recorded by its PEM's hash, so the
 * PEM is not copied into the log. */
static void sql_sha256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const void *bytes = sqlite3_value_blob(argv[0]);
    int len = sqlite3_value_bytes(argv[0]);
    char hex[65];
    db_sha256_hex(bytes ? bytes : "", (size_t)len, "", 0, hex);
    sqlite3_result_text(ctx, hex, 64, SQLITE_TRANSIENT);
}

int db_records_register(struct station_db *db)
{
    if (sqlite3_create_function(db->sql, "jigd_sha256", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                sql_sha256, NULL, NULL) != SQLITE_OK)
        return db_sql_fail(db, "registering jigd_sha256");
    return SDB_OK;
}

/* details.rows, made on first use. */
static cJSON *rows_of(cJSON *details)
{
    cJSON *rows = cJSON_GetObjectItemCaseSensitive(details, "rows");
    if (!rows)
        rows = cJSON_AddObjectToObject(details, "rows");
    return rows;
}

static int add_record(struct station_db *db, cJSON *rows, const char *key, const char *record)
{
    cJSON *raw = cJSON_CreateRaw(record);
    if (!raw || !cJSON_AddItemToObject(rows, key, raw)) {
        cJSON_Delete(raw);
        return db_fail(db, SDB_ERROR, "out of memory recording %s", key);
    }
    return SDB_OK;
}

int db_record_row(struct station_db *db, cJSON *details, enum db_record table, int64_t id)
{
    sqlite3_stmt *stmt;
    char key[64];
    cJSON *rows = rows_of(details);
    if (!rows)
        return db_fail(db, SDB_ERROR, "out of memory recording a row");
    snprintf(key, sizeof key, "%s/%lld", tables[table].name, (long long)id);
    int rc = db_prepare(db, tables[table].one, &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        rc = add_record(db, rows, key, (const char *)sqlite3_column_text(stmt, 0));
    else if (step == SQLITE_DONE)
        rc = db_fail(db, SDB_ERROR, "cannot record %s: the row is not there", key);
    else
        rc = db_sql_fail(db, "recording a row for the audit log");
    sqlite3_finalize(stmt);
    return rc;
}

/* ---- rows written before the log covered them ---------------------------- */

#define BASELINE_ROWS_PER_EVENT 100

static int append_baseline(struct station_db *db, cJSON **details)
{
    int rc = db_audit_append_locked(db, "jigd", "audit.baseline", *details);
    cJSON_Delete(*details);
    *details = NULL;
    return rc;
}

/* The migration that starts covering rows records every row already there,
 * a hundred to an event, so verify holds them to what they were then. */
int db_records_baseline_locked(struct station_db *db)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT key, value FROM (" BASELINE_RECORDS ")", &stmt);
    if (rc != SDB_OK)
        return rc;
    cJSON *details = NULL;
    int in_event = 0;
    while (rc == SDB_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        if (!details) {
            details = cJSON_CreateObject();
            cJSON_AddStringToObject(details, "meaning", "rows written before the audit log "
                                    "recorded them, as they were when it began to");
            in_event = 0;
        }
        cJSON *rows = details ? rows_of(details) : NULL;
        rc = rows ? add_record(db, rows, (const char *)sqlite3_column_text(stmt, 0),
                               (const char *)sqlite3_column_text(stmt, 1))
                  : db_fail(db, SDB_ERROR, "out of memory recording existing rows");
        if (rc == SDB_OK && ++in_event == BASELINE_ROWS_PER_EVENT)
            rc = append_baseline(db, &details);
    }
    sqlite3_finalize(stmt);
    if (rc == SDB_OK && details)
        rc = append_baseline(db, &details);
    cJSON_Delete(details);
    return rc;
}

/* ---- verifying ---------------------------------------------------------------- */

/* A value for a message: strings quoted, cut to fit. */
static void show(const cJSON *v, char *out, size_t size)
{
    char *text = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(out, size, "%s", text ? text : "nothing");
    if (text && strlen(text) >= size && size > 4)
        memcpy(out + size - 4, "...", 4);
    free(text);
}

/* The first column whose value differs (or that only one side has). */
static const char *first_difference(const cJSON *now, const cJSON *then, const cJSON **a,
                                    const cJSON **b)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, now) {
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(then, item->string);
        if (!other || !cJSON_Compare(item, other, true)) {
            *a = item;
            *b = other;
            return item->string;
        }
    }
    cJSON_ArrayForEach(item, then) {
        if (!cJSON_GetObjectItemCaseSensitive(now, item->string)) {
            *a = NULL;
            *b = item;
            return item->string;
        }
    }
    return NULL;
}

/* "units 12 (serial ACME-0001)", "api_tokens 3 (name mes1)": the key, and
 * the serial or name when it has one. */
static void name_row(const char *key, const cJSON *row, char *out, size_t size)
{
    const char *slash = strchr(key, '/');
    int table_len = slash ? (int)(slash - key) : (int)strlen(key);
    const char *label = "serial";
    const cJSON *serial = cJSON_GetObjectItemCaseSensitive(row, label);
    if (!serial)
        serial = cJSON_GetObjectItemCaseSensitive(row, label = "name");
    if (cJSON_IsString(serial))
        snprintf(out, size, "%.*s %s (%s %s)", table_len, key, slash ? slash + 1 : "",
                 label, serial->valuestring);
    else
        snprintf(out, size, "%.*s %s", table_len, key, slash ? slash + 1 : "");
}

/* One covered row: now (NULL: gone) against its latest record (NULL: none). */
static void compare_row(const char *key, const char *now_text, const char *then_text,
                        int64_t event_id, struct sdb_audit_check *c)
{
    if (now_text && then_text && strcmp(now_text, then_text) == 0)
        return;
    cJSON *now = now_text ? cJSON_Parse(now_text) : NULL;
    cJSON *then = then_text ? cJSON_Parse(then_text) : NULL;
    char name[160], was[80], is[80];
    name_row(key, now ? now : then, name, sizeof name);
    const cJSON *a = NULL, *b = NULL;
    const char *column;
    if (!then_text) {
        db_audit_bad(c, 0, "%s is not in the audit log: jigd records every such row as it "
                     "writes it, so it was added by hand", name);
    } else if (!now_text) {
        db_audit_bad(c, event_id, "%s, recorded by row %lld of the audit log, is gone from "
                     "its table (deleted%s)", name, (long long)event_id,
                     strncmp(key, "attempts/", 9) ? "" : ", or set back to running");
    } else if (!cJSON_IsObject(now) || !cJSON_IsObject(then)) {
        db_audit_bad(c, event_id, "%s: row %lld of the audit log does not hold a record of "
                     "it that jigd could have written", name, (long long)event_id);
    } else if ((column = first_difference(now, then, &a, &b))) {
        show(a, is, sizeof is);
        show(b, was, sizeof was);
        db_audit_bad(c, event_id, "%s: %s is %s but the audit log recorded %s (row %lld): "
                     "the row was changed after jigd wrote it", name, column, is, was,
                     (long long)event_id);
    }
    cJSON_Delete(now);
    cJSON_Delete(then);
}

int db_records_verify(struct station_db *db, struct sdb_audit_check *c)
{
    /* The latest record of each row (max() makes SQLite take the other
     * columns from that event), against every covered row now; then the
     * records whose row is gone. */
    sqlite3_stmt *stmt;
    int rc = db_prepare(db,
        "WITH recorded(key, value, event_id) AS MATERIALIZED ("
        "  SELECT r.key, r.value, max(e.id) FROM audit_events e, json_each(e.details, '$.rows') r"
        "  WHERE json_valid(e.details) GROUP BY r.key),"
        " current(key, value) AS MATERIALIZED (" ALL_RECORDS ")"
        " SELECT c.key, c.value, r.value, r.event_id FROM current c"
        "  LEFT JOIN recorded r ON r.key = c.key"
        " UNION ALL"
        " SELECT r.key, NULL, r.value, r.event_id FROM recorded r"
        "  WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.key = r.key)", &stmt);
    if (rc != SDB_OK)
        return rc;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *now = (const char *)sqlite3_column_text(stmt, 1);
        c->records += now != NULL;
        if (c->ok)
            compare_row((const char *)sqlite3_column_text(stmt, 0), now,
                        (const char *)sqlite3_column_text(stmt, 2),
                        sqlite3_column_int64(stmt, 3), c);
    }
    if (step != SQLITE_DONE)
        rc = db_sql_fail(db, "comparing rows with their audit records");
    sqlite3_finalize(stmt);
    return rc;
}
