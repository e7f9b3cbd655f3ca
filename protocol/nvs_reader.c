/* NVS lookups with device semantics (see nvs_reader.h). Partitions are
 * small (a few pages), so each lookup simply walks everything. */
#include "nvs_reader.h"

#include <string.h>

#include "crc32_esp.h"
#include "le_bytes.h"

#define MAX_PAGES 1024u    /* 4 MiB of NVS; more pages are ignored */

static bool page_usable(const uint8_t *page)
{
    uint32_t st = nvs_page_state(page);
    if (st != NVS_PAGE_ACTIVE && st != NVS_PAGE_FULL &&
        st != NVS_PAGE_FREEING)
        return false;
    return le32_get(page + 28) == nvs_page_header_crc(page);
}

/* Valid pages' offsets, sorted by sequence number (insertion sort: few). */
static size_t ordered_pages(const uint8_t *part, size_t len,
                            unsigned order[MAX_PAGES])
{
    size_t n = 0;
    for (size_t off = 0; off + NVS_PAGE_SIZE <= len && n < MAX_PAGES;
         off += NVS_PAGE_SIZE) {
        if (!page_usable(part + off))
            continue;
        uint32_t seq = nvs_page_seq(part + off);
        size_t i = n++;
        while (i > 0 && nvs_page_seq(part + order[i - 1]) > seq) {
            order[i] = order[i - 1];
            i--;
        }
        order[i] = (unsigned)off;
    }
    return n;
}

static bool is_varlen(uint8_t type)
{
    return type == NVS_TYPE_SZ || type == NVS_TYPE_BLOB ||
           type == NVS_TYPE_BLOB_DATA;
}

/* Fills *it from entry i of the page; false if it is not a valid item. */
static bool load_item(const uint8_t *page, unsigned page_off, unsigned i,
                      struct nvs_item *it)
{
    const uint8_t *e = nvs_entry_at_const(page, i);
    memset(it, 0, sizeof *it);
    it->page_offset = page_off;
    it->index = i;
    it->entry = e;
    it->ns = e[0];
    it->type = e[1];
    it->span = e[2];
    it->chunk_index = e[3];
    if (it->span == 0 || i + it->span > NVS_ENTRIES_PER_PAGE)
        return false;
    if (le32_get(e + 4) != nvs_entry_crc(e))
        return false;
    if (!nvs_entry_key(e, it->key) || it->key[0] == '\0')
        return false;
    if (is_varlen(it->type)) {
        it->size = (uint32_t)(e[24] | e[25] << 8);
        it->data = e + NVS_ENTRY_SIZE;
        it->data_ok = nvs_span_for(it->size) == it->span &&
                      crc32_esp(CRC32_ESP_INIT, it->data, it->size) ==
                          le32_get(e + 28);
    } else if (it->span != 1) {
        return false;
    }
    return true;
}

void nvs_read_items(const uint8_t *part, size_t len,
                    bool (*fn)(void *ctx, const struct nvs_item *it),
                    void *ctx)
{
    unsigned order[MAX_PAGES];
    size_t n = ordered_pages(part, len, order);
    for (size_t p = 0; p < n; p++) {
        const uint8_t *page = part + order[p];
        unsigned i = 0;
        while (i < NVS_ENTRIES_PER_PAGE) {
            struct nvs_item it;
            if (nvs_entry_state_get(page, i) != NVS_ENTRY_WRITTEN ||
                !load_item(page, order[p], i, &it)) {
                i++;
                continue;
            }
            if (!fn(ctx, &it))
                return;
            i += it.span;
        }
    }
}

struct find {
    uint8_t ns;             /* 0 = looking for the namespace itself */
    const char *key;
    uint8_t type;           /* wanted type, 0 = any */
    uint8_t chunk;          /* for BLOB_DATA */
    bool found;
    struct nvs_item item;   /* the last (newest) match */
};

static bool match_item(void *ctx, const struct nvs_item *it)
{
    struct find *f = ctx;
    if (it->ns != f->ns || strcmp(it->key, f->key) != 0)
        return true;
    if (f->type && it->type != f->type)
        return true;
    if (f->type == NVS_TYPE_BLOB_DATA && it->chunk_index != f->chunk)
        return true;
    if (!f->type && (it->type == NVS_TYPE_BLOB_DATA))
        return true;
    f->found = true;
    f->item = *it;
    return true;
}

static bool find_item(const uint8_t *part, size_t len, uint8_t ns,
                      const char *key, uint8_t type, uint8_t chunk,
                      struct nvs_item *out)
{
    struct find f = {.ns = ns, .key = key, .type = type, .chunk = chunk};
    nvs_read_items(part, len, match_item, &f);
    if (f.found)
        *out = f.item;
    return f.found;
}

uint8_t nvs_read_namespace(const uint8_t *part, size_t len, const char *name)
{
    struct nvs_item it;
    if (!find_item(part, len, 0, name, NVS_TYPE_U8, 0, &it))
        return 0;
    uint8_t idx = it.entry[24];
    return idx == 0 || idx == 0xFF ? 0 : idx;
}

/* The newest item of any type (except chunks) for ns/key. */
static enum nvs_read_result lookup(const uint8_t *part, size_t len,
                                   const char *ns, const char *key,
                                   struct nvs_item *it)
{
    uint8_t idx = nvs_read_namespace(part, len, ns);
    if (idx == 0 || !find_item(part, len, idx, key, 0, 0, it))
        return NVS_READ_NOT_FOUND;
    return NVS_READ_OK;
}

enum nvs_read_result nvs_read_int(const uint8_t *part, size_t len,
                                  const char *ns, const char *key,
                                  uint8_t *type, uint64_t *value)
{
    struct nvs_item it;
    enum nvs_read_result r = lookup(part, len, ns, key, &it);
    if (r != NVS_READ_OK)
        return r;
    if (!nvs_type_is_int(it.type))
        return NVS_READ_TYPE_MISMATCH;
    unsigned w = nvs_int_width(it.type);
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)it.entry[24 + i] << (8 * i);
    if (nvs_int_signed(it.type) && w < 8 && (v >> (8 * w - 1)) & 1)
        v |= ~(uint64_t)0 << (8 * w);
    *type = it.type;
    *value = v;
    return NVS_READ_OK;
}

enum nvs_read_result nvs_read_str(const uint8_t *part, size_t len,
                                  const char *ns, const char *key, char *buf,
                                  size_t cap, size_t *out_len)
{
    struct nvs_item it;
    enum nvs_read_result r = lookup(part, len, ns, key, &it);
    if (r != NVS_READ_OK)
        return r;
    if (it.type != NVS_TYPE_SZ)
        return NVS_READ_TYPE_MISMATCH;
    if (!it.data_ok || it.size == 0 || it.data[it.size - 1] != 0)
        return NVS_READ_CORRUPT;
    *out_len = it.size;
    if (cap < it.size)
        return NVS_READ_TOO_SMALL;
    memcpy(buf, it.data, it.size);
    return NVS_READ_OK;
}

/* v2: BLOB_IDX names chunk_count chunks from chunk_start. */
static enum nvs_read_result read_chunks(const uint8_t *part, size_t len,
                                        const struct nvs_item *idx,
                                        uint8_t *buf, size_t cap,
                                        size_t *out_len)
{
    uint32_t total = le32_get(idx->entry + 24);
    uint8_t count = idx->entry[28], start = idx->entry[29];
    *out_len = total;
    if (cap < total)
        return NVS_READ_TOO_SMALL;
    size_t at = 0;
    for (unsigned n = 0; n < count; n++) {
        struct nvs_item c;
        if (!find_item(part, len, idx->ns, idx->key, NVS_TYPE_BLOB_DATA,
                       (uint8_t)(start + n), &c) ||
            !c.data_ok || at + c.size > total)
            return NVS_READ_CORRUPT;
        if (c.size)
            memcpy(buf + at, c.data, c.size);
        at += c.size;
    }
    return at == total ? NVS_READ_OK : NVS_READ_CORRUPT;
}

enum nvs_read_result nvs_read_blob(const uint8_t *part, size_t len,
                                   const char *ns, const char *key,
                                   uint8_t *buf, size_t cap, size_t *out_len)
{
    struct nvs_item it;
    enum nvs_read_result r = lookup(part, len, ns, key, &it);
    if (r != NVS_READ_OK)
        return r;
    if (it.type == NVS_TYPE_BLOB_IDX)
        return read_chunks(part, len, &it, buf, cap, out_len);
    if (it.type != NVS_TYPE_BLOB)
        return NVS_READ_TYPE_MISMATCH;
    if (!it.data_ok)
        return NVS_READ_CORRUPT;
    *out_len = it.size;
    if (cap < it.size)
        return NVS_READ_TOO_SMALL;
    if (it.size)
        memcpy(buf, it.data, it.size);
    return NVS_READ_OK;
}
