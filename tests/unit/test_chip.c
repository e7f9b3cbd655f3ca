/* The chip table: detection, MAC and revision decoding against worked
 * examples built from rom-protocol.md §6–§8, and JEDEC sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip.h"

static const struct chip_desc *chip(enum chip_kind k)
{
    const struct chip_desc *c = chip_by_kind(k);
    assert_non_null(c);
    return c;
}

static void test_every_magic_detects_its_chip(void **state)
{
    size_t n;
    const struct chip_desc *t = chip_table(&n);
    assert_int_equal(n, 11);
    size_t magics = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].magic[0] != 0);
        for (int m = 0; m < CHIP_MAX_MAGIC && t[i].magic[m]; m++) {
            assert_ptr_equal(chip_by_magic(t[i].magic[m]), &t[i]);
            magics++;
        }
    }
    assert_int_equal(magics, 1 + 1 + 1 + 1 + 3 + 4 + 1 + 2 + 4 + 2 + 4);
}

static void test_magic_values_from_the_reference(void **state)
{
    assert_int_equal(chip_by_magic(0xFFF0C101)->kind, CHIP_ESP8266);
    assert_int_equal(chip_by_magic(0x00F01D83)->kind, CHIP_ESP32);
    assert_int_equal(chip_by_magic(0x000007C6)->kind, CHIP_ESP32S2);
    assert_int_equal(chip_by_magic(0x00000009)->kind, CHIP_ESP32S3);
    assert_int_equal(chip_by_magic(0x1B31506F)->kind, CHIP_ESP32C3);
    assert_int_equal(chip_by_magic(0x0C21E06F)->kind, CHIP_ESP32C2);
    assert_int_equal(chip_by_magic(0x2CE0806F)->kind, CHIP_ESP32C6);
    assert_int_equal(chip_by_magic(0x97E30068)->kind, CHIP_ESP32H2);
    /* Not in the table: a retired beta, and P4/S31's zero. */
    assert_null(chip_by_magic(0xEB004136));
    assert_null(chip_by_magic(0));
}

/* C5, P4, C61: every value a current ROM may report (esp8266-chips-improv.md
 * §2.1, esptool-js 0.7.0's fallback table, and rom-protocol.md §6.1). */
static void test_magic_values_of_the_newer_chips(void **state)
{
    const uint32_t c5[] = {0x1101406F, 0x63E1406F, 0x5FD1406F, 0x30E1706F};
    const uint32_t p4[] = {0x0ADDBAD0, 0x07039AD9};
    const uint32_t c61[] = {0x33F0206F, 0x2421606F, 0x4F81606F, 0x7211606F};
    for (size_t i = 0; i < sizeof c5 / sizeof c5[0]; i++)
        assert_int_equal(chip_by_magic(c5[i])->kind, CHIP_ESP32C5);
    for (size_t i = 0; i < sizeof p4 / sizeof p4[0]; i++)
        assert_int_equal(chip_by_magic(p4[i])->kind, CHIP_ESP32P4);
    for (size_t i = 0; i < sizeof c61 / sizeof c61[0]; i++)
        assert_int_equal(chip_by_magic(c61[i])->kind, CHIP_ESP32C61);
    /* A P4 whose ROM reads 0 is not found by it (an S31 reads 0 too): its
     * chip id 18 from GET_SECURITY_INFO finds it. */
    assert_null(chip_by_magic(0x00000000));
    assert_int_equal(chip_by_image_id(18)->kind, CHIP_ESP32P4);
    /* The C61's are not taken for the C6's or the C3's look-alikes. */
    assert_int_equal(chip_by_magic(0x2CE0806F)->kind, CHIP_ESP32C6);
    assert_int_equal(chip_by_magic(0x4881606F)->kind, CHIP_ESP32C3);
}

static void test_image_ids(void **state)
{
    assert_int_equal(chip_by_image_id(0)->kind, CHIP_ESP32);
    assert_int_equal(chip_by_image_id(2)->kind, CHIP_ESP32S2);
    assert_int_equal(chip_by_image_id(5)->kind, CHIP_ESP32C3);
    assert_int_equal(chip_by_image_id(9)->kind, CHIP_ESP32S3);
    assert_int_equal(chip_by_image_id(12)->kind, CHIP_ESP32C2);
    assert_int_equal(chip_by_image_id(13)->kind, CHIP_ESP32C6);
    assert_int_equal(chip_by_image_id(16)->kind, CHIP_ESP32H2);
    assert_int_equal(chip_by_image_id(18)->kind, CHIP_ESP32P4);
    assert_int_equal(chip_by_image_id(20)->kind, CHIP_ESP32C61);
    assert_int_equal(chip_by_image_id(23)->kind, CHIP_ESP32C5);
    assert_null(chip_by_image_id(25));     /* H21 */
    assert_null(chip_by_image_id(32));     /* S31 */
    assert_null(chip_by_image_id(-1));     /* ESP8266 has none */
    assert_int_equal(chip(CHIP_ESP8266)->image_chip_id, -1);
}

static void test_names(void **state)
{
    assert_int_equal(chip_by_name("esp32c3")->kind, CHIP_ESP32C3);
    assert_int_equal(chip_by_name("ESP32-C3")->kind, CHIP_ESP32C3);
    assert_int_equal(chip_by_name("esp32-c3")->kind, CHIP_ESP32C3);
    assert_int_equal(chip_by_name("ESP32")->kind, CHIP_ESP32);
    assert_int_equal(chip_by_name("esp8266")->kind, CHIP_ESP8266);
    assert_int_equal(chip_by_name("ESP32-H2")->kind, CHIP_ESP32H2);
    assert_null(chip_by_name("esp32c"));
    assert_null(chip_by_name("esp32c3x"));
    assert_null(chip_by_name("esp32h21"));
    /* The newer chips, as bundles and people spell them. */
    const struct {
        const char *name;
        enum chip_kind kind;
    } spellings[] = {
        {"esp32c5", CHIP_ESP32C5}, {"ESP32-C5", CHIP_ESP32C5}, {"esp32-c5", CHIP_ESP32C5},
        {"ESP32C5", CHIP_ESP32C5}, {"esp32p4", CHIP_ESP32P4}, {"ESP32-P4", CHIP_ESP32P4},
        {"esp32-p4", CHIP_ESP32P4}, {"ESP32P4", CHIP_ESP32P4}, {"esp32c61", CHIP_ESP32C61},
        {"ESP32-C61", CHIP_ESP32C61}, {"esp32-c61", CHIP_ESP32C61}, {"ESP32C61", CHIP_ESP32C61},
        {"esp32c6", CHIP_ESP32C6},
    };
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        assert_int_equal(chip_by_name(spellings[i].name)->kind, spellings[i].kind);
    /* A stub file's name is not a chip's. */
    assert_null(chip_by_name("esp32p4-rev1"));
    assert_null(chip_by_name("esp32c611"));
    assert_null(chip_by_name(""));
    assert_null(chip_by_name(NULL));
    assert_null(chip_by_kind(CHIP_UNKNOWN));
    /* Every chip finds itself by both of its names. */
    size_t n;
    const struct chip_desc *t = chip_table(&n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(chip_by_name(t[i].name), &t[i]);
        assert_ptr_equal(chip_by_name(t[i].stub_name), &t[i]);
        assert_ptr_equal(chip_by_kind(t[i].kind), &t[i]);
    }
}

static void test_rom_capabilities(void **state)
{
    const struct chip_desc *e8266 = chip(CHIP_ESP8266), *e32 = chip(CHIP_ESP32);
    assert_int_equal(e8266->rom_status_len, 2);
    assert_false(e8266->rom_has_md5 || e8266->rom_has_defl ||
                 e8266->rom_needs_spi_attach || e8266->rom_has_security_info);
    assert_int_equal(e32->rom_status_len, 4);
    assert_true(e32->rom_has_md5 && e32->rom_has_defl && e32->rom_needs_spi_attach);
    assert_false(e32->rom_has_security_info || e32->rom_begin_has_encrypt_word);

    size_t n;
    const struct chip_desc *t = chip_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == CHIP_ESP8266 || t[i].kind == CHIP_ESP32)
            continue;
        assert_int_equal(t[i].rom_status_len, 4);
        assert_true(t[i].rom_has_security_info && t[i].rom_begin_has_encrypt_word);
        assert_true(t[i].rom_has_md5 && t[i].rom_needs_spi_attach);
    }
}

static void test_offsets_straps_and_registers(void **state)
{
    assert_int_equal(chip(CHIP_ESP32)->bootloader_offset, 0x1000);
    assert_int_equal(chip(CHIP_ESP32S2)->bootloader_offset, 0x1000);
    assert_int_equal(chip(CHIP_ESP32C3)->bootloader_offset, 0x0);
    /* ESP-IDF's offsets (esp8266-chips-improv.md §2.2): the C5's is 0x2000
     * although esptool v4.8.1 says 0x0. */
    assert_int_equal(chip(CHIP_ESP32C5)->bootloader_offset, 0x2000);
    assert_int_equal(chip(CHIP_ESP32P4)->bootloader_offset, 0x2000);
    assert_int_equal(chip(CHIP_ESP32C61)->bootloader_offset, 0x0);
    assert_int_equal(chip(CHIP_ESP32C5)->boot_strap_gpio, 28);
    assert_int_equal(chip(CHIP_ESP32P4)->boot_strap_gpio, 35);
    assert_int_equal(chip(CHIP_ESP32C61)->boot_strap_gpio, 9);
    assert_int_equal(chip(CHIP_ESP8266)->boot_strap_gpio, 0);
    assert_int_equal(chip(CHIP_ESP32S3)->boot_strap_gpio, 0);
    assert_int_equal(chip(CHIP_ESP32C6)->boot_strap_gpio, 9);

    assert_int_equal(chip(CHIP_ESP32)->uart_clkdiv_reg, 0x3FF40014);
    assert_int_equal(chip(CHIP_ESP32S2)->uart_clkdiv_reg, 0x3F400014);
    assert_int_equal(chip(CHIP_ESP32C3)->uart_clkdiv_reg, 0x60000014);

    /* ESP32 revision needs efuse word3, word5 and APB_CTL_DATE. */
    const uint32_t esp32_rev[] = {0x3FF5A00C, 0x3FF5A014, 0x3FF6607C, 0};
    assert_memory_equal(chip(CHIP_ESP32)->rev_regs, esp32_rev, sizeof esp32_rev);
    /* C3 reads what esptool was seen reading (§11). */
    assert_int_equal(chip(CHIP_ESP32C3)->rev_regs[0], 0x60008850);
    assert_int_equal(chip(CHIP_ESP32C3)->rev_regs[1], 0x60008858);
    assert_int_equal(chip(CHIP_ESP32C3)->mac_regs[0], 0x60008844);

    /* SPI engines (§8.1). */
    const struct chip_spi_regs *s = &chip(CHIP_ESP32)->spi;
    assert_int_equal(s->base, 0x3FF42000);
    assert_int_equal(s->w0, 0x80);
    assert_true(s->addr_msb_aligned);
    s = &chip(CHIP_ESP8266)->spi;
    assert_int_equal(s->base, 0x60000200);
    assert_int_equal(s->miso_dlen, 0);
    assert_int_equal(s->w0, 0x40);
    s = &chip(CHIP_ESP32C3)->spi;
    assert_int_equal(s->base, 0x60002000);
    assert_int_equal(s->usr, 0x18);
    assert_int_equal(s->miso_dlen, 0x28);
    assert_false(s->addr_msb_aligned);
    assert_int_equal(chip(CHIP_ESP32H2)->spi.base, 0x60003000);
    assert_int_equal(chip(CHIP_ESP32C5)->spi.base, 0x60003000);
    assert_int_equal(chip(CHIP_ESP32C61)->spi.base, 0x60003000);
    s = &chip(CHIP_ESP32P4)->spi;
    assert_int_equal(s->base, 0x5008D000);
    assert_int_equal(s->usr, 0x18);
    assert_int_equal(s->usr2, 0x20);
    assert_int_equal(s->miso_dlen, 0x28);
    assert_int_equal(s->w0, 0x58);
    assert_false(s->addr_msb_aligned);

    /* MAC and revision efuses (§7, esp8266-chips-improv.md §2.4). */
    assert_int_equal(chip(CHIP_ESP32C5)->mac_regs[0], 0x600B4844);
    assert_int_equal(chip(CHIP_ESP32C5)->mac_regs[1], 0x600B4848);
    assert_int_equal(chip(CHIP_ESP32C61)->mac_regs[0], 0x600B4844);
    assert_int_equal(chip(CHIP_ESP32P4)->mac_regs[0], 0x5012D044);
    assert_int_equal(chip(CHIP_ESP32P4)->mac_regs[1], 0x5012D048);
    const uint32_t c5_rev[] = {0x600B484C, 0, 0, 0}, p4_rev[] = {0x5012D04C, 0, 0, 0};
    assert_memory_equal(chip(CHIP_ESP32C5)->rev_regs, c5_rev, sizeof c5_rev);
    assert_memory_equal(chip(CHIP_ESP32C61)->rev_regs, c5_rev, sizeof c5_rev);
    assert_memory_equal(chip(CHIP_ESP32P4)->rev_regs, p4_rev, sizeof p4_rev);
    assert_int_equal(chip(CHIP_ESP32C5)->uart_clkdiv_reg, 0x60000014);
    assert_int_equal(chip(CHIP_ESP32P4)->uart_clkdiv_reg, 0);   /* fixed 40 MHz */

    /* Identify LED: ESP32 GPIO block at 0x3FF44000. */
    assert_int_equal(chip(CHIP_ESP32)->gpio_out_w1ts, 0x3FF44008);
    assert_int_equal(chip(CHIP_ESP32)->gpio_out_w1tc, 0x3FF4400C);
    assert_int_equal(chip(CHIP_ESP32)->gpio_enable_w1ts, 0x3FF44024);
    assert_int_equal(chip(CHIP_ESP8266)->gpio_enable_w1ts, 0x60000310);
    /* C5 and C61 moved GPIO_ENABLE_W1TS to 0x38; the P4 did not. */
    assert_int_equal(chip(CHIP_ESP32C5)->gpio_out_w1ts, 0x60091008);
    assert_int_equal(chip(CHIP_ESP32C5)->gpio_out_w1tc, 0x6009100C);
    assert_int_equal(chip(CHIP_ESP32C5)->gpio_enable_w1ts, 0x60091038);
    assert_int_equal(chip(CHIP_ESP32C61)->gpio_enable_w1ts, 0x60091038);
    assert_int_equal(chip(CHIP_ESP32P4)->gpio_out_w1ts, 0x500E0008);
    assert_int_equal(chip(CHIP_ESP32P4)->gpio_enable_w1ts, 0x500E0024);
}

/* ESP32 MAC 24:0A:C4:12:34:56 with CRC byte 0xAB in w2[23:16]. */
static void test_mac_esp32(void **state)
{
    const uint32_t w[3] = {0xC4123456, 0x00AB240A, 0};
    uint8_t mac[6];
    assert_true(chip_mac_from_words(chip(CHIP_ESP32), w, mac));
    const uint8_t want[] = {0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56};
    assert_memory_equal(mac, want, 6);
}

/* C6: m1's upper half is MAC_EXT (FF FE), not part of the MAC. */
static void test_mac_later_chips(void **state)
{
    const uint32_t w[3] = {0x18010203, 0xFFFE3485, 0};
    const uint8_t want[] = {0x34, 0x85, 0x18, 0x01, 0x02, 0x03};
    const enum chip_kind kinds[] = {CHIP_ESP32S2, CHIP_ESP32S3, CHIP_ESP32C2,
                                    CHIP_ESP32C3, CHIP_ESP32C6, CHIP_ESP32H2,
                                    CHIP_ESP32C5, CHIP_ESP32P4, CHIP_ESP32C61};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint8_t mac[6] = {0};
        assert_true(chip_mac_from_words(chip(kinds[i]), w, mac));
        assert_memory_equal(mac, want, 6);
    }
}

static void test_mac_esp8266_oui_rule(void **state)
{
    const struct chip_desc *c = chip(CHIP_ESP8266);
    uint8_t mac[6];

    /* OUI from MAC3 when it is set. */
    const uint32_t with_mac3[3] = {0x56000000, 0x00001234, 0x00ECFABC};
    const uint8_t want3[] = {0xEC, 0xFA, 0xBC, 0x12, 0x34, 0x56};
    assert_true(chip_mac_from_words(c, with_mac3, mac));
    assert_memory_equal(mac, want3, 6);

    /* MAC3 = 0: MAC1[23:16] picks the OUI. */
    const uint32_t oui0[3] = {0x56FFFFFF, 0x00001234, 0};
    const uint8_t want0[] = {0x18, 0xFE, 0x34, 0x12, 0x34, 0x56};
    assert_true(chip_mac_from_words(c, oui0, mac));
    assert_memory_equal(mac, want0, 6);

    const uint32_t oui1[3] = {0x56000000, 0x00011234, 0};
    const uint8_t want1[] = {0xAC, 0xD0, 0x74, 0x12, 0x34, 0x56};
    assert_true(chip_mac_from_words(c, oui1, mac));
    assert_memory_equal(mac, want1, 6);

    const uint32_t oui2[3] = {0x56000000, 0x00021234, 0};
    assert_false(chip_mac_from_words(c, oui2, mac));
}

static int rev(enum chip_kind k, uint32_t a, uint32_t b, uint32_t c)
{
    const uint32_t w[CHIP_MAX_REV_REGS] = {a, b, c, 0};
    return chip_revision_from_words(chip(k), w);
}

static void test_revision_esp32(void **state)
{
    const uint32_t w3 = 1u << 15, w5 = 1u << 20, apb = 1u << 31;
    assert_int_equal(rev(CHIP_ESP32, 0, 0, 0), 0);
    assert_int_equal(rev(CHIP_ESP32, w3, 0, 0), 100);
    assert_int_equal(rev(CHIP_ESP32, w3, w5, 0), 200);
    assert_int_equal(rev(CHIP_ESP32, w3, w5, apb), 300);
    assert_int_equal(rev(CHIP_ESP32, w3, w5 | (1u << 24), apb), 301);  /* v3.1 */
    assert_int_equal(rev(CHIP_ESP32, 0, w5, 0), -1);  /* no such silicon */
    /* Unrelated bits do not leak in. */
    assert_int_equal(rev(CHIP_ESP32, ~w3, ~(w5 | 3u << 24), ~apb), 0);
}

static void test_revision_s2_s3_c3(void **state)
{
    /* S2: major word3[19:18], minor (word3 bit20 << 3) + word4[6:4]. */
    assert_int_equal(rev(CHIP_ESP32S2, 1u << 18, 0, 0), 100);
    assert_int_equal(rev(CHIP_ESP32S2, (1u << 18) | (1u << 20), 2u << 4, 0), 110);

    /* S3: major word5[25:24], minor (word5 bit23 << 3) + word3[20:18]. */
    assert_int_equal(rev(CHIP_ESP32S3, 2u << 18, 0, 0), 2);
    assert_int_equal(rev(CHIP_ESP32S3, 1u << 18, (1u << 24) | (1u << 23), 0), 109);
    /* Block version v1.1 with minor 0: the major field is not a major. */
    assert_int_equal(rev(CHIP_ESP32S3, 1u << 24, 1u << 24, 1), 0);
    assert_int_equal(rev(CHIP_ESP32S3, 0, 1u << 24, 1), 100);

    /* C3 uses the same fields at its own addresses. */
    assert_int_equal(rev(CHIP_ESP32C3, 4u << 18, 0, 0), 4);
    assert_int_equal(rev(CHIP_ESP32C3, 1u << 18, 1u << 24, 0), 101);
}

static void test_revision_c2_c6_h2_and_esp8266(void **state)
{
    assert_int_equal(rev(CHIP_ESP32C2, (1u << 20) | (2u << 16), 0, 0), 102);
    assert_int_equal(rev(CHIP_ESP32C6, 1u << 18, 0, 0), 1);
    assert_int_equal(rev(CHIP_ESP32C6, (1u << 22) | (2u << 18), 0, 0), 102);
    assert_int_equal(rev(CHIP_ESP32H2, (1u << 21) | (2u << 18), 0, 0), 102);
    assert_int_equal(rev(CHIP_ESP32H2, 1u << 18, 0, 0), 1);
    assert_int_equal(rev(CHIP_ESP8266, 0xFFFFFFFF, 0, 0), -1);
}

/* C5 and C61: BLOCK1 word2, minor [3:0], major [5:4]. */
static void test_revision_c5_c61(void **state)
{
    const enum chip_kind kinds[] = {CHIP_ESP32C5, CHIP_ESP32C61};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(rev(kinds[i], 0, 0, 0), 0);
        assert_int_equal(rev(kinds[i], 1u << 4, 0, 0), 100);            /* v1.0 */
        assert_int_equal(rev(kinds[i], (1u << 4) | 2, 0, 0), 102);      /* v1.2 */
        assert_int_equal(rev(kinds[i], (3u << 4) | 15, 0, 0), 315);
        /* The package field [28:26] and the rest stay out. */
        assert_int_equal(rev(kinds[i], ~((3u << 4) | 15u) | (1u << 4), 0, 0), 100);
    }
}

/* P4: BLOCK1 word2, minor [3:0], major = bit 23 * 4 + [5:4] as esptool-js
 * 0.7.0 reads it (esptool v4.8.1 would miss bit 23). */
static void test_revision_p4(void **state)
{
    assert_int_equal(rev(CHIP_ESP32P4, 1u << 4, 0, 0), 100);                  /* v1.0 */
    assert_int_equal(rev(CHIP_ESP32P4, (3u << 4) | 1, 0, 0), 301);            /* v3.1 */
    assert_int_equal(rev(CHIP_ESP32P4, (1u << 23) | 1, 0, 0), 401);           /* v4.1 */
    assert_int_equal(rev(CHIP_ESP32P4, (1u << 23) | (3u << 4) | 2, 0, 0), 702);
    /* The package field [22:20] is not the major's high bit. */
    assert_int_equal(rev(CHIP_ESP32P4, (7u << 20) | (1u << 4), 0, 0), 100);
}

/* The P4 needs the stub built for its memory map: before v3.00 the rev1
 * file (esp8266-chips-improv.md §2.3); unknown, none at all. */
static void test_stub_names(void **state)
{
    const struct chip_desc *p4 = chip(CHIP_ESP32P4);
    assert_string_equal(chip_stub_name(p4, 0), "esp32p4-rev1");
    assert_string_equal(chip_stub_name(p4, 100), "esp32p4-rev1");
    assert_string_equal(chip_stub_name(p4, 299), "esp32p4-rev1");
    assert_string_equal(chip_stub_name(p4, 300), "esp32p4");
    assert_string_equal(chip_stub_name(p4, 301), "esp32p4");
    assert_null(chip_stub_name(p4, -1));
    const char *names[CHIP_MAX_STUBS];
    assert_int_equal(chip_stub_names(p4, names), 2);
    assert_string_equal(names[0], "esp32p4");
    assert_string_equal(names[1], "esp32p4-rev1");

    /* Every other chip has one stub, whatever its revision. */
    size_t n;
    const struct chip_desc *t = chip_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == CHIP_ESP32P4)
            continue;
        assert_string_equal(chip_stub_name(&t[i], -1), t[i].stub_name);
        assert_string_equal(chip_stub_name(&t[i], 301), t[i].stub_name);
        assert_int_equal(chip_stub_names(&t[i], names), 1);
        assert_string_equal(names[0], t[i].stub_name);
    }
    assert_string_equal(chip_stub_name(chip(CHIP_ESP32C5), 100), "esp32c5");
    assert_string_equal(chip_stub_name(chip(CHIP_ESP32C61), 100), "esp32c61");
}

static void test_jedec_sizes(void **state)
{
    const uint32_t kb = 1024, mb = 1024 * 1024;
    assert_int_equal(chip_flash_size_from_jedec(0x1640EF), 4 * mb);   /* W25Q32 */
    assert_int_equal(chip_flash_size_from_jedec(0x1840EF), 16 * mb);  /* W25Q128 */
    assert_int_equal(chip_flash_size_from_jedec(0x164020), 4 * mb);   /* XMC */
    assert_int_equal(chip_flash_size_from_jedec(0x3260C8), 256 * kb);
    assert_int_equal(chip_flash_size_from_jedec(0x1440EF), 1 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x3570C2), 2 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x1940EF), 32 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x2040EF), 64 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x2140EF), 128 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x1C40EF), 256 * mb);
    /* Upper byte of the register is not part of the id. */
    assert_int_equal(chip_flash_size_from_jedec(0xFF1640EF), 4 * mb);
    /* No flash, unknown capacity. */
    assert_int_equal(chip_flash_size_from_jedec(0xFFFFFF), 0);
    assert_int_equal(chip_flash_size_from_jedec(0x000000), 0);
    assert_int_equal(chip_flash_size_from_jedec(0xFFFF3F), 0);
    assert_int_equal(chip_flash_size_from_jedec(0x3040EF), 0);
}

/* Adesto: size code in the device byte, (id >> 8) & 0x1F. */
static void test_jedec_adesto(void **state)
{
    const uint32_t kb = 1024, mb = 1024 * 1024;
    assert_int_equal(chip_flash_size_from_jedec(0x01841F), 512 * kb);  /* AT25SF041 */
    assert_int_equal(chip_flash_size_from_jedec(0x01861F), 2 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x01871F), 4 * mb);    /* AT25SF321 */
    assert_int_equal(chip_flash_size_from_jedec(0x00891F), 16 * mb);
    assert_int_equal(chip_flash_size_from_jedec(0x16831F), 0);  /* code 3: unknown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_magic_detects_its_chip),
        cmocka_unit_test(test_magic_values_from_the_reference),
        cmocka_unit_test(test_magic_values_of_the_newer_chips),
        cmocka_unit_test(test_image_ids),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rom_capabilities),
        cmocka_unit_test(test_offsets_straps_and_registers),
        cmocka_unit_test(test_mac_esp32),
        cmocka_unit_test(test_mac_later_chips),
        cmocka_unit_test(test_mac_esp8266_oui_rule),
        cmocka_unit_test(test_revision_esp32),
        cmocka_unit_test(test_revision_s2_s3_c3),
        cmocka_unit_test(test_revision_c2_c6_h2_and_esp8266),
        cmocka_unit_test(test_revision_c5_c61),
        cmocka_unit_test(test_revision_p4),
        cmocka_unit_test(test_stub_names),
        cmocka_unit_test(test_jedec_sizes),
        cmocka_unit_test(test_jedec_adesto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
