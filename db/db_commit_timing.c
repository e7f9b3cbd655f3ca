/* How long each commit takes (sdb_observe_commits): the one figure that
 * says whether the station's disk keeps up, since every slot waits on the
 * loop while a synchronous=FULL commit waits for it.
 *
 * Most writes are one statement in autocommit (an attempt's start, a phase
 * row), not a COMMIT of ours, so the timing is taken from SQLite itself:
 * its commit hook runs as a write transaction starts to commit, before the
 * WAL frames are written and synced, and its WAL hook runs once the commit
 * is done. The WAL hook is also how SQLite checkpoints by itself
 * (sqlite3_wal_autocheckpoint is a WAL hook), so ours checkpoints as that
 * one would, and taking the observer away puts SQLite's back. */
#include <time.h>

#include "db_internal.h"

/* SQLite's default: a passive checkpoint once the WAL holds this many pages. */
#define WAL_AUTOCHECKPOINT_PAGES 1000

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_commit_starts(void *ctx)
{
    struct station_db *db = ctx;
    db->commit_started = monotonic_s();
    return 0;       /* non-zero would turn the commit into a rollback */
}

static int on_committed(void *ctx, sqlite3 *sql, const char *schema, int wal_pages)
{
    struct station_db *db = ctx;
    if (db->commit_started > 0 && db->commit_observer)
        db->commit_observer(db->commit_observer_ctx, monotonic_s() - db->commit_started,
                            !db->progress_commit);
    db->commit_started = 0;
    if (wal_pages >= WAL_AUTOCHECKPOINT_PAGES)
        sqlite3_wal_checkpoint(sql, schema);
    return SQLITE_OK;
}

void sdb_observe_commits(struct station_db *db, sdb_commit_observer fn, void *ctx)
{
    db->commit_observer = fn;
    db->commit_observer_ctx = ctx;
    db->commit_started = 0;
    if (fn) {
        sqlite3_commit_hook(db->sql, on_commit_starts, db);
        sqlite3_wal_hook(db->sql, on_committed, db);
    } else {
        sqlite3_commit_hook(db->sql, NULL, NULL);
        sqlite3_wal_autocheckpoint(db->sql, WAL_AUTOCHECKPOINT_PAGES);
    }
}
