/* NVS reader and dumper against the golden partitions: the listing equals
 * nvs_tool.py's "-d minimal" output byte for byte, and lookups return the
 * values the CSVs put in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nvs_dump.h"
#include "nvs_reader.h"
#include "vector_files.h"

static uint8_t *load(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "nvs/%s", name);
    uint8_t *b = read_vector(rel, len);
    assert_non_null(b);
    return b;
}

static void check_dump(const char *stem)
{
    char name[128];
    size_t bin_len, txt_len;
    snprintf(name, sizeof name, "%s.bin", stem);
    uint8_t *bin = load(name, &bin_len);
    snprintf(name, sizeof name, "%s.minimal.txt", stem);
    uint8_t *want = load(name, &txt_len);

    size_t need = nvs_dump_minimal(bin, bin_len, NULL, 0);
    char *got = malloc(need + 1);
    assert_int_equal(nvs_dump_minimal(bin, bin_len, got, need), need);
    if (need != txt_len || memcmp(got, want, need) != 0) {
        size_t i = 0;
        while (i < need && i < txt_len && got[i] == (char)want[i])
            i++;
        fail_msg("%s: listing differs at byte %zu (got %zu bytes, want %zu)",
                 stem, i, need, txt_len);
    }
    /* A short buffer gets a prefix and the same total. */
    char small[10];
    assert_int_equal(nvs_dump_minimal(bin, bin_len, small, sizeof small),
                     need);
    assert_memory_equal(small, want, sizeof small);
    free(got);
    free(want);
    free(bin);
}

static void dumps_match_nvs_tool(void **s)
{
    static const char *const stems[] = {
        "nvs_ints", "nvs_ints_v1", "nvs_strings", "nvs_blobs",
        "nvs_blobs_v1", "nvs_factory_0x3000", "nvs_factory_0x6000",
        "nvs_factory_0x10000"};
    for (size_t i = 0; i < sizeof stems / sizeof *stems; i++)
        check_dump(stems[i]);
}

static void expect_int(const uint8_t *p, size_t n, const char *ns,
                       const char *key, uint8_t type, uint64_t v)
{
    uint8_t t;
    uint64_t got;
    assert_int_equal(nvs_read_int(p, n, ns, key, &t, &got), NVS_READ_OK);
    assert_int_equal(t, type);
    assert_true(got == v);
}

static void reads_integers(void **s)
{
    const char *files[] = {"nvs_ints.bin", "nvs_ints_v1.bin"};
    for (int f = 0; f < 2; f++) {
        size_t n;
        uint8_t *p = load(files[f], &n);
        expect_int(p, n, "ints", "u8_max", NVS_TYPE_U8, 255);
        expect_int(p, n, "ints", "u8_zero", NVS_TYPE_U8, 0);
        expect_int(p, n, "ints", "i8_min", NVS_TYPE_I8, (uint64_t)-128);
        expect_int(p, n, "ints", "i8_max", NVS_TYPE_I8, 127);
        expect_int(p, n, "ints", "u16_max", NVS_TYPE_U16, 65535);
        expect_int(p, n, "ints", "i16_min", NVS_TYPE_I16, (uint64_t)-32768);
        expect_int(p, n, "ints", "u32_max", NVS_TYPE_U32, 4294967295u);
        expect_int(p, n, "ints", "u32_val", NVS_TYPE_U32, 305419896);
        expect_int(p, n, "ints", "i32_min", NVS_TYPE_I32,
                   (uint64_t)(int64_t)INT32_MIN);
        expect_int(p, n, "ints", "i32_neg1", NVS_TYPE_I32, (uint64_t)-1);
        expect_int(p, n, "ints", "u64_max", NVS_TYPE_U64, UINT64_MAX);
        expect_int(p, n, "ints", "u64_val", NVS_TYPE_U64,
                   81985529216486895ull);
        expect_int(p, n, "ints", "i64_min", NVS_TYPE_I64, (uint64_t)INT64_MIN);
        expect_int(p, n, "ints", "i64_val", NVS_TYPE_I64,
                   (uint64_t)-1234567890123ll);
        expect_int(p, n, "other", "boot_count", NVS_TYPE_U32, 7);
        uint8_t t;
        uint64_t v;
        assert_int_equal(nvs_read_int(p, n, "other", "u8_max", &t, &v),
                         NVS_READ_NOT_FOUND);
        assert_int_equal(nvs_read_int(p, n, "nope", "u8_max", &t, &v),
                         NVS_READ_NOT_FOUND);
        free(p);
    }
}

static void expect_str(const uint8_t *p, size_t n, const char *ns,
                       const char *key, const char *want, size_t want_len)
{
    char buf[4096];
    size_t len;
    assert_int_equal(nvs_read_str(p, n, ns, key, buf, sizeof buf, &len),
                     NVS_READ_OK);
    assert_int_equal(len, want_len + 1);
    assert_memory_equal(buf, want, want_len);
    assert_int_equal(buf[want_len], 0);
}

static void reads_strings(void **s)
{
    size_t n, ln;
    uint8_t *p = load("nvs_strings.bin", &n);
    uint8_t *long1000 = load("long1000.txt", &ln);
    expect_str(p, n, "strs", "empty", "", 0);
    expect_str(p, n, "strs", "short", "hello", 5);
    expect_str(p, n, "strs", "exact32", "abcdefghijklmnopqrstuvwxyz012345",
               32);
    expect_str(p, n, "strs", "utf8", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac",
               11);
    expect_str(p, n, "strs", "long1000", (const char *)long1000, ln);
    char tiny[4];
    size_t len;
    assert_int_equal(nvs_read_str(p, n, "strs", "short", tiny, sizeof tiny,
                                  &len), NVS_READ_TOO_SMALL);
    assert_int_equal(len, 6);
    uint8_t t;
    uint64_t v;
    assert_int_equal(nvs_read_int(p, n, "strs", "short", &t, &v),
                     NVS_READ_TYPE_MISMATCH);
    free(long1000);
    free(p);
}

static void expect_blob(const uint8_t *p, size_t n, const char *ns,
                        const char *key, const uint8_t *want, size_t want_len)
{
    uint8_t buf[8192];
    size_t len;
    assert_int_equal(nvs_read_blob(p, n, ns, key, buf, sizeof buf, &len),
                     NVS_READ_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, want_len);
}

static void reads_blobs_v2_and_v1(void **s)
{
    static const uint8_t hex[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                    0xcc, 0xdd, 0xee, 0xff};
    size_t n, l100, l6000;
    uint8_t *b100 = load("blob100.bin", &l100);
    uint8_t *b6000 = load("blob6000.bin", &l6000);
    const char *files[] = {"nvs_blobs.bin", "nvs_blobs_v1.bin"};
    for (int f = 0; f < 2; f++) {
        uint8_t *p = load(files[f], &n);
        expect_blob(p, n, "blobs", "small_hex", hex, sizeof hex);
        expect_blob(p, n, "blobs", "blob100", b100, l100);
        expect_blob(p, n, "blobs", "b64", (const uint8_t *)"Hello, NVS!", 11);
        expect_int(p, n, "blobs", "after", NVS_TYPE_U8, 42);
        if (f == 0)
            expect_blob(p, n, "blobs", "blob6000", b6000, l6000);
        else
            expect_str(p, n, "blobs", "greeting", "hello v1", 8);
        free(p);
    }
    free(b6000);
    free(b100);
}

static void reads_factory_partition(void **s)
{
    size_t n, lc, lk;
    uint8_t *p = load("nvs_factory_0x6000.bin", &n);
    uint8_t *cert = load("unit_cert.pem", &lc);
    uint8_t *key = load("unit_key.pem", &lk);
    static const uint8_t mac[6] = {0x7c, 0xdf, 0xa1, 0xb2, 0xc3, 0xd4};
    expect_str(p, n, "factory", "serial", "ACME-2611-000042", 16);
    expect_blob(p, n, "factory", "mac", mac, 6);
    expect_int(p, n, "factory", "hw_rev", NVS_TYPE_U8, 3);
    expect_str(p, n, "factory", "cert", (const char *)cert, lc);
    expect_str(p, n, "factory", "priv_key", (const char *)key, lk);
    expect_int(p, n, "ap", "count", NVS_TYPE_U8, 0);
    expect_str(p, n, "ap", "pass3", "", 0);
    free(key);
    free(cert);
    free(p);
}

/* Damage is detected, never returned as data. */
static void damaged_items_are_refused(void **s)
{
    size_t n;
    uint8_t *p = load("nvs_blobs.bin", &n);
    uint8_t buf[8192];
    size_t len;
    /* A byte inside chunk 1 of blob6000 (page 1, entry 1). */
    p[0x1000 + 64 + 32 * 5] ^= 0x01;
    assert_int_equal(nvs_read_blob(p, n, "blobs", "blob6000", buf, sizeof buf,
                                   &len), NVS_READ_CORRUPT);
    /* Page 1 header CRC broken: its items vanish, page 0 still reads. */
    p[0x1000 + 4] ^= 0x01;
    uint8_t t;
    uint64_t v;
    assert_int_equal(nvs_read_int(p, n, "blobs", "after", &t, &v),
                     NVS_READ_NOT_FOUND);
    assert_int_equal(nvs_read_blob(p, n, "blobs", "blob100", buf, sizeof buf,
                                   &len), NVS_READ_OK);
    free(p);
}

/* Two pages holding the same key: the higher sequence number wins, even
 * when it sits earlier in flash. */
static void newer_page_wins(void **s)
{
    size_t n;
    uint8_t *p = load("nvs_ints.bin", &n);
    /* Copy page 0 to page 1, change i32_neg1 there, swap sequence numbers so
     * the copy in page 0's flash position is the newer one. */
    memcpy(p + 0x1000, p, 0x1000);
    uint8_t *older = p + 0x1000;
    nvs_page_write_header(older, NVS_PAGE_FULL, 0, NVS_VERSION_2);
    nvs_page_write_header(p, NVS_PAGE_ACTIVE, 1, NVS_VERSION_2);
    uint8_t *e = nvs_entry_at(p, 10);  /* i32_neg1 in the newer page */
    assert_memory_equal(e + 8, "i32_neg1", 8);
    e[24] = 5; e[25] = 0; e[26] = 0; e[27] = 0;
    nvs_entry_seal(e);
    expect_int(p, n, "ints", "i32_neg1", NVS_TYPE_I32, 5);
    free(p);
}

struct walked {
    struct nvs_item items[64];
    size_t n;
};

static bool collect(void *ctx, const struct nvs_item *it)
{
    struct walked *w = ctx;
    if (w->n < 64)
        w->items[w->n] = *it;
    w->n++;
    return true;
}

static const char *tool_type_name(uint8_t t)
{
    switch (t) {
    case NVS_TYPE_U8: return "uint8_t";
    case NVS_TYPE_I8: return "int8_t";
    case NVS_TYPE_U16: return "uint16_t";
    case NVS_TYPE_I16: return "int16_t";
    case NVS_TYPE_U32: return "uint32_t";
    case NVS_TYPE_I32: return "int32_t";
    case NVS_TYPE_U64: return "uint64_t";
    case NVS_TYPE_I64: return "int64_t";
    default: return nvs_type_name(t);
    }
}

/* Every entry nvs_tool.py "-d written" lists (page, index, namespace,
 * type, span, chunk, header CRC, key, and size + data CRC for variable
 * items) is an item the reader walks, in the same order, and no more. */
static void check_written(const char *stem)
{
    char name[128];
    size_t bin_len, txt_len;
    snprintf(name, sizeof name, "%s.bin", stem);
    uint8_t *bin = load(name, &bin_len);
    snprintf(name, sizeof name, "%s.written.txt", stem);
    char *txt = (char *)load(name, &txt_len);
    struct walked w = {.n = 0};
    nvs_read_items(bin, bin_len, collect, &w);

    size_t k = 0;
    unsigned page_addr = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        const char *pa = strstr(line, "Page address: 0x");
        if (strncmp(line, "Page", 4) == 0 && pa) {
            page_addr = (unsigned)strtoul(pa + 16, NULL, 16);
            continue;
        }
        unsigned idx, ns, span, chunk, crc;
        char type[16], key[32];
        if (sscanf(line, " %u. Written, Namespace Index: %u, Type: %15s , "
                         "Span: %u, Chunk Index: %u, CRC32: %x | %31[^:]",
                   &idx, &ns, type, &span, &chunk, &crc, key) != 7 &&
            sscanf(line, " %u. Written, Namespace Index: %u, Type: %15[^,], "
                         "Span: %u, Chunk Index: %u, CRC32: %x | %31[^:]",
                   &idx, &ns, type, &span, &chunk, &crc, key) != 7)
            continue;
        char *sp = strchr(type, ' ');
        if (sp)
            *sp = 0;
        if (k >= w.n)
            fail_msg("%s: tool lists more entries than the reader walks", stem);
        const struct nvs_item *it = &w.items[k++];
        assert_int_equal(it->page_offset, page_addr);
        assert_int_equal(it->index, idx);
        assert_int_equal(it->ns, ns);
        assert_string_equal(tool_type_name(it->type), type);
        assert_int_equal(it->span, span);
        assert_int_equal(it->chunk_index, chunk);
        assert_int_equal(it->entry[4] | it->entry[5] << 8 |
                         it->entry[6] << 16 | (uint32_t)it->entry[7] << 24,
                         crc);
        assert_string_equal(it->key, key);
        const char *sz = strstr(line, "Size=");
        if (sz && it->type != NVS_TYPE_BLOB_IDX) {
            unsigned size, dcrc;
            assert_int_equal(sscanf(sz, "Size=%u, CRC32=%x", &size, &dcrc), 2);
            assert_int_equal(it->size, size);
            assert_true(it->data_ok);
            assert_int_equal(it->entry[28] | it->entry[29] << 8 |
                             it->entry[30] << 16 |
                             (uint32_t)it->entry[31] << 24, dcrc);
        }
    }
    assert_int_equal(k, w.n);
    assert_true(k > 0);
    free(txt);
    free(bin);
}

static void walk_matches_nvs_tool_written(void **s)
{
    static const char *const stems[] = {
        "nvs_ints", "nvs_ints_v1", "nvs_strings", "nvs_blobs",
        "nvs_blobs_v1", "nvs_factory_0x3000", "nvs_factory_0x6000",
        "nvs_factory_0x10000"};
    for (size_t i = 0; i < sizeof stems / sizeof *stems; i++)
        check_written(stems[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dumps_match_nvs_tool),
        cmocka_unit_test(walk_matches_nvs_tool_written),
        cmocka_unit_test(reads_integers),
        cmocka_unit_test(reads_strings),
        cmocka_unit_test(reads_blobs_v2_and_v1),
        cmocka_unit_test(reads_factory_partition),
        cmocka_unit_test(damaged_items_are_refused),
        cmocka_unit_test(newer_page_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
