/* ESP-IDF partition table (formats.md §2): the binary format, and the CSV
 * of gen_esp32part.py 1.3 (ESP-IDF v5.4) with its offset fill-in and
 * validation rules, so the same CSV and options give the same 0xC00 bytes.
 *
 * Pure functions over caller buffers; a table is a fixed-size struct. */
#ifndef JIGD_PARTITION_TABLE_H
#define JIGD_PARTITION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_DEFAULT_OFFSET 0x8000u
#define PT_SECTOR_SIZE 0x1000u      /* the table owns one sector */
#define PT_MAX_LEN 0xC00u           /* generator output length */
#define PT_ENTRY_LEN 32u
#define PT_MAX_ENTRIES 95u          /* 96 slots, one for the end marker */
#define PT_NAME_MAX 16u             /* a 16-byte name has no NUL */

#define PT_FLAG_ENCRYPTED (1u << 0)
#define PT_FLAG_READONLY (1u << 1)

enum pt_type {
    PT_TYPE_APP = 0x00,
    PT_TYPE_DATA = 0x01,
    PT_TYPE_BOOTLOADER = 0x02,
    PT_TYPE_PARTITION_TABLE = 0x03,
};

enum pt_subtype {
    PT_APP_FACTORY = 0x00,
    PT_APP_OTA_0 = 0x10,            /* ota_N = 0x10 + N, N < 16 */
    PT_APP_TEST = 0x20,
    PT_DATA_OTA = 0x00,
    PT_DATA_PHY = 0x01,
    PT_DATA_NVS = 0x02,
    PT_DATA_COREDUMP = 0x03,
    PT_DATA_NVS_KEYS = 0x04,
    PT_DATA_EFUSE = 0x05,
    PT_DATA_UNDEFINED = 0x06,
    PT_DATA_ESPHTTPD = 0x80,
    PT_DATA_FAT = 0x81,
    PT_DATA_SPIFFS = 0x82,
    PT_DATA_LITTLEFS = 0x83,
};

struct pt_entry {
    char name[PT_NAME_MAX + 1];
    uint8_t type, subtype;
    uint32_t offset, size;
    uint32_t flags;         /* PT_FLAG_*; unknown bits from a binary kept */
    unsigned line;          /* CSV line it came from, 0 for binary input */
};

struct pt_table {
    size_t n;
    struct pt_entry e[PT_MAX_ENTRIES];
    bool has_md5;           /* binary input carried an MD5 record */
};

struct pt_options {
    uint32_t table_offset;  /* where the table sits, default 0x8000 */
    bool md5;               /* write / require the MD5 record (default on) */
    uint32_t flash_size;    /* bytes; 0 = do not check (--flash-size) */
    bool secure_v1;         /* app sizes 64 KiB aligned (--secure v1) */
};

struct pt_error {
    unsigned line;          /* CSV line the problem is on, 0 = none */
    char msg[300];          /* starts with "line N: " when line != 0 */
};

void pt_options_default(struct pt_options *o);

/* CSV -> table, with offsets filled in and negative sizes resolved (only
 * table_offset of the options matters here). No validation beyond what
 * parsing needs; call pt_verify next. Environment variables ($NAME) are
 * not expanded: the caller must do that first; one left is an error. */
int pt_parse_csv(const char *csv, size_t len, const struct pt_options *o,
                 struct pt_table *t, struct pt_error *err);

/* Binary -> table. Stops at the end marker (32 x 0xFF); with o->md5 an
 * MD5 record must match the entries before it. */
int pt_parse_binary(const uint8_t *bin, size_t len, const struct pt_options *o,
                    struct pt_table *t, struct pt_error *err);

/* The generator's checks: alignment, app size, unique names, overlaps, the
 * table's own sector, one otadata of 0x2000 bytes, no readonly ota or
 * coredump, plus (jigd's own) read/write NVS of at least 0x3000 bytes and
 * everything inside o->flash_size when set. */
int pt_verify(const struct pt_table *t, const struct pt_options *o,
              struct pt_error *err);

/* Table -> the 0xC00-byte binary (entries, MD5 record if o->md5, 0xFF). */
int pt_to_binary(const struct pt_table *t, const struct pt_options *o,
                 uint8_t out[PT_MAX_LEN], struct pt_error *err);

/* Table -> CSV as gen_esp32part.py prints it. Like snprintf: returns the
 * full length, writes at most cap bytes with a NUL when cap > 0. */
size_t pt_to_csv(const struct pt_table *t, char *out, size_t cap);

/* Parse + verify + to_binary in one go. */
int pt_csv_to_binary(const char *csv, size_t len, const struct pt_options *o,
                     uint8_t out[PT_MAX_LEN], struct pt_error *err);

/* Lookups; NULL if absent. */
const struct pt_entry *pt_find_name(const struct pt_table *t,
                                    const char *name);
const struct pt_entry *pt_find_type(const struct pt_table *t, uint8_t type,
                                    uint8_t subtype);

/* End of the partition with the highest offset (the flash it needs). */
uint32_t pt_flash_needed(const struct pt_table *t);

/* Keyword for a type / subtype ("data", "nvs"), NULL if it has none. */
const char *pt_type_name(uint8_t type);
const char *pt_subtype_name(uint8_t type, uint8_t subtype);

#endif
