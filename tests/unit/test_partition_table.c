/* Partition tables against gen_esp32part.py 1.3's golden outputs: every
 * binary byte for byte from its CSV and options, binary -> CSV text, the
 * three rejected inputs with the line named, and the checks a table must
 * pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "partition_table.h"
#include "vector_files.h"

static char *load(const char *name, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "partition/%s", name);
    char *b = (char *)read_vector(rel, len);
    assert_non_null(b);
    return b;
}

static void check_csv(const char *csv_name, const char *bin_name,
                      const struct pt_options *o)
{
    size_t cn, bn;
    char *csv = load(csv_name, &cn);
    uint8_t *want = (uint8_t *)load(bin_name, &bn);
    uint8_t out[PT_MAX_LEN];
    struct pt_error err;
    if (pt_csv_to_binary(csv, cn, o, out, &err) < 0)
        fail_msg("%s: %s", csv_name, err.msg);
    assert_int_equal(bn, PT_MAX_LEN);
    assert_memory_equal(out, want, PT_MAX_LEN);
    free(want);
    free(csv);
}

static void singleapp(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    check_csv("singleapp.csv", "singleapp.bin", &o);
}

static void singleapp_table_at_0x9000(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    o.table_offset = 0x9000;
    check_csv("singleapp.csv", "singleapp_offset_0x9000.bin", &o);
}

static void factory_two_ota(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    check_csv("factory_two_ota.csv", "factory_two_ota.bin", &o);
    o.md5 = false;
    check_csv("factory_two_ota.csv", "factory_two_ota_nomd5.bin", &o);
}

static void secure_cert_ota_4mb(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    o.flash_size = 4u << 20;
    check_csv("secure_cert_ota.csv", "secure_cert_ota.bin", &o);
}

static void binary_to_csv(const char *bin_name, const char *csv_name)
{
    size_t bn, cn;
    uint8_t *bin = (uint8_t *)load(bin_name, &bn);
    char *want = load(csv_name, &cn);
    struct pt_options o;
    pt_options_default(&o);
    struct pt_table t;
    struct pt_error err;
    if (pt_parse_binary(bin, bn, &o, &t, &err) < 0 || pt_verify(&t, &o, &err))
        fail_msg("%s: %s", bin_name, err.msg);
    assert_true(t.has_md5);
    size_t need = pt_to_csv(&t, NULL, 0);
    char *got = malloc(need + 1);
    assert_int_equal(pt_to_csv(&t, got, need + 1), need);
    assert_string_equal(got, want);
    /* And back: the CSV the tool printed makes the same binary. */
    uint8_t again[PT_MAX_LEN];
    assert_int_equal(pt_csv_to_binary(got, need, &o, again, &err), 0);
    assert_memory_equal(again, bin, PT_MAX_LEN);
    free(got);
    free(want);
    free(bin);
}

static void binaries_print_as_the_tool_does(void **s)
{
    binary_to_csv("secure_cert_ota.bin", "secure_cert_ota.from_bin.csv");
    binary_to_csv("factory_two_ota.bin", "factory_two_ota.from_bin.csv");
}

static void parsed_fields(void **s)
{
    size_t bn;
    uint8_t *bin = (uint8_t *)load("secure_cert_ota.bin", &bn);
    struct pt_options o;
    pt_options_default(&o);
    struct pt_table t;
    struct pt_error err;
    assert_int_equal(pt_parse_binary(bin, bn, &o, &t, &err), 0);
    assert_int_equal(t.n, 10);
    const struct pt_entry *c = pt_find_name(&t, "esp_secure_cert");
    assert_non_null(c);
    assert_int_equal(c->type, 0x3F);
    assert_int_equal(c->subtype, PT_DATA_UNDEFINED);
    assert_int_equal(c->flags, PT_FLAG_ENCRYPTED);
    assert_int_equal(c->offset, 0xD000);
    assert_int_equal(c->size, 0x2000);
    /* The 15-character name fills the field but for one NUL. */
    assert_int_equal(strlen(c->name), 15);
    const struct pt_entry *f = pt_find_name(&t, "fctry");
    assert_int_equal(f->flags, PT_FLAG_READONLY);
    const struct pt_entry *st = pt_find_type(&t, PT_TYPE_DATA, 0x99);
    assert_string_equal(st->name, "storage");
    assert_int_equal(pt_flash_needed(&t), 4u << 20);
    assert_non_null(pt_find_type(&t, PT_TYPE_APP, PT_APP_OTA_0 + 1));
    free(bin);
}

static void expect_rejected(const char *csv, size_t len,
                            const struct pt_options *o, unsigned line,
                            const char *needle)
{
    uint8_t out[PT_MAX_LEN];
    struct pt_error err;
    if (pt_csv_to_binary(csv, len, o, out, &err) == 0)
        fail_msg("accepted: %.*s", (int)len, csv);
    if (!strstr(err.msg, needle))
        fail_msg("\"%s\" lacks \"%s\"", err.msg, needle);
    assert_int_equal(err.line, line);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "line %u: ", line);
    if (line)
        assert_memory_equal(err.msg, prefix, strlen(prefix));
}

static void golden_bad_inputs_are_rejected(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    size_t n;
    char *csv = load("bad_overlap.csv", &n);
    expect_rejected(csv, n, &o, 4, "Partitions overlap. Partition sets offset "
                    "0xe000. Previous partition ends 0xf000");
    free(csv);
    csv = load("bad_app_align.csv", &n);
    expect_rejected(csv, n, &o, 5, "Offset 0x11000 is not aligned to 0x10000");
    free(csv);
    csv = load("secure_cert_ota.csv", &n);
    o.flash_size = 2u << 20;
    expect_rejected(csv, n, &o, 13, "4.0MB of flash (4194304 bytes) which "
                    "does not fit in configured flash size 2MB");
    free(csv);
}

#define REJECT(text, line, needle)                                          \
    expect_rejected(text, strlen(text), &o, line, needle)

static void csv_rules(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    REJECT("a, app, , , 1M\n", 1, "empty subtype");
    REJECT("a, data, nvs, , \n", 1, "Size field");
    REJECT("a, , nvs, , 0x3000\n", 1, "'type'");
    REJECT("a, data, nvs, , 0x3000, secret\n", 1, "unknown flag 'secret'");
    REJECT("a, data, nvs, , 0x3000, encrypted: readonly\n", 1,
           "unknown flag ' readonly'");
    REJECT("\n\na, data, nvz, , 0x3000\n", 3, "Value 'nvz' is not valid");
    REJECT("a, data, nvs, , 12q\n", 1, "Invalid field value 12q");
    REJECT("a, data, nvs, , 010\n", 1, "Invalid field value 010");
    REJECT("a, data, nvs, 0x8000, 0x3000\n", 1, "partition table occupies");
    REJECT("a, data, nvs, , 0x3000\na, data, nvs, , 0x3000\n", 2, "unique");
    REJECT("o, data, ota, , 0x3000\n", 1, "0x2000");
    REJECT("o, data, ota, , 0x2000\np, data, ota, , 0x2000\n", 2,
           "multiple otadata");
    REJECT("o, data, ota, , 0x2000, readonly\n", 1, "cannot be read-only");
    REJECT("a, data, nvs, , 0x2000\n", 1, "at least 0x3000");
    REJECT("f, app, factory, , 0x10800\n", 1, "Size 0x10800 is not aligned");
    REJECT("d, data, fat, 0x9800, 0x1000\n", 1, "not aligned to 0x1000");
    REJECT("name_is_17_chars_, data, nvs, , 0x3000\n", 1, "longer than 16");
    REJECT("a, data, nvs, , $SIZE\n", 1, "variable");
    REJECT("a, 0x1FF, 0, , 0x3000\n", 1, "out of range");

    /* Accepted spellings: keywords in any case, K/M, decimal, a negative
     * size meaning "ends at", missing trailing fields, comments. */
    const char *ok = "# c\n  \nNVS , DATA, NVS, , 24k\r\n"
                     "fat, data, 0x81, 0x10000, 0x10_000, encrypted:readonly\n"
                     "app, app, OTA_3, , -0x200000\n";
    struct pt_table t;
    struct pt_error err;
    assert_int_equal(pt_parse_csv(ok, strlen(ok), &o, &t, &err), 0);
    assert_int_equal(pt_verify(&t, &o, &err), 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.e[0].offset, 0x9000);
    assert_int_equal(t.e[0].size, 0x6000);
    assert_int_equal(t.e[0].line, 3);
    assert_int_equal(t.e[1].flags, PT_FLAG_ENCRYPTED | PT_FLAG_READONLY);
    assert_int_equal(t.e[2].subtype, 0x13);
    assert_int_equal(t.e[2].offset, 0x20000);
    assert_int_equal(t.e[2].size, 0x200000 - 0x20000);
}

static void binary_damage_is_detected(void **s)
{
    size_t n;
    uint8_t *bin = (uint8_t *)load("singleapp.bin", &n);
    struct pt_options o;
    pt_options_default(&o);
    struct pt_table t;
    struct pt_error err;
    /* formats.md §8.2: MD5 over the three entries. */
    static const uint8_t md5[16] = {0xf4, 0xad, 0x4f, 0x45, 0x38, 0x56,
                                    0x4b, 0x5d, 0x74, 0x35, 0xb6, 0x2c,
                                    0x75, 0xb6, 0x95, 0x24};
    assert_memory_equal(bin + 96 + 16, md5, 16);
    bin[20] ^= 1;
    assert_int_equal(pt_parse_binary(bin, n, &o, &t, &err), -1);
    assert_non_null(strstr(err.msg, "MD5"));
    bin[20] ^= 1;
    assert_int_equal(pt_parse_binary(bin, 128, &o, &t, &err), -1);
    assert_non_null(strstr(err.msg, "end-of-table"));
    bin[33] = 0x51;
    assert_int_equal(pt_parse_binary(bin, n, &o, &t, &err), -1);
    assert_non_null(strstr(err.msg, "magic"));
    free(bin);
}

static void capacity(void **s)
{
    struct pt_options o;
    pt_options_default(&o);
    char csv[8192];
    size_t len = 0;
    for (int i = 0; i < 95; i++)
        len += (size_t)snprintf(csv + len, sizeof csv - len,
                                "p%d, data, fat, , 4K\n", i);
    uint8_t out[PT_MAX_LEN];
    struct pt_error err;
    /* 95 entries + MD5 do not fit; without MD5 they do. */
    assert_int_equal(pt_csv_to_binary(csv, len, &o, out, &err), -1);
    assert_non_null(strstr(err.msg, "94"));
    o.md5 = false;
    assert_int_equal(pt_csv_to_binary(csv, len, &o, out, &err), 0);
    assert_true(out[95 * 32] == 0xFF && out[95 * 32 - 32] == 0xAA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(singleapp),
        cmocka_unit_test(singleapp_table_at_0x9000),
        cmocka_unit_test(factory_two_ota),
        cmocka_unit_test(secure_cert_ota_4mb),
        cmocka_unit_test(binaries_print_as_the_tool_does),
        cmocka_unit_test(parsed_fields),
        cmocka_unit_test(golden_bad_inputs_are_rejected),
        cmocka_unit_test(csv_rules),
        cmocka_unit_test(binary_damage_is_detected),
        cmocka_unit_test(capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
