/* nvs_tool -i's CRC checks (see nvs_crc_check.h). The walk and the CRCs
 * follow nvs_parser.py's NVS_Page and NVS_Entry, the lines nvs_check.py's
 * check_page_crc and check_page_entries. */
#include "nvs_crc_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crc32_esp.h"
#include "le_bytes.h"
#include "nvs_page.h"

struct report {
    char *out;
    size_t cap, len;
    struct nvs_crc_check_counts *counts;
};

static void put(struct report *r, const void *s, size_t n)
{
    if (r->len < r->cap) {
        size_t k = r->cap - r->len < n ? r->cap - r->len : n;
        memcpy(r->out + r->len, s, k);
    }
    r->len += n;
}

static void putf(struct report *r, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(r, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void put_key(struct report *r, const uint8_t *e)
{
    size_t n;
    if (nvs_entry_key_ascii(e, &n))
        put(r, e + 8, n);
    else
        put(r, "None", 4);
}

/* The tool's walk: a span byte of 0 or 0xFF counts as 1. */
static unsigned walk_span(const uint8_t *e) { return e[2] == 0 || e[2] == 0xFF ? 1 : e[2]; }

/* The size NVS_Entry.compute_crc cuts the data to; 0 keeps all of it (no
 * size, a size of 0, an unknown type, a key that is not ASCII). For an
 * integer with a span the tool itself stops with a KeyError; all of the
 * data is taken here. */
static size_t data_size(const uint8_t *e)
{
    size_t n;
    if (!nvs_entry_key_ascii(e, &n))
        return 0;
    switch (e[1]) {
    case NVS_TYPE_SZ:
    case NVS_TYPE_BLOB:
    case NVS_TYPE_BLOB_DATA: return le16_get(e + 24);
    case NVS_TYPE_BLOB_IDX: return le32_get(e + 24);
    default: return 0;
    }
}

/* The data CRC as the tool computes it: over the entries that follow on
 * the page (at most to its end), cut to the size. When the walk span is 1
 * compute_crc never runs and its result stays 0. */
static uint32_t data_crc(const uint8_t *page, unsigned i)
{
    const uint8_t *e = nvs_entry_at_const(page, i);
    unsigned span = walk_span(e);
    if (span == 1)
        return 0;
    unsigned children = span - 1 < NVS_ENTRIES_PER_PAGE - 1 - i ? span - 1
                                                                 : NVS_ENTRIES_PER_PAGE - 1 - i;
    size_t n = (size_t)children * NVS_ENTRY_SIZE, size = data_size(e);
    if (size && size < n)
        n = size;
    return crc32_esp(CRC32_ESP_INIT, e + NVS_ENTRY_SIZE, n);
}

static bool all_erased(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

static void check_entry(struct report *r, const uint8_t *page, unsigned i)
{
    const uint8_t *e = nvs_entry_at_const(page, i);
    if (nvs_entry_state_get(page, i) != NVS_ENTRY_WRITTEN)
        return;
    if (all_erased(e, NVS_ENTRY_SIZE)) {
        putf(r, " Entry #%03u is reported as Written but it is empty!\n", i);
        r->counts->written_empty++;
        return;
    }
    uint32_t written = le32_get(e + 4), generated = nvs_entry_crc(e);
    if (written != generated) {
        putf(r, " Entry #%03u ", i);
        put_key(r, e);
        putf(r, " has wrong CRC32!      Written: %" PRIx32 " Generated: %" PRIx32 "\n", written,
             generated);
        r->counts->entry_crc++;
    }
    written = le32_get(e + 28);
    generated = data_crc(page, i);
    if (e[2] > 1 && written != generated) {
        putf(r, " Entry #%03u ", i);
        put_key(r, e);
        putf(r, " data (string, blob) has wrong CRC32! Written: %" PRIx32 " Generated: %" PRIx32
             "\n", written, generated);
        r->counts->data_crc++;
    }
}

static void check_header(struct report *r, const uint8_t *page)
{
    if (nvs_page_state(page) == NVS_PAGE_EMPTY) {
        put(r, "Page Empty\n", 11);     /* the tool checks no CRC on it */
        return;
    }
    uint32_t original = le32_get(page + 28), generated = nvs_page_header_crc(page);
    if (original == generated) {
        putf(r, "Page no. %" PRIu32 " \tCRC32: OK\n", nvs_page_seq(page));
        return;
    }
    putf(r, "Page no. %" PRIu32 " Original CRC32: %" PRIx32 " Generated CRC32: %" PRIx32 "\n",
         nvs_page_seq(page), original, generated);
    r->counts->page_crc++;
}

/* Entries are checked on every page, an "Empty" one too: the tool walks
 * them all and only the bitmap decides. */
static void check_page(struct report *r, const uint8_t *page)
{
    check_header(r, page);
    for (unsigned i = 0; i < NVS_ENTRIES_PER_PAGE; i += walk_span(nvs_entry_at_const(page, i)))
        check_entry(r, page, i);
}

size_t nvs_crc_check(const uint8_t *part, size_t len, char *out, size_t cap,
                     struct nvs_crc_check_counts *counts)
{
    struct nvs_crc_check_counts ignored;
    struct report r = {out, cap, 0, counts ? counts : &ignored};
    memset(r.counts, 0, sizeof *r.counts);
    for (size_t p = 0; p + NVS_PAGE_SIZE <= len; p += NVS_PAGE_SIZE)
        check_page(&r, part + p);
    put(&r, "\n", 1);
    return r.len;
}
