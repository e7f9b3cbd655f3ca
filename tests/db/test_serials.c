/* Serial formats and counters: expansion, ISO weeks, week rollover, width,
 * no repeats across reopen or after a void, collisions between formats. */
#include "db_fixture.h"
#include "serial_format.h"

/* ---- formats (pure) ------------------------------------------------------- */

static void expand_at(const char *format, int64_t ms, int64_t seq, const char *want)
{
    struct serial_format f;
    struct serial_date d;
    char err[160], out[SERIAL_TEXT_MAX + 1];
    if (!serial_format_parse(format, &f, err, sizeof err))
        fail_msg("%s: %s", format, err);
    serial_date_from_ms(ms, &d);
    assert_true(serial_format_expand(&f, &d, "line3", seq, out, sizeof out));
    assert_string_equal(out, want);
}

static void test_format_fields_expand(void **state)
{
    int64_t monday = utc_ms(2026, 11, 23, 10, 0, 0);
    expand_at("ACME-{yy}{ww}-{seq:06}", monday, 1, "ACME-2648-000001");
    expand_at("{yyyy}{mm}{dd}-{station}-{seq}", monday, 42, "20261123-line3-42");
    expand_at("SN{seq:3}", monday, 7, "SN007");
    expand_at("SN{seq:03}/x", monday, 123, "SN123/x");
    expand_at("{seq}", monday, 1234567, "1234567");
}

static void test_format_iso_week_year(void **state)
{
    /* Monday 2024-12-30 is in week 1 of 2025; a {yy}{ww} code says 2501. */
    expand_at("{yy}{ww}-{seq}", utc_ms(2024, 12, 30, 12, 0, 0), 1, "2501-1");
    /* ...but a format without {ww} keeps the calendar year. */
    expand_at("{yyyy}{mm}{dd}-{seq}", utc_ms(2024, 12, 30, 12, 0, 0), 1, "20241230-1");
    /* Sunday 2021-01-03 is still in week 53 of 2020. */
    expand_at("{yyyy}W{ww}-{seq}", utc_ms(2021, 1, 3, 23, 59, 59), 1, "2020W53-1");
    /* 2026 has 53 weeks; 2027-01-01 (a Friday) belongs to its week 53. */
    expand_at("{yy}{ww}-{seq}", utc_ms(2027, 1, 1, 0, 0, 0), 1, "2653-1");
    expand_at("{yy}{ww}-{seq}", utc_ms(2027, 1, 4, 0, 0, 0), 1, "2701-1");
}

static void refuse(const char *format, const char *phrase)
{
    struct serial_format f;
    char err[160] = "";
    if (serial_format_parse(format, &f, err, sizeof err))
        fail_msg("'%s' was accepted", format);
    if (!strstr(err, phrase))
        fail_msg("'%s': message '%s' lacks '%s'", format, err, phrase);
}

static void test_format_errors_say_what_to_write(void **state)
{
    refuse("", "1 to 128");
    refuse("ACME-{yy}", "exactly one {seq}");
    refuse("{seq}-{seq}", "exactly one {seq}");
    refuse("ACME-{week}-{seq}", "unknown field {week}");
    refuse("ACME {seq}", "position 5");
    refuse("ACME-{seq", "never closed");
    refuse("A-{seq:0}", "width");
    refuse("A-{seq:19}", "width");
    refuse("A-{seq:x}", "width");
    refuse("A,{seq}", "letters, digits");
}

static void test_format_width_limits_and_scope(void **state)
{
    struct serial_format f;
    struct serial_date d;
    char err[160], out[SERIAL_TEXT_MAX + 1], scope[256];
    assert_true(serial_format_parse("ACME-{yy}{ww}-{seq:02}", &f, err, sizeof err));
    serial_date_from_ms(utc_ms(2026, 11, 23, 0, 0, 0), &d);
    assert_int_equal(serial_format_max_seq(&f), 99);
    assert_true(serial_format_expand(&f, &d, "s", 99, out, sizeof out));
    assert_false(serial_format_expand(&f, &d, "s", 100, out, sizeof out));
    assert_string_equal(out, "");   /* a refusal leaves no half serial behind */
    assert_false(serial_format_expand(&f, &d, "s", 0, out, sizeof out));
    assert_true(serial_format_scope(&f, &d, "s", scope, sizeof scope));
    assert_string_equal(scope, "ACME-2648-{seq}");
    /* The width is not part of the scope: changing it cannot restart a counter. */
    assert_true(serial_format_parse("ACME-{yy}{ww}-{seq:06}", &f, err, sizeof err));
    char scope6[256];
    assert_true(serial_format_scope(&f, &d, "s", scope6, sizeof scope6));
    assert_string_equal(scope, scope6);
}

/* ---- counters (database) -------------------------------------------------- */

static void allocate(struct db_fixture *f, const char *format, const char *want)
{
    char serial[SDB_SERIAL_MAX + 1];
    int rc = sdb_serial_allocate(f->db, format, NULL, serial);
    if (rc != SDB_OK)
        fail_msg("allocate %s: %s", format, sdb_errmsg(f->db));
    assert_string_equal(serial, want);
}

static void test_week_rollover_restarts_and_clock_going_back_does_not_repeat(void **state)
{
    struct db_fixture *f = *state;
    const char *fmt = "ACME-{yy}{ww}-{seq:06}";
    f->now_ms = utc_ms(2026, 11, 29, 23, 59, 58);   /* Sunday, week 48 */
    allocate(f, fmt, "ACME-2648-000001");
    allocate(f, fmt, "ACME-2648-000002");
    f->now_ms = utc_ms(2026, 11, 30, 0, 0, 1);      /* Monday, week 49 */
    allocate(f, fmt, "ACME-2649-000001");
    /* An NTP step back into week 48 continues week 48's counter. */
    f->now_ms = utc_ms(2026, 11, 29, 23, 59, 59);
    allocate(f, fmt, "ACME-2648-000003");
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM serial_counters"), 2);
}

static void test_width_exhausted_is_refused_without_consuming(void **state)
{
    struct db_fixture *f = *state;
    char serial[SDB_SERIAL_MAX + 1];
    for (int i = 1; i <= 9; i++) {
        char want[8];
        snprintf(want, sizeof want, "T%d", i);
        allocate(f, "T{seq:1}", want);
    }
    assert_int_equal(sdb_serial_allocate(f->db, "T{seq:1}", NULL, serial), SDB_REFUSED);
    assert_non_null(strstr(sdb_errmsg(f->db), "used all 9 numbers"));
    /* The refusal rolled back: the counter still says 9, and a wider format
     * sharing the scope carries on from there. */
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT last_seq FROM serial_counters"), 9);
    allocate(f, "T{seq:2}", "T10");
    allocate(f, "T{seq}", "T11");
}

static void test_no_repeats_across_reopen(void **state)
{
    struct db_fixture *f = *state;
    allocate(f, "{station}-{seq:04}", "line3-0001");
    allocate(f, "{station}-{seq:04}", "line3-0002");
    fixture_reopen(f);
    allocate(f, "{station}-{seq:04}", "line3-0003");
    fixture_reopen(f);
    allocate(f, "{station}-{seq:04}", "line3-0004");
}

static void test_voided_serial_is_never_reused(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_board b = board_with_mac(1);
    struct sdb_unit u;
    bool reworked;
    assert_int_equal(sdb_unit_identify(f->db, &b, "V-{seq:03}", NULL, &u, &reworked), SDB_OK);
    assert_string_equal(u.serial, "V-001");
    assert_int_equal(sdb_serial_void(f->db, "V-001", "operator:ana", "label misprinted"), SDB_OK);
    assert_int_equal(sdb_serial_void(f->db, "V-001", "operator:ana", "again"), SDB_REFUSED);
    assert_int_equal(sdb_serial_void(f->db, "V-999", "operator:ana", "x"), SDB_NOT_FOUND);
    assert_int_equal(sdb_serial_void(f->db, "V-001", "operator:ana", ""), SDB_REFUSED);
    fixture_reopen(f);
    /* The same board comes back: a new serial, the void stays in history. */
    assert_int_equal(sdb_unit_identify(f->db, &b, "V-{seq:03}", NULL, &u, &reworked), SDB_OK);
    assert_false(reworked);
    assert_string_equal(u.serial, "V-002");
    struct sdb_unit old;
    assert_int_equal(sdb_unit_by_serial(f->db, "V-001", &old), SDB_OK);
    assert_true(old.voided);
    assert_string_equal(old.mac, u.mac);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM serial_allocations WHERE serial ="
                                      " 'V-001' AND state = 'voided'"), 1);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE action ="
                                      " 'serial.void'"), 1);
    /* The database itself forbids winding a counter back or un-voiding. */
    assert_int_not_equal(sqlite3_exec(sql, "UPDATE serial_counters SET last_seq = 0", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(sql, "DELETE FROM serial_counters", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(sql, "UPDATE serial_allocations SET state = 'allocated'"
                                           " WHERE serial = 'V-001'", NULL, NULL, NULL), SQLITE_OK);
}

static void test_formats_that_spell_the_same_serial_never_collide(void **state)
{
    struct db_fixture *f = *state;
    allocate(f, "A1{seq}", "A11");
    for (int i = 1; i <= 10; i++) {
        char want[8];
        snprintf(want, sizeof want, "A%d", i);
        allocate(f, "A{seq}", want);
    }
    /* 'A{seq}' at 11 would be A11, already issued: it is skipped. */
    allocate(f, "A{seq}", "A12");
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(DISTINCT serial) ="
                                                    " count(*) FROM serial_allocations"), 1);
}

static void test_bad_format_refused_by_allocation(void **state)
{
    struct db_fixture *f = *state;
    char serial[SDB_SERIAL_MAX + 1];
    assert_int_equal(sdb_serial_allocate(f->db, "NO-SEQ", NULL, serial), SDB_REFUSED);
    assert_non_null(strstr(sdb_errmsg(f->db), "exactly one {seq}"));
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM serial_counters"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_fields_expand),
        cmocka_unit_test(test_format_iso_week_year),
        cmocka_unit_test(test_format_errors_say_what_to_write),
        cmocka_unit_test(test_format_width_limits_and_scope),
        cmocka_unit_test_setup_teardown(
            test_week_rollover_restarts_and_clock_going_back_does_not_repeat,
            fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_width_exhausted_is_refused_without_consuming,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_no_repeats_across_reopen,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_voided_serial_is_never_reused,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_formats_that_spell_the_same_serial_never_collide,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bad_format_refused_by_allocation,
                                        fixture_setup_open, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
