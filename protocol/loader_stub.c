/* Stub upload: the flasher stub's text and data segments go into RAM with
 * MEM_BEGIN/MEM_DATA in 0x1800-byte blocks, MEM_END jumps to its entry,
 * and the stub announces itself with one "OHAI" frame (§9.5, §6.2). From
 * then on every reply carries 2 status bytes and stub error codes. */
#include "loader_internal.h"

#include <string.h>

enum {
    STUB_BEGIN,         /* reply: MEM_BEGIN of the current segment */
    STUB_DATA,          /* reply: MEM_DATA block `seq` */
    STUB_GREETING,      /* frames: MEM_END's reply, then OHAI */
};

/* The ROM may take a while to answer MEM_END (esptool allows 0.2 s and
 * ignores errors); the greeting follows at once when the stub starts. */
#define GREETING_TIMEOUT LOADER_DEFAULT_TIMEOUT

static const uint8_t ohai[4] = {'O', 'H', 'A', 'I'};

static const uint8_t *current_segment(const struct loader *l, size_t *len, uint32_t *addr)
{
    if (l->segment == 0) {
        *len = l->stub.text_len;
        *addr = l->stub.text_start;
        return l->stub.text;
    }
    *len = l->stub.data_len;
    *addr = l->stub.data_start;
    return l->stub.data;
}

static uint64_t total_bytes(const struct loader *l)
{
    return (uint64_t)l->stub.text_len + (l->stub.data ? l->stub.data_len : 0);
}

static void begin_segment(struct loader *l, uint64_t now)
{
    size_t len;
    uint32_t addr;
    current_segment(l, &len, &addr);
    l->step = STUB_BEGIN;
    l->seq = 0;
    l->blocks = (uint32_t)((len + LOADER_RAM_BLOCK - 1) / LOADER_RAM_BLOCK);
    uint32_t w[4] = {(uint32_t)len, l->blocks, LOADER_RAM_BLOCK, addr};
    loader_command_words(l, now, ESP_MEM_BEGIN, w, 4, 0, LOADER_DEFAULT_TIMEOUT);
}

static void send_block(struct loader *l, uint64_t now)
{
    size_t len;
    uint32_t addr;
    const uint8_t *seg = current_segment(l, &len, &addr);
    size_t at = (size_t)l->seq * LOADER_RAM_BLOCK;
    size_t n = len - at < LOADER_RAM_BLOCK ? len - at : LOADER_RAM_BLOCK;
    l->step = STUB_DATA;
    l->cur_len = n;
    loader_data_command(l, now, ESP_MEM_DATA, l->seq, seg + at, n, LOADER_DEFAULT_TIMEOUT);
}

static void send_mem_end(struct loader *l, uint64_t now)
{
    uint32_t w[2] = {0, l->stub.entry};    /* flag 0: jump to entry */
    l->step = STUB_GREETING;
    loader_command_words(l, now, ESP_MEM_END, w, 2, 0, GREETING_TIMEOUT);
    loader_wait_frame(l, now + GREETING_TIMEOUT);
}

static void next_segment(struct loader *l, uint64_t now)
{
    if (l->segment == 0 && l->stub.data && l->stub.data_len > 0) {
        l->segment = 1;
        begin_segment(l, now);
        return;
    }
    send_mem_end(l, now);
}

static void on_greeting(struct loader *l, const struct loader_input *in)
{
    if (in->kind == LOADER_IN_TIMEOUT) {
        loader_fail(l, LOADER_ERR_TIMEOUT,
                    "the flasher stub did not start (no greeting after MEM_END): the stub "
                    "may not match this chip revision; flash through the ROM instead");
        return;
    }
    if (in->len == sizeof ohai && memcmp(in->frame, ohai, sizeof ohai) == 0) {
        l->stub_running = true;
        loader_progress(l, total_bytes(l), total_bytes(l));
        loader_finish(l, true);
        return;
    }
    /* MEM_END's own reply, or noise: keep waiting for the greeting. */
    loader_keep_waiting(l, LOADER_WAIT_FRAME);
}

static void stub_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (l->step == STUB_GREETING) {
        on_greeting(l, in);
        return;
    }
    if (!loader_reply_ok(l, in, l->step == STUB_BEGIN ? "MEM_BEGIN" : "MEM_DATA"))
        return;
    if (l->step == STUB_DATA) {
        l->done_bytes += l->cur_len;
        loader_progress(l, l->done_bytes, total_bytes(l));
        l->seq++;
    }
    if (l->seq < l->blocks)
        send_block(l, now);
    else
        next_segment(l, now);
}

static void stub_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = stub_advance;
    if (l->stub_running) {
        loader_finish(l, true);     /* already serving us: nothing to upload */
        return;
    }
    l->segment = 0;
    begin_segment(l, now);
}

int loader_start_stub(struct loader *l, uint64_t now, const struct stub_image *stub)
{
    if (loader_require_chip(l))
        return -1;
    if (!stub || !stub->text || stub->text_len == 0)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "no flasher stub image given: load the stub for this chip");
    if (l->info.secure_download)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "the chip is in Secure Download Mode, which refuses RAM "
                             "uploads: flash through the ROM");
    l->stub = *stub;
    return loader_begin_op(l, now, PHASE_STUB, stub_start);
}
