/* Schema migrations: db/migrations/NNNN_*.sql, embedded at build time and
 * applied in order at open, each in its own transaction, with the version
 * reached recorded in PRAGMA user_version. A crash half-way through an
 * upgrade therefore leaves the database at the last whole version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_migrations.h"

/* 'jigd' in ASCII: marks the file as ours so that user_version 0 on some
 * other program's database is never mistaken for "empty, please migrate". */
#define JIGD_APPLICATION_ID 0x6a696764

int sdb_latest_schema_version(void)
{
    return db_migration_count;
}

static int read_pragma_int(struct station_db *db, const char *sql, int *value)
{
    *value = 0;     /* defined on every path, so no caller reads garbage */
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, sql, &stmt);
    if (rc != SDB_OK)
        return rc;
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return db_sql_fail(db, "reading the schema version");
    }
    *value = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return SDB_OK;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Refuses files that are not ours and schemas from a newer jigd. */
static int check_identity(struct station_db *db, int version)
{
    int app_id, tables;
    int rc = read_pragma_int(db, "PRAGMA application_id", &app_id);
    if (rc == SDB_OK)
        rc = read_pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
    if (rc != SDB_OK)
        return rc;
    const char *name = base_name(db->path);
    if (app_id != 0 && app_id != JIGD_APPLICATION_ID)
        return db_fail(db, SDB_ERROR,
                       "%s belongs to another program (application id 0x%08x): check the "
                       "data_dir in jigd.conf", name, (unsigned)app_id);
    if (version == 0 && tables > 0)
        return db_fail(db, SDB_ERROR,
                       "%s already holds tables but no jigd schema version: it is not a "
                       "jigd database; check the data_dir in jigd.conf", name);
    if (version > db_migration_count)
        return db_fail(db, SDB_ERROR,
                       "%s is schema %d but this jigd knows up to %d: it was opened by a "
                       "newer jigd; upgrade jigd or restore a backup",
                       name, version, db_migration_count);
    return SDB_OK;
}

/* What a migration does besides its SQL, in its transaction. */
static int after_sql(struct station_db *db, int version)
{
    switch (version) {
    case DB_SCHEMA_ANCHORED:
        /* Anchoring starts here: the log's end so far, or a file some
         * earlier database left, is settled now, not at a later open that
         * would take a stale file for this log's anchor. */
        return db_anchor_check_locked(db);
    case DB_SCHEMA_RECORDS:
        /* Covering rows starts with a record of those already there. */
        return db_records_baseline_locked(db);
    default:
        return SDB_OK;
    }
}

static int apply_one(struct station_db *db, const struct db_migration *m)
{
    char pragma[64];
    int rc = db_exec(db, "BEGIN IMMEDIATE");
    if (rc != SDB_OK)
        return rc;
    if (sqlite3_exec(db->sql, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
        char doing[96];
        snprintf(doing, sizeof doing, "applying migration %04d_%s", m->version, m->name);
        rc = db_sql_fail(db, doing);
        db_rollback(db);
        return rc;
    }
    if ((rc = after_sql(db, m->version)) != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    /* PRAGMAs take no bound parameters; the numbers are the code's own
     * constants, never input. */
    if (m->version == 1) {
        snprintf(pragma, sizeof pragma, "PRAGMA application_id = %d", JIGD_APPLICATION_ID);
        if ((rc = db_exec(db, pragma)) != SDB_OK) {
            db_rollback(db);
            return rc;
        }
    }
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
    if ((rc = db_exec(db, pragma)) != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

int db_migrate(struct station_db *db, int target)
{
    int version;
    int rc = read_pragma_int(db, "PRAGMA user_version", &version);
    if (rc == SDB_OK)
        rc = check_identity(db, version);
    if (rc != SDB_OK)
        return rc;
    /* Before anything appends: what the anchor says is compared with the
     * log as this open found it. */
    db_anchor_load(db, version);
    if (target > db_migration_count)
        target = db_migration_count;
    for (int v = version + 1; v <= target; v++) {
        if ((rc = apply_one(db, &db_migrations[v - 1])) != SDB_OK)
            return rc;
    }
    db->schema_version = version > target ? version : target;
    return SDB_OK;
}

int sdb_migrate_file_to(const char *path, int target_version, char *err, size_t err_size)
{
    struct station_db db = {.lock_fd = -1, .path = (char *)path};
    int rc = SDB_OK;
    if (sqlite3_open_v2(path, &db.sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
        != SQLITE_OK) {
        rc = db_fail(&db, SDB_ERROR, "cannot open %s: %s", path,
                     db.sql ? sqlite3_errmsg(db.sql) : "out of memory");
    } else {
        sqlite3_extended_result_codes(db.sql, 1);
        rc = db_records_register(&db);
        if (rc == SDB_OK)
            rc = db_migrate(&db, target_version);
    }
    if (rc != SDB_OK)
        snprintf(err, err_size, "%s", db.err);
    sqlite3_close(db.sql);
    return rc;
}
