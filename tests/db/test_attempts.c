/* Attempts: phases and parts recorded in order; attempts a previous process
 * left running are marked interrupted at the next open, with an audit event. */
#include "db_fixture.h"

static const char SHA_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static int64_t begin_identified(struct db_fixture *f, int slot, uint32_t mac, struct sdb_unit *u)
{
    struct sdb_attempt_start s = {.slot = slot, .adapter_id = "FTDI-A1", .adapter_port = "/dev/ttyUSB0"};
    struct sdb_board b = board_with_mac(mac);
    int64_t id;
    bool reworked;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &id), SDB_OK);
    assert_int_equal(sdb_unit_identify(f->db, &b, "P-{seq:04}", NULL, u, &reworked), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, id, u->id), SDB_OK);
    return id;
}

static void test_phases_and_parts_recorded(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u;
    int64_t a = begin_identified(f, 2, 1, &u);
    int64_t t0 = f->now_ms;
    assert_int_equal(sdb_attempt_phase(f->db, a, "sync", t0, 120, 0), SDB_OK);
    assert_int_equal(sdb_attempt_phase(f->db, a, "write", t0 + 120, 4200, 1048576), SDB_OK);
    assert_int_equal(sdb_attempt_phase(f->db, a, "verify", t0 + 4320, 300, 0), SDB_OK);
    assert_int_equal(sdb_attempt_phase(f->db, a, "", t0, 1, 0), SDB_REFUSED);
    assert_int_equal(sdb_attempt_part(f->db, a, "app", 0x10000, 1048576, SHA_A, false), SDB_OK);
    assert_int_equal(sdb_attempt_part(f->db, a, "nvs", 0x9000, 24576,
                     "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", true), SDB_OK);
    assert_int_equal(sdb_attempt_part(f->db, a, "bad", 0, 1, "xyz", false), SDB_REFUSED);
    assert_int_equal(sdb_attempt_end(f->db, a, true, NULL, NULL, 1073152), SDB_OK);

    sqlite3 *sql = sdb_sqlite(f->db);
    char text[128];
    assert_string_equal(query_text(sql, "SELECT group_concat(phase, ',') FROM (SELECT phase FROM"
                                        " attempt_phases ORDER BY seq)", text, sizeof text),
                        "sync,write,verify");
    assert_int_equal(query_int64(sql, "SELECT max(seq) FROM attempt_phases"), 3);
    assert_string_equal(query_text(sql, "SELECT sha256 FROM attempt_parts WHERE name = 'nvs'",
                                   text, sizeof text),
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    assert_string_equal(query_text(sql, "SELECT chip || ' ' || revision || ' ' || adapter_id"
                                        " FROM attempts", text, sizeof text),
                        "ESP32-S3 v0.2 FTDI-A1");
    assert_int_equal(query_int64(sql, "SELECT bytes_written FROM attempts"), 1073152);
    assert_int_equal(sdb_attempt_set_unit(f->db, a, u.id), SDB_NOT_FOUND);  /* ended */
    assert_int_equal(sdb_attempt_set_unit(f->db, 999, u.id), SDB_NOT_FOUND);
}

/* jigd stopping (SIGTERM) is not the board failing: the attempt ends
 * 'interrupted', the board's next attempt is its first decided one, and
 * first-pass yield counts that one. */
static void test_interrupted_attempt_is_not_a_failure(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u;
    int64_t a = begin_identified(f, 1, 7, &u);
    assert_int_equal(sdb_attempt_interrupt(f->db, a, "write", NULL, 10), SDB_REFUSED);
    assert_int_equal(sdb_attempt_interrupt(f->db, a, "write",
                                           "jigd stopped during write: the board is not finished",
                                           4096), SDB_OK);
    assert_int_equal(sdb_attempt_interrupt(f->db, a, "write", "again", 1), SDB_NOT_FOUND);
    int64_t b = begin_identified(f, 1, 7, &u);
    assert_int_equal(sdb_attempt_end(f->db, b, true, NULL, NULL, 8192), SDB_OK);

    sqlite3 *sql = sdb_sqlite(f->db);
    char text[128];
    assert_string_equal(query_text(sql, "SELECT result || ' ' || failed_phase FROM attempts"
                                        " WHERE id = 1", text, sizeof text), "interrupted write");
    struct sdb_yield y;
    assert_int_equal(sdb_report_first_pass_yield(f->db, NULL, NULL, &y, NULL), SDB_OK);
    assert_int_equal(y.units, 1);
    assert_int_equal(y.first_pass, 1);
}

static void test_running_attempts_swept_at_next_open(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u1, u2, u3;
    int64_t done = begin_identified(f, 1, 1, &u1);
    assert_int_equal(sdb_attempt_end(f->db, done, true, NULL, NULL, 10), SDB_OK);
    int64_t a = begin_identified(f, 2, 2, &u2);
    assert_int_equal(sdb_attempt_phase(f->db, a, "sync", f->now_ms, 100, 0), SDB_OK);
    assert_int_equal(sdb_attempt_phase(f->db, a, "write", f->now_ms, 900, 4096), SDB_OK);
    int64_t b = begin_identified(f, 3, 3, &u3);
    struct sdb_attempt_start s = {.slot = 4};
    int64_t c;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &c), SDB_OK);   /* never identified */
    assert_int_equal(sdb_interrupted_at_open(f->db), 0);

    f->now_ms += 60 * 1000;
    fixture_reopen(f);
    assert_int_equal(sdb_interrupted_at_open(f->db), 3);
    sqlite3 *sql = sdb_sqlite(f->db);
    char text[256], q[160];
    snprintf(q, sizeof q, "SELECT result || '|' || failed_phase || '|' || ended_at FROM attempts"
             " WHERE id = %lld", (long long)a);
    assert_string_equal(query_text(sql, q, text, sizeof text),
                        "interrupted|write|2026-11-23T10:01:00.000Z");
    snprintf(q, sizeof q, "SELECT cause FROM attempts WHERE id = %lld", (long long)b);
    assert_non_null(strstr(query_text(sql, q, text, sizeof text), "flash it again"));
    snprintf(q, sizeof q, "SELECT result FROM attempts WHERE id = %lld", (long long)done);
    assert_string_equal(query_text(sql, q, text, sizeof text), "ok");
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM attempts WHERE result = 'running'"), 0);
    /* One audit event per interrupted attempt, naming the serial when known. */
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events"
                                      " WHERE action = 'attempt.interrupted'"), 3);
    snprintf(q, sizeof q, "SELECT json_extract(details, '$.serial') FROM audit_events WHERE"
             " action = 'attempt.interrupted' AND json_extract(details, '$.id') = %lld", (long long)a);
    assert_string_equal(query_text(sql, q, text, sizeof text), u2.serial);
    assert_int_equal(sdb_attempt_end(f->db, a, true, NULL, NULL, 0), SDB_NOT_FOUND);

    /* A second reopen finds nothing more to sweep. */
    fixture_reopen(f);
    assert_int_equal(sdb_interrupted_at_open(f->db), 0);
    struct sdb_audit_check check;
    assert_int_equal(sdb_audit_verify(f->db, &check), SDB_OK);
    assert_true(check.ok);
}

/* The child: start an attempt and die without any cleanup. */
static void start_one_attempt(struct db_fixture *f)
{
    struct sdb_attempt_start s = {.slot = 5};
    int64_t id;
    if (sdb_attempt_begin(f->db, &s, &id) != SDB_OK)
        _exit(2);
}

static void test_killed_process_attempt_swept_and_session_marked(void **state)
{
    struct db_fixture *f = *state;
    fixture_in_killed_child(f, start_one_attempt);
    assert_int_equal(sdb_interrupted_at_open(f->db), 1);
    sqlite3 *sql = sdb_sqlite(f->db);
    char text[32];
    /* The first session was closed cleanly by the setup; the child's was not. */
    assert_string_equal(query_text(sql, "SELECT group_concat(end_reason, ',') FROM (SELECT"
                                        " end_reason FROM sessions WHERE ended_at IS NOT NULL"
                                        " ORDER BY id)", text, sizeof text),
                        "closed,interrupted");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_phases_and_parts_recorded),
        T(test_interrupted_attempt_is_not_a_failure),
        T(test_running_attempts_swept_at_next_open),
        T(test_killed_process_attempt_swept_and_session_marked),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
