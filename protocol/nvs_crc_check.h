/* The CRC part of ESP-IDF's nvs_tool.py integrity check (-i, v5.4.2): every
 * CRC the format has, checked the way the tool checks it and reported in
 * its words, so the report can be set beside the tool's.
 *
 * Per page in flash order (a partial page at the end is ignored):
 *   "Page Empty"                                   state word 0xFFFFFFFF (no CRC to check)
 *   "Page no. N \tCRC32: OK"                       N: the header's sequence number
 *   "Page no. N Original CRC32: x Generated CRC32: y"
 * then, for each entry the walk reaches (entries stepped over by their
 * span, as the tool does, on every page whatever its state) that the bitmap
 * calls written:
 *   " Entry #NNN is reported as Written but it is empty!"   all 32 bytes 0xFF
 *   " Entry #NNN key has wrong CRC32!      Written: x Generated: y"
 *   " Entry #NNN key data (string, blob) has wrong CRC32! Written: x Generated: y"
 * and one empty line at the end. NNN is the entry's index in its page, key
 * the entry's key ("None" when it has a byte above 0x7F), CRCs in lower-case
 * hex without leading zeros.
 *
 * The data CRC is checked for every written entry whose span byte is above
 * 1, over the entries that follow it on the page cut to the size in its
 * header (strings, v1 blobs, v2 blob chunks; a blob index's total size),
 * exactly as nvs_tool computes it, oddities included: a span byte of 0xFF
 * counts as "above 1" while no data entries are read, so the data CRC is
 * compared with 0.
 *
 * Not done: nvs_tool -i's other checks (partition size, a free page, empty
 * pages' contents, entry states, types, spans, duplicate keys, blob chunks,
 * namespaces); their wording differs between ESP-IDF versions.
 *
 * Pure function over the caller's bytes; writes at most `cap` bytes of the
 * report into out (out may be NULL when cap is 0) and returns its full
 * length, like snprintf without the NUL. */
#ifndef JIGD_NVS_CRC_CHECK_H
#define JIGD_NVS_CRC_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct nvs_crc_check_counts {
    unsigned page_crc;      /* page headers whose CRC is wrong */
    unsigned entry_crc;     /* written entries whose header CRC is wrong */
    unsigned data_crc;      /* written strings, blobs and chunks whose data CRC is wrong */
    unsigned written_empty; /* entries the bitmap calls written that are all 0xFF */
};

size_t nvs_crc_check(const uint8_t *part, size_t len, char *out, size_t cap,
                     struct nvs_crc_check_counts *counts);

/* Everything nvs_crc_check found wrong. */
static inline unsigned nvs_crc_check_bad(const struct nvs_crc_check_counts *c)
{
    return c->page_crc + c->entry_crc + c->data_crc + c->written_empty;
}

#endif
