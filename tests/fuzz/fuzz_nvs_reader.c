/* Fuzzes the NVS reader, the nvs_tool-style listings (text and JSON) and
 * the CRC check on arbitrary partitions (input cut to whole pages, at most
 * 4). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvs_crc_check.h"
#include "nvs_dump.h"
#include "nvs_page.h"
#include "nvs_reader.h"

static bool visit(void *ctx, const struct nvs_item *it)
{
    (void)ctx;
    if (it->index + it->span > NVS_ENTRIES_PER_PAGE)
        abort();
    return true;
}

/* Each listing is the same length however it is asked for; the JSON has
 * no NUL in it. */
static void check_listings(const uint8_t *data, size_t len)
{
    size_t need = nvs_dump_minimal(data, len, NULL, 0);
    char *text = malloc(need + 1);
    if (nvs_dump_minimal(data, len, text, need) != need)
        abort();
    free(text);
    need = nvs_dump_minimal_json(data, len, NULL, 0);
    text = malloc(need + 1);
    if (nvs_dump_minimal_json(data, len, text, need) != need || memchr(text, 0, need))
        abort();
    free(text);
}

/* The CRC check: the same length and counts however it is asked for, at
 * most one finding per page header and two per entry (its own CRC and its
 * data's). */
static void check_crc_report(const uint8_t *data, size_t len)
{
    struct nvs_crc_check_counts c1, c2;
    size_t pages = len / NVS_PAGE_SIZE, entries = pages * NVS_ENTRIES_PER_PAGE;
    size_t need = nvs_crc_check(data, len, NULL, 0, &c1);
    char *text = malloc(need + 1);
    if (nvs_crc_check(data, len, text, need, &c2) != need || memcmp(&c1, &c2, sizeof c1) ||
        c1.page_crc > pages || c1.entry_crc + c1.written_empty > entries ||
        c1.data_crc > entries)
        abort();
    free(text);
}

static void check_lookups(const uint8_t *data, size_t len)
{
    static const char *const ns[] = {"ns", "factory", "a"};
    static const char *const keys[] = {"a", "k", "serial", "blob"};
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 4; k++) {
            uint8_t type;
            uint64_t v;
            nvs_read_int(data, len, ns[i], keys[k], &type, &v);
            char s[64];
            size_t n;
            if (nvs_read_str(data, len, ns[i], keys[k], s, sizeof s, &n) ==
                    NVS_READ_OK &&
                (n == 0 || n > sizeof s || s[n - 1] != 0))
                abort();
            uint8_t b[8192];
            nvs_read_blob(data, len, ns[i], keys[k], b, sizeof b, &n);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = size - size % NVS_PAGE_SIZE;
    if (len > 4 * NVS_PAGE_SIZE)
        len = 4 * NVS_PAGE_SIZE;
    if (len == 0)
        return 0;
    nvs_read_items(data, len, visit, NULL);
    check_listings(data, len);
    check_crc_report(data, len);
    check_lookups(data, len);
    return 0;
}
