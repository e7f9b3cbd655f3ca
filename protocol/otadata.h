/* OTA selection data (formats.md §3): two copies of a 32-byte entry, one
 * per 4 KiB sector of the 0x2000-byte data/ota partition. Reading and
 * choosing follow ESP-IDF's bootloader; selecting a slot writes what
 * esp_ota_set_boot_partition() and otatool.py write. */
#ifndef JIGD_OTADATA_H
#define JIGD_OTADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTADATA_SIZE 0x2000u
#define OTADATA_SECTOR 0x1000u
#define OTADATA_ENTRY_LEN 32u
#define OTADATA_MAX_SLOTS 16u

enum ota_img_state {
    OTA_STATE_NEW = 0,
    OTA_STATE_PENDING_VERIFY = 1,
    OTA_STATE_VALID = 2,
    OTA_STATE_INVALID = 3,
    OTA_STATE_ABORTED = 4,
    OTA_STATE_UNDEFINED = 0xFFFFFFFFu,
};

struct ota_entry {
    uint32_t seq;           /* 0xFFFFFFFF = blank */
    uint8_t label[20];
    uint32_t state;         /* enum ota_img_state */
    uint32_t crc;
    bool crc_ok;
    bool valid;             /* seq set, CRC right, state bootable */
};

struct otadata {
    struct ota_entry copy[2];
    int active;             /* copy the bootloader follows, -1 = none */
};

/* CRC32-ESP of the 4 sequence bytes (the state is not covered). */
uint32_t otadata_crc(uint32_t seq);

/* Decodes both copies from a partition image (len >= 0x1020; a missing
 * second copy reads as blank) and picks the active one: the valid copy
 * with the larger sequence number, copy 0 on a tie. */
void otadata_read(const uint8_t *part, size_t len, struct otadata *od);

/* The OTA slot the bootloader boots: (seq - 1) mod ota_count, or -1 for
 * "no selection" (boot factory, or ota_0 when there is none). */
int otadata_boot_slot(const struct otadata *od, unsigned ota_count);

/* 0x2000 bytes of 0xFF: "boot the factory app" (ota_data_initial.bin). */
void otadata_init_blank(uint8_t part[OTADATA_SIZE]);

/* Selects OTA slot `slot` of `ota_count`: the new sequence number is the
 * smallest (slot+1) mod N + i*N not below the active one, written into the
 * copy that is not active (copy 0 when none is), whose sector is first
 * erased. state: OTA_STATE_UNDEFINED (rollback disabled) or OTA_STATE_NEW.
 * Returns the copy written (0/1), or -1 for a bad slot/count. */
int otadata_select(uint8_t part[OTADATA_SIZE], unsigned slot,
                   unsigned ota_count, uint32_t state);

/* otatool.py read_otadata's table (two lines). Like snprintf. */
size_t otadata_describe(const struct otadata *od, char *out, size_t cap);

#endif
