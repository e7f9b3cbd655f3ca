/* What the files of db/ share and nobody else sees. */
#ifndef JIGD_DB_INTERNAL_H
#define JIGD_DB_INTERNAL_H

#include <sqlite3.h>

#include "station_db.h"

struct station_db {
    sqlite3 *sql;
    char *path;
    char station[SDB_STATION_MAX + 1];
    sdb_clock_fn clock;
    void *clock_ctx;
    bool read_only;
    int lock_fd;            /* -1 when read-only */
    int64_t session_id;     /* this process's row in sessions; 0 when read-only */
    int schema_version;
    int swept;              /* attempts marked interrupted at open */
    enum sdb_fault fault;   /* of the last failure; set with err */
    char err[512];
};

/* Sets the message (no storage fault) and returns status. */
int db_fail(struct station_db *db, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Describes a failed SQLite call ("while <doing>: <sqlite's words>") and
 * maps its code: constraint → SDB_CONFLICT / SDB_REFUSED, busy → SDB_BUSY,
 * a disk that takes no writes → SDB_ERROR with its storage fault. */
int db_sql_fail(struct station_db *db, const char *doing);

/* ---- storage faults (db_storage.c) ---- */

/* The storage fault an extended SQLite code and the failed system call's
 * errno mean; SDB_FAULT_NONE when it is not the disk. */
enum sdb_fault db_fault_of(int extended_code, int sys_errno);
/* SDB_ERROR with a message naming the fault, the file and what to do. */
int db_storage_fail(struct station_db *db, const char *doing, enum sdb_fault fault,
                    int extended_code, int sys_errno);
/* Whether path exists but can take no write however it is opened
 * (immutable, append-only, a read-only file system), and why in words. */
bool db_file_refuses_writes(const char *path, char *why, size_t why_size);

/* ---- the WAL index's guard (db_shm_guard.c) ---- */

/* The name of the VFS every connection opens with: the default one, except
 * that no store goes into a WAL index that cannot take it (SIGBUS). NULL
 * if it could not be registered (out of memory). */
const char *db_shm_guard_vfs(void);

int db_prepare(struct station_db *db, const char *sql, sqlite3_stmt **stmt);
/* Runs SQL that takes no values (BEGIN, COMMIT, pragmas). */
int db_exec(struct station_db *db, const char *sql);

/* Write transactions take the lock up front (BEGIN IMMEDIATE), so two
 * writers never deadlock upgrading a read lock. */
int db_begin(struct station_db *db);
int db_commit(struct station_db *db);
void db_rollback(struct station_db *db);

/* Steps and finalizes a one-statement progress record (a part about to be
 * written, a phase that ended) committed without an fsync of its own: it
 * becomes durable with the next synchronous=FULL commit. See db/README.md,
 * "Durability rules". */
int db_step_progress(struct station_db *db, sqlite3_stmt *stmt, const char *doing);

int64_t db_now_ms(struct station_db *db);
void db_now(struct station_db *db, char out[SDB_TIME_LEN + 1]);

/* Binds text, or NULL when text is NULL. */
int db_bind_text(sqlite3_stmt *stmt, int index, const char *text);
/* Copies column text (or "") into a fixed buffer, truncating. */
void db_column_copy(sqlite3_stmt *stmt, int col, char *out, size_t size);

/* Turns every remaining row of stmt into an object keyed by column name and
 * appends it to rows. Returns SQLITE_DONE on success. */
int db_rows_to_json(sqlite3_stmt *stmt, cJSON *rows);

/* "aa:bb:cc:dd:ee:ff" */
void db_format_mac(const uint8_t mac[6], char out[SDB_MAC_LEN + 1]);
/* Accepts aa:bb:.., aa-bb-.., aabbccddeeff, any case. */
bool db_parse_mac(const char *text, uint8_t mac[6]);

/* Appends an audit event inside the caller's write transaction. */
int db_audit_append_locked(struct station_db *db, const char *actor, const char *action,
                           const cJSON *details);

/* Allocates the next serial of format inside the caller's transaction and
 * appends its audit event; the allocation has no unit until the caller
 * sets serial_allocations.unit_id. */
int db_serial_allocate_locked(struct station_db *db, const char *format,
                              const char *work_order, char serial[SDB_SERIAL_MAX + 1],
                              int64_t *allocation_id);

/* Marks attempts that an earlier process left running as interrupted. */
int db_sweep_interrupted(struct station_db *db);

/* Applies migrations up to target on an open connection. */
int db_migrate(struct station_db *db, int target);

/* SHA-256 of a || b, as 64 lowercase hex digits. */
void db_sha256_hex(const void *a, size_t a_len, const void *b, size_t b_len,
                   char out[65]);

#endif
