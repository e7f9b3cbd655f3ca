/* The audit log: append-only, and its hash chain names the first row that
 * was edited or deleted, even when the append-only triggers were dropped. */
#include "db_fixture.h"
#include "db_internal.h"    /* db_sha256_hex, to recompute the chain the documented way */

/* Appends n operator events; with the station.start event of the open, the
 * log then holds rows 1..n+1. */
static void append_events(struct db_fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "n", i);
        cJSON_AddStringToObject(d, "serial", "ACME-2648-000001");
        assert_int_equal(sdb_audit_append(f->db, "operator:ana", "note", d), SDB_OK);
        cJSON_Delete(d);
        f->now_ms += 1000;
    }
}

static struct sdb_audit_check verify(struct db_fixture *f)
{
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    return c;
}

static void test_chain_verifies_and_head_is_last_hash(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 5);
    struct sdb_audit_check c = verify(f);
    assert_true(c.ok);
    assert_int_equal(c.rows, 6);
    assert_int_equal(c.first_bad_id, 0);
    char last[65];
    query_text(sdb_sqlite(f->db), "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1",
               last, sizeof last);
    assert_string_equal(c.head_hash, last);
}

/* Recomputes every hash from db/README.md's recipe, independently of
 * audit_log.c: sha256(prev_hash_hex || "<len>:<id>," "<len>:<at>," ...). */
static void test_chain_matches_documented_recipe(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 3);
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(sdb_sqlite(f->db),
                     "SELECT id, at, actor, action, details, prev_hash, hash FROM audit_events"
                     " ORDER BY id", -1, &stmt, NULL), SQLITE_OK);
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = '\0';
    int rows = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        char canon[2048], hash[65];
        size_t len = 0;
        for (int c = 0; c < 5; c++) {
            const char *t = (const char *)sqlite3_column_text(stmt, c);
            len += (size_t)snprintf(canon + len, sizeof canon - len, "%zu:%s,", strlen(t), t);
        }
        assert_string_equal((const char *)sqlite3_column_text(stmt, 5), prev);
        db_sha256_hex(prev, 64, canon, len, hash);
        assert_string_equal((const char *)sqlite3_column_text(stmt, 6), hash);
        memcpy(prev, hash, sizeof prev);
        rows++;
    }
    sqlite3_finalize(stmt);
    assert_int_equal(rows, 4);
}

static void test_sha256_known_answer(void **state)
{
    char out[65];
    db_sha256_hex("ab", 2, "c", 1, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_triggers_forbid_update_and_delete(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 2);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_not_equal(sqlite3_exec(sql, "UPDATE audit_events SET actor = 'x' WHERE id = 2",
                                      NULL, NULL, NULL), SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(sql), "append-only"));
    assert_int_not_equal(sqlite3_exec(sql, "DELETE FROM audit_events WHERE id = 2", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events"), 3);
    assert_true(verify(f).ok);
}

static void test_edit_behind_dropped_trigger_is_found_at_that_row(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 6);
    sqlite3 *sql = sdb_sqlite(f->db);
    exec_sql(sql, "DROP TRIGGER audit_events_no_update");
    exec_sql(sql, "UPDATE audit_events SET details = '{\"n\":99}' WHERE id = 4");
    struct sdb_audit_check c = verify(f);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 4);
    assert_int_equal(c.rows, 3);
    assert_non_null(strstr(c.reason, "edited"));
}

static void test_edit_with_recomputed_hash_is_found_at_next_row(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 6);
    sqlite3 *sql = sdb_sqlite(f->db);
    /* A careful forger rewrites row 3 and its hash, but cannot fix row 4's
     * link without rewriting everything after it. */
    char prev[65], at[32], hash[65], canon[512], q[512];
    query_text(sql, "SELECT prev_hash FROM audit_events WHERE id = 3", prev, sizeof prev);
    query_text(sql, "SELECT at FROM audit_events WHERE id = 3", at, sizeof at);
    const char *details = "{\"n\":1,\"serial\":\"FORGED\"}";
    size_t len = (size_t)snprintf(canon, sizeof canon, "1:3,%zu:%s,12:operator:ana,4:note,%zu:%s,",
                                  strlen(at), at, strlen(details), details);
    db_sha256_hex(prev, 64, canon, len, hash);
    exec_sql(sql, "DROP TRIGGER audit_events_no_update");
    snprintf(q, sizeof q, "UPDATE audit_events SET details = '%s', hash = '%s' WHERE id = 3",
             details, hash);
    exec_sql(sql, q);
    struct sdb_audit_check c = verify(f);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 4);
    assert_non_null(strstr(c.reason, "does not link"));
}

static void test_deleted_row_is_found_at_the_row_after(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 6);
    sqlite3 *sql = sdb_sqlite(f->db);
    exec_sql(sql, "DROP TRIGGER audit_events_no_delete");
    exec_sql(sql, "DELETE FROM audit_events WHERE id = 3");
    struct sdb_audit_check c = verify(f);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 4);
    assert_non_null(strstr(c.reason, "deleted"));
}

static void test_deleted_tail_is_found_even_after_new_rows(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 6);                /* rows 1..7 */
    sqlite3 *sql = sdb_sqlite(f->db);
    exec_sql(sql, "DROP TRIGGER audit_events_no_delete");
    exec_sql(sql, "DELETE FROM audit_events WHERE id >= 6");
    struct sdb_audit_check c = verify(f);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 6);
    assert_non_null(strstr(c.reason, "end of the log"));
    /* New events do not paper over the hole: ids are never reused. */
    append_events(f, 1);
    c = verify(f);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 8);
    assert_int_equal(c.rows, 5);
}

static void test_dropped_triggers_alone_are_reported(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 2);
    exec_sql(sdb_sqlite(f->db), "DROP TRIGGER audit_events_no_delete");
    struct sdb_audit_check c = verify(f);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 0);
    assert_non_null(strstr(c.reason, "triggers"));
}

static void test_append_checks_its_input(void **state)
{
    struct db_fixture *f = *state;
    cJSON *arr = cJSON_CreateArray();
    assert_int_equal(sdb_audit_append(f->db, "jigd", "x", arr), SDB_REFUSED);
    assert_int_equal(sdb_audit_append(f->db, "", "x", NULL), SDB_REFUSED);
    assert_int_equal(sdb_audit_append(f->db, "jigd", NULL, NULL), SDB_REFUSED);
    assert_int_equal(sdb_audit_append(f->db, "jigd", "shift.end", NULL), SDB_OK);
    cJSON_Delete(arr);
    char details[64];
    query_text(sdb_sqlite(f->db), "SELECT details FROM audit_events ORDER BY id DESC LIMIT 1",
               details, sizeof details);
    assert_string_equal(details, "{}");
    assert_true(verify(f).ok);
}

/* ---- the log's end, anchored outside the table --------------------------- */

static void anchor_path(struct db_fixture *f, char *out, size_t size)
{
    snprintf(out, size, "%s.anchor", f->path);
}

static void copy_file(const char *from, const char *to)
{
    char buf[4096];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Deleting the last rows *and* lowering sqlite_sequence leaves a chain that
 * is consistent in itself: only the anchor file still knows where it ended. */
static void test_tail_truncation_with_sequence_edit_is_found(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 6);                /* rows 1..7 */
    sqlite3 *sql = sdb_sqlite(f->db);
    exec_sql(sql, "DROP TRIGGER audit_events_no_delete");
    exec_sql(sql, "DELETE FROM audit_events WHERE id = 7");
    exec_sql(sql, "UPDATE sqlite_sequence SET seq = 6 WHERE name = 'audit_events'");
    exec_sql(sql, "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN"
                  " SELECT RAISE(ABORT, 'audit_events is append-only: rows are never deleted'); END");
    struct sdb_audit_check c = verify(f);
    print_message("%s\n", c.reason);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 7);
    assert_non_null(strstr(c.reason, "anchor"));
    assert_non_null(strstr(c.reason, "deleted"));
}

/* The same cut made while jigd is stopped: its next start must not anchor
 * the shortened log as if nothing happened. */
static void test_tail_truncation_survives_a_restart(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 6);
    sdb_close(f->db);
    f->db = NULL;
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    exec_sql(raw, "DROP TRIGGER audit_events_no_delete");
    exec_sql(raw, "DELETE FROM audit_events WHERE id >= 6");
    exec_sql(raw, "UPDATE sqlite_sequence SET seq = 5 WHERE name = 'audit_events'");
    sqlite3_close(raw);
    fixture_open(f);
    struct sdb_audit_check c = verify(f);
    print_message("%s\n", c.reason);
    assert_false(c.ok);
    assert_non_null(strstr(c.reason, "anchor"));
    /* The start found it and wrote it into the chain, where it stays. */
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events WHERE"
                                 " action = 'audit.anchor' AND details LIKE '%ahead%'"), 1);
}

static void test_missing_anchor_is_said_clearly(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 3);
    char path[160];
    anchor_path(f, path, sizeof path);
    assert_int_equal(unlink(path), 0);
    struct sdb_audit_check c = verify(f);
    print_message("%s\n", c.reason);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 0);
    assert_non_null(strstr(c.reason, "station.db.anchor"));
    assert_non_null(strstr(c.reason, "missing"));
}

static void test_anchor_older_than_the_table_is_said_clearly(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 3);                /* rows 1..4 */
    char path[160], old[176];
    anchor_path(f, path, sizeof path);
    snprintf(old, sizeof old, "%s.old", path);
    copy_file(path, old);
    append_events(f, 2);                /* rows 5, 6 */
    assert_int_equal(rename(old, path), 0);
    struct sdb_audit_check c = verify(f);
    print_message("%s\n", c.reason);
    assert_false(c.ok);
    assert_non_null(strstr(c.reason, "older than the table"));
    assert_non_null(strstr(c.reason, "rows 5 to 6"));
    /* A reader (jigctl) gives a live jigd a moment to catch up, then says
     * the same. */
    struct sdb_options o = {.read_only = true};
    struct station_db *reader;
    char err[512];
    assert_int_equal(sdb_open(f->path, &o, &reader, err, sizeof err), SDB_OK);
    assert_int_equal(sdb_audit_verify(reader, &c), SDB_OK);
    sdb_close(reader);
    assert_false(c.ok);
    assert_non_null(strstr(c.reason, "older than the table"));
    assert_int_equal(c.anchored_id, 4);
}

/* A crash between a commit and its anchor leaves the file one transaction
 * behind; the next start says so in the log and the log verifies. */
static void test_anchor_behind_after_a_crash_is_explained_at_start(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 3);
    char path[160], old[176];
    anchor_path(f, path, sizeof path);
    snprintf(old, sizeof old, "%s.old", path);
    copy_file(path, old);
    append_events(f, 1);
    sdb_close(f->db);
    f->db = NULL;
    assert_int_equal(rename(old, path), 0);
    sqlite3 *raw;       /* as a killed jigd leaves its session: never ended */
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    exec_sql(raw, "UPDATE sessions SET ended_at = NULL, end_reason = NULL");
    sqlite3_close(raw);
    fixture_open(f);
    struct sdb_audit_check c = verify(f);
    if (!c.ok)
        fail_msg("%s", c.reason);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events WHERE"
                                 " action = 'audit.anchor' AND json_extract(details, '$.found') ="
                                 " 'behind' AND json_extract(details, '$.after_crash')"), 1);
}

/* ---- the guard triggers -------------------------------------------------- */

static void test_noop_triggers_of_the_same_names_are_found(void **state)
{
    struct db_fixture *f = *state;
    append_events(f, 2);
    sqlite3 *sql = sdb_sqlite(f->db);
    exec_sql(sql, "DROP TRIGGER audit_events_no_update");
    exec_sql(sql, "DROP TRIGGER audit_events_no_delete");
    exec_sql(sql, "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events"
                  " BEGIN SELECT 1; END");
    exec_sql(sql, "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events"
                  " BEGIN SELECT 1; END");
    struct sdb_audit_check c = verify(f);
    print_message("%s\n", c.reason);
    assert_false(c.ok);
    assert_int_equal(c.first_bad_id, 0);
    assert_non_null(strstr(c.reason, "trigger audit_events_no_"));
    assert_non_null(strstr(c.reason, "changed"));
}

/* ---- the rows that matter for traceability ------------------------------- */

static const char FINGERPRINT[] = "3f9a1c0e5b7d2468ace0f13579bdf02468ace13579bdf02468ace13579bdf024";

/* A unit flashed once: identified, certified, its attempt ended. */
static struct sdb_unit flashed_unit(struct db_fixture *f, bool ok)
{
    struct sdb_attempt_start s = {.slot = 2, .work_order = NULL};
    struct sdb_board b = board_with_mac(9);
    struct sdb_unit u;
    int64_t attempt, cert;
    bool reworked;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &attempt), SDB_OK);
    assert_int_equal(sdb_unit_identify(f->db, &b, "ACME-{seq:04}", NULL, &u, &reworked), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, attempt, u.id), SDB_OK);
    struct sdb_certificate c = {
        .unit_id = u.id, .fingerprint_sha256 = FINGERPRINT, .subject = "CN=ACME-0001",
        .not_before = "2026-11-23T00:00:00Z", .not_after = "2051-11-23T00:00:00Z",
        .pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    };
    assert_int_equal(sdb_certificate_insert(f->db, &c, &cert), SDB_OK);
    f->now_ms += 30000;
    assert_int_equal(sdb_attempt_end(f->db, attempt, ok, ok ? NULL : "verify",
                                     ok ? NULL : "md5 mismatch at 0x10000", 1 << 20), SDB_OK);
    struct sdb_audit_check check = verify(f);
    if (!check.ok)
        fail_msg("before any edit: %s", check.reason);
    return u;
}

/* Runs an edit the way a shell would, the guard triggers dropped first. */
static void edit_behind_the_triggers(struct db_fixture *f, const char *sql_text)
{
    sqlite3 *sql = sdb_sqlite(f->db);
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(sql, "SELECT name FROM sqlite_schema WHERE type ="
                                        " 'trigger'", -1, &stmt, NULL), SQLITE_OK);
    char drops[32][96];
    int n = 0;
    while (n < 32 && sqlite3_step(stmt) == SQLITE_ROW)
        snprintf(drops[n++], sizeof drops[0], "DROP TRIGGER %.60s", sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    for (int i = 0; i < n; i++)
        exec_sql(sql, drops[i]);
    exec_sql(sql, sql_text);
}

static void expect_found(struct db_fixture *f, const char *words1, const char *words2)
{
    struct sdb_audit_check c = verify(f);
    assert_false(c.ok);
    if (!strstr(c.reason, words1) || !strstr(c.reason, words2))
        fail_msg("the reason does not name '%s' and '%s': %s", words1, words2, c.reason);
    print_message("%s\n", c.reason);
}

static void test_unit_serial_changed_by_hand_is_found(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u = flashed_unit(f, true);
    char q[160];
    snprintf(q, sizeof q, "UPDATE units SET serial = 'ACME-9999' WHERE id = %lld", (long long)u.id);
    edit_behind_the_triggers(f, q);
    expect_found(f, "ACME-9999", "ACME-0001");
}

static void test_unit_mac_changed_by_hand_is_found(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, true);
    edit_behind_the_triggers(f, "UPDATE units SET mac = '24:0a:c4:00:00:99'");
    expect_found(f, "mac", "24:0a:c4:00:00:99");
}

static void test_attempt_result_changed_is_found(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, false);
    edit_behind_the_triggers(f, "UPDATE attempts SET result = 'ok', failed_phase = NULL,"
                                " cause = NULL");
    expect_found(f, "attempts", "result");
}

static void test_certificate_fingerprint_changed_is_found(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, true);
    edit_behind_the_triggers(f, "UPDATE certificates SET fingerprint_sha256 ="
                                " 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
    expect_found(f, "certificates", "fingerprint_sha256");
}

static void test_allocation_changed_is_found(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, false);
    edit_behind_the_triggers(f, "UPDATE serial_allocations SET state = 'completed',"
                                " completed_at = '2026-11-23T10:00:31.000Z'");
    expect_found(f, "serial_allocations", "state");
}

static void test_deleted_certificate_is_found(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, true);
    edit_behind_the_triggers(f, "DELETE FROM certificates");
    expect_found(f, "certificates", "gone");
}

static void test_void_is_recorded(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, true);
    assert_int_equal(sdb_serial_void(f->db, "ACME-0001", "operator:ana", "board scrapped"), SDB_OK);
    assert_true(verify(f).ok);
    edit_behind_the_triggers(f, "UPDATE units SET void_reason = 'label misprinted'");
    expect_found(f, "void_reason", "board scrapped");
}

/* Rows a jigd before schema 7 wrote (here: by hand, as migration tests
 * seed them) are recorded by the upgrade, and held to it afterwards. */
static void test_rows_from_before_the_upgrade_are_recorded(void **state)
{
    struct db_fixture *f = *state;
    char err[512];
    sdb_close(f->db);
    f->db = NULL;
    unlink(f->path);
    assert_int_equal(sdb_migrate_file_to(f->path, DB_SCHEMA_RECORDS - 1, err, sizeof err), SDB_OK);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    exec_sql(raw, "INSERT INTO units (serial, mac, chip, revision, flash_id, flash_size,"
                  " first_seen, last_seen) VALUES ('OLD-0001', '24:0a:c4:00:00:01', 'ESP32',"
                  " 'v3.0', 1, 4194304, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')");
    sqlite3_close(raw);
    fixture_open(f);
    assert_true(verify(f).ok);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events"
                                 " WHERE action = 'audit.baseline'"), 1);
    edit_behind_the_triggers(f, "UPDATE units SET chip = 'ESP32-C3'");
    expect_found(f, "OLD-0001", "chip");
}

static void test_row_added_by_hand_is_found(void **state)
{
    struct db_fixture *f = *state;
    flashed_unit(f, true);
    edit_behind_the_triggers(f, "INSERT INTO units (serial, mac, chip, revision, flash_id,"
                                " flash_size, first_seen, last_seen) VALUES ('ACME-0777',"
                                " '24:0a:c4:00:07:77', 'ESP32', 'v3.0', 1, 4194304,"
                                " '2026-11-23T10:00:00.000Z', '2026-11-23T10:00:00.000Z')");
    expect_found(f, "ACME-0777", "not in the audit log");
}

/* ---- refusals are counted, not logged one row each ----------------------- */

static int64_t count_rows(struct db_fixture *f)
{
    return query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events");
}

static void refuse(struct db_fixture *f, int slot, const char *reason)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "slot", slot);
    assert_int_equal(sdb_audit_refusal(f->db, "api", "slot.start", reason, d), SDB_OK);
    cJSON_Delete(d);
}

/* Every refusal counted once: the rows logged in full plus the repeats the
 * summaries carry. */
static int64_t refusals_on_record(struct db_fixture *f)
{
    return query_int64(sdb_sqlite(f->db),
        "SELECT (SELECT count(*) FROM audit_events WHERE json_extract(details, '$.refused')"
        "        IS NOT NULL AND action <> 'audit.repeated')"
        "     + (SELECT coalesce(sum(json_extract(details, '$.repeats')), 0) FROM audit_events"
        "        WHERE action = 'audit.repeated')");
}

static void test_a_thousand_refusals_in_a_row_are_one_row_and_a_count(void **state)
{
    struct db_fixture *f = *state;
    int64_t before = count_rows(f);
    for (int i = 0; i < 1000; i++) {
        refuse(f, 1, "slot 1 is busy flashing a board: wait for it to finish");
        f->now_ms += 10;                /* 1000 in 10 s: one window */
    }
    assert_true(count_rows(f) - before <= 1);
    assert_int_equal(sdb_audit_flush(f->db), SDB_OK);
    assert_int_equal(count_rows(f) - before, 2);
    assert_int_equal(refusals_on_record(f), 1000);
    char text[256];
    query_text(sdb_sqlite(f->db), "SELECT json_extract(details, '$.repeats') || ' ' ||"
               " json_extract(details, '$.of') || ' ' || actor FROM audit_events"
               " WHERE action = 'audit.repeated'", text, sizeof text);
    assert_string_equal(text, "999 slot.start api");
    assert_true(verify(f).ok);
}

static void test_refusals_over_many_windows_stay_bounded(void **state)
{
    struct db_fixture *f = *state;
    int64_t before = count_rows(f);
    for (int i = 0; i < 1000; i++) {
        refuse(f, 1, "slot 1 is busy");
        f->now_ms += 300;               /* 1000 in 300 s: five windows of 60 s */
    }
    assert_int_equal(sdb_audit_flush(f->db), SDB_OK);
    assert_true(count_rows(f) - before <= 10);     /* a first row and a summary a window */
    assert_int_equal(refusals_on_record(f), 1000);
    print_message("1000 refusals over 5 minutes: %lld rows\n", (long long)(count_rows(f) - before));
}

static void test_many_kinds_of_refusal_stay_bounded(void **state)
{
    struct db_fixture *f = *state;
    int64_t before = count_rows(f);
    char reason[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(reason, sizeof reason, "slot %d is busy", i % 40 + 1);
        refuse(f, i % 40 + 1, reason);
        f->now_ms += 10;
    }
    assert_int_equal(sdb_audit_flush(f->db), SDB_OK);
    /* At most 16 kinds are kept apart (a first row and a summary each); the
     * rest share one summary. */
    assert_true(count_rows(f) - before <= 16 * 2 + 1);
    assert_int_equal(refusals_on_record(f), 1000);
    print_message("1000 refusals of 40 kinds: %lld rows\n", (long long)(count_rows(f) - before));
}

/* A quiet station: nothing else writes, yet a count is on record as soon as
 * its minute is over (jigd's timer calls sdb_audit_flush_due), and not
 * before; the wait it returns says when. */
static void test_a_count_is_written_when_its_minute_is_over(void **state)
{
    struct db_fixture *f = *state;
    int64_t wait = 0, before = count_rows(f);
    assert_int_equal(sdb_audit_flush_due(f->db, &wait), SDB_OK);
    assert_int_equal(wait, -1);                     /* nothing counted */
    refuse(f, 2, "slot 2 is busy");
    assert_int_equal(sdb_audit_flush_due(f->db, &wait), SDB_OK);
    assert_int_equal(wait, -1);                     /* logged in full, no count held */
    for (int i = 0; i < 49; i++) {
        f->now_ms += 100;
        refuse(f, 2, "slot 2 is busy");
    }
    assert_int_equal(count_rows(f) - before, 1);
    assert_int_equal(sdb_audit_flush_due(f->db, &wait), SDB_OK);
    assert_int_equal(wait, 60000 - 4900);           /* a minute from the first */
    assert_int_equal(count_rows(f) - before, 1);    /* its minute goes on */
    f->now_ms += wait - 1;
    assert_int_equal(sdb_audit_flush_due(f->db, &wait), SDB_OK);
    assert_int_equal(wait, 1);
    assert_int_equal(count_rows(f) - before, 1);
    f->now_ms += 1;
    assert_int_equal(sdb_audit_flush_due(f->db, &wait), SDB_OK);
    assert_int_equal(wait, -1);
    assert_int_equal(count_rows(f) - before, 2);
    char text[256];
    query_text(sdb_sqlite(f->db), "SELECT json_extract(details, '$.repeats') || ' ' ||"
               " json_extract(details, '$.to') FROM audit_events WHERE action = 'audit.repeated'",
               text, sizeof text);
    assert_string_equal(text, "49 2026-11-23T10:00:04.900Z");
    assert_int_equal(refusals_on_record(f), 50);
    assert_int_equal(sdb_audit_flush_due(f->db, &wait), SDB_OK);
    assert_int_equal(count_rows(f) - before, 2);    /* written once */
    assert_true(verify(f).ok);
}

/* Another event closes the count, so the log keeps its order; closing the
 * database does too. */
static void test_repeats_are_summed_up_before_the_next_event_and_at_close(void **state)
{
    struct db_fixture *f = *state;
    for (int i = 0; i < 5; i++)
        refuse(f, 3, "no board in slot 3");
    append_events(f, 1);
    char text[512];
    query_text(sdb_sqlite(f->db), "SELECT group_concat(action, ' ') FROM (SELECT action FROM"
               " audit_events WHERE id > 1 ORDER BY id)", text, sizeof text);
    assert_string_equal(text, "slot.start audit.repeated note");
    for (int i = 0; i < 3; i++)
        refuse(f, 3, "no board in slot 3");
    fixture_reopen(f);
    assert_int_equal(refusals_on_record(f), 8);
    assert_true(verify(f).ok);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_answer),
        T(test_chain_verifies_and_head_is_last_hash),
        T(test_chain_matches_documented_recipe),
        T(test_triggers_forbid_update_and_delete),
        T(test_edit_behind_dropped_trigger_is_found_at_that_row),
        T(test_edit_with_recomputed_hash_is_found_at_next_row),
        T(test_deleted_row_is_found_at_the_row_after),
        T(test_deleted_tail_is_found_even_after_new_rows),
        T(test_dropped_triggers_alone_are_reported),
        T(test_append_checks_its_input),
        T(test_tail_truncation_with_sequence_edit_is_found),
        T(test_tail_truncation_survives_a_restart),
        T(test_missing_anchor_is_said_clearly),
        T(test_anchor_older_than_the_table_is_said_clearly),
        T(test_anchor_behind_after_a_crash_is_explained_at_start),
        T(test_noop_triggers_of_the_same_names_are_found),
        T(test_unit_serial_changed_by_hand_is_found),
        T(test_unit_mac_changed_by_hand_is_found),
        T(test_attempt_result_changed_is_found),
        T(test_certificate_fingerprint_changed_is_found),
        T(test_allocation_changed_is_found),
        T(test_deleted_certificate_is_found),
        T(test_row_added_by_hand_is_found),
        T(test_void_is_recorded),
        T(test_rows_from_before_the_upgrade_are_recorded),
        T(test_a_thousand_refusals_in_a_row_are_one_row_and_a_count),
        T(test_refusals_over_many_windows_stay_bounded),
        T(test_many_kinds_of_refusal_stay_bounded),
        T(test_a_count_is_written_when_its_minute_is_over),
        T(test_repeats_are_summed_up_before_the_next_event_and_at_close),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
