/* The chip table: everything per chip that a host needs to detect, identify
 * and flash it (reference/rom-protocol.md §6–§8, formats.md §0.1). */
#ifndef JIGD_CHIP_H
#define JIGD_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum chip_kind {
    CHIP_UNKNOWN = 0,
    CHIP_ESP8266,
    CHIP_ESP32,
    CHIP_ESP32S2,
    CHIP_ESP32S3,
    CHIP_ESP32C2,
    CHIP_ESP32C3,
    CHIP_ESP32C6,
    CHIP_ESP32H2,
    CHIP_ESP32C5,
    CHIP_ESP32P4,
    CHIP_ESP32C61,
};

#define CHIP_MAGIC_REG 0x40001000u
#define CHIP_MAX_MAGIC 4
#define CHIP_MAX_REV_REGS 4

struct chip_spi_regs {
    uint32_t base;          /* CMD at base+0, ADDR at base+4 */
    uint8_t usr, usr1, usr2, mosi_dlen, miso_dlen, w0; /* offsets; dlen 0 = none */
    bool addr_msb_aligned;  /* ESP8266, ESP32 */
};

struct chip_desc {
    enum chip_kind kind;
    const char *name;               /* "ESP32-C3" */
    const char *stub_name;          /* "esp32c3": lower-case name and stub
                                     * JSON file stem; pick the file with
                                     * chip_stub_name() */
    const char *early_stub_name;    /* stub for revisions below
                                     * early_stub_below, NULL if one fits all */
    int early_stub_below;
    int image_chip_id;              /* image header / security info id, -1 none */
    uint32_t magic[CHIP_MAX_MAGIC]; /* values at 0x40001000; 0 ends the list,
                                     * so a chip whose ROM reads 0 (P4) is
                                     * found only by its chip id */
    int rom_status_len;             /* 2 (ESP8266) or 4 */
    bool rom_has_security_info;
    bool rom_has_defl;              /* FLASH_DEFL_* in ROM */
    bool rom_has_md5;
    bool rom_needs_spi_attach;
    bool rom_begin_has_encrypt_word;/* ROM FLASH_BEGIN takes 5 words */
    uint32_t bootloader_offset;
    uint32_t mac_regs[3];           /* words to READ_REG for the MAC, 0 unused */
    uint32_t rev_regs[CHIP_MAX_REV_REGS]; /* words to READ_REG for the revision */
    uint32_t uart_clkdiv_reg;       /* 0: crystal fixed, nothing to read */
    uint32_t gpio_out_w1ts, gpio_out_w1tc, gpio_enable_w1ts; /* identify LED;
                                     * 0 = unknown, no blinking */
    int boot_strap_gpio;
    struct chip_spi_regs spi;
};

const struct chip_desc *chip_by_kind(enum chip_kind k);
/* Never matches 0: no chip is told by a magic of 0 (§6.1). */
const struct chip_desc *chip_by_magic(uint32_t magic);
const struct chip_desc *chip_by_image_id(int image_chip_id);
/* Accepts "esp32c3", "ESP32-C3", "esp32-c3" (case-insensitive). */
const struct chip_desc *chip_by_name(const char *name);
/* All known chips, for listings; *n receives the count. */
const struct chip_desc *chip_table(size_t *n);

#define CHIP_MAX_STUBS 2

/* The flasher stub file stem (without ".json") for a chip of this revision
 * (major*100 + minor, as chip_revision_from_words gives it). NULL when the
 * chip has no stub, or when its stub depends on a revision not known (-1):
 * such a chip is then flashed through its ROM loader rather than given a
 * stub built for other silicon. */
const char *chip_stub_name(const struct chip_desc *c, int revision);
/* Every stub chip_stub_name can name for c, for checks made before a board
 * is seen; returns how many (0..CHIP_MAX_STUBS) were put in names. */
size_t chip_stub_names(const struct chip_desc *c, const char *names[CHIP_MAX_STUBS]);

/* MAC from the words read at mac_regs (same order). Returns false for an
 * ESP8266 with an unknown OUI. */
bool chip_mac_from_words(const struct chip_desc *c, const uint32_t words[3],
                         uint8_t mac[6]);

/* Revision as major*100 + minor from the words read at rev_regs; -1 unknown. */
int chip_revision_from_words(const struct chip_desc *c,
                             const uint32_t words[CHIP_MAX_REV_REGS]);

/* Flash size in bytes from a JEDEC id word (manufacturer in bits 7..0);
 * 0 when the capacity byte is unknown or the id says "no flash". */
uint32_t chip_flash_size_from_jedec(uint32_t jedec);

#endif
