/* fake_device: a FAKE Espressif board for driving the loader in unit tests
 * and the loader fuzzer. It is a scripted peer, not a simulator: it answers
 * the commands the loader sends as a ROM loader or flasher stub would, keeps
 * a small register file and flash array, logs every command it receives,
 * and can be told to misbehave (lose SYNCs, answer SYNC partly, fail or drop
 * a block, fall silent, wrap replies in garbage).
 *
 * The chip facts it uses (magic, MAC/SPI registers, status lengths) are
 * typed in here from rom-protocol.md, not taken from chip.c, so that a wrong
 * entry in the chip table cannot hide by being made twice.
 *
 * Header-only because each tests/unit/test_*.c and tests/fuzz/fuzz_*.c is
 * built from one source file; every function is static. No cmocka here: the
 * fuzzer includes it too. */
#ifndef JIGD_FAKE_DEVICE_H
#define JIGD_FAKE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "loader.h"
#include "mbedtls_compat.h"

/* Not every program uses every helper. */
#define FAKE_FN static __attribute__((unused))

enum fake_chip { FAKE_ESP8266, FAKE_ESP32, FAKE_ESP32C3 };

#define FAKE_LOG_CAP 8192
#define FAKE_OUT_CAP (64 * 1024)
#define FAKE_RAW_CAP 96
#define FAKE_NREGS 96
#define FAKE_LINES_CAP 256

struct fake_cmd {
    uint8_t op;
    uint16_t size;              /* the size field */
    uint32_t checksum;          /* the checksum field */
    uint32_t words[6];          /* first data words */
    size_t data_len;
    uint32_t seq, payload_len;  /* *_DATA sub-header */
    bool checksum_ok;           /* *_DATA: XOR of the payload matches */
    uint8_t raw[FAKE_RAW_CAP];  /* wire bytes as sent (first FAKE_RAW_CAP) */
    size_t raw_len;
    uint64_t at;                /* fake time received */
    uint64_t wait;              /* how long the loader then waited for a reply */
    uint8_t last_payload_byte;
};

struct fake_lines { bool dtr, rts; uint64_t at; };

struct fake_device {
    enum fake_chip chip;
    bool stub;                  /* flasher stub personality */
    bool download;              /* in the ROM loader (or stub) */
    bool en_low;
    bool io0_broken;            /* IO0 never pulled low: always boots from flash */
    bool lines_one_at_a_time;   /* like a port without TIOCMSET: DTR, then RTS */
    bool wired_direct;          /* reset = gpio: rts is EN held low, dtr is IO0
                                   held low, no transistors and no RC */
    bool cur_dtr, cur_rts;
    uint32_t jedec;
    uint8_t mac[6];

    /* host → device decoding */
    uint8_t in[0x4000 + 64];
    size_t in_len;
    bool in_esc, in_bad;
    uint8_t raw_last[FAKE_RAW_CAP];
    size_t raw_last_len;

    /* device → host bytes not yet read by the host; released at out_at */
    uint8_t out[FAKE_OUT_CAP];
    size_t out_len;
    uint64_t out_at;
    uint64_t now;

    struct { uint32_t addr, value; } regs[FAKE_NREGS];
    int nregs;
    int spi_busy_reads;

    uint8_t *flash;
    size_t flash_cap;

    /* write session */
    bool writing, defl;
    uint32_t w_offset, w_size, w_blocks, w_block_size, w_seq, w_written;
    z_stream zs;
    bool zs_live;

    /* memory upload */
    uint32_t mem_addr, mem_size, mem_seq, mem_got;
    bool mem_seq_error;

    /* stub READ_FLASH in progress */
    bool reading;
    uint32_t r_offset, r_size, r_packet, r_sent;

    /* misbehaviour, set by the test */
    int lose_syncs;             /* the first N SYNCs get no answer */
    int partial_sync_replies;   /* the next answered SYNC gets this many replies */
    bool boot_banner;
    bool noise_between_frames;
    bool garbage_before_reply;  /* wrong-direction + junk frames before every reply */
    bool garbage_only;          /* every reply has the wrong direction */
    bool sec_info_matching_zeros; /* ESP32: answer security info "successfully" */
    bool secure_download;       /* ESP32-C3 in Secure Download Mode */
    /* A newer chip in the C3's place for detection (its SPI, MAC and
     * revision registers stay the C3's): the chip id its security info
     * reports and the magic its ROM reads (the P4's may read 0). */
    int later_chip_id;          /* 0: the C3's own, 5 */
    bool later_magic_set;
    uint32_t later_magic;
    int silent_after;           /* stop answering after this many commands; -1 never */
    int fail_seq;               /* fail this _DATA seq ... */
    int fail_times;             /* ... this many times */
    uint8_t fail_code;
    int drop_seq;               /* give no reply to this _DATA seq once */
    uint64_t begin_delay;       /* FLASH_(DEFL_)BEGIN answers this late */
    uint64_t unsupported_late;  /* the host reads the first "unsupported"
                                   reply to GET_SECURITY_INFO at once and the
                                   other 7 only this late (its loop was held
                                   up meanwhile) */
    uint8_t late[256];          /* those 7, until late_at; they go in at */
    size_t late_len, late_from; /* out[late_from], and what the device says */
    uint64_t late_at;           /* after them waits until they are in */
    bool no_ohai;               /* the uploaded stub never starts */
    bool bad_read_md5;          /* READ_FLASH ends with a wrong digest */
    uint32_t new_baud;          /* last CHANGE_BAUDRATE word 0 */
    uint32_t new_baud_old;      /* ... and word 1 */

    struct fake_cmd log[FAKE_LOG_CAP];
    size_t nlog;
    struct fake_lines lines[FAKE_LINES_CAP];
    size_t nlines;
    int boots_download, boots_flash;
};

/* ---- chip facts (rom-protocol.md §6.1, §7, §8.1) ----------------------- */

FAKE_FN uint32_t fake_magic(const struct fake_device *d)
{
    if (d->later_magic_set)
        return d->later_magic;
    return d->chip == FAKE_ESP8266 ? 0xFFF0C101u
         : d->chip == FAKE_ESP32 ? 0x00F01D83u : 0x1B31506Fu;
}

FAKE_FN uint32_t fake_spi_base(const struct fake_device *d)
{
    return d->chip == FAKE_ESP8266 ? 0x60000200u
         : d->chip == FAKE_ESP32 ? 0x3FF42000u : 0x60002000u;
}

FAKE_FN uint32_t fake_spi_usr2(const struct fake_device *d)
{
    return fake_spi_base(d) + (d->chip == FAKE_ESP32C3 ? 0x20 : 0x24);
}

FAKE_FN uint32_t fake_spi_w0(const struct fake_device *d)
{
    return fake_spi_base(d) + (d->chip == FAKE_ESP8266 ? 0x40 : d->chip == FAKE_ESP32 ? 0x80 : 0x58);
}

FAKE_FN bool fake_rom_4_status(const struct fake_device *d)
{
    return !d->stub && d->chip != FAKE_ESP8266;
}

/* ---- registers ---------------------------------------------------------- */

FAKE_FN uint32_t *fake_reg(struct fake_device *d, uint32_t addr, bool create)
{
    for (int i = 0; i < d->nregs; i++)
        if (d->regs[i].addr == addr)
            return &d->regs[i].value;
    if (!create || d->nregs == FAKE_NREGS)
        return NULL;
    d->regs[d->nregs].addr = addr;
    d->regs[d->nregs].value = 0;
    return &d->regs[d->nregs++].value;
}

FAKE_FN void fake_set_reg(struct fake_device *d, uint32_t addr, uint32_t v)
{
    uint32_t *r = fake_reg(d, addr, true);
    if (r)
        *r = v;
}

FAKE_FN uint32_t fake_get_reg(struct fake_device *d, uint32_t addr)
{
    if (addr == 0x40001000u)
        return fake_magic(d);
    if (addr == fake_spi_base(d) && d->spi_busy_reads > 0) {
        d->spi_busy_reads--;
        return 1u << 18;
    }
    uint32_t *r = fake_reg(d, addr, false);
    return r ? *r : 0;
}

FAKE_FN void fake_load_mac(struct fake_device *d)
{
    const uint8_t *m = d->mac;
    uint32_t lo = (uint32_t)m[2] << 24 | m[3] << 16 | m[4] << 8 | m[5];
    if (d->chip == FAKE_ESP32) {
        fake_set_reg(d, 0x3FF5A004, lo);
        fake_set_reg(d, 0x3FF5A008, 0x00AB0000u | m[0] << 8 | m[1]); /* AB: CRC byte */
    } else if (d->chip == FAKE_ESP32C3) {
        fake_set_reg(d, 0x60008844, lo);
        fake_set_reg(d, 0x60008848, (uint32_t)m[0] << 8 | m[1]);
    } else {
        /* ESP8266: OUI in MAC3, then MAC1[15:0], MAC0[31:24] */
        fake_set_reg(d, 0x3FF0005C, (uint32_t)m[0] << 16 | m[1] << 8 | m[2]);
        fake_set_reg(d, 0x3FF00054, (uint32_t)m[3] << 8 | m[4]);
        fake_set_reg(d, 0x3FF00050, (uint32_t)m[5] << 24);
    }
}

/* ---- output ------------------------------------------------------------- */

FAKE_FN void fake_out(struct fake_device *d, const void *p, size_t n)
{
    if (n > FAKE_OUT_CAP - d->out_len)
        n = FAKE_OUT_CAP - d->out_len;
    memcpy(d->out + d->out_len, p, n);
    d->out_len += n;
}

FAKE_FN void fake_out_frame(struct fake_device *d, const uint8_t *p, size_t n)
{
    uint8_t c0 = 0xC0, esc[2] = {0xDB, 0};
    fake_out(d, &c0, 1);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0xC0 || p[i] == 0xDB) {
            esc[1] = p[i] == 0xC0 ? 0xDC : 0xDD;
            fake_out(d, esc, 2);
        } else {
            fake_out(d, &p[i], 1);
        }
    }
    fake_out(d, &c0, 1);
}

FAKE_FN void fake_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

FAKE_FN uint32_t fake_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

FAKE_FN void fake_packet_out(struct fake_device *d, uint8_t dir, uint8_t op, uint32_t value,
                            const uint8_t *data, size_t n, bool fail, uint8_t code)
{
    uint8_t pkt[8 + 0x1000 + 8];
    size_t st = fake_rom_4_status(d) ? 4 : 2;
    if (n > 0x1000)
        n = 0x1000;
    pkt[0] = dir;
    pkt[1] = op;
    pkt[2] = (uint8_t)(n + st);
    pkt[3] = (uint8_t)((n + st) >> 8);
    fake_put32(pkt + 4, value);
    if (n)
        memcpy(pkt + 8, data, n);
    memset(pkt + 8 + n, 0, st);
    if (fail) {
        /* ROM: [1, code]; stub: [code, 0] (§2.3) */
        pkt[8 + n] = d->stub ? code : 1;
        pkt[8 + n + 1] = d->stub ? 0 : code;
    }
    if (d->noise_between_frames)
        fake_out(d, "\r\nI (42) noise\r\n", 16);
    fake_out_frame(d, pkt, 8 + n + st);
}

FAKE_FN void fake_reply(struct fake_device *d, uint8_t op, uint32_t value, const uint8_t *data,
                       size_t n, bool fail, uint8_t code)
{
    if (d->garbage_before_reply) {
        uint8_t junk[5] = {0x55, 0xAA, 0x01, 0x02, 0x03};
        fake_packet_out(d, 0x00, op, 0xDEADBEEF, NULL, 0, false, 0);  /* wrong direction */
        fake_out_frame(d, junk, sizeof junk);
    }
    fake_packet_out(d, d->garbage_only ? 0x02 : 0x01, op, value, data, n, fail, code);
}

FAKE_FN void fake_ok(struct fake_device *d, uint8_t op)
{
    fake_reply(d, op, 0, NULL, 0, false, 0);
}

/* ---- lines and boot ----------------------------------------------------- */

FAKE_FN void fake_boot(struct fake_device *d, bool download)
{
    d->stub = false;
    d->writing = d->reading = false;
    d->download = download;
    if (download)
        d->boots_download++;
    else
        d->boots_flash++;
    if (!d->boot_banner)
        return;
    const char *text = download
        ? "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 "
          "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n"
        : "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 "
          "(SPI_FAST_FLASH_BOOT)\r\nflash read err, 1000\r\n";
    fake_out(d, text, strlen(text));
}

/* The two-transistor circuit (§4.1): EN low only for (DTR off, RTS on);
 * both asserted leaves EN where the RC holds it. IO0 is low while DTR is
 * asserted and RTS is not, sampled when EN rises. */
FAKE_FN void fake_pins(struct fake_device *d, bool dtr, bool rts)
{
    d->cur_dtr = dtr;
    d->cur_rts = rts;
    if (dtr && rts && !d->wired_direct)
        return;
    bool en_low = d->wired_direct ? rts : rts && !dtr;
    bool io0_low = d->wired_direct ? dtr : dtr && !rts;
    if (d->en_low && !en_low)
        fake_boot(d, io0_low && !d->io0_broken);
    if (en_low)
        d->download = false;
    d->en_low = en_low;
}

FAKE_FN void fake_lines(struct fake_device *d, bool dtr, bool rts)
{
    if (d->nlines < FAKE_LINES_CAP)
        d->lines[d->nlines++] = (struct fake_lines){dtr, rts, d->now};
    if (d->lines_one_at_a_time && dtr != d->cur_dtr && rts != d->cur_rts)
        fake_pins(d, dtr, d->cur_rts);
    fake_pins(d, dtr, rts);
}

/* ---- flash -------------------------------------------------------------- */

FAKE_FN void fake_flash_put(struct fake_device *d, uint32_t addr, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((size_t)addr + i < d->flash_cap)
            d->flash[addr + i] = p[i];
}

FAKE_FN void fake_erase(struct fake_device *d, uint32_t addr, uint32_t size)
{
    for (uint64_t a = addr; a < (uint64_t)addr + size && a < d->flash_cap; a++)
        d->flash[a] = 0xFF;
}

FAKE_FN void fake_md5(const uint8_t *p, size_t n, uint8_t out[16])
{
    md5_once(p, n, out);
}

FAKE_FN void fake_end_inflate(struct fake_device *d)
{
    if (d->zs_live)
        inflateEnd(&d->zs);
    d->zs_live = false;
}

/* ---- commands ----------------------------------------------------------- */

FAKE_FN void fake_sync(struct fake_device *d)
{
    if (d->lose_syncs > 0) {
        d->lose_syncs--;
        return;
    }
    int n = 8;
    if (d->partial_sync_replies > 0) {
        n = d->partial_sync_replies;
        d->partial_sync_replies = 0;
    }
    for (int i = 0; i < n; i++)
        fake_reply(d, 0x08, d->stub ? 0 : 0x20120707u, NULL, 0, false, 0);
}

FAKE_FN void fake_unsupported(struct fake_device *d, uint8_t op)
{
    if (d->stub) {
        fake_reply(d, op, 0, NULL, 0, true, 0xFF);  /* legacy stub */
        return;
    }
    /* ROM: opcode does not match the request, "invalid message", 8 times. */
    for (int i = 0; i < 8; i++)
        fake_reply(d, 0x00, 0, NULL, 0, true, 0x05);
}

FAKE_FN void fake_security_info(struct fake_device *d, uint8_t op)
{
    uint8_t info[20] = {0};
    if (d->chip == FAKE_ESP32C3) {
        fake_put32(info + 12, d->later_chip_id ? (uint32_t)d->later_chip_id : 5);
        if (d->secure_download)
            fake_put32(info, 1u << 2);
        fake_reply(d, op, 0, info, 20, false, 0);
    } else if (d->chip == FAKE_ESP32 && d->sec_info_matching_zeros && !d->stub) {
        fake_reply(d, op, 0, info, 12, false, 0);   /* esptool-js #141 form */
    } else {
        size_t first = d->out_len;
        fake_unsupported(d, op);
        if (d->unsupported_late && !d->stub) {
            size_t one = (d->out_len - first) / 8;
            d->late_len = d->out_len - first - one;
            memcpy(d->late, d->out + first + one, d->late_len);
            d->out_len = first + one;
            d->late_from = d->out_len;
            d->late_at = d->now + d->unsupported_late;
        }
    }
}

FAKE_FN void fake_write_reg(struct fake_device *d, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i + 16 <= n; i += 16) {
        uint32_t addr = fake_get32(data + i), v = fake_get32(data + i + 4);
        uint32_t mask = fake_get32(data + i + 8);
        uint32_t old = fake_get_reg(d, addr);
        uint32_t nv = (old & ~mask) | (v & mask);
        if (addr == fake_spi_base(d) && (nv & (1u << 18))) {
            if ((fake_get_reg(d, fake_spi_usr2(d)) & 0xFF) == 0x9F)
                fake_set_reg(d, fake_spi_w0(d), d->jedec);
            d->spi_busy_reads = 1;   /* one poll sees it still busy */
            nv &= ~(1u << 18);
        }
        fake_set_reg(d, addr, nv);
    }
}

FAKE_FN bool fake_data_checks(struct fake_device *d, struct fake_cmd *c, uint8_t op,
                             uint32_t expect_seq)
{
    if (!c->checksum_ok) {
        fake_reply(d, op, 0, NULL, 0, true, d->stub ? 0xC1 : 0x07);
        return false;
    }
    if (c->seq != expect_seq || c->payload_len + 16 != c->data_len) {
        fake_reply(d, op, 0, NULL, 0, true, d->stub ? 0xC0 : 0x05);
        return false;
    }
    return true;
}

FAKE_FN void fake_flash_begin(struct fake_device *d, const struct fake_cmd *c, bool defl)
{
    d->writing = true;
    d->defl = defl;
    d->w_size = c->words[0];
    d->w_blocks = c->words[1];
    d->w_block_size = c->words[2];
    d->w_offset = c->words[3];
    d->w_seq = 0;
    d->w_written = 0;
    fake_end_inflate(d);
    if (defl) {
        memset(&d->zs, 0, sizeof d->zs);
        d->zs_live = inflateInit(&d->zs) == Z_OK;
    }
    if (!d->stub)
        fake_erase(d, d->w_offset, defl ? d->w_size : d->w_size);
    if (d->begin_delay)
        d->out_at = d->now + d->begin_delay;
    fake_ok(d, c->op);
}

FAKE_FN void fake_flash_data(struct fake_device *d, struct fake_cmd *c, const uint8_t *payload)
{
    if (c->seq == (uint32_t)d->fail_seq && d->fail_times > 0) {
        d->fail_times--;
        fake_reply(d, c->op, 0, NULL, 0, true, d->fail_code);
        return;
    }
    if (c->seq == (uint32_t)d->drop_seq) {
        d->drop_seq = -1;
        return;
    }
    if (!d->writing) {
        fake_reply(d, c->op, 0, NULL, 0, true, d->stub ? 0xC6 : 0x05);
        return;
    }
    if (!fake_data_checks(d, c, c->op, d->w_seq))
        return;
    d->w_seq++;
    if (!d->defl) {
        uint32_t n = c->payload_len;
        if (d->stub && d->w_written + n > d->w_size)
            n = d->w_size - d->w_written;   /* the stub trims the padding */
        if (d->stub)
            fake_erase(d, d->w_offset + d->w_written, n);
        fake_flash_put(d, d->w_offset + d->w_written, payload, n);
        d->w_written += c->payload_len;
    } else if (d->zs_live) {
        uint8_t buf[4096];
        d->zs.next_in = (Bytef *)(uintptr_t)payload;
        d->zs.avail_in = c->payload_len;
        int rc;
        do {
            d->zs.next_out = buf;
            d->zs.avail_out = sizeof buf;
            rc = inflate(&d->zs, Z_NO_FLUSH);
            size_t got = sizeof buf - d->zs.avail_out;
            if (d->stub)
                fake_erase(d, d->w_offset + d->w_written, (uint32_t)got);
            fake_flash_put(d, d->w_offset + d->w_written, buf, got);
            d->w_written += (uint32_t)got;
        } while (rc == Z_OK && (d->zs.avail_in > 0 || d->zs.avail_out == 0));
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            fake_reply(d, c->op, 0, NULL, 0, true, d->stub ? 0xC7 : 0x0B);
            return;
        }
    }
    fake_ok(d, c->op);
}

FAKE_FN void fake_md5_cmd(struct fake_device *d, const struct fake_cmd *c)
{
    uint32_t addr = c->words[0], size = c->words[1];
    uint8_t md5[16];
    if ((uint64_t)addr + size > d->flash_cap) {
        fake_reply(d, c->op, 0, NULL, 0, true, d->stub ? 0xC4 : 0x09);
        return;
    }
    fake_md5(d->flash + addr, size, md5);
    if (d->stub) {
        fake_reply(d, c->op, 0, md5, 16, false, 0);
        return;
    }
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md5[i]);
    fake_reply(d, c->op, 0, (const uint8_t *)hex, 32, false, 0);
}

FAKE_FN void fake_read_next_packet(struct fake_device *d)
{
    uint32_t left = d->r_size - d->r_sent;
    uint32_t n = left < d->r_packet ? left : d->r_packet;
    if (n == 0) {
        uint8_t md5[16];
        fake_md5(d->flash + d->r_offset, d->r_size, md5);
        if (d->bad_read_md5)
            md5[0] ^= 1;
        fake_out_frame(d, md5, 16);
        d->reading = false;
        return;
    }
    fake_out_frame(d, d->flash + d->r_offset + d->r_sent, n);
    d->r_sent += n;
}

FAKE_FN void fake_mem(struct fake_device *d, struct fake_cmd *c, const uint8_t *payload)
{
    switch (c->op) {
    case 0x05:
        d->mem_size = c->words[0];
        d->mem_addr = c->words[3];
        d->mem_seq = 0;
        d->mem_got = 0;
        fake_ok(d, c->op);
        break;
    case 0x07:
        if (!fake_data_checks(d, c, c->op, d->mem_seq))
            return;
        d->mem_seq++;
        d->mem_got += c->payload_len;
        fake_ok(d, c->op);
        break;
    case 0x06:
        fake_ok(d, c->op);
        if (c->words[0] == 0 && !d->no_ohai) {
            static const uint8_t ohai[4] = {'O', 'H', 'A', 'I'};
            d->stub = true;
            fake_out_frame(d, ohai, 4);
        }
        break;
    }
    (void)payload;
}

FAKE_FN void fake_command(struct fake_device *d, struct fake_cmd *c, const uint8_t *data)
{
    const uint8_t *payload = data + 16;
    switch (c->op) {
    case 0x08: fake_sync(d); break;
    case 0x14:
        fake_security_info(d, c->op);
        break;
    case 0x0A:
        if (d->secure_download)
            fake_unsupported(d, c->op);
        else
            fake_reply(d, c->op, fake_get_reg(d, c->words[0]), NULL, 0, false, 0);
        break;
    case 0x09: fake_write_reg(d, data, c->data_len); fake_ok(d, c->op); break;
    case 0x0B: case 0x0D:
        if (d->chip == FAKE_ESP8266 && !d->stub)
            fake_unsupported(d, c->op);
        else
            fake_ok(d, c->op);
        break;
    case 0x0F:
        d->new_baud = c->words[0];
        d->new_baud_old = c->words[1];
        fake_ok(d, c->op);
        break;
    case 0x05: case 0x06: case 0x07: fake_mem(d, c, payload); break;
    case 0x02: fake_flash_begin(d, c, false); break;
    case 0x10:
        if (d->chip == FAKE_ESP8266 && !d->stub)
            fake_unsupported(d, c->op);
        else
            fake_flash_begin(d, c, true);
        break;
    case 0x03: case 0x11: fake_flash_data(d, c, payload); break;
    case 0x04: case 0x12:
        if (d->stub && d->defl && d->w_written < d->w_size) {
            fake_reply(d, c->op, 0, NULL, 0, true, 0xC8);
        } else {
            d->writing = false;
            fake_end_inflate(d);
            fake_ok(d, c->op);
        }
        break;
    case 0x13:
        if (d->chip == FAKE_ESP8266 && !d->stub)
            fake_unsupported(d, c->op);
        else
            fake_md5_cmd(d, c);
        break;
    case 0xD1:
        if (!d->stub) {
            fake_unsupported(d, c->op);
            break;
        }
        fake_erase(d, c->words[0], c->words[1]);
        fake_ok(d, c->op);
        break;
    case 0x0E: {
        uint8_t buf[64] = {0};
        uint32_t n = c->words[1] < 64 ? c->words[1] : 64;
        if ((uint64_t)c->words[0] + n <= d->flash_cap)
            memcpy(buf, d->flash + c->words[0], n);
        fake_reply(d, c->op, 0, buf, 64, false, 0);
        break;
    }
    case 0xD2:
        if (!d->stub) {
            fake_unsupported(d, c->op);
            break;
        }
        d->reading = true;
        d->r_offset = c->words[0];
        d->r_size = c->words[1];
        d->r_packet = c->words[2];
        d->r_sent = 0;
        fake_ok(d, c->op);
        fake_read_next_packet(d);
        break;
    default:
        fake_unsupported(d, c->op);
        break;
    }
}

FAKE_FN void fake_packet(struct fake_device *d, const uint8_t *p, size_t n)
{
    if (d->reading && n == 4) {
        if (fake_get32(p) == d->r_sent)
            fake_read_next_packet(d);
        return;
    }
    if (n < 8 || p[0] != 0x00 || d->nlog == FAKE_LOG_CAP)
        return;
    struct fake_cmd *c = &d->log[d->nlog++];
    memset(c, 0, sizeof *c);
    c->op = p[1];
    c->size = (uint16_t)(p[2] | p[3] << 8);
    c->checksum = fake_get32(p + 4);
    c->data_len = n - 8;
    c->at = d->now;
    for (size_t i = 0; i < 6 && 8 + 4 * i + 4 <= n; i++)
        c->words[i] = fake_get32(p + 8 + 4 * i);
    if ((c->op == 0x03 || c->op == 0x07 || c->op == 0x11) && c->data_len >= 16) {
        c->payload_len = c->words[0];
        c->seq = c->words[1];
        uint8_t x = 0xEF;
        for (size_t i = 16; i < c->data_len; i++)
            x ^= p[8 + i];
        c->checksum_ok = x == c->checksum;
        c->last_payload_byte = p[n - 1];
    }
    memcpy(c->raw, d->raw_last, d->raw_last_len);
    c->raw_len = d->raw_last_len;
    if (!d->download)
        return;     /* running the app (or held in reset): the ROM is not listening */
    if (d->silent_after >= 0 && (int)d->nlog > d->silent_after)
        return;
    fake_command(d, c, p + 8);
}

/* Bytes from the host. */
FAKE_FN void fake_input(struct fake_device *d, const uint8_t *p, size_t n)
{
    d->raw_last_len = n < FAKE_RAW_CAP ? n : FAKE_RAW_CAP;
    memcpy(d->raw_last, p, d->raw_last_len);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == 0xC0) {
            if (d->in_len && !d->in_bad)
                fake_packet(d, d->in, d->in_len);
            d->in_len = 0;
            d->in_esc = d->in_bad = false;
            continue;
        }
        if (d->in_esc) {
            d->in_esc = false;
            if (c == 0xDC)
                c = 0xC0;
            else if (c == 0xDD)
                c = 0xDB;
            else
                d->in_bad = true;
        } else if (c == 0xDB) {
            d->in_esc = true;
            continue;
        }
        if (d->in_len < sizeof d->in)
            d->in[d->in_len++] = c;
        else
            d->in_bad = true;
    }
}

FAKE_FN struct fake_device *fake_new(enum fake_chip chip, size_t flash_cap)
{
    struct fake_device *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->chip = chip;
    d->download = true;         /* unless a reset says otherwise */
    d->silent_after = -1;
    d->fail_seq = -1;
    d->drop_seq = -1;
    d->jedec = 0x1640EF;        /* Winbond, 4 MB */
    static const uint8_t mac[6] = {0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56};
    memcpy(d->mac, mac, 6);
    fake_load_mac(d);
    d->flash_cap = flash_cap;
    d->flash = malloc(flash_cap ? flash_cap : 1);
    if (!d->flash)
        abort();
    memset(d->flash, 0xFF, flash_cap);
    return d;
}

FAKE_FN void fake_free(struct fake_device *d)
{
    if (!d)
        return;
    fake_end_inflate(d);
    free(d->flash);
    free(d);
}

FAKE_FN size_t fake_count(const struct fake_device *d, uint8_t op)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nlog; i++)
        n += d->log[i].op == op;
    return n;
}

/* The i-th logged command with opcode op (0-based), or NULL. */
FAKE_FN const struct fake_cmd *fake_find(const struct fake_device *d, uint8_t op, size_t i)
{
    for (size_t k = 0; k < d->nlog; k++)
        if (d->log[k].op == op && i-- == 0)
            return &d->log[k];
    return NULL;
}

/* A stand-in stub image: two text blocks and a small data segment. The
 * fake device "runs" whatever it is given. */
static uint8_t fake_stub_text[0x2000];
static uint8_t fake_stub_data[100];

FAKE_FN struct stub_image fake_stub_image(void)
{
    for (size_t i = 0; i < sizeof fake_stub_text; i++)
        fake_stub_text[i] = (uint8_t)(i * 7 + (i >> 8));
    for (size_t i = 0; i < sizeof fake_stub_data; i++)
        fake_stub_data[i] = (uint8_t)(0xC0 + i);    /* exercises SLIP escaping */
    return (struct stub_image){
        .entry = 0x40380100, .text_start = 0x40380000, .text = fake_stub_text,
        .text_len = sizeof fake_stub_text, .data_start = 0x3FC96000,
        .data = fake_stub_data, .data_len = sizeof fake_stub_data,
    };
}

/* ---- driving a loader against the fake ------------------------------------ */

struct fake_run {
    bool finished, ok;
    bool stalled;               /* the loader waited with no deadline */
    int sends, flushes, set_lines, progress;
    int set_baud;
    uint32_t last_baud;
    uint64_t progress_done, progress_total;
    bool progress_monotonic;
    size_t chunk;               /* feed at most this many bytes at once (0: all) */
};

/* Runs the loader's current operation to its DONE, or until max_steps
 * loop turns pass (then finished = false: a hang). Time is fake and jumps
 * to the loader's deadline when nothing is left to read. */
FAKE_FN struct fake_run fake_drive(struct loader *l, struct fake_device *d, uint64_t *now,
                                  size_t chunk, size_t max_steps)
{
    struct fake_run r = {.progress_monotonic = true, .chunk = chunk};
    for (size_t step = 0; step < max_steps; step++) {
        struct loader_event ev;
        bool sent = false;
        d->now = *now;
        while (loader_next_event(l, *now, &ev)) {
            switch (ev.kind) {
            case LOADER_EV_SEND:
                r.sends++;
                fake_input(d, ev.send.data, ev.send.len);
                sent = true;
                break;
            case LOADER_EV_SET_LINES:
                r.set_lines++;
                fake_lines(d, ev.lines.dtr, ev.lines.rts);
                break;
            case LOADER_EV_SET_BAUD:
                r.set_baud++;
                r.last_baud = ev.baud;
                break;
            case LOADER_EV_FLUSH_INPUT:
                r.flushes++;
                if (*now >= d->out_at && d->late_len) {
                    /* Only what has reached the host can be flushed. */
                    memmove(d->out, d->out + d->late_from, d->out_len - d->late_from);
                    d->out_len -= d->late_from;
                    d->late_from = 0;
                } else if (*now >= d->out_at) {
                    d->out_len = 0;
                }
                break;
            case LOADER_EV_PROGRESS:
                if (ev.progress.done < r.progress_done)
                    r.progress_monotonic = false;
                r.progress++;
                r.progress_done = ev.progress.done;
                r.progress_total = ev.progress.total;
                break;
            case LOADER_EV_DONE:
                r.finished = true;
                r.ok = ev.done.ok;
                return r;
            }
        }
        if (d->late_len && *now >= d->late_at) {
            /* They reached the host first: ahead of anything said since. */
            size_t n = d->late_len < FAKE_OUT_CAP - d->out_len ? d->late_len
                                                                : FAKE_OUT_CAP - d->out_len;
            memmove(d->out + d->late_from + n, d->out + d->late_from, d->out_len - d->late_from);
            memcpy(d->out + d->late_from, d->late, n);
            d->out_len += n;
            d->late_len = 0;
        }
        size_t avail = d->late_len ? d->late_from : d->out_len;
        uint64_t dl = loader_deadline(l);
        if (sent && d->nlog > 0 && dl != LOADER_NO_DEADLINE && dl >= *now)
            d->log[d->nlog - 1].wait = dl - *now;
        if (avail > 0 && *now >= d->out_at) {
            size_t n = chunk && chunk < avail ? chunk : avail;
            uint8_t buf[FAKE_OUT_CAP];
            memcpy(buf, d->out, n);
            memmove(d->out, d->out + n, d->out_len - n);
            d->out_len -= n;
            if (d->late_len)
                d->late_from -= n;
            *now += 10;
            loader_feed(l, *now, buf, n);
            continue;
        }
        if (dl == LOADER_NO_DEADLINE) {
            r.stalled = true;
            return r;
        }
        uint64_t next = dl;
        if (avail > 0 && d->out_at < next)
            next = d->out_at;
        if (d->late_len && d->late_at < next)
            next = d->late_at;
        if (next > *now)
            *now = next;
    }
    return r;
}

#endif
