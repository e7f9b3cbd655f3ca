/* Fuzzes the NVS CSV front end and generator. Every "file" row gets the
 * same small file. Property: whatever is generated reads back as a
 * partition whose listing can be produced and whose pages all check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvs_csv.h"
#include "nvs_dump.h"
#include "nvs_page.h"
#include "nvs_reader.h"
#include "nvs_writer.h"

static const uint8_t file_bytes[] = "0011aabb\nhello, file\n";

static const uint8_t *load_any(void *ctx, const char *name, size_t *len,
                               char *why, size_t why_cap)
{
    (void)ctx;
    (void)why;
    (void)why_cap;
    if (name[0] == 'x')
        return NULL;    /* exercise the "cannot read" path */
    *len = sizeof file_bytes - 1;
    return file_bytes;
}

static bool count_item(void *ctx, const struct nvs_item *it)
{
    (*(size_t *)ctx)++;
    if (it->data && !it->data_ok)
        abort();        /* the generator never writes a bad data CRC */
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t part[0x6000];
    struct nvs_writer w;
    enum nvs_version v = size && (data[size - 1] & 1) ? NVS_VERSION_1
                                                      : NVS_VERSION_2;
    nvs_writer_init(&w, part, sizeof part, v);
    const struct nvs_file_loader files = {load_any, NULL, NULL};
    struct nvs_csv_error err;
    const struct nvs_csv_options opts = {
        .wifi_extras = size && (data[size - 1] & 2)};
    if (nvs_csv_generate_opts((const char *)data, size, &w, &files, &opts,
                              &err) != 0)
        return 0;
    size_t len = nvs_writer_finish(&w);
    for (size_t off = 0; off < len; off += NVS_PAGE_SIZE) {
        uint32_t st = nvs_page_state(part + off);
        if (st != NVS_PAGE_EMPTY &&
            nvs_page_header_crc(part + off) !=
                (uint32_t)(part[off + 28] | part[off + 29] << 8 |
                           part[off + 30] << 16 |
                           (uint32_t)part[off + 31] << 24))
            abort();
    }
    size_t items = 0;
    nvs_read_items(part, len, count_item, &items);
    char text[512];
    nvs_dump_minimal(part, len, text, sizeof text);
    return 0;
}
