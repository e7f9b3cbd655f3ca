/* ESP32-family app and bootloader images (formats.md §1): parse and
 * validate, patch the flash parameters as esptool does at the bootloader
 * offset, and write an image from segments (esptool elf2image's layout).
 *
 * Pure functions over caller buffers; nothing is allocated. Messages say
 * what is wrong and what to do about it. */
#ifndef JIGD_APP_IMAGE_H
#define JIGD_APP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APP_IMAGE_MAGIC 0xE9
#define APP_IMAGE_MAX_SEGMENTS 16
#define APP_IMAGE_HEADER_LEN 24         /* common + extended header */
#define APP_IMAGE_SEG_HEADER_LEN 8
#define APP_IMAGE_DIGEST_LEN 32
#define APP_IMAGE_CHECKSUM_SEED 0xEF
#define APP_IMAGE_WP_DISABLED 0xEE
#define APP_IMAGE_FLASH_ALIGN 0x10000u  /* MMU page as esptool assumes */
#define APP_DESC_MAGIC 0xABCD5432u
#define APP_DESC_LEN 256
#define BOOTLOADER_DESC_MAGIC 0x50
#define BOOTLOADER_DESC_LEN 80

/* Header byte 2. */
enum app_flash_mode {
    APP_FLASH_QIO = 0,
    APP_FLASH_QOUT = 1,
    APP_FLASH_DIO = 2,
    APP_FLASH_DOUT = 3,
};

/* Memory regions a segment's load address falls in, from esptool's
 * per-chip memory maps (image_info's "Memory types"). */
enum app_mem_type {
    APP_MEM_PADDING = 1u << 0,
    APP_MEM_DROM = 1u << 1,
    APP_MEM_EXTRAM_DATA = 1u << 2,
    APP_MEM_RTC_DRAM = 1u << 3,
    APP_MEM_BYTE_ACCESSIBLE = 1u << 4,
    APP_MEM_MEM_INTERNAL = 1u << 5,
    APP_MEM_DRAM = 1u << 6,
    APP_MEM_DIRAM_DRAM = 1u << 7,
    APP_MEM_IROM = 1u << 8,
    APP_MEM_IROM_MASK = 1u << 9,
    APP_MEM_DROM_MASK = 1u << 10,
    APP_MEM_CACHE_PRO = 1u << 11,
    APP_MEM_CACHE_APP = 1u << 12,
    APP_MEM_IRAM = 1u << 13,
    APP_MEM_DIRAM_IRAM = 1u << 14,
    APP_MEM_RTC_IRAM = 1u << 15,
    APP_MEM_RTC_DATA = 1u << 16,
    APP_MEM_MEM_INTERNAL2 = 1u << 17,
};

struct app_image_segment {
    uint32_t load_addr;
    uint32_t data_len;
    uint32_t header_offset;     /* esptool's "file_offs": the 8-byte header */
    uint32_t data_offset;       /* header_offset + 8 */
    uint32_t mem_types;         /* enum app_mem_type bits, 0 if chip unknown */
};

/* esp_app_desc_t (256 bytes at image offset 0x20 of an app). Strings are
 * cut at their first NUL (esptool prints the padding NULs too). */
struct app_desc {
    bool present;
    uint32_t secure_version;
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full, max_efuse_blk_rev_full;
    uint8_t mmu_page_size_log2;     /* 0 = not recorded */
    uint8_t spi_flash_mode;         /* Kconfig 1..5, NOT the header code */
};

/* esp_bootloader_desc_t (80 bytes at image offset 0x20 of a bootloader). */
struct bootloader_desc {
    bool present;
    uint8_t secure_version;
    uint32_t version;
    char idf_ver[33];
    char date_time[25];
};

struct app_image_info {
    size_t file_size;               /* the buffer given */
    uint8_t segment_count;          /* segments read (= header, if intact) */
    uint8_t flash_mode;             /* enum app_flash_mode */
    uint8_t flash_size_code;        /* high nibble of byte 3 (0 = 1MB ...) */
    uint8_t flash_freq_code;        /* low nibble of byte 3 */
    uint32_t entry;
    uint8_t wp_pin;
    uint8_t clk_drv, q_drv, d_drv, cs_drv, hd_drv, wp_drv;
    uint16_t chip_id;
    uint8_t min_rev_legacy;
    uint16_t min_rev_full;          /* major*100 + minor */
    uint16_t max_rev_full;          /* 0 or 0xFFFF = not set */
    uint8_t hash_appended;
    struct app_image_segment seg[APP_IMAGE_MAX_SEGMENTS];
    uint32_t checksum_offset;
    uint8_t checksum_stored, checksum_calc;
    bool checksum_valid;
    uint32_t image_len;             /* through checksum and digest */
    uint8_t digest_stored[32], digest_calc[32];
    bool digest_valid;              /* false too when no digest appended */
    struct app_desc app;            /* from the first segment if DROM */
    struct bootloader_desc boot;    /* from the first segment if DRAM */
};

enum app_image_status {
    APP_IMAGE_OK = 0,
    APP_IMAGE_EMPTY,
    APP_IMAGE_BAD_MAGIC,
    APP_IMAGE_BAD_HEADER,       /* hash_appended not 0/1, >16 segments */
    APP_IMAGE_TRUNCATED,        /* a segment or the footer runs past the end */
    APP_IMAGE_BAD_SEGMENT,      /* length not a multiple of 4, or huge */
    APP_IMAGE_BAD_CHECKSUM,
    APP_IMAGE_BAD_DIGEST,
};

/* Parses the image at the start of buf (anything after it, e.g. the rest of
 * a merged flash image, is ignored). Fills as much of *info as it could read
 * and returns the first problem found; checksum and digest problems come
 * last, so info is complete for them. */
enum app_image_status app_image_parse(const uint8_t *buf, size_t len,
                                      struct app_image_info *info, char *why,
                                      size_t why_cap);

/* Whether the image may run on this chip: chip id, and revision within
 * [min, max] (max only for apps, as ESP-IDF's bootloader checks it).
 * chip_rev is major*100+minor, or -1 to skip the revision check. */
bool app_image_fits_chip(const struct app_image_info *info, uint16_t chip_id,
                         int chip_rev, bool is_app, char *why,
                         size_t why_cap);

/* Names as esptool prints them; NULL for unknown codes. */
const char *app_image_chip_name(uint16_t chip_id);           /* "ESP32-C3" */
const char *app_image_flash_mode_name(uint8_t mode);          /* "DIO" */
const char *app_image_flash_size_name(uint8_t size_code);     /* "4MB" */
const char *app_image_flash_freq_name(uint16_t chip_id, uint8_t code);
/* Codes for names ("dio", "4MB", "80m"); -1 if unknown for the chip. */
int app_image_flash_mode_code(const char *name);
int app_image_flash_size_code(const char *name);
int app_image_flash_freq_code(uint16_t chip_id, const char *name);
/* Flash size in bytes for a size code, 0 if unknown. */
uint32_t app_image_flash_size_bytes(uint8_t size_code);

/* "DRAM, BYTE_ACCESSIBLE" in esptool's order for that chip. */
void app_image_mem_types_str(uint16_t chip_id, uint32_t mem_types,
                             const char *sep, char *out, size_t cap);
uint32_t app_image_mem_types(uint16_t chip_id, uint32_t addr);

/* esptool's write_flash/merge_bin step for an image at the bootloader
 * offset: set mode / size / freq (-1 = keep that field) in bytes 2-3 and,
 * if a digest is appended, recompute it. buf may hold more than the image.
 * Refuses (returns -1, buf untouched) when buf does not parse as an image. */
int app_image_patch_flash_params(uint8_t *buf, size_t len, int mode,
                                 int size_code, int freq_code, char *why,
                                 size_t why_cap);

/* ---- writer ---- */

/* The 256-byte esp_app_desc_t / 80-byte esp_bootloader_desc_t for a
 * synthesised image (the first DROM / DRAM segment starts with it);
 * reserved bytes are zero, strings NUL-padded and cut to fit. */
void app_desc_encode(const struct app_desc *d, uint8_t out[APP_DESC_LEN]);
void bootloader_desc_encode(const struct bootloader_desc *d,
                            uint8_t out[BOOTLOADER_DESC_LEN]);

struct app_image_params {
    uint16_t chip_id;
    uint8_t flash_mode, flash_size_code, flash_freq_code;
    uint32_t entry;
    uint8_t min_rev_legacy;
    uint16_t min_rev_full, max_rev_full;
    bool append_digest;
};

struct app_image_seg_in {
    uint32_t load_addr;
    const uint8_t *data;
    uint32_t len;           /* padded with zeros to a multiple of 4 */
};

/* Defaults elf2image uses: QIO, 40m, 1MB, min 0, max 0xFFFF, digest. */
void app_image_params_default(struct app_image_params *p, uint16_t chip_id);

/* Writes the segments in the order given (no reordering, no padding
 * segments added): header, segments, checksum, digest. Returns the image
 * length, or 0 if cap is too small or there are more than 16 segments. */
size_t app_image_write(const struct app_image_params *p,
                       const struct app_image_seg_in *segs, size_t n,
                       uint8_t *out, size_t cap);

/* Lays segments out as esptool elf2image does: flash-mapped segments
 * (IROM/DROM windows of the chip) in address order, each placed so its
 * file offset matches its address modulo 64 KiB, the gaps filled first
 * with RAM segments (split if needed) and then zero padding segments;
 * remaining RAM segments after. Segments whose address is flash-mapped
 * must not share a 64 KiB page. Returns the image length or 0 (message in
 * why) when cap is too small or the layout is impossible. */
size_t app_image_build(const struct app_image_params *p,
                       const struct app_image_seg_in *segs, size_t n,
                       uint8_t *out, size_t cap, char *why, size_t why_cap);

#endif
