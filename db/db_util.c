/* Small helpers every file of db/ uses: errors, statements, transactions,
 * time, MAC text and rows as JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "hex.h"
#include "mac_text.h"

int db_fail(struct station_db *db, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
    db->fault = SDB_FAULT_NONE;
    return status;
}

int db_sql_fail(struct station_db *db, const char *doing)
{
    int code = sqlite3_extended_errcode(db->sql);
    int sys_errno = sqlite3_system_errno(db->sql);
    enum sdb_fault fault = db_fault_of(code, sys_errno);
    if (fault != SDB_FAULT_NONE)
        return db_storage_fail(db, doing, fault, code, sys_errno);
    int status = SDB_ERROR;
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        status = SDB_BUSY;
        break;
    case SQLITE_CONSTRAINT:
        status = (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
                     ? SDB_CONFLICT : SDB_REFUSED;
        break;
    default:
        break;
    }
    if (status == SDB_BUSY)
        return db_fail(db, status,
                       "while %s: the database stayed locked by another process past the "
                       "busy timeout; check for a stuck sqlite3 shell or a second jigd", doing);
    return db_fail(db, status, "while %s: %s", doing, sqlite3_errmsg(db->sql));
}

int db_prepare(struct station_db *db, const char *sql, sqlite3_stmt **stmt)
{
    if (sqlite3_prepare_v2(db->sql, sql, -1, stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return db_sql_fail(db, "preparing a statement");
    }
    return SDB_OK;
}

int db_exec(struct station_db *db, const char *sql)
{
    if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_sql_fail(db, sql);
    return SDB_OK;
}

int db_begin(struct station_db *db)
{
    if (db->read_only)
        return db_fail(db, SDB_REFUSED, "the database was opened read-only (reports only)");
    /* Repeated refusals counted so far go into the log before whatever is
     * written next, so it keeps its order. A failure keeps the counts for
     * later and must not stop this write. */
    if (db->refusals)
        db_refusals_close_all(db);
    return db_exec(db, "BEGIN IMMEDIATE");
}

/* After the commit, the anchor file catches up with the audit log. */
int db_commit(struct station_db *db)
{
    int rc = sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
                 ? SDB_OK : db_sql_fail(db, "committing");
    if (rc != SDB_OK)
        db_rollback(db);
    else
        db_anchor_committed(db);
    return rc;
}

/* A jig's SD card takes 5-50 ms per fsync, and jigd commits on its one
 * loop: an fsync for every phase of every slot held all slots up (the
 * station bench, --fsync-ms). A commit at synchronous=NORMAL is in the WAL
 * file when it returns, so a crashed process loses nothing; only a power cut
 * before the next FULL commit (which syncs the WAL up to there) can lose it.
 * The pragma cannot change inside a transaction: there the row simply
 * commits with its transaction. */
int db_step_progress(struct station_db *db, sqlite3_stmt *stmt, const char *doing)
{
    bool own_commit = sqlite3_get_autocommit(db->sql) != 0;
    int rc = own_commit ? db_exec(db, "PRAGMA synchronous = NORMAL") : SDB_OK;
    db->progress_commit = own_commit;   /* (its commit is timed as not durable) */
    if (rc == SDB_OK)
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, doing);
    db->progress_commit = false;
    sqlite3_finalize(stmt);
    if (own_commit) {
        /* Every other write must stay FULL: a failure here is an error. */
        int back = db_exec(db, "PRAGMA synchronous = FULL");
        if (rc == SDB_OK)
            rc = back;
    }
    return rc;
}

void db_rollback(struct station_db *db)
{
    /* Keep the first error's message: it says why we are rolling back. */
    if (!sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    db_anchor_rolled_back(db);
}

int db_finish(struct station_db *db, int rc)
{
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

static int64_t realtime_ms(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t db_now_ms(struct station_db *db)
{
    return db->clock ? db->clock(db->clock_ctx) : realtime_ms(NULL);
}

void sdb_format_time(int64_t ms, char out[SDB_TIME_LEN + 1])
{
    if (ms < 0)
        ms = 0;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char text[64];  /* roomy enough that no field can truncate; years stay 4 digits */
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec, (int)(ms % 1000));
    memcpy(out, text, SDB_TIME_LEN);
    out[SDB_TIME_LEN] = '\0';
}

void db_now(struct station_db *db, char out[SDB_TIME_LEN + 1])
{
    sdb_format_time(db_now_ms(db), out);
}

int db_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (!text)
        return sqlite3_bind_null(stmt, index);
    return sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

void db_column_copy(sqlite3_stmt *stmt, int col, char *out, size_t size)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

int db_rows_to_json(sqlite3_stmt *stmt, cJSON *rows)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        cJSON *row = cJSON_CreateObject();
        if (!row || !cJSON_AddItemToArray(rows, row))
            return SQLITE_NOMEM;
        for (int c = 0; c < sqlite3_column_count(stmt); c++) {
            const char *name = sqlite3_column_name(stmt, c);
            cJSON *v;
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER: v = cJSON_CreateNumber((double)sqlite3_column_int64(stmt, c)); break;
            case SQLITE_FLOAT: v = cJSON_CreateNumber(sqlite3_column_double(stmt, c)); break;
            case SQLITE_NULL: v = cJSON_CreateNull(); break;
            default: v = cJSON_CreateString((const char *)sqlite3_column_text(stmt, c)); break;
            }
            if (!v || !cJSON_AddItemToObject(row, name, v)) {
                cJSON_Delete(v);
                return SQLITE_NOMEM;
            }
        }
    }
    return rc;
}

_Static_assert(SDB_MAC_LEN + 1 == MAC_TEXT_SIZE, "the database's MAC text is protocol's");

void db_format_mac(const uint8_t mac[6], char out[SDB_MAC_LEN + 1])
{
    mac_text(mac, out);
}

bool db_parse_mac(const char *text, uint8_t mac[6])
{
    size_t pos = 0;
    for (int i = 0; i < 6; i++) {
        if (i > 0 && (text[pos] == ':' || text[pos] == '-'))
            pos++;
        int hi = hex_digit(text[pos]);
        int lo = hi < 0 ? -1 : hex_digit(text[pos + 1]);
        if (lo < 0)
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
        pos += 2;
    }
    return text[pos] == '\0';
}

int db_collect_rows(struct station_db *db, sqlite3_stmt *stmt, const char *doing, cJSON **rows)
{
    int rc = SDB_OK;
    *rows = cJSON_CreateArray();
    if (!*rows || db_rows_to_json(stmt, *rows) != SQLITE_DONE) {
        rc = db_sql_fail(db, doing);
        cJSON_Delete(*rows);
        *rows = NULL;
    }
    sqlite3_finalize(stmt);
    return rc;
}
