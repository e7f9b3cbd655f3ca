/* hex_encode: lowercase digits, high nibble first, always terminated, and
 * not a byte past HEX_LEN(n). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

static void known_bytes(void **s)
{
    static const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
    char out[HEX_LEN(sizeof b)];
    assert_string_equal(hex_encode(b, sizeof b, out), "00017f80abcdefff");
}

/* The MD5 of "" as md5sum prints it: the shape of every digest jigd shows. */
static void a_digest(void **s)
{
    static const uint8_t md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                                    0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    char out[HEX_LEN(16)];
    assert_string_equal(hex_encode(md5, 16, out), "d41d8cd98f00b204e9800998ecf8427e");
}

static void nothing_is_an_empty_string(void **s)
{
    char out[1] = {'x'};
    assert_string_equal(hex_encode("", 0, out), "");
}

static void writes_exactly_its_room(void **s)
{
    char out[16];
    memset(out, '#', sizeof out);
    hex_encode("\x12\x34\x56", 3, out);
    assert_memory_equal(out, "123456\0", 7);
    for (size_t i = HEX_LEN(3); i < sizeof out; i++)
        assert_int_equal(out[i], '#');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_bytes),
        cmocka_unit_test(a_digest),
        cmocka_unit_test(nothing_is_an_empty_string),
        cmocka_unit_test(writes_exactly_its_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
