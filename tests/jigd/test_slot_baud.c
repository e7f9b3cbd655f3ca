/* The baud ladder's memory: what rate a slot picks for an adapter, the
 * rung below a failed rate, and that a fall-back is remembered per port
 * URL and never raises a slot above its own maximum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "slot.h"

static void test_rung_below(void **state)
{
    (void)state;
    assert_int_equal(slot_baud_below(921600), 460800);
    assert_int_equal(slot_baud_below(460800), 230400);
    assert_int_equal(slot_baud_below(230400), 115200);
    assert_int_equal(slot_baud_below(115200), 0);
    /* A configured rate between rungs falls to the rung under it. */
    assert_int_equal(slot_baud_below(1000000), 921600);
    assert_int_equal(slot_baud_below(5000000), 3000000);
}

static void test_pick_remembers_per_adapter(void **state)
{
    (void)state;
    struct slot_baud_memory *m = slot_baud_memory_new();
    assert_non_null(m);
    const char *a = "rfc2217://10.0.0.5:4000", *b = "/dev/serial/by-path/x";
    assert_int_equal(slot_baud_pick(m, a, 921600), 921600);
    slot_baud_remember(m, a, 460800);
    assert_int_equal(slot_baud_pick(m, a, 921600), 460800);
    assert_int_equal(slot_baud_pick(m, b, 921600), 921600);   /* others untouched */
    /* A slot whose own maximum is lower than the ceiling keeps its maximum. */
    assert_int_equal(slot_baud_pick(m, a, 230400), 230400);
    slot_baud_remember(m, a, 230400);
    assert_int_equal(slot_baud_pick(m, a, 921600), 230400);
    slot_baud_memory_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rung_below),
        cmocka_unit_test(test_pick_remembers_per_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
