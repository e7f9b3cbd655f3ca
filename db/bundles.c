/* Bundles: which firmware a station wrote, named by its manifest's hash. */
#include "db_internal.h"

int sdb_bundle_register(struct station_db *db, const char *name, const char *version,
                        const char *manifest_sha256, int64_t *id)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    db_now(db, now);
    /* The no-op update makes RETURNING yield the existing row's id too. */
    int rc = db_prepare(db, "INSERT INTO bundles (name, version, manifest_sha256, registered_at)"
                            " VALUES (?, ?, lower(?), ?) ON CONFLICT (manifest_sha256)"
                            " DO UPDATE SET name = name RETURNING id", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, name);
    db_bind_text(stmt, 2, version);
    db_bind_text(stmt, 3, manifest_sha256);
    db_bind_text(stmt, 4, now);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *id = sqlite3_column_int64(stmt, 0);
    else
        rc = db_sql_fail(db, "registering the bundle (its manifest hash must be 64 hex digits)");
    sqlite3_finalize(stmt);
    return rc;
}
