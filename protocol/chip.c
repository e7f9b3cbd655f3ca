/* The chip table (rom-protocol.md §3.1, §4.1, §6–§8; formats.md §0.1;
 * esp8266-chips-improv.md §2 for ESP32-C5, ESP32-P4 and ESP32-C61).
 *
 * Identify-LED registers (GPIO_OUT_W1TS, GPIO_OUT_W1TC, GPIO_ENABLE_W1TS)
 * come from esp-idf components/soc/<chip>/register/soc/reg_base.h
 * (DR_REG_GPIO_BASE) and gpio_reg.h: offsets 0x08, 0x0C, 0x24 on the
 * ESP32 family up to the H2 and on the P4 (hw_ver1 and hw_ver3 alike),
 * but 0x08, 0x0C, 0x38 on the C5 and C61, whose GPIO block starts with the
 * strap register. The ESP8266's come from the RTOS SDK's gpio_register.h
 * (base 0x60000300, offsets 0x04, 0x08, 0x10). */
#include "chip.h"

#include <ctype.h>
#include <string.h>

/* SPI user-command register maps (§8.1). */
#define SPI_ESP8266 {.base = 0x60000200, .usr = 0x1C, .usr1 = 0x20, .usr2 = 0x24, \
                     .w0 = 0x40, .addr_msb_aligned = true}
#define SPI_ESP32 {.base = 0x3FF42000, .usr = 0x1C, .usr1 = 0x20, .usr2 = 0x24, \
                   .mosi_dlen = 0x28, .miso_dlen = 0x2C, .w0 = 0x80, \
                   .addr_msb_aligned = true}
#define SPI_LATER(b) {.base = (b), .usr = 0x18, .usr1 = 0x1C, .usr2 = 0x20, \
                      .mosi_dlen = 0x24, .miso_dlen = 0x28, .w0 = 0x58}

/* Every ESP32-family ROM: 4 status bytes, compressed writes, MD5, and flash
 * commands only after SPI_ATTACH. */
#define ESP32_FAMILY_ROM .rom_status_len = 4, .rom_has_defl = true, \
                         .rom_has_md5 = true, .rom_needs_spi_attach = true

#define GPIO_LED_AT(base, enable_w1ts) .gpio_out_w1ts = (base) + 0x08, \
                                      .gpio_out_w1tc = (base) + 0x0C, \
                                      .gpio_enable_w1ts = (base) + (enable_w1ts)
#define GPIO_LED(base) GPIO_LED_AT(base, 0x24)

static const struct chip_desc chips[] = {
    {
        .kind = CHIP_ESP8266, .name = "ESP8266", .stub_name = "esp8266",
        .image_chip_id = -1,
        .magic = {0xFFF0C101},
        .rom_status_len = 2,
        .bootloader_offset = 0x0,
        .mac_regs = {0x3FF00050, 0x3FF00054, 0x3FF0005C},  /* MAC0, MAC1, MAC3 */
        .uart_clkdiv_reg = 0x60000014,
        .gpio_out_w1ts = 0x60000304, .gpio_out_w1tc = 0x60000308,
        .gpio_enable_w1ts = 0x60000310,
        .boot_strap_gpio = 0,
        .spi = SPI_ESP8266,
    },
    {
        .kind = CHIP_ESP32, .name = "ESP32", .stub_name = "esp32",
        .image_chip_id = 0,
        .magic = {0x00F01D83},
        ESP32_FAMILY_ROM,
        .bootloader_offset = 0x1000,
        .mac_regs = {0x3FF5A004, 0x3FF5A008},
        /* efuse word3, word5, APB_CTL_DATE */
        .rev_regs = {0x3FF5A00C, 0x3FF5A014, 0x3FF6607C},
        .uart_clkdiv_reg = 0x3FF40014,
        GPIO_LED(0x3FF44000),
        .boot_strap_gpio = 0,
        .spi = SPI_ESP32,
    },
    {
        .kind = CHIP_ESP32S2, .name = "ESP32-S2", .stub_name = "esp32s2",
        .image_chip_id = 2,
        .magic = {0x000007C6},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x1000,
        .mac_regs = {0x3F41A044, 0x3F41A048},
        .rev_regs = {0x3F41A050, 0x3F41A054},   /* BLOCK1 word3, word4 */
        .uart_clkdiv_reg = 0x3F400014,
        GPIO_LED(0x3F404000),
        .boot_strap_gpio = 0,
        .spi = SPI_LATER(0x3F402000),
    },
    {
        .kind = CHIP_ESP32S3, .name = "ESP32-S3", .stub_name = "esp32s3",
        .image_chip_id = 9,
        .magic = {0x00000009},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x0,
        .mac_regs = {0x60007044, 0x60007048},
        /* BLOCK1 word3, word5, BLOCK2 word4 (block version, for the v0.0
         * efuse layout whose major field means something else) */
        .rev_regs = {0x60007050, 0x60007058, 0x6000706C},
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED(0x60004000),
        .boot_strap_gpio = 0,
        .spi = SPI_LATER(0x60002000),
    },
    {
        .kind = CHIP_ESP32C2, .name = "ESP32-C2", .stub_name = "esp32c2",
        .image_chip_id = 12,
        .magic = {0x6F51306F, 0x7C41A06F, 0x0C21E06F},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x0,
        .mac_regs = {0x60008840, 0x60008844},
        .rev_regs = {0x60008844},               /* BLOCK2 word1 */
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED(0x60004000),
        .boot_strap_gpio = 9,
        .spi = SPI_LATER(0x60002000),
    },
    {
        .kind = CHIP_ESP32C3, .name = "ESP32-C3", .stub_name = "esp32c3",
        .image_chip_id = 5,
        .magic = {0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x0,
        .mac_regs = {0x60008844, 0x60008848},
        .rev_regs = {0x60008850, 0x60008858},   /* BLOCK1 word3, word5 */
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED(0x60004000),
        .boot_strap_gpio = 9,
        .spi = SPI_LATER(0x60002000),
    },
    {
        .kind = CHIP_ESP32C6, .name = "ESP32-C6", .stub_name = "esp32c6",
        .image_chip_id = 13,
        .magic = {0x2CE0806F},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x0,
        .mac_regs = {0x600B0844, 0x600B0848},
        .rev_regs = {0x600B0850},               /* BLOCK1 word3 */
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED(0x60091000),
        .boot_strap_gpio = 9,
        .spi = SPI_LATER(0x60003000),
    },
    {
        .kind = CHIP_ESP32H2, .name = "ESP32-H2", .stub_name = "esp32h2",
        .image_chip_id = 16,
        .magic = {0xD7B73E80, 0x97E30068},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x0,
        .mac_regs = {0x600B0844, 0x600B0848},
        .rev_regs = {0x600B0850},               /* BLOCK1 word3 */
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED(0x60091000),
        .boot_strap_gpio = 9,
        .spi = SPI_LATER(0x60003000),
    },
    /* ESP32-C5, -P4, -C61: esp8266-chips-improv.md §2 unless noted. Magic
     * lists are the union of rom-protocol.md §6.1 and esptool-js 0.7.0's
     * fallback table (§2.1): ROMs keep adding values, so these chips are
     * told first by the chip id in GET_SECURITY_INFO (§5.3). */
    {
        .kind = CHIP_ESP32C5, .name = "ESP32-C5", .stub_name = "esp32c5",
        .image_chip_id = 23,
        .magic = {0x1101406F, 0x63E1406F, 0x5FD1406F, 0x30E1706F},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        /* ESP-IDF's offset; esptool v4.8.1 wrongly says 0x0 (§5 trap 9). */
        .bootloader_offset = 0x2000,
        .mac_regs = {0x600B4844, 0x600B4848},
        .rev_regs = {0x600B484C},               /* BLOCK1 word2 */
        /* esptool-js 0.7.0 targets/esp32c5.js UART_CLKDIV_REG; read for
         * the crystal (40 or 48 MHz, rom-protocol.md §6.5). */
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED_AT(0x60091000, 0x38),
        .boot_strap_gpio = 28,
        .spi = SPI_LATER(0x60003000),
    },
    {
        .kind = CHIP_ESP32P4, .name = "ESP32-P4", .stub_name = "esp32p4",
        /* esptool-js 0.7.0 picks its stub by revision: the v3.x memory map
         * differs (§2.3). */
        .early_stub_name = "esp32p4-rev1", .early_stub_below = 300,
        .image_chip_id = 18,
        /* The ROM may also read 0x00000000, which cannot be listed here
         * (0 ends the list) and must not identify anything: the ESP32-S31
         * reads 0 too. A P4 is found by its chip id 18. */
        .magic = {0x0ADDBAD0, 0x07039AD9},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x2000,
        .mac_regs = {0x5012D044, 0x5012D048},
        .rev_regs = {0x5012D04C},               /* BLOCK1 word2 */
        /* Crystal fixed at 40 MHz (rom-protocol.md §6.5): esptool reads no
         * divider on the P4, and neither reference names its register. */
        .uart_clkdiv_reg = 0,
        /* GPIO base 0x500E0000: esptool targets/esp32p4.py GPIO_STRAP_REG
         * 0x500E0038 is DR_REG_GPIO_BASE + 0x38 in the P4's gpio_reg.h. */
        GPIO_LED(0x500E0000),
        .boot_strap_gpio = 35,
        /* SPIMEM1; same offsets as the family (rom-protocol.md §8.1, and
         * esptool targets/esp32p4.py SPI_*_OFFS). */
        .spi = SPI_LATER(0x5008D000),
    },
    {
        .kind = CHIP_ESP32C61, .name = "ESP32-C61", .stub_name = "esp32c61",
        .image_chip_id = 20,
        .magic = {0x33F0206F, 0x2421606F, 0x4F81606F, 0x7211606F},
        ESP32_FAMILY_ROM,
        .rom_has_security_info = true,
        .rom_begin_has_encrypt_word = true,
        .bootloader_offset = 0x0,
        .mac_regs = {0x600B4844, 0x600B4848},
        .rev_regs = {0x600B484C},               /* BLOCK1 word2 */
        /* esptool targets/esp32c61.py inherits the C3's 0x60000014 (UART0
         * at 0x60000000 in the C61's reg_base.h); the crystal is a fixed
         * 40 MHz (§2.2), so nothing reads it today. */
        .uart_clkdiv_reg = 0x60000014,
        GPIO_LED_AT(0x60091000, 0x38),
        .boot_strap_gpio = 9,
        .spi = SPI_LATER(0x60003000),
    },
};

#define CHIP_COUNT (sizeof chips / sizeof chips[0])

const struct chip_desc *chip_table(size_t *n)
{
    *n = CHIP_COUNT;
    return chips;
}

const struct chip_desc *chip_by_kind(enum chip_kind k)
{
    for (size_t i = 0; i < CHIP_COUNT; i++)
        if (chips[i].kind == k)
            return &chips[i];
    return NULL;
}

const struct chip_desc *chip_by_magic(uint32_t magic)
{
    /* 0 ends each list, so it can never match; and it must not: the P4
     * and the S31 both read 0 (rom-protocol.md §6.1). */
    if (magic == 0)
        return NULL;
    for (size_t i = 0; i < CHIP_COUNT; i++)
        for (int m = 0; m < CHIP_MAX_MAGIC && chips[i].magic[m]; m++)
            if (chips[i].magic[m] == magic)
                return &chips[i];
    return NULL;
}

const struct chip_desc *chip_by_image_id(int image_chip_id)
{
    if (image_chip_id < 0)
        return NULL;
    for (size_t i = 0; i < CHIP_COUNT; i++)
        if (chips[i].image_chip_id == image_chip_id)
            return &chips[i];
    return NULL;
}

/* Compares ignoring case and the separators people type ("ESP32-C3"). */
static bool name_matches(const char *typed, const char *stem)
{
    for (;;) {
        while (*typed == '-' || *typed == '_')
            typed++;
        if (*typed == '\0' || *stem == '\0')
            return *typed == '\0' && *stem == '\0';
        if (tolower((unsigned char)*typed) != *stem)
            return false;
        typed++;
        stem++;
    }
}

const struct chip_desc *chip_by_name(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < CHIP_COUNT; i++)
        if (name_matches(name, chips[i].stub_name))
            return &chips[i];
    return NULL;
}

const char *chip_stub_name(const struct chip_desc *c, int revision)
{
    if (!c->early_stub_name)
        return c->stub_name;
    if (revision < 0)
        return NULL;
    return revision < c->early_stub_below ? c->early_stub_name : c->stub_name;
}

size_t chip_stub_names(const struct chip_desc *c, const char *names[CHIP_MAX_STUBS])
{
    size_t n = 0;
    if (c->stub_name)
        names[n++] = c->stub_name;
    if (c->early_stub_name)
        names[n++] = c->early_stub_name;
    return n;
}

static uint8_t byte_of(uint32_t w, int shift)
{
    return (uint8_t)(w >> shift);
}

/* ESP8266 (§7): the OUI lives in MAC3, or is implied by a MAC1 field. */
static bool esp8266_mac(const uint32_t words[3], uint8_t mac[6])
{
    uint32_t mac0 = words[0], mac1 = words[1], mac3 = words[2];
    if (mac3 != 0) {
        mac[0] = byte_of(mac3, 16);
        mac[1] = byte_of(mac3, 8);
        mac[2] = byte_of(mac3, 0);
    } else if (byte_of(mac1, 16) == 0) {
        mac[0] = 0x18, mac[1] = 0xFE, mac[2] = 0x34;
    } else if (byte_of(mac1, 16) == 1) {
        mac[0] = 0xAC, mac[1] = 0xD0, mac[2] = 0x74;
    } else {
        return false;
    }
    mac[3] = byte_of(mac1, 8);
    mac[4] = byte_of(mac1, 0);
    mac[5] = byte_of(mac0, 24);
    return true;
}

bool chip_mac_from_words(const struct chip_desc *c, const uint32_t words[3],
                         uint8_t mac[6])
{
    if (c->kind == CHIP_ESP8266)
        return esp8266_mac(words, mac);
    /* Every ESP32-family chip: low word holds bytes 2..5, the next word's
     * low 16 bits bytes 0..1 (its upper bits are CRC or MAC_EXT). */
    uint32_t lo = words[0], hi = words[1];
    mac[0] = byte_of(hi, 8);
    mac[1] = byte_of(hi, 0);
    mac[2] = byte_of(lo, 24);
    mac[3] = byte_of(lo, 16);
    mac[4] = byte_of(lo, 8);
    mac[5] = byte_of(lo, 0);
    return true;
}

static uint32_t bits(uint32_t w, int lo, int width)
{
    return (w >> lo) & ((1u << width) - 1);
}

static int esp32_revision(const uint32_t w[])
{
    uint32_t word3 = w[0], word5 = w[1], apb_ctl_date = w[2];
    uint32_t combined = bits(apb_ctl_date, 31, 1) << 2 | bits(word5, 20, 1) << 1 |
                        bits(word3, 15, 1);
    int major;
    switch (combined) {
    case 0: major = 0; break;
    case 1: major = 1; break;
    case 3: major = 2; break;
    case 7: major = 3; break;
    default: return -1;     /* a combination no silicon has */
    }
    return major * 100 + (int)bits(word5, 24, 2);
}

static int esp32s3_revision(const uint32_t w[])
{
    uint32_t word3 = w[0], word5 = w[1], blk2_word4 = w[2];
    int minor = (int)(bits(word5, 23, 1) << 3 | bits(word3, 18, 3));
    int major = (int)bits(word5, 24, 2);
    /* Block version v1.1 was only used by v0.0 chips, whose major field
     * held something else (esptool applies the same rule). */
    if (minor == 0 && bits(blk2_word4, 0, 2) == 1 && bits(word3, 24, 3) == 1)
        major = 0;
    return major * 100 + minor;
}

int chip_revision_from_words(const struct chip_desc *c,
                             const uint32_t words[CHIP_MAX_REV_REGS])
{
    const uint32_t *w = words;
    switch (c->kind) {
    case CHIP_ESP32:
        return esp32_revision(w);
    case CHIP_ESP32S2:
        return (int)bits(w[0], 18, 2) * 100 +
               (int)(bits(w[0], 20, 1) << 3 | bits(w[1], 4, 3));
    case CHIP_ESP32S3:
        return esp32s3_revision(w);
    case CHIP_ESP32C3:
        return (int)bits(w[1], 24, 2) * 100 +
               (int)(bits(w[1], 23, 1) << 3 | bits(w[0], 18, 3));
    case CHIP_ESP32C2:
        return (int)bits(w[0], 20, 2) * 100 + (int)bits(w[0], 16, 4);
    case CHIP_ESP32C6:
        return (int)bits(w[0], 22, 2) * 100 + (int)bits(w[0], 18, 4);
    case CHIP_ESP32H2:
        return (int)bits(w[0], 21, 2) * 100 + (int)bits(w[0], 18, 3);
    case CHIP_ESP32C5:
    case CHIP_ESP32C61:
        return (int)bits(w[0], 4, 2) * 100 + (int)bits(w[0], 0, 4);
    case CHIP_ESP32P4:
        /* Bit 23 is the major's high bit, as esptool-js 0.7.0 and esptool 5
         * read it; esptool v4.8.1 ignores it (esp8266-chips-improv.md §2.4). */
        return (int)(bits(w[0], 23, 1) << 2 | bits(w[0], 4, 2)) * 100 +
               (int)bits(w[0], 0, 4);
    default:
        return -1;          /* ESP8266: no revision fields */
    }
}

/* Adesto parts encode the size in the device byte instead (esptool 5). */
static uint32_t adesto_size(uint32_t jedec)
{
    uint32_t code = bits(jedec, 8, 5);
    if (code < 4 || code > 9)
        return 0;
    return (512u * 1024) << (code - 4);
}

uint32_t chip_flash_size_from_jedec(uint32_t jedec)
{
    jedec &= 0xFFFFFF;
    if (jedec == 0xFFFFFF || jedec == 0 || jedec == 0xFFFF3F)
        return 0;           /* nothing answered on the SPI bus */
    if ((jedec & 0xFF) == 0x1F)
        return adesto_size(jedec);

    const uint32_t kb = 1024, mb = 1024 * 1024;
    switch (bits(jedec, 16, 8)) {
    case 0x12: case 0x32: return 256 * kb;
    case 0x13: case 0x33: return 512 * kb;
    case 0x14: case 0x34: return 1 * mb;
    case 0x15: case 0x35: return 2 * mb;
    case 0x16: case 0x36: return 4 * mb;
    case 0x17: case 0x37: return 8 * mb;
    case 0x18: case 0x38: return 16 * mb;
    case 0x19: case 0x39: return 32 * mb;
    case 0x1A: case 0x20: case 0x3A: return 64 * mb;
    case 0x1B: case 0x21: return 128 * mb;
    case 0x1C: case 0x22: return 256 * mb;
    default: return 0;
    }
}
