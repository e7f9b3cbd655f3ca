/* Commands byte for byte against the wire forms in rom-protocol.md §2–§5,
 * and responses as real ROMs and stubs send them (§2.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "command.h"
#include "slip.h"

/* Decodes one SLIP frame so responses can be written as they are on the
 * wire, escapes and all. */
static size_t unslip(const uint8_t *wire, size_t n, uint8_t *out, size_t cap)
{
    struct slip_decoder d;
    slip_decoder_init(&d, out, cap);
    size_t used = 0;
    while (used < n) {
        const uint8_t *f;
        size_t fl;
        enum slip_frame_status st;
        used += slip_decode(&d, wire + used, n - used, &f, &fl, &st);
        if (f) {
            assert_int_equal(st, SLIP_FRAME_OK);
            return fl;
        }
    }
    fail_msg("no frame in the wire bytes");
    return 0;
}

static void test_sync_packet(void **state)
{
    uint8_t data[36] = {0x07, 0x07, 0x12, 0x20};
    memset(data + 4, 0x55, 32);
    uint8_t want[46] = {0xC0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
                        0x07, 0x07, 0x12, 0x20};
    memset(want + 13, 0x55, 32);
    want[45] = 0xC0;

    uint8_t out[64];
    size_t n = esp_encode_command(ESP_SYNC, data, sizeof data, 0, out, sizeof out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
}

static void test_read_reg_packet(void **state)
{
    uint8_t addr[4];
    esp_put_u32(addr, 0x40001000);
    const uint8_t want[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x10, 0x00, 0x40, 0xC0};
    uint8_t out[32];
    size_t n = esp_encode_command(ESP_READ_REG, addr, 4, 0, out, sizeof out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
}

/* READ_REG of an address holding 0xC0/0xDB bytes: the header and data are
 * escaped, the size field counts unescaped bytes. */
static void test_command_escapes_data(void **state)
{
    uint8_t addr[4];
    esp_put_u32(addr, 0x3FF5A0DB);
    const uint8_t want[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0xDB, 0xDD, 0xA0, 0xF5, 0x3F, 0xC0};
    uint8_t out[32];
    size_t n = esp_encode_command(ESP_READ_REG, addr, 4, 0, out, sizeof out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
}

/* GET_SECURITY_INFO and ERASE_FLASH carry no data at all. */
static void test_command_without_data(void **state)
{
    const uint8_t want[] = {0xC0, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0};
    uint8_t out[16];
    size_t n = esp_encode_command(ESP_GET_SECURITY_INFO, NULL, 0, 0, out, sizeof out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
    assert_int_equal(esp_encode_command(ESP_ERASE_FLASH, NULL, 0, 0, out, 9), 0);
}

static void test_flash_begin_16_and_20_bytes(void **state)
{
    uint8_t words[20];
    esp_put_u32(words, 0x2000);     /* erase size */
    esp_put_u32(words + 4, 8);      /* blocks */
    esp_put_u32(words + 8, 0x400);  /* block size */
    esp_put_u32(words + 12, 0x10000);
    esp_put_u32(words + 16, 0);     /* not encrypted */

    const uint8_t want16[] = {0xC0, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
                              0x00, 0x20, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
                              0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xC0};
    uint8_t out[64];
    size_t n = esp_encode_command(ESP_FLASH_BEGIN, words, 16, 0, out, sizeof out);
    assert_int_equal(n, sizeof want16);
    assert_memory_equal(out, want16, n);

    n = esp_encode_command(ESP_FLASH_BEGIN, words, 20, 0, out, sizeof out);
    assert_int_equal(n, sizeof want16 + 4);
    assert_int_equal(out[3], 0x14);     /* size field */
    assert_memory_equal(out + 4, want16 + 4, sizeof want16 - 5);  /* words 0..3 */
    const uint8_t tail[] = {0x00, 0x00, 0x00, 0x00, 0xC0};
    assert_memory_equal(out + n - 5, tail, 5);
}

static void test_checksum(void **state)
{
    const uint8_t four[] = {0x01, 0x02, 0x03, 0x04};
    assert_int_equal(esp_checksum(four, 4), 0xEF ^ 0x04);
    assert_int_equal(esp_checksum(NULL, 0), 0xEF);
    uint8_t pad[0x400];
    memset(pad, 0xFF, sizeof pad);      /* an even count of 0xFF cancels */
    assert_int_equal(esp_checksum(pad, sizeof pad), 0xEF);
    assert_int_equal(esp_checksum(pad, 3), 0xEF ^ 0xFF);
}

/* FLASH_DATA: sub-header (len, seq, 0, 0), checksum of the payload only,
 * payload bytes escaped on the wire. */
static void test_data_packet(void **state)
{
    const uint8_t payload[] = {0x01, 0xC0, 0x03, 0xDB};
    const uint8_t want[] = {
        0xC0,
        0x00, 0x03, 0x14, 0x00,                 /* FLASH_DATA, size 20 */
        0xEF ^ 0x01 ^ 0xC0 ^ 0x03 ^ 0xDB, 0x00, 0x00, 0x00,
        0x04, 0x00, 0x00, 0x00,                 /* payload length */
        0x07, 0x00, 0x00, 0x00,                 /* seq 7 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0xDB, 0xDC, 0x03, 0xDB, 0xDD,
        0xC0,
    };
    uint8_t out[64];
    size_t n = esp_encode_data(ESP_FLASH_DATA, 7, payload, sizeof payload, out, sizeof out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);

    /* Decoded, the packet's size field matches its data field. */
    uint8_t raw[64];
    size_t rl = unslip(out, n, raw, sizeof raw);
    assert_int_equal(rl, 8 + 16 + 4);
    assert_int_equal(raw[2] | raw[3] << 8, 16 + 4);
}

static void test_data_packet_full_block(void **state)
{
    static uint8_t block[0x4000], out[SLIP_ENCODED_MAX(0x4000 + 24)];
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (uint8_t)(i * 7);
    size_t n = esp_encode_data(ESP_FLASH_DEFL_DATA, 3, block, sizeof block, out, sizeof out);
    assert_true(n > 0);
    static uint8_t raw[0x4000 + 24];
    size_t rl = unslip(out, n, raw, sizeof raw);
    assert_int_equal(rl, 0x4000 + 24);
    assert_int_equal(raw[1], ESP_FLASH_DEFL_DATA);
    assert_int_equal(esp_get_u32(raw + 4), esp_checksum(block, sizeof block));
    assert_int_equal(esp_get_u32(raw + 8), 0x4000);
    assert_int_equal(esp_get_u32(raw + 12), 3);
    assert_memory_equal(raw + 24, block, sizeof block);
}

static void test_encode_refuses_small_buffer_and_huge_size(void **state)
{
    uint8_t addr[4] = {0};
    uint8_t out[32];
    assert_int_equal(esp_encode_command(ESP_READ_REG, addr, 4, 0, out, 13), 0);
    assert_int_equal(esp_encode_command(ESP_READ_REG, addr, 4, 0, out, 14), 14);
    /* A buffer that fits only with no escaping fails once escapes appear. */
    uint8_t esc[4] = {0xC0, 0xC0, 0xC0, 0xC0};
    assert_int_equal(esp_encode_command(ESP_READ_REG, esc, 4, 0, out, 14), 0);
    /* 16-bit size field. */
    static uint8_t big[0x10000], bigout[SLIP_ENCODED_MAX(0x10000 + 24)];
    assert_int_equal(esp_encode_command(ESP_MEM_DATA, big, 0x10000, 0, bigout,
                                        sizeof bigout), 0);
    assert_int_equal(esp_encode_data(ESP_MEM_DATA, 0, big, 0xFFFF - 15, bigout,
                                     sizeof bigout), 0);
    assert_true(esp_encode_data(ESP_MEM_DATA, 0, big, 0xFFFF - 16, bigout,
                                sizeof bigout) > 0);
}

static void test_u32_helpers(void **state)
{
    uint8_t b[4];
    esp_put_u32(b, 0x20120707);
    const uint8_t want[] = {0x07, 0x07, 0x12, 0x20};
    assert_memory_equal(b, want, 4);
    assert_int_equal(esp_get_u32(b), 0x20120707);
    esp_put_u32(b, 0xFFF0C101);
    assert_int_equal(esp_get_u32(b), 0xFFF0C101);
}

static void test_op_names(void **state)
{
    assert_string_equal(esp_op_name(ESP_SYNC), "SYNC");
    assert_string_equal(esp_op_name(ESP_FLASH_DEFL_DATA), "FLASH_DEFL_DATA");
    assert_string_equal(esp_op_name(ESP_GET_SECURITY_INFO), "GET_SECURITY_INFO");
    assert_string_equal(esp_op_name(ESP_RUN_USER_CODE), "RUN_USER_CODE");
    assert_string_equal(esp_op_name(0x0C), "UNKNOWN");
}

/* The three READ_REG replies of §2.3. */
static void test_parse_read_reg_replies(void **state)
{
    const uint8_t esp32_rom[] = {0x01, 0x0A, 0x04, 0x00, 0x25, 0x12, 0x15, 0x00,
                                 0x00, 0x00, 0x00, 0x00};
    const uint8_t esp8266_rom[] = {0x01, 0x0A, 0x02, 0x00, 0xC4, 0x01, 0x00, 0x00,
                                   0x00, 0x00};
    const uint8_t stub[] = {0x01, 0x0A, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    struct esp_response r;

    assert_int_equal(esp_parse_response(esp32_rom, sizeof esp32_rom, 0, &r), ESP_PARSE_OK);
    assert_int_equal(r.op, ESP_READ_REG);
    assert_int_equal(r.value, 0x00151225);
    assert_int_equal(r.data_len, 0);
    assert_false(r.failed);

    assert_int_equal(esp_parse_response(esp8266_rom, sizeof esp8266_rom, 0, &r), ESP_PARSE_OK);
    assert_int_equal(r.value, 0x1C4);
    assert_false(r.failed);

    assert_int_equal(esp_parse_response(stub, sizeof stub, 0, &r), ESP_PARSE_OK);
    assert_int_equal(r.value, 0);
    assert_false(r.failed);
}

static void test_parse_sync_reply_from_wire(void **state)
{
    const uint8_t wire[] = {0xC0, 0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20,
                            0x00, 0x00, 0x00, 0x00, 0xC0};
    uint8_t frame[32];
    size_t n = unslip(wire, sizeof wire, frame, sizeof frame);
    struct esp_response r;
    assert_int_equal(esp_parse_response(frame, n, 0, &r), ESP_PARSE_OK);
    assert_int_equal(r.op, ESP_SYNC);
    assert_int_equal(r.value, ESP_SYNC_VALUE);
}

static void build_reply(uint8_t *p, size_t *n, uint8_t op, const uint8_t *data,
                        size_t data_len, const uint8_t *status, size_t status_len)
{
    p[0] = 0x01;
    p[1] = op;
    p[2] = (uint8_t)(data_len + status_len);
    p[3] = 0;
    esp_put_u32(p + 4, 0);
    if (data_len)
        memcpy(p + 8, data, data_len);
    memcpy(p + 8 + data_len, status, status_len);
    *n = 8 + data_len + status_len;
}

static void test_parse_md5_replies(void **state)
{
    const char hex[] = "d41d8cd98f00b204e9800998ecf8427e";
    const uint8_t raw[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                             0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    const uint8_t ok4[4] = {0}, ok2[2] = {0};
    uint8_t p[64];
    size_t n;
    struct esp_response r;

    /* ROM: 32 hex characters, then 4 status bytes. */
    build_reply(p, &n, ESP_SPI_FLASH_MD5, (const uint8_t *)hex, 32, ok4, 4);
    assert_int_equal(esp_parse_response(p, n, 32, &r), ESP_PARSE_OK);
    assert_int_equal(r.data_len, 32);
    assert_memory_equal(r.data, hex, 32);
    assert_false(r.failed);

    /* Stub: 16 raw bytes, then 2 status bytes. */
    build_reply(p, &n, ESP_SPI_FLASH_MD5, raw, 16, ok2, 2);
    assert_int_equal(esp_parse_response(p, n, 16, &r), ESP_PARSE_OK);
    assert_int_equal(r.data_len, 16);
    assert_memory_equal(r.data, raw, 16);
    assert_false(r.failed);

    /* A failed ROM MD5 carries only the status: short for 32 bytes, but
     * the status is still read from the first two bytes (esptool 5). */
    const uint8_t fail9[4] = {0x01, 0x09, 0x00, 0x00};
    build_reply(p, &n, ESP_SPI_FLASH_MD5, NULL, 0, fail9, 4);
    assert_int_equal(esp_parse_response(p, n, 32, &r), ESP_PARSE_SHORT);
    assert_true(r.failed);
    assert_int_equal(r.status[1], 0x09);
}

static void test_parse_security_info(void **state)
{
    uint8_t info[20];
    for (int i = 0; i < 20; i++)
        info[i] = (uint8_t)(0x40 + i);
    esp_put_u32(info + 12, 9);      /* chip id: ESP32-S3 */
    const uint8_t ok4[4] = {0}, ok2[2] = {0};
    uint8_t p[64];
    size_t n;
    struct esp_response r;

    /* S3 ROM: 20 info bytes + 4 status. */
    build_reply(p, &n, ESP_GET_SECURITY_INFO, info, 20, ok4, 4);
    assert_int_equal(esp_parse_response(p, n, 20, &r), ESP_PARSE_OK);
    assert_int_equal(r.data_len, 20);
    assert_int_equal(esp_get_u32(r.data + 12), 9);
    assert_false(r.failed);

    /* Stub: 20 + 2. */
    build_reply(p, &n, ESP_GET_SECURITY_INFO, info, 20, ok2, 2);
    assert_int_equal(esp_parse_response(p, n, 20, &r), ESP_PARSE_OK);
    assert_int_equal(r.data_len, 20);

    /* S2 ROM: 12 + 4 = 16 bytes, too short for 20; esptool 5 then asks for
     * 12, which parses. */
    build_reply(p, &n, ESP_GET_SECURITY_INFO, info, 12, ok4, 4);
    assert_int_equal(esp_parse_response(p, n, 20, &r), ESP_PARSE_SHORT);
    assert_int_equal(r.data_len, 16);
    assert_int_equal(esp_parse_response(p, n, 12, &r), ESP_PARSE_OK);
    assert_int_equal(r.data_len, 12);
    assert_memory_equal(r.data, info, 12);
    assert_false(r.failed);
}

static void test_parse_rejects_non_responses(void **state)
{
    const uint8_t request[] = {0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x10, 0x00, 0x40};
    const uint8_t seven[] = {0x01, 0x0A, 0x02, 0x00, 0x00, 0x00, 0x00};
    const uint8_t ohai[] = {'O', 'H', 'A', 'I'};
    const uint8_t boot[] = "rst:0x1 (POWERON_RESET),boot:0x13";
    struct esp_response r;
    assert_int_equal(esp_parse_response(request, sizeof request, 0, &r), ESP_PARSE_NOT_RESPONSE);
    assert_int_equal(esp_parse_response(seven, sizeof seven, 0, &r), ESP_PARSE_NOT_RESPONSE);
    assert_int_equal(esp_parse_response(ohai, sizeof ohai, 0, &r), ESP_PARSE_NOT_RESPONSE);
    assert_int_equal(esp_parse_response(boot, sizeof boot - 1, 0, &r), ESP_PARSE_NOT_RESPONSE);
}

static void test_parse_header_without_status_is_short(void **state)
{
    const uint8_t eight[] = {0x01, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    const uint8_t nine[] = {0x01, 0x0A, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    struct esp_response r;
    assert_int_equal(esp_parse_response(eight, sizeof eight, 0, &r), ESP_PARSE_SHORT);
    assert_false(r.failed);
    assert_int_equal(esp_parse_response(nine, sizeof nine, 0, &r), ESP_PARSE_SHORT);
}

static void test_parse_error_statuses(void **state)
{
    /* ROM FLASH_DATA checksum error, 4 status bytes. */
    const uint8_t rom_csum[] = {0x01, 0x03, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x07, 0x00, 0x00};
    /* ROM FLASH_BEGIN refused in Secure Download Mode (esp-idf #10959). */
    const uint8_t rom_sdm[] = {0x01, 0x02, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x06, 0x00, 0x00};
    /* Stub checksum error and oversized packet. */
    const uint8_t stub_csum[] = {0x01, 0x03, 0x02, 0x00, 0, 0, 0, 0, 0xC1, 0x00};
    const uint8_t stub_long[] = {0x01, 0x11, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0xEE};
    struct esp_response r;

    assert_int_equal(esp_parse_response(rom_csum, sizeof rom_csum, 0, &r), ESP_PARSE_OK);
    assert_true(r.failed);
    assert_int_equal(r.status[1], 0x07);
    assert_non_null(strstr(esp_status_text(false, r.status), "checksum"));

    assert_int_equal(esp_parse_response(rom_sdm, sizeof rom_sdm, 0, &r), ESP_PARSE_OK);
    assert_true(r.failed);
    assert_non_null(strstr(esp_status_text(false, r.status), "Secure Download Mode"));

    assert_int_equal(esp_parse_response(stub_csum, sizeof stub_csum, 0, &r), ESP_PARSE_OK);
    assert_true(r.failed);
    assert_non_null(strstr(esp_status_text(true, r.status), "checksum"));

    assert_int_equal(esp_parse_response(stub_long, sizeof stub_long, 0, &r), ESP_PARSE_OK);
    assert_true(r.failed);
    assert_non_null(strstr(esp_status_text(true, r.status), "too long"));
    /* The same first byte without 0xEE is the plain length error. */
    const uint8_t bad_len[2] = {0xC0, 0x00};
    assert_null(strstr(esp_status_text(true, bad_len), "too long"));
}

static void test_status_text_covers_every_code(void **state)
{
    const uint8_t rom_codes[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x64, 0x65,
                                 0x66, 0x67, 0x69};
    const uint8_t stub_codes[] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8,
                                  0xC9, 0xCA, 0xCB, 0xFF, 0x32, 0x33, 0x34, 0x35, 0x36,
                                  0x37, 0x63};
    const uint8_t unknown_rom[2] = {0x01, 0x42}, unknown_stub[2] = {0x99, 0x00};
    const char *rom_unknown = esp_status_text(false, unknown_rom);
    const char *stub_unknown = esp_status_text(true, unknown_stub);
    assert_non_null(strstr(rom_unknown, "unknown"));
    assert_non_null(strstr(stub_unknown, "unknown"));

    for (size_t i = 0; i < sizeof rom_codes; i++) {
        const uint8_t st[2] = {0x01, rom_codes[i]};
        const char *t = esp_status_text(false, st);
        assert_non_null(t);
        assert_true(strlen(t) > 10);
        assert_ptr_not_equal(t, rom_unknown);
    }
    for (size_t i = 0; i < sizeof stub_codes; i++) {
        const uint8_t st[2] = {stub_codes[i], 0x00};
        const char *t = esp_status_text(true, st);
        assert_true(strlen(t) > 10);
        assert_ptr_not_equal(t, stub_unknown);
    }
    const uint8_t write_err[2] = {0x01, 0x08};
    assert_string_equal(esp_status_text(false, write_err),
                        "flash write error (the ROM read back different data): "
                        "check the flash chip and its power");
    const uint8_t ok[2] = {0, 0};
    assert_non_null(esp_status_text(false, ok));
    assert_non_null(esp_status_text(true, ok));
}

static void test_unsupported_command_forms(void **state)
{
    /* ROM: a reply to some other opcode with 01 05 (+00 00) (§2.6). */
    const uint8_t rom_unsup[] = {0x01, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x05, 0x00, 0x00};
    /* Same status with the matching opcode: a real "invalid format". */
    const uint8_t rom_invalid[] = {0x01, 0x14, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x05, 0x00, 0x00};
    /* Mismatched opcode but success: a stray reply, not "unsupported". */
    const uint8_t stray_ok[] = {0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20, 0, 0, 0, 0};
    /* Stubs: matching opcode, legacy FF 00, new C3 00. */
    const uint8_t stub_legacy[] = {0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0, 0xFF, 0x00};
    const uint8_t stub_new[] = {0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0, 0xC3, 0x00};
    const uint8_t stub_csum[] = {0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0, 0xC1, 0x00};
    struct esp_response r;

    esp_parse_response(rom_unsup, sizeof rom_unsup, 0, &r);
    assert_true(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));
    /* While expecting 20 bytes of info, the short reply still reads as
     * unsupported (esptool 5 takes the first two bytes as status). */
    assert_int_equal(esp_parse_response(rom_unsup, sizeof rom_unsup, 20, &r), ESP_PARSE_SHORT);
    assert_true(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));

    esp_parse_response(rom_invalid, sizeof rom_invalid, 0, &r);
    assert_false(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));
    esp_parse_response(stray_ok, sizeof stray_ok, 0, &r);
    assert_false(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));
    esp_parse_response(stub_legacy, sizeof stub_legacy, 0, &r);
    assert_true(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));
    esp_parse_response(stub_new, sizeof stub_new, 0, &r);
    assert_true(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));
    esp_parse_response(stub_csum, sizeof stub_csum, 0, &r);
    assert_false(esp_response_is_unsupported(&r, ESP_GET_SECURITY_INFO));
}

/* A 4-byte ROM status read with the esptool 5 rule ignores the reserved
 * tail; trailing bytes beyond it are ignored too. */
static void test_parse_ignores_trailing_reserved_bytes(void **state)
{
    const uint8_t p[] = {0x01, 0x0F, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0xAA, 0xBB};
    struct esp_response r;
    assert_int_equal(esp_parse_response(p, sizeof p, 0, &r), ESP_PARSE_OK);
    assert_false(r.failed);
    assert_int_equal(r.status[0], 0);
    assert_int_equal(r.status[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_packet),
        cmocka_unit_test(test_read_reg_packet),
        cmocka_unit_test(test_command_escapes_data),
        cmocka_unit_test(test_command_without_data),
        cmocka_unit_test(test_flash_begin_16_and_20_bytes),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_data_packet),
        cmocka_unit_test(test_data_packet_full_block),
        cmocka_unit_test(test_encode_refuses_small_buffer_and_huge_size),
        cmocka_unit_test(test_u32_helpers),
        cmocka_unit_test(test_op_names),
        cmocka_unit_test(test_parse_read_reg_replies),
        cmocka_unit_test(test_parse_sync_reply_from_wire),
        cmocka_unit_test(test_parse_md5_replies),
        cmocka_unit_test(test_parse_security_info),
        cmocka_unit_test(test_parse_rejects_non_responses),
        cmocka_unit_test(test_parse_header_without_status_is_short),
        cmocka_unit_test(test_parse_error_statuses),
        cmocka_unit_test(test_status_text_covers_every_code),
        cmocka_unit_test(test_unsupported_command_forms),
        cmocka_unit_test(test_parse_ignores_trailing_reserved_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
