/* Reports for jigctl audit and the REST API. Each is one query over the
 * tables or the views of migration 0005, returned as cJSON rows so the
 * caller can print, serve or export them (report_export.c) unchanged. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

/* Normalises a time bound to the stored form so text comparison is right
 * ("2026-11-23" becomes "2026-11-23T00:00:00.000Z"); NULL stays NULL. */
static int normalize_time(struct station_db *db, const char *in, char out[SDB_TIME_LEN + 1],
                          const char **result)
{
    sqlite3_stmt *stmt;
    *result = NULL;
    if (!in)
        return SDB_OK;
    int rc = db_prepare(db, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, in);
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
        db_column_copy(stmt, 0, out, SDB_TIME_LEN + 1);
        *result = out;
    } else {
        rc = db_fail(db, SDB_REFUSED, "'%.40s' is not a time: write 2026-11-23 or "
                     "2026-11-23T10:00:00Z (UTC)", in);
    }
    sqlite3_finalize(stmt);
    return rc;
}

struct time_range {
    char from_buf[SDB_TIME_LEN + 1], to_buf[SDB_TIME_LEN + 1];
    const char *from, *to;
};

static int read_range(struct station_db *db, const char *from, const char *to,
                      struct time_range *r)
{
    int rc = normalize_time(db, from, r->from_buf, &r->from);
    if (rc == SDB_OK)
        rc = normalize_time(db, to, r->to_buf, &r->to);
    return rc;
}

static int rows_for_id(struct station_db *db, const char *sql, int64_t id, cJSON **rows)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, sql, &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    return db_collect_rows(db, stmt, "reading a unit's history", rows);
}

/* ---- one unit ------------------------------------------------------------ */

static int attach_rows(struct station_db *db, cJSON *obj, const char *key, const char *sql,
                       int64_t id)
{
    cJSON *rows;
    int rc = rows_for_id(db, sql, id, &rows);
    if (rc == SDB_OK)
        cJSON_AddItemToObject(obj, key, rows);
    return rc;
}

static int attempt_details(struct station_db *db, cJSON *attempts)
{
    cJSON *a;
    int rc = SDB_OK;
    cJSON_ArrayForEach(a, attempts) {
        int64_t id = (int64_t)cJSON_GetObjectItem(a, "id")->valuedouble;
        if (rc == SDB_OK)
            rc = attach_rows(db, a, "phases", "SELECT seq, phase, started_at, duration_ms, bytes"
                             " FROM attempt_phases WHERE attempt_id = ? ORDER BY seq", id);
        if (rc == SDB_OK)
            rc = attach_rows(db, a, "parts", "SELECT name, flash_offset, size, sha256, per_unit"
                             " FROM attempt_parts WHERE attempt_id = ? ORDER BY flash_offset", id);
    }
    return rc;
}

/* unit → {unit, allocation, attempts, board_codes, certificates, events} */
static int unit_history(struct station_db *db, cJSON *unit, cJSON **out)
{
    int64_t id = (int64_t)cJSON_GetObjectItem(unit, "id")->valuedouble;
    cJSON *h = cJSON_CreateObject(), *rows;
    cJSON_AddItemToObject(h, "unit", cJSON_Duplicate(unit, 1));
    int rc = rows_for_id(db, "SELECT serial, scope, seq, work_order, state, allocated_at,"
                             " completed_at, voided_at, void_reason FROM serial_allocations"
                             " WHERE unit_id = ?", id, &rows);
    if (rc == SDB_OK) {
        cJSON *first = cJSON_DetachItemFromArray(rows, 0);
        cJSON_AddItemToObject(h, "allocation", first ? first : cJSON_CreateNull());
        cJSON_Delete(rows);
        rc = rows_for_id(db, "SELECT id, started_at, ended_at, station, slot, adapter_id,"
                             " adapter_port, bundle_id, work_order, chip, revision, flash_id,"
                             " result, failed_phase, cause, bytes_written FROM attempts"
                             " WHERE unit_id = ? ORDER BY id", id, &rows);
    }
    if (rc == SDB_OK) {
        cJSON_AddItemToObject(h, "attempts", rows);
        rc = attempt_details(db, rows);
    }
    if (rc == SDB_OK)
        rc = attach_rows(db, h, "board_codes", "SELECT code, slot, attempt_id, bound_at, bound_by"
                         " FROM board_codes WHERE unit_id = ? ORDER BY id", id);
    if (rc == SDB_OK)
        rc = attach_rows(db, h, "certificates", "SELECT fingerprint_sha256, subject, not_before,"
                         " not_after, created_at, pem FROM certificates WHERE unit_id = ?"
                         " ORDER BY id", id);
    if (rc == SDB_OK)
        rc = attach_rows(db, h, "events", "SELECT e.id, e.at, e.actor, e.action, e.details"
                         " FROM audit_events e, units u WHERE u.id = ?"
                         " AND json_extract(e.details, '$.serial') = u.serial ORDER BY e.id", id);
    if (rc != SDB_OK) {
        cJSON_Delete(h);
        return rc;
    }
    *out = h;
    return SDB_OK;
}

int sdb_report_unit(struct station_db *db, const char *serial_or_mac, cJSON **out)
{
    uint8_t mac[6];
    char mac_text[SDB_MAC_LEN + 1] = "";
    sqlite3_stmt *stmt;
    cJSON *units, *unit;
    *out = NULL;
    if (db_parse_mac(serial_or_mac, mac))
        db_format_mac(mac, mac_text);
    int rc = db_prepare(db, "SELECT id, serial, mac, chip, revision, flash_id, flash_size,"
                            " first_seen, last_seen, voided, voided_at, void_reason FROM units"
                            " WHERE serial = ?1 OR mac = ?2 OR id IN"
                            " (SELECT unit_id FROM board_codes WHERE code = ?1) ORDER BY id",
                            &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, serial_or_mac);
    db_bind_text(stmt, 2, mac_text);
    if ((rc = db_collect_rows(db, stmt, "finding the unit", &units)) != SDB_OK)
        return rc;
    if (cJSON_GetArraySize(units) == 0) {
        cJSON_Delete(units);
        return db_fail(db, SDB_NOT_FOUND, "no unit has serial, MAC or board code '%.64s'",
                       serial_or_mac);
    }
    *out = cJSON_CreateArray();
    cJSON_ArrayForEach(unit, units) {
        cJSON *h = NULL;
        if (rc == SDB_OK && (rc = unit_history(db, unit, &h)) == SDB_OK)
            cJSON_AddItemToArray(*out, h);
    }
    cJSON_Delete(units);
    if (rc != SDB_OK) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- attempts, throughput, yield, failures -------------------------------- */

/* ?7 a serial, MAC or board code, ?8 the cursor (0 = none), ?9 newest first, ?10 the
 * failed phase. */
#define ATTEMPTS_SQL \
    "SELECT l.*, (SELECT group_concat(phase || ':' || duration_ms, ' ') FROM" \
    "  (SELECT phase, duration_ms FROM attempt_phases p WHERE p.attempt_id = l.attempt_id" \
    "   ORDER BY seq)) AS phase_ms" \
    " FROM attempt_log l" \
    " WHERE (?1 IS NULL OR l.started_at >= ?1) AND (?2 IS NULL OR l.started_at < ?2)" \
    "   AND (?3 < 0 OR l.slot = ?3) AND (?4 IS NULL OR l.result = ?4)" \
    "   AND (?5 IS NULL OR l.work_order = ?5)" \
    "   AND (?7 IS NULL OR l.serial = ?7 OR l.mac = lower(?7) OR EXISTS" \
    "        (SELECT 1 FROM board_codes c JOIN attempts b ON b.unit_id = c.unit_id" \
    "         WHERE b.id = l.attempt_id AND c.code = ?7))" \
    "   AND (?8 = 0 OR (?9 AND l.attempt_id < ?8) OR (NOT ?9 AND l.attempt_id > ?8))" \
    "   AND (?10 IS NULL OR l.failed_phase = ?10)"

static bool valid_result(const char *r)
{
    return !r || !strcmp(r, "ok") || !strcmp(r, "failed") || !strcmp(r, "interrupted") ||
           !strcmp(r, "running");
}

int sdb_report_attempts(struct station_db *db, const struct sdb_attempt_filter *f,
                        cJSON **rows)
{
    struct time_range r;
    sqlite3_stmt *stmt;
    *rows = NULL;
    if (!valid_result(f->result))
        return db_fail(db, SDB_REFUSED, "result '%.20s' is not one of ok, failed, "
                       "interrupted, running", f->result);
    int rc = read_range(db, f->from, f->to, &r);
    if (rc == SDB_OK)
        rc = db_prepare(db, f->newest_first ? ATTEMPTS_SQL " ORDER BY l.attempt_id DESC LIMIT ?6"
                                            : ATTEMPTS_SQL " ORDER BY l.attempt_id LIMIT ?6", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, r.from);
    db_bind_text(stmt, 2, r.to);
    sqlite3_bind_int(stmt, 3, f->slot);
    db_bind_text(stmt, 4, f->result);
    db_bind_text(stmt, 5, f->work_order);
    sqlite3_bind_int64(stmt, 6, f->limit > 0 ? f->limit : -1);
    db_bind_text(stmt, 7, f->unit);
    sqlite3_bind_int64(stmt, 8, f->cursor);
    sqlite3_bind_int(stmt, 9, f->newest_first);
    db_bind_text(stmt, 10, f->phase);
    return db_collect_rows(db, stmt, "listing attempts", rows);
}

#define UNITS_SQL \
    "SELECT u.id AS unit_id, u.serial, u.mac, u.chip, u.revision, u.first_seen, u.last_seen," \
    " u.voided, s.work_order, s.state," \
    " (SELECT group_concat(c.code, ' ') FROM (SELECT code FROM board_codes b" \
    "   WHERE b.unit_id = u.id ORDER BY b.id) c) AS board_code," \
    " (SELECT count(*) FROM attempts a WHERE a.unit_id = u.id) AS attempts," \
    " (SELECT a.result FROM attempts a WHERE a.unit_id = u.id AND a.result <> 'running'" \
    "   ORDER BY a.id DESC LIMIT 1) AS last_result" \
    " FROM units u LEFT JOIN serial_allocations s ON s.serial = u.serial" \
    " WHERE (?1 IS NULL OR u.first_seen >= ?1) AND (?2 IS NULL OR u.first_seen < ?2)" \
    "   AND (?3 IS NULL OR s.work_order = ?3) AND (?4 IS NULL OR s.state = ?4)" \
    "   AND (?5 = 0 OR (?6 AND u.id < ?5) OR (NOT ?6 AND u.id > ?5))"

int sdb_report_units(struct station_db *db, const struct sdb_unit_filter *f, cJSON **rows)
{
    struct time_range r;
    sqlite3_stmt *stmt;
    *rows = NULL;
    if (f->state && strcmp(f->state, "allocated") && strcmp(f->state, "completed")
        && strcmp(f->state, "voided"))
        return db_fail(db, SDB_REFUSED, "state '%.20s' is not one of allocated, completed, "
                       "voided", f->state);
    int rc = read_range(db, f->from, f->to, &r);
    if (rc == SDB_OK)
        rc = db_prepare(db, f->newest_first ? UNITS_SQL " ORDER BY u.id DESC LIMIT ?7"
                                            : UNITS_SQL " ORDER BY u.id LIMIT ?7", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, r.from);
    db_bind_text(stmt, 2, r.to);
    db_bind_text(stmt, 3, f->work_order);
    db_bind_text(stmt, 4, f->state);
    sqlite3_bind_int64(stmt, 5, f->cursor);
    sqlite3_bind_int(stmt, 6, f->newest_first);
    sqlite3_bind_int64(stmt, 7, f->limit > 0 ? f->limit : -1);
    return db_collect_rows(db, stmt, "listing units", rows);
}

/* Prepares sql and binds ?1 from, ?2 to. */
static int prepare_ranged(struct station_db *db, const char *sql, const char *from,
                          const char *to, sqlite3_stmt **stmt)
{
    struct time_range r;
    int rc = read_range(db, from, to, &r);
    if (rc == SDB_OK)
        rc = db_prepare(db, sql, stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(*stmt, 1, r.from);
    db_bind_text(*stmt, 2, r.to);
    return SDB_OK;
}

int sdb_report_units_per_hour(struct station_db *db, const char *from, const char *to,
                              cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    int rc = prepare_ranged(db,
        "SELECT substr(ended_at, 1, 13) || ':00Z' AS hour, count(DISTINCT unit_id) AS units"
        " FROM attempts WHERE result = 'ok'"
        "   AND (?1 IS NULL OR ended_at >= ?1) AND (?2 IS NULL OR ended_at < ?2)"
        " GROUP BY hour ORDER BY hour", from, to, &stmt);
    return rc == SDB_OK ? db_collect_rows(db, stmt, "counting units per hour", rows) : rc;
}

#define FIRST_ATTEMPTS_IN_RANGE \
    " FROM first_attempts WHERE (?1 IS NULL OR started_at >= ?1)" \
    " AND (?2 IS NULL OR started_at < ?2)"

int sdb_report_first_pass_yield(struct station_db *db, const char *from, const char *to,
                                struct sdb_yield *total, cJSON **per_day)
{
    sqlite3_stmt *stmt;
    memset(total, 0, sizeof *total);
    if (per_day)
        *per_day = NULL;
    int rc = prepare_ranged(db, "SELECT count(*), coalesce(sum(result = 'ok'), 0)"
                            FIRST_ATTEMPTS_IN_RANGE, from, to, &stmt);
    if (rc != SDB_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        total->units = sqlite3_column_int64(stmt, 0);
        total->first_pass = sqlite3_column_int64(stmt, 1);
        total->percent = total->units ? 100.0 * (double)total->first_pass / (double)total->units : 0;
    } else {
        rc = db_sql_fail(db, "computing first-pass yield");
    }
    sqlite3_finalize(stmt);
    if (rc != SDB_OK || !per_day)
        return rc;
    rc = prepare_ranged(db, "SELECT substr(started_at, 1, 10) AS day, count(*) AS units,"
                        " sum(result = 'ok') AS first_pass,"
                        " round(100.0 * sum(result = 'ok') / count(*), 2) AS percent"
                        FIRST_ATTEMPTS_IN_RANGE " GROUP BY day ORDER BY day", from, to, &stmt);
    return rc == SDB_OK ? db_collect_rows(db, stmt, "computing first-pass yield per day", per_day) : rc;
}

int sdb_report_failure_pareto(struct station_db *db, const char *from, const char *to,
                              bool by_cause, cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    /* Interrupted attempts are the station's fault, not the boards': left out. */
    int rc = prepare_ranged(db,
        "WITH f AS (SELECT coalesce(failed_phase, '') AS phase,"
        "                  CASE WHEN ?3 THEN cause END AS cause, count(*) AS failures"
        "           FROM attempts WHERE result = 'failed'"
        "             AND (?1 IS NULL OR started_at >= ?1) AND (?2 IS NULL OR started_at < ?2)"
        "           GROUP BY 1, 2)"
        " SELECT phase, cause, failures,"
        "        round(100.0 * failures / sum(failures) OVER (), 1) AS percent,"
        "        round(100.0 * sum(failures) OVER (ORDER BY failures DESC, phase, cause"
        "              ROWS UNBOUNDED PRECEDING) / sum(failures) OVER (), 1) AS cumulative_percent"
        " FROM f ORDER BY failures DESC, phase, cause", from, to, &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int(stmt, 3, by_cause);
    return db_collect_rows(db, stmt, "building the failure Pareto", rows);
}

int sdb_report_duplicate_macs(struct station_db *db, cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    int rc = db_prepare(db,
        "WITH serials AS (SELECT mac, group_concat(s, ', ') AS serials FROM"
        "   (SELECT mac, serial || CASE WHEN voided THEN ' (voided)' ELSE '' END AS s"
        "    FROM units ORDER BY id) GROUP BY mac),"
        " suspects AS ("
        "   SELECT mac, 'serial voided and reissued: one board, or two sharing a MAC' AS reason"
        "   FROM units GROUP BY mac HAVING count(*) > 1"
        "   UNION ALL"
        "   SELECT u.mac, 'attempts saw different chips or flash behind one MAC'"
        "   FROM attempts a JOIN units u ON u.id = a.unit_id GROUP BY u.mac"
        "   HAVING count(DISTINCT coalesce(a.chip, '') || '/' || coalesce(a.revision, '') || '/'"
        "                         || coalesce(a.flash_id, '')) > 1"
        "   UNION ALL"
        "   SELECT DISTINCT u.mac, 'one MAC was in two slots at the same time'"
        "   FROM attempts a JOIN attempts b ON b.unit_id = a.unit_id AND b.id > a.id"
        "    AND b.slot <> a.slot AND b.started_at < coalesce(a.ended_at, '9999')"
        "    AND a.started_at < coalesce(b.ended_at, '9999')"
        "   JOIN units u ON u.id = a.unit_id)"
        " SELECT s.mac, s.reason, m.serials FROM suspects s JOIN serials m ON m.mac = s.mac"
        " ORDER BY s.mac, s.reason", &stmt);
    return rc == SDB_OK ? db_collect_rows(db, stmt, "looking for duplicate MACs", rows) : rc;
}
