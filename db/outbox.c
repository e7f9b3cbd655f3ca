/* The webhook outbox: what the station owes each receiver, written in the
 * transaction of the fact it reports, handed out oldest first per receiver,
 * and marked delivered only once the receiver said 2xx. jigd's sender
 * (daemon/webhook/) does the HTTP; this file only keeps the books, so a
 * kill at any moment loses nothing: an item not marked delivered is sent
 * again (same body, same idempotency key) after the restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* The unit.result body: the attempt as attempt_log shows it, with its
 * bundle, so a receiver needs nothing else to book the unit. */
#define UNIT_RESULT_BODY                                                                 \
    "SELECT json_object('event', 'unit.result', 'id', ?2, 'station', station,"           \
    " 'attempt_id', attempt_id, 'slot', slot, 'serial', serial, 'mac', mac,"             \
    " 'board_code', board_code, 'work_order', work_order, 'result', result,"             \
    " 'failed_phase', failed_phase, 'cause', cause, 'started_at', started_at,"           \
    " 'ended_at', ended_at, 'bytes_written', bytes_written, 'chip', chip,"              \
    " 'bundle', json((SELECT json_object('name', name, 'version', version,"              \
    "   'manifest_sha256', manifest_sha256) FROM bundles b WHERE b.id = l.bundle_id))) " \
    "FROM attempt_log l WHERE attempt_id = ?1"
#define WORK_ORDER_BODY                                                                  \
    "SELECT json_object('event', ?3, 'id', ?2, 'station', ?4, 'work_order', id,"         \
    " 'quantity', quantity, 'done', done, 'failed', failed, 'created_at', created_at,"   \
    " 'closed_at', closed_at, 'close_reason', close_reason)"                             \
    " FROM work_orders WHERE id = ?1"

void sdb_outbox_item_free(struct sdb_outbox_item *item)
{
    free(item->body);
    item->body = NULL;
}

static int insert_item(struct station_db *db, const char *receiver, const char *event,
                       const char *key, const char *body)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "INSERT OR IGNORE INTO webhook_outbox (receiver, event,"
                            " idempotency_key, body, created_at) VALUES (?, ?, ?, ?, ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_now(db, now);
    db_bind_text(stmt, 1, receiver);
    db_bind_text(stmt, 2, event);
    db_bind_text(stmt, 3, key);
    db_bind_text(stmt, 4, body);
    db_bind_text(stmt, 5, now);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "owing a webhook");
    sqlite3_finalize(stmt);
    return rc;
}

static int owe_locked(struct station_db *db, enum sdb_hook_events kind, const char *event,
                      const char *key, const char *body)
{
    int rc = SDB_OK;
    for (size_t i = 0; rc == SDB_OK && i < db->n_hooks; i++)
        if (db->hooks[i].events & kind)
            rc = insert_item(db, db->hooks[i].name, event, key, body);
    return rc;
}

static bool anyone_wants(const struct station_db *db, enum sdb_hook_events kind)
{
    for (size_t i = 0; i < db->n_hooks; i++)
        if (db->hooks[i].events & kind)
            return true;
    return false;
}

/* Runs a one-row body query (?1 the row's id as text or number is bound by
 * the caller) and owes its text. */
static int owe_query(struct station_db *db, sqlite3_stmt *stmt, enum sdb_hook_events kind,
                     const char *event, const char *key)
{
    int rc = SDB_OK;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        rc = owe_locked(db, kind, event, key, (const char *)sqlite3_column_text(stmt, 0));
    else if (step != SQLITE_DONE)
        rc = db_sql_fail(db, "making a webhook's body");
    sqlite3_finalize(stmt);
    return rc;
}

int db_outbox_unit_result_locked(struct station_db *db, int64_t attempt_id)
{
    if (!anyone_wants(db, SDB_HOOK_UNIT_RESULT))
        return SDB_OK;
    char key[160];
    snprintf(key, sizeof key, "%s:attempt:%lld", db->station, (long long)attempt_id);
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, UNIT_RESULT_BODY, &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    db_bind_text(stmt, 2, key);
    return owe_query(db, stmt, SDB_HOOK_UNIT_RESULT, "unit.result", key);
}

int db_outbox_work_order_locked(struct station_db *db, const char *work_order,
                                const char *event, int64_t nth)
{
    if (!anyone_wants(db, SDB_HOOK_WORK_ORDER))
        return SDB_OK;
    char key[180];
    int n = snprintf(key, sizeof key, "%s:%s:%s", db->station, event, work_order);
    if (nth > 0)
        snprintf(key + n, sizeof key - (size_t)n, ":%lld", (long long)nth);
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, WORK_ORDER_BODY, &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, work_order);
    db_bind_text(stmt, 2, key);
    db_bind_text(stmt, 3, event);
    db_bind_text(stmt, 4, db->station);
    return owe_query(db, stmt, SDB_HOOK_WORK_ORDER, event, key);
}

int db_outbox_work_order_done_locked(struct station_db *db, int64_t attempt_id)
{
    if (!anyone_wants(db, SDB_HOOK_WORK_ORDER))
        return SDB_OK;
    sqlite3_stmt *stmt;
    char id[65] = "";          /* a work order id: 1..64 characters */
    int rc = db_prepare(db, "SELECT w.id FROM work_orders w JOIN attempts a"
                            " ON a.work_order = w.id WHERE a.id = ? AND w.done = w.quantity",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, attempt_id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        db_column_copy(stmt, 0, id, sizeof id);
    else if (step != SQLITE_DONE)
        rc = db_sql_fail(db, "reading the work order");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK || !id[0])
        return rc;
    return db_outbox_work_order_locked(db, id, "work_order.complete", 0);
}

int sdb_outbox_add(struct station_db *db, enum sdb_hook_events kind, const char *event,
                   const char *key, const char *body)
{
    if (!anyone_wants(db, kind))
        return SDB_OK;
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    return db_finish(db, owe_locked(db, kind, event, key, body));
}

int sdb_outbox_add_for(struct station_db *db, const char *receiver, const char *event,
                       const char *key, const char *body, int64_t *id)
{
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    rc = insert_item(db, receiver, event, key, body);
    *id = sqlite3_last_insert_rowid(db->sql);
    if (rc == SDB_OK && sqlite3_changes(db->sql) == 0)
        rc = db_fail(db, SDB_CONFLICT, "%s is owed %s already", receiver, key);
    return db_finish(db, rc);
}

int sdb_outbox_state(struct station_db *db, int64_t id, bool *delivered, int *status,
                     char *error, int64_t *tries)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT delivered_at IS NOT NULL, coalesce(last_status, 0),"
                            " coalesce(last_error, ''), tries FROM webhook_outbox WHERE id = ?",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *delivered = sqlite3_column_int(stmt, 0) != 0;
        *status = sqlite3_column_int(stmt, 1);
        db_column_copy(stmt, 2, error, SDB_OUTBOX_ERROR_MAX);
        *tries = sqlite3_column_int64(stmt, 3);
    } else {
        rc = step == SQLITE_DONE ? db_fail(db, SDB_NOT_FOUND, "no webhook item %lld",
                                           (long long)id)
                                 : db_sql_fail(db, "reading a webhook item");
    }
    sqlite3_finalize(stmt);
    return rc;
}

int sdb_outbox_next(struct station_db *db, const char *receiver, struct sdb_outbox_item *out)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    memset(out, 0, sizeof *out);
    int rc = db_prepare(db, "SELECT id, event, idempotency_key, body, tries,"
                            " CASE WHEN next_try_at IS NULL OR next_try_at <= ?2 THEN 0 ELSE"
                            "  CAST(round((julianday(next_try_at) - julianday(?2)) * 86400000)"
                            "  AS INTEGER) END"
                            " FROM webhook_outbox WHERE receiver = ?1 AND delivered_at IS NULL"
                            " ORDER BY id LIMIT 1", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_now(db, now);
    db_bind_text(stmt, 1, receiver);
    db_bind_text(stmt, 2, now);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        out->id = sqlite3_column_int64(stmt, 0);
        db_column_copy(stmt, 1, out->event, sizeof out->event);
        db_column_copy(stmt, 2, out->key, sizeof out->key);
        out->body = strdup((const char *)sqlite3_column_text(stmt, 3));
        out->tries = sqlite3_column_int64(stmt, 4);
        out->wait_ms = sqlite3_column_int64(stmt, 5);
        if (!out->body)
            rc = db_fail(db, SDB_ERROR, "out of memory reading a webhook");
    } else if (step == SQLITE_DONE) {
        rc = db_fail(db, SDB_NOT_FOUND, "nothing owed to %s", receiver);
    } else {
        rc = db_sql_fail(db, "reading the webhook outbox");
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* One UPDATE of an item, committed on its own (durable with the next
 * synchronous commit: a lost mark only means one more delivery, which the
 * idempotency key makes harmless). */
static int mark(struct station_db *db, int64_t id, int status, const char *error,
                int64_t retry_ms, bool delivered)
{
    char now[SDB_TIME_LEN + 1], next[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "UPDATE webhook_outbox SET tries = tries + 1, last_try_at = ?2,"
                            " last_status = ?3, last_error = ?4, next_try_at = ?5,"
                            " delivered_at = ?6 WHERE id = ?1 AND delivered_at IS NULL", &stmt);
    if (rc != SDB_OK)
        return rc;
    int64_t t = db_now_ms(db);
    sdb_format_time(t, now);
    sdb_format_time(t + retry_ms, next);
    sqlite3_bind_int64(stmt, 1, id);
    db_bind_text(stmt, 2, now);
    if (status > 0)
        sqlite3_bind_int(stmt, 3, status);
    db_bind_text(stmt, 4, delivered ? NULL : error);
    db_bind_text(stmt, 5, delivered ? NULL : next);
    db_bind_text(stmt, 6, delivered ? now : NULL);
    return db_step_progress(db, stmt, "recording a webhook delivery");
}

int sdb_outbox_delivered(struct station_db *db, int64_t id, int status)
{
    return mark(db, id, status, NULL, 0, true);
}

int sdb_outbox_failed(struct station_db *db, int64_t id, int status, const char *error,
                      int64_t retry_ms)
{
    return mark(db, id, status, error ? error : "no answer", retry_ms, false);
}

int sdb_outbox_backlog(struct station_db *db, cJSON **rows)
{
    sqlite3_stmt *stmt;
    *rows = NULL;
    int rc = db_prepare(db,
        "SELECT receiver, sum(delivered_at IS NULL) AS pending,"
        " sum(delivered_at IS NOT NULL) AS delivered,"
        " min(CASE WHEN delivered_at IS NULL THEN created_at END) AS oldest_pending_at,"
        " (SELECT tries FROM webhook_outbox o WHERE o.receiver = w.receiver"
        "   AND delivered_at IS NULL ORDER BY id LIMIT 1) AS tries,"
        " max(last_try_at) AS last_try_at,"
        " (SELECT last_status FROM webhook_outbox o WHERE o.receiver = w.receiver"
        "   AND last_try_at IS NOT NULL ORDER BY last_try_at DESC, id DESC LIMIT 1) AS last_status,"
        " (SELECT last_error FROM webhook_outbox o WHERE o.receiver = w.receiver"
        "   AND delivered_at IS NULL ORDER BY id LIMIT 1) AS last_error"
        " FROM webhook_outbox w GROUP BY receiver ORDER BY receiver", &stmt);
    if (rc != SDB_OK)
        return rc;
    return db_collect_rows(db, stmt, "reading the webhook backlog", rows);
}

int sdb_outbox_pending(struct station_db *db, const char *receiver, int64_t *n)
{
    sqlite3_stmt *stmt;
    *n = 0;
    /* The WHERE matches webhook_outbox_due's (receiver, id) WHERE
     * delivered_at IS NULL: SQLite counts the index, not the table. */
    int rc = db_prepare(db, "SELECT count(*) FROM webhook_outbox"
                            " WHERE receiver = ?1 AND delivered_at IS NULL", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, receiver);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *n = sqlite3_column_int64(stmt, 0);
    else
        rc = db_sql_fail(db, "counting a webhook's backlog");
    sqlite3_finalize(stmt);
    return rc;
}

int sdb_outbox_retry_now(struct station_db *db, const char *receiver, int64_t *n)
{
    sqlite3_stmt *stmt;
    *n = 0;
    int rc = db_prepare(db, "UPDATE webhook_outbox SET next_try_at = NULL"
                            " WHERE delivered_at IS NULL AND (?1 IS NULL OR receiver = ?1)",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, receiver);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "retrying webhooks");
    *n = sqlite3_changes(db->sql);
    sqlite3_finalize(stmt);
    return rc;
}
