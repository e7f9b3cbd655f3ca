/* The audit log: append-only, hash-chained events.
 *
 * Row n stores hash_n = sha256(hash_{n-1} || canonical(row n)), where the
 * hashes are 64 lowercase hex characters (row 1 follows 64 '0's) and
 * canonical(row) is each of id, at, actor, action, details written as
 * "<byte length>:<bytes>," (a netstring). Length prefixes make the encoding
 * unambiguous: no two different rows share one byte string. Because the id
 * is hashed and ids never repeat (AUTOINCREMENT), a deleted row leaves a gap
 * or a broken link that sdb_audit_verify() reports at the row after it.
 *
 * What else verify checks lives beside this: the anchor of the log's end
 * (audit_anchor.c), the guard triggers (audit_guards.c); audit_verify.c
 * runs them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

struct audit_row {
    int64_t id;
    const char *at, *actor, *action, *details;
};

static char *canonical_row(const struct audit_row *r, size_t *len)
{
    const char *fields[] = {r->at, r->actor, r->action, r->details};
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    size_t cap = strlen(id) + 24;
    for (int i = 0; i < 4; i++)
        cap += strlen(fields[i]) + 24;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t pos = (size_t)snprintf(out, cap, "%zu:%s,", strlen(id), id);
    for (int i = 0; i < 4; i++)
        pos += (size_t)snprintf(out + pos, cap - pos, "%zu:%s,", strlen(fields[i]), fields[i]);
    *len = pos;
    return out;
}

static bool row_hash(const struct audit_row *r, const char *prev_hash, char out[65])
{
    size_t len;
    char *canon = canonical_row(r, &len);
    if (!canon)
        return false;
    db_sha256_hex(prev_hash, 64, canon, len, out);
    free(canon);
    return true;
}

/* The id the next row will get, and the hash it must follow. */
static int chain_tail(struct station_db *db, int64_t *next_id, char prev_hash[65])
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db,
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'), 0),"
        "           coalesce((SELECT max(id) FROM audit_events), 0)) + 1,"
        "       coalesce((SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, DB_GENESIS_HASH);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        rc = db_sql_fail(db, "reading the end of the audit log");
    } else {
        *next_id = sqlite3_column_int64(stmt, 0);
        db_column_copy(stmt, 1, prev_hash, 65);
    }
    sqlite3_finalize(stmt);
    return rc;
}

int db_audit_insert_locked(struct station_db *db, const char *actor, const char *action,
                           const char *details)
{
    char at[SDB_TIME_LEN + 1], prev[65], hash[65];
    struct audit_row row = {.at = at, .actor = actor, .action = action, .details = details};
    sqlite3_stmt *stmt = NULL;
    db_now(db, at);
    int rc = chain_tail(db, &row.id, prev);
    if (rc == SDB_OK && !row_hash(&row, prev, hash))
        rc = db_fail(db, SDB_ERROR, "out of memory hashing an audit event");
    if (rc == SDB_OK)
        rc = db_prepare(db, "INSERT INTO audit_events (id, at, actor, action, details, prev_hash, hash)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)", &stmt);
    if (rc == SDB_OK) {
        sqlite3_bind_int64(stmt, 1, row.id);
        db_bind_text(stmt, 2, at);
        db_bind_text(stmt, 3, actor);
        db_bind_text(stmt, 4, action);
        db_bind_text(stmt, 5, details);
        db_bind_text(stmt, 6, prev);
        db_bind_text(stmt, 7, hash);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = db_sql_fail(db, "appending to the audit log");
    }
    sqlite3_finalize(stmt);
    if (rc == SDB_OK)
        db_anchor_appended(db, row.id, hash);
    return rc;
}

int db_audit_append_locked(struct station_db *db, const char *actor, const char *action,
                           const cJSON *details)
{
    if (!actor || !*actor || !action || !*action)
        return db_fail(db, SDB_REFUSED, "an audit event needs an actor and an action");
    if (details && !cJSON_IsObject(details))
        return db_fail(db, SDB_REFUSED, "audit event details must be a JSON object");
    char *text = details ? cJSON_PrintUnformatted(details) : strdup("{}");
    if (!text)
        return db_fail(db, SDB_ERROR, "out of memory writing an audit event");
    /* The end of the log is compared with its anchor before anything is
     * chained to it (audit_anchor.c). */
    int rc = db_anchor_check_locked(db);
    if (rc == SDB_OK)
        rc = db_audit_insert_locked(db, actor, action, text);
    free(text);
    return rc;
}

int sdb_audit_append(struct station_db *db, const char *actor, const char *action,
                     const cJSON *details)
{
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    rc = db_audit_append_locked(db, actor, action, details);
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

static const char *text_or_empty(sqlite3_stmt *stmt, int col)
{
    const char *t = (const char *)sqlite3_column_text(stmt, col);
    return t ? t : "";
}

/* Walks the rows in id order; stops at the first one that breaks the chain. */
int db_audit_walk(struct station_db *db, struct sdb_audit_check *c, int64_t *last_id)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT id, at, actor, action, details, prev_hash, hash"
                            " FROM audit_events ORDER BY id", &stmt);
    if (rc != SDB_OK)
        return rc;
    char running[65] = DB_GENESIS_HASH, computed[65];
    *last_id = 0;
    while (c->ok && sqlite3_step(stmt) == SQLITE_ROW) {
        struct audit_row row = {
            .id = sqlite3_column_int64(stmt, 0), .at = text_or_empty(stmt, 1),
            .actor = text_or_empty(stmt, 2), .action = text_or_empty(stmt, 3),
            .details = text_or_empty(stmt, 4),
        };
        const char *prev = text_or_empty(stmt, 5), *stored = text_or_empty(stmt, 6);
        if (row.id != *last_id + 1)
            db_audit_bad(c, row.id, "row %lld follows row %lld: the rows between were deleted",
                         (long long)row.id, (long long)*last_id);
        else if (strcmp(prev, running) != 0)
            db_audit_bad(c, row.id, "row %lld does not link to row %lld's hash: a row was "
                         "deleted or rewritten", (long long)row.id, (long long)*last_id);
        else if (!row_hash(&row, running, computed)) {
            sqlite3_finalize(stmt);
            return db_fail(db, SDB_ERROR, "out of memory verifying the audit log");
        } else if (strcmp(computed, stored) != 0)
            db_audit_bad(c, row.id, "row %lld does not match its hash: it was edited after it "
                         "was written (%lld rows before it are intact)", (long long)row.id,
                         (long long)*last_id);
        if (!c->ok)
            break;
        memcpy(running, stored, sizeof running);
        *last_id = row.id;
        c->rows++;
    }
    sqlite3_finalize(stmt);
    memcpy(c->head_hash, running, sizeof running);
    return SDB_OK;
}

int sdb_audit_head(struct station_db *db, struct sdb_audit_head *head)
{
    sqlite3_stmt *stmt;
    memset(head, 0, sizeof *head);
    snprintf(head->hash, sizeof head->hash, "%s", DB_GENESIS_HASH);
    int rc = db_prepare(db, "SELECT id, hash, at FROM audit_events ORDER BY id DESC LIMIT 1",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        head->last_id = sqlite3_column_int64(stmt, 0);
        db_column_copy(stmt, 1, head->hash, sizeof head->hash);
        db_column_copy(stmt, 2, head->at, sizeof head->at);
    } else if (step != SQLITE_DONE) {
        rc = db_sql_fail(db, "reading the head of the audit log");
    }
    sqlite3_finalize(stmt);
    return rc;
}
