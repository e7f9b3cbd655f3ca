/* OTA data (see otadata.h; ESP-IDF bootloader_common.c and esp_ota_ops.c
 * for the rules). */
#include "otadata.h"

#include <stdio.h>
#include <string.h>

#include "crc32_esp.h"
#include "le_bytes.h"

uint32_t otadata_crc(uint32_t seq)
{
    uint8_t b[4];
    le32_put(b, seq);
    return crc32_esp(CRC32_ESP_INIT, b, 4);
}

static void read_entry(const uint8_t *p, struct ota_entry *e)
{
    e->seq = le32_get(p);
    memcpy(e->label, p + 4, sizeof e->label);
    e->state = le32_get(p + 24);
    e->crc = le32_get(p + 28);
    e->crc_ok = e->crc == otadata_crc(e->seq);
    e->valid = e->seq != 0xFFFFFFFFu && e->crc_ok &&
               e->state != OTA_STATE_INVALID && e->state != OTA_STATE_ABORTED;
}

void otadata_read(const uint8_t *part, size_t len, struct otadata *od)
{
    static const uint8_t blank[OTADATA_ENTRY_LEN] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    for (unsigned i = 0; i < 2; i++) {
        size_t off = i * OTADATA_SECTOR;
        read_entry(len >= off + OTADATA_ENTRY_LEN ? part + off : blank,
                   &od->copy[i]);
    }
    const struct ota_entry *a = &od->copy[0], *b = &od->copy[1];
    if (a->valid && b->valid)
        od->active = a->seq >= b->seq ? 0 : 1;
    else
        od->active = a->valid ? 0 : b->valid ? 1 : -1;
}

int otadata_boot_slot(const struct otadata *od, unsigned ota_count)
{
    if (od->active < 0 || ota_count == 0)
        return -1;
    return (int)((od->copy[od->active].seq - 1) % ota_count);
}

void otadata_init_blank(uint8_t part[OTADATA_SIZE])
{
    memset(part, 0xFF, OTADATA_SIZE);
}

int otadata_select(uint8_t part[OTADATA_SIZE], unsigned slot,
                   unsigned ota_count, uint32_t state)
{
    if (ota_count == 0 || ota_count > OTADATA_MAX_SLOTS || slot >= ota_count)
        return -1;
    struct otadata od;
    otadata_read(part, OTADATA_SIZE, &od);
    uint32_t seq = slot + 1;
    int target = 0;
    if (od.active >= 0) {
        uint32_t base = od.copy[od.active].seq;
        uint32_t first = (slot + 1) % ota_count;
        uint32_t i = 0;
        while (base > first + i * ota_count)
            i++;
        seq = first + i * ota_count;
        target = od.active ^ 1;
    }
    uint8_t *p = part + (size_t)target * OTADATA_SECTOR;
    memset(p, 0xFF, OTADATA_SECTOR);
    le32_put(p, seq);
    le32_put(p + 24, state);
    le32_put(p + 28, otadata_crc(seq));
    return target;
}

size_t otadata_describe(const struct otadata *od, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "             OTA_SEQ  \t  CRC      | \t  OTA_SEQ  \t"
                     "   CRC     \nFirmware:  0x%08x \t0x%08x | \t0x%08x \t "
                     "0x%08x\n",
                     od->copy[0].seq, od->copy[0].crc, od->copy[1].seq,
                     od->copy[1].crc);
    return n > 0 ? (size_t)n : 0;
}
