/* NVS page and entry layout shared by the generator and the reader
 * (formats.md §4). A page is one 4 KiB sector: 32-byte header, 32-byte
 * entry-state bitmap, 126 entries of 32 bytes. */
#ifndef JIGD_NVS_PAGE_H
#define JIGD_NVS_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVS_PAGE_SIZE 4096u
#define NVS_ENTRY_SIZE 32u
#define NVS_ENTRIES_PER_PAGE 126u
#define NVS_BITMAP_OFFSET 32u
#define NVS_FIRST_ENTRY_OFFSET 64u
#define NVS_KEY_MAX 15u             /* characters, a NUL follows */
#define NVS_CHUNK_ANY 0xFFu
#define NVS_MAX_NAMESPACES 254u

enum nvs_page_state {
    NVS_PAGE_EMPTY = 0xFFFFFFFFu,
    NVS_PAGE_ACTIVE = 0xFFFFFFFEu,
    NVS_PAGE_FULL = 0xFFFFFFFCu,
    NVS_PAGE_FREEING = 0xFFFFFFF8u,
    NVS_PAGE_CORRUPT = 0xFFFFFFF0u,
};

/* Header byte 8. Newer formats count *down*. */
enum nvs_version {
    NVS_VERSION_1 = 0xFF,   /* single-page blobs only */
    NVS_VERSION_2 = 0xFE,   /* multi-page blobs (BLOB_DATA + BLOB_IDX) */
};

enum nvs_type {
    NVS_TYPE_U8 = 0x01,
    NVS_TYPE_I8 = 0x11,
    NVS_TYPE_U16 = 0x02,
    NVS_TYPE_I16 = 0x12,
    NVS_TYPE_U32 = 0x04,
    NVS_TYPE_I32 = 0x14,
    NVS_TYPE_U64 = 0x08,
    NVS_TYPE_I64 = 0x18,
    NVS_TYPE_SZ = 0x21,
    NVS_TYPE_BLOB = 0x41,       /* version-1 blob */
    NVS_TYPE_BLOB_DATA = 0x42,
    NVS_TYPE_BLOB_IDX = 0x48,
};

/* Two bits per entry in the bitmap. */
enum nvs_entry_state {
    NVS_ENTRY_ERASED = 0,
    NVS_ENTRY_ILLEGAL = 1,
    NVS_ENTRY_WRITTEN = 2,
    NVS_ENTRY_EMPTY = 3,
};

/* An entry's key as nvs_tool decodes it: trailing NULs stripped (*n is
 * the length left), false when any byte is not ASCII (the tool then shows
 * no key and no data). */
static inline bool nvs_entry_key_ascii(const uint8_t *entry, size_t *n)
{
    size_t k = 16;
    while (k && entry[8 + k - 1] == 0)
        k--;
    *n = k;
    for (size_t i = 0; i < k; i++)
        if (entry[8 + i] >= 0x80)
            return false;
    return true;
}

static inline bool nvs_type_is_int(uint8_t t)
{
    switch (t) {
    case NVS_TYPE_U8: case NVS_TYPE_I8: case NVS_TYPE_U16: case NVS_TYPE_I16:
    case NVS_TYPE_U32: case NVS_TYPE_I32: case NVS_TYPE_U64: case NVS_TYPE_I64:
        return true;
    default:
        return false;
    }
}

/* Integer width in bytes (low nibble) and signedness (high nibble). */
static inline unsigned nvs_int_width(uint8_t t) { return t & 0x0Fu; }
static inline bool nvs_int_signed(uint8_t t) { return (t & 0xF0u) != 0; }

/* "u8", "i16", ..., "string", "blob", "blob_data", "blob_index"; NULL if
 * the code is not a type. */
const char *nvs_type_name(uint8_t t);

/* Entries needed for a header plus `size` data bytes: 1 + ceil(size/32). */
static inline unsigned nvs_span_for(size_t size)
{
    return 1u + (unsigned)((size + NVS_ENTRY_SIZE - 1) / NVS_ENTRY_SIZE);
}

/* CRC over header bytes 4..27 (the state word is left out so a page can
 * change state without an erase). */
uint32_t nvs_page_header_crc(const uint8_t *page);

/* Writes state, seq, version, 19 reserved 0xFF bytes and the CRC. */
void nvs_page_write_header(uint8_t *page, uint32_t state, uint32_t seq,
                           uint8_t version);

uint32_t nvs_page_state(const uint8_t *page);
uint32_t nvs_page_seq(const uint8_t *page);

/* Entry-state bitmap, entry i at bits 2i..2i+1, LSB-first. */
enum nvs_entry_state nvs_entry_state_get(const uint8_t *page, unsigned i);
void nvs_entry_state_set(uint8_t *page, unsigned i, enum nvs_entry_state s);

static inline uint8_t *nvs_entry_at(uint8_t *page, unsigned i)
{
    return page + NVS_FIRST_ENTRY_OFFSET + NVS_ENTRY_SIZE * i;
}
static inline const uint8_t *nvs_entry_at_const(const uint8_t *page, unsigned i)
{
    return page + NVS_FIRST_ENTRY_OFFSET + NVS_ENTRY_SIZE * i;
}

/* CRC over entry bytes 0..3 then 8..31 (the CRC field is skipped). */
uint32_t nvs_entry_crc(const uint8_t *entry);

/* Stores nvs_entry_crc() at bytes 4..7. */
void nvs_entry_seal(uint8_t *entry);

/* Copies the key (up to 16 bytes, zero-padded) into a NUL-terminated string;
 * returns false if it has bytes outside printable ASCII or no terminator
 * within 16 bytes. */
bool nvs_entry_key(const uint8_t *entry, char key[NVS_KEY_MAX + 2]);

#endif
