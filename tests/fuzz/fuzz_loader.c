/* Fuzzes the loader with arbitrary device replies on a fake clock.
 *
 * Input: byte 0 picks the chip (bits 0-1), reset kind (bits 2-3), boot
 * banner (0x40), stub upload (0x20) and compressed write (0x80);
 * byte 1 says how many commands fake_device (a scripted FAKE board, see
 * tests/unit/fake_device.h) answers properly before it goes quiet, so the
 * fuzzer reaches identify, the stub, writes, MD5 and reads; the rest is fed
 * as raw device output in chunks whose lengths come from the input.
 *
 * Properties checked, beyond "no crash, no sanitizer report":
 *  - while an operation runs, the loader always has a deadline or an event
 *    (it can never wait forever);
 *  - every operation ends with DONE within a bounded number of steps once
 *    the input is used up (no livelock). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_device.h"
#include "zimage.h"

#define REGION_SIZE 6000
#define STEP_LIMIT 200000

struct feed {
    const uint8_t *p;
    size_t n;
};

static void drive(struct loader *l, struct fake_device *d, uint64_t *now, struct feed *f)
{
    for (size_t step = 0; step < STEP_LIMIT; step++) {
        struct loader_event ev;
        d->now = *now;
        while (loader_next_event(l, *now, &ev)) {
            switch (ev.kind) {
            case LOADER_EV_SEND:
                if (ev.send.len == 0 || !ev.send.data)
                    abort();
                fake_input(d, ev.send.data, ev.send.len);
                break;
            case LOADER_EV_SET_LINES:
                fake_lines(d, ev.lines.dtr, ev.lines.rts);
                break;
            case LOADER_EV_FLUSH_INPUT:
                d->out_len = 0;
                break;
            case LOADER_EV_DONE:
#ifdef FUZZ_LOADER_TRACE
                fprintf(stderr, "%s: %s %s\n", phase_name(loader_error(l)->phase),
                        ev.done.ok ? "ok" : "failed", loader_error(l)->message);
#endif
                return;
            default:
                break;
            }
        }
        if (d->out_len > 0) {
            *now += 50;
            size_t n = d->out_len;
            d->out_len = 0;
            loader_feed(l, *now, d->out, n);
            continue;
        }
        if (f->n > 0) {
            size_t len = 1 + f->p[0] % 96;
            f->p++;
            f->n--;
            if (len > f->n)
                len = f->n;
            *now += 700;
            loader_feed(l, *now, f->p, len);
            f->p += len;
            f->n -= len;
            continue;
        }
        uint64_t dl = loader_deadline(l);
        if (dl == LOADER_NO_DEADLINE)
            abort();    /* running, nothing queued, and no deadline: a hang */
        if (dl > *now)
            *now = dl;
    }
    abort();            /* never finished */
}

static const uint8_t *zregion(const uint8_t *data, size_t *zsize)
{
    static uint8_t *z;
    static size_t zs;
    if (!z)
        z = zimage_compress(data, REGION_SIZE, &zs);
    *zsize = zs;
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static uint8_t region_data[REGION_SIZE];
    for (size_t i = 0; i < REGION_SIZE; i++)
        region_data[i] = (uint8_t)(i < 3000 ? i * 31 : 0);

    static const enum fake_chip chips[] = {FAKE_ESP32, FAKE_ESP32C3, FAKE_ESP8266,
                                           FAKE_ESP32C3};
    struct fake_device *d = fake_new(chips[data[0] & 3], 64 * 1024);
    d->silent_after = data[1];
    d->boot_banner = data[0] & 0x40;
    struct loader *l = malloc(sizeof *l);
    if (!l)
        abort();
    struct loader_config cfg;
    loader_config_default(&cfg);
    static const enum loader_reset resets[] = {LOADER_RESET_CLASSIC, LOADER_RESET_USB_JTAG,
                                               LOADER_RESET_NONE, LOADER_RESET_NONE};
    cfg.reset = resets[(data[0] >> 2) & 3];
    cfg.connect_attempts = 2;   /* the schedule is tested elsewhere; keep runs short */
    loader_init(l, &cfg);
    struct feed f = {data + 2, size - 2};
    uint64_t now = 0;

    if (loader_start_connect(l, now) == 0)
        drive(l, d, &now, &f);
    if (loader_start_identify(l, now) == 0)
        drive(l, d, &now, &f);
    if (data[0] & 0x20) {
        struct stub_image stub = fake_stub_image();
        if (loader_start_stub(l, now, &stub) == 0)
            drive(l, d, &now, &f);
        if (loader_start_set_baud(l, now, 921600) == 0)
            drive(l, d, &now, &f);
    }
    size_t zsize;
    const uint8_t *z = zregion(region_data, &zsize);
    struct loader_region r = {.offset = 0x1000, .data = region_data, .size = REGION_SIZE,
                              .zdata = (data[0] & 0x80) ? z : NULL, .zsize = zsize};
    if (loader_start_write(l, now, &r) == 0)
        drive(l, d, &now, &f);
    if (loader_start_md5(l, now, 0x1000, REGION_SIZE) == 0)
        drive(l, d, &now, &f);
    static uint8_t back[REGION_SIZE];
    if (loader_start_read(l, now, 0x1000, REGION_SIZE, back) == 0)
        drive(l, d, &now, &f);
    if (loader_start_erase(l, now, 0x1000, 0x2000) == 0)
        drive(l, d, &now, &f);
    if (loader_start_hard_reset(l, now) == 0)
        drive(l, d, &now, &f);

    free(l);
    fake_free(d);
    return 0;
}
