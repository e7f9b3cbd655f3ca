/* NVS generator with the page-filling rules of esp-idf-nvs-partition-gen
 * 0.2.0 (formats.md §4.8). The rules look arbitrary in places (">=" for
 * strings, a zero-length blob chunk in a page's last entry); they are kept
 * because byte-identical output is the point. */
#include "nvs_writer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crc32_esp.h"
#include "le_bytes.h"

static int fail(struct nvs_writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof w->error, fmt, ap);
    va_end(ap);
    return -1;
}

static uint8_t *page_ptr(struct nvs_writer *w)
{
    return w->buf + (size_t)w->page * NVS_PAGE_SIZE;
}

static void start_page(struct nvs_writer *w)
{
    nvs_page_write_header(page_ptr(w), NVS_PAGE_ACTIVE, w->page, w->version);
    w->entry = 0;
}

/* The page being left is marked FULL, as the generator does. */
static int next_page(struct nvs_writer *w)
{
    if (w->pages_left == 0)
        return fail(w, "partition too small: all %u usable pages are full "
                       "(a read/write partition keeps its last page free); "
                       "use a larger NVS partition or less data",
                    (unsigned)(w->partition_size / NVS_PAGE_SIZE) -
                        (w->read_only ? 0u : 1u));
    uint8_t *p = page_ptr(w);
    if (nvs_page_state(p) == NVS_PAGE_ACTIVE)
        le32_put(p, NVS_PAGE_FULL);
    w->pages_left--;
    w->page++;
    start_page(w);
    return 0;
}

/* Copies `count` entries' worth of bytes (`n` may be shorter: the tail of
 * the last entry stays 0xFF) and marks them WRITTEN. */
static void put_entries(struct nvs_writer *w, const uint8_t *bytes, size_t n,
                        unsigned count)
{
    uint8_t *page = page_ptr(w);
    if (n)
        memcpy(nvs_entry_at(page, w->entry), bytes, n);
    for (unsigned i = 0; i < count; i++)
        nvs_entry_state_set(page, w->entry + i, NVS_ENTRY_WRITTEN);
    w->entry += count;
}

static int check_key(struct nvs_writer *w, const char *key)
{
    size_t n = strlen(key);
    if (n == 0)
        return fail(w, "empty key");
    if (n > NVS_KEY_MAX)
        return fail(w, "key '%s' is %zu characters long; NVS keys have at "
                       "most %u", key, n, NVS_KEY_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7E)
            return fail(w, "key '%s' has a character outside printable "
                           "ASCII", key);
    return 0;
}

/* ns, type, span, chunk, key zero-padded, data 0xFF. */
static void entry_head(uint8_t e[32], uint8_t ns, uint8_t type, uint8_t span,
                       uint8_t chunk, const char *key)
{
    memset(e, 0xFF, 32);
    e[0] = ns;
    e[1] = type;
    e[2] = span;
    e[3] = chunk;
    memset(e + 8, 0, 16);
    memcpy(e + 8, key, strlen(key));
}

int nvs_writer_init(struct nvs_writer *w, uint8_t *buf, size_t partition_size,
                    enum nvs_version version)
{
    memset(w, 0, sizeof *w);
    if (version != NVS_VERSION_1 && version != NVS_VERSION_2)
        return fail(w, "unknown NVS format version 0x%02x", (unsigned)version);
    if (partition_size % NVS_PAGE_SIZE != 0 || partition_size < NVS_PAGE_SIZE)
        return fail(w, "NVS partition size 0x%zx is not a positive multiple "
                       "of 4096", partition_size);
    if (partition_size / NVS_PAGE_SIZE > 0xFFFFFFu)
        return fail(w, "NVS partition size 0x%zx is implausibly large",
                    partition_size);
    w->buf = buf;
    w->partition_size = partition_size;
    w->version = (uint8_t)version;
    w->read_only = partition_size < 3 * NVS_PAGE_SIZE;
    unsigned pages = (unsigned)(partition_size / NVS_PAGE_SIZE);
    w->pages_left = (w->read_only ? pages : pages - 1) - 1;
    memset(buf, 0xFF, partition_size);
    start_page(w);
    return 0;
}

static int write_primitive(struct nvs_writer *w, uint8_t ns, const char *key,
                           uint8_t type, uint64_t raw)
{
    if (w->entry >= NVS_ENTRIES_PER_PAGE && next_page(w) < 0)
        return -1;
    uint8_t e[32];
    entry_head(e, ns, type, 1, NVS_CHUNK_ANY, key);
    for (unsigned i = 0; i < nvs_int_width(type); i++)
        e[24 + i] = (uint8_t)(raw >> (8 * i));
    nvs_entry_seal(e);
    put_entries(w, e, 32, 1);
    return 0;
}

int nvs_writer_namespace(struct nvs_writer *w, const char *name)
{
    if (check_key(w, name) < 0)
        return -1;
    if (w->ns_count >= NVS_MAX_NAMESPACES)
        return fail(w, "too many namespaces: NVS holds at most %u",
                    NVS_MAX_NAMESPACES);
    if (write_primitive(w, 0, name, NVS_TYPE_U8, w->ns_count + 1) < 0)
        return -1;
    w->ns_count++;
    w->ns_index = (uint8_t)w->ns_count;
    return 0;
}

static int need_namespace(struct nvs_writer *w, const char *key)
{
    if (w->ns_index == 0)
        return fail(w, "item '%s' comes before any namespace", key);
    return check_key(w, key);
}

static bool int_in_range(uint8_t type, uint64_t u, int64_t s)
{
    unsigned bits = 8 * nvs_int_width(type);
    if (!nvs_int_signed(type))
        return bits == 64 || u < ((uint64_t)1 << bits);
    if (bits == 64)
        return true;
    int64_t lim = (int64_t)1 << (bits - 1);
    return s >= -lim && s < lim;
}

int nvs_writer_int(struct nvs_writer *w, const char *key, uint8_t type,
                   uint64_t u, int64_t s)
{
    if (need_namespace(w, key) < 0)
        return -1;
    if (!nvs_type_is_int(type))
        return fail(w, "type 0x%02x is not an integer type", (unsigned)type);
    if (!int_in_range(type, u, s)) {
        if (nvs_int_signed(type))
            return fail(w, "value %" PRId64 " is out of range for %s",
                        s, nvs_type_name(type));
        return fail(w, "value %" PRIu64 " is out of range for %s", u,
                    nvs_type_name(type));
    }
    return write_primitive(w, w->ns_index, key, type,
                           nvs_int_signed(type) ? (uint64_t)s : u);
}

/* Header + data on one page: strings and v1 blobs. `data` holds `size`
 * bytes except that a string's terminating NUL may be implied. */
static int write_single_page(struct nvs_writer *w, const char *key,
                             uint8_t type, const uint8_t *data, size_t len,
                             bool add_nul)
{
    size_t size = len + (add_nul ? 1 : 0);
    unsigned span = nvs_span_for(size);
    /* The generator moves on when the item would reach entry 126 *or* end
     * exactly on the last entry (">="), and never splits it. */
    if (w->entry >= NVS_ENTRIES_PER_PAGE ||
        w->entry + span >= NVS_ENTRIES_PER_PAGE) {
        if (next_page(w) < 0)
            return -1;
        if (span >= NVS_ENTRIES_PER_PAGE)
            return fail(w, "'%s' needs %u entries; one page holds at most "
                           "125 for it", key, span);
    }
    uint32_t crc = crc32_esp(CRC32_ESP_INIT, data, len);
    if (add_nul)
        crc = crc32_esp(crc, "", 1);
    uint8_t e[32];
    entry_head(e, w->ns_index, type, (uint8_t)span, NVS_CHUNK_ANY, key);
    le16_put(e + 24, (uint16_t)size);
    le32_put(e + 28, crc);
    nvs_entry_seal(e);
    put_entries(w, e, 32, 1);
    uint8_t *dst = nvs_entry_at(page_ptr(w), w->entry);
    if (len)
        memcpy(dst, data, len);
    if (add_nul)
        dst[len] = 0;
    put_entries(w, NULL, 0, span - 1);
    return 0;
}

int nvs_writer_string(struct nvs_writer *w, const char *key, const char *s,
                      size_t len)
{
    if (need_namespace(w, key) < 0)
        return -1;
    if (memchr(s, 0, len))
        return fail(w, "string '%s' contains a NUL byte", key);
    size_t limit = w->version == NVS_VERSION_1 ? NVS_BLOB_MAX_V1
                                               : NVS_STRING_MAX_V2;
    if (len + 1 > limit)
        return fail(w, "string '%s' is %zu bytes with its NUL; at most %zu "
                       "fit in one NVS page", key, len + 1, limit);
    return write_single_page(w, key, NVS_TYPE_SZ, (const uint8_t *)s, len,
                             true);
}

/* One BLOB_DATA chunk on the current page. */
static void put_chunk(struct nvs_writer *w, const char *key, uint8_t index,
                      const uint8_t *data, size_t n)
{
    unsigned span = nvs_span_for(n);
    uint8_t e[32];
    entry_head(e, w->ns_index, NVS_TYPE_BLOB_DATA, (uint8_t)span, index, key);
    le16_put(e + 24, (uint16_t)n);
    le32_put(e + 28, crc32_esp(CRC32_ESP_INIT, data, n));
    nvs_entry_seal(e);
    put_entries(w, e, 32, 1);
    put_entries(w, data, n, span - 1);
}

/* Version-2 blob: chunks fill each page to its last entry (a page with
 * exactly one free entry gets a zero-length chunk there), then BLOB_IDX. */
static int write_blob_v2(struct nvs_writer *w, const char *key,
                         const uint8_t *data, size_t len)
{
    if (w->entry >= NVS_ENTRIES_PER_PAGE && next_page(w) < 0)
        return -1;
    size_t off = 0, remaining = len;
    unsigned chunks = 0;
    for (;;) {
        size_t room = (size_t)(NVS_ENTRIES_PER_PAGE - w->entry - 1) *
                      NVS_ENTRY_SIZE;
        size_t n = remaining < room ? remaining : room;
        if (chunks >= 0xFF)
            return fail(w, "blob '%s' needs more than 255 chunks", key);
        put_chunk(w, key, (uint8_t)chunks, data + off, n);
        chunks++;
        remaining -= n;
        off += n;
        if ((remaining || room - n < NVS_ENTRY_SIZE) && next_page(w) < 0)
            return -1;
        if (!remaining)
            break;
    }
    uint8_t e[32];
    entry_head(e, w->ns_index, NVS_TYPE_BLOB_IDX, 1, NVS_CHUNK_ANY, key);
    le32_put(e + 24, (uint32_t)len);
    e[28] = (uint8_t)chunks;
    e[29] = 0;  /* chunk_start: generators always use the first set */
    nvs_entry_seal(e);
    put_entries(w, e, 32, 1);
    return 0;
}

int nvs_writer_blob(struct nvs_writer *w, const char *key, const uint8_t *data,
                    size_t len)
{
    if (need_namespace(w, key) < 0)
        return -1;
    if (len > 0xFFFFFFFFu)
        return fail(w, "blob '%s' is too large", key);
    if (w->version == NVS_VERSION_2)
        return write_blob_v2(w, key, data, len);
    if (len > NVS_BLOB_MAX_V1)
        return fail(w, "blob '%s' is %zu bytes; NVS format version 1 allows "
                       "at most %u (use version 2 for larger blobs)", key, len,
                    NVS_BLOB_MAX_V1);
    return write_single_page(w, key, NVS_TYPE_BLOB, data, len, false);
}

size_t nvs_writer_finish(struct nvs_writer *w)
{
    if (w->read_only)
        return ((size_t)w->page + 1) * NVS_PAGE_SIZE;
    return w->partition_size;
}
