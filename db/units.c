/* Units: one row per board identity, found by MAC, given a serial once. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

#define UNIT_COLUMNS \
    "id, serial, mac, chip, revision, flash_id, flash_size, first_seen, last_seen, voided"

static void read_unit(sqlite3_stmt *stmt, struct sdb_unit *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(stmt, 0);
    db_column_copy(stmt, 1, u->serial, sizeof u->serial);
    db_column_copy(stmt, 2, u->mac, sizeof u->mac);
    db_column_copy(stmt, 3, u->chip, sizeof u->chip);
    db_column_copy(stmt, 4, u->revision, sizeof u->revision);
    u->flash_id = (uint32_t)sqlite3_column_int64(stmt, 5);
    u->flash_size = (uint32_t)sqlite3_column_int64(stmt, 6);
    db_column_copy(stmt, 7, u->first_seen, sizeof u->first_seen);
    db_column_copy(stmt, 8, u->last_seen, sizeof u->last_seen);
    u->voided = sqlite3_column_int(stmt, 9) != 0;
}

/* Runs a one-row unit query with one text parameter. */
static int find_unit(struct station_db *db, const char *sql, const char *key,
                     struct sdb_unit *out)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, sql, &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, key);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        read_unit(stmt, out);
    else if (step == SQLITE_DONE)
        rc = db_fail(db, SDB_NOT_FOUND, "no unit has %s", key);
    else
        rc = db_sql_fail(db, "looking up a unit");
    sqlite3_finalize(stmt);
    return rc;
}

int sdb_unit_by_mac(struct station_db *db, const uint8_t mac[6], struct sdb_unit *out)
{
    char text[SDB_MAC_LEN + 1];
    db_format_mac(mac, text);
    return find_unit(db, "SELECT " UNIT_COLUMNS " FROM units WHERE mac = ? AND voided = 0",
                     text, out);
}

int sdb_unit_by_serial(struct station_db *db, const char *serial, struct sdb_unit *out)
{
    return find_unit(db, "SELECT " UNIT_COLUMNS " FROM units WHERE serial = ?", serial, out);
}

static int touch_unit(struct station_db *db, int64_t id, const char *now)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "UPDATE units SET last_seen = ? WHERE id = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, now);
    sqlite3_bind_int64(stmt, 2, id);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "updating the unit");
    sqlite3_finalize(stmt);
    return rc;
}

static int insert_unit(struct station_db *db, const struct sdb_board *b, const char *mac,
                       const char *serial, const char *now, int64_t allocation_id)
{
    sqlite3_stmt *stmt;
    int rc = db_prepare(db, "INSERT INTO units (serial, mac, chip, revision, flash_id,"
                            " flash_size, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        &stmt);
    if (rc != SDB_OK)
        return rc;
    db_bind_text(stmt, 1, serial);
    db_bind_text(stmt, 2, mac);
    db_bind_text(stmt, 3, b->chip ? b->chip : "");
    db_bind_text(stmt, 4, b->revision ? b->revision : "");
    sqlite3_bind_int64(stmt, 5, b->flash_id);
    sqlite3_bind_int64(stmt, 6, b->flash_size);
    db_bind_text(stmt, 7, now);
    db_bind_text(stmt, 8, now);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "recording the unit");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    int64_t unit_id = sqlite3_last_insert_rowid(db->sql);
    rc = db_prepare(db, "UPDATE serial_allocations SET unit_id = ? WHERE id = ?", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, unit_id);
    sqlite3_bind_int64(stmt, 2, allocation_id);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? SDB_OK : db_sql_fail(db, "tying the serial to the unit");
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    /* The unit and its serial's allocation, as the audit log will hold them. */
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "serial", serial);
    cJSON_AddStringToObject(d, "mac", mac);
    rc = db_record_row(db, d, DB_RECORD_UNIT, unit_id);
    if (rc == SDB_OK)
        rc = db_record_row(db, d, DB_RECORD_ALLOCATION, allocation_id);
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, "jigd", "unit.create", d);
    cJSON_Delete(d);
    return rc;
}

/* Inside the transaction: the known unit, or a new one with a new serial. */
static int identify_locked(struct station_db *db, const struct sdb_board *b, const char *mac,
                           const char *format, const char *work_order, struct sdb_unit *out,
                           bool *reworked)
{
    char now[SDB_TIME_LEN + 1], serial[SDB_SERIAL_MAX + 1];
    int64_t allocation_id;
    db_now(db, now);
    int rc = sdb_unit_by_mac(db, b->mac, out);
    if (rc == SDB_OK) {
        *reworked = true;
        rc = touch_unit(db, out->id, now);
        snprintf(out->last_seen, sizeof out->last_seen, "%s", now);
        return rc;
    }
    if (rc != SDB_NOT_FOUND)
        return rc;
    *reworked = false;
    rc = db_serial_allocate_locked(db, format, work_order, serial, &allocation_id);
    if (rc == SDB_OK)
        rc = insert_unit(db, b, mac, serial, now, allocation_id);
    if (rc == SDB_OK)
        rc = sdb_unit_by_serial(db, serial, out);
    return rc;
}

int sdb_unit_identify(struct station_db *db, const struct sdb_board *board,
                      const char *serial_format, const char *work_order,
                      struct sdb_unit *out, bool *reworked)
{
    char mac[SDB_MAC_LEN + 1];
    bool rework_flag = false;
    db_format_mac(board->mac, mac);
    int rc = db_begin(db);
    if (rc != SDB_OK)
        return rc;
    rc = identify_locked(db, board, mac, serial_format, work_order, out, &rework_flag);
    if (rc == SDB_OK && reworked)
        *reworked = rework_flag;
    return db_finish(db, rc);
}
