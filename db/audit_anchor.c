/* The anchor: the audit log's last row (its id and hash) kept in a file
 * beside the database, station.db.anchor, outside the table it vouches for.
 *
 * The chain alone proves every row follows the one before it, but not that
 * the log still ends where it ended: delete the last rows and lower
 * sqlite_sequence, and what is left is a perfect, shorter chain. The file
 * remembers the end.
 *
 * jigd rewrites the file after every commit that appended to the log
 * (db_commit), atomically: a temporary file, fsync, rename over the old one.
 * The folder is synced only at close (db_anchor_close): a power cut before
 * that may bring back an earlier anchor, whole but behind the log, which
 * the next start records as after a crash. Before the first append of each transaction it
 * compares the table's end with what the file last said (db->anchor, loaded
 * at open); anything but "the same row" is appended to the log as an
 * audit.anchor event before the file is overwritten, so the evidence moves
 * into the chain instead of being lost. The one exception: rows another
 * writer (jigctl token, beside jigd) appended and anchored itself.
 * sdb_audit_verify compares the file with the table, and reports the
 * audit.anchor events that mean rows may be missing. db/README.md ("The
 * hash chain") says what this does and does not prove. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"

#define ANCHOR_HEADER "jigd audit anchor"

void db_anchor_path(const struct station_db *db, char *out, size_t size)
{
    snprintf(out, size, "%s.anchor", db->path);
}

static bool is_hash(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Strictly the three lines db_anchor_write makes; anything else is
 * unreadable rather than guessed at. */
static void parse_anchor(const char *text, struct audit_anchor *a)
{
    char header[32], hash[80];
    long long id;
    int used = 0;
    a->state = ANCHOR_UNREADABLE;
    if (sscanf(text, "%31[^\n]\nlast_id %lld\nlast_hash %79s\n%n", header, &id, hash, &used) != 3
        || used == 0 || text[used] != '\0' || strcmp(header, ANCHOR_HEADER) != 0 || id < 0
        || !is_hash(hash))
        return;
    a->state = ANCHOR_SET;
    a->last_id = id;
    memcpy(a->last_hash, hash, sizeof a->last_hash);
}

void db_anchor_read(const struct station_db *db, struct audit_anchor *a)
{
    char path[4096], text[256];
    memset(a, 0, sizeof *a);
    db_anchor_path(db, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) {
        a->state = errno == ENOENT ? ANCHOR_MISSING : ANCHOR_UNREADABLE;
        return;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    bool whole = feof(f) && !ferror(f);
    fclose(f);
    text[n] = '\0';
    if (!whole || memchr(text, '\0', n)) {
        a->state = ANCHOR_UNREADABLE;
        return;
    }
    parse_anchor(text, a);
}

void db_anchor_load(struct station_db *db, int schema_version)
{
    db_anchor_read(db, &db->anchor);
    db->pending.state = ANCHOR_NONE;
    db->anchor_checked = false;
    /* A log that predates anchoring has no anchor; a file found beside it
     * belonged to some other database (say, one deleted and created anew). */
    if (schema_version < DB_SCHEMA_ANCHORED)
        db->anchor.state = db->anchor.state == ANCHOR_MISSING ? ANCHOR_NONE : ANCHOR_STALE;
}

/* ---- writing -------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The rename is only durable once the folder is synced too. */
static int sync_folder(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write a temporary file, make it durable, then rename it over the old
 * one: a reader (or a crash) sees the old anchor or the new, never half.
 * The rename itself is not synced here (the folder's fsync would be a third
 * fsync on every appending commit): losing it in a power cut only leaves
 * the old anchor, which the session left open explains (crash_explains). */
static int write_anchor_file(const char *path, int64_t last_id, const char *last_hash)
{
    char tmp[4096 + 8], text[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int len = snprintf(text, sizeof text, ANCHOR_HEADER "\nlast_id %lld\nlast_hash %s\n",
                       (long long)last_id, last_hash);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, text, (size_t)len) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* After a commit: the file catches up with the log. The commit itself
 * stands whatever happens here (a serial may already be on its way to a
 * board), so a failed write only leaves the file behind: verify reports it
 * and the next commit, or the close, writes it again. */
void db_anchor_committed(struct station_db *db)
{
    if (db->pending.state == ANCHOR_SET) {
        db->anchor = db->pending;
        db->pending.state = ANCHOR_NONE;
        db->anchor_unwritten = true;
    }
    if (!db->anchor_unwritten)
        return;
    char path[4096];
    db_anchor_path(db, path, sizeof path);
    if (write_anchor_file(path, db->anchor.last_id, db->anchor.last_hash) == 0)
        db->anchor_unwritten = false;
}

/* At a clean stop the anchor is made as durable as the log: the last
 * rename reaches the medium with its folder. */
void db_anchor_close(struct station_db *db)
{
    if (db->anchor_unwritten)
        db_anchor_committed(db);    /* one more try, so a clean stop leaves it current */
    if (db->read_only || db->anchor.state != ANCHOR_SET)
        return;
    char path[4096];
    db_anchor_path(db, path, sizeof path);
    sync_folder(path);
}

void db_anchor_rolled_back(struct station_db *db)
{
    db->pending.state = ANCHOR_NONE;
}

void db_anchor_appended(struct station_db *db, int64_t id, const char *hash)
{
    db->pending.state = ANCHOR_SET;
    db->pending.last_id = id;
    memcpy(db->pending.last_hash, hash, sizeof db->pending.last_hash);
}

/* "row 7 was" or "rows 5 to 6 were": the rows a finding is about. */
static const char *rows_were(char out[64], long long from, long long to)
{
    if (from == to)
        snprintf(out, 64, "row %lld was", from);
    else
        snprintf(out, 64, "rows %lld to %lld were", from, to);
    return out;
}

/* ---- the writer's check before it appends --------------------------------- */

#define CATCH_UP_MS 50
/* How long a writer waits for another one to anchor what it committed: an
 * fsync of a small file, which a busy SD card can stretch well past the
 * half second a reader waits; giving up writes a finding into the log for
 * good, so a writer waits longer. */
#define WRITER_CATCH_UP_TRIES 40

static void sleep_ms(long ms)
{
    struct timespec d = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
}

/* The log's last row now (0 and the genesis hash when it is empty). */
static int table_end(struct station_db *db, int64_t *id, char hash[65])
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1", &stmt);
    if (rc != SDB_OK)
        return rc;
    int step = sqlite3_step(stmt);
    *id = 0;
    snprintf(hash, 65, "%s", DB_GENESIS_HASH);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        db_column_copy(stmt, 1, hash, 65);
    } else if (step != SQLITE_DONE) {
        rc = db_sql_fail(db, "reading the end of the audit log");
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* 1 when row id has this hash, 0 when it has another or is gone. */
static int row_has_hash(struct station_db *db, int64_t id, const char *hash)
{
    sqlite3_stmt *stmt;
    if (db_prepare(db, "SELECT hash = ? FROM audit_events WHERE id = ?", &stmt) != SDB_OK)
        return -1;
    db_bind_text(stmt, 1, hash);
    sqlite3_bind_int64(stmt, 2, id);
    int same = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return same;
}

/* A yes/no query; ?1, when it has one, is this run's session. */
static bool query_true(struct station_db *db, const char *sql)
{
    sqlite3_stmt *stmt;
    if (db_prepare(db, sql, &stmt) != SDB_OK)
        return false;
    if (sqlite3_bind_parameter_count(stmt) > 0)
        sqlite3_bind_int64(stmt, 1, db->session_id);
    bool yes = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return yes;
}

/* Whether a crash explains a file that is behind or missing at open: the
 * last run never closed its session (a kill, a crash, a power cut between a
 * commit and its anchor), or the file was never written at all because the
 * run that began anchoring (the upgrade) died before anything else. It
 * cannot tell that from rows added by hand while the station was down; the
 * event says both. */
static bool crash_explains(struct station_db *db)
{
    if (query_true(db, "SELECT coalesce((SELECT ended_at IS NULL FROM sessions WHERE id <> ?1"
                       " ORDER BY id DESC LIMIT 1), 1)"))
        return true;
    return query_true(db,
        "SELECT NOT EXISTS (SELECT 1 FROM audit_events WHERE action = 'station.start' AND"
        "  id > (SELECT max(id) FROM audit_events WHERE action = 'audit.anchor' AND"
        "        json_extract(details, '$.found') IN ('none', 'stale')))"
        " AND EXISTS (SELECT 1 FROM audit_events WHERE action = 'audit.anchor' AND"
        "        json_extract(details, '$.found') IN ('none', 'stale'))");
}

/* Rows past this process's anchor may be another writer's: a tool writing
 * beside jigd (sdb_options.beside_jigd: jigctl token), or jigd seen from
 * that tool, appends to the log and anchors its rows itself, just after its
 * COMMIT, outside the lock this transaction holds. When the file vouches for
 * exactly the log's end, this process takes it as its own anchor; when it
 * is behind, the other writer is given a moment to catch up. Not when a
 * crash explains the file: jigd's start after one keeps its pace, and says
 * so in the log as before. Whoever can rewrite the table and the file alike
 * gets past this, as past the file at any time (db/README.md). */
static bool other_writer_anchored(struct station_db *db, int64_t id, const char *hash)
{
    bool crashed = !db->beside_jigd && !db->anchor_checked && crash_explains(db);
    int tries = crashed ? 1 : WRITER_CATCH_UP_TRIES;
    struct audit_anchor now;
    for (int i = 0; i < tries; i++) {
        if (i > 0)
            sleep_ms(CATCH_UP_MS);
        db_anchor_read(db, &now);
        if (now.state == ANCHOR_SET && now.last_id == id && !strcmp(now.last_hash, hash)) {
            db->anchor = now;
            return true;
        }
    }
    return false;
}

struct anchor_finding {
    const char *found;
    bool after_crash;
    char meaning[320];
};

/* Compares the table's end with the anchor; *f->found stays NULL when they
 * agree. */
static int compare_end(struct station_db *db, const struct audit_anchor *a, int64_t id,
                       const char *hash, struct anchor_finding *f)
{
    long long aid = (long long)a->last_id, tid = (long long)id;
    char span[64];
    f->found = NULL;
    f->after_crash = false;
    switch (a->state) {
    case ANCHOR_NONE:
        if (id > 0) {
            f->found = "none";
            snprintf(f->meaning, sizeof f->meaning, "the log was kept without an anchor up to "
                     "row %lld; from here on station.db.anchor records where it ends", tid);
        }
        return SDB_OK;
    case ANCHOR_STALE:
        f->found = "stale";
        snprintf(f->meaning, sizeof f->meaning, "station.db.anchor was left by another "
                 "database (this one predates anchoring) and is replaced");
        return SDB_OK;
    case ANCHOR_MISSING:
        if (id > 0) {
            f->found = "missing";
            snprintf(f->meaning, sizeof f->meaning, "station.db.anchor was missing, so whether "
                     "rows were deleted from the end of the log (it reached row %lld here) "
                     "cannot be checked", tid);
        }
        return SDB_OK;
    case ANCHOR_UNREADABLE:
        f->found = "unreadable";
        snprintf(f->meaning, sizeof f->meaning, "station.db.anchor was not an anchor file, so "
                 "whether rows were deleted from the end of the log (it reached row %lld "
                 "here) cannot be checked", tid);
        return SDB_OK;
    case ANCHOR_SET:
        break;
    }
    if (a->last_id == id && strcmp(a->last_hash, hash) == 0)
        return SDB_OK;
    if (a->last_id > id) {
        f->found = "ahead";
        snprintf(f->meaning, sizeof f->meaning, "the anchor said the log reached row %lld but "
                 "it ended at row %lld: %s deleted", aid, tid, rows_were(span, tid + 1, aid));
        return SDB_OK;
    }
    int same = row_has_hash(db, a->last_id, a->last_hash);
    if (same < 0)
        return db_sql_fail(db, "reading the anchored row");
    if (!same) {
        f->found = "rewritten";
        snprintf(f->meaning, sizeof f->meaning, "row %lld no longer has the hash the anchor "
                 "recorded: the log was rewritten from there on", aid);
        return SDB_OK;
    }
    f->found = "behind";
    snprintf(f->meaning, sizeof f->meaning, "%s appended after the anchor was written, and "
             "not by this jigd", rows_were(span, aid + 1, tid));
    return SDB_OK;
}

static cJSON *end_json(int64_t id, const char *hash)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "last_id", (double)id);
    cJSON_AddStringToObject(o, "last_hash", hash);
    return o;
}

int db_anchor_check_locked(struct station_db *db)
{
    /* Later appends of a transaction follow our own first one. */
    if (db->pending.state == ANCHOR_SET)
        return SDB_OK;
    int64_t id;
    char hash[65];
    struct anchor_finding f;
    int rc = table_end(db, &id, hash);
    if (rc == SDB_OK)
        rc = compare_end(db, &db->anchor, id, hash, &f);
    if (rc == SDB_OK && f.found && !strcmp(f.found, "behind")
        && other_writer_anchored(db, id, hash))
        f.found = NULL;
    if (rc != SDB_OK || !f.found) {
        db->anchor_checked = rc == SDB_OK;
        return rc;
    }
    bool gap = !strcmp(f.found, "behind") || !strcmp(f.found, "missing");
    if (gap && !db->anchor_checked && crash_explains(db)) {
        f.after_crash = true;
        snprintf(f.meaning + strlen(f.meaning), sizeof f.meaning - strlen(f.meaning),
                 "; the jigd before stopped (crash, kill, power cut) before it anchored its "
                 "last commit, or rows were added by hand while it was down");
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "found", f.found);
    if (gap)
        cJSON_AddBoolToObject(d, "after_crash", f.after_crash);
    if (db->anchor.last_hash[0])    /* what the file said, when it said anything */
        cJSON_AddItemToObject(d, "anchor", end_json(db->anchor.last_id, db->anchor.last_hash));
    cJSON_AddItemToObject(d, "log", end_json(id, hash));
    cJSON_AddStringToObject(d, "meaning", f.meaning);
    char *text = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    if (!text)
        return db_fail(db, SDB_ERROR, "out of memory recording the anchor");
    rc = db_audit_insert_locked(db, "jigd", "audit.anchor", text);
    free(text);
    db->anchor_checked = rc == SDB_OK;
    return rc;
}

/* ---- verifying -------------------------------------------------------------- */

/* A reader beside a working jigd can see a commit a moment before the
 * anchor that follows it: it gives jigd that moment before calling the file
 * behind. */
#define CATCH_UP_TRIES 10

int db_anchor_verify(struct station_db *db, const struct audit_anchor *file, int64_t last_id,
                     const char *last_hash, struct sdb_audit_check *c)
{
    char path[4096];
    db_anchor_path(db, path, sizeof path);
    c->anchored_id = file->state == ANCHOR_SET ? file->last_id : -1;
    if (file->state == ANCHOR_MISSING) {
        if (last_id > 0)
            db_audit_bad(c, 0, "the anchor file %s is missing, so whether rows were deleted "
                         "from the end of the log cannot be checked (it was deleted, or the "
                         "database was copied without it: copy it along)", path);
        return SDB_OK;
    }
    if (file->state != ANCHOR_SET) {
        db_audit_bad(c, 0, "the anchor file %s is not one jigd wrote, so whether rows were "
                     "deleted from the end of the log cannot be checked", path);
        return SDB_OK;
    }
    long long aid = (long long)file->last_id, lid = (long long)last_id;
    char span[64];
    if (file->last_id > last_id) {
        db_audit_bad(c, last_id + 1, "%s deleted from the end of the log: the anchor file %s "
                     "says it reached row %lld", rows_were(span, lid + 1, aid), path, aid);
        return SDB_OK;
    }
    int same = file->last_id == 0 || row_has_hash(db, file->last_id, file->last_hash);
    if (same < 0)
        return db_sql_fail(db, "reading the anchored row");
    if (!same) {
        db_audit_bad(c, file->last_id, "row %lld is not the row the anchor file %s recorded: "
                     "the log was rewritten from there on", aid, path);
        return SDB_OK;
    }
    if (file->last_id == last_id)
        return SDB_OK;
    struct audit_anchor now = *file;
    for (int i = 0; db->read_only && i < CATCH_UP_TRIES && now.last_id < last_id; i++) {
        sleep_ms(CATCH_UP_MS);
        db_anchor_read(db, &now);
        if (now.state != ANCHOR_SET)
            now = *file;
    }
    if (now.last_id > last_id)
        return SDB_OK;      /* jigd anchored rows newer than what we read */
    if (now.last_id == last_id && strcmp(now.last_hash, last_hash) == 0) {
        c->anchored_id = now.last_id;
        return SDB_OK;
    }
    db_audit_bad(c, file->last_id + 1, "the anchor file %s is older than the table: it vouches "
                 "for rows 1 to %lld, %s added after it (jigd stopped between a "
                 "commit and its anchor, or rows were added by hand; jigd's next start records "
                 "which in the log)", path, aid, rows_were(span, aid + 1, lid));
    return SDB_OK;
}

/* The audit.anchor events that mean rows may be missing before them. */
int db_anchor_events_verify(struct station_db *db, struct sdb_audit_check *c)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db,
        "SELECT id, json_extract(details, '$.meaning') FROM audit_events"
        " WHERE action = 'audit.anchor' AND json_valid(details)"
        "  AND json_extract(details, '$.found') IN ('missing', 'unreadable', 'ahead',"
        "                                           'rewritten', 'behind')"
        "  AND NOT coalesce(json_extract(details, '$.after_crash'), 0)"
        " ORDER BY id LIMIT 1", &stmt);
    if (rc != SDB_OK)
        return rc;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        const char *meaning = (const char *)sqlite3_column_text(stmt, 1);
        db_audit_bad(c, sqlite3_column_int64(stmt, 0), "row %lld: when jigd appended it, it "
                     "found that %s", (long long)sqlite3_column_int64(stmt, 0),
                     meaning ? meaning : "the anchor did not match the log");
    } else if (step != SQLITE_DONE) {
        rc = db_sql_fail(db, "reading the anchor events");
    }
    sqlite3_finalize(stmt);
    return rc;
}
