/* NVS page/entry helpers (formats.md §4.2–§4.4). */
#include "nvs_page.h"

#include <string.h>

#include "crc32_esp.h"
#include "le_bytes.h"

const char *nvs_type_name(uint8_t t)
{
    switch (t) {
    case NVS_TYPE_U8: return "u8";
    case NVS_TYPE_I8: return "i8";
    case NVS_TYPE_U16: return "u16";
    case NVS_TYPE_I16: return "i16";
    case NVS_TYPE_U32: return "u32";
    case NVS_TYPE_I32: return "i32";
    case NVS_TYPE_U64: return "u64";
    case NVS_TYPE_I64: return "i64";
    case NVS_TYPE_SZ: return "string";
    case NVS_TYPE_BLOB: return "blob";
    case NVS_TYPE_BLOB_DATA: return "blob_data";
    case NVS_TYPE_BLOB_IDX: return "blob_index";
    default: return NULL;
    }
}

uint32_t nvs_page_header_crc(const uint8_t *page)
{
    return crc32_esp(CRC32_ESP_INIT, page + 4, 24);
}

void nvs_page_write_header(uint8_t *page, uint32_t state, uint32_t seq,
                           uint8_t version)
{
    memset(page, 0xFF, 32);
    le32_put(page, state);
    le32_put(page + 4, seq);
    page[8] = version;
    le32_put(page + 28, nvs_page_header_crc(page));
}

uint32_t nvs_page_state(const uint8_t *page) { return le32_get(page); }
uint32_t nvs_page_seq(const uint8_t *page) { return le32_get(page + 4); }

enum nvs_entry_state nvs_entry_state_get(const uint8_t *page, unsigned i)
{
    uint8_t b = page[NVS_BITMAP_OFFSET + i / 4];
    return (enum nvs_entry_state)((b >> (2 * (i % 4))) & 3u);
}

void nvs_entry_state_set(uint8_t *page, unsigned i, enum nvs_entry_state s)
{
    uint8_t *b = &page[NVS_BITMAP_OFFSET + i / 4];
    unsigned shift = 2 * (i % 4);
    *b = (uint8_t)((*b & ~(3u << shift)) | ((unsigned)s << shift));
}

uint32_t nvs_entry_crc(const uint8_t *entry)
{
    uint32_t crc = crc32_esp(CRC32_ESP_INIT, entry, 4);
    return crc32_esp(crc, entry + 8, 24);
}

void nvs_entry_seal(uint8_t *entry)
{
    le32_put(entry + 4, nvs_entry_crc(entry));
}

bool nvs_entry_key(const uint8_t *entry, char key[NVS_KEY_MAX + 2])
{
    const uint8_t *k = entry + 8;
    size_t n = 0;
    while (n < 16 && k[n] != 0)
        n++;
    memcpy(key, k, n);
    key[n] = '\0';
    if (n == 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x20 || k[i] > 0x7E)
            return false;
    return true;
}
