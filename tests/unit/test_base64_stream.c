/* base64_stream: quanta decoded by mbedTLS as the characters arrive, an
 * unpadded tail finished as if padded, the room checked at the character
 * that overflows it, and the unused bits of the tail reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64_stream.h"

/* Pushes text (alphabet only) into out; the end's result, or -2 if a push
 * was refused. */
static int decode(const char *text, uint8_t *out, size_t cap, size_t *len, bool *exact)
{
    struct base64_stream s;
    base64_stream_init(&s, out, cap);
    for (const char *c = text; *c; c++)
        if (base64_stream_push(&s, *c) < 0)
            return -2;
    int rc = base64_stream_end(&s, exact);
    *len = s.len;
    return rc;
}

static void whole_quanta(void **state)
{
    uint8_t out[16];
    size_t len;
    bool exact;
    assert_int_equal(decode("SmlnZCBzdGF0", out, sizeof out, &len, &exact), 0);
    assert_int_equal(len, 9);
    assert_memory_equal(out, "Jigd stat", 9);
    assert_true(exact);
}

static void unpadded_tails(void **state)
{
    uint8_t out[16];
    size_t len;
    bool exact;
    assert_int_equal(decode("QUJDRA", out, sizeof out, &len, &exact), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "ABCD", 4);
    assert_true(exact);
    assert_int_equal(decode("QUJDREU", out, sizeof out, &len, &exact), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "ABCDE", 5);
    assert_true(exact);
}

static void a_lone_character_is_refused(void **state)
{
    uint8_t out[16];
    size_t len;
    assert_int_equal(decode("QUJDR", out, sizeof out, &len, NULL), -1);
}

/* "QR" and "QUJ" leave bits an encoder would have zeroed: the same bytes
 * as "QQ" and "QUI", but not exact. */
static void unused_bits_are_reported(void **state)
{
    uint8_t out[16];
    size_t len;
    bool exact;
    assert_int_equal(decode("QR", out, sizeof out, &len, &exact), 0);
    assert_int_equal(len, 1);
    assert_int_equal(out[0], 'A');
    assert_false(exact);
    assert_int_equal(decode("QUJ", out, sizeof out, &len, &exact), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "AB", 2);
    assert_false(exact);
}

/* "QUJD" makes 3 bytes: the character that completes the third is the one
 * refused with 2 bytes of room, and nothing is written past the room. */
static void room_is_checked_per_character(void **state)
{
    uint8_t out[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    struct base64_stream s;
    base64_stream_init(&s, out, 2);
    assert_int_equal(base64_stream_push(&s, 'Q'), 0);
    assert_int_equal(base64_stream_push(&s, 'U'), 0);
    assert_int_equal(base64_stream_push(&s, 'J'), 0);
    assert_int_equal(base64_stream_push(&s, 'D'), -1);
    assert_int_equal(base64_stream_end(&s, NULL), 0);   /* "QUJ" still fits */
    assert_int_equal(s.len, 2);
    assert_memory_equal(out, "AB\xEE\xEE", 4);
}

static void empty_text(void **state)
{
    uint8_t out[1];
    size_t len = 99;
    bool exact = false;
    assert_int_equal(decode("", out, 0, &len, &exact), 0);
    assert_int_equal(len, 0);
    assert_true(exact);
}

static void alphabet(void **state)
{
    const char *yes = "ABCXYZabcxyz0189+/";
    for (const char *c = yes; *c; c++)
        assert_true(base64_is_alphabet(*c));
    const char *no = "=-_ .*\\\n\"";
    for (const char *c = no; *c; c++)
        assert_false(base64_is_alphabet(*c));
    assert_false(base64_is_alphabet((char)0xC3));
    assert_false(base64_is_alphabet('\0'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_quanta),
        cmocka_unit_test(unpadded_tails),
        cmocka_unit_test(a_lone_character_is_refused),
        cmocka_unit_test(unused_bits_are_reported),
        cmocka_unit_test(room_is_checked_per_character),
        cmocka_unit_test(empty_text),
        cmocka_unit_test(alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
