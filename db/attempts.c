/* Attempts: one row per time a board sat in a slot and the station tried to
 * flash it, with its phases and the parts written; and the sweep at open
 * that closes attempts a previous run left running. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

#define INTERRUPTED_CAUSE \
    "jigd stopped (crash, kill or power cut) while this attempt ran; the board may be " \
    "half-written: flash it again"

int sdb_attempt_begin(struct station_db *db, const struct sdb_attempt_start *s,
                      int64_t *attempt_id)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    if (s->slot < 0)
        return db_fail(db, SDB_REFUSED, "slot numbers start at 0 (got %d)", s->slot);
    db_now(db, now);
    int rc = db_prepare(db, "INSERT INTO attempts (session_id, station, slot, adapter_id,"
                            " adapter_port, bundle_id, work_order, started_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, db->session_id);
    db_bind_text(stmt, 2, db->station);
    sqlite3_bind_int(stmt, 3, s->slot);
    db_bind_text(stmt, 4, s->adapter_id);
    db_bind_text(stmt, 5, s->adapter_port);
    if (s->bundle_id > 0)
        sqlite3_bind_int64(stmt, 6, s->bundle_id);
    db_bind_text(stmt, 7, s->work_order);
    db_bind_text(stmt, 8, now);
    if (sqlite3_step(stmt) == SQLITE_DONE)
        *attempt_id = sqlite3_last_insert_rowid(db->sql);
    else
        rc = db_sql_fail(db, "recording the start of an attempt");
    sqlite3_finalize(stmt);
    return rc;
}

/* Runs a one-shot write that must change exactly one running attempt. */
static int update_running(struct station_db *db, sqlite3_stmt *stmt, int64_t attempt_id,
                          const char *doing)
{
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, doing);
    sqlite3_finalize(stmt);
    if (rc == SDB_OK && sqlite3_changes(db->sql) != 1)
        rc = db_fail(db, SDB_NOT_FOUND, "attempt %lld is not running (unknown, or already "
                     "ended)", (long long)attempt_id);
    return rc;
}

int sdb_attempt_set_unit(struct station_db *db, int64_t attempt_id, int64_t unit_id)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "UPDATE attempts SET unit_id = u.id, chip = u.chip,"
                            " revision = u.revision, flash_id = u.flash_id"
                            " FROM (SELECT * FROM units WHERE id = ?2) AS u"
                            " WHERE attempts.id = ?1 AND attempts.result = 'running'", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    sqlite3_bind_int64(stmt, 2, unit_id);
    rc = update_running(db, stmt, attempt_id, "tying the attempt to its unit");
    if (rc == SDB_NOT_FOUND)
        rc = db_fail(db, rc, "attempt %lld is not running, or unit %lld does not exist",
                     (long long)attempt_id, (long long)unit_id);
    return rc;
}

int sdb_attempt_phase(struct station_db *db, int64_t attempt_id, const char *phase,
                      int64_t started_ms, int64_t duration_ms, uint64_t bytes)
{
    char started[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    if (!phase || !*phase || duration_ms < 0)
        return db_fail(db, SDB_REFUSED, "a phase needs a name and a duration >= 0");
    sdb_format_time(started_ms, started);
    int rc = db_prepare(db, "INSERT INTO attempt_phases (attempt_id, seq, phase, started_at,"
                            " duration_ms, bytes) SELECT ?1, coalesce(max(seq), 0) + 1, ?2, ?3,"
                            " ?4, ?5 FROM attempt_phases WHERE attempt_id = ?1", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    db_bind_text(stmt, 2, phase);
    db_bind_text(stmt, 3, started);
    sqlite3_bind_int64(stmt, 4, duration_ms);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)bytes);
    return db_step_progress(db, stmt, "recording a phase");
}

int sdb_attempt_part(struct station_db *db, int64_t attempt_id, const char *name,
                     uint32_t flash_offset, uint32_t size, const char *sha256, bool per_unit)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "INSERT INTO attempt_parts (attempt_id, name, flash_offset, size,"
                            " sha256, per_unit) VALUES (?, ?, ?, ?, lower(?), ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    db_bind_text(stmt, 2, name);
    sqlite3_bind_int64(stmt, 3, flash_offset);
    sqlite3_bind_int64(stmt, 4, size);
    db_bind_text(stmt, 5, sha256);
    sqlite3_bind_int(stmt, 6, per_unit);
    return db_step_progress(db, stmt, "recording a part");
}

/* Runs a statement on ?1 = attempt id (and ?2 = now, when it uses it) that
 * may change nothing. */
static int run_with_id(struct station_db *db, const char *sql, int64_t attempt_id,
                       const char *now)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, sql, &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    if (sqlite3_bind_parameter_count(stmt) >= 2)
        db_bind_text(stmt, 2, now);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "counting the attempt");
    sqlite3_finalize(stmt);
    return rc;
}

/* The serial becomes completed the first time its unit passes; only then
 * does its work order count one more done. */
static int count_success(struct station_db *db, int64_t attempt_id, const char *now)
{
    int rc = run_with_id(db,
        "UPDATE work_orders SET done = done + 1 WHERE id = (SELECT s.work_order"
        " FROM serial_allocations s JOIN attempts a ON a.unit_id = s.unit_id"
        " WHERE a.id = ?1 AND s.state = 'allocated')", attempt_id, now);
    if (rc == SDB_OK)
        rc = run_with_id(db,
            "UPDATE serial_allocations SET state = 'completed', completed_at = ?2"
            " WHERE state = 'allocated' AND unit_id = (SELECT unit_id FROM attempts WHERE id = ?1)",
            attempt_id, now);
    return rc;
}

static int count_failure(struct station_db *db, int64_t attempt_id)
{
    return run_with_id(db, "UPDATE work_orders SET failed = failed + 1"
                           " WHERE id = (SELECT work_order FROM attempts WHERE id = ?1)",
                       attempt_id, NULL);
}

/* Checks the attempt is running and, for a pass, that it has a unit. */
static int check_can_end(struct station_db *db, int64_t attempt_id, bool ok)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT unit_id FROM attempts WHERE id = ? AND result = 'running'",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_DONE)
        rc = db_fail(db, SDB_NOT_FOUND, "attempt %lld is not running (unknown, or already "
                     "ended)", (long long)attempt_id);
    else if (step != SQLITE_ROW)
        rc = db_sql_fail(db, "reading the attempt");
    else if (ok && sqlite3_column_type(stmt, 0) == SQLITE_NULL)
        rc = db_fail(db, SDB_REFUSED, "attempt %lld cannot end ok: it never identified a "
                     "unit (call sdb_attempt_set_unit first)", (long long)attempt_id);
    sqlite3_finalize(stmt);
    return rc;
}

/* The unit's serial and its allocation's id (0 when it has none). */
static int attempt_serial(struct station_db *db, int64_t attempt_id,
                          char serial[SDB_SERIAL_MAX + 1], int64_t *allocation_id)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT s.serial, s.id FROM attempts a JOIN serial_allocations s"
                            " ON s.unit_id = a.unit_id WHERE a.id = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    serial[0] = '\0';
    *allocation_id = 0;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        db_column_copy(stmt, 0, serial, SDB_SERIAL_MAX + 1);
        *allocation_id = sqlite3_column_int64(stmt, 1);
    } else if (step != SQLITE_DONE) {
        rc = db_sql_fail(db, "reading the attempt's serial");
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* The end is on record: the attempt as it ended and, for a pass, the
 * serial it completed. */
static int record_end(struct station_db *db, int64_t attempt_id, const char *result)
{
    char serial[SDB_SERIAL_MAX + 1];
    int64_t allocation_id;
    int rc = attempt_serial(db, attempt_id, serial, &allocation_id);
    if (rc != SDB_OK)
        return rc;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "attempt", (double)attempt_id);
    if (serial[0])
        cJSON_AddStringToObject(d, "serial", serial);
    cJSON_AddStringToObject(d, "result", result);
    rc = db_record_row(db, d, DB_RECORD_ATTEMPT, attempt_id);
    if (rc == SDB_OK && allocation_id && !strcmp(result, "ok"))
        rc = db_record_row(db, d, DB_RECORD_ALLOCATION, allocation_id);
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, "jigd", "attempt.end", d);
    cJSON_Delete(d);
    return rc == SDB_OK ? db_outbox_unit_result_locked(db, attempt_id) : rc;
}

/* result: "ok", "failed" or "interrupted" (jigd stopped: not the board's
 * failure, so no work order counts it). */
static int end_locked(struct station_db *db, int64_t attempt_id, const char *result,
                      const char *failed_phase, const char *cause, uint64_t bytes,
                      const char *now)
{
    sqlite3_stmt *stmt;
    bool ok = !strcmp(result, "ok");
    int rc = check_can_end(db, attempt_id, ok);
    if (rc == SDB_OK)
        rc = db_prepare(db, "UPDATE attempts SET result = ?2, ended_at = ?3, failed_phase = ?4,"
                            " cause = ?5, bytes_written = ?6 WHERE id = ?1 AND result = 'running'",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    db_bind_text(stmt, 2, result);
    db_bind_text(stmt, 3, now);
    db_bind_text(stmt, 4, ok ? NULL : failed_phase);
    db_bind_text(stmt, 5, ok ? NULL : cause);
    sqlite3_bind_int64(stmt, 6, (sqlite3_int64)bytes);
    rc = update_running(db, stmt, attempt_id, "recording the end of the attempt");
    if (rc != SDB_OK)
        return rc;
    if (ok)
        rc = count_success(db, attempt_id, now);
    else if (!strcmp(result, "failed"))
        rc = count_failure(db, attempt_id);
    if (rc == SDB_OK)
        rc = record_end(db, attempt_id, result);
    /* A receiver hears of the unit before the work order it completed. */
    return rc == SDB_OK && ok ? db_outbox_work_order_done_locked(db, attempt_id) : rc;
}

static int end_attempt(struct station_db *db, int64_t attempt_id, const char *result,
                       const char *failed_phase, const char *cause, uint64_t bytes_written)
{
    char now[SDB_TIME_LEN + 1];
    bool ok = !strcmp(result, "ok");
    if (!ok && (!failed_phase || !*failed_phase || !cause || !*cause))
        return db_fail(db, SDB_REFUSED, "a failed attempt needs the phase that failed and a "
                       "cause the operator can act on");
    db_now(db, now);
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    rc = end_locked(db, attempt_id, result, failed_phase, cause, bytes_written, now);
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

int sdb_attempt_end(struct station_db *db, int64_t attempt_id, bool ok,
                    const char *failed_phase, const char *cause, uint64_t bytes_written)
{
    return end_attempt(db, attempt_id, ok ? "ok" : "failed", failed_phase, cause,
                       bytes_written);
}

int sdb_attempt_interrupt(struct station_db *db, int64_t attempt_id, const char *phase,
                          const char *cause, uint64_t bytes_written)
{
    return end_attempt(db, attempt_id, "interrupted", phase, cause, bytes_written);
}

/* ---- the sweep at open ---------------------------------------------------- */

static int interrupt_one(struct station_db *db, const cJSON *row, const char *now)
{
    int64_t id = (int64_t)cJSON_GetObjectItem(row, "id")->valuedouble;
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "UPDATE attempts SET result = 'interrupted', ended_at = ?2,"
                            " cause = ?3, failed_phase = (SELECT phase FROM attempt_phases"
                            "  WHERE attempt_id = ?1 ORDER BY seq DESC LIMIT 1)"
                            " WHERE id = ?1", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    db_bind_text(stmt, 2, now);
    db_bind_text(stmt, 3, INTERRUPTED_CAUSE);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "closing an interrupted attempt");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    /* The event carries the row as it was found (id, slot, session, start,
     * serial) and, in its record, as it is now. */
    cJSON *d = cJSON_Duplicate(row, true);
    rc = d ? db_record_row(db, d, DB_RECORD_ATTEMPT, id) : db_fail(db, SDB_ERROR, "out of memory");
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, "jigd", "attempt.interrupted", d);
    cJSON_Delete(d);
    if (rc == SDB_OK)
        rc = db_outbox_unit_result_locked(db, id);
    db->swept += rc == SDB_OK;
    return rc;
}

/* The attempts to close, read in full before any is changed. */
static int running_attempts(struct station_db *db, cJSON **rows)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT a.id, a.slot, a.session_id AS session, a.started_at,"
                            " u.serial FROM attempts a LEFT JOIN units u ON u.id = a.unit_id"
                            " WHERE a.result = 'running' AND a.session_id <> ? ORDER BY a.id",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, db->session_id);
    return db_collect_rows(db, stmt, "finding interrupted attempts", rows);
}

static int close_dead_sessions(struct station_db *db, const char *now)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "UPDATE sessions SET ended_at = ?1, end_reason = 'interrupted'"
                            " WHERE ended_at IS NULL AND id <> ?2", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, now);
    sqlite3_bind_int64(stmt, 2, db->session_id);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "closing old sessions");
    sqlite3_finalize(stmt);
    return rc;
}

/* Safe because the station lock guarantees no other jigd is alive: anything
 * still running belongs to a process that died. */
int db_sweep_interrupted(struct station_db *db)
{
    char now[SDB_TIME_LEN + 1];
    cJSON *rows = NULL, *row;
    db_now(db, now);
    int rc = db_begin(db);
    if (rc == SDB_OK)
        rc = running_attempts(db, &rows);
    cJSON_ArrayForEach(row, rows) {
        if (rc == SDB_OK)
            rc = interrupt_one(db, row, now);
    }
    cJSON_Delete(rows);
    if (rc == SDB_OK)
        rc = close_dead_sessions(db, now);
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}
