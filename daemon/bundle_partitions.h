/* The partition table as a bundle sees it: the entries, proven intact.
 * A thin view over protocol/partition_table.h, kept to the few fields the
 * bundle rules use. */
#ifndef JIGD_BUNDLE_PARTITIONS_H
#define JIGD_BUNDLE_PARTITIONS_H

#include <stddef.h>
#include <stdint.h>

#define BP_MAX 96
#define BP_TYPE_APP 0x00
#define BP_TYPE_DATA 0x01
#define BP_SUBTYPE_OTA 0x00     /* data/ota: otadata */
#define BP_SUBTYPE_NVS 0x02

struct bundle_partition {
    uint8_t type, subtype;
    uint32_t offset, size;
    char label[17];
};

struct bundle_partitions {
    struct bundle_partition p[BP_MAX];
    size_t n;
};

/* Parses a partition table image (as gen_esp32part writes it). Refuses a
 * wrong MD5 record, a missing end marker, or an empty table. Returns 0 or
 * -1 with the reason in why. */
int bundle_partitions_read(const uint8_t *buf, size_t len,
                           struct bundle_partitions *t, char *why, size_t cap);

#endif
