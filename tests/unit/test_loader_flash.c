/* The loader's flash operations: writes on the ROM and stub paths (blocks,
 * seq, checksums, erase sizes, the 5th BEGIN word), block retries, device
 * errors and silence mid-write, size-scaled timeouts, MD5 in both formats,
 * erase and read back, against fake_device, a scripted fake board (see
 * fake_device.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_device.h"
#include "zimage.h"

#define MAX_STEPS 2000000
#define FLASH_CAP (4u << 20)

static struct loader *session(struct fake_device *d, uint64_t *now, bool stub)
{
    struct loader *l = malloc(sizeof *l);
    assert_non_null(l);
    struct loader_config cfg;
    loader_config_default(&cfg);
    cfg.reset = LOADER_RESET_NONE;
    loader_init(l, &cfg);
    assert_int_equal(loader_start_connect(l, *now), 0);
    assert_true(fake_drive(l, d, now, 0, MAX_STEPS).ok);
    assert_int_equal(loader_start_identify(l, *now), 0);
    assert_true(fake_drive(l, d, now, 0, MAX_STEPS).ok);
    if (stub) {
        struct stub_image img = fake_stub_image();
        assert_int_equal(loader_start_stub(l, *now, &img), 0);
        assert_true(fake_drive(l, d, now, 0, MAX_STEPS).ok);
    }
    d->nlog = 0;
    return l;
}

static struct fake_run run(struct loader *l, struct fake_device *d, uint64_t *now)
{
    struct fake_run r = fake_drive(l, d, now, 0, MAX_STEPS);
    assert_true(r.finished);
    assert_false(r.stalled);
    return r;
}

/* Firmware-like bytes: varied, with a long erased stretch in the middle. */
static uint8_t *image(size_t n, size_t zeros_from, size_t zeros_len)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    if (zeros_len)
        memset(p + zeros_from, 0, zeros_len);
    return p;
}

static size_t count_seq(const struct fake_device *d, uint8_t op, uint32_t seq)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nlog; i++)
        n += d->log[i].op == op && d->log[i].seq == seq;
    return n;
}

static void test_rom_write_uncompressed_esp32c3(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t *data = image(5000, 0, 0);
    struct loader_region r = {.offset = 0x10000, .data = data, .size = 5000};
    assert_int_equal(loader_start_write(l, now, &r), 0);
    struct fake_run res = run(l, d, &now);
    assert_true(res.ok);

    /* FLASH_BEGIN: erase 5000 rounded up to 1 KiB, 5 blocks of 0x400, and
     * the 5th word (0) that esptool 4 sends to S2-and-later ROMs (§3.3). */
    const struct fake_cmd *b = fake_find(d, 0x02, 0);
    assert_non_null(b);
    assert_int_equal(b->data_len, 20);
    uint32_t want[5] = {0x1400, 5, 0x400, 0x10000, 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(b->words[i], want[i]);
    assert_int_equal(fake_count(d, 0x03), 5);
    for (uint32_t s = 0; s < 5; s++) {
        const struct fake_cmd *c = fake_find(d, 0x03, s);
        assert_int_equal(c->seq, s);
        assert_int_equal(c->payload_len, 0x400);    /* last block padded */
        assert_int_equal(c->data_len, 0x410);
        assert_true(c->checksum_ok);
        assert_int_equal(c->wait, 3000000);         /* 1 KiB: the 3 s floor */
    }
    assert_int_equal(fake_find(d, 0x03, 4)->last_payload_byte, 0xFF);
    assert_memory_equal(d->flash + 0x10000, data, 5000);
    assert_int_equal(d->flash[0x10000 + 5000], 0xFF);
    assert_int_equal(fake_count(d, 0x04), 0);       /* never END to a ROM mid-session */
    assert_int_equal(res.progress_done, 5000);
    assert_int_equal(res.progress_total, 5000);
    assert_true(res.progress_monotonic);
    free(data);
    free(l);
    fake_free(d);
}

static void test_rom_write_compressed_esp32_sends_4_words(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t *data = image(30000, 1000, 20000);
    struct loader_region r;
    assert_int_equal(zimage_region(&r, 0x1000, data, 30000), 0);
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);

    const struct fake_cmd *b = fake_find(d, 0x10, 0);
    assert_non_null(b);
    assert_int_equal(b->data_len, 16);              /* ESP32 ROM: no 5th word */
    assert_int_equal(b->words[0], 30720);           /* ROM: size rounded up to 1 KiB */
    assert_int_equal(b->words[1], (r.zsize + 0x3FF) / 0x400);
    assert_int_equal(b->words[2], 0x400);
    size_t sent = 0;
    for (size_t i = 0; i < fake_count(d, 0x11); i++)
        sent += fake_find(d, 0x11, i)->payload_len;
    assert_int_equal(sent, r.zsize);                /* compressed blocks are not padded */
    assert_memory_equal(d->flash + 0x1000, data, 30000);
    free((void *)r.zdata);
    free(data);
    free(l);
    fake_free(d);
}

static void test_stub_write_compressed_then_md5(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, true);
    size_t n = 200000;
    uint8_t *data = image(n, 50000, 60000);
    struct loader_region r;
    assert_int_equal(zimage_region(&r, 0x10000, data, n), 0);
    assert_int_equal(loader_start_write(l, now, &r), 0);
    struct fake_run res = run(l, d, &now);
    assert_true(res.ok);

    const struct fake_cmd *b = fake_find(d, 0x10, 0);
    assert_int_equal(b->data_len, 16);              /* stub: 4 words (esptool 4) */
    assert_int_equal(b->words[0], n);               /* stub: exact size */
    uint32_t blocks = (uint32_t)((r.zsize + 0x3FFF) / 0x4000);
    assert_true(blocks > 1);
    assert_int_equal(b->words[1], blocks);
    assert_int_equal(b->words[2], 0x4000);
    assert_int_equal(fake_count(d, 0x11), blocks);
    for (uint32_t s = 0; s < blocks; s++) {
        assert_int_equal(fake_find(d, 0x11, s)->seq, s);
        assert_true(fake_find(d, 0x11, s)->checksum_ok);
    }
    /* FLASH_DEFL_END(1): last block on flash, stub stays (§3.4) */
    assert_int_equal(d->log[d->nlog - 1].op, 0x12);
    assert_int_equal(d->log[d->nlog - 1].words[0], 1);
    assert_memory_equal(d->flash + 0x10000, data, n);
    assert_int_equal(res.progress_done, n);

    assert_int_equal(loader_start_md5(l, now, 0x10000, (uint32_t)n), 0);
    assert_true(run(l, d, &now).ok);
    uint8_t want[16];
    fake_md5(data, n, want);
    assert_memory_equal(loader_md5(l), want, 16);
    assert_int_equal(d->log[d->nlog - 1].words[1], n);
    free((void *)r.zdata);
    free(data);
    free(l);
    fake_free(d);
}

static void test_stub_write_uncompressed(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, true);
    uint8_t *data = image(40000, 0, 0);
    struct loader_region r = {.offset = 0x20000, .data = data, .size = 40000};
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);
    const struct fake_cmd *b = fake_find(d, 0x02, 0);
    assert_int_equal(b->words[0], 40000);
    assert_int_equal(b->words[1], 3);
    assert_int_equal(b->words[2], 0x4000);
    assert_int_equal(fake_count(d, 0x03), 3);
    assert_int_equal(fake_find(d, 0x03, 2)->payload_len, 0x4000);
    assert_int_equal(d->log[d->nlog - 1].op, 0x04);
    assert_memory_equal(d->flash + 0x20000, data, 40000);
    free(data);
    free(l);
    fake_free(d);
}

static void test_esp8266_rom_erase_size_quirk(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP8266, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t *data = image(0x20000, 0, 0);
    /* 3 sectors from sector 1 (15 before the 64 KiB boundary): the ROM
     * would erase min(3,15)+3 = 6, so ask for ceil(3/2) = 2 (§9.6). */
    struct loader_region r = {.offset = 0x1000, .data = data, .size = 0x3000};
    size_t zsize;
    r.zdata = zimage_compress(data, r.size, &zsize);    /* ignored: this ROM cannot inflate */
    r.zsize = zsize;
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);
    const struct fake_cmd *b = fake_find(d, 0x02, 0);
    assert_int_equal(b->data_len, 16);
    assert_int_equal(b->words[0], 0x2000);
    assert_int_equal(fake_count(d, 0x10), 0);
    free((void *)r.zdata);

    /* 32 sectors from a 64 KiB boundary: (32 - 16) sectors */
    d->nlog = 0;
    struct loader_region big = {.offset = 0x40000, .data = data, .size = 0x20000};
    assert_int_equal(loader_start_write(l, now, &big), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(fake_find(d, 0x02, 0)->words[0], 0x10000);
    assert_memory_equal(d->flash + 0x40000, data, 0x20000);

    /* and no MD5 on this ROM: refused with advice */
    assert_int_equal(loader_start_md5(l, now, 0x40000, 0x20000), -1);
    assert_non_null(strstr(loader_error(l)->message, "stub"));
    free(data);
    free(l);
    fake_free(d);
}

static void test_device_error_mid_write_is_retried_then_reported(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, true);
    uint8_t *data = image(100000, 0, 0);
    struct loader_region r = {.offset = 0x10000, .data = data, .size = 100000};
    d->fail_seq = 3;
    d->fail_times = 3;
    d->fail_code = 0xC1;
    assert_int_equal(loader_start_write(l, now, &r), 0);
    struct fake_run res = run(l, d, &now);

    assert_false(res.ok);
    const struct loader_error *e = loader_error(l);
    assert_int_equal(e->code, LOADER_ERR_DEVICE_STATUS);
    assert_int_equal(e->phase, PHASE_WRITE);
    assert_non_null(strstr(e->message, "block 4 of 7"));
    assert_non_null(strstr(e->message, "0x10000"));
    static const uint8_t st[2] = {0xC1, 0x00};
    assert_non_null(strstr(e->message, esp_status_text(true, st)));
    assert_int_equal(count_seq(d, 0x03, 3), 3);     /* same seq, 3 attempts */
    assert_int_equal(count_seq(d, 0x03, 4), 0);
    free(data);
    free(l);
    fake_free(d);
}

static void test_one_failed_block_is_resent_with_the_same_seq(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t *data = image(8000, 0, 0);
    struct loader_region r = {.offset = 0x8000, .data = data, .size = 8000};
    d->fail_seq = 2;
    d->fail_times = 1;
    d->fail_code = 0x07;    /* ROM: checksum error */
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(count_seq(d, 0x03, 2), 2);
    assert_memory_equal(d->flash + 0x8000, data, 8000);

    /* a block whose reply is lost is re-sent after its timeout */
    d->nlog = 0;
    d->drop_seq = 1;
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(count_seq(d, 0x03, 1), 2);
    free(data);
    free(l);
    fake_free(d);
}

static void test_board_going_silent_mid_write(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, true);
    uint8_t *data = image(200000, 0, 0);
    struct loader_region r = {.offset = 0x10000, .data = data, .size = 200000};
    d->silent_after = 1 + 5;    /* BEGIN and blocks 0..4 answered */
    assert_int_equal(loader_start_write(l, now, &r), 0);
    struct fake_run res = run(l, d, &now);

    assert_false(res.ok);
    const struct loader_error *e = loader_error(l);
    assert_int_equal(e->code, LOADER_ERR_TIMEOUT);
    assert_int_equal(e->phase, PHASE_WRITE);
    assert_non_null(strstr(e->message, "write at 0x10000 (block 6 of 13)"));
    assert_non_null(strstr(e->message, "check the cable and power"));
    assert_int_equal(count_seq(d, 0x03, 5), 3);
    free(data);
    free(l);
    fake_free(d);
}

/* What each 16 KiB (or 1 KiB) piece of a zlib stream inflates to, counted
 * here independently of the loader. */
static void block_outputs(const uint8_t *z, size_t zsize, size_t block, uint64_t *out,
                          size_t cap)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(inflateInit(&s), Z_OK);
    uint8_t *sink = malloc(1 << 16);
    for (size_t k = 0; k * block < zsize && k < cap; k++) {
        size_t len = zsize - k * block < block ? zsize - k * block : block;
        s.next_in = (Bytef *)(uintptr_t)(z + k * block);
        s.avail_in = (uInt)len;
        out[k] = 0;
        int rc;
        do {
            s.next_out = sink;
            s.avail_out = 1 << 16;
            rc = inflate(&s, Z_NO_FLUSH);
            out[k] += (1 << 16) - s.avail_out;
        } while (rc == Z_OK && (s.avail_in > 0 || s.avail_out == 0));
    }
    inflateEnd(&s);
    free(sink);
}

static void test_timeouts_scale_with_size(void **state)
{
    (void)state;
    assert_int_equal(loader_scaled_timeout(8, 1000), 3000000);
    assert_int_equal(loader_scaled_timeout(40, 16u << 20), 40ull * (16u << 20));
    assert_int_equal(loader_scaled_timeout(30, 1000000), 30000000);

    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, true);
    /* 1 MiB of zeros then random: the first compressed block carries over
     * a megabyte, so the stub's reply to block 1 (which waits for block 0
     * to be written) needs far more than 3 s. */
    size_t n = (1u << 20) + 40000;
    uint8_t *data = image(n, 0, 1u << 20);
    struct loader_region r;
    assert_int_equal(zimage_region(&r, 0, data, n), 0);
    uint64_t out[64];
    block_outputs(r.zdata, r.zsize, 0x4000, out, 64);
    assert_true(out[0] > (1u << 20));
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);
    size_t blocks = fake_count(d, 0x11);
    assert_true(blocks >= 2);
    assert_int_equal(fake_find(d, 0x11, 0)->wait, 3000000);
    for (size_t k = 1; k < blocks; k++)
        assert_int_equal(fake_find(d, 0x11, k)->wait,
                         loader_scaled_timeout(40, out[k - 1]));
    assert_true(fake_find(d, 0x11, 1)->wait > 40000000);
    assert_int_equal(fake_find(d, 0x12, 0)->wait, loader_scaled_timeout(40, out[blocks - 1]));
    free((void *)r.zdata);
    free(data);
    free(l);
    fake_free(d);
}

static void test_rom_waits_for_its_own_block_and_for_the_erase(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    size_t n = (2u << 20) + 3000;
    uint8_t *data = image(n, 0, 2u << 20);
    struct loader_region r;
    assert_int_equal(zimage_region(&r, 0, data, n), 0);
    uint64_t out[8];
    block_outputs(r.zdata, r.zsize, 0x400, out, 8);
    /* The ROM erases everything at BEGIN: a slow erase is fine if it fits
     * 30 s per MB of the region. */
    d->begin_delay = 50000000;
    assert_int_equal(loader_start_write(l, now, &r), 0);
    assert_true(run(l, d, &now).ok);
    uint32_t erase = fake_find(d, 0x10, 0)->words[0];
    assert_int_equal(fake_find(d, 0x10, 0)->wait, loader_scaled_timeout(30, erase));
    /* ROM writes before it answers: each block gets its own timeout */
    assert_int_equal(fake_find(d, 0x11, 0)->wait, loader_scaled_timeout(40, out[0]));
    assert_true(fake_find(d, 0x11, 0)->wait > 3000000);
    assert_memory_equal(d->flash, data, n);

    /* the same slow erase on a small region is a timeout */
    d->nlog = 0;
    struct loader_region small = {.offset = 0x300000, .data = data + 0x200000, .size = 3000};
    assert_int_equal(loader_start_write(l, now, &small), 0);
    assert_false(run(l, d, &now).ok);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_TIMEOUT);
    assert_non_null(strstr(loader_error(l)->message, "erasing"));
    free((void *)r.zdata);
    free(data);
    free(l);
    fake_free(d);
}

static void test_md5_from_the_rom_is_hex(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t *data = image(4096, 0, 0);
    memcpy(d->flash + 0x9000, data, 4096);
    assert_int_equal(loader_start_md5(l, now, 0x9000, 4096), 0);
    assert_true(run(l, d, &now).ok);
    uint8_t want[16];
    fake_md5(data, 4096, want);
    assert_memory_equal(loader_md5(l), want, 16);
    const struct fake_cmd *c = fake_find(d, 0x13, 0);
    assert_int_equal(c->data_len, 16);
    assert_int_equal(c->words[0], 0x9000);
    assert_int_equal(c->words[1], 4096);
    free(data);
    free(l);
    fake_free(d);
}

static void test_erase_on_stub_and_rom(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    memset(d->flash + 0x3000, 0x11, 0x2000);
    assert_int_equal(loader_start_erase(l, now, 0x3000, 0x2000), 0);
    assert_true(run(l, d, &now).ok);
    const struct fake_cmd *b = fake_find(d, 0x02, 0);
    uint32_t want[5] = {0x2000, 0, 0x400, 0x3000, 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(b->words[i], want[i]);
    assert_int_equal(d->flash[0x3000], 0xFF);

    struct stub_image img = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &img), 0);
    assert_true(run(l, d, &now).ok);
    memset(d->flash + 0x5000, 0x22, 0x1000);
    assert_int_equal(loader_start_erase(l, now, 0x5000, 0x1000), 0);
    assert_true(run(l, d, &now).ok);
    const struct fake_cmd *e = fake_find(d, 0xD1, 0);
    assert_non_null(e);
    assert_int_equal(e->words[0], 0x5000);
    assert_int_equal(e->words[1], 0x1000);
    assert_int_equal(d->flash[0x5FFF], 0xFF);

    assert_int_equal(loader_start_erase(l, now, 0x5001, 0x1000), -1);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_BAD_ARGUMENT);
    free(l);
    fake_free(d);
}

static void test_read_back_on_stub_and_rom(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t *data = image(0x2800, 0, 0);
    memcpy(d->flash + 0x1000, data, 0x2800);
    uint8_t *got = calloc(1, 0x2800);

    assert_int_equal(loader_start_read(l, now, 0x1000, 200, got), 0);
    assert_true(run(l, d, &now).ok);
    assert_memory_equal(got, data, 200);
    assert_int_equal(fake_count(d, 0x0E), 4);       /* 64-byte chunks */
    assert_int_equal(fake_find(d, 0x0E, 3)->words[1], 200 - 192);

    struct stub_image img = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &img), 0);
    assert_true(run(l, d, &now).ok);
    memset(got, 0, 0x2800);
    assert_int_equal(loader_start_read(l, now, 0x1000, 0x2800, got), 0);
    struct fake_run res = run(l, d, &now);
    assert_true(res.ok);
    assert_memory_equal(got, data, 0x2800);
    const struct fake_cmd *c = fake_find(d, 0xD2, 0);
    assert_int_equal(c->words[2], 0x1000);
    assert_int_equal(res.progress_done, 0x2800);

    /* a digest that does not match what arrived is a verify error */
    d->bad_read_md5 = true;
    assert_int_equal(loader_start_read(l, now, 0x1000, 0x2800, got), 0);
    assert_false(run(l, d, &now).ok);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_VERIFY);
    assert_int_equal(loader_error(l)->phase, PHASE_READ);
    free(got);
    free(data);
    free(l);
    fake_free(d);
}

static void test_write_arguments_are_checked(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    uint64_t now = 0;
    struct loader *l = session(d, &now, false);
    uint8_t byte = 0;
    struct loader_region unaligned = {.offset = 0x10010, .data = &byte, .size = 1};
    assert_int_equal(loader_start_write(l, now, &unaligned), -1);
    assert_non_null(strstr(loader_error(l)->message, "4 KiB"));
    struct loader_region too_big = {.offset = 0x3FF000, .data = &byte, .size = 0x2000};
    assert_int_equal(loader_start_write(l, now, &too_big), -1);
    assert_non_null(strstr(loader_error(l)->message, "does not fit"));
    struct loader_region empty = {.offset = 0, .data = NULL, .size = 10};
    assert_int_equal(loader_start_write(l, now, &empty), -1);
    assert_int_equal(loader_start_write(l, now, NULL), -1);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_BAD_ARGUMENT);
    struct loader_event ev;
    assert_false(loader_next_event(l, now, &ev));
    free(l);
    fake_free(d);
}

static void test_rom_flash_operations_need_identify_first(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, FLASH_CAP);
    struct loader *l = malloc(sizeof *l);
    struct loader_config cfg;
    loader_config_default(&cfg);
    cfg.reset = LOADER_RESET_NONE;
    loader_init(l, &cfg);
    uint64_t now = 0;
    assert_int_equal(loader_start_connect(l, now), 0);
    assert_true(fake_drive(l, d, &now, 0, MAX_STEPS).ok);
    uint8_t byte = 1;
    struct loader_region r = {.offset = 0, .data = &byte, .size = 1};
    assert_int_equal(loader_start_write(l, now, &r), -1);
    assert_non_null(strstr(loader_error(l)->message, "run identify"));
    assert_int_equal(loader_start_md5(l, now, 0, 4096), -1);
    free(l);
    fake_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rom_write_uncompressed_esp32c3),
        cmocka_unit_test(test_rom_write_compressed_esp32_sends_4_words),
        cmocka_unit_test(test_stub_write_compressed_then_md5),
        cmocka_unit_test(test_stub_write_uncompressed),
        cmocka_unit_test(test_esp8266_rom_erase_size_quirk),
        cmocka_unit_test(test_device_error_mid_write_is_retried_then_reported),
        cmocka_unit_test(test_one_failed_block_is_resent_with_the_same_seq),
        cmocka_unit_test(test_board_going_silent_mid_write),
        cmocka_unit_test(test_timeouts_scale_with_size),
        cmocka_unit_test(test_rom_waits_for_its_own_block_and_for_the_erase),
        cmocka_unit_test(test_md5_from_the_rom_is_hex),
        cmocka_unit_test(test_erase_on_stub_and_rom),
        cmocka_unit_test(test_read_back_on_stub_and_rom),
        cmocka_unit_test(test_write_arguments_are_checked),
        cmocka_unit_test(test_rom_flash_operations_need_identify_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
