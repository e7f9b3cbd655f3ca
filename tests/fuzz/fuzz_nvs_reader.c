/* Fuzzes the NVS reader and the nvs_tool-style listings (text and JSON) on
 * arbitrary partitions (input cut to whole pages, at most 4). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = size - size % NVS_PAGE_SIZE;
    if (len > 4 * NVS_PAGE_SIZE)
        len = 4 * NVS_PAGE_SIZE;
    if (len == 0)
        return 0;
    nvs_read_items(data, len, visit, NULL);
    size_t need = nvs_dump_minimal(data, len, NULL, 0);
    char *text = malloc(need + 1);
    if (nvs_dump_minimal(data, len, text, need) != need)
        abort();
    free(text);
    /* The JSON: the same length however it is asked for, and no NUL in it. */
    need = nvs_dump_minimal_json(data, len, NULL, 0);
    text = malloc(need + 1);
    if (nvs_dump_minimal_json(data, len, text, need) != need || memchr(text, 0, need))
        abort();
    free(text);
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
    return 0;
}
