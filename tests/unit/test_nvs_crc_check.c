/* nvs_tool -i's CRC checks (protocol/nvs_crc_check.h): on every golden
 * partition the report is the integrity part of the vector's .check.txt,
 * byte for byte, with nothing counted; then one byte is changed at each
 * place a CRC covers (a page header, an entry, a string's data, a v2 blob
 * chunk on either page, a v1 blob's data, the CRC field itself) and the
 * report names it in nvs_tool's words, under its page, with its entry
 * number.
 *
 * Entry numbers and written CRCs below come from the vectors'
 * .written.txt (nvs_tool -d written). A "Generated" CRC is the CRC of the
 * changed bytes, computed here with crc32_esp (itself checked against
 * formats.md §0.2 in test_crc32_esp.c). The lines' wording is nvs_tool's,
 * from its source (nvs_check.py, ESP-IDF v5.4.2's nvs_partition_tool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32_esp.h"
#include "le_bytes.h"
#include "nvs_crc_check.h"
#include "nvs_page.h"
#include "vector_files.h"

static const char *const stems[] = {
    "nvs_ints", "nvs_ints_v1", "nvs_strings", "nvs_blobs", "nvs_blobs_v1",
    "nvs_factory_0x3000", "nvs_factory_0x6000", "nvs_factory_0x10000"};

struct vec {
    uint8_t *bin;
    size_t len;
    char *clean;        /* the integrity part of <stem>.check.txt */
};

/* nvs_tool -d storage_info -i prints the statistics, whose last line is
 * "    Total: N" and a blank line, then a blank line of its own, then the
 * integrity check: what follows "Total: N\n\n\n" after the last "Total:". */
static char *integrity_part(const char *check_txt)
{
    const char *last = NULL;
    for (const char *p = check_txt; (p = strstr(p, "    Total:")); p++)
        last = p;
    assert_non_null(last);
    const char *blank = strstr(last, "\n\n\n");
    assert_non_null(blank);
    return strdup(blank + 3);
}

static struct vec load(const char *stem)
{
    char rel[128];
    struct vec v;
    size_t n;
    snprintf(rel, sizeof rel, "nvs/%s.bin", stem);
    v.bin = read_vector(rel, &v.len);
    snprintf(rel, sizeof rel, "nvs/%s.check.txt", stem);
    char *txt = (char *)read_vector(rel, &n);
    assert_non_null(v.bin);
    assert_non_null(txt);
    v.clean = integrity_part(txt);
    free(txt);
    return v;
}

static void unload(struct vec *v)
{
    free(v->bin);
    free(v->clean);
}

static char *report(const struct vec *v, struct nvs_crc_check_counts *c)
{
    size_t need = nvs_crc_check(v->bin, v->len, NULL, 0, c);
    char *out = malloc(need + 1);
    assert_int_equal(nvs_crc_check(v->bin, v->len, out, need + 1, c), need);
    out[need] = '\0';
    return out;
}

static void assert_report(const struct vec *v, const char *want,
                          struct nvs_crc_check_counts want_counts)
{
    struct nvs_crc_check_counts c;
    char *got = report(v, &c);
    if (strcmp(got, want) != 0)
        fail_msg("report differs:\n--- got\n%s--- want\n%s", got, want);
    assert_int_equal(c.page_crc, want_counts.page_crc);
    assert_int_equal(c.entry_crc, want_counts.entry_crc);
    assert_int_equal(c.data_crc, want_counts.data_crc);
    assert_int_equal(c.written_empty, want_counts.written_empty);
    assert_int_equal(nvs_crc_check_bad(&c), want_counts.page_crc + want_counts.entry_crc +
                                                want_counts.data_crc +
                                                want_counts.written_empty);
    free(got);
}

/* `clean` with `line` put after the line `after`, or in its place when
 * `replace`. */
static char *edit(const char *clean, const char *after, const char *line, bool replace)
{
    const char *at = strstr(clean, after);
    assert_non_null(at);
    size_t head = (size_t)(at - clean) + (replace ? 0 : strlen(after));
    const char *tail = at + strlen(after);
    char *out = malloc(strlen(clean) + strlen(line) + 1);
    sprintf(out, "%.*s%s%s", (int)head, clean, line, tail);
    return out;
}

static uint8_t *entry(struct vec *v, unsigned page, unsigned index)
{
    return nvs_entry_at(v->bin + page * NVS_PAGE_SIZE, index);
}

/* The data CRC nvs_tool computes: the entries after the header, cut to the
 * size in the header. */
static uint32_t data_crc(const uint8_t *e)
{
    return crc32_esp(CRC32_ESP_INIT, e + NVS_ENTRY_SIZE, le16_get(e + 24));
}

static void clean_vectors_report_nothing(void **state)
{
    for (size_t i = 0; i < sizeof stems / sizeof *stems; i++) {
        struct vec v = load(stems[i]);
        assert_report(&v, v.clean, (struct nvs_crc_check_counts){0});
        unload(&v);
    }
}

static void page_header_crc(void **state)
{
    struct vec v = load("nvs_blobs");
    uint8_t *page1 = v.bin + NVS_PAGE_SIZE;
    page1[12] ^= 0x01;          /* a reserved byte, under the CRC */
    char line[128];
    snprintf(line, sizeof line, "Page no. 1 Original CRC32: 389f48a3 Generated CRC32: %x\n",
             crc32_esp(CRC32_ESP_INIT, page1 + 4, 24));
    char *want = edit(v.clean, "Page no. 1 \tCRC32: OK\n", line, true);
    assert_report(&v, want, (struct nvs_crc_check_counts){.page_crc = 1});
    free(want);
    unload(&v);
}

static void entry_crc(void **state)
{
    struct vec v = load("nvs_factory_0x3000");
    uint8_t *hw_rev = entry(&v, 0, 6);
    hw_rev[24] = 4;             /* the u8's value: 3 -> 4 */
    char line[128];
    snprintf(line, sizeof line,
             " Entry #006 hw_rev has wrong CRC32!      Written: 6f49a1c1 Generated: %x\n",
             nvs_entry_crc(hw_rev));
    char *want = edit(v.clean, "Page no. 0 \tCRC32: OK\n", line, false);
    assert_report(&v, want, (struct nvs_crc_check_counts){.entry_crc = 1});
    free(want);
    unload(&v);
}

static void the_crc_field_itself(void **state)
{
    struct vec v = load("nvs_factory_0x3000");
    uint8_t *ns = entry(&v, 0, 0);
    ns[7] ^= 0x80;              /* 1ff08844 -> 9ff08844 */
    char *want = edit(v.clean, "Page no. 0 \tCRC32: OK\n",
                      " Entry #000 factory has wrong CRC32!      Written: 9ff08844 "
                      "Generated: 1ff08844\n", false);
    assert_report(&v, want, (struct nvs_crc_check_counts){.entry_crc = 1});
    free(want);
    unload(&v);
}

static void string_data_crc(void **state)
{
    struct vec v = load("nvs_factory_0x3000");
    uint8_t *serial = entry(&v, 0, 1);
    serial[NVS_ENTRY_SIZE] = 'B';       /* "ACME-..." -> "BCME-..." */
    char line[128];
    snprintf(line, sizeof line, " Entry #001 serial data (string, blob) has wrong CRC32! "
             "Written: f2d03017 Generated: %x\n", data_crc(serial));
    char *want = edit(v.clean, "Page no. 0 \tCRC32: OK\n", line, false);
    assert_report(&v, want, (struct nvs_crc_check_counts){.data_crc = 1});
    free(want);
    unload(&v);
}

/* blob6000's second chunk, alone on page 1 (chunk 0 fills page 0). */
static void blob_chunk_data_crc(void **state)
{
    struct vec v = load("nvs_blobs");
    uint8_t *chunk1 = entry(&v, 1, 0);
    chunk1[NVS_ENTRY_SIZE + 100] ^= 0xFF;
    char line[128];
    snprintf(line, sizeof line, " Entry #000 blob6000 data (string, blob) has wrong CRC32! "
             "Written: 5835bff7 Generated: %x\n", data_crc(chunk1));
    char *want = edit(v.clean, "Page no. 1 \tCRC32: OK\n", line, false);
    assert_report(&v, want, (struct nvs_crc_check_counts){.data_crc = 1});
    free(want);
    unload(&v);
}

static void v1_blob_data_crc(void **state)
{
    struct vec v = load("nvs_blobs_v1");
    uint8_t *b64 = entry(&v, 0, 8);
    b64[NVS_ENTRY_SIZE + 10] ^= 0x20;   /* the last of its 11 bytes */
    char line[128];
    snprintf(line, sizeof line, " Entry #008 b64 data (string, blob) has wrong CRC32! "
             "Written: 9bfdbaa5 Generated: %x\n", data_crc(b64));
    char *want = edit(v.clean, "Page no. 0 \tCRC32: OK\n", line, false);
    assert_report(&v, want, (struct nvs_crc_check_counts){.data_crc = 1});
    free(want);
    unload(&v);
}

/* An entry the bitmap calls written but that is all 0xFF: nvs_tool says so
 * instead of comparing its CRC. */
static void written_but_empty(void **state)
{
    struct vec v = load("nvs_factory_0x3000");
    nvs_entry_state_set(v.bin, 125, NVS_ENTRY_WRITTEN);
    char *want = edit(v.clean, "Page no. 0 \tCRC32: OK\n",
                      " Entry #125 is reported as Written but it is empty!\n", false);
    assert_report(&v, want, (struct nvs_crc_check_counts){.written_empty = 1});
    free(want);
    unload(&v);
}

/* Everything at once on one page: the page line first, then the entries in
 * their order, each counted. */
static void several_on_one_page(void **state)
{
    struct vec v = load("nvs_factory_0x3000");
    uint8_t *serial = entry(&v, 0, 1), *mac = entry(&v, 0, 3), *hw_rev = entry(&v, 0, 6);
    v.bin[20] ^= 0x01;
    serial[NVS_ENTRY_SIZE + 3] ^= 0x01;
    mac[NVS_ENTRY_SIZE] ^= 0x01;
    hw_rev[24] = 4;
    nvs_entry_state_set(v.bin, 125, NVS_ENTRY_WRITTEN);
    char lines[1024];
    snprintf(lines, sizeof lines,
             "Page no. 0 Original CRC32: b9ba2d84 Generated CRC32: %x\n"
             " Entry #001 serial data (string, blob) has wrong CRC32! Written: f2d03017 "
             "Generated: %x\n"
             " Entry #003 mac data (string, blob) has wrong CRC32! Written: dade1c93 "
             "Generated: %x\n"
             " Entry #006 hw_rev has wrong CRC32!      Written: 6f49a1c1 Generated: %x\n"
             " Entry #125 is reported as Written but it is empty!\n",
             crc32_esp(CRC32_ESP_INIT, v.bin + 4, 24), data_crc(serial), data_crc(mac),
             nvs_entry_crc(hw_rev));
    char *want = edit(v.clean, "Page no. 0 \tCRC32: OK\n", lines, true);
    assert_report(&v, want, (struct nvs_crc_check_counts){
                                .page_crc = 1, .entry_crc = 1, .data_crc = 2,
                                .written_empty = 1});
    free(want);
    unload(&v);
}

/* A short buffer gets a prefix and the same total, like snprintf. */
static void short_buffer_gets_a_prefix(void **state)
{
    struct vec v = load("nvs_blobs");
    struct nvs_crc_check_counts c;
    char small[8];
    size_t need = nvs_crc_check(v.bin, v.len, small, sizeof small, &c);
    assert_int_equal(need, strlen(v.clean));
    assert_memory_equal(small, v.clean, sizeof small);
    unload(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_vectors_report_nothing),
        cmocka_unit_test(page_header_crc),
        cmocka_unit_test(entry_crc),
        cmocka_unit_test(the_crc_field_itself),
        cmocka_unit_test(string_data_crc),
        cmocka_unit_test(blob_chunk_data_crc),
        cmocka_unit_test(v1_blob_data_crc),
        cmocka_unit_test(written_but_empty),
        cmocka_unit_test(several_on_one_page),
        cmocka_unit_test(short_buffer_gets_a_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
