/* The work order the station flashes against, when the MES chose it over
 * the API: kept in the database so that a restart goes on with it,
 * audited, since every serial from then on counts against it, and owed to
 * the webhook receivers (work_order.activated). */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

int sdb_work_order_choice_get(struct station_db *db, struct sdb_work_order_choice *out)
{
    sqlite3_stmt *stmt;
    memset(out, 0, sizeof *out);
    int rc = db_prepare(db, "SELECT work_order, config_work_order, chosen_at, chosen_by"
                            " FROM work_order_choice WHERE id = 1", &stmt);
    if (rc != SDB_OK)
        return rc;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        db_column_copy(stmt, 0, out->work_order, sizeof out->work_order);
        db_column_copy(stmt, 1, out->config_work_order, sizeof out->config_work_order);
        db_column_copy(stmt, 2, out->chosen_at, sizeof out->chosen_at);
        db_column_copy(stmt, 3, out->chosen_by, sizeof out->chosen_by);
    } else {
        rc = step == SQLITE_DONE ? SDB_NOT_FOUND : db_sql_fail(db, "reading the work order choice");
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* A work order that cannot take a board is no choice: say why now, not at
 * the next board. */
static int check_open(struct station_db *db, const char *id)
{
    struct sdb_work_order w;
    int rc = sdb_work_order_get(db, id, &w);
    if (rc != SDB_OK)
        return rc;
    if (w.closed_at[0])
        return db_fail(db, SDB_CONFLICT, "work order %s was closed at %s by %s: no board "
                       "starts on it", id, w.closed_at, w.closed_by);
    if (w.full)
        return db_fail(db, SDB_CONFLICT, "work order %s has all %lld of its serials "
                       "allocated: no more boards can start on it", id, (long long)w.quantity);
    return SDB_OK;
}

static int choose_locked(struct station_db *db, const char *id, const char *config_work_order,
                         const char *actor)
{
    int rc = check_open(db, id);
    if (rc != SDB_OK)
        return rc;
    struct sdb_work_order_choice was;
    rc = sdb_work_order_choice_get(db, &was);
    if (rc != SDB_OK && rc != SDB_NOT_FOUND)
        return rc;
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    if ((rc = db_prepare(db, "INSERT OR REPLACE INTO work_order_choice (id, work_order,"
                             " config_work_order, chosen_at, chosen_by) VALUES (1, ?, ?, ?, ?)",
                         &stmt)) != SDB_OK)
        return rc;
    db_now(db, now);
    db_bind_text(stmt, 1, id);
    db_bind_text(stmt, 2, config_work_order);
    db_bind_text(stmt, 3, now);
    db_bind_text(stmt, 4, actor);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK
                                           : db_sql_fail(db, "recording the work order choice");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "work_order", id);
    cJSON_AddStringToObject(d, "previous", was.work_order[0] ? was.work_order
                                                             : config_work_order);
    rc = db_audit_append_locked(db, actor, "work_order.activate", d);
    cJSON_Delete(d);
    if (rc != SDB_OK)
        return rc;
    /* The audit event's id: each activation owed to the MES on its own. */
    return db_outbox_work_order_locked(db, id, "work_order.activated",
                                       sqlite3_last_insert_rowid(db->sql));
}

int sdb_work_order_choose(struct station_db *db, const char *id,
                          const char *config_work_order, const char *actor)
{
    if (!actor || !*actor)
        return db_fail(db, SDB_REFUSED, "say who activates work order %s: the audit log "
                       "keeps it", id ? id : "");
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    return db_finish(db, choose_locked(db, id, config_work_order ? config_work_order : "",
                                       actor));
}

int sdb_work_order_choice_forget(struct station_db *db)
{
    return db_exec(db, "DELETE FROM work_order_choice");
}
