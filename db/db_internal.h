/* What the files of db/ share and nobody else sees. */
#ifndef JIGD_DB_INTERNAL_H
#define JIGD_DB_INTERNAL_H

#include <sqlite3.h>

#include "station_db.h"

/* The first schema whose audit log is anchored (audit_anchor.c). */
#define DB_SCHEMA_ANCHORED 6

/* What station.db.anchor says about the end of the audit log. */
enum anchor_state {
    ANCHOR_NONE,        /* no file, and none expected: the log predates anchoring */
    ANCHOR_STALE,       /* a file found beside a log that predates anchoring */
    ANCHOR_MISSING,     /* no file where one should be */
    ANCHOR_UNREADABLE,  /* a file that is not an anchor */
    ANCHOR_SET,         /* last_id and last_hash are the log's last row */
};

struct refusal_counts;

struct audit_anchor {
    enum anchor_state state;
    int64_t last_id;
    char last_hash[65];
};

struct station_db {
    sqlite3 *sql;
    char *path;
    char station[SDB_STATION_MAX + 1];
    sdb_clock_fn clock;
    void *clock_ctx;
    bool read_only;
    bool beside_jigd;       /* writes, but is not the station (sdb_options) */
    int lock_fd;            /* -1 when read-only or beside jigd */
    int64_t session_id;     /* this process's row in sessions; 0 when read-only */
    int schema_version;
    int swept;              /* attempts marked interrupted at open */
    struct audit_anchor anchor;   /* the log's end as the anchor file has it (or will) */
    struct audit_anchor pending;  /* the end this transaction appended; ANCHOR_SET if any */
    bool anchor_checked;    /* the log's end was compared with the anchor since open */
    bool anchor_unwritten;  /* the file is behind db->anchor: a write failed */
    struct refusal_counts *refusals;  /* repeated refusals not yet logged */
    enum sdb_fault fault;   /* of the last failure; set with err */
    struct {
        char name[SDB_WEBHOOK_NAME_MAX + 1];
        unsigned events;
    } hooks[SDB_WEBHOOKS_MAX];      /* the receivers owed events (sdb_options) */
    size_t n_hooks;
    sdb_commit_observer commit_observer;    /* sdb_observe_commits; NULL: none */
    void *commit_observer_ctx;
    double commit_started;  /* monotonic seconds; 0: no commit under way */
    bool progress_commit;   /* the write under way is a progress row (NORMAL) */
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
/* Ends a write transaction: commits when rc is SDB_OK, else rolls back and
 * returns rc. */
int db_finish(struct station_db *db, int rc);

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
/* Every row of a prepared statement as *rows (a JSON array), then the
 * statement finalized; on failure *rows is NULL and `doing` names it. */
int db_collect_rows(struct station_db *db, sqlite3_stmt *stmt, const char *doing, cJSON **rows);

/* "aa:bb:cc:dd:ee:ff" */
void db_format_mac(const uint8_t mac[6], char out[SDB_MAC_LEN + 1]);
/* Accepts aa:bb:.., aa-bb-.., aabbccddeeff, any case. */
bool db_parse_mac(const char *text, uint8_t mac[6]);

/* ---- the audit log (audit_*.c) ---- */

#define DB_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Appends an audit event inside the caller's write transaction, after
 * checking the log's end against its anchor. */
int db_audit_append_locked(struct station_db *db, const char *actor, const char *action,
                           const cJSON *details);
/* Chains and inserts one row as it is (details: JSON text), no checks. */
int db_audit_insert_locked(struct station_db *db, const char *actor, const char *action,
                           const char *details);
/* Walks the chain: check->rows, head_hash, the first bad row; *last_id is
 * the last intact row. */
int db_audit_walk(struct station_db *db, struct sdb_audit_check *check, int64_t *last_id);
/* Marks the check failed at row id (0: no one row) with the reason. */
void db_audit_bad(struct sdb_audit_check *check, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Row records (audit_records.c): the rows that trace a board, carried in
 * the details of the event that wrote them. DB_SCHEMA_RECORDS is the
 * migration that starts it (and records the rows already there). */
#define DB_SCHEMA_RECORDS 7

enum db_record {
    DB_RECORD_UNIT, DB_RECORD_ATTEMPT, DB_RECORD_CERTIFICATE, DB_RECORD_ALLOCATION,
    DB_RECORD_TOKEN,        /* api_tokens, from schema 8 on */
    DB_RECORD_BOARD_CODE,   /* board_codes, from schema 9 on */
};

/* The SQL function the records use (jigd_sha256), on every connection. */
int db_records_register(struct station_db *db);
/* Adds the row's record to details.rows (made if needed); the caller
 * appends details in the transaction that wrote the row. */
int db_record_row(struct station_db *db, cJSON *details, enum db_record table, int64_t id);
int db_records_baseline_locked(struct station_db *db);
/* Every covered row against its latest record: check->records, and the
 * first row changed, gone or never recorded. */
int db_records_verify(struct station_db *db, struct sdb_audit_check *check);

/* The webhook outbox (outbox.c), inside the transaction of the fact: an
 * attempt's end (unit.result), a work order made, or done reaching its
 * quantity (after the count; nothing owed if it did not just reach it).
 * A work order's event happens once (nth 0: its key is station:event:id),
 * except an activation, which may recur: nth (its audit event's id) makes
 * each one's key its own. */
int db_outbox_unit_result_locked(struct station_db *db, int64_t attempt_id);
int db_outbox_work_order_locked(struct station_db *db, const char *work_order,
                                const char *event, int64_t nth);
int db_outbox_work_order_done_locked(struct station_db *db, int64_t attempt_id);

/* Repeated refusals (audit_refusals.c): appends the counts held so far,
 * in their own transaction (db_begin does, before any other write), and
 * frees them (sdb_close). */
int db_refusals_close_all(struct station_db *db);
void db_refusals_free(struct station_db *db);

/* The anchor file (audit_anchor.c). */
void db_anchor_path(const struct station_db *db, char *out, size_t size);
void db_anchor_read(const struct station_db *db, struct audit_anchor *anchor);
/* At open, before migrating: what the file says, for a log at this version. */
void db_anchor_load(struct station_db *db, int schema_version);
/* Before the first append of a transaction: a log whose end is not the
 * anchor's gets an audit.anchor event saying what was found. */
int db_anchor_check_locked(struct station_db *db);
void db_anchor_appended(struct station_db *db, int64_t id, const char *hash);
/* db_commit and db_rollback call these; sdb_close, db_anchor_close. */
void db_anchor_committed(struct station_db *db);
void db_anchor_close(struct station_db *db);
void db_anchor_rolled_back(struct station_db *db);
/* For sdb_audit_verify: the file (read before the table) against the
 * table's end, and the audit.anchor events that mean rows may be missing. */
int db_anchor_verify(struct station_db *db, const struct audit_anchor *file, int64_t last_id,
                     const char *last_hash, struct sdb_audit_check *check);
int db_anchor_events_verify(struct station_db *db, struct sdb_audit_check *check);

/* Compares every trigger of the database with the SQL the migrations
 * create; the first one dropped, changed or added makes check->ok false. */
int db_guards_verify(struct station_db *db, struct sdb_audit_check *check);

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
