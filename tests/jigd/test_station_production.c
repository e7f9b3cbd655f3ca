/* When the shift began (station_production.h): the latest configured start
 * not after now, yesterday's last before today's first, in local time
 * through a change to summer time. The figures themselves come from the
 * database's reports (tests/db/test_reports.c) and are checked end to end
 * in the browser (web/dashboard). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "station_production.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return timegm(&tm);
}

static const unsigned three[] = {6 * 60, 14 * 60, 22 * 60};

static int berlin(void **state)
{
    (void)state;
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    return 0;
}

static void test_latest_start_of_today(void **state)
{
    (void)state;
    /* 10:30 in Berlin (CET, UTC+1) is in the 06:00 shift. */
    assert_int_equal(shift_started_at(utc(2026, 12, 7, 9, 30), three, 3), utc(2026, 12, 7, 5, 0));
    /* A start is the shift's own first minute. */
    assert_int_equal(shift_started_at(utc(2026, 12, 7, 13, 0), three, 3), utc(2026, 12, 7, 13, 0));
    assert_int_equal(shift_started_at(utc(2026, 12, 7, 12, 59), three, 3), utc(2026, 12, 7, 5, 0));
    assert_int_equal(shift_started_at(utc(2026, 12, 7, 22, 10), three, 3), utc(2026, 12, 7, 21, 0));
}

static void test_before_the_first_start_is_yesterdays_last(void **state)
{
    (void)state;
    /* 05:59 in Berlin: the night shift that began at 22:00 the day before. */
    assert_int_equal(shift_started_at(utc(2026, 12, 7, 4, 59), three, 3), utc(2026, 12, 6, 21, 0));
    /* Across a month's end. */
    assert_int_equal(shift_started_at(utc(2026, 12, 1, 0, 30), three, 3), utc(2026, 11, 30, 21, 0));
}

static void test_one_shift_a_day(void **state)
{
    (void)state;
    static const unsigned midnight[] = {0};
    assert_int_equal(shift_started_at(utc(2026, 12, 7, 18, 0), midnight, 1), utc(2026, 12, 6, 23, 0));
}

static void test_summer_time_moves_with_the_wall_clock(void **state)
{
    (void)state;
    /* 29 March 2026: Berlin goes from CET to CEST at 02:00. The 06:00
     * shift starts at 06:00 on the wall, 04:00 UTC; the night shift before
     * it began at 22:00 CET the day before, 21:00 UTC. */
    assert_int_equal(shift_started_at(utc(2026, 3, 29, 5, 0), three, 3), utc(2026, 3, 29, 4, 0));
    assert_int_equal(shift_started_at(utc(2026, 3, 29, 3, 0), three, 3), utc(2026, 3, 28, 21, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latest_start_of_today),
        cmocka_unit_test(test_before_the_first_start_is_yesterdays_last),
        cmocka_unit_test(test_one_shift_a_day),
        cmocka_unit_test(test_summer_time_moves_with_the_wall_clock),
    };
    return cmocka_run_group_tests(tests, berlin, NULL);
}
