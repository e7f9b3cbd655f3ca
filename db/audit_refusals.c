/* Refused requests are counted, not logged one row each.
 *
 * Every REST request is audited, refused ones too, and each event is a
 * synchronous commit. A client retrying in a loop against a busy slot wrote
 * 4,800 fsynced rows in 14 s, without limit: a flood that fills the disk and
 * holds jigd's one loop on fsync. A refusal says little the first time does
 * not, so:
 *
 *  - the first refusal of a kind (actor, action, reason and details) is
 *    logged in full, with "refused": the reason;
 *  - repeats of it are only counted, in memory;
 *  - the count is appended as one audit.repeated event ({"of": action,
 *    "refused", "details", "repeats", "from", "to"}) when its window (a
 *    minute from the first) has passed and another refusal arrives or
 *    sdb_audit_flush_due is called (jigd's timer, so a quiet station does
 *    not hold a count for ever), when any other write comes (db_begin), or
 *    at sdb_audit_flush / sdb_close;
 *  - at most REFUSAL_KINDS kinds are counted apart at once; refusals of
 *    further kinds share one count (actor jigd, "of": "*").
 *
 * So a flood costs at most 2 * REFUSAL_KINDS + 1 rows a window, however it
 * varies. What is lost on a crash is the count since the last summary, never
 * a refusal's first row nor anything that was not a refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define REFUSAL_WINDOW_MS 60000
#define REFUSAL_KINDS 16

struct refusal_kind {
    char *actor, *action, *reason, *details;    /* details: the caller's, as JSON */
    int64_t opened_ms;          /* when its first refusal was logged */
    int64_t repeats;            /* counted since, not logged */
    int64_t first_ms, last_ms;  /* of those repeats */
};

struct refusal_counts {
    struct refusal_kind kind[REFUSAL_KINDS];
    int n;
    struct refusal_kind others; /* kinds beyond the table, counted together */
};

static void free_kind(struct refusal_kind *k)
{
    free(k->actor);
    free(k->action);
    free(k->reason);
    free(k->details);
    memset(k, 0, sizeof *k);
}

void db_refusals_free(struct station_db *db)
{
    if (!db->refusals)
        return;
    for (int i = 0; i < db->refusals->n; i++)
        free_kind(&db->refusals->kind[i]);
    free(db->refusals);
    db->refusals = NULL;
}

static void count(struct refusal_kind *k, int64_t now)
{
    if (k->repeats++ == 0)
        k->first_ms = now;
    k->last_ms = now;
}

/* ---- summaries -------------------------------------------------------------- */

static int append_summary(struct station_db *db, const struct refusal_kind *k)
{
    char from[SDB_TIME_LEN + 1], to[SDB_TIME_LEN + 1];
    sdb_format_time(k->first_ms, from);
    sdb_format_time(k->last_ms, to);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "of", k->action ? k->action : "*");
    cJSON_AddStringToObject(d, "refused", k->reason ? k->reason
                            : "refusals of more kinds at once than the log counts apart");
    if (k->details)
        cJSON_AddRawToObject(d, "details", k->details);
    cJSON_AddNumberToObject(d, "repeats", (double)k->repeats);
    cJSON_AddStringToObject(d, "from", from);
    cJSON_AddStringToObject(d, "to", to);
    int rc = db_audit_append_locked(db, k->actor ? k->actor : "jigd", "audit.repeated", d);
    cJSON_Delete(d);
    return rc;
}

/* A kind's window closes a minute after its first row; everything closes
 * when something else is written. */
static bool closing(const struct refusal_kind *k, int64_t now, bool all)
{
    return all || now - k->opened_ms >= REFUSAL_WINDOW_MS;
}

/* Appends the summaries of the closing kinds in one transaction and, once
 * it committed, forgets them; on failure the counts stay for next time. */
static int close_kinds(struct station_db *db, int64_t now, bool all)
{
    struct refusal_counts *r = db->refusals;
    if (!r)
        return SDB_OK;
    bool others = r->others.repeats > 0 && closing(&r->others, now, all);
    bool write = others;
    for (int i = 0; i < r->n; i++)
        write |= r->kind[i].repeats > 0 && closing(&r->kind[i], now, all);
    int rc = write ? db_exec(db, "BEGIN IMMEDIATE") : SDB_OK;
    for (int i = 0; write && rc == SDB_OK && i < r->n; i++)
        if (r->kind[i].repeats > 0 && closing(&r->kind[i], now, all))
            rc = append_summary(db, &r->kind[i]);
    if (rc == SDB_OK && others)
        rc = append_summary(db, &r->others);
    if (write && rc == SDB_OK)
        rc = db_commit(db);
    else if (write)
        db_rollback(db);
    if (rc != SDB_OK)
        return rc;
    if (others)
        memset(&r->others, 0, sizeof r->others);
    int kept = 0;
    for (int i = 0; i < r->n; i++) {
        if (closing(&r->kind[i], now, all))
            free_kind(&r->kind[i]);
        else
            r->kind[kept++] = r->kind[i];
    }
    for (int i = kept; i < r->n; i++)
        memset(&r->kind[i], 0, sizeof r->kind[i]);
    r->n = kept;
    return SDB_OK;
}

int db_refusals_close_all(struct station_db *db)
{
    return close_kinds(db, db_now_ms(db), true);
}

int sdb_audit_flush(struct station_db *db)
{
    if (db->read_only)
        return SDB_OK;
    return db_refusals_close_all(db);
}

/* How long until the first window holding a count closes; -1 if none
 * does. Never more than a window: should the clock have been set back, the
 * caller looks again a minute later rather than sleep for the jump. */
static int64_t next_due(const struct refusal_counts *r, int64_t now)
{
    int64_t wait = -1;
    for (int i = -1; i < r->n; i++) {
        const struct refusal_kind *k = i < 0 ? &r->others : &r->kind[i];
        if (k->repeats == 0)
            continue;
        int64_t w = k->opened_ms + REFUSAL_WINDOW_MS - now;
        if (w < 0)
            w = 0;
        if (w > REFUSAL_WINDOW_MS)
            w = REFUSAL_WINDOW_MS;
        if (wait < 0 || w < wait)
            wait = w;
    }
    return wait;
}

int sdb_audit_flush_due(struct station_db *db, int64_t *wait_ms)
{
    if (wait_ms)
        *wait_ms = -1;
    if (db->read_only || !db->refusals)
        return SDB_OK;
    int64_t now = db_now_ms(db);
    int rc = close_kinds(db, now, false);
    if (wait_ms)
        *wait_ms = next_due(db->refusals, now);
    return rc;
}

/* ---- a refusal ------------------------------------------------------------------ */

static struct refusal_kind *find(struct refusal_counts *r, const char *actor,
                                 const char *action, const char *reason, const char *details)
{
    for (int i = 0; i < r->n; i++) {
        struct refusal_kind *k = &r->kind[i];
        if (!strcmp(k->actor, actor) && !strcmp(k->action, action) &&
            !strcmp(k->reason, reason) && !strcmp(k->details, details))
            return k;
    }
    return NULL;
}

/* Logs the first refusal of a kind in full, in its own transaction. */
static int log_first(struct station_db *db, const char *actor, const char *action,
                     const char *reason, const cJSON *details)
{
    cJSON *d = details ? cJSON_Duplicate(details, true) : cJSON_CreateObject();
    if (!d || !cJSON_AddStringToObject(d, "refused", reason)) {
        cJSON_Delete(d);
        return db_fail(db, SDB_ERROR, "out of memory recording a refusal");
    }
    int rc = db_exec(db, "BEGIN IMMEDIATE");
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, actor, action, d);
    if (rc == SDB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    cJSON_Delete(d);
    return rc;
}

static int open_kind(struct station_db *db, const char *actor, const char *action,
                     const char *reason, const char *details, int64_t now)
{
    struct refusal_kind *k = &db->refusals->kind[db->refusals->n];
    k->actor = strdup(actor);
    k->action = strdup(action);
    k->reason = strdup(reason);
    k->details = strdup(details);
    k->opened_ms = now;
    if (!k->actor || !k->action || !k->reason || !k->details) {
        free_kind(k);
        return db_fail(db, SDB_ERROR, "out of memory counting refusals");
    }
    db->refusals->n++;
    return SDB_OK;
}

int sdb_audit_refusal(struct station_db *db, const char *actor, const char *action,
                      const char *reason, const cJSON *details)
{
    if (!actor || !*actor || !action || !*action || !reason || !*reason)
        return db_fail(db, SDB_REFUSED, "a refusal needs an actor, an action and a reason");
    if (details && !cJSON_IsObject(details))
        return db_fail(db, SDB_REFUSED, "audit event details must be a JSON object");
    if (db->read_only)
        return db_fail(db, SDB_REFUSED, "the database was opened read-only (reports only)");
    if (!db->refusals && !(db->refusals = calloc(1, sizeof *db->refusals)))
        return db_fail(db, SDB_ERROR, "out of memory counting refusals");
    int64_t now = db_now_ms(db);
    int rc = close_kinds(db, now, false);
    if (rc != SDB_OK)
        return rc;
    char *text = details ? cJSON_PrintUnformatted(details) : strdup("{}");
    if (!text)
        return db_fail(db, SDB_ERROR, "out of memory counting refusals");
    struct refusal_kind *k = find(db->refusals, actor, action, reason, text);
    if (k)
        count(k, now);
    else if (db->refusals->n == REFUSAL_KINDS) {
        if (db->refusals->others.repeats == 0)
            db->refusals->others.opened_ms = now;
        count(&db->refusals->others, now);
    }
    else if ((rc = log_first(db, actor, action, reason, details)) == SDB_OK)
        rc = open_kind(db, actor, action, reason, text, now);
    free(text);
    return rc;
}
