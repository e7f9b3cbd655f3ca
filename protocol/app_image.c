/* ESP32-family app/bootloader image codec (formats.md §1; esptool v4.8.1
 * bin_image.py and cmds.py image_info for what is printed and how images
 * are laid out). */
#include "app_image.h"
#include "le_bytes.h"
#include "mbedtls_compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- per-chip facts ---- */

struct mem_region {
    uint32_t start, end;
    uint32_t type;
};

struct freq_name {
    const char *name;
    uint8_t code;
};

struct image_chip {
    uint16_t id;
    const char *name;
    uint32_t irom_start, irom_end, drom_start, drom_end; /* 0,0 = unknown */
    const struct freq_name *freqs;  /* esptool's dict order */
    const struct mem_region *map;   /* esptool's MEMORY_MAP order */
    size_t map_n;
    bool pad_short_flash_segments;  /* ESP32 bootloader workaround */
};

static const struct freq_name freq_esp32[] = {
    {"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}, {NULL, 0}};
static const struct freq_name freq_c2[] = {
    {"60m", 0xF}, {"30m", 0x0}, {"20m", 0x1}, {"15m", 0x2}, {NULL, 0}};
/* esptool writes 0 for 80m too (ROM divider workaround), so 0 reads "80m". */
static const struct freq_name freq_c6[] = {
    {"80m", 0x0}, {"40m", 0x0}, {"20m", 0x2}, {NULL, 0}};
static const struct freq_name freq_h2[] = {
    {"48m", 0xF}, {"24m", 0x0}, {"16m", 0x1}, {"12m", 0x2}, {NULL, 0}};
static const struct freq_name freq_c5[] = {
    {"80m", 0xF}, {"40m", 0x0}, {"20m", 0x2}, {NULL, 0}};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct mem_region map_esp32[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x3F400000, 0x3F800000, APP_MEM_DROM},
    {0x3F800000, 0x3FC00000, APP_MEM_EXTRAM_DATA},
    {0x3FF80000, 0x3FF82000, APP_MEM_RTC_DRAM},
    {0x3FF90000, 0x40000000, APP_MEM_BYTE_ACCESSIBLE},
    {0x3FFAE000, 0x40000000, APP_MEM_DRAM},
    {0x3FFE0000, 0x3FFFFFFC, APP_MEM_DIRAM_DRAM},
    {0x40000000, 0x40070000, APP_MEM_IROM},
    {0x40070000, 0x40078000, APP_MEM_CACHE_PRO},
    {0x40078000, 0x40080000, APP_MEM_CACHE_APP},
    {0x40080000, 0x400A0000, APP_MEM_IRAM},
    {0x400A0000, 0x400BFFFC, APP_MEM_DIRAM_IRAM},
    {0x400C0000, 0x400C2000, APP_MEM_RTC_IRAM},
    {0x400D0000, 0x40400000, APP_MEM_IROM},
    {0x50000000, 0x50002000, APP_MEM_RTC_DATA},
};
static const struct mem_region map_s2[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x3F000000, 0x3FF80000, APP_MEM_DROM},
    {0x3F500000, 0x3FF80000, APP_MEM_EXTRAM_DATA},
    {0x3FF9E000, 0x3FFA0000, APP_MEM_RTC_DRAM},
    {0x3FF9E000, 0x40000000, APP_MEM_BYTE_ACCESSIBLE},
    {0x3FF9E000, 0x40072000, APP_MEM_MEM_INTERNAL},
    {0x3FFB0000, 0x40000000, APP_MEM_DRAM},
    {0x40000000, 0x4001A100, APP_MEM_IROM_MASK},
    {0x40020000, 0x40070000, APP_MEM_IRAM},
    {0x40070000, 0x40072000, APP_MEM_RTC_IRAM},
    {0x40080000, 0x40800000, APP_MEM_IROM},
    {0x50000000, 0x50002000, APP_MEM_RTC_DATA},
};
static const struct mem_region map_s3[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x3C000000, 0x3D000000, APP_MEM_DROM},
    {0x3D000000, 0x3E000000, APP_MEM_EXTRAM_DATA},
    {0x600FE000, 0x60100000, APP_MEM_RTC_DRAM},
    {0x3FC88000, 0x3FD00000, APP_MEM_BYTE_ACCESSIBLE},
    {0x3FC88000, 0x403E2000, APP_MEM_MEM_INTERNAL},
    {0x3FC88000, 0x3FD00000, APP_MEM_DRAM},
    {0x40000000, 0x4001A100, APP_MEM_IROM_MASK},
    {0x40370000, 0x403E0000, APP_MEM_IRAM},
    {0x600FE000, 0x60100000, APP_MEM_RTC_IRAM},
    {0x42000000, 0x42800000, APP_MEM_IROM},
    {0x50000000, 0x50002000, APP_MEM_RTC_DATA},
};
static const struct mem_region map_c3[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x3C000000, 0x3C800000, APP_MEM_DROM},
    {0x3FC80000, 0x3FCE0000, APP_MEM_DRAM},
    {0x3FC88000, 0x3FD00000, APP_MEM_BYTE_ACCESSIBLE},
    {0x3FF00000, 0x3FF20000, APP_MEM_DROM_MASK},
    {0x40000000, 0x40060000, APP_MEM_IROM_MASK},
    {0x42000000, 0x42800000, APP_MEM_IROM},
    {0x4037C000, 0x403E0000, APP_MEM_IRAM},
    {0x50000000, 0x50002000, APP_MEM_RTC_IRAM},
    {0x50000000, 0x50002000, APP_MEM_RTC_DRAM},
    {0x600FE000, 0x60100000, APP_MEM_MEM_INTERNAL2},
};
static const struct mem_region map_c2[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x3C000000, 0x3C400000, APP_MEM_DROM},
    {0x3FCA0000, 0x3FCE0000, APP_MEM_DRAM},
    {0x3FC88000, 0x3FD00000, APP_MEM_BYTE_ACCESSIBLE},
    {0x3FF00000, 0x3FF50000, APP_MEM_DROM_MASK},
    {0x40000000, 0x40090000, APP_MEM_IROM_MASK},
    {0x42000000, 0x42400000, APP_MEM_IROM},
    {0x4037C000, 0x403C0000, APP_MEM_IRAM},
};
/* ESP32-C6; esptool v4.8.1 uses the same map for ESP32-H2. */
static const struct mem_region map_c6[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x42800000, 0x43000000, APP_MEM_DROM},
    {0x40800000, 0x40880000, APP_MEM_DRAM},
    {0x40800000, 0x40880000, APP_MEM_BYTE_ACCESSIBLE},
    {0x4004AC00, 0x40050000, APP_MEM_DROM_MASK},
    {0x40000000, 0x4004AC00, APP_MEM_IROM_MASK},
    {0x42000000, 0x42800000, APP_MEM_IROM},
    {0x40800000, 0x40880000, APP_MEM_IRAM},
    {0x50000000, 0x50004000, APP_MEM_RTC_IRAM},
    {0x50000000, 0x50004000, APP_MEM_RTC_DRAM},
    {0x600FE000, 0x60100000, APP_MEM_MEM_INTERNAL2},
};

/* esptool targets/esp32c5.py MEMORY_MAP. */
static const struct mem_region map_c5[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x42000000, 0x44000000, APP_MEM_DROM},
    {0x40800000, 0x40860000, APP_MEM_DRAM},
    {0x40800000, 0x40860000, APP_MEM_BYTE_ACCESSIBLE},
    {0x4003A000, 0x40040000, APP_MEM_DROM_MASK},
    {0x40000000, 0x4003A000, APP_MEM_IROM_MASK},
    {0x42000000, 0x44000000, APP_MEM_IROM},
    {0x40800000, 0x40860000, APP_MEM_IRAM},
    {0x50000000, 0x50004000, APP_MEM_RTC_IRAM},
    {0x50000000, 0x50004000, APP_MEM_RTC_DRAM},
    {0x600FE000, 0x60100000, APP_MEM_MEM_INTERNAL2},
};
/* esptool targets/esp32p4.py MEMORY_MAP. */
static const struct mem_region map_p4[] = {
    {0x00000000, 0x00010000, APP_MEM_PADDING},
    {0x40000000, 0x4C000000, APP_MEM_DROM},
    {0x4FF00000, 0x4FFA0000, APP_MEM_DRAM},
    {0x4FF00000, 0x4FFA0000, APP_MEM_BYTE_ACCESSIBLE},
    {0x4FC00000, 0x4FC20000, APP_MEM_DROM_MASK},
    {0x4FC00000, 0x4FC20000, APP_MEM_IROM_MASK},
    {0x40000000, 0x4C000000, APP_MEM_IROM},
    {0x4FF00000, 0x4FFA0000, APP_MEM_IRAM},
    {0x50108000, 0x50110000, APP_MEM_RTC_IRAM},
    {0x50108000, 0x50110000, APP_MEM_RTC_DRAM},
    {0x600FE000, 0x60100000, APP_MEM_MEM_INTERNAL2},
};

static const struct image_chip chips[] = {
    {0, "ESP32", 0x400D0000, 0x40400000, 0x3F400000, 0x3F800000, freq_esp32,
     map_esp32, N(map_esp32), true},
    {2, "ESP32-S2", 0x40080000, 0x40B80000, 0x3F000000, 0x3F3F0000,
     freq_esp32, map_s2, N(map_s2), false},
    {5, "ESP32-C3", 0x42000000, 0x42800000, 0x3C000000, 0x3C800000,
     freq_esp32, map_c3, N(map_c3), false},
    {9, "ESP32-S3", 0x42000000, 0x44000000, 0x3C000000, 0x3E000000,
     freq_esp32, map_s3, N(map_s3), false},
    {12, "ESP32-C2", 0x42000000, 0x42400000, 0x3C000000, 0x3C400000, freq_c2,
     map_c2, N(map_c2), false},
    {13, "ESP32-C6", 0x42000000, 0x42800000, 0x42800000, 0x43000000, freq_c6,
     map_c6, N(map_c6), false},
    {16, "ESP32-H2", 0x42000000, 0x42800000, 0x42800000, 0x43000000, freq_h2,
     map_c6, N(map_c6), false},
    {18, "ESP32-P4", 0x40000000, 0x4C000000, 0x40000000, 0x4C000000, freq_esp32,
     map_p4, N(map_p4), false},
    /* No C61 map yet: esptool's esp32c61.py maps IROM at 0x41000000 but
     * keeps the C6's IROM_MAP_START; which one holds was not settled. */
    {20, "ESP32-C61", 0, 0, 0, 0, freq_c5, NULL, 0, false},
    {23, "ESP32-C5", 0x42000000, 0x44000000, 0x42000000, 0x44000000, freq_c5,
     map_c5, N(map_c5), false},
    {25, "ESP32-H21", 0, 0, 0, 0, freq_h2, NULL, 0, false},
    {28, "ESP32-H4", 0, 0, 0, 0, freq_h2, NULL, 0, false},
};

static const struct image_chip *chip_of(uint16_t id)
{
    for (size_t i = 0; i < N(chips); i++)
        if (chips[i].id == id)
            return &chips[i];
    return NULL;
}

static const char *const mem_type_names[] = {
    "PADDING", "DROM", "EXTRAM_DATA", "RTC_DRAM", "BYTE_ACCESSIBLE",
    "MEM_INTERNAL", "DRAM", "DIRAM_DRAM", "IROM", "IROM_MASK", "DROM_MASK",
    "CACHE_PRO", "CACHE_APP", "IRAM", "DIRAM_IRAM", "RTC_IRAM", "RTC_DATA",
    "MEM_INTERNAL2",
};

static const char *mem_type_name(uint32_t bit)
{
    for (unsigned i = 0; i < N(mem_type_names); i++)
        if (bit == 1u << i)
            return mem_type_names[i];
    return "?";
}

const char *app_image_chip_name(uint16_t chip_id)
{
    const struct image_chip *c = chip_of(chip_id);
    return c ? c->name : NULL;
}

uint32_t app_image_mem_types(uint16_t chip_id, uint32_t addr)
{
    const struct image_chip *c = chip_of(chip_id);
    uint32_t t = 0;
    for (size_t i = 0; c && i < c->map_n; i++)
        if (addr >= c->map[i].start && addr < c->map[i].end)
            t |= c->map[i].type;
    return t;
}

void app_image_mem_types_str(uint16_t chip_id, uint32_t mem_types,
                             const char *sep, char *out, size_t cap)
{
    const struct image_chip *c = chip_of(chip_id);
    size_t used = 0;
    uint32_t printed = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; c && i < c->map_n; i++) {
        uint32_t t = c->map[i].type;
        if (!(mem_types & t) || (printed & t))
            continue;
        printed |= t;
        int n = snprintf(out + used, cap > used ? cap - used : 0, "%s%s",
                         used ? sep : "", mem_type_name(t));
        if (n > 0)
            used += (size_t)n;
        if (used >= cap)
            break;
    }
}

static const char *const mode_names[] = {"QIO", "QOUT", "DIO", "DOUT"};
static const char *const size_names[] = {"1MB", "2MB", "4MB", "8MB",
                                         "16MB", "32MB", "64MB", "128MB"};

const char *app_image_flash_mode_name(uint8_t mode)
{
    return mode < N(mode_names) ? mode_names[mode] : NULL;
}

const char *app_image_flash_size_name(uint8_t code)
{
    return code < N(size_names) ? size_names[code] : NULL;
}

uint32_t app_image_flash_size_bytes(uint8_t code)
{
    return code < N(size_names) ? (uint32_t)0x100000u << code : 0;
}

static const struct freq_name *freqs_of(uint16_t chip_id)
{
    const struct image_chip *c = chip_of(chip_id);
    return c ? c->freqs : freq_esp32;
}

const char *app_image_flash_freq_name(uint16_t chip_id, uint8_t code)
{
    for (const struct freq_name *f = freqs_of(chip_id); f->name; f++)
        if (f->code == code)
            return f->name;
    return NULL;
}

int app_image_flash_mode_code(const char *name)
{
    for (size_t i = 0; i < N(mode_names); i++)
        if (strcasecmp(name, mode_names[i]) == 0)
            return (int)i;
    return -1;
}

int app_image_flash_size_code(const char *name)
{
    for (size_t i = 0; i < N(size_names); i++)
        if (strcasecmp(name, size_names[i]) == 0)
            return (int)i;
    return -1;
}

int app_image_flash_freq_code(uint16_t chip_id, const char *name)
{
    for (const struct freq_name *f = freqs_of(chip_id); f->name; f++)
        if (strcasecmp(name, f->name) == 0)
            return f->code;
    return -1;
}

/* ---- parsing ---- */

static enum app_image_status say(enum app_image_status st, char *why,
                                 size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Copies a fixed-size string field, stopping at the first NUL. */
static void field_str(char *dst, const uint8_t *src, size_t n)
{
    size_t k = 0;
    while (k < n && src[k])
        k++;
    memcpy(dst, src, k);
    dst[k] = '\0';
}

static void read_descriptors(const uint8_t *buf, struct app_image_info *info)
{
    if (info->segment_count == 0)
        return;
    const struct app_image_segment *s = &info->seg[0];
    const uint8_t *d = buf + s->data_offset;
    bool known = chip_of(info->chip_id) && s->mem_types;
    bool drom = known ? (s->mem_types & APP_MEM_DROM) != 0 : true;
    bool dram = known && (s->mem_types & APP_MEM_DRAM) != 0;
    if (drom && s->data_len >= APP_DESC_LEN && le32_get(d) == APP_DESC_MAGIC) {
        struct app_desc *a = &info->app;
        a->present = true;
        a->secure_version = le32_get(d + 0x04);
        field_str(a->version, d + 0x10, 32);
        field_str(a->project_name, d + 0x30, 32);
        field_str(a->time, d + 0x50, 16);
        field_str(a->date, d + 0x60, 16);
        field_str(a->idf_ver, d + 0x70, 32);
        memcpy(a->app_elf_sha256, d + 0x90, 32);
        a->min_efuse_blk_rev_full = le16_get(d + 0xB0);
        a->max_efuse_blk_rev_full = le16_get(d + 0xB2);
        a->mmu_page_size_log2 = d[0xB4];
        a->spi_flash_mode = d[0xB5];
    } else if (dram && s->data_len >= BOOTLOADER_DESC_LEN &&
               d[0] == BOOTLOADER_DESC_MAGIC) {
        struct bootloader_desc *b = &info->boot;
        b->present = true;
        b->secure_version = d[3];
        b->version = le32_get(d + 4);
        field_str(b->idf_ver, d + 8, 32);
        field_str(b->date_time, d + 40, 24);
    }
}

static void parse_headers(const uint8_t *buf, struct app_image_info *info)
{
    info->flash_mode = buf[2];
    info->flash_size_code = buf[3] >> 4;
    info->flash_freq_code = buf[3] & 0x0F;
    info->entry = le32_get(buf + 4);
    info->wp_pin = buf[8];
    info->clk_drv = buf[9] & 0x0F;
    info->q_drv = buf[9] >> 4;
    info->d_drv = buf[10] & 0x0F;
    info->cs_drv = buf[10] >> 4;
    info->hd_drv = buf[11] & 0x0F;
    info->wp_drv = buf[11] >> 4;
    info->chip_id = le16_get(buf + 12);
    info->min_rev_legacy = buf[14];
    info->min_rev_full = le16_get(buf + 15);
    info->max_rev_full = le16_get(buf + 17);
    info->hash_appended = buf[23];
}

/* info->segment_count counts the segments read so far, so a damaged image
 * never shows more than were really there. */
static enum app_image_status parse_segments(const uint8_t *buf, size_t len,
                                            struct app_image_info *info,
                                            unsigned declared, size_t *pos,
                                            char *why, size_t cap)
{
    for (unsigned i = 0; i < declared; i++) {
        struct app_image_segment *s = &info->seg[i];
        if (*pos + APP_IMAGE_SEG_HEADER_LEN > len)
            return say(APP_IMAGE_TRUNCATED, why, cap,
                       "image is truncated: the header of segment %u is "
                       "missing (file is %zu bytes); the file is incomplete, "
                       "copy or download it again", i, len);
        s->header_offset = (uint32_t)*pos;
        s->data_offset = (uint32_t)*pos + APP_IMAGE_SEG_HEADER_LEN;
        s->load_addr = le32_get(buf + *pos);
        s->data_len = le32_get(buf + *pos + 4);
        s->mem_types = app_image_mem_types(info->chip_id, s->load_addr);
        if (s->data_len % 4 || s->data_len >= 0x1000000u)
            return say(APP_IMAGE_BAD_SEGMENT, why, cap,
                       "segment %u has an invalid length 0x%x (must be a "
                       "multiple of 4 and below 16 MB): this is not a valid "
                       "image, rebuild it", i, s->data_len);
        if (s->data_len > len - s->data_offset)
            return say(APP_IMAGE_TRUNCATED, why, cap,
                       "image is truncated: segment %u (load 0x%08x, length "
                       "0x%x) runs past the end of the file (%zu bytes); the "
                       "file is incomplete, copy or download it again", i,
                       s->load_addr, s->data_len, len);
        *pos = s->data_offset + s->data_len;
        info->segment_count = (uint8_t)(i + 1);
    }
    return APP_IMAGE_OK;
}

static uint8_t checksum_of(const uint8_t *buf,
                           const struct app_image_info *info)
{
    uint8_t c = APP_IMAGE_CHECKSUM_SEED;
    for (unsigned i = 0; i < info->segment_count; i++)
        for (uint32_t k = 0; k < info->seg[i].data_len; k++)
            c ^= buf[info->seg[i].data_offset + k];
    return c;
}

static enum app_image_status parse_footer(const uint8_t *buf, size_t len,
                                          struct app_image_info *info,
                                          size_t pos, char *why, size_t cap)
{
    size_t ck = pos | 15;   /* next offset that is 15 mod 16 */
    size_t end = ck + 1 + (info->hash_appended ? APP_IMAGE_DIGEST_LEN : 0);
    if (end > len)
        return say(APP_IMAGE_TRUNCATED, why, cap,
                   "image is truncated: the %s is missing (need %zu bytes, "
                   "file is %zu); the file is incomplete, copy or download "
                   "it again", ck + 1 > len ? "checksum" : "SHA-256 digest",
                   end, len);
    info->checksum_offset = (uint32_t)ck;
    info->image_len = (uint32_t)end;
    info->checksum_stored = buf[ck];
    info->checksum_calc = checksum_of(buf, info);
    info->checksum_valid = info->checksum_stored == info->checksum_calc;
    if (info->hash_appended) {
        memcpy(info->digest_stored, buf + ck + 1, 32);
        sha256_once(buf, ck + 1, info->digest_calc);
        info->digest_valid =
            memcmp(info->digest_stored, info->digest_calc, 32) == 0;
    }
    read_descriptors(buf, info);
    if (!info->checksum_valid)
        return say(APP_IMAGE_BAD_CHECKSUM, why, cap,
                   "image checksum mismatch (stored 0x%02x, computed 0x%02x): "
                   "the file is damaged; rebuild it or fetch it again",
                   info->checksum_stored, info->checksum_calc);
    if (info->hash_appended && !info->digest_valid)
        return say(APP_IMAGE_BAD_DIGEST, why, cap,
                   "image SHA-256 digest mismatch: the file is damaged or "
                   "was changed after it was built; rebuild it or fetch it "
                   "again");
    return APP_IMAGE_OK;
}

enum app_image_status app_image_parse(const uint8_t *buf, size_t len,
                                      struct app_image_info *info, char *why,
                                      size_t cap)
{
    memset(info, 0, sizeof *info);
    info->file_size = len;
    if (len == 0)
        return say(APP_IMAGE_EMPTY, why, cap, "image file is empty");
    if (buf[0] != APP_IMAGE_MAGIC)
        return say(APP_IMAGE_BAD_MAGIC, why, cap,
                   "not an ESP32-family image: the first byte is 0x%02x, not "
                   "0xE9; check that this is the right file", buf[0]);
    if (len < APP_IMAGE_HEADER_LEN)
        return say(APP_IMAGE_TRUNCATED, why, cap,
                   "image is truncated: %zu bytes, shorter than its 24-byte "
                   "header", len);
    parse_headers(buf, info);
    if (info->hash_appended > 1)
        return say(APP_IMAGE_BAD_HEADER, why, cap,
                   "image header is invalid: the digest flag is %u (must be "
                   "0 or 1); is this an ESP8266 image or a damaged file?",
                   info->hash_appended);
    unsigned declared = buf[1];
    if (declared > APP_IMAGE_MAX_SEGMENTS)
        return say(APP_IMAGE_BAD_HEADER, why, cap,
                   "image header says %u segments, at most 16 are allowed: "
                   "the file is damaged or not an image", declared);
    size_t pos = APP_IMAGE_HEADER_LEN;
    enum app_image_status st = parse_segments(buf, len, info, declared, &pos,
                                              why, cap);
    if (st != APP_IMAGE_OK)
        return st;
    return parse_footer(buf, len, info, pos, why, cap);
}

static void rev_str(char *out, size_t cap, unsigned rev)
{
    snprintf(out, cap, "v%u.%u", rev / 100, rev % 100);
}

bool app_image_fits_chip(const struct app_image_info *info, uint16_t chip_id,
                         int chip_rev, bool is_app, char *why, size_t cap)
{
    if (info->chip_id != chip_id) {
        const char *want = app_image_chip_name(info->chip_id);
        const char *have = app_image_chip_name(chip_id);
        say(APP_IMAGE_OK, why, cap,
            "image is built for %s (chip id %u) but the board is %s (chip id "
            "%u): use the firmware built for this chip",
            want ? want : "an unknown chip", info->chip_id,
            have ? have : "an unknown chip", chip_id);
        return false;
    }
    if (chip_rev < 0)
        return true;
    char a[16], b[16];
    if ((unsigned)chip_rev < info->min_rev_full) {
        rev_str(a, sizeof a, info->min_rev_full);
        rev_str(b, sizeof b, (unsigned)chip_rev);
        say(APP_IMAGE_OK, why, cap,
            "image needs chip revision %s or later, this chip is %s: build "
            "the firmware for this revision", a, b);
        return false;
    }
    bool max_set = info->max_rev_full != 0 && info->max_rev_full != 0xFFFF;
    if (is_app && max_set && (unsigned)chip_rev > info->max_rev_full) {
        rev_str(a, sizeof a, info->max_rev_full);
        rev_str(b, sizeof b, (unsigned)chip_rev);
        say(APP_IMAGE_OK, why, cap,
            "image supports chip revisions up to %s, this chip is %s: build "
            "the firmware with a higher maximum revision", a, b);
        return false;
    }
    return true;
}

/* ---- flash parameter patch ---- */

int app_image_patch_flash_params(uint8_t *buf, size_t len, int mode,
                                 int size_code, int freq_code, char *why,
                                 size_t cap)
{
    struct app_image_info info;
    enum app_image_status st = app_image_parse(buf, len, &info, why, cap);
    if (st != APP_IMAGE_OK && st != APP_IMAGE_BAD_CHECKSUM &&
        st != APP_IMAGE_BAD_DIGEST)
        return -1;
    if (mode > 0xFF || size_code > 0xF || freq_code > 0xF) {
        say(APP_IMAGE_OK, why, cap, "flash parameter out of range");
        return -1;
    }
    if (mode >= 0)
        buf[2] = (uint8_t)mode;
    uint8_t size = size_code >= 0 ? (uint8_t)size_code : buf[3] >> 4;
    uint8_t freq = freq_code >= 0 ? (uint8_t)freq_code : buf[3] & 0x0F;
    buf[3] = (uint8_t)(size << 4 | freq);
    if (info.hash_appended)
        sha256_once(buf, (size_t)info.checksum_offset + 1,
                    buf + info.checksum_offset + 1);
    return 0;
}

/* ---- writer ---- */

/* Copies a string into a fixed field, NUL-padded, always leaving a NUL. */
static void put_field(uint8_t *dst, const char *s, size_t n)
{
    memset(dst, 0, n);
    size_t k = strnlen(s, n - 1);
    memcpy(dst, s, k);
}

void app_desc_encode(const struct app_desc *d, uint8_t out[APP_DESC_LEN])
{
    memset(out, 0, APP_DESC_LEN);
    le32_put(out, APP_DESC_MAGIC);
    le32_put(out + 0x04, d->secure_version);
    put_field(out + 0x10, d->version, 32);
    put_field(out + 0x30, d->project_name, 32);
    put_field(out + 0x50, d->time, 16);
    put_field(out + 0x60, d->date, 16);
    put_field(out + 0x70, d->idf_ver, 32);
    memcpy(out + 0x90, d->app_elf_sha256, 32);
    le16_put(out + 0xB0, d->min_efuse_blk_rev_full);
    le16_put(out + 0xB2, d->max_efuse_blk_rev_full);
    out[0xB4] = d->mmu_page_size_log2;
    out[0xB5] = d->spi_flash_mode;
}

void bootloader_desc_encode(const struct bootloader_desc *d,
                            uint8_t out[BOOTLOADER_DESC_LEN])
{
    memset(out, 0, BOOTLOADER_DESC_LEN);
    out[0] = BOOTLOADER_DESC_MAGIC;
    out[3] = d->secure_version;
    le32_put(out + 4, d->version);
    put_field(out + 8, d->idf_ver, 32);
    put_field(out + 40, d->date_time, 24);
}

void app_image_params_default(struct app_image_params *p, uint16_t chip_id)
{
    memset(p, 0, sizeof *p);
    p->chip_id = chip_id;
    p->flash_mode = APP_FLASH_QIO;
    p->flash_size_code = 0;     /* 1MB */
    p->flash_freq_code = 0;     /* 40m on most chips */
    p->max_rev_full = 0xFFFF;
    p->append_digest = true;
}

struct out {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
    uint8_t checksum;
    unsigned segments;
};

static void emit(struct out *o, const void *p, size_t n)
{
    if (o->overflow || n > o->cap - o->len) {
        o->overflow = true;
        return;
    }
    if (p)
        memcpy(o->buf + o->len, p, n);
    else
        memset(o->buf + o->len, 0, n);
    o->len += n;
}

static void emit_header(struct out *o, const struct app_image_params *p)
{
    uint8_t h[APP_IMAGE_HEADER_LEN] = {0};
    h[0] = APP_IMAGE_MAGIC;
    h[2] = p->flash_mode;
    h[3] = (uint8_t)(p->flash_size_code << 4 | (p->flash_freq_code & 0x0F));
    le32_put(h + 4, p->entry);
    h[8] = APP_IMAGE_WP_DISABLED;
    le16_put(h + 12, p->chip_id);
    h[14] = p->min_rev_legacy;
    le16_put(h + 15, p->min_rev_full);
    le16_put(h + 17, p->max_rev_full);
    h[23] = p->append_digest ? 1 : 0;
    emit(o, h, sizeof h);
}

/* data may be NULL for a zero-filled (padding) segment; `extra` zero bytes
 * are appended after the data's own padding to 4. */
static void emit_segment_extra(struct out *o, uint32_t addr,
                               const uint8_t *data, uint32_t len,
                               uint32_t extra)
{
    uint32_t padded = ((len + 3) & ~3u) + extra;
    uint8_t h[8];
    le32_put(h, addr);
    le32_put(h + 4, padded);
    emit(o, h, 8);
    size_t at = o->len;
    emit(o, data, len);
    emit(o, NULL, padded - len);
    if (!o->overflow)
        for (uint32_t i = 0; i < len; i++)
            o->checksum ^= o->buf[at + i];
    o->segments++;
}

static void emit_segment(struct out *o, uint32_t addr, const uint8_t *data,
                         uint32_t len)
{
    emit_segment_extra(o, addr, data, len, 0);
}

static size_t emit_footer(struct out *o, const struct app_image_params *p)
{
    emit(o, NULL, 15 - o->len % 16);
    emit(o, &o->checksum, 1);
    if (o->overflow || o->segments > APP_IMAGE_MAX_SEGMENTS)
        return 0;
    o->buf[1] = (uint8_t)o->segments;
    if (p->append_digest) {
        uint8_t d[32];
        sha256_once(o->buf, o->len, d);
        emit(o, d, sizeof d);
    }
    return o->overflow ? 0 : o->len;
}

size_t app_image_write(const struct app_image_params *p,
                       const struct app_image_seg_in *segs, size_t n,
                       uint8_t *out, size_t cap)
{
    if (n > APP_IMAGE_MAX_SEGMENTS)
        return 0;
    struct out o = {out, cap, 0, false, APP_IMAGE_CHECKSUM_SEED, 0};
    emit_header(&o, p);
    for (size_t i = 0; i < n; i++)
        emit_segment(&o, segs[i].load_addr, segs[i].data, segs[i].len);
    return emit_footer(&o, p);
}

/* ---- elf2image layout ---- */

/* A segment still to place; RAM segments shrink from the front when parts
 * of them fill an alignment gap. */
struct pending {
    uint32_t addr;
    const uint8_t *data;
    uint32_t len;
};

static bool is_flash_addr(const struct image_chip *c, uint32_t a)
{
    return (a >= c->irom_start && a < c->irom_end) ||
           (a >= c->drom_start && a < c->drom_end);
}

static void sort_by_addr(struct pending *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct pending x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1].addr > x.addr) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Bytes of padding-segment data needed before a segment header at `pos` so
 * that the segment's data lands at addr mod 64 KiB (esptool's rule,
 * including its second subtraction for the padding segment's own header). */
static uint32_t gap_before(size_t pos, uint32_t addr)
{
    const uint32_t A = APP_IMAGE_FLASH_ALIGN, H = APP_IMAGE_SEG_HEADER_LEN;
    long pad = (long)(A - pos % A) + (long)(addr % A) - (long)H;
    if (pad == 0 || pad == (long)A)
        return 0;
    pad -= H;
    if (pad < 0)
        pad += A;
    return (uint32_t)pad;
}

static void place_flash_segments(struct out *o, const struct image_chip *c,
                                   struct pending *fl, size_t nf,
                                   struct pending *ram, size_t nr,
                                   size_t *ram_at)
{
    size_t i = 0;
    while (i < nf && !o->overflow && o->segments <= APP_IMAGE_MAX_SEGMENTS) {
        uint32_t pad = gap_before(o->len, fl[i].addr);
        if (pad == 0) {
            uint32_t len = fl[i].len;
            uint32_t extra = 0;
            if (c->pad_short_flash_segments) {
                size_t end = o->len + APP_IMAGE_SEG_HEADER_LEN +
                             ((len + 3) & ~3u);
                uint32_t rem = (uint32_t)(end % APP_IMAGE_FLASH_ALIGN);
                if (rem < 0x24)
                    extra = 0x24 - rem;
            }
            emit_segment_extra(o, fl[i].addr, fl[i].data, len, extra);
            i++;
            continue;
        }
        if (*ram_at < nr && pad > APP_IMAGE_SEG_HEADER_LEN) {
            struct pending *r = &ram[*ram_at];
            uint32_t take = r->len < pad ? r->len : pad;
            emit_segment(o, r->addr, r->data, take);
            r->addr += take;
            r->data += take;
            r->len -= take;
            if (r->len == 0)
                (*ram_at)++;
        } else {
            emit_segment(o, 0, NULL, pad);
        }
    }
}

size_t app_image_build(const struct app_image_params *p,
                       const struct app_image_seg_in *segs, size_t n,
                       uint8_t *out, size_t cap, char *why, size_t why_cap)
{
    const struct image_chip *c = chip_of(p->chip_id);
    if (!c || c->irom_end == 0) {
        say(APP_IMAGE_OK, why, why_cap, "no memory map for chip id %u: "
            "cannot lay out an image for it", p->chip_id);
        return 0;
    }
    if (n > APP_IMAGE_MAX_SEGMENTS) {
        say(APP_IMAGE_OK, why, why_cap, "%zu segments, at most 16 fit", n);
        return 0;
    }
    struct pending fl[APP_IMAGE_MAX_SEGMENTS], ram[APP_IMAGE_MAX_SEGMENTS];
    size_t nf = 0, nr = 0;
    for (size_t i = 0; i < n; i++) {
        struct pending s = {segs[i].load_addr, segs[i].data, segs[i].len};
        if (is_flash_addr(c, s.addr))
            fl[nf++] = s;
        else
            ram[nr++] = s;
    }
    sort_by_addr(fl, nf);
    sort_by_addr(ram, nr);
    for (size_t i = 0; i < nf; i++)
        if (fl[i].addr % 4) {
            say(APP_IMAGE_OK, why, why_cap, "flash-mapped segment at 0x%08x "
                "is not 4-byte aligned", fl[i].addr);
            return 0;
        }
    for (size_t i = 1; i < nf; i++)
        if (fl[i].addr / APP_IMAGE_FLASH_ALIGN ==
            fl[i - 1].addr / APP_IMAGE_FLASH_ALIGN) {
            say(APP_IMAGE_OK, why, why_cap, "segments at 0x%08x and 0x%08x "
                "share one 64 KiB flash page; merge them",
                fl[i - 1].addr, fl[i].addr);
            return 0;
        }
    struct out o = {out, cap, 0, false, APP_IMAGE_CHECKSUM_SEED, 0};
    emit_header(&o, p);
    size_t ram_at = 0;
    place_flash_segments(&o, c, fl, nf, ram, nr, &ram_at);
    for (; ram_at < nr; ram_at++)
        emit_segment(&o, ram[ram_at].addr, ram[ram_at].data, ram[ram_at].len);
    size_t len = o.segments > APP_IMAGE_MAX_SEGMENTS ? 0 : emit_footer(&o, p);
    if (len == 0)
        say(APP_IMAGE_OK, why, why_cap, o.overflow
            ? "output buffer too small for the image"
            : "the layout needs more than 16 segments");
    return len;
}
