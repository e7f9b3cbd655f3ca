/* Board codes: the label on the PCB, bound to the unit the board is. The
 * scan comes before the board has said its MAC, so the binding is made
 * when the unit is known (the station does it right after the unit's
 * identity is found) and refused there when the code is another unit's:
 * two boards carrying one label is a labelling fault the operator must
 * see, with both serials, before anything is written. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

bool sdb_board_code_valid(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > SDB_BOARD_CODE_MAX || code[0] == ' ' || code[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (code[i] < ' ' || code[i] > '~')
            return false;
    return true;
}

int sdb_board_code_owner(struct station_db *db, const char *code, char *serial)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT u.serial FROM board_codes c JOIN units u"
                            " ON u.id = c.unit_id WHERE c.code = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, code);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        db_column_copy(stmt, 0, serial, SDB_SERIAL_MAX + 1);
    else if (step == SQLITE_DONE)
        rc = db_fail(db, SDB_NOT_FOUND, "no unit bears board code '%.64s'", code);
    else
        rc = db_sql_fail(db, "looking up a board code");
    sqlite3_finalize(stmt);
    return rc;
}

static int serial_of(struct station_db *db, int64_t unit_id, char serial[SDB_SERIAL_MAX + 1])
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "SELECT serial FROM units WHERE id = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, unit_id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        db_column_copy(stmt, 0, serial, SDB_SERIAL_MAX + 1);
    else if (step == SQLITE_DONE)
        rc = db_fail(db, SDB_NOT_FOUND, "no unit has id %lld", (long long)unit_id);
    else
        rc = db_sql_fail(db, "looking up a unit");
    sqlite3_finalize(stmt);
    return rc;
}

static int insert_code(struct station_db *db, const struct sdb_board_code_bind *b,
                       int64_t *id)
{
    char now[SDB_TIME_LEN + 1];
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "INSERT INTO board_codes (code, unit_id, attempt_id, slot,"
                            " bound_at, bound_by) VALUES (?, ?, ?, ?, ?, ?)", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_now(db, now);
    db_bind_text(stmt, 1, b->code);
    sqlite3_bind_int64(stmt, 2, b->unit_id);
    if (b->attempt_id > 0)
        sqlite3_bind_int64(stmt, 3, b->attempt_id);
    if (b->slot >= 0)
        sqlite3_bind_int(stmt, 4, b->slot);
    db_bind_text(stmt, 5, now);
    db_bind_text(stmt, 6, b->actor);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "binding the board code");
    sqlite3_finalize(stmt);
    *id = sqlite3_last_insert_rowid(db->sql);
    return rc;
}

static int bind_event(struct station_db *db, const struct sdb_board_code_bind *b, int64_t id,
                      const char *serial)
{
    cJSON *d = cJSON_CreateObject();
    if (!d)
        return db_fail(db, SDB_ERROR, "out of memory recording a board code");
    cJSON_AddStringToObject(d, "code", b->code);
    cJSON_AddStringToObject(d, "serial", serial);
    if (b->slot >= 0)
        cJSON_AddNumberToObject(d, "slot", b->slot);
    int rc = db_record_row(db, d, DB_RECORD_BOARD_CODE, id);
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, b->actor, "board_code.bind", d);
    cJSON_Delete(d);
    return rc;
}

static int bind_locked(struct station_db *db, const struct sdb_board_code_bind *b,
                       char *other_serial)
{
    char serial[SDB_SERIAL_MAX + 1], owner[SDB_SERIAL_MAX + 1];
    int rc = serial_of(db, b->unit_id, serial);
    if (rc != SDB_OK)
        return rc;
    rc = sdb_board_code_owner(db, b->code, owner);
    if (rc == SDB_OK && strcmp(owner, serial) == 0)
        return SDB_OK;                  /* its own label, scanned again */
    if (rc == SDB_OK) {
        if (other_serial)
            snprintf(other_serial, SDB_SERIAL_MAX + 1, "%s", owner);
        return db_fail(db, SDB_CONFLICT, "board code '%s' is unit %s's label, but this board "
                       "is unit %s", b->code, owner, serial);
    }
    if (rc != SDB_NOT_FOUND)
        return rc;
    int64_t id;
    rc = insert_code(db, b, &id);
    return rc == SDB_OK ? bind_event(db, b, id, serial) : rc;
}

int sdb_board_code_bind(struct station_db *db, const struct sdb_board_code_bind *b,
                        char *other_serial)
{
    if (!sdb_board_code_valid(b->code))
        return db_fail(db, SDB_REFUSED, "a board code is 1 to %d printable characters, not "
                       "'%.80s'", SDB_BOARD_CODE_MAX, b->code ? b->code : "");
    if (!b->actor || !*b->actor)
        return db_fail(db, SDB_REFUSED, "say who scanned the board code: the audit log "
                       "records it");
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    return db_finish(db, bind_locked(db, b, other_serial));
}
