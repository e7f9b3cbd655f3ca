/* The loader's core: event queue, input dispatch, deadlines, errors and
 * accessors. The operations themselves live in loader_<operation>.c. */
#include "loader_internal.h"
#include "hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define QUEUE_CAP (sizeof ((struct loader *)0)->queue / sizeof(struct loader_event))

const char *loader_reset_name(enum loader_reset r)
{
    switch (r) {
    case LOADER_RESET_CLASSIC: return "classic";
    case LOADER_RESET_USB_JTAG: return "usb-jtag";
    case LOADER_RESET_NONE: return "none";
    case LOADER_RESET_GPIO: return "gpio";
    }
    return NULL;
}

void loader_config_default(struct loader_config *c)
{
    *c = (struct loader_config){
        .reset = LOADER_RESET_CLASSIC,
        .initial_baud = 115200,
        .connect_attempts = 7,
        .sync_tries = 5,
    };
}

void loader_init(struct loader *l, const struct loader_config *cfg)
{
    memset(l, 0, sizeof *l);
    if (cfg)
        l->cfg = *cfg;
    else
        loader_config_default(&l->cfg);
    if (l->cfg.initial_baud == 0)
        l->cfg.initial_baud = 115200;
    if (l->cfg.connect_attempts < 1)
        l->cfg.connect_attempts = 1;
    if (l->cfg.sync_tries < 1)
        l->cfg.sync_tries = 1;
    slip_decoder_init(&l->rx, l->rx_buf, sizeof l->rx_buf);
    l->baud = l->cfg.initial_baud;
    l->info.revision = -1;
    l->phase = PHASE_NONE;
}

uint64_t loader_scaled_timeout(uint32_t seconds_per_mb, uint64_t bytes)
{
    /* In microseconds: s/MB * bytes / 1e6 s = s/MB * bytes us. */
    uint64_t t = (uint64_t)seconds_per_mb * bytes;
    return t > LOADER_DEFAULT_TIMEOUT ? t : LOADER_DEFAULT_TIMEOUT;
}

/* ---- operation life cycle ---------------------------------------------- */

static void set_error(struct loader *l, int code, const char *fmt, va_list ap)
{
    l->error.phase = l->phase;
    l->error.code = code;
    vsnprintf(l->error.message, sizeof l->error.message, fmt, ap);
}

int loader_refuse(struct loader *l, int code, const char *fmt, ...)
{
    /* A refused start must not disturb a running operation's state, only
     * report why; the phase named is the one that was asked for. */
    va_list ap;
    va_start(ap, fmt);
    set_error(l, code, fmt, ap);
    va_end(ap);
    return -1;
}

int loader_begin_op(struct loader *l, uint64_t now, enum phase phase,
                    loader_advance_fn *advance)
{
    if (l->running)
        return loader_refuse(l, LOADER_ERR_BUSY,
                             "%s is still running: wait for it to finish before "
                             "starting %s", phase_name(l->phase),
                             phase_name(phase));
    l->phase = phase;
    l->running = true;
    l->advance = advance;
    l->step = 0;
    l->wait = LOADER_WAIT_NONE;
    l->error = (struct loader_error){.phase = phase, .code = LOADER_OK};
    l->seq = l->blocks = 0;
    l->pos = l->cur_len = 0;
    l->done_bytes = 0;
    l->attempt = l->tries = l->replies = l->retries = 0;
    l->n_addrs = 0;

    struct loader_input in = {.kind = LOADER_IN_START};
    advance(l, now, &in);
    if (l->running && l->wait == LOADER_WAIT_NONE)
        loader_fail(l, LOADER_ERR_PROTOCOL, "internal error: %s started without a deadline",
                    phase_name(phase));
    return 0;
}

void loader_finish(struct loader *l, bool ok)
{
    if (!l->running)
        return;
    l->running = false;
    l->wait = LOADER_WAIT_NONE;
    if (ok)
        l->error = (struct loader_error){.phase = l->phase, .code = LOADER_OK};
    loader_emit(l, (struct loader_event){.kind = LOADER_EV_DONE, .done.ok = ok});
    l->phase = PHASE_NONE;
}

void loader_fail(struct loader *l, int code, const char *fmt, ...)
{
    if (!l->running)
        return;
    va_list ap;
    va_start(ap, fmt);
    set_error(l, code, fmt, ap);
    va_end(ap);
    loader_finish(l, false);
}

int loader_require_chip(struct loader *l)
{
    if (l->running)
        return loader_refuse(l, LOADER_ERR_BUSY,
                             "%s is still running: wait for it to finish",
                             phase_name(l->phase));
    if (!l->info.chip)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "not connected to a chip: connect first");
    return 0;
}

int loader_require_flash(struct loader *l)
{
    if (loader_require_chip(l))
        return -1;
    /* The ESP8266 ROM attaches at FLASH_BEGIN; ESP32-family ROMs need an
     * explicit SPI_ATTACH first (§8.2). */
    if (!l->stub_running && !l->flash_attached && l->info.chip->kind != CHIP_ESP8266)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "the %s ROM has not attached its flash yet: run identify "
                             "before flash operations", l->info.chip->name);
    return 0;
}

bool loader_reply_ok(struct loader *l, const struct loader_input *in, const char *what)
{
    const char *phase = phase_name(l->phase);
    switch (in->kind) {
    case LOADER_IN_REPLY:
        if (in->resp->failed) {
            loader_fail(l, LOADER_ERR_DEVICE_STATUS,
                        "device refused %s during %s: %s (status %02x %02x)", what,
                        phase, esp_status_text(l->stub_running, in->resp->status),
                        in->resp->status[0], in->resp->status[1]);
            return false;
        }
        if (in->short_reply) {
            loader_fail(l, LOADER_ERR_PROTOCOL,
                        "malformed reply to %s during %s (%zu data bytes, expected %zu): "
                        "check the cable for noise", what, phase, in->resp->data_len,
                        l->expect_len);
            return false;
        }
        return true;
    case LOADER_IN_UNSUPPORTED:
        loader_fail(l, LOADER_ERR_DEVICE_STATUS,
                    "device does not support %s (%s): the chip may be in Secure "
                    "Download Mode, or the operation needs the flasher stub", what,
                    l->stub_running ? "stub" : "ROM");
        return false;
    case LOADER_IN_TIMEOUT:
        loader_fail(l, LOADER_ERR_TIMEOUT,
                    "board stopped answering during %s (%s): check the cable and power",
                    phase, what);
        return false;
    default:
        loader_fail(l, LOADER_ERR_PROTOCOL, "internal error: unexpected input during %s",
                    phase);
        return false;
    }
}

/* ---- output ----------------------------------------------------------- */

void loader_emit(struct loader *l, struct loader_event ev)
{
    if (l->q_len == QUEUE_CAP)
        return;     /* cannot happen: no step queues more than a few events */
    l->queue[(l->q_head + l->q_len) % QUEUE_CAP] = ev;
    l->q_len++;
}

static void emit_send(struct loader *l)
{
    /* The caller reads tx_buf before calling back in, so one SEND at a time. */
    l->send_pending = true;
    loader_emit(l, (struct loader_event){
        .kind = LOADER_EV_SEND, .send = {.data = l->tx_buf, .len = l->tx_len}});
}

static void await_reply(struct loader *l, uint64_t now, uint8_t op, size_t expect_len,
                        uint64_t timeout)
{
    l->sent_op = op;
    l->expect_len = expect_len;
    l->wait = LOADER_WAIT_REPLY;
    l->deadline = now + timeout;
}

void loader_command(struct loader *l, uint64_t now, uint8_t op, const uint8_t *data,
                    size_t len, size_t expect_len, uint64_t timeout)
{
    l->tx_len = esp_encode_command(op, data, len, 0, l->tx_buf, sizeof l->tx_buf);
    emit_send(l);
    await_reply(l, now, op, expect_len, timeout);
}

void loader_command_words(struct loader *l, uint64_t now, uint8_t op,
                          const uint32_t *words, size_t n, size_t expect_len,
                          uint64_t timeout)
{
    uint8_t data[8 * 4];
    if (n > 8)
        n = 8;
    for (size_t i = 0; i < n; i++)
        esp_put_u32(data + 4 * i, words[i]);
    loader_command(l, now, op, data, 4 * n, expect_len, timeout);
}

void loader_data_command(struct loader *l, uint64_t now, uint8_t op, uint32_t seq,
                         const uint8_t *payload, size_t len, uint64_t timeout)
{
    l->tx_len = esp_encode_data(op, seq, payload, len, l->tx_buf, sizeof l->tx_buf);
    emit_send(l);
    await_reply(l, now, op, 0, timeout);
}

void loader_send_raw_frame(struct loader *l, const uint8_t *payload, size_t len)
{
    l->tx_len = slip_encode(payload, len, l->tx_buf, sizeof l->tx_buf);
    emit_send(l);
}

void loader_read_reg(struct loader *l, uint64_t now, uint32_t addr)
{
    loader_command_words(l, now, ESP_READ_REG, &addr, 1, 0, LOADER_DEFAULT_TIMEOUT);
}

void loader_write_reg(struct loader *l, uint64_t now, uint32_t addr, uint32_t value,
                      uint32_t mask)
{
    uint32_t w[4] = {addr, value, mask, 0};
    loader_command_words(l, now, ESP_WRITE_REG, w, 4, 0, LOADER_DEFAULT_TIMEOUT);
}

void loader_set_lines(struct loader *l, bool dtr, bool rts)
{
    l->dtr = dtr;
    l->rts = rts;
    loader_emit(l, (struct loader_event){.kind = LOADER_EV_SET_LINES,
                                         .lines = {.dtr = dtr, .rts = rts}});
}

void loader_flush_input(struct loader *l)
{
    /* What the port still holds is stale, and so is a half-gathered frame
     * and whatever is left of the buffer being fed right now. */
    slip_decoder_init(&l->rx, l->rx_buf, sizeof l->rx_buf);
    l->discard_feed = true;
    loader_emit(l, (struct loader_event){.kind = LOADER_EV_FLUSH_INPUT});
}

void loader_progress(struct loader *l, uint64_t done, uint64_t total)
{
    loader_emit(l, (struct loader_event){.kind = LOADER_EV_PROGRESS,
                                         .progress = {.done = done, .total = total}});
}

/* ---- waits ------------------------------------------------------------ */

void loader_wait_frame(struct loader *l, uint64_t deadline)
{
    l->wait = LOADER_WAIT_FRAME;
    l->deadline = deadline;
}

void loader_sleep(struct loader *l, uint64_t now, uint64_t us)
{
    l->wait = LOADER_WAIT_TIMER;
    l->wake_at = now + us;
}

void loader_keep_waiting(struct loader *l, enum loader_wait kind)
{
    l->wait = kind;
}

/* ---- input ------------------------------------------------------------ */

static void dispatch(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->wait = LOADER_WAIT_NONE;
    l->advance(l, now, in);
    if (l->running && l->wait == LOADER_WAIT_NONE)
        loader_fail(l, LOADER_ERR_PROTOCOL, "internal error: %s stalled without a deadline",
                    phase_name(l->phase));
}

static void on_reply_frame(struct loader *l, uint64_t now, const uint8_t *frame,
                           size_t len)
{
    struct esp_response r;
    enum esp_parse_result pr = esp_parse_response(frame, len, l->expect_len, &r);
    if (pr == ESP_PARSE_NOT_RESPONSE)
        return;     /* boot text, a command echo, line noise */
    struct loader_input in = {.resp = &r, .frame = frame, .len = len,
                              .short_reply = pr == ESP_PARSE_SHORT};
    if (esp_response_is_unsupported(&r, l->sent_op))
        in.kind = LOADER_IN_UNSUPPORTED;
    else if (r.op == l->sent_op)
        in.kind = LOADER_IN_REPLY;
    else
        return;     /* a late reply to something earlier (e.g. extra SYNC replies) */
    dispatch(l, now, &in);
}

static void on_frame(struct loader *l, uint64_t now, const uint8_t *frame, size_t len)
{
    /* A frame fed while our next command still sits in the queue was sent
     * before the device could have seen that command: it answers nothing. */
    if (!l->running || l->send_pending)
        return;
    if (l->wait == LOADER_WAIT_REPLY) {
        on_reply_frame(l, now, frame, len);
    } else if (l->wait == LOADER_WAIT_FRAME) {
        struct loader_input in = {.kind = LOADER_IN_FRAME, .frame = frame, .len = len};
        dispatch(l, now, &in);
    }
}

/* Remembers "boot:0xNN" from the ROM's banner, only to explain a failed
 * connect (§4.3): a board that booted from flash prints its strap value. */
static void scan_boot_log(struct loader *l, const uint8_t *data, size_t n)
{
    static const char pat[] = "boot:0x";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        if (l->boot_match == sizeof pat - 1) {
            int v = hex_digit(c);
            if (v >= 0 && l->boot_digits < 8) {
                l->boot_mode = (l->boot_digits ? l->boot_mode << 4 : 0) | (uint32_t)v;
                l->boot_digits++;
                l->boot_seen = true;
                continue;
            }
            l->boot_match = 0;
            l->boot_digits = 0;
        }
        if (c == (uint8_t)pat[l->boot_match])
            l->boot_match++;
        else
            l->boot_match = c == 'b' ? 1 : 0;
    }
}

void loader_feed(struct loader *l, uint64_t now, const uint8_t *data, size_t n)
{
    if (!data || n == 0)
        return;
    l->rx_bytes += n;
    if (l->phase == PHASE_CONNECT)
        scan_boot_log(l, data, n);
    l->discard_feed = false;
    while (n > 0 && !l->discard_feed) {
        const uint8_t *frame = NULL;
        size_t frame_len = 0;
        enum slip_frame_status st = SLIP_FRAME_OK;
        size_t used = slip_decode(&l->rx, data, n, &frame, &frame_len, &st);
        if (used == 0 || used > n)
            break;
        data += used;
        n -= used;
        if (frame && st == SLIP_FRAME_OK)
            on_frame(l, now, frame, frame_len);
    }
    l->discard_feed = false;
}

static void check_time(struct loader *l, uint64_t now)
{
    struct loader_input in = {0};
    if (l->wait == LOADER_WAIT_TIMER && now >= l->wake_at)
        in.kind = LOADER_IN_TIMER;
    else if ((l->wait == LOADER_WAIT_REPLY || l->wait == LOADER_WAIT_FRAME) &&
             now >= l->deadline)
        in.kind = LOADER_IN_TIMEOUT;
    else
        return;
    dispatch(l, now, &in);
}

bool loader_next_event(struct loader *l, uint64_t now, struct loader_event *ev)
{
    if (l->q_len == 0 && l->running)
        check_time(l, now);
    if (l->q_len == 0)
        return false;
    *ev = l->queue[l->q_head];
    l->q_head = (l->q_head + 1) % QUEUE_CAP;
    l->q_len--;
    if (ev->kind == LOADER_EV_SEND)
        l->send_pending = false;
    return true;
}

uint64_t loader_deadline(const struct loader *l)
{
    if (l->q_len > 0)
        return 0;
    switch (l->wait) {
    case LOADER_WAIT_TIMER:
        return l->wake_at;
    case LOADER_WAIT_REPLY:
    case LOADER_WAIT_FRAME:
        return l->deadline;
    default:
        return LOADER_NO_DEADLINE;
    }
}

/* ---- shared helpers --------------------------------------------------- */

uint32_t loader_round_up(uint32_t v, uint32_t to)
{
    return (uint32_t)(((uint64_t)v + to - 1) / to * to);
}

/* The ESP8266 ROM erases min(x, t) + x sectors when asked for x sectors
 * that start t sectors before a 64 KiB boundary; ask for less (§9.6). */
uint32_t loader_esp8266_erase_size(uint32_t offset, uint32_t size)
{
    uint32_t sectors_per_block = 16;
    uint32_t num = (uint32_t)(((uint64_t)size + LOADER_FLASH_SECTOR - 1) / LOADER_FLASH_SECTOR);
    uint32_t start = offset / LOADER_FLASH_SECTOR;
    uint32_t head = sectors_per_block - start % sectors_per_block;
    if (num < head)
        head = num;
    if (num < 2 * head)
        return (num + 1) / 2 * LOADER_FLASH_SECTOR;
    return (num - head) * LOADER_FLASH_SECTOR;
}

/* esptool 4 sends the 5th FLASH_(DEFL_)BEGIN word (encrypt = 0) only to
 * the ROMs of the ESP32-S2 and later; not to the ESP32/ESP8266 ROM, and not
 * to a stub, whose older builds accept exactly 16 bytes (§3.3). */
bool loader_rom_sends_fifth_word(const struct loader *l)
{
    return !l->stub_running && l->info.chip && l->info.chip->rom_begin_has_encrypt_word;
}

/* ---- results ---------------------------------------------------------- */

const struct loader_chip_info *loader_info(const struct loader *l) { return &l->info; }
const uint8_t *loader_md5(const struct loader *l) { return l->md5; }
uint32_t loader_reg_value(const struct loader *l) { return l->reg_value; }
const struct loader_error *loader_error(const struct loader *l) { return &l->error; }
bool loader_stub_running(const struct loader *l) { return l->stub_running; }
uint32_t loader_baud(const struct loader *l) { return l->baud; }
