/* Baud change (rom-protocol.md §10.3): CHANGE_BAUDRATE at the old rate,
 * whose reply also comes at the old rate; then the host switches, waits
 * for the junk the device may emit while it switches, and flushes it.
 *
 * The ESP32 ROM derives its divider from an internal 8 MHz clock it
 * calibrated at boot, so it lands off target; esptool reads the same
 * calibration and scales the requested rate so that the ROM ends up on the
 * rate actually asked for. We do the same. */
#include "loader_internal.h"

enum {
    BAUD_READ_CALIBRATION,  /* reply: RTCCALICFG1 (ESP32 ROM only) */
    BAUD_READ_CK8M,         /* reply: efuse word 4 (ESP32 ROM only) */
    BAUD_CHANGE,            /* reply: CHANGE_BAUDRATE */
    BAUD_SETTLE,            /* timer: junk from the switch, then flush */
};

#define ESP32_RTCCALICFG1 0x3FF5F06Cu
#define ESP32_EFUSE_WORD4 0x3FF5A010u
#define SETTLE_TIME (50 * LOADER_MS)

static bool uses_rom_workaround(const struct loader *l)
{
    return !l->stub_running && l->info.chip->kind == CHIP_ESP32;
}

/* What the ESP32 ROM believes its crystal runs at, and the rate to ask
 * for so that it really sets `baud`. Left alone if the readings are 0. */
static uint32_t esp32_rom_baud(uint32_t baud, uint32_t rtccalicfg1, uint32_t efuse4)
{
    uint64_t cali = (rtccalicfg1 >> 7) & 0x1FFFFFF;
    uint64_t ck8m = efuse4 & 0xFF;
    uint64_t rom_freq = cali * 15625 * ck8m / 40;
    if (rom_freq == 0)
        return baud;
    uint64_t xtal = rom_freq > 33000000 ? 40000000 : 26000000;
    uint64_t scaled = (uint64_t)baud * rom_freq / xtal;
    return scaled > 0 && scaled <= UINT32_MAX ? (uint32_t)scaled : baud;
}

static void send_change(struct loader *l, uint64_t now, uint32_t asked)
{
    /* Word 1: 0 for a ROM; the stub computes its new divider from the
     * current one and needs the current rate for that. */
    uint32_t w[2] = {asked, l->stub_running ? l->baud : 0};
    l->step = BAUD_CHANGE;
    loader_command_words(l, now, ESP_CHANGE_BAUDRATE, w, 2, 0, LOADER_DEFAULT_TIMEOUT);
}

static void baud_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (l->step == BAUD_SETTLE) {
        loader_flush_input(l);
        loader_finish(l, true);
        return;
    }
    if (!loader_reply_ok(l, in, l->step == BAUD_CHANGE ? "CHANGE_BAUDRATE"
                                                        : "READ_REG of the clock calibration"))
        return;
    switch (l->step) {
    case BAUD_READ_CALIBRATION:
        l->words[0] = in->resp->value;
        l->step = BAUD_READ_CK8M;
        loader_read_reg(l, now, ESP32_EFUSE_WORD4);
        break;
    case BAUD_READ_CK8M:
        send_change(l, now, esp32_rom_baud(l->op_value, l->words[0], in->resp->value));
        break;
    case BAUD_CHANGE:
        l->baud = l->op_value;
        loader_emit(l, (struct loader_event){.kind = LOADER_EV_SET_BAUD, .baud = l->baud});
        l->step = BAUD_SETTLE;
        loader_sleep(l, now, SETTLE_TIME);
        break;
    }
}

static void baud_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = baud_advance;
    if (l->op_value == l->baud) {
        loader_finish(l, true);
        return;
    }
    if (uses_rom_workaround(l)) {
        l->step = BAUD_READ_CALIBRATION;
        loader_read_reg(l, now, ESP32_RTCCALICFG1);
        return;
    }
    send_change(l, now, l->op_value);
}

int loader_start_set_baud(struct loader *l, uint64_t now, uint32_t baud)
{
    if (loader_require_chip(l))
        return -1;
    if (baud == 0)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT, "baud rate 0 requested");
    if (!l->stub_running && l->info.chip->kind == CHIP_ESP8266)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "the ESP8266 ROM cannot change its baud rate: upload the "
                             "flasher stub first or stay at %u", (unsigned)l->baud);
    l->op_value = baud;
    return loader_begin_op(l, now, PHASE_BAUD, baud_start);
}
