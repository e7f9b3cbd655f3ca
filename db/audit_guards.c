/* The guard triggers: the ones that keep audit_events append-only, and
 * every other trigger the migrations make (serial counters that only go
 * up, a void that stays void, ...). Counting them by name is not enough: a
 * trigger of the same name whose body does nothing guards nothing. So each
 * one's SQL, as sqlite_schema keeps it, must read exactly as the migrations
 * wrote it.
 *
 * The expected text has a single source, the migrations compiled into this
 * program: they are run on a private in-memory database and its triggers
 * are the reference. No copy of the trigger text can drift from them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "db_migrations.h"

/* The migration whose SQL creates trigger `name` (0 when none does). */
static int creating_migration(const char *name)
{
    char needle[128];
    snprintf(needle, sizeof needle, "CREATE TRIGGER %s\n", name);
    for (int i = 0; i < db_migration_count; i++)
        if (strstr(db_migrations[i].sql, needle))
            return db_migrations[i].version;
    return 0;
}

/* A database holding what the migrations make, and nothing else. */
static sqlite3 *reference_schema(struct station_db *db, int *rc)
{
    sqlite3 *ref = NULL;
    *rc = SDB_OK;
    if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(ref);
        *rc = db_fail(db, SDB_ERROR, "out of memory building the reference schema");
        return NULL;
    }
    for (int i = 0; i < db_migration_count; i++) {
        if (sqlite3_exec(ref, db_migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
            *rc = db_fail(db, SDB_ERROR, "migration %04d does not apply to an empty database: %s",
                          db_migrations[i].version, sqlite3_errmsg(ref));
            sqlite3_close(ref);
            return NULL;
        }
    }
    return ref;
}

__attribute__((format(printf, 2, 3)))
static void mark_bad(struct sdb_audit_check *c, const char *fmt, ...)
{
    va_list ap;
    c->ok = false;
    c->first_bad_id = 0;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

/* The station's SQL for trigger `name`: 1 found (copied to out), 0 none. */
static int station_trigger(struct station_db *db, const char *name, char **out)
{
    sqlite3_stmt *stmt;
    *out = NULL;
    if (db_prepare(db, "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?",
                   &stmt) != SDB_OK)
        return -1;
    db_bind_text(stmt, 1, name);
    int found = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(stmt, 0);
        *out = sqlite3_mprintf("%s", sql ? sql : "");
        found = 1;
    }
    sqlite3_finalize(stmt);
    return found;
}

/* Every trigger of the reference must be in the station, word for word. */
static int check_expected(struct station_db *db, sqlite3 *ref, struct sdb_audit_check *c)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(ref, "SELECT name, tbl_name, sql FROM sqlite_schema"
                           " WHERE type = 'trigger' ORDER BY rowid", -1, &stmt, NULL) != SQLITE_OK)
        return db_fail(db, SDB_ERROR, "reading the reference schema: %s", sqlite3_errmsg(ref));
    int rc = SDB_OK;
    while (c->ok && sqlite3_step(stmt) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        const char *table = (const char *)sqlite3_column_text(stmt, 1);
        const char *want = (const char *)sqlite3_column_text(stmt, 2);
        char *have;
        int found = station_trigger(db, name, &have);
        if (found < 0) {
            rc = SDB_ERROR;
            break;
        }
        int version = creating_migration(name);
        if (!found)
            mark_bad(c, "the trigger %s that guards %s was dropped; the rows are checked by "
                     "the chain, but restore the triggers from migration %04d "
                     "(db/migrations)", name, table, version);
        else if (strcmp(have, want) != 0)
            mark_bad(c, "the trigger %s that guards %s was changed: it no longer reads as "
                     "migration %04d wrote it, so it may guard nothing; restore it from "
                     "db/migrations", name, table, version);
        sqlite3_free(have);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* A trigger the migrations never made can rewrite rows as they are written. */
static int check_unexpected(struct station_db *db, sqlite3 *ref, struct sdb_audit_check *c)
{
    sqlite3_stmt *stmt, *known;
    int rc = db_prepare(db, "SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger'"
                            " ORDER BY rowid", &stmt);
    if (rc != SDB_OK)
        return rc;
    if (sqlite3_prepare_v2(ref, "SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND name = ?",
                           -1, &known, NULL) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return db_fail(db, SDB_ERROR, "reading the reference schema: %s", sqlite3_errmsg(ref));
    }
    while (c->ok && sqlite3_step(stmt) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        sqlite3_reset(known);
        sqlite3_bind_text(known, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(known) != SQLITE_ROW)
            mark_bad(c, "a trigger no migration made, %s on %s, was added: it can change rows "
                     "as jigd writes them; find out who added it", name,
                     (const char *)sqlite3_column_text(stmt, 1));
    }
    sqlite3_finalize(known);
    sqlite3_finalize(stmt);
    return SDB_OK;
}

int db_guards_verify(struct station_db *db, struct sdb_audit_check *c)
{
    int rc;
    sqlite3 *ref = reference_schema(db, &rc);
    if (!ref)
        return rc;
    rc = check_expected(db, ref, c);
    if (rc == SDB_OK && c->ok)
        rc = check_unexpected(db, ref, c);
    sqlite3_close(ref);
    return rc;
}
