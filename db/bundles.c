/* Bundles: which firmware a station wrote, named by its manifest's hash. */
#include "db_internal.h"

/* The bundle's id if it is registered: SDB_OK, SDB_NOT_FOUND (no message
 * set: not an error to the caller), or the failure. */
static int find_bundle(struct station_db *db, const char *manifest_sha256, int64_t *id)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT id FROM bundles WHERE manifest_sha256 = lower(?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, manifest_sha256);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(stmt, 0);
    else
        rc = step == SQLITE_DONE ? SDB_NOT_FOUND : db_sql_fail(db, "looking the bundle up");
    sqlite3_finalize(stmt);
    return rc;
}

/* Every attempt registers its bundle, and all but the first find it there:
 * they read only, so they cost no commit (an fsync, on a jig's SD card). */
int sdb_bundle_register(struct station_db *db, const char *name, const char *version,
                        const char *manifest_sha256, int64_t *id)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    int rc = find_bundle(db, manifest_sha256, id);
    if (rc != SDB_NOT_FOUND)
        return rc;
    db_now(db, now);
    /* Another process may have registered it since: the no-op update makes
     * RETURNING yield the existing row's id then too. */
    rc = db_prepare(db, "INSERT INTO bundles (name, version, manifest_sha256, registered_at)"
                        " VALUES (?, ?, lower(?), ?) ON CONFLICT (manifest_sha256)"
                        " DO UPDATE SET name = name RETURNING id", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, name);
    db_bind_text(stmt, 2, version);
    db_bind_text(stmt, 3, manifest_sha256);
    db_bind_text(stmt, 4, now);
    /* The row comes back before the statement commits: only SQLITE_DONE
     * says the bundle is on disk (a full disk fails the commit, not the row). */
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        step = sqlite3_step(stmt);
    }
    if (step != SQLITE_DONE)
        rc = db_sql_fail(db, "registering the bundle (its manifest hash must be 64 hex digits)");
    sqlite3_finalize(stmt);
    return rc;
}
