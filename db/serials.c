/* Serial allocation.
 *
 * Counter scope: the format with its date and station fields expanded and
 * the sequence left as '{seq}', e.g. 'ACME-2447-{seq}'. Two reasons:
 *  - A date in the serial is only useful if the sequence restarts with it
 *    (week 48's first board is ACME-2448-000001), which needs one counter per
 *    expanded date; a counter per whole format would run on forever.
 *  - Any two serials with the same text have the same scope, so one counter
 *    that only goes up guarantees they differ. The width is not part of the
 *    scope, so changing {seq:04} to {seq:06} cannot restart a counter and
 *    produce 12345 twice.
 * Different scopes can still spell the same text ('A1{seq}' at 5 and 'A{seq}'
 * at 15 are both 'A15'); serial_allocations.serial is UNIQUE, and a value
 * already taken is skipped rather than handed out twice. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "serial_format.h"

#define MAX_SKIPS 1000  /* textual collisions tolerated before giving up */

/* Refuses when the work order already holds its quantity of serials. */
static int check_work_order_room(struct station_db *db, const char *work_order)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db,
        "SELECT w.quantity, (SELECT count(*) FROM serial_allocations a"
        "                    WHERE a.work_order = w.id AND a.state <> 'voided'),"
        " w.closed_at, w.closed_by FROM work_orders w WHERE w.id = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, work_order);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        int64_t quantity = sqlite3_column_int64(stmt, 0), held = sqlite3_column_int64(stmt, 1);
        if (sqlite3_column_type(stmt, 2) != SQLITE_NULL)
            rc = db_fail(db, SDB_REFUSED,
                         "work order %s was closed at %s by %s: no more boards start on it; "
                         "activate the next work order", work_order, sqlite3_column_text(stmt, 2),
                         sqlite3_column_text(stmt, 3));
        else if (held >= quantity)
            rc = db_fail(db, SDB_REFUSED,
                         "work order %s has all %lld of its serials allocated: no more boards "
                         "can start on it; open the next work order in the MES, or void the "
                         "serials of scrapped boards", work_order, (long long)quantity);
    } else if (step == SQLITE_DONE) {
        rc = db_fail(db, SDB_NOT_FOUND, "work order %s is unknown: create it first (MES or "
                     "jigctl) before starting boards on it", work_order);
    } else {
        rc = db_sql_fail(db, "reading the work order");
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Takes the next value of the scope's counter (creating it at 0). */
static int next_seq(struct station_db *db, const char *scope, const char *format,
                    const char *now, int64_t *seq)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "INSERT INTO serial_counters (scope, format, last_seq, updated_at)"
                            " VALUES (?1, ?2, 1, ?3) ON CONFLICT (scope) DO UPDATE"
                            " SET last_seq = last_seq + 1, updated_at = ?3 RETURNING last_seq",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, scope);
    db_bind_text(stmt, 2, format);
    db_bind_text(stmt, 3, now);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *seq = sqlite3_column_int64(stmt, 0);
    else
        rc = db_sql_fail(db, "advancing the serial counter");
    sqlite3_finalize(stmt);
    return rc;
}

/* Inserts the allocation; *taken when another scope already spelled it. */
static int insert_allocation(struct station_db *db, const char *serial, const char *scope,
                             int64_t seq, const char *work_order, const char *now,
                             bool *taken, int64_t *id)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "INSERT INTO serial_allocations"
                            " (serial, scope, seq, work_order, allocated_at)"
                            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, serial);
    db_bind_text(stmt, 2, scope);
    sqlite3_bind_int64(stmt, 3, seq);
    db_bind_text(stmt, 4, work_order);
    db_bind_text(stmt, 5, now);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        rc = db_sql_fail(db, "recording the serial allocation");
    sqlite3_finalize(stmt);
    *taken = sqlite3_changes(db->sql) == 0;
    *id = sqlite3_last_insert_rowid(db->sql);
    return rc;
}

static int record_allocation_event(struct station_db *db, const char *serial,
                                   const char *scope, int64_t seq, const char *work_order,
                                   int64_t allocation_id)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "serial", serial);
    cJSON_AddStringToObject(d, "scope", scope);
    cJSON_AddNumberToObject(d, "seq", (double)seq);
    if (work_order)
        cJSON_AddStringToObject(d, "work_order", work_order);
    int rc = db_record_row(db, d, DB_RECORD_ALLOCATION, allocation_id);
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, "jigd", "serial.allocate", d);
    cJSON_Delete(d);
    return rc;
}

int db_serial_allocate_locked(struct station_db *db, const char *format,
                              const char *work_order, char serial[SDB_SERIAL_MAX + 1],
                              int64_t *allocation_id)
{
    struct serial_format f;
    struct serial_date date;
    char err[160], scope[SERIAL_FORMAT_MAX + SERIAL_TEXT_MAX + 8], now[SDB_TIME_LEN + 1];
    if (!format || !serial_format_parse(format, &f, err, sizeof err))
        return db_fail(db, SDB_REFUSED, "serial format '%.128s': %s; fix serial_format in "
                       "the bundle or jigd.conf", format ? format : "", format ? err : "none given");
    int64_t ms = db_now_ms(db);
    sdb_format_time(ms, now);
    serial_date_from_ms(ms, &date);
    if (!serial_format_scope(&f, &date, db->station, scope, sizeof scope))
        return db_fail(db, SDB_REFUSED, "serial format '%s' is too long once expanded", format);
    int rc = work_order ? check_work_order_room(db, work_order) : SDB_OK;
    for (int tries = 0; rc == SDB_OK && tries < MAX_SKIPS; tries++) {
        int64_t seq = 0;
        bool taken = false;
        if ((rc = next_seq(db, scope, format, now, &seq)) != SDB_OK)
            return rc;
        if (seq > serial_format_max_seq(&f))
            return db_fail(db, SDB_REFUSED,
                           "the counter for %s has used all %lld numbers its format allows; "
                           "widen {seq:N} or change the format's prefix", scope,
                           (long long)serial_format_max_seq(&f));
        if (!serial_format_expand(&f, &date, db->station, seq, serial, SDB_SERIAL_MAX + 1))
            return db_fail(db, SDB_REFUSED, "serial format '%s' makes serials longer than %d "
                           "characters", format, SDB_SERIAL_MAX);
        rc = insert_allocation(db, serial, scope, seq, work_order, now, &taken, allocation_id);
        if (rc == SDB_OK && !taken)
            return record_allocation_event(db, serial, scope, seq, work_order,
                                           *allocation_id);
    }
    if (rc == SDB_OK)
        rc = db_fail(db, SDB_ERROR, "serial format '%s' keeps producing serials that other "
                     "formats already issued; give it a distinct prefix", format);
    return rc;
}

int sdb_serial_allocate(struct station_db *db, const char *format, const char *work_order,
                        char *out)
{
    int64_t id;
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    rc = db_serial_allocate_locked(db, format, work_order, out, &id);
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

static int void_rows(struct station_db *db, const char *serial, const char *reason,
                     const char *now)
{
    static const char *const sql[] = {
        "UPDATE serial_allocations SET state = 'voided', voided_at = ?2, void_reason = ?3"
        " WHERE serial = ?1",
        "UPDATE units SET voided = 1, voided_at = ?2, void_reason = ?3 WHERE serial = ?1",
        /* A completed board that is scrapped no longer counts as done. */
        "UPDATE work_orders SET done = done - 1 WHERE done > 0 AND id ="
        " (SELECT work_order FROM serial_allocations WHERE serial = ?1 AND completed_at IS NOT NULL)",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *stmt;
        int rc = db_prepare(db, sql[i], &stmt);
        if (rc != SDB_OK)
            return rc;
        db_bind_text(stmt, 1, serial);
        db_bind_text(stmt, 2, now);
        db_bind_text(stmt, 3, reason);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "voiding the serial");
        sqlite3_finalize(stmt);
        if (rc != SDB_OK)
            return rc;
    }
    return SDB_OK;
}

/* The void changed the allocation and the unit that carried the serial. */
static int record_voided_rows(struct station_db *db, cJSON *details, const char *serial)
{
    static const struct {
        const char *sql;
        enum db_record table;
    } voided[] = {
        {"SELECT id FROM serial_allocations WHERE serial = ?", DB_RECORD_ALLOCATION},
        {"SELECT id FROM units WHERE serial = ?", DB_RECORD_UNIT},
    };
    for (size_t i = 0; i < sizeof voided / sizeof voided[0]; i++) {
        sqlite3_stmt *stmt;
        int rc = db_prepare(db, voided[i].sql, &stmt);
        if (rc != SDB_OK)
            return rc;
        db_bind_text(stmt, 1, serial);
        int64_t id = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
        sqlite3_finalize(stmt);
        if (id && (rc = db_record_row(db, details, voided[i].table, id)) != SDB_OK)
            return rc;
    }
    return SDB_OK;
}

static int allocation_state(struct station_db *db, const char *serial, char state[16])
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT state FROM serial_allocations WHERE serial = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, serial);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        db_column_copy(stmt, 0, state, 16);
    else if (step == SQLITE_DONE)
        rc = db_fail(db, SDB_NOT_FOUND, "serial %s was never allocated by this station; check "
                     "the label", serial);
    else
        rc = db_sql_fail(db, "looking up the serial");
    sqlite3_finalize(stmt);
    return rc;
}

int sdb_serial_void(struct station_db *db, const char *serial, const char *actor,
                    const char *reason)
{
    char now[SDB_TIME_LEN + 1], state[16];
    if (!reason || !*reason)
        return db_fail(db, SDB_REFUSED, "say why serial %s is voided (scrapped, mislabelled, "
                       "...): the audit needs a reason", serial);
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    db_now(db, now);
    rc = allocation_state(db, serial, state);
    if (rc == SDB_OK && strcmp(state, "voided") == 0)
        rc = db_fail(db, SDB_REFUSED, "serial %s is already voided", serial);
    if (rc == SDB_OK)
        rc = void_rows(db, serial, reason, now);
    if (rc == SDB_OK) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "serial", serial);
        cJSON_AddStringToObject(d, "reason", reason);
        cJSON_AddStringToObject(d, "was", state);
        rc = record_voided_rows(db, d, serial);
        if (rc == SDB_OK)
            rc = db_audit_append_locked(db, actor ? actor : "operator", "serial.void", d);
        cJSON_Delete(d);
    }
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

int sdb_serials_incomplete(struct station_db *db, cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    int rc = db_prepare(db,
        "SELECT s.serial, s.allocated_at, u.mac, s.work_order,"
        "       (SELECT count(*) FROM attempts a WHERE a.unit_id = s.unit_id) AS attempts,"
        "       (SELECT a.result FROM attempts a WHERE a.unit_id = s.unit_id"
        "        ORDER BY a.id DESC LIMIT 1) AS last_result"
        " FROM serial_allocations s LEFT JOIN units u ON u.id = s.unit_id"
        " WHERE s.state = 'allocated' ORDER BY s.id", &stmt);
    if (rc != SDB_OK)
        return rc;
    return db_collect_rows(db, stmt, "listing incomplete serials", rows);
}
