/* Partition table view for the bundle rules (formats.md §2).
 * TEMPORARY own reader until protocol/partition_table.h lands; then this
 * file becomes an adapter over it. */
#include "bundle_partitions.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/md5.h>

#define ENTRY_LEN 32
#define TABLE_MAX_LEN 0xC00

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

int bundle_partitions_read(const uint8_t *buf, size_t len,
                           struct bundle_partitions *t, char *why, size_t cap)
{
    t->n = 0;
    size_t slots = (len < TABLE_MAX_LEN ? len : TABLE_MAX_LEN) / ENTRY_LEN;
    for (size_t i = 0; i < slots; i++) {
        const uint8_t *e = buf + i * ENTRY_LEN;
        if (e[0] == 0xAA && e[1] == 0x50) {
            struct bundle_partition *p = &t->p[t->n++];
            p->type = e[2];
            p->subtype = e[3];
            p->offset = le32(e + 4);
            p->size = le32(e + 8);
            memcpy(p->label, e + 12, 16);
            p->label[16] = '\0';
            continue;
        }
        if (e[0] == 0xEB && e[1] == 0xEB) {
            uint8_t md5[16];
            mbedtls_md5_ret(buf, i * ENTRY_LEN, md5);
            if (memcmp(md5, e + 16, 16)) {
                snprintf(why, cap, "the MD5 record does not match the entries; "
                         "the table is damaged");
                return -1;
            }
            continue;
        }
        if (e[0] == 0xFF && e[1] == 0xFF && e[2] == 0xFF && e[3] == 0xFF) {
            if (t->n == 0)
                break;
            return 0;
        }
        snprintf(why, cap, "entry %zu has no AA 50 magic; not a partition table", i);
        return -1;
    }
    snprintf(why, cap, t->n ? "no end marker within 0xC00 bytes" : "no partitions");
    return -1;
}
