/* CRC32-ESP against the values of formats.md §0.2 and §8.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crc32_esp.h"

static void known_values(void **s)
{
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, "123456789", 9), 0xD202D277u);
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, "", 0), 0xFFFFFFFFu);
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, "\x01\0\0\0", 4), 0x4743989Au);
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, "\x02\0\0\0", 4), 0x55F63774u);
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, "\x03\0\0\0", 4), 0xED4A5011u);
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, "\xff\xff\xff\xff", 4),
                     0x2144DF1Cu);
}

static void chains(void **s)
{
    uint32_t c = crc32_esp(CRC32_ESP_INIT, "1234", 4);
    assert_int_equal(crc32_esp(c, "56789", 5), 0xD202D277u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_values),
        cmocka_unit_test(chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
