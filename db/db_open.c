/* Opening the station database: the lock that keeps a second jigd out, the
 * connection's durability settings, migrations, this run's session row and
 * the sweep of attempts a previous run left behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "db_internal.h"
#include "serial_format.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000

/* An advisory lock beside the database: the kernel drops it when the holder
 * dies, however it dies, so a crashed jigd never locks the next one out;
 * while jigd runs, a second one refuses instead of sweeping the first one's
 * live attempts as "interrupted". */
static int take_station_lock(struct station_db *db)
{
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s.lock", db->path);
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return db_fail(db, SDB_ERROR, "cannot create %s: %s; check the data_dir's permissions",
                       lock_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return db_fail(db, SDB_BUSY,
                       "%s is in use by another jigd (pid %s): stop it before starting this one",
                       db->path, pid[0] ? pid : "unknown");
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        /* The pid is only a courtesy for the message above. */
    }
    db->lock_fd = fd;
    return SDB_OK;
}

static int expect_pragma_text(struct station_db *db, const char *sql, const char *want,
                              const char *explain)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, sql, &stmt);
    if (rc != SDB_OK)
        return rc;
    rc = sqlite3_step(stmt) == SQLITE_ROW &&
                 strcmp((const char *)sqlite3_column_text(stmt, 0), want) == 0
             ? SDB_OK
             : db_fail(db, SDB_ERROR, "%s", explain);
    sqlite3_finalize(stmt);
    return rc;
}

/* WAL lets readers (jigctl audit, an engineer's shell) work while jigd
 * writes. In WAL mode synchronous=NORMAL would fsync only at checkpoints, so
 * a power cut could lose the last commits: a serial already written to a
 * board could be handed out again. FULL fsyncs the WAL at every commit. This
 * connection only ever allocates or records, so FULL applies to all of it.
 * The database file itself is never memory-mapped (mmap_size = 0, whatever
 * the library's default): a disk error under a mapped page is a SIGBUS, a
 * read() that fails is an error code. */
static int configure_connection(struct station_db *db, int busy_timeout_ms)
{
    int rc;
    sqlite3_busy_timeout(db->sql, busy_timeout_ms > 0 ? busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS);
    if ((rc = db_exec(db, "PRAGMA foreign_keys = ON")) != SDB_OK)
        return rc;
    if ((rc = db_exec(db, "PRAGMA mmap_size = 0")) != SDB_OK)
        return rc;
    if (db->read_only)
        return SDB_OK;
    rc = expect_pragma_text(db, "PRAGMA journal_mode = WAL", "wal",
                            "the database could not switch to WAL mode; keep station.db on a "
                            "local disk (not NFS) with room for its -wal and -shm files");
    if (rc == SDB_OK)
        rc = db_exec(db, "PRAGMA synchronous = FULL");
    if (rc == SDB_OK)
        rc = expect_pragma_text(db, "PRAGMA synchronous", "2",
                                "SQLite refused synchronous=FULL; serials would not be durable");
    return rc;
}

static int begin_session(struct station_db *db)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    db_now(db, now);
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    rc = db_prepare(db, "INSERT INTO sessions (station, pid, started_at) VALUES (?, ?, ?)", &stmt);
    if (rc == SDB_OK) {
        db_bind_text(stmt, 1, db->station);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)getpid());
        db_bind_text(stmt, 3, now);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "recording this run");
        sqlite3_finalize(stmt);
    }
    db->session_id = sqlite3_last_insert_rowid(db->sql);
    if (rc == SDB_OK) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "session", (double)db->session_id);
        cJSON_AddNumberToObject(d, "pid", (double)getpid());
        cJSON_AddStringToObject(d, "station", db->station);
        cJSON_AddNumberToObject(d, "schema", db->schema_version);
        rc = db_audit_append_locked(db, "jigd", "station.start", d);
        cJSON_Delete(d);
    }
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

static int check_schema_for_reading(struct station_db *db)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "PRAGMA user_version", &stmt);
    if (rc != SDB_OK)
        return rc;
    db->schema_version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    if (db->schema_version > sdb_latest_schema_version())
        return db_fail(db, SDB_ERROR,
                       "%s is schema %d but this program knows up to %d: it was written by a "
                       "newer jigd; upgrade jigctl", db->path, db->schema_version,
                       sdb_latest_schema_version());
    if (db->schema_version < sdb_latest_schema_version())
        return db_fail(db, SDB_ERROR,
                       "%s is schema %d, older than this program's %d: start jigd once to "
                       "upgrade it", db->path, db->schema_version, sdb_latest_schema_version());
    return SDB_OK;
}

/* A tool writing beside jigd (jigctl token) takes none of the station's
 * steps: jigd holds the lock, migrates, and owns its session and attempts.
 * It writes only to a database jigd made, at the schema it knows: never one
 * it would create (as root, a file jigd could not open) or upgrade behind
 * jigd's back. Its appends to the audit log start from the anchor as the
 * file has it now. */
static int open_beside_jigd(struct station_db *db)
{
    int rc = check_schema_for_reading(db);
    if (rc == SDB_OK)
        db_anchor_load(db, db->schema_version);
    return rc;
}

static int open_flags(const struct station_db *db)
{
    if (db->read_only)
        return SQLITE_OPEN_READONLY;
    if (db->beside_jigd)
        return SQLITE_OPEN_READWRITE;
    return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
}

static int open_steps(struct station_db *db, const struct sdb_options *opt)
{
    int flags = open_flags(db);
    int rc;
    if (!db->read_only && !db->beside_jigd && (rc = take_station_lock(db)) != SDB_OK)
        return rc;
    const char *vfs = db_shm_guard_vfs();
    if (!vfs)
        return db_fail(db, SDB_ERROR, "out of memory opening %s", db->path);
    if (sqlite3_open_v2(db->path, &db->sql, flags, vfs) != SQLITE_OK)
        return db_fail(db, SDB_ERROR, "cannot open %s: %s; check that the file exists and "
                       "jigd may read and write its folder", db->path,
                       db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
    sqlite3_extended_result_codes(db->sql, 1);
    if ((rc = db_records_register(db)) != SDB_OK)
        return rc;
    if ((rc = configure_connection(db, opt->busy_timeout_ms)) != SDB_OK)
        return rc;
    if (db->read_only)
        return check_schema_for_reading(db);
    if (db->beside_jigd)
        return open_beside_jigd(db);
    if ((rc = db_migrate(db, sdb_latest_schema_version())) != SDB_OK)
        return rc;
    if ((rc = begin_session(db)) != SDB_OK)
        return rc;
    return db_sweep_interrupted(db);
}

int sdb_open(const char *path, const struct sdb_options *opt, struct station_db **out,
             char *err, size_t err_size)
{
    static const struct sdb_options defaults;
    if (!opt)
        opt = &defaults;
    *out = NULL;
    const char *station = opt->station ? opt->station : "station";
    if (!serial_station_valid(station)) {
        snprintf(err, err_size, "station name '%.40s' must be 1 to %d letters, digits, - _ or .",
                 station, SDB_STATION_MAX);
        return SDB_REFUSED;
    }
    struct station_db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        snprintf(err, err_size, "out of memory opening %s", path);
        return SDB_ERROR;
    }
    db->lock_fd = -1;
    db->read_only = opt->read_only;
    db->beside_jigd = opt->beside_jigd && !opt->read_only;
    db->clock = opt->clock;
    db->clock_ctx = opt->clock_ctx;
    snprintf(db->station, sizeof db->station, "%s", station);
    for (size_t i = 0; i < opt->n_webhooks && i < SDB_WEBHOOKS_MAX; i++) {
        snprintf(db->hooks[i].name, sizeof db->hooks[i].name, "%s", opt->webhooks[i].name);
        db->hooks[i].events = opt->webhooks[i].events;
        db->n_hooks++;
    }
    int rc = open_steps(db, opt);
    if (rc != SDB_OK) {
        snprintf(err, err_size, "%s", db->err);
        sdb_close(db);
        return rc;
    }
    *out = db;
    return SDB_OK;
}

static void end_session(struct station_db *db)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    db_now(db, now);
    if (db_prepare(db, "UPDATE sessions SET ended_at = ?, end_reason = 'closed' WHERE id = ?",
                   &stmt) != SDB_OK)
        return;
    db_bind_text(stmt, 1, now);
    sqlite3_bind_int64(stmt, 2, db->session_id);
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
}

void sdb_close(struct station_db *db)
{
    if (!db)
        return;
    if (db->sql && !db->read_only)
        db_refusals_close_all(db);
    db_refusals_free(db);
    if (db->sql && db->session_id)
        end_session(db);
    db_anchor_close(db);
    sqlite3_close(db->sql);
    if (db->lock_fd >= 0)
        close(db->lock_fd);     /* releases the flock */
    free(db->path);
    free(db);
}

const char *sdb_errmsg(const struct station_db *db)
{
    return db ? db->err : "no database";
}

int sdb_schema_version(const struct station_db *db)
{
    return db->schema_version;
}

int sdb_interrupted_at_open(const struct station_db *db)
{
    return db->swept;
}

struct sqlite3 *sdb_sqlite(struct station_db *db)
{
    return db->sql;
}
