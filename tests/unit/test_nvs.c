/* NVS generator: byte-identical to Espressif's esp-idf-nvs-partition-gen
 * 0.2.0 on every golden vector, plus the hand-checked layouts of
 * formats.md §8.4-§8.5 and the errors a template author will meet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32_esp.h"
#include "nvs_csv.h"
#include "nvs_page.h"
#include "nvs_reader.h"
#include "nvs_writer.h"
#include "vector_files.h"

/* Loads "file" rows from vectors/nvs/, as the generator was run there. */
static const uint8_t *load_nvs_vector(void *ctx, const char *name, size_t *len,
                                      char *why, size_t why_cap)
{
    (void)ctx;
    char rel[256];
    snprintf(rel, sizeof rel, "nvs/%s", name);
    uint8_t *b = read_vector(rel, len);
    if (!b)
        snprintf(why, why_cap, "not found");
    return b;
}

static void release_nvs_vector(void *ctx, const uint8_t *data)
{
    (void)ctx;
    free((void *)data);
}

static const struct nvs_file_loader vector_loader = {
    load_nvs_vector, release_nvs_vector, NULL};

/* Generates from a CSV text; returns the output length or 0 on error
 * (message in err). *out is malloc'd. */
static size_t generate(const char *csv, size_t size, enum nvs_version v,
                       uint8_t **out, struct nvs_csv_error *err)
{
    struct nvs_writer w;
    *out = malloc(size);
    assert_non_null(*out);
    assert_int_equal(nvs_writer_init(&w, *out, size, v), 0);
    if (nvs_csv_generate(csv, strlen(csv), &w, &vector_loader, err) < 0)
        return 0;
    return nvs_writer_finish(&w);
}

static void check_vector(const char *csv_name, const char *bin_name,
                         size_t size, enum nvs_version v)
{
    char rel[256];
    size_t csv_len, want_len;
    snprintf(rel, sizeof rel, "nvs/%s", csv_name);
    char *csv = (char *)read_vector(rel, &csv_len);
    snprintf(rel, sizeof rel, "nvs/%s", bin_name);
    uint8_t *want = read_vector(rel, &want_len);
    assert_non_null(csv);
    assert_non_null(want);

    uint8_t *got;
    struct nvs_csv_error err;
    size_t n = generate(csv, size, v, &got, &err);
    if (n == 0)
        fail_msg("%s: %s", csv_name, err.msg);
    assert_int_equal(n, want_len);
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("%s: first difference at 0x%zx: got %02x, want %02x",
                     bin_name, i, got[i], want[i]);
    free(got);
    free(want);
    free(csv);
}

static void vector_ints(void **s)
{
    check_vector("ints.csv", "nvs_ints.bin", 0x3000, NVS_VERSION_2);
}
static void vector_ints_v1(void **s)
{
    check_vector("ints.csv", "nvs_ints_v1.bin", 0x3000, NVS_VERSION_1);
}
static void vector_strings(void **s)
{
    check_vector("strings.csv", "nvs_strings.bin", 0x3000, NVS_VERSION_2);
}
static void vector_blobs(void **s)
{
    check_vector("blobs.csv", "nvs_blobs.bin", 0x6000, NVS_VERSION_2);
}
static void vector_blobs_v1(void **s)
{
    check_vector("blobs_v1.csv", "nvs_blobs_v1.bin", 0x3000, NVS_VERSION_1);
}
static void vector_factory_0x3000(void **s)
{
    check_vector("factory.csv", "nvs_factory_0x3000.bin", 0x3000,
                 NVS_VERSION_2);
}
static void vector_factory_0x6000(void **s)
{
    check_vector("factory.csv", "nvs_factory_0x6000.bin", 0x6000,
                 NVS_VERSION_2);
}
static void vector_factory_0x10000(void **s)
{
    check_vector("factory.csv", "nvs_factory_0x10000.bin", 0x10000,
                 NVS_VERSION_2);
}

/* formats.md §8.5: the first 0xC0 bytes for a three-row CSV. */
static void small_partition_layout(void **s)
{
    static const uint8_t want[0xC0] = {
        0xfe, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0x84, 0x2d, 0xba, 0xb9, 0xaa, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x01, 0xff, 0x44, 0x88, 0xf0, 0x1f,
        0x66, 0x61, 0x63, 0x74, 0x6f, 0x72, 0x79, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x01, 0x21, 0x02, 0xff, 0xc9, 0x9e, 0x66, 0xcc, 0x73, 0x65, 0x72, 0x69,
        0x61, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x07, 0x00, 0xff, 0xff, 0xcc, 0xc5, 0xac, 0x6b, 0x53, 0x4e, 0x30, 0x30,
        0x30, 0x31, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x01, 0xff, 0x05, 0x71, 0x49, 0xfb,
        0x6e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    uint8_t *got;
    struct nvs_csv_error err;
    size_t n = generate("key,type,encoding,value\nfactory,namespace,,\n"
                        "serial,data,string,SN0001\nn,data,u8,5\n",
                        0x3000, NVS_VERSION_2, &got, &err);
    assert_int_equal(n, 0x3000);
    assert_memory_equal(got, want, sizeof want);
    for (size_t i = 0x1000; i < 0x3000; i++)
        assert_int_equal(got[i], 0xFF);
    free(got);
}

/* formats.md §8.5: a 9000-byte blob right after the namespace entry. */
static void multi_page_blob_layout(void **s)
{
    size_t len = 200 + 9000 * 2;
    char *csv = malloc(len);
    int n = snprintf(csv, len, "key,type,encoding,value\nns,namespace,,\n"
                               "big,data,hex2bin,");
    for (int i = 0; i < 9000; i++)
        n += snprintf(csv + n, len - (size_t)n, "%02x", i & 0xFF);
    snprintf(csv + n, len - (size_t)n, "\n");
    uint8_t *p;
    struct nvs_csv_error err;
    assert_int_equal(generate(csv, 0x6000, NVS_VERSION_2, &p, &err), 0x6000);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_FULL);
    assert_int_equal(nvs_page_state(p + 0x1000), NVS_PAGE_FULL);
    assert_int_equal(nvs_page_state(p + 0x2000), NVS_PAGE_ACTIVE);
    assert_int_equal(nvs_page_seq(p + 0x2000), 2);
    const uint8_t *c0 = nvs_entry_at_const(p, 1);
    assert_int_equal(c0[1], NVS_TYPE_BLOB_DATA);
    assert_int_equal(c0[3], 0);
    assert_int_equal(c0[24] | c0[25] << 8, 3968);
    const uint8_t *c1 = nvs_entry_at_const(p + 0x1000, 0);
    assert_int_equal(c1[3], 1);
    assert_int_equal(c1[24] | c1[25] << 8, 4000);
    const uint8_t *c2 = nvs_entry_at_const(p + 0x2000, 0);
    assert_int_equal(c2[3], 2);
    assert_int_equal(c2[24] | c2[25] << 8, 1032);
    const uint8_t *idx = nvs_entry_at_const(p + 0x2000, nvs_span_for(1032));
    assert_int_equal(idx[1], NVS_TYPE_BLOB_IDX);
    assert_int_equal(idx[24] | idx[25] << 8 | idx[26] << 16, 9000);
    assert_int_equal(idx[28], 3);
    assert_int_equal(idx[29], 0);
    for (size_t i = 0x3000; i < 0x6000; i++)
        assert_int_equal(p[i], 0xFF);
    free(p);
    free(csv);
}

static void expect_error(const char *csv, size_t size, unsigned line,
                         const char *needle)
{
    uint8_t *got;
    struct nvs_csv_error err;
    size_t n = generate(csv, size, NVS_VERSION_2, &got, &err);
    free(got);
    if (n != 0)
        fail_msg("accepted a bad CSV: %s", csv);
    if (!strstr(err.msg, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, needle);
    assert_int_equal(err.line, line);
}

static void errors_name_line_and_reason(void **s)
{
    const char *h = "key,type,encoding,value\nns,namespace,,\n";
    char csv[512];
    snprintf(csv, sizeof csv, "%sa,data,u9,1\n", h);
    expect_error(csv, 0x3000, 3, "unknown encoding");
    snprintf(csv, sizeof csv, "%sa,data,u8,256\n", h);
    expect_error(csv, 0x3000, 3, "out of range");
    snprintf(csv, sizeof csv, "%sa,data,i8,-129\n", h);
    expect_error(csv, 0x3000, 3, "out of range");
    snprintf(csv, sizeof csv, "%sa,data,u32,-1\n", h);
    expect_error(csv, 0x3000, 3, "out of range");
    snprintf(csv, sizeof csv, "%sa,data,u64,18446744073709551616\n", h);
    expect_error(csv, 0x3000, 3, "out of range");
    snprintf(csv, sizeof csv, "%sa,data,u8,0x10\n", h);
    expect_error(csv, 0x3000, 3, "decimal");
    snprintf(csv, sizeof csv, "%s\nsixteen_chars_xx,data,u8,1\n", h);
    expect_error(csv, 0x3000, 4, "longer than 15");
    snprintf(csv, sizeof csv, "%sa,blob,u8,1\n", h);
    expect_error(csv, 0x3000, 3, "unknown type");
    snprintf(csv, sizeof csv, "%sa,data,hex2bin,abc\n", h);
    expect_error(csv, 0x3000, 3, "odd number");
    snprintf(csv, sizeof csv, "%sa,data,hex2bin,zz\n", h);
    expect_error(csv, 0x3000, 3, "not a hex digit");
    snprintf(csv, sizeof csv, "%sa,data,u8,1\na,data,u8,2\n", h);
    expect_error(csv, 0x3000, 4, "twice");
    snprintf(csv, sizeof csv, "%sb,namespace,,\nns,namespace,,\n", h);
    expect_error(csv, 0x3000, 4, "second time");
    snprintf(csv, sizeof csv, "%ssta.ssid,data,string,x\n", h);
    expect_error(csv, 0x3000, 3, "Wi-Fi");
    expect_error("key,type,encoding,value\na,data,u8,1\n", 0x3000, 2,
                 "before the first namespace");
    expect_error("k,t,e,v\n", 0x3000, 1, "header");
    snprintf(csv, sizeof csv, "%sa,file,string,no_such_file.txt\n", h);
    expect_error(csv, 0x3000, 3, "no_such_file.txt");
    snprintf(csv, sizeof csv, "%sa,data,string,\"open\n", h);
    expect_error(csv, 0x3000, 3, "never closed");
}

/* 0x3000 = two usable pages; three 1001-byte strings need three. */
static void partition_too_small(void **s)
{
    expect_error("key,type,encoding,value\nns,namespace,,\n"
                 "a,file,string,long1000.txt\nb,file,string,long1000.txt\n"
                 "c,file,string,long1000.txt\nd,file,string,long1000.txt\n"
                 "e,file,string,long1000.txt\nf,file,string,long1000.txt\n"
                 "g,file,string,long1000.txt\n",
                 0x3000, 9, "too small");
}

/* Quoting as Python's csv reads it: "" is a quote, commas and newlines
 * inside quotes are data, CRLF is a line end, '#' lines are dropped. */
static void csv_quoting(void **s)
{
    const char *csv = "key,type,encoding,value\r\n# a comment\r\n"
                      "ns,namespace,,\r\n"
                      "q,data,string,\"a,\"\"b\"\"\r\nc\"\r\n";
    uint8_t *p;
    struct nvs_csv_error err;
    size_t n = generate(csv, 0x3000, NVS_VERSION_2, &p, &err);
    if (n == 0)
        fail_msg("%s", err.msg);
    const uint8_t *e = nvs_entry_at_const(p, 1);
    assert_int_equal(e[1], NVS_TYPE_SZ);
    assert_int_equal(e[24], 8);     /* a,"b"\nc + NUL */
    assert_memory_equal(nvs_entry_at_const(p, 2), "a,\"b\"\nc", 8);
    free(p);
}

static void read_only_sizes_trim_output(void **s)
{
    uint8_t *p;
    struct nvs_csv_error err;
    size_t n = generate("key,type,encoding,value\nns,namespace,,\n"
                        "a,data,u8,1\n", 0x2000, NVS_VERSION_2, &p, &err);
    assert_int_equal(n, 0x1000);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_ACTIVE);
    free(p);
}

/* CSV text: namespace "ns" then `n` u8 items, then `tail`. */
static char *filler_csv(int n, const char *tail)
{
    size_t cap = 64 + (size_t)n * 24 + strlen(tail);
    char *csv = malloc(cap);
    int len = snprintf(csv, cap, "key,type,encoding,value\nns,namespace,,\n");
    for (int i = 0; i < n; i++)
        len += snprintf(csv + len, cap - (size_t)len, "f%d,data,u8,%d\n", i,
                        i & 0xFF);
    snprintf(csv + len, cap - (size_t)len, "%s", tail);
    return csv;
}

static uint8_t *generate_ok(const char *csv, size_t size)
{
    uint8_t *p;
    struct nvs_csv_error err;
    if (generate(csv, size, NVS_VERSION_2, &p, &err) == 0)
        fail_msg("%s", err.msg);
    return p;
}

/* formats.md §4.8 fit rules, which no golden file happens to reach:
 * a string that would end exactly on entry 125 moves to the next page
 * (">="), one ending on 124 stays; a blob meeting a page with one free
 * entry leaves a zero-length chunk there. */
static void page_fill_rules(void **s)
{
    /* ns + 121 u8 = entries 0..121; a 71-byte string needs 4 entries. */
    char *csv = filler_csv(121, "s,data,string,"
                           "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                           "abcdefghijklmnopq\n");
    uint8_t *p = generate_ok(csv, 0x3000);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_FULL);
    assert_int_equal(nvs_entry_state_get(p, 122), NVS_ENTRY_EMPTY);
    const uint8_t *e = nvs_entry_at_const(p + 0x1000, 0);
    assert_int_equal(e[1], NVS_TYPE_SZ);
    assert_int_equal(e[2], 4);
    free(p);
    free(csv);

    /* Same string after 120 u8: ends on entry 124, stays on page 0. */
    csv = filler_csv(120, "s,data,string,"
                     "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                     "abcdefghijklmnopq\n");
    p = generate_ok(csv, 0x3000);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_ACTIVE);
    assert_int_equal(nvs_entry_at_const(p, 121)[1], NVS_TYPE_SZ);
    assert_int_equal(nvs_page_state(p + 0x1000), NVS_PAGE_EMPTY);
    free(p);
    free(csv);

    /* ns + 124 u8 leaves entry 125 free: a zero-length chunk 0 goes there,
     * chunk 1 holds the 10 bytes on page 1, then the index {10, 2, 0}. */
    csv = filler_csv(124, "b,data,hex2bin,00112233445566778899\n");
    p = generate_ok(csv, 0x3000);
    e = nvs_entry_at_const(p, 125);
    assert_int_equal(e[1], NVS_TYPE_BLOB_DATA);
    assert_int_equal(e[2], 1);
    assert_int_equal(e[3], 0);
    assert_int_equal(e[24] | e[25] << 8, 0);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_FULL);
    e = nvs_entry_at_const(p + 0x1000, 0);
    assert_int_equal(e[3], 1);
    assert_int_equal(e[24], 10);
    e = nvs_entry_at_const(p + 0x1000, 2);
    assert_int_equal(e[1], NVS_TYPE_BLOB_IDX);
    assert_int_equal(e[24], 10);
    assert_int_equal(e[28], 2);
    free(p);
    free(csv);

    /* A blob filling page 0 to its last entry: the index opens page 1. */
    char tail[8192];
    int n = snprintf(tail, sizeof tail, "b,data,hex2bin,");
    for (int i = 0; i < 124 * 32; i++)
        n += snprintf(tail + n, sizeof tail - (size_t)n, "%02x", i & 0xFF);
    snprintf(tail + n, sizeof tail - (size_t)n, "\n");
    csv = filler_csv(0, tail);
    p = generate_ok(csv, 0x3000);
    assert_int_equal(nvs_entry_at_const(p, 1)[2], 125);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_FULL);
    e = nvs_entry_at_const(p + 0x1000, 0);
    assert_int_equal(e[1], NVS_TYPE_BLOB_IDX);
    assert_int_equal(e[28], 1);
    free(p);
    free(csv);

    /* 126 primitives fill a page; the 127th item opens the next one. */
    csv = filler_csv(126, "");
    p = generate_ok(csv, 0x3000);
    assert_int_equal(nvs_entry_state_get(p, 125), NVS_ENTRY_WRITTEN);
    assert_int_equal(nvs_entry_at_const(p + 0x1000, 0)[1], NVS_TYPE_U8);
    assert_int_equal(nvs_page_state(p), NVS_PAGE_FULL);
    assert_int_equal(nvs_page_seq(p + 0x1000), 1);
    free(p);
    free(csv);
}

struct key_list {
    char keys[32][17];
    uint8_t types[32];
    size_t n;
};

static bool list_key(void *ctx, const struct nvs_item *it)
{
    struct key_list *l = ctx;
    if (l->n < 32 && it->type != NVS_TYPE_BLOB_DATA) {
        snprintf(l->keys[l->n], sizeof l->keys[0], "%s", it->key);
        l->types[l->n++] = it->type;
    }
    return true;
}

/* Opt-in Wi-Fi extras as generator 0.2.0 adds them (no golden file covers
 * them; the layout follows the tool's source, the PMK was computed with
 * Python's hashlib.pbkdf2_hmac). */
static void wifi_extras_when_asked(void **s)
{
    const char *csv = "key,type,encoding,value\nwifi,namespace,,\n"
                      "sta.ssid,data,string,MyNet\n"
                      "sta.pswd,data,string,secret\n"
                      "ap.ssid,data,string,ACME-AP\n"
                      "ap.passwd,data,string,factory-pass\n"
                      "ap.authmode,data,u8,3\n";
    static uint8_t p[0x3000];
    struct nvs_writer w;
    struct nvs_csv_error err;
    assert_int_equal(nvs_writer_init(&w, p, sizeof p, NVS_VERSION_2), 0);
    const struct nvs_csv_options opts = {.wifi_extras = true};
    if (nvs_csv_generate_opts(csv, strlen(csv), &w, NULL, &opts, &err) < 0)
        fail_msg("%s", err.msg);
    struct key_list l = {.n = 0};
    nvs_read_items(p, sizeof p, list_key, &l);
    static const char *const order[] = {
        "wifi", "sta.ssid", "sta.apinfo", "sta.pmk", "sta.apsw", "sta.pswd",
        "ap.ssid", "ap.passwd", "ap.pmk_info", "ap.authmode"};
    assert_int_equal(l.n, sizeof order / sizeof *order);
    for (size_t i = 0; i < l.n; i++)
        assert_string_equal(l.keys[i], order[i]);
    uint8_t b[200];
    size_t n;
    assert_int_equal(nvs_read_blob(p, sizeof p, "wifi", "sta.apinfo", b,
                                   sizeof b, &n), NVS_READ_OK);
    assert_int_equal(n, 140);
    assert_int_equal(b[0] & b[139], 0xFF);
    assert_int_equal(nvs_read_blob(p, sizeof p, "wifi", "sta.apsw", b,
                                   sizeof b, &n), NVS_READ_OK);
    assert_int_equal(n, 2);
    static const uint8_t pmk[32] = {
        0xf4, 0x7d, 0x54, 0xa9, 0xbc, 0xb6, 0x3a, 0x2b, 0x7a, 0xf6, 0x5b,
        0x45, 0x51, 0x7c, 0x8c, 0x49, 0x7a, 0xf0, 0x32, 0x92, 0xd5, 0xae,
        0x6c, 0xef, 0x39, 0xa9, 0x60, 0x01, 0x6d, 0x90, 0x82, 0xbd};
    assert_int_equal(nvs_read_blob(p, sizeof p, "wifi", "ap.pmk_info", b,
                                   sizeof b, &n), NVS_READ_OK);
    assert_int_equal(n, 132);
    for (int i = 0; i < 100; i++)
        assert_int_equal(b[i], 0);
    assert_memory_equal(b + 100, pmk, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_ints),
        cmocka_unit_test(vector_ints_v1),
        cmocka_unit_test(vector_strings),
        cmocka_unit_test(vector_blobs),
        cmocka_unit_test(vector_blobs_v1),
        cmocka_unit_test(vector_factory_0x3000),
        cmocka_unit_test(vector_factory_0x6000),
        cmocka_unit_test(vector_factory_0x10000),
        cmocka_unit_test(small_partition_layout),
        cmocka_unit_test(multi_page_blob_layout),
        cmocka_unit_test(errors_name_line_and_reason),
        cmocka_unit_test(partition_too_small),
        cmocka_unit_test(csv_quoting),
        cmocka_unit_test(read_only_sizes_trim_output),
        cmocka_unit_test(page_fill_rules),
        cmocka_unit_test(wifi_extras_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
