/* Board codes (db/board_codes.c): a scanned PCB label bound to its unit for
 * good; the same label again is no change, another unit's label is refused
 * naming both serials; what is not a code is refused; the binding is in the
 * audit log, covered by verify, and found by the reports by code. */
#include "db_fixture.h"

#define FORMAT "T-{seq:04}"

static struct sdb_unit unit_for(struct db_fixture *f, uint32_t n)
{
    struct sdb_board b = board_with_mac(n);
    struct sdb_unit u;
    if (sdb_unit_identify(f->db, &b, FORMAT, NULL, &u, NULL) != SDB_OK)
        fail_msg("identify: %s", sdb_errmsg(f->db));
    return u;
}

static int bind(struct db_fixture *f, const char *code, const struct sdb_unit *u, char *other)
{
    struct sdb_board_code_bind b = {.code = code, .unit_id = u->id, .slot = 3,
                                    .actor = "op-anna"};
    return sdb_board_code_bind(f->db, &b, other);
}

static void test_bound_once_and_found_by_code(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u = unit_for(f, 1);
    assert_int_equal(bind(f, "PCB-000123", &u, NULL), SDB_OK);
    char serial[SDB_SERIAL_MAX + 1] = "";
    assert_int_equal(sdb_board_code_owner(f->db, "PCB-000123", serial), SDB_OK);
    assert_string_equal(serial, u.serial);
    assert_int_equal(sdb_board_code_owner(f->db, "PCB-999", serial), SDB_NOT_FOUND);
    /* The same label scanned again (rework) writes nothing. */
    sqlite3 *sql = sdb_sqlite(f->db);
    int64_t events = query_int64(sql, "SELECT count(*) FROM audit_events");
    assert_int_equal(bind(f, "PCB-000123", &u, NULL), SDB_OK);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events"), events);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM board_codes"), 1);
    char who[64];
    query_text(sql, "SELECT actor || ' ' || action || ' ' || json_extract(details, '$.code')"
               " FROM audit_events WHERE action = 'board_code.bind'", who, sizeof who);
    assert_string_equal(who, "op-anna board_code.bind PCB-000123");

    cJSON *h;
    assert_int_equal(sdb_report_unit(f->db, "PCB-000123", &h), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(h), 1);
    cJSON *one = cJSON_GetArrayItem(h, 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(one, "unit"), "serial")
                            ->valuestring, u.serial);
    cJSON *codes = cJSON_GetObjectItem(one, "board_codes");
    assert_int_equal(cJSON_GetArraySize(codes), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(codes, 0), "code")->valuestring,
                        "PCB-000123");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(codes, 0), "bound_by")
                            ->valuestring, "op-anna");
    cJSON_Delete(h);
}

static void test_another_units_label_names_both_serials(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit a = unit_for(f, 1), b = unit_for(f, 2);
    assert_int_equal(bind(f, "PCB-7", &a, NULL), SDB_OK);
    char other[SDB_SERIAL_MAX + 1] = "";
    assert_int_equal(bind(f, "PCB-7", &b, other), SDB_CONFLICT);
    assert_string_equal(other, a.serial);
    const char *msg = sdb_errmsg(f->db);
    if (!strstr(msg, a.serial) || !strstr(msg, b.serial) || !strstr(msg, "PCB-7"))
        fail_msg("the refusal does not name the code and both serials: %s", msg);
    /* A relabelled board gets a second code; the first stays. */
    assert_int_equal(bind(f, "PCB-7b", &a, NULL), SDB_OK);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM board_codes"
                                 " WHERE unit_id = 1"), 2);
}

static void test_what_is_not_a_code_is_refused(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u = unit_for(f, 1);
    const char *bad[] = {"", " PCB", "PCB ", "PCB\t1", "PCB\n",
                         "0123456789012345678901234567890123456789012345678901234567890123X",
                         "\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(sdb_board_code_valid(bad[i]));
        assert_int_equal(bind(f, bad[i], &u, NULL), SDB_REFUSED);
        assert_non_null(strstr(sdb_errmsg(f->db), "printable"));
    }
    assert_true(sdb_board_code_valid("A B/c:1~"));
    struct sdb_board_code_bind nobody = {.code = "PCB-1", .unit_id = u.id, .slot = -1};
    assert_int_equal(sdb_board_code_bind(f->db, &nobody, NULL), SDB_REFUSED);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM board_codes"), 0);
}

static void test_edits_by_hand_are_refused_or_found(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u = unit_for(f, 1), v = unit_for(f, 2);
    assert_int_equal(bind(f, "PCB-1", &u, NULL), SDB_OK);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_not_equal(sqlite3_exec(sql, "UPDATE board_codes SET unit_id = 2", NULL, NULL,
                                      NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(sql, "DELETE FROM board_codes", NULL, NULL, NULL),
                         SQLITE_OK);
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_true(c.ok);
    /* A code bound by hand, past the triggers, is reported. */
    exec_sql(sql, "INSERT INTO board_codes (code, unit_id, bound_at, bound_by)"
             " VALUES ('PCB-2', 2, '2026-11-23T10:00:00.000Z', 'nobody')");
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_false(c.ok);
    if (!strstr(c.reason, "board_codes"))
        fail_msg("verify does not name board_codes: %s", c.reason);
    (void)v;
}

static void test_attempt_log_shows_the_code_and_filters_by_it(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u = unit_for(f, 1);
    unit_for(f, 2);
    struct sdb_attempt_start st = {.slot = 1};
    int64_t attempt;
    assert_int_equal(sdb_attempt_begin(f->db, &st, &attempt), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, attempt, u.id), SDB_OK);
    assert_int_equal(bind(f, "PCB-42", &u, NULL), SDB_OK);
    struct sdb_attempt_filter flt = {.slot = -1, .unit = "PCB-42"};
    cJSON *rows;
    assert_int_equal(sdb_report_attempts(f->db, &flt, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "board_code")
                            ->valuestring, "PCB-42");
    cJSON_Delete(rows);
    flt.unit = "PCB-43";
    assert_int_equal(sdb_report_attempts(f->db, &flt, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 0);
    cJSON_Delete(rows);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_bound_once_and_found_by_code),
        T(test_another_units_label_names_both_serials),
        T(test_what_is_not_a_code_is_refused),
        T(test_edits_by_hand_are_refused_or_found),
        T(test_attempt_log_shows_the_code_and_filters_by_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
