/* NVS partition generator: lays items out exactly as Espressif's
 * esp-idf-nvs-partition-gen 0.2.0 does (formats.md §4.8), so the same
 * input gives the same bytes. Writes into a caller buffer; no allocation.
 *
 * Usage: nvs_writer_init(), then nvs_writer_namespace() before the items of
 * each namespace, nvs_writer_int()/_string()/_blob() per item, and
 * nvs_writer_finish() for the length of the image to write.
 *
 * Every function returns 0 on success or -1 with w->error filled in; after
 * an error the buffer contents are undefined. */
#ifndef JIGD_NVS_WRITER_H
#define JIGD_NVS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvs_page.h"

/* Largest string the generator can place (its span must stay below one
 * page's 126 entries: ">=" fit rule), and the v1 single-page blob limit. */
#define NVS_STRING_MAX_V2 3968u     /* 124 data entries incl. the NUL */
#define NVS_STRING_LIMIT_V2 4000u   /* what the generator's own check says */
#define NVS_BLOB_MAX_V1 1984u

struct nvs_writer {
    uint8_t *buf;           /* caller's buffer, partition_size bytes */
    size_t partition_size;
    uint8_t version;        /* enum nvs_version */
    bool read_only;         /* < 0x3000: no reserved page, output trimmed */
    unsigned pages_left;    /* pages that may still be started */
    unsigned page;          /* index of the page being filled */
    unsigned entry;         /* next free entry on that page */
    unsigned ns_count;      /* namespaces written so far */
    uint8_t ns_index;       /* namespace of the following items, 0 = none */
    char error[200];
};

/* partition_size: a multiple of 4096, at least 0x1000. Sizes of 0x1000 and
 * 0x2000 make a read-only partition (the generator's rule). */
int nvs_writer_init(struct nvs_writer *w, uint8_t *buf, size_t partition_size,
                    enum nvs_version version);

/* Starts a new namespace (index 1, 2, ... in call order). The generator
 * cannot re-open an earlier namespace correctly, so the caller should not
 * repeat a name (nvs_csv refuses it). */
int nvs_writer_namespace(struct nvs_writer *w, const char *name);

/* type: one of the eight integer types. The value is taken from `u` for
 * unsigned types and from `s` for signed ones; range is checked. */
int nvs_writer_int(struct nvs_writer *w, const char *key, uint8_t type,
                   uint64_t u, int64_t s);

/* A string of `len` bytes (UTF-8, no NUL inside); the NUL is added. */
int nvs_writer_string(struct nvs_writer *w, const char *key, const char *s,
                      size_t len);

/* A blob: v2 BLOB_DATA chunks + BLOB_IDX, or a v1 single-entry BLOB. */
int nvs_writer_blob(struct nvs_writer *w, const char *key, const uint8_t *data,
                    size_t len);

/* Bytes of the finished image: the partition size for read/write
 * partitions (unused pages and the reserved last page stay 0xFF); for
 * read-only ones only the pages used. */
size_t nvs_writer_finish(struct nvs_writer *w);

#endif
