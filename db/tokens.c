/* Named API tokens: who may use jigd's REST API, and as what (viewer,
 * operator, mes, admin). Only a token's SHA-256 is stored; the token itself
 * is shown once by `jigctl token add` and kept by whoever it is for, so a
 * copy of station.db lets nobody in. A token is revoked, never deleted
 * (migration 0008's triggers): the audit log and the table together say who
 * could act as what, and when. The events say which token by name and role,
 * never by hash. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static const char *const roles[] = {"viewer", "operator", "mes", "admin"};

static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > SDB_TOKEN_NAME_MAX)
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789._-") == n;
}

static bool valid_role(const char *role)
{
    for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(role, roles[i]) == 0)
            return true;
    return false;
}

static bool valid_hash(const char *hash)
{
    return hash && strlen(hash) == 64 && strspn(hash, "0123456789abcdef") == 64;
}

/* What the caller got wrong, in words; SDB_OK when nothing. */
static int check_name_and_actor(struct station_db *db, const char *name, const char *actor)
{
    if (!valid_name(name))
        return db_fail(db, SDB_REFUSED, "a token's name is 1 to %d letters, digits, '.', '_' "
                       "or '-', not '%.80s'", SDB_TOKEN_NAME_MAX, name ? name : "");
    if (!actor || !*actor)
        return db_fail(db, SDB_REFUSED, "say who changes the tokens: the audit log records it");
    return SDB_OK;
}

/* The active token called name: its id and role; SDB_NOT_FOUND when none. */
static int find_active(struct station_db *db, const char *name, int64_t *id, char role[16])
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT id, role FROM api_tokens"
                            " WHERE name = ? AND revoked_at IS NULL", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, name);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        db_column_copy(stmt, 1, role, 16);
    } else if (step == SQLITE_DONE) {
        rc = db_fail(db, SDB_NOT_FOUND, "no active token named %s (jigctl token list)", name);
    } else {
        rc = db_sql_fail(db, "looking for the token");
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* token.add or token.revoke, carrying the row as it now is (its hash only
 * as a hash of it: audit_records.c), never the hash itself. */
static int token_event(struct station_db *db, const char *action, int64_t id,
                       const char *name, const char *role, const char *actor)
{
    cJSON *d = cJSON_CreateObject();
    if (!d)
        return db_fail(db, SDB_ERROR, "out of memory recording %s", action);
    cJSON_AddStringToObject(d, "name", name);
    cJSON_AddStringToObject(d, "role", role);
    int rc = db_record_row(db, d, DB_RECORD_TOKEN, id);
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, actor, action, d);
    cJSON_Delete(d);
    return rc;
}

static int insert_token(struct station_db *db, const char *name, const char *role,
                        const char *hash, const char *actor, int64_t *id)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    db_now(db, now);
    int rc = db_prepare(db, "INSERT INTO api_tokens (name, role, hash, created_at, created_by)"
                            " VALUES (?, ?, ?, ?, ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, name);
    db_bind_text(stmt, 2, role);
    db_bind_text(stmt, 3, hash);
    db_bind_text(stmt, 4, now);
    db_bind_text(stmt, 5, actor);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        rc = db_sql_fail(db, "storing the token");
        /* The name was free (add_locked looked): the hash is the one taken. */
        if (rc == SDB_CONFLICT)
            rc = db_fail(db, rc, "that token is stored already, for another name or one "
                         "revoked: a token is never given twice; make a new one");
    }
    sqlite3_finalize(stmt);
    *id = sqlite3_last_insert_rowid(db->sql);
    return rc;
}

static int add_locked(struct station_db *db, const char *name, const char *role,
                      const char *hash, const char *actor)
{
    int64_t id;
    char held[16];
    int rc = find_active(db, name, &id, held);
    if (rc == SDB_OK)
        return db_fail(db, SDB_CONFLICT, "a token named %s is active already (role %s): "
                       "revoke it first (jigctl token revoke %s) or choose another name",
                       name, held, name);
    if (rc != SDB_NOT_FOUND)
        return rc;
    rc = insert_token(db, name, role, hash, actor, &id);
    if (rc == SDB_OK)
        rc = token_event(db, "token.add", id, name, role, actor);
    return rc;
}

int sdb_token_add(struct station_db *db, const char *name, const char *role,
                  const char *hash_hex, const char *actor)
{
    int rc = check_name_and_actor(db, name, actor);
    if (rc != SDB_OK)
        return rc;
    if (!valid_role(role))
        return db_fail(db, SDB_REFUSED, "a token's role is viewer, operator, mes or admin, "
                       "not '%.32s'", role ? role : "");
    if (!valid_hash(hash_hex))
        return db_fail(db, SDB_REFUSED, "a token is stored as its SHA-256 in 64 lowercase hex "
                       "digits; this is not one");
    if ((rc = db_begin(db)) != SDB_OK)
        return rc;
    return db_finish(db, add_locked(db, name, role, hash_hex, actor));
}

static int revoke_locked(struct station_db *db, const char *name, const char *actor)
{
    int64_t id;
    char role[16], now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    int rc = find_active(db, name, &id, role);
    if (rc == SDB_OK)
        rc = db_prepare(db, "UPDATE api_tokens SET revoked_at = ?, revoked_by = ?"
                            " WHERE id = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_now(db, now);
    db_bind_text(stmt, 1, now);
    db_bind_text(stmt, 2, actor);
    sqlite3_bind_int64(stmt, 3, id);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "revoking the token");
    sqlite3_finalize(stmt);
    if (rc == SDB_OK)
        rc = token_event(db, "token.revoke", id, name, role, actor);
    return rc;
}

int sdb_token_revoke(struct station_db *db, const char *name, const char *actor)
{
    int rc = check_name_and_actor(db, name, actor);
    if (rc != SDB_OK)
        return rc;
    if ((rc = db_begin(db)) != SDB_OK)
        return rc;
    return db_finish(db, revoke_locked(db, name, actor));
}

int sdb_token_list(struct station_db *db, cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    int rc = db_prepare(db, "SELECT name, role, created_at, created_by, revoked_at, revoked_by"
                            " FROM api_tokens ORDER BY revoked_at IS NOT NULL, id", &stmt);
    if (rc != SDB_OK)
        return rc;
    return db_collect_rows(db, stmt, "listing the tokens", rows);
}

/* One more slot in *out, doubling it when full. */
static struct sdb_token *next_token(struct sdb_token **out, size_t n, size_t *cap)
{
    if (n == *cap) {
        size_t more = *cap ? *cap * 2 : 8;
        struct sdb_token *grown = realloc(*out, more * sizeof **out);
        if (!grown)
            return NULL;
        *out = grown;
        *cap = more;
    }
    return &(*out)[n];
}

int sdb_tokens_active(struct station_db *db, struct sdb_token **out, size_t *n)
{
    sqlite3_stmt *stmt;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = db_prepare(db, "SELECT name, role, hash FROM api_tokens"
                            " WHERE revoked_at IS NULL ORDER BY id", &stmt);
    if (rc != SDB_OK)
        return rc;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sdb_token *t = next_token(out, *n, &cap);
        if (!t) {
            rc = db_fail(db, SDB_ERROR, "out of memory reading the tokens");
            break;
        }
        db_column_copy(stmt, 0, t->name, sizeof t->name);
        db_column_copy(stmt, 1, t->role, sizeof t->role);
        db_column_copy(stmt, 2, t->hash, sizeof t->hash);
        (*n)++;
    }
    if (rc == SDB_OK && step != SQLITE_DONE)
        rc = db_sql_fail(db, "reading the tokens");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int sdb_data_version(struct station_db *db, int64_t *version)
{
    sqlite3_stmt *stmt;
    *version = 0;
    int rc = db_prepare(db, "PRAGMA data_version", &stmt);
    if (rc != SDB_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *version = sqlite3_column_int64(stmt, 0);
    else
        rc = db_sql_fail(db, "reading the database's data version");
    sqlite3_finalize(stmt);
    return rc;
}
