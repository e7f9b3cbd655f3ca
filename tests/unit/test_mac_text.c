/* mac_text: the colon form esptool prints and the database stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mac_text.h"

static void espressif_mac(void **s)
{
    static const uint8_t mac[6] = {0x7c, 0xdf, 0xa1, 0xb2, 0xc3, 0xd4};
    char out[MAC_TEXT_SIZE];
    assert_string_equal(mac_text(mac, out), "7c:df:a1:b2:c3:d4");
}

static void extremes_keep_two_digits(void **s)
{
    static const uint8_t zero[6] = {0};
    static const uint8_t ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    char out[MAC_TEXT_SIZE];
    assert_string_equal(mac_text(zero, out), "00:00:00:00:00:00");
    assert_string_equal(mac_text(ones, out), "ff:ff:ff:ff:ff:ff");
}

static void fills_exactly_its_size(void **s)
{
    static const uint8_t mac[6] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab};
    char out[MAC_TEXT_SIZE + 4];
    memset(out, '#', sizeof out);
    mac_text(mac, out);
    assert_int_equal(strlen(out), MAC_TEXT_SIZE - 1);
    for (size_t i = MAC_TEXT_SIZE; i < sizeof out; i++)
        assert_int_equal(out[i], '#');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(espressif_mac),
        cmocka_unit_test(extremes_keep_two_digits),
        cmocka_unit_test(fills_exactly_its_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
