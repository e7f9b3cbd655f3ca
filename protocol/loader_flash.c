/* Flash operations besides writing: MD5 of a range, erase, read back
 * (rom-protocol.md §3.2, §3.5). */
#include "loader_internal.h"
#include "hex.h"

#include <string.h>

#include "mbedtls_compat.h"

#define ROM_MD5_HEX_LEN 32
#define STUB_MD5_LEN 16
#define STUB_READ_PACKET 0x1000u
#define STUB_READ_IN_FLIGHT 64      /* esptool's value; the stub's window is one packet */
#define ROM_READ_CHUNK 64u
#define READ_FRAME_TIMEOUT LOADER_DEFAULT_TIMEOUT

static int refuse_secure_download(struct loader *l, const char *what)
{
    return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                         "%s is refused in Secure Download Mode", what);
}

/* ---- MD5 -------------------------------------------------------------- */

static bool md5_from_hex(const uint8_t *hex, uint8_t md5[16])
{
    for (int i = 0; i < 16; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        md5[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void md5_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (!loader_reply_ok(l, in, "SPI_FLASH_MD5"))
        return;
    /* The ROM answers in ASCII hex, the stub in raw bytes (§6.2). */
    if (l->stub_running) {
        memcpy(l->md5, in->resp->data, STUB_MD5_LEN);
    } else if (!md5_from_hex(in->resp->data, l->md5)) {
        loader_fail(l, LOADER_ERR_PROTOCOL,
                    "the ROM's MD5 reply for 0x%x is not hexadecimal: check the cable "
                    "for noise", (unsigned)l->op_offset);
        return;
    }
    loader_finish(l, true);
}

static void md5_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = md5_advance;
    uint32_t w[4] = {l->op_offset, l->op_size, 0, 0};
    loader_command_words(l, now, ESP_SPI_FLASH_MD5, w, 4,
                         l->stub_running ? STUB_MD5_LEN : ROM_MD5_HEX_LEN,
                         loader_scaled_timeout(LOADER_MD5_S_PER_MB, l->op_size));
}

int loader_start_md5(struct loader *l, uint64_t now, uint32_t offset, uint32_t size)
{
    if (loader_require_flash(l))
        return -1;
    if (size == 0)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT, "MD5 of an empty range requested");
    if (!l->stub_running && !l->info.chip->rom_has_md5)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "the %s ROM cannot compute an MD5: upload the flasher stub to "
                             "verify", l->info.chip->name);
    if (l->info.secure_download)
        return refuse_secure_download(l, "SPI_FLASH_MD5");
    memset(l->md5, 0, sizeof l->md5);
    l->op_offset = offset;
    l->op_size = size;
    return loader_begin_op(l, now, PHASE_VERIFY, md5_start);
}

/* ---- erase ------------------------------------------------------------ */

static void erase_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (loader_reply_ok(l, in, l->stub_running ? "ERASE_REGION" : "FLASH_BEGIN (erase)"))
        loader_finish(l, true);
}

static void erase_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = erase_advance;
    uint64_t timeout = loader_scaled_timeout(LOADER_ERASE_S_PER_MB, l->op_size);
    if (l->stub_running) {
        uint32_t w[2] = {l->op_offset, l->op_size};
        loader_command_words(l, now, ESP_ERASE_REGION, w, 2, 0, timeout);
        return;
    }
    /* The ROM erases at FLASH_BEGIN; no data blocks follow (§3.3). */
    uint32_t size = l->info.chip->kind == CHIP_ESP8266
                  ? loader_esp8266_erase_size(l->op_offset, l->op_size) : l->op_size;
    uint32_t w[5] = {size, 0, LOADER_ROM_BLOCK, l->op_offset, 0};
    loader_command_words(l, now, ESP_FLASH_BEGIN, w, loader_rom_sends_fifth_word(l) ? 5 : 4,
                         0, timeout);
}

int loader_start_erase(struct loader *l, uint64_t now, uint32_t offset, uint32_t size)
{
    if (loader_require_flash(l))
        return -1;
    if (size == 0 || offset % LOADER_FLASH_SECTOR || size % LOADER_FLASH_SECTOR ||
        (uint64_t)offset + size > UINT32_MAX)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "erase 0x%x+0x%x: offset and size must be non-zero multiples "
                             "of 4 KiB", (unsigned)offset, (unsigned)size);
    l->op_offset = offset;
    l->op_size = size;
    return loader_begin_op(l, now, PHASE_ERASE, erase_start);
}

/* ---- read ------------------------------------------------------------- */

enum {
    READ_REQUEST,       /* reply: READ_FLASH or READ_FLASH_SLOW */
    READ_DATA,          /* frames: stub data packets */
    READ_DIGEST,        /* frame: the stub's MD5 of everything sent */
};

static void rom_read_next(struct loader *l, uint64_t now)
{
    uint32_t left = l->op_size - (uint32_t)l->pos;
    uint32_t w[2] = {l->op_offset + (uint32_t)l->pos, left < ROM_READ_CHUNK ? left : ROM_READ_CHUNK};
    l->step = READ_REQUEST;
    loader_command_words(l, now, ESP_READ_FLASH_SLOW, w, 2, ROM_READ_CHUNK,
                         LOADER_DEFAULT_TIMEOUT);
}

static void fail_read_timeout(struct loader *l)
{
    loader_fail(l, LOADER_ERR_TIMEOUT,
                "board stopped sending during read at 0x%x (%zu of %u bytes received): "
                "check the cable and power", (unsigned)l->op_offset, l->pos,
                (unsigned)l->op_size);
}

static void on_stub_packet(struct loader *l, uint64_t now, const struct loader_input *in)
{
    size_t left = l->op_size - l->pos;
    size_t expected = left < STUB_READ_PACKET ? left : STUB_READ_PACKET;
    if (in->len != expected) {
        loader_fail(l, LOADER_ERR_PROTOCOL,
                    "read at 0x%x: got a %zu-byte packet where %zu were due (at byte %zu): "
                    "check the cable for noise", (unsigned)l->op_offset, in->len, expected,
                    l->pos);
        return;
    }
    memcpy(l->read_dst + l->pos, in->frame, in->len);
    l->pos += in->len;
    /* Each packet is acknowledged with the byte count so far (§3.5). */
    uint8_t ack[4];
    esp_put_u32(ack, (uint32_t)l->pos);
    loader_send_raw_frame(l, ack, sizeof ack);
    loader_progress(l, l->pos, l->op_size);
    if (l->pos == l->op_size)
        l->step = READ_DIGEST;
    loader_wait_frame(l, now + READ_FRAME_TIMEOUT);
}

static void on_stub_digest(struct loader *l, const struct loader_input *in)
{
    uint8_t mine[16];
    if (in->len != sizeof mine) {
        loader_fail(l, LOADER_ERR_PROTOCOL,
                    "read at 0x%x: the closing MD5 frame has %zu bytes instead of 16",
                    (unsigned)l->op_offset, in->len);
        return;
    }
    md5_once(l->read_dst, l->op_size, mine);
    memcpy(l->md5, mine, sizeof mine);
    if (memcmp(mine, in->frame, sizeof mine) != 0) {
        loader_fail(l, LOADER_ERR_VERIFY,
                    "data read from 0x%x (%u bytes) does not match the device's MD5: the "
                    "link corrupted it; check the cable and retry",
                    (unsigned)l->op_offset, (unsigned)l->op_size);
        return;
    }
    loader_finish(l, true);
}

static void read_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (l->step != READ_REQUEST) {
        if (in->kind == LOADER_IN_TIMEOUT)
            fail_read_timeout(l);
        else if (l->step == READ_DATA)
            on_stub_packet(l, now, in);
        else
            on_stub_digest(l, in);
        return;
    }
    if (in->kind == LOADER_IN_TIMEOUT) {
        fail_read_timeout(l);
        return;
    }
    if (!loader_reply_ok(l, in, l->stub_running ? "READ_FLASH" : "READ_FLASH_SLOW"))
        return;
    if (l->stub_running) {
        l->step = READ_DATA;
        loader_wait_frame(l, now + READ_FRAME_TIMEOUT);
        return;
    }
    uint32_t left = l->op_size - (uint32_t)l->pos;
    uint32_t n = left < ROM_READ_CHUNK ? left : ROM_READ_CHUNK;
    memcpy(l->read_dst + l->pos, in->resp->data, n);
    l->pos += n;
    loader_progress(l, l->pos, l->op_size);
    if (l->pos < l->op_size)
        rom_read_next(l, now);
    else
        loader_finish(l, true);
}

static void read_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = read_advance;
    l->pos = 0;
    if (!l->stub_running) {
        rom_read_next(l, now);
        return;
    }
    uint32_t w[4] = {l->op_offset, l->op_size, STUB_READ_PACKET, STUB_READ_IN_FLIGHT};
    l->step = READ_REQUEST;
    loader_command_words(l, now, ESP_READ_FLASH, w, 4, 0, LOADER_DEFAULT_TIMEOUT);
}

int loader_start_read(struct loader *l, uint64_t now, uint32_t offset, uint32_t size,
                      uint8_t *dst)
{
    if (loader_require_flash(l))
        return -1;
    if (!dst || size == 0 || (uint64_t)offset + size > UINT32_MAX)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "read 0x%x+0x%x: needs a destination and a non-empty range",
                             (unsigned)offset, (unsigned)size);
    if (!l->stub_running && l->info.chip->kind == CHIP_ESP8266)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "the ESP8266 ROM cannot read flash: upload the flasher stub");
    if (l->info.secure_download)
        return refuse_secure_download(l, "reading flash");
    l->op_offset = offset;
    l->op_size = size;
    l->read_dst = dst;
    return loader_begin_op(l, now, PHASE_READ, read_start);
}
