/* Connect: reset into the ROM loader, SYNC, and find out which chip
 * answered (rom-protocol.md §4.2, §5, §6.4).
 *
 * Attempt schedule as esptool on a local POSIX port: the reset strategy
 * alternates a short and a long hold of IO0 after EN is released (0.05 s,
 * then 0.55 s for boards with a slow EN capacitor), and every second pair
 * switches between the "tight" sequence (both lines changed together) and
 * the "classic" one (one line at a time). Each attempt makes up to
 * sync_tries SYNC tries; a try counts only when all 8 replies arrive. */
#include "loader_internal.h"

#include <string.h>

enum {
    CONNECT_RESET,          /* timer: next step of the reset sequence */
    CONNECT_SYNC,           /* frames: SYNC replies */
    CONNECT_SYNC_PAUSE,     /* timer: pause between SYNC tries */
    CONNECT_SECURITY_INFO,  /* reply: GET_SECURITY_INFO */
    CONNECT_DRAIN,          /* timer: let an "unsupported" burst end, then flush */
    CONNECT_DRAIN_QUIET,    /* frames: drop them until the line is quiet, then
                               the magic, or done (drain_then_done) */
    CONNECT_MAGIC,          /* reply: READ_REG of the magic register */
};

#define SYNC_REPLIES 8
#define SYNC_REPLY_TIMEOUT (100 * LOADER_MS)
#define SYNC_PAUSE (50 * LOADER_MS)
#define UNSUPPORTED_DRAIN (200 * LOADER_MS)    /* esptool 5 */
#define DRAIN_QUIET (50 * LOADER_MS)
#define SECURITY_INFO_LEN 20
#define SECURITY_INFO_S2_LEN 12
#define SECURITY_FLAG_SECURE_DOWNLOAD (1u << 2)

struct line_step {
    bool dtr, rts;
    uint32_t wait_ms;       /* after setting the lines */
};

static size_t reset_sequence(const struct loader *l, struct line_step *s)
{
    size_t n = 0;
    uint32_t hold_ms = l->attempt % 2 ? 550 : 50;
    bool tight = (l->attempt / 2) % 2 == 0;

    switch (l->cfg.reset) {
    case LOADER_RESET_CLASSIC:
        if (tight) {
            s[n++] = (struct line_step){false, false, 0};
            s[n++] = (struct line_step){true, true, 0};
            s[n++] = (struct line_step){false, true, 100};     /* EN low */
            s[n++] = (struct line_step){true, false, hold_ms}; /* EN high, IO0 low */
            s[n++] = (struct line_step){false, false, 0};
        } else {
            s[n++] = (struct line_step){false, l->rts, 0};
            s[n++] = (struct line_step){false, true, 100};
            s[n++] = (struct line_step){true, true, 0};        /* RC keeps EN low */
            s[n++] = (struct line_step){true, false, hold_ms};
            s[n++] = (struct line_step){false, false, 0};
        }
        break;
    case LOADER_RESET_USB_JTAG:
        /* The USB-Serial/JTAG block reads the CDC line states itself and
         * wants RTS raised before DTR drops, so that step is spelled out
         * one line at a time whatever order the port applies a pair in. */
        s[n++] = (struct line_step){false, false, 100};
        s[n++] = (struct line_step){true, false, 100};
        s[n++] = (struct line_step){true, true, 0};
        s[n++] = (struct line_step){false, true, 100};
        s[n++] = (struct line_step){false, false, 0};
        break;
    case LOADER_RESET_GPIO:
        /* Straight wires: nothing keeps EN low for us, so IO0 goes low
         * while EN is still held and stays low over the EN release and the
         * chip's strap sampling. (dtr = IO0 low, rts = EN low.) */
        s[n++] = (struct line_step){false, true, 100};      /* EN low */
        s[n++] = (struct line_step){true, true, 0};         /* IO0 low too */
        s[n++] = (struct line_step){true, false, hold_ms};  /* EN released */
        s[n++] = (struct line_step){false, false, 0};       /* IO0 released */
        break;
    case LOADER_RESET_NONE:
        break;
    }
    return n;
}

static void start_sync_try(struct loader *l, uint64_t now)
{
    static const uint8_t sync_data[36] = {
        0x07, 0x07, 0x12, 0x20,
        0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
    };
    l->step = CONNECT_SYNC;
    l->replies = 0;
    l->sync_values_zero = true;
    /* Boot text and replies to earlier tries would be read as answers. */
    loader_flush_input(l);
    loader_command(l, now, ESP_SYNC, sync_data, sizeof sync_data, 0, SYNC_REPLY_TIMEOUT);
    /* The 8 replies are counted as raw frames: after the first, esptool
     * reads them without an opcode filter (§5.1). */
    loader_wait_frame(l, now + SYNC_REPLY_TIMEOUT);
}

static void run_reset(struct loader *l, uint64_t now)
{
    struct line_step seq[8];
    size_t n = reset_sequence(l, seq);
    l->step = CONNECT_RESET;
    while (l->pos < n) {
        struct line_step s = seq[l->pos++];
        loader_set_lines(l, s.dtr, s.rts);
        if (s.wait_ms) {
            loader_sleep(l, now, s.wait_ms * LOADER_MS);
            return;
        }
    }
    l->tries = 0;
    start_sync_try(l, now);
}

static void start_attempt(struct loader *l, uint64_t now)
{
    l->pos = 0;
    loader_flush_input(l);
    run_reset(l, now);
}

static void fail_no_sync(struct loader *l)
{
    int n = l->cfg.connect_attempts;
    if (l->best_sync_replies > 0)
        loader_fail(l, LOADER_ERR_NO_SYNC,
                    "the ROM loader answered SYNC only partly (%d of 8 replies) in %d "
                    "attempts: check the cable for noise and the baud rate (%u)",
                    l->best_sync_replies, n, (unsigned)l->baud);
    else if (l->boot_seen)
        loader_fail(l, LOADER_ERR_NO_SYNC,
                    "the chip printed its boot banner (boot:0x%x) but never answered SYNC "
                    "in %d attempts: check the BOOT/IO0 line, the auto-reset circuit and "
                    "the host TX line", (unsigned)l->boot_mode, n);
    else if (l->rx_bytes > 0)
        loader_fail(l, LOADER_ERR_NO_SYNC,
                    "received %llu bytes but no reply from the ROM loader in %d attempts: "
                    "check the baud rate, the BOOT/EN wiring and that this is an "
                    "Espressif chip", (unsigned long long)l->rx_bytes, n);
    else if (l->cfg.reset == LOADER_RESET_NONE)
        loader_fail(l, LOADER_ERR_NO_SYNC,
                    "no answer from the ROM loader after %d sync attempts: hold BOOT while "
                    "resetting the board, check the USB cable and that no other program "
                    "holds the port", n);
    else
        loader_fail(l, LOADER_ERR_NO_SYNC,
                    "no answer from the ROM loader after %d reset attempts: check the "
                    "BOOT/EN wiring, the USB cable and that no other program holds the "
                    "port", n);
}

static void sync_try_failed(struct loader *l, uint64_t now)
{
    if (++l->tries < l->cfg.sync_tries) {
        l->step = CONNECT_SYNC_PAUSE;
        loader_sleep(l, now, SYNC_PAUSE);
        return;
    }
    if (++l->attempt >= l->cfg.connect_attempts) {
        fail_no_sync(l);
        return;
    }
    start_attempt(l, now);
}

static void ask_security_info(struct loader *l, uint64_t now)
{
    l->step = CONNECT_SECURITY_INFO;
    loader_command(l, now, ESP_GET_SECURITY_INFO, NULL, 0, SECURITY_INFO_LEN,
                   LOADER_DEFAULT_TIMEOUT);
}

static void on_sync_frame(struct loader *l, uint64_t now, const struct loader_input *in)
{
    struct esp_response r;
    if (esp_parse_response(in->frame, in->len, 0, &r) == ESP_PARSE_NOT_RESPONSE ||
        (l->replies == 0 && r.op != ESP_SYNC)) {
        loader_keep_waiting(l, LOADER_WAIT_FRAME);
        return;
    }
    l->replies++;
    if (r.value != 0)
        l->sync_values_zero = false;
    if (l->replies > l->best_sync_replies)
        l->best_sync_replies = l->replies;
    if (l->replies < SYNC_REPLIES) {
        loader_wait_frame(l, now + SYNC_REPLY_TIMEOUT);
        return;
    }
    /* A ROM answers with the SYNC word as value, a running stub with 0
     * (§6.2): that is how a stub left running is recognised. */
    l->stub_running = l->sync_values_zero;
    ask_security_info(l, now);
}

static void record_security_info(struct loader *l, const struct loader_input *in)
{
    const struct esp_response *r = in->resp;
    if (r->failed)
        return;     /* a stub without the command: fall back to the magic */
    if (!in->short_reply) {
        l->info.security_flags = esp_get_u32(r->data);
        l->sec_chip_id = (int)esp_get_u32(r->data + 12);
        l->info.chip = chip_by_image_id(l->sec_chip_id);
    } else {
        /* The ESP32-S2 sends 12 bytes, without a chip id (§3.6). */
        struct esp_response s2;
        if (esp_parse_response(in->frame, in->len, SECURITY_INFO_S2_LEN, &s2) != ESP_PARSE_OK ||
            s2.failed)
            return;
        l->info.security_flags = esp_get_u32(s2.data);
    }
    l->info.secure_download = l->info.security_flags & SECURITY_FLAG_SECURE_DOWNLOAD;
}

static void ask_magic(struct loader *l, uint64_t now)
{
    if (l->info.chip && l->info.secure_download) {
        loader_finish(l, true);     /* READ_REG is refused in Secure Download Mode */
        return;
    }
    l->step = CONNECT_MAGIC;
    loader_read_reg(l, now, CHIP_MAGIC_REG);
}

/* done: connect ends after the drain; otherwise the magic is read. */
static void drain_then(struct loader *l, uint64_t now, bool done)
{
    /* An unsupported command is answered several times (8 on the ESP32
     * ROM): wait for the burst to end and drop it, as esptool 5 does,
     * instead of resetting the chip as esptool 4 did. */
    l->step = CONNECT_DRAIN;
    l->drain_then_done = done;
    loader_sleep(l, now, UNSUPPORTED_DRAIN);
}

/* The sleep is measured on our clock, not the line's: a loop held up
 * (jigd's, behind a slow fsync) wakes from it before reading bytes that
 * arrived long ago, which no flush can reach, and the rest of the burst was
 * then read as the next command's reply ("READ_REG refused": an ESP32
 * named an ESP32-S2 in Secure Download Mode). So after the flush every
 * frame is dropped until DRAIN_QUIET passes without one. */
static void drain_quiet(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (l->step == CONNECT_DRAIN) {
        loader_flush_input(l);
        l->step = CONNECT_DRAIN_QUIET;
    } else if (in->kind != LOADER_IN_FRAME) {
        if (l->drain_then_done)
            loader_finish(l, true);
        else
            ask_magic(l, now);
        return;
    }
    loader_wait_frame(l, now + DRAIN_QUIET);
}

static void on_magic(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (in->kind == LOADER_IN_TIMEOUT) {
        loader_reply_ok(l, in, "READ_REG of the chip magic");
        return;
    }
    bool refused = in->kind == LOADER_IN_UNSUPPORTED || in->resp->failed;
    if (refused) {
        /* Only Secure Download Mode refuses READ_REG; without a chip id
         * from the security info that leaves the ESP32-S2 (§6.4). */
        if (!l->info.chip)
            l->info.chip = chip_by_kind(CHIP_ESP32S2);
        l->info.secure_download = true;
        drain_then(l, now, true);
        return;
    }
    if (in->short_reply) {
        loader_reply_ok(l, in, "READ_REG of the chip magic");
        return;
    }
    l->info.magic = in->resp->value;
    if (!l->info.chip)
        l->info.chip = chip_by_magic(l->info.magic);
    if (!l->info.chip) {
        loader_fail(l, LOADER_ERR_UNKNOWN_CHIP,
                    "unknown chip (magic 0x%08x, chip id %d): this station does not support "
                    "it; check that the right board is in the jig",
                    (unsigned)l->info.magic, l->sec_chip_id);
        return;
    }
    loader_finish(l, true);
}

static void connect_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    switch (l->step) {
    case CONNECT_RESET:
        run_reset(l, now);
        break;
    case CONNECT_SYNC:
        if (in->kind == LOADER_IN_FRAME)
            on_sync_frame(l, now, in);
        else
            sync_try_failed(l, now);
        break;
    case CONNECT_SYNC_PAUSE:
        start_sync_try(l, now);
        break;
    case CONNECT_SECURITY_INFO:
        if (in->kind == LOADER_IN_REPLY) {
            record_security_info(l, in);
            ask_magic(l, now);
        } else {
            /* Unsupported (ESP32, ESP8266 ROM) or silent: a late or repeated
             * answer must not be taken for the next reply. */
            drain_then(l, now, false);
        }
        break;
    case CONNECT_DRAIN:
    case CONNECT_DRAIN_QUIET:
        drain_quiet(l, now, in);
        break;
    case CONNECT_MAGIC:
        on_magic(l, now, in);
        break;
    }
}

static void connect_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->info = (struct loader_chip_info){.revision = -1};
    l->sec_chip_id = -1;
    l->rx_bytes = 0;
    l->boot_seen = false;
    l->boot_match = 0;
    l->boot_digits = 0;
    l->best_sync_replies = 0;
    l->stub_running = false;
    l->flash_attached = false;
    if (l->baud != l->cfg.initial_baud) {
        /* A reset brings the ROM back at its own rate. */
        l->baud = l->cfg.initial_baud;
        loader_emit(l, (struct loader_event){.kind = LOADER_EV_SET_BAUD, .baud = l->baud});
    }
    l->advance = connect_advance;
    start_attempt(l, now);
}

int loader_start_connect(struct loader *l, uint64_t now)
{
    return loader_begin_op(l, now, PHASE_CONNECT, connect_start);
}
