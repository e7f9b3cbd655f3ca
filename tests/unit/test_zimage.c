/* zimage: one zlib stream per region, the same bytes every time, that
 * inflates back to the region. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zimage.h"

static uint8_t *sample(size_t n)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = i % 3000 < 1000 ? (uint8_t)(i * 2654435761u >> 13) : 0xFF;
    return p;
}

static void test_round_trip_and_deterministic(void **state)
{
    (void)state;
    size_t n = 100000;
    uint8_t *data = sample(n);
    size_t za, zb;
    uint8_t *a = zimage_compress(data, n, &za);
    uint8_t *b = zimage_compress(data, n, &zb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(za, zb);
    assert_memory_equal(a, b, za);      /* every slot can share one stream */
    assert_true(za < n / 2);
    assert_int_equal(a[0], 0x78);       /* zlib header, maximum compression */
    assert_int_equal(a[1], 0xDA);

    uint8_t *back = malloc(n);
    uLongf len = n;
    assert_int_equal(uncompress(back, &len, a, za), Z_OK);
    assert_int_equal(len, n);
    assert_memory_equal(back, data, n);
    free(back);
    free(a);
    free(b);
    free(data);
}

static void test_region_is_filled(void **state)
{
    (void)state;
    uint8_t *data = sample(5000);
    struct loader_region r;
    assert_int_equal(zimage_region(&r, 0x8000, data, 5000), 0);
    assert_int_equal(r.offset, 0x8000);
    assert_ptr_equal(r.data, data);
    assert_int_equal(r.size, 5000);
    assert_non_null(r.zdata);
    assert_true(r.zsize > 0);
    free((void *)r.zdata);
    free(data);
}

static void test_empty_input(void **state)
{
    (void)state;
    size_t z;
    uint8_t *p = zimage_compress(NULL, 0, &z);
    assert_non_null(p);     /* an empty stream is still a valid zlib stream */
    assert_true(z > 0);
    free(p);
    assert_null(zimage_compress(NULL, 10, &z));
    assert_int_equal(z, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_deterministic),
        cmocka_unit_test(test_region_is_filled),
        cmocka_unit_test(test_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
