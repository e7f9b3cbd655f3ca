/* OTA data against otatool.py's golden files: selecting slots from blank
 * reproduces every file byte for byte, reading them gives the bootloader's
 * choice, and the text matches read_otadata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otadata.h"
#include "vector_files.h"

static uint8_t *load(const char *stem, const char *ext, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "otadata/%s%s", stem, ext);
    uint8_t *b = read_vector(rel, len);
    assert_non_null(b);
    return b;
}

static void expect_file(const uint8_t *got, const char *stem)
{
    size_t n;
    uint8_t *want = load(stem, ".bin", &n);
    assert_int_equal(n, OTADATA_SIZE);
    assert_memory_equal(got, want, OTADATA_SIZE);
    free(want);
}

static void reproduces_otatool_sequence(void **s)
{
    uint8_t p[OTADATA_SIZE];
    otadata_init_blank(p);
    expect_file(p, "otadata_blank");
    assert_int_equal(otadata_select(p, 0, 2, OTA_STATE_UNDEFINED), 0);
    expect_file(p, "otadata_ota0");
    assert_int_equal(otadata_select(p, 1, 2, OTA_STATE_UNDEFINED), 1);
    expect_file(p, "otadata_ota0_then_ota1");
    assert_int_equal(otadata_select(p, 0, 2, OTA_STATE_UNDEFINED), 0);
    expect_file(p, "otadata_ota0_ota1_ota0");

    otadata_init_blank(p);
    assert_int_equal(otadata_select(p, 1, 2, OTA_STATE_UNDEFINED), 0);
    expect_file(p, "otadata_ota1");
    assert_int_equal(otadata_select(p, 2, 2, OTA_STATE_UNDEFINED), -1);
}

static void reads_as_the_bootloader_does(void **s)
{
    static const struct {
        const char *stem;
        int active, slot;
    } cases[] = {
        {"otadata_blank", -1, -1},
        {"otadata_ota0", 0, 0},
        {"otadata_ota1", 0, 1},
        {"otadata_ota0_then_ota1", 1, 1},
        {"otadata_ota0_ota1_ota0", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n, tn;
        uint8_t *b = load(cases[i].stem, ".bin", &n);
        char *txt = (char *)load(cases[i].stem, ".read_otadata.txt", &tn);
        struct otadata od;
        otadata_read(b, n, &od);
        assert_int_equal(od.active, cases[i].active);
        assert_int_equal(otadata_boot_slot(&od, 2), cases[i].slot);
        char got[256];
        otadata_describe(&od, got, sizeof got);
        assert_string_equal(got, txt);
        free(txt);
        free(b);
    }
}

/* formats.md §8.3 and the validity rules of §3.2. */
static void crc_and_validity(void **s)
{
    assert_int_equal(otadata_crc(1), 0x4743989Au);
    assert_int_equal(otadata_crc(2), 0x55F63774u);
    assert_int_equal(otadata_crc(3), 0xED4A5011u);

    uint8_t p[OTADATA_SIZE];
    otadata_init_blank(p);
    otadata_select(p, 0, 2, OTA_STATE_VALID);      /* copy 0: seq 1 */
    otadata_select(p, 1, 2, OTA_STATE_VALID);      /* copy 1: seq 2 */
    struct otadata od;
    otadata_read(p, sizeof p, &od);
    assert_int_equal(otadata_boot_slot(&od, 2), 1);
    /* An aborted newer image falls back to the older copy. */
    p[0x1000 + 24] = OTA_STATE_ABORTED;
    otadata_read(p, sizeof p, &od);
    assert_int_equal(od.active, 0);
    assert_int_equal(otadata_boot_slot(&od, 2), 0);
    /* A bad CRC does too; the state is not under the CRC. */
    p[0x1000 + 24] = OTA_STATE_VALID;
    p[0x1000 + 28] ^= 1;
    otadata_read(p, sizeof p, &od);
    assert_false(od.copy[1].crc_ok);
    assert_int_equal(od.active, 0);
    /* Three slots: selecting ota_2 after seq 1 gives seq 3. */
    otadata_init_blank(p);
    otadata_select(p, 0, 3, OTA_STATE_NEW);
    assert_int_equal(otadata_select(p, 2, 3, OTA_STATE_NEW), 1);
    otadata_read(p, sizeof p, &od);
    assert_int_equal(od.copy[1].seq, 3);
    assert_int_equal(od.copy[1].state, OTA_STATE_NEW);
    assert_int_equal(otadata_boot_slot(&od, 3), 2);
    /* then ota_0: smallest 1 + 3i not below 3 is 4. */
    assert_int_equal(otadata_select(p, 0, 3, OTA_STATE_NEW), 0);
    otadata_read(p, sizeof p, &od);
    assert_int_equal(od.copy[0].seq, 4);
    assert_int_equal(otadata_boot_slot(&od, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reproduces_otatool_sequence),
        cmocka_unit_test(reads_as_the_bootloader_does),
        cmocka_unit_test(crc_and_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
