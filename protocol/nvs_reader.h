/* Reading an NVS partition the way the device does (formats.md §4, traps
 * §10.8): only pages with a good header (ACTIVE, FULL or FREEING) count,
 * in sequence-number order; only WRITTEN entries with a good CRC count; a
 * later copy of a key wins; a v2 blob is whole only when its BLOB_IDX and
 * every chunk it names are present with good data CRCs.
 *
 * Pure functions over the caller's bytes; results go to caller buffers. */
#ifndef JIGD_NVS_READER_H
#define JIGD_NVS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvs_page.h"

enum nvs_read_result {
    NVS_READ_OK = 0,
    NVS_READ_NOT_FOUND,         /* no such namespace or key */
    NVS_READ_TYPE_MISMATCH,     /* the key exists with another type */
    NVS_READ_TOO_SMALL,         /* caller's buffer too small; *len = need */
    NVS_READ_CORRUPT,           /* item present but damaged / incomplete */
};

/* One item as stored: its header entry and, for strings and blobs, the
 * data entries that follow it on the same page. */
struct nvs_item {
    unsigned page_offset;       /* byte offset of its page in the partition */
    unsigned index;             /* entry index in the page, 0..125 */
    uint8_t ns, type, span, chunk_index;
    char key[NVS_KEY_MAX + 2];
    const uint8_t *entry;       /* the 32-byte header entry */
    const uint8_t *data;        /* variable-length data, or NULL */
    uint32_t size;              /* SZ/BLOB/BLOB_DATA: data size field */
    bool data_ok;               /* data fits in the span and its CRC matches */
};

/* Calls fn for every valid item (good header CRC, WRITTEN, sane span) of
 * every valid page, pages in sequence order; fn returns false to stop. */
void nvs_read_items(const uint8_t *part, size_t len,
                    bool (*fn)(void *ctx, const struct nvs_item *it),
                    void *ctx);

/* Index of the namespace called `name`, 0 if none. */
uint8_t nvs_read_namespace(const uint8_t *part, size_t len, const char *name);

/* Any integer type: *type receives its code, *value the value (signed
 * types sign-extended into the int64_t's bits). */
enum nvs_read_result nvs_read_int(const uint8_t *part, size_t len,
                                  const char *ns, const char *key,
                                  uint8_t *type, uint64_t *value);

/* A string, NUL included; *len = bytes including the NUL. */
enum nvs_read_result nvs_read_str(const uint8_t *part, size_t len,
                                  const char *ns, const char *key, char *buf,
                                  size_t cap, size_t *out_len);

/* A blob (v2 chunks reassembled, or a v1 blob); *len = its size. */
enum nvs_read_result nvs_read_blob(const uint8_t *part, size_t len,
                                   const char *ns, const char *key,
                                   uint8_t *buf, size_t cap, size_t *out_len);

#endif
