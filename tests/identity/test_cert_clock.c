/* The clock check before a unit certificate is issued: a clock before the
 * build date or before the CA's notBefore is named with both dates; a
 * clock at or after both passes; 0 means "not known" and is not checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cert_build.h"
#include "cert_clock.h"

#define BUILT ((time_t)1767225600)      /* 2026-01-01 00:00 UTC */
#define CA_FROM ((time_t)1772323200)    /* 2026-03-01 00:00 UTC */

static void test_before_build_date(void **state)
{
    (void)state;
    char why[300] = "";
    assert_int_equal(cert_clock_check(0 + 86400 * 365, BUILT, CA_FROM, why, sizeof why), -1);
    assert_non_null(strstr(why, "1971-01-01 00:00 UTC"));
    assert_non_null(strstr(why, "before this jigd was built (2026-01-01 00:00 UTC)"));
}

static void test_before_ca(void **state)
{
    (void)state;
    char why[300] = "";
    assert_int_equal(cert_clock_check(BUILT + 86400, BUILT, CA_FROM, why, sizeof why), -1);
    assert_non_null(strstr(why, "before the station CA is valid (2026-03-01 00:00 UTC)"));
}

static void test_within_the_skew_of_the_ca(void **state)
{
    (void)state;
    char why[300] = "";
    /* The CA is dated an hour back, as unit certificates are: a clock a
     * little behind the machine that made it is fine. */
    assert_int_equal(cert_clock_check(CA_FROM - CERT_CLOCK_SKEW_SECONDS, BUILT, CA_FROM, why,
                                      sizeof why), 0);
}

static void test_plausible(void **state)
{
    (void)state;
    char why[300] = "";
    assert_int_equal(cert_clock_check(CA_FROM + 1, BUILT, CA_FROM, why, sizeof why), 0);
    assert_int_equal(cert_clock_check(BUILT, BUILT, 0, why, sizeof why), 0);
    assert_int_equal(cert_clock_check(86400, 0, 0, why, sizeof why), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_build_date),
        cmocka_unit_test(test_before_ca),
        cmocka_unit_test(test_within_the_skew_of_the_ca),
        cmocka_unit_test(test_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
