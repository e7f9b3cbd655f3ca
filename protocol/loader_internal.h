/* Shared machinery of the loader*.c files: how an operation waits, sends
 * and ends. Not part of the public contract (that is loader.h).
 *
 * Every operation is one `advance` function called with a loader_input:
 * its start, a reply to the command it sent, a raw frame, a timer, or a
 * timeout. Before returning it either arms exactly one wait (reply, frame
 * or timer, each with a deadline) or ends the operation, so a silent board
 * can never leave the loader waiting forever. */
#ifndef JIGD_LOADER_INTERNAL_H
#define JIGD_LOADER_INTERNAL_H

#include "loader.h"

#define LOADER_MS 1000ull
#define LOADER_S 1000000ull
#define LOADER_DEFAULT_TIMEOUT (3 * LOADER_S)   /* esptool's command timeout */

/* Seconds per MB, esptool's figures (§9.2). */
#define LOADER_MD5_S_PER_MB 8
#define LOADER_ERASE_S_PER_MB 30    /* esptool 4; region erase and ROM FLASH_BEGIN */
#define LOADER_WRITE_S_PER_MB 40    /* erase + write of one block */

#define LOADER_FLASH_SECTOR 0x1000u
#define LOADER_ROM_BLOCK 0x400u
#define LOADER_STUB_BLOCK 0x4000u
#define LOADER_RAM_BLOCK 0x1800u
#define LOADER_BLOCK_ATTEMPTS 3

enum loader_wait {
    LOADER_WAIT_NONE,
    LOADER_WAIT_REPLY,          /* a response to sent_op */
    LOADER_WAIT_FRAME,          /* any SLIP frame, raw (SYNC replies, OHAI, READ_FLASH data) */
    LOADER_WAIT_TIMER,          /* nothing to read; wake at wake_at */
};

enum loader_input_kind {
    LOADER_IN_START,
    LOADER_IN_REPLY,            /* resp: a response with sent_op's opcode */
    LOADER_IN_UNSUPPORTED,      /* resp: "unsupported command" (§2.6) */
    LOADER_IN_FRAME,            /* frame/len: a raw frame */
    LOADER_IN_TIMER,
    LOADER_IN_TIMEOUT,
};

struct loader_input {
    enum loader_input_kind kind;
    const struct esp_response *resp;
    bool short_reply;           /* resp had less data than expect_len */
    const uint8_t *frame;       /* the whole frame, for IN_REPLY and IN_FRAME */
    size_t len;
};

typedef void loader_advance_fn(struct loader *l, uint64_t now,
                               const struct loader_input *in);

/* Operation life cycle (loader.c). begin() refuses while another runs. */
int loader_begin_op(struct loader *l, uint64_t now, enum phase phase,
                    loader_advance_fn *advance);
void loader_finish(struct loader *l, bool ok);
void loader_fail(struct loader *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int loader_refuse(struct loader *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* For operations that need a chip found by connect; flash operations also
 * need the flash attached (identify does it on a ROM, the stub by itself). */
int loader_require_chip(struct loader *l);
int loader_require_flash(struct loader *l);

/* Ends the operation with an error unless `in` is a successful, complete
 * reply; `what` names the command for the message. */
bool loader_reply_ok(struct loader *l, const struct loader_input *in,
                     const char *what);

/* Output. A command arms a reply wait of `timeout` microseconds. */
void loader_emit(struct loader *l, struct loader_event ev);
void loader_command(struct loader *l, uint64_t now, uint8_t op,
                    const uint8_t *data, size_t len, size_t expect_len,
                    uint64_t timeout);
void loader_command_words(struct loader *l, uint64_t now, uint8_t op,
                          const uint32_t *words, size_t n, size_t expect_len,
                          uint64_t timeout);
void loader_data_command(struct loader *l, uint64_t now, uint8_t op,
                         uint32_t seq, const uint8_t *payload, size_t len,
                         uint64_t timeout);
void loader_send_raw_frame(struct loader *l, const uint8_t *payload, size_t len);
void loader_read_reg(struct loader *l, uint64_t now, uint32_t addr);
void loader_write_reg(struct loader *l, uint64_t now, uint32_t addr,
                      uint32_t value, uint32_t mask);
void loader_set_lines(struct loader *l, bool dtr, bool rts);
void loader_flush_input(struct loader *l);
void loader_progress(struct loader *l, uint64_t done, uint64_t total);

/* Waits. */
void loader_wait_frame(struct loader *l, uint64_t deadline);
void loader_sleep(struct loader *l, uint64_t now, uint64_t us);
/* Keeps waiting as before (same kind, same deadline), e.g. after noise. */
void loader_keep_waiting(struct loader *l, enum loader_wait kind);

/* Helpers shared by several operations. */
uint32_t loader_round_up(uint32_t v, uint32_t to);
uint32_t loader_esp8266_erase_size(uint32_t offset, uint32_t size);
bool loader_rom_sends_fifth_word(const struct loader *l);

/* Compressed-block output measurement (loader_inflate_meter.c). */
void loader_meter_start(struct loader *l);
/* Uncompressed bytes the next `len` bytes of the zlib stream produce;
 * an estimate from the overall ratio if the stream cannot be inflated. */
uint64_t loader_meter_block(struct loader *l, const uint8_t *z, size_t len);
void loader_meter_end(struct loader *l);

#endif
