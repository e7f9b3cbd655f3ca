/* Writing one region to flash (rom-protocol.md §3.3, §9).
 *
 * Compressed (FLASH_DEFL_*) when the region has a zlib stream and the stub
 * or the ROM can inflate it, else plain FLASH_*. Strictly stop-and-wait:
 * block N+1 leaves only after block N is acknowledged, because the stub has
 * just two buffers (§9.4).
 *
 * Timeouts follow what the device is doing while we wait. The ROM erases
 * the whole region before answering BEGIN, and writes each block before
 * acknowledging it. The stub acknowledges a block at once and writes it
 * while the next one arrives, so its reply to block N comes only after
 * block N-1 is written: that wait gets block N-1's timeout.
 *
 * At the end of a stub write we send FLASH_(DEFL_)END(1), as esptool 5
 * does, rather than esptool 4's READ_REG: both are answered only after
 * the last block is on flash, but END also makes the stub check that the
 * stream it received was complete, and reports a deferred write error with
 * the name of the operation that really failed. Flag 1 keeps the stub
 * running. The ROM never gets an END mid-session: it would leave the loader. */
#include "loader_internal.h"

#include <stdio.h>
#include <string.h>

enum {
    WRITE_BEGIN,
    WRITE_DATA,
    WRITE_END,
};

static const uint8_t *source(const struct loader *l, size_t *len)
{
    if (l->compressed) {
        *len = l->region.zsize;
        return l->region.zdata;
    }
    *len = l->region.size;
    return l->region.data;
}

static uint32_t begin_size_word(const struct loader *l)
{
    const struct loader_region *r = &l->region;
    if (l->stub_running)
        return (uint32_t)r->size;   /* the stub wants the exact byte count */
    if (!l->compressed && l->info.chip->kind == CHIP_ESP8266)
        return loader_esp8266_erase_size(r->offset, (uint32_t)r->size);
    /* The ROM erases this much up front; the padded last block is written
     * in full, so cover it. */
    return loader_round_up((uint32_t)r->size, LOADER_ROM_BLOCK);
}

static void send_begin(struct loader *l, uint64_t now)
{
    size_t src_len;
    source(l, &src_len);
    l->block_size = l->stub_running ? LOADER_STUB_BLOCK : LOADER_ROM_BLOCK;
    l->blocks = (uint32_t)((src_len + l->block_size - 1) / l->block_size);
    uint32_t size_word = begin_size_word(l);
    uint32_t w[5] = {size_word, l->blocks, l->block_size, l->region.offset, 0};
    size_t n = loader_rom_sends_fifth_word(l) ? 5 : 4;
    uint64_t timeout = l->stub_running
                     ? LOADER_DEFAULT_TIMEOUT
                     : loader_scaled_timeout(LOADER_ERASE_S_PER_MB, size_word);
    l->step = WRITE_BEGIN;
    loader_command_words(l, now, l->compressed ? ESP_FLASH_DEFL_BEGIN : ESP_FLASH_BEGIN,
                         w, n, 0, timeout);
}

static void transmit_block(struct loader *l, uint64_t now)
{
    size_t src_len;
    const uint8_t *src = source(l, &src_len);
    const uint8_t *payload = src + l->pos;
    size_t len = l->cur_len;
    if (!l->compressed && len < l->block_size) {
        /* Plain blocks go out full size, padded with erased-flash bytes as
         * every client does; compressed blocks are never padded (§9.3). */
        memcpy(l->scratch, payload, len);
        memset(l->scratch + len, 0xFF, l->block_size - len);
        payload = l->scratch;
        len = l->block_size;
    }
    uint64_t timeout = l->stub_running ? l->prev_timeout : l->cur_timeout;
    l->step = WRITE_DATA;
    loader_data_command(l, now, l->compressed ? ESP_FLASH_DEFL_DATA : ESP_FLASH_DATA,
                        l->seq, payload, len, timeout);
}

static void send_next_block(struct loader *l, uint64_t now)
{
    size_t src_len;
    const uint8_t *src = source(l, &src_len);
    l->cur_len = src_len - l->pos < l->block_size ? src_len - l->pos : l->block_size;
    uint64_t out = l->compressed ? loader_meter_block(l, src + l->pos, l->cur_len)
                                 : l->cur_len;
    l->cur_out = out > UINT32_MAX ? UINT32_MAX : (uint32_t)out;
    l->cur_timeout = loader_scaled_timeout(LOADER_WRITE_S_PER_MB, l->cur_out);
    l->retries = 0;
    transmit_block(l, now);
}

static void send_end(struct loader *l, uint64_t now)
{
    uint32_t stay = 1;
    l->step = WRITE_END;
    /* Answered once the last block is written: that block's timeout. */
    loader_command_words(l, now, l->compressed ? ESP_FLASH_DEFL_END : ESP_FLASH_END,
                         &stay, 1, 0, l->prev_timeout);
}

static void block_acknowledged(struct loader *l, uint64_t now)
{
    size_t src_len;
    source(l, &src_len);
    l->pos += l->cur_len;
    l->done_bytes += l->cur_out;
    if (l->done_bytes > l->region.size || l->pos == src_len)
        l->done_bytes = l->region.size;
    l->prev_timeout = l->cur_timeout;
    l->seq++;
    loader_progress(l, l->done_bytes, l->region.size);
    if (l->seq < l->blocks) {
        send_next_block(l, now);
    } else if (l->stub_running) {
        send_end(l, now);
    } else {
        loader_meter_end(l);
        loader_finish(l, true);
    }
}

static void block_failed(struct loader *l, uint64_t now, const struct loader_input *in)
{
    bool retryable = in->kind == LOADER_IN_TIMEOUT ||
                     (in->kind == LOADER_IN_REPLY && in->resp->failed);
    if (retryable && ++l->retries < LOADER_BLOCK_ATTEMPTS) {
        /* Same block, same seq (§9.2); a late answer to the lost try is
         * dropped with the input. */
        loader_flush_input(l);
        transmit_block(l, now);
        return;
    }
    uint32_t at = l->region.offset;
    if (in->kind == LOADER_IN_TIMEOUT) {
        loader_fail(l, LOADER_ERR_TIMEOUT,
                    "board stopped answering during write at 0x%x (block %u of %u): "
                    "check the cable and power", (unsigned)at, (unsigned)l->seq + 1,
                    (unsigned)l->blocks);
    } else if (in->kind == LOADER_IN_REPLY && in->resp->failed) {
        loader_fail(l, LOADER_ERR_DEVICE_STATUS,
                    "device rejected block %u of %u of the write at 0x%x %d times: %s "
                    "(status %02x %02x)", (unsigned)l->seq + 1, (unsigned)l->blocks,
                    (unsigned)at, l->retries,
                    esp_status_text(l->stub_running, in->resp->status),
                    in->resp->status[0], in->resp->status[1]);
    } else {
        char what[64];
        snprintf(what, sizeof what, "block %u of %u at 0x%x", (unsigned)l->seq + 1,
                 (unsigned)l->blocks, (unsigned)at);
        loader_reply_ok(l, in, what);
    }
}

static void write_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    switch (l->step) {
    case WRITE_BEGIN:
        if (!loader_reply_ok(l, in, l->stub_running ? "FLASH_BEGIN"
                                                     : "FLASH_BEGIN (erasing the region)"))
            return;
        l->prev_timeout = LOADER_DEFAULT_TIMEOUT;
        if (l->compressed)
            loader_meter_start(l);
        loader_progress(l, 0, l->region.size);
        send_next_block(l, now);
        break;
    case WRITE_DATA:
        if (in->kind == LOADER_IN_REPLY && !in->resp->failed && !in->short_reply)
            block_acknowledged(l, now);
        else
            block_failed(l, now, in);
        break;
    case WRITE_END: {
        char what[64];
        snprintf(what, sizeof what, "the end of the write at 0x%x",
                 (unsigned)l->region.offset);
        if (!loader_reply_ok(l, in, what))
            return;
        loader_meter_end(l);
        loader_finish(l, true);
        break;
    }
    }
}

static void write_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = write_advance;
    send_begin(l, now);
}

static bool can_inflate(const struct loader *l)
{
    if (l->stub_running)
        return true;
    /* FLASH_DEFL_* is refused in Secure Download Mode (§3.1). */
    return l->info.chip->rom_has_defl && !l->info.secure_download;
}

int loader_start_write(struct loader *l, uint64_t now, const struct loader_region *r)
{
    if (loader_require_flash(l))
        return -1;
    if (!r || r->size == 0 || r->size > UINT32_MAX)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT, "empty or oversized region to write");
    if (r->offset % LOADER_FLASH_SECTOR)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "region offset 0x%x is not on a 4 KiB sector boundary",
                             (unsigned)r->offset);
    uint64_t end = (uint64_t)r->offset + r->size;
    if (end > UINT32_MAX ||
        (l->info.flash_size && end > l->info.flash_size))
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "region 0x%x..0x%llx does not fit in the %u KiB flash: check "
                             "the bundle against this board's flash size", (unsigned)r->offset,
                             (unsigned long long)end, (unsigned)(l->info.flash_size / 1024));
    bool compressed = r->zdata && r->zsize > 0 && can_inflate(l);
    if (!compressed && !r->data)
        return loader_refuse(l, LOADER_ERR_BAD_ARGUMENT,
                             "the %s cannot inflate and the region at 0x%x has no "
                             "uncompressed data: upload the flasher stub",
                             l->stub_running ? "stub" : "ROM", (unsigned)r->offset);
    l->region = *r;
    l->compressed = compressed;
    return loader_begin_op(l, now, PHASE_WRITE, write_start);
}
