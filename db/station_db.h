/* station_db: the station's system of record (SQLite).
 *
 * Every board the station sees, every attempt to flash one, every serial
 * number handed out, every certificate issued and every operator decision
 * is written here, and db/README.md explains the tables to the quality
 * engineer who audits them. Three promises shape the API:
 *
 *  - A serial is committed (synchronous=FULL) before the call that allocates
 *    it returns, so a crash can never hand one serial to two boards.
 *  - A board whose MAC is known keeps its serial through rework, unless the
 *    operator voided that serial.
 *  - The audit log is append-only and hash-chained: sdb_audit_verify() names
 *    the first row that was edited or deleted. It also covers the rows that
 *    trace a board (units, ended attempts, certificates, serial
 *    allocations): each write of one appends an event carrying its content,
 *    so a row changed afterwards is reported too.
 *
 * One process (jigd) opens the database as the station; it holds a lock file
 * beside it so a second jigd refuses to start. Any number of readers (jigctl
 * audit, an engineer's sqlite3 shell) may open it read-only at the same time
 * thanks to WAL, and a tool may write beside it what is not the station's to
 * write (jigctl token: sdb_options.beside_jigd). A struct station_db is used
 * from one thread at a time.
 *
 * Every function returns an enum sdb_status; on anything but SDB_OK,
 * sdb_errmsg() says what happened and what to check, in words meant for an
 * operator or engineer. */
#ifndef JIGD_STATION_DB_H
#define JIGD_STATION_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct station_db;

enum sdb_status {
    SDB_OK = 0,
    SDB_NOT_FOUND,  /* no such unit, serial, attempt or work order */
    SDB_REFUSED,    /* a rule said no: full work order, private key, bad input */
    SDB_CONFLICT,   /* would break a uniqueness rule (MAC, fingerprint, id) */
    SDB_BUSY,       /* another process held the database past the busy timeout */
    SDB_ERROR,      /* I/O, corruption, out of memory, unknown schema */
};

#define SDB_SERIAL_MAX 64           /* longest serial number, in characters */
#define SDB_BOARD_CODE_MAX 64       /* longest board code (the PCB label a scanner reads) */
#define SDB_SERIAL_FORMAT_MAX 128   /* longest serial format */
#define SDB_STATION_MAX 32          /* longest station name */
#define SDB_TIME_LEN 24             /* "2026-11-23T10:36:06.123Z" */
#define SDB_MAC_LEN 17              /* "aa:bb:cc:dd:ee:ff" */

/* Milliseconds since the Unix epoch, UTC. */
typedef int64_t (*sdb_clock_fn)(void *ctx);

/* A webhook receiver ([webhook NAME] in jigd.conf) and the events it wants:
 * the station writes what it owes each one into the outbox in the same
 * transaction as the fact (sdb_outbox_*). */
#define SDB_WEBHOOK_NAME_MAX 32
#define SDB_WEBHOOKS_MAX 8
enum sdb_hook_events {
    SDB_HOOK_UNIT_RESULT = 1 << 0,  /* unit.result: every attempt's end */
    SDB_HOOK_WORK_ORDER = 1 << 1,   /* work_order.created, .complete, .closed, .activated */
    SDB_HOOK_ALARM = 1 << 2,        /* alarm (sdb_outbox_add) */
};
struct sdb_webhook {
    const char *name;       /* 1..SDB_WEBHOOK_NAME_MAX of [A-Za-z0-9_-] */
    unsigned events;        /* enum sdb_hook_events bits */
};

struct sdb_options {
    const char *station;    /* this station's name; {station} in serial formats.
                             * NULL = "station". Letters, digits, - _ . only. */
    bool read_only;         /* reports only: no migration, no sweep, no lock */
    bool beside_jigd;       /* a tool's writes beside a running jigd (jigctl
                             * token): no lock, no migration, no session, no
                             * sweep; the file must exist, at this program's
                             * schema. Only for writes that are not the
                             * station's (tokens, audit events). Ignored with
                             * read_only. */
    int busy_timeout_ms;    /* how long to wait for another writer; 0 = 5000 */
    sdb_clock_fn clock;     /* NULL = the real-time clock (tests pass a fake) */
    void *clock_ctx;
    const struct sdb_webhook *webhooks;  /* the receivers the station owes events */
    size_t n_webhooks;                   /* at most SDB_WEBHOOKS_MAX */
};

/* ---- opening ------------------------------------------------------------ */

/* Opens (creating if needed) the database at path, applies the migrations it
 * lacks, and, as the station, marks attempts a previous jigd left running as
 * interrupted. A database written by a newer jigd is refused. On failure
 * *out is NULL and err holds the reason. */
int sdb_open(const char *path, const struct sdb_options *opt,
             struct station_db **out, char *err, size_t err_size);
void sdb_close(struct station_db *db);
const char *sdb_errmsg(const struct station_db *db);

/* What kept the last failed call from writing when the cause was the disk,
 * not a rule: the disk is full, a file of the database (or its file system)
 * takes no writes, or the disk failed. The call returned SDB_ERROR, its
 * transaction rolled back (nothing half-written), and the same call on the
 * same handle may succeed once the cause is gone: the caller may hold what
 * it wanted to record and try again. SDB_FAULT_NONE after any other
 * failure. Never a SIGBUS: see db/README.md, "When the disk stops taking
 * writes". */
enum sdb_fault {
    SDB_FAULT_NONE = 0,
    SDB_FAULT_DISK_FULL,    /* no space (or quota) left for the database or its WAL */
    SDB_FAULT_READ_ONLY,    /* a file immutable or not writable, the file system read-only */
    SDB_FAULT_IO,           /* the disk failed a read, write or sync */
};
enum sdb_fault sdb_last_fault(const struct station_db *db);

int sdb_schema_version(const struct station_db *db);
int sdb_latest_schema_version(void);
/* Attempts found 'running' at open and marked interrupted. */
int sdb_interrupted_at_open(const struct station_db *db);

/* For tests and the upgrade tool: creates or upgrades the database at path
 * only up to target_version (0 = empty), without the rest of sdb_open. */
int sdb_migrate_file_to(const char *path, int target_version, char *err, size_t err_size);

/* Told how long each commit of a write took, from SQLite starting it to
 * the transaction being in the WAL (and, when `durable`, on the disk:
 * synchronous=FULL waits for the sync; the progress rows at NORMAL do not;
 * db/README.md, "Durability rules"), in seconds of the monotonic clock.
 * Explicit transactions and one-statement writes alike; a commit the disk
 * refused is not timed. jigd's GET /metrics shows them as a histogram.
 * Called on the thread that commits. NULL: nobody is told. */
typedef void (*sdb_commit_observer)(void *ctx, double seconds, bool durable);
void sdb_observe_commits(struct station_db *db, sdb_commit_observer fn, void *ctx);

/* The database handle, for tests and the audit CLI's raw SQL (read-only use). */
struct sqlite3 *sdb_sqlite(struct station_db *db);

/* Formats ms since the epoch as the database stores times. */
void sdb_format_time(int64_t ms, char out[SDB_TIME_LEN + 1]);

/* ---- bundles ------------------------------------------------------------ */

/* Registers a bundle by its manifest's sha256 (64 hex digits); a bundle
 * already known returns its existing id. */
int sdb_bundle_register(struct station_db *db, const char *name, const char *version,
                        const char *manifest_sha256, int64_t *id);

/* ---- units and serials -------------------------------------------------- */

/* What the ROM loader told us about the board in the jig. */
struct sdb_board {
    uint8_t mac[6];
    const char *chip;       /* "ESP32-S3" */
    const char *revision;   /* "v0.2" */
    uint32_t flash_id;
    uint32_t flash_size;    /* bytes */
};

struct sdb_unit {
    int64_t id;
    char serial[SDB_SERIAL_MAX + 1];
    char mac[SDB_MAC_LEN + 1];
    char chip[32];
    char revision[16];
    uint32_t flash_id;
    uint32_t flash_size;
    char first_seen[SDB_TIME_LEN + 1];
    char last_seen[SDB_TIME_LEN + 1];
    bool voided;
};

/* The unit this board is. A MAC already known (and not voided) keeps its
 * serial: *reworked is set and nothing is allocated (it stays counted
 * against the work order it was first allocated under). Otherwise the next
 * serial of serial_format is allocated (counted against work_order, if not
 * NULL) and committed with the new unit before this returns.
 *
 * Serial formats: literal text (letters, digits, - _ . /) and the fields
 * {yy} {yyyy} {mm} {dd} {ww} {station} and exactly one {seq} or {seq:N}
 * (N digits, zero-padded; more refuses rather than widen a label). Dates are
 * UTC; {ww} is the ISO 8601 week, and in a format with {ww} the years are the
 * ISO week-based year (2024-12-30 is week 01 of 2025: "2501", not "2401").
 * The counter's scope is the format with the date and station fields
 * expanded, so 'ACME-{yy}{ww}-{seq:06}' restarts at 000001 each week. */
int sdb_unit_identify(struct station_db *db, const struct sdb_board *board,
                      const char *serial_format, const char *work_order,
                      struct sdb_unit *out, bool *reworked);

/* The live (not voided) unit with this MAC. */
int sdb_unit_by_mac(struct station_db *db, const uint8_t mac[6], struct sdb_unit *out);
int sdb_unit_by_serial(struct station_db *db, const char *serial, struct sdb_unit *out);

/* Allocates the next serial of a format without a board (label printing,
 * MES reservations). out must hold SDB_SERIAL_MAX + 1 bytes. */
int sdb_serial_allocate(struct station_db *db, const char *serial_format,
                        const char *work_order, char *out);

/* Voids a serial for good: its counter value is never reused, and the board
 * that carried it gets a new serial the next time it is flashed. */
int sdb_serial_void(struct station_db *db, const char *serial,
                    const char *actor, const char *reason);

/* Serials allocated but never completed by a successful attempt, oldest
 * first: [{serial, allocated_at, mac, work_order, attempts, last_result}]. */
int sdb_serials_incomplete(struct station_db *db, cJSON **rows);

/* ---- board codes (the PCB label a scanner reads) ------------------------- */

/* A board code is 1..SDB_BOARD_CODE_MAX printable ASCII characters (space
 * to '~'), not starting or ending with a space: what a scanner types. */
bool sdb_board_code_valid(const char *code);

struct sdb_board_code_bind {
    const char *code;
    int64_t unit_id;
    int64_t attempt_id;     /* the attempt that binds it; 0 = none */
    int slot;               /* -1 = none */
    const char *actor;      /* who scanned it: the token's name (required) */
};
/* Binds the code to the unit for good, with audit event "board_code.bind"
 * {code, serial, slot} and the row's record. SDB_OK also when the code is
 * this unit's already (nothing is written). SDB_CONFLICT when another unit
 * bears it: that unit's serial in other_serial (SDB_SERIAL_MAX + 1 bytes,
 * may be NULL), and the message names both. SDB_REFUSED for a code that is
 * not valid. */
int sdb_board_code_bind(struct station_db *db, const struct sdb_board_code_bind *b,
                        char *other_serial);
/* The serial of the unit that bears the code; SDB_NOT_FOUND when none. */
int sdb_board_code_owner(struct station_db *db, const char *code, char *serial);

/* ---- attempts ----------------------------------------------------------- */

struct sdb_attempt_start {
    int slot;
    const char *adapter_id;     /* may be NULL */
    const char *adapter_port;   /* may be NULL */
    int64_t bundle_id;          /* 0 = none */
    const char *work_order;     /* may be NULL */
};

int sdb_attempt_begin(struct station_db *db, const struct sdb_attempt_start *start,
                      int64_t *attempt_id);
/* Once the board identified: ties the attempt to its unit and records the
 * chip, revision and flash id the board reported. */
int sdb_attempt_set_unit(struct station_db *db, int64_t attempt_id, int64_t unit_id);
int sdb_attempt_phase(struct station_db *db, int64_t attempt_id, const char *phase,
                      int64_t started_ms, int64_t duration_ms, uint64_t bytes);
int sdb_attempt_part(struct station_db *db, int64_t attempt_id, const char *name,
                     uint32_t flash_offset, uint32_t size, const char *sha256,
                     bool per_unit);
/* Ends a running attempt. ok: the unit's serial becomes completed and its
 * work order counts one more done. !ok: failed_phase and cause are required
 * and the attempt's work order counts one more failure. */
int sdb_attempt_end(struct station_db *db, int64_t attempt_id, bool ok,
                    const char *failed_phase, const char *cause, uint64_t bytes_written);
/* jigd itself stopped the attempt (SIGTERM): ended 'interrupted', in
 * `phase` with `cause`; not the board's failure, so neither first-pass yield
 * nor a work order's failed count takes it. */
int sdb_attempt_interrupt(struct station_db *db, int64_t attempt_id, const char *phase,
                          const char *cause, uint64_t bytes_written);

/* ---- certificates ------------------------------------------------------- */

struct sdb_certificate {
    int64_t unit_id;
    const char *fingerprint_sha256;     /* 64 hex digits of the DER's sha256 */
    const char *subject;
    const char *not_before;             /* as printed by the issuer */
    const char *not_after;
    const char *pem;                    /* "-----BEGIN CERTIFICATE-----..." */
};

/* Stores a unit's certificate. Anything that contains "PRIVATE KEY" is
 * refused here and by the table's CHECK. */
int sdb_certificate_insert(struct station_db *db, const struct sdb_certificate *cert,
                           int64_t *id);

/* ---- work orders -------------------------------------------------------- */

struct sdb_work_order {
    char id[65];
    int64_t bundle_id;      /* 0 = none */
    int64_t quantity;
    int64_t done;           /* units completed */
    int64_t failed;         /* failed attempts */
    int64_t allocated;      /* serials held, completed or not (voided excluded) */
    bool full;              /* allocated == quantity: no more serials */
    char created_at[SDB_TIME_LEN + 1];
    char closed_at[SDB_TIME_LEN + 1];   /* "" = open */
    char closed_by[80];
    char close_reason[200];
    char serial_format[SDB_SERIAL_FORMAT_MAX + 1]; /* "" = the station's */
    char bundle_sha256[65];     /* its bundle's manifest hash; "" = none */
};

struct sdb_work_order_new {
    const char *id;             /* the MES's identifier (1..64 printable characters) */
    int64_t quantity;
    int64_t bundle_id;          /* 0 = any (sdb_bundle_register gives one) */
    const char *serial_format;  /* NULL or "" = the station's serial_format */
    const char *actor;          /* who asks, for the audit log */
};
/* A serial format given is checked as jigd.conf's is (SDB_REFUSED, with
 * the reason). SDB_CONFLICT when the id exists. */
int sdb_work_order_create(struct station_db *db, const struct sdb_work_order_new *w);
int sdb_work_order_get(struct station_db *db, const char *id, struct sdb_work_order *out);
/* Closes it for good: no board starts on it any more (a unit already in it
 * may come back for rework). Audit "work_order.close" {work_order, reason}
 * by `actor`; webhook work_order.closed. SDB_NOT_FOUND, or SDB_CONFLICT
 * when it is closed already. */
int sdb_work_order_close(struct station_db *db, const char *id, const char *actor,
                         const char *reason);
/* A page of a list: at most `limit` rows (0 = all) after `cursor` (the
 * last row's seq of the page before; 0 = from the start). */
struct sdb_page {
    int64_t limit;
    int64_t cursor;
    bool newest_first;
};
/* Work orders in the order they were made (newest first, or oldest):
 * [{seq, id, bundle_id, quantity, allocated, done, failed, created_at,
 * closed_at, closed_by, close_reason, serial_format, bundle}]. */
int sdb_work_order_list(struct station_db *db, const struct sdb_page *page, cJSON **rows);

/* The work order chosen over the API to flash against (it outlives a
 * restart), with what jigd.conf's work_order said when it was chosen. */
struct sdb_work_order_choice {
    char work_order[65];
    char config_work_order[65];
    char chosen_at[SDB_TIME_LEN + 1];
    char chosen_by[80];
};
/* SDB_OK, or SDB_NOT_FOUND when nothing was chosen (no message). */
int sdb_work_order_choice_get(struct station_db *db, struct sdb_work_order_choice *out);
/* Records `id` as the chosen work order: audit "work_order.activate"
 * {work_order, previous} by `actor`; webhook work_order.activated. SDB_NOT_FOUND for an unknown one,
 * SDB_CONFLICT for one closed or holding all its serials (the message
 * says which). */
int sdb_work_order_choose(struct station_db *db, const char *id,
                          const char *config_work_order, const char *actor);
/* Forgets the choice (jigd.conf's work_order changed since: it wins). */
int sdb_work_order_choice_forget(struct station_db *db);

/* ---- API tokens --------------------------------------------------------- */

/* Who may use the REST API, and as what. Only a token's SHA-256 is stored:
 * `jigctl token add` shows the token once, and neither the database nor the
 * audit log ever holds it. jigctl writes these rows while jigd runs (see
 * sdb_options.beside_jigd); jigd notices through sdb_data_version. A token is
 * revoked, never deleted, and a revoked one stays revoked (triggers). */

#define SDB_TOKEN_NAME_MAX 64
struct sdb_token {
    char name[SDB_TOKEN_NAME_MAX + 1];
    char role[16];          /* viewer, operator, mes, admin */
    char hash[65];          /* hex SHA-256 of the token */
};
/* name: 1..64 of [A-Za-z0-9._-]; role one of the four; hash 64 lowercase hex.
 * SDB_CONFLICT if an active token has that name (or any token, revoked too,
 * that hash: a token is never given twice). Audit event "token.add" with
 * {name, role} (never the hash; and the row's record, db/README.md), actor =
 * `actor` (required). */
int sdb_token_add(struct station_db *db, const char *name, const char *role,
                  const char *hash_hex, const char *actor);
/* SDB_NOT_FOUND when no active token has that name. Audit "token.revoke". */
int sdb_token_revoke(struct station_db *db, const char *name, const char *actor);
/* Every token, active first then revoked, oldest first:
 * [{name, role, created_at, created_by, revoked_at, revoked_by}] -- never the hash. */
int sdb_token_list(struct station_db *db, cJSON **rows);
/* The active tokens (malloc'd array, *n of them; free() it). */
int sdb_tokens_active(struct station_db *db, struct sdb_token **out, size_t *n);
/* SQLite's PRAGMA data_version: changes when ANOTHER connection commits, so a
 * long-running jigd can tell cheaply that jigctl changed the tokens. */
int sdb_data_version(struct station_db *db, int64_t *version);

/* ---- the webhook outbox (db/outbox.c) ------------------------------------ */

/* One delivery a receiver is owed, the oldest first: the body and key are
 * the same on every try. */
struct sdb_outbox_item {
    int64_t id;
    char event[32];             /* unit.result, work_order.created, ... */
    char key[160];              /* the idempotency key */
    char *body;                 /* JSON; sdb_outbox_item_free */
    int64_t tries;              /* before this one */
    int64_t wait_ms;            /* until its retry is due; 0 = now */
};
void sdb_outbox_item_free(struct sdb_outbox_item *item);
/* Owes an event to every receiver that wants `kind` (in its own
 * transaction): alarms and other news that are not rows of this database.
 * A key owed already is not owed twice. */
int sdb_outbox_add(struct station_db *db, enum sdb_hook_events kind, const char *event,
                   const char *key, const char *body);
/* The receiver's oldest undelivered item; SDB_NOT_FOUND when none. */
int sdb_outbox_next(struct station_db *db, const char *receiver, struct sdb_outbox_item *out);
/* The receiver answered 2xx (status): done for good. */
int sdb_outbox_delivered(struct station_db *db, int64_t id, int status);
/* A try failed (status 0: no answer; error in words); the next is due in
 * retry_ms. */
int sdb_outbox_failed(struct station_db *db, int64_t id, int status, const char *error,
                      int64_t retry_ms);
/* Per receiver: [{receiver, pending, delivered, oldest_pending_at, tries,
 * last_try_at, last_status, last_error}] (the receivers with any row). */
int sdb_outbox_backlog(struct station_db *db, cJSON **rows);
/* How many deliveries `receiver` is owed and has not had (its backlog):
 * counted on the outbox's index of undelivered rows, so the cost grows
 * with the backlog, not with every delivery the station ever made. */
int sdb_outbox_pending(struct station_db *db, const char *receiver, int64_t *n);
/* Owes one receiver one event (jigctl webhook test), beside a running jigd;
 * *id is the item, for sdb_outbox_state. */
int sdb_outbox_add_for(struct station_db *db, const char *receiver, const char *event,
                       const char *key, const char *body, int64_t *id);
/* Where item `id` stands: delivered or not, the last status (0: none) and
 * error (SDB_OUTBOX_ERROR_MAX bytes), and the tries so far. */
#define SDB_OUTBOX_ERROR_MAX 200
int sdb_outbox_state(struct station_db *db, int64_t id, bool *delivered, int *status,
                     char *error, int64_t *tries);
/* Every pending item of `receiver` (NULL: of all) due now; *n of them. */
int sdb_outbox_retry_now(struct station_db *db, const char *receiver, int64_t *n);

/* ---- audit log ---------------------------------------------------------- */

/* Appends an event. details: a JSON object, or NULL for {}. */
int sdb_audit_append(struct station_db *db, const char *actor, const char *action,
                     const cJSON *details);

/* Records a refused request (reason: why it was refused) without letting a
 * client that retries in a loop flood the log: the first refusal of a kind
 * (actor, action, reason, details) is appended with "refused": reason; its
 * repeats within a minute are only counted, and appended as one
 * "audit.repeated" event (of, refused, details, repeats, from, to) when the
 * minute is over (at the next refusal or sdb_audit_flush_due), when
 * anything else is written, or at sdb_audit_flush or sdb_close. At most 16
 * kinds are counted apart at once; the rest share one count. */
int sdb_audit_refusal(struct station_db *db, const char *actor, const char *action,
                      const char *reason, const cJSON *details);
/* Appends the counts of repeated refusals held so far. */
int sdb_audit_flush(struct station_db *db);
/* Appends the counts whose minute is over, and only those (nothing is
 * written when none is), so that a count is on record soon after its
 * minute even when nothing else writes: jigd calls it from a timer.
 * *wait_ms (may be NULL): milliseconds until the next count held is due,
 * 0 if one is due now (the append failed: the counts stay for next time),
 * -1 when no count is held. */
int sdb_audit_flush_due(struct station_db *db, int64_t *wait_ms);

struct sdb_audit_check {
    bool ok;
    int64_t rows;           /* rows checked */
    int64_t first_bad_id;   /* 0 when ok */
    char reason[512];
    char head_hash[65];     /* the last intact row's hash: worth recording
                             * outside the station (MES, shift report) as an
                             * anchor for everything up to it */
    int64_t anchored_id;    /* the last row station.db.anchor vouches for;
                             * -1 when there is no readable anchor file */
    int64_t records;        /* unit, attempt, certificate and serial rows
                             * compared with what the log recorded of them */
};

/* The audit log's end: its last row's id, hash and time. A report that
 * carries it (sdb_export_*_anchored), kept outside the station (MES, shift
 * report), anchors the log up to there: a later log whose chain does not
 * pass through this hash at this row was rewritten. */
struct sdb_audit_head {
    int64_t last_id;                /* 0: the log is empty */
    char hash[65];
    char at[SDB_TIME_LEN + 1];      /* "" when empty */
};
int sdb_audit_head(struct station_db *db, struct sdb_audit_head *head);

/* Recomputes the chain, compares its end with the anchor file beside the
 * database (station.db.anchor), every covered row with its latest record
 * in the log, and the guard triggers with the migrations'.
 * Returns SDB_OK whether or not all is intact (see check->ok); an error
 * means the log could not be read at all. */
int sdb_audit_verify(struct station_db *db, struct sdb_audit_check *check);
/* The same as JSON, as jigctl audit verify and the REST API give it:
 * {"ok", "rows", "records", "anchored_id", "first_bad_id", "reason",
 * "head_hash", "broken_row"?} (broken_row: the audit row the chain broke
 * at, as stored now, so the change shows). */
int sdb_audit_verify_json(struct station_db *db, cJSON **out);

/* ---- reports (for jigctl audit and the REST API) ------------------------ */

/* Time bounds are UTC times in any form SQLite understands ("2026-11-23",
 * "2026-11-23T10:00:00Z"); NULL = unbounded. from is inclusive, to exclusive. */
struct sdb_attempt_filter {
    const char *from;
    const char *to;
    int slot;               /* -1 = every slot */
    const char *result;     /* "ok", "failed", "interrupted", "running"; NULL = any */
    const char *work_order; /* NULL = any */
    const char *unit;       /* a serial, a MAC (aa:bb:cc:dd:ee:ff) or a board code;
                               NULL = any */
    const char *phase;      /* the phase a failed attempt failed in; NULL = any */
    int64_t limit;          /* 0 = no limit */
    /* Pages (the REST API): only attempts after this id (oldest first) or
     * before it (newest_first); 0 = from the start. */
    int64_t cursor;
    bool newest_first;
};

/* Everything about the units matching a serial, a MAC or a board code (a
 * MAC can match a voided unit and its successor): [{unit, allocation,
 * attempts[{..., phases, parts}], board_codes, certificates, events}]. */
int sdb_report_unit(struct station_db *db, const char *serial_or_mac, cJSON **out);
int sdb_report_attempts(struct station_db *db, const struct sdb_attempt_filter *f,
                        cJSON **rows);

struct sdb_unit_filter {
    const char *from, *to;      /* first seen, UTC; NULL = unbounded */
    const char *work_order;     /* its serial's work order; NULL = any */
    const char *state;          /* its serial: allocated, completed, voided; NULL = any */
    int64_t limit;              /* 0 = no limit */
    int64_t cursor;             /* as for attempts, by unit id */
    bool newest_first;
};
/* Units, one row each: [{unit_id, serial, mac, chip, revision, first_seen,
 * last_seen, voided, work_order, state, board_code, attempts, last_result}]. */
int sdb_report_units(struct station_db *db, const struct sdb_unit_filter *f, cJSON **rows);
/* [{hour: "2026-11-23T10:00Z", units}] units completed per UTC hour. */
int sdb_report_units_per_hour(struct station_db *db, const char *from, const char *to,
                              cJSON **rows);

struct sdb_yield {
    int64_t units;          /* units whose first decided attempt is in range */
    int64_t first_pass;     /* ... of which that attempt was ok */
    double percent;         /* 100 * first_pass / units; 0 when no units */
};
/* First-pass yield, with per_day rows [{day, units, first_pass, percent}]
 * when per_day is not NULL. */
int sdb_report_first_pass_yield(struct station_db *db, const char *from, const char *to,
                                struct sdb_yield *total, cJSON **per_day);
/* Failed attempts grouped by phase (by_cause: by phase and cause), most
 * frequent first: [{phase, cause, failures, percent, cumulative_percent}]. */
int sdb_report_failure_pareto(struct station_db *db, const char *from, const char *to,
                              bool by_cause, cJSON **rows);
/* MACs that look like more than one board: [{mac, reason, serials}]. */
int sdb_report_duplicate_macs(struct station_db *db, cJSON **rows);

/* The reports by name, as jigctl audit prints them and the REST API serves
 * them: "rate" (units per hour), "yield" (the object {units, first_pass,
 * percent (two places), per_day}), "pareto" (by_phase: rows without a
 * cause), "duplicates" (MACs; the range is not used). Rows are an array.
 * SDB_NOT_FOUND for another name, SDB_REFUSED for a bad time. */
#define SDB_REPORT_NAMES "rate, yield, pareto, duplicates"
int sdb_report_named(struct station_db *db, const char *name, const char *from,
                     const char *to, bool by_phase, cJSON **out);

/* Writes report rows (an array of flat objects) as CSV (RFC 4180, a header
 * from the first row's keys) or as pretty JSON. */
int sdb_export_csv(const cJSON *rows, FILE *out);
int sdb_export_json(const cJSON *rows, FILE *out);
/* The same, with the audit log's head read when the rows were: CSV ends
 * with one more record, "audit_head,<last_id>,<hash>,<at>"; JSON becomes
 * {"rows": [...], "audit_head": {"last_id", "hash", "at"}}, and a report
 * that is one object (not rows) gains an "audit_head" member (SDB_REFUSED
 * if it has one already). */
int sdb_export_csv_anchored(const cJSON *rows, const struct sdb_audit_head *head, FILE *out);
int sdb_export_json_anchored(const cJSON *rows, const struct sdb_audit_head *head, FILE *out);

#endif
