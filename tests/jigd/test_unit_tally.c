/* What a slot counts for GET /metrics (station/unit_tally.c): attempts by
 * the database's result words, failures by their phase (and only
 * failures), bytes written, phase rows into seconds histograms; and the
 * slots' tallies added into the station's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_tally.h"

static void test_counts_what_is_recorded(void **state)
{
    (void)state;
    struct unit_tally t;
    unit_tally_init(&t);
    unit_tally_end(&t, UNIT_PASSED, PHASE_NONE, 4096);
    unit_tally_end(&t, UNIT_FAILED, PHASE_CONNECT, 0);
    unit_tally_end(&t, UNIT_FAILED, PHASE_VERIFY, 1024);
    unit_tally_end(&t, UNIT_INTERRUPTED, PHASE_WRITE, 512);    /* not the board's failure */
    unit_tally_end(NULL, UNIT_PASSED, PHASE_NONE, 1);          /* no tally: nothing */
    assert_int_equal(t.attempts[UNIT_PASSED], 1);
    assert_int_equal(t.attempts[UNIT_FAILED], 2);
    assert_int_equal(t.attempts[UNIT_INTERRUPTED], 1);
    assert_int_equal(t.failed_in[PHASE_CONNECT], 1);
    assert_int_equal(t.failed_in[PHASE_VERIFY], 1);
    assert_int_equal(t.failed_in[PHASE_WRITE], 0);
    assert_int_equal(t.bytes_written, 4096 + 1024 + 512);

    unit_tally_phase(&t, PHASE_WRITE, 1500);
    unit_tally_phase(&t, PHASE_WRITE, 40);
    unit_tally_phase(&t, PHASE_BAUD, -3);       /* a clock step: 0, not negative */
    const struct metrics_histogram *w = &t.phase_seconds[PHASE_WRITE];
    assert_int_equal(w->count, 2);
    assert_true(w->sum > 1.539 && w->sum < 1.541);
    assert_int_equal(w->in[1], 1);              /* 0.04 s: at most 0.05 */
    assert_int_equal(t.phase_seconds[PHASE_BAUD].in[0], 1);
    assert_int_equal(t.phase_seconds[PHASE_BAUD].sum, 0);
}

static void test_slots_add_up(void **state)
{
    (void)state;
    struct unit_tally a, b, all;
    unit_tally_init(&a);
    unit_tally_init(&b);
    unit_tally_init(&all);
    unit_tally_end(&a, UNIT_PASSED, PHASE_NONE, 100);
    unit_tally_end(&b, UNIT_FAILED, PHASE_IDENTIFY, 0);
    unit_tally_phase(&a, PHASE_CONNECT, 200);
    unit_tally_phase(&b, PHASE_CONNECT, 300);
    unit_tally_add(&all, &a);
    unit_tally_add(&all, &b);
    assert_int_equal(all.attempts[UNIT_PASSED], 1);
    assert_int_equal(all.attempts[UNIT_FAILED], 1);
    assert_int_equal(all.failed_in[PHASE_IDENTIFY], 1);
    assert_int_equal(all.bytes_written, 100);
    assert_int_equal(all.phase_seconds[PHASE_CONNECT].count, 2);
}

static void test_result_names_are_the_databases(void **state)
{
    (void)state;
    assert_string_equal(unit_result_name(UNIT_PASSED), "ok");
    assert_string_equal(unit_result_name(UNIT_FAILED), "failed");
    assert_string_equal(unit_result_name(UNIT_INTERRUPTED), "interrupted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_what_is_recorded),
        cmocka_unit_test(test_slots_add_up),
        cmocka_unit_test(test_result_names_are_the_databases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
