/* The loader: one port's conversation with a ROM loader or flasher stub, as a
 * state machine with no I/O and no clock of its own.
 *
 * The caller (jigd's port layer, a test, a fuzzer) drives it like this:
 *
 *     loader_init(&l, &cfg);
 *     loader_start_connect(&l, now);
 *     for (;;) {
 *         struct loader_event ev;
 *         while (loader_next_event(&l, now, &ev)) act_on(&ev);  // send, set lines...
 *         if (the last event was LOADER_EV_DONE) break;          // start the next op
 *         wait for input or until loader_deadline(&l);
 *         if (input) loader_feed(&l, now, bytes, n);
 *     }
 *
 * One operation runs at a time; each ends with exactly one LOADER_EV_DONE.
 * Time is in microseconds from any fixed origin. Every wait has a deadline,
 * so a silent board always ends in an error, never a hang.
 */
#ifndef JIGD_LOADER_H
#define JIGD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "phase.h"
#include "command.h"
#include "slip.h"
#include "stub_image.h"

#include <zlib.h>

#define LOADER_NO_DEADLINE UINT64_MAX

enum loader_reset {
    LOADER_RESET_CLASSIC,   /* DTR/RTS two-transistor circuit, §4.2 */
    LOADER_RESET_USB_JTAG,  /* ESP32-S3/C3 built-in USB-Serial/JTAG */
    LOADER_RESET_NONE,      /* operator holds BOOT; just sync */
    LOADER_RESET_GPIO,      /* EN and IO0 wired straight to host GPIO lines: no
                             * transistors and no RC, so SET_LINES means rts =
                             * EN held low, dtr = IO0 held low */
};

/* Its name as jigd.conf writes it (reset = …): "classic", "usb-jtag",
 * "gpio", "none"; NULL when out of range. */
const char *loader_reset_name(enum loader_reset r);

enum loader_event_kind {
    LOADER_EV_SEND,         /* write send.data[0..len) to the port */
    LOADER_EV_SET_LINES,    /* set DTR and RTS (true = asserted); both at once
                             * where the port can, else DTR first, then RTS.
                             * LOADER_RESET_GPIO: IO0 (dtr) and EN (rts) */
    LOADER_EV_SET_BAUD,     /* change the host UART rate */
    LOADER_EV_FLUSH_INPUT,  /* discard input the port has not fed yet */
    LOADER_EV_PROGRESS,     /* progress.done of progress.total bytes */
    LOADER_EV_DONE,         /* the operation ended: done.ok, error on failure */
};

struct loader_event {
    enum loader_event_kind kind;
    union {
        struct { const uint8_t *data; size_t len; } send; /* valid until the next loader call */
        struct { bool dtr, rts; } lines;
        uint32_t baud;
        struct { uint64_t done, total; } progress;
        struct { bool ok; } done;
    };
};

/* Why an operation failed, in words an operator can act on. */
struct loader_error {
    enum phase phase;
    int code;               /* enum loader_error_code */
    char message[200];      /* what happened, then what to check */
};

enum loader_error_code {
    LOADER_OK = 0,
    LOADER_ERR_TIMEOUT,         /* no (complete) answer before the deadline */
    LOADER_ERR_NO_SYNC,         /* never answered SYNC after all attempts */
    LOADER_ERR_DEVICE_STATUS,   /* the device answered with a failure status */
    LOADER_ERR_PROTOCOL,        /* malformed or unexpected answer */
    LOADER_ERR_UNKNOWN_CHIP,
    LOADER_ERR_VERIFY,          /* MD5 mismatch */
    LOADER_ERR_BAD_ARGUMENT,    /* caller asked for something impossible */
    LOADER_ERR_BUSY,            /* an operation is already running */
    /* Set by what drives the loader (a flash job), never by the loader
     * itself: they share the code space so one struct carries any failure. */
    LOADER_ERR_CANCELLED,       /* the caller stopped it */
    LOADER_ERR_PORT,            /* the port cannot be opened, or it died */
    LOADER_ERR_STUB,            /* the stub file is missing or unusable */
    LOADER_ERR_REFUSED,         /* the board was refused after identify */
};

struct loader_config {
    enum loader_reset reset;
    uint32_t initial_baud;      /* sync rate; 115200 */
    int connect_attempts;       /* reset+sync attempts; 7 */
    int sync_tries;             /* SYNC tries per attempt; 5 */
};

void loader_config_default(struct loader_config *c);

/* What identify learned. */
struct loader_chip_info {
    const struct chip_desc *chip;
    uint32_t magic;
    int revision;               /* major*100 + minor, -1 unknown */
    uint8_t mac[6];
    uint32_t flash_id;          /* JEDEC, manufacturer in bits 7..0 */
    uint32_t flash_size;        /* bytes, 0 unknown */
    uint32_t security_flags;
    bool secure_download;
};

/* One region to write. `zdata` is a zlib stream of data[0..size) (level 9,
 * made once per bundle and shared by every slot); NULL writes uncompressed. */
struct loader_region {
    uint32_t offset;
    const uint8_t *data;
    size_t size;
    const uint8_t *zdata;
    size_t zsize;
};

/* Buffers sized for the largest stub packet (16 KiB block + headers). */
#define LOADER_MAX_BLOCK 0x4000
#define LOADER_TX_CAP SLIP_ENCODED_MAX(ESP_PACKET_HEADER + ESP_DATA_SUBHEADER + LOADER_MAX_BLOCK)
#define LOADER_RX_CAP (0x1000 + 64)

struct loader_input;         /* loader_internal.h */

/* zlib state for measuring how much each compressed block inflates to
 * (timeouts scale with the bytes the device must write, §9.2). Its memory
 * comes from `arena`, so the loader still never allocates. */
#define LOADER_INFLATE_ARENA (48 * 1024)
struct loader_inflate_meter {
    z_stream zs;
    size_t used;
    bool ok;
    _Alignas(16) uint8_t arena[LOADER_INFLATE_ARENA];
};

struct loader {
    /* Private to loader*.c (whose authors may reshape it freely); the layout
     * is public only so that a caller can embed a loader without allocation. */
    struct loader_config cfg;
    struct slip_decoder rx;
    uint8_t rx_buf[LOADER_RX_CAP];
    uint8_t tx_buf[LOADER_TX_CAP];
    size_t tx_len;

    /* the running operation */
    enum phase phase;
    bool running;
    void (*advance)(struct loader *l, uint64_t now, const struct loader_input *in);
    int step;                   /* position inside the current operation */
    int wait;                   /* enum loader_wait */
    uint8_t sent_op;            /* command whose reply we await */
    size_t expect_len;          /* reply data bytes before its status */
    bool send_pending;          /* a SEND is queued: nothing fed can answer it yet */
    bool discard_feed;          /* FLUSH_INPUT issued while feeding */
    uint64_t deadline;          /* reply or frame deadline */
    uint64_t wake_at;           /* timed steps (reset pulses, settle delays) */

    /* what we know about the port and the chip */
    bool dtr, rts;
    bool stub_running;
    bool flash_attached;        /* the ROM was given SPI_ATTACH by identify */
    uint32_t baud;
    struct loader_chip_info info;

    /* what the port has shown us during connect (for error messages) */
    uint64_t rx_bytes;
    unsigned boot_match;        /* progress through "boot:0x" */
    int boot_digits;
    uint32_t boot_mode;
    bool boot_seen;
    int best_sync_replies;

    /* pending events */
    struct loader_event queue[8];
    unsigned q_head, q_len;

    /* per-operation scratch */
    struct loader_region region;
    struct stub_image stub;
    uint8_t *read_dst;
    uint32_t op_offset, op_size, op_value, op_mask;
    uint32_t seq, blocks, block_size;
    size_t pos;                 /* bytes of the source sent and acknowledged */
    size_t cur_len;             /* bytes of the source in the block in flight */
    uint64_t done_bytes;        /* uncompressed bytes on their way to flash */
    uint32_t cur_out;           /* uncompressed bytes of the block in flight */
    uint64_t cur_timeout, prev_timeout;
    bool compressed;
    int attempt, tries, replies, retries;
    int segment;                /* stub upload: 0 text, 1 data */
    bool sync_values_zero;
    bool drain_then_done;       /* connect: the drain is its last step */
    int sec_chip_id;            /* from GET_SECURITY_INFO, -1 none */
    uint32_t addrs[8];
    uint32_t words[8];
    unsigned n_addrs;
    uint32_t spi_saved[2];
    uint8_t md5[16];
    uint32_t reg_value;
    uint8_t scratch[LOADER_MAX_BLOCK]; /* padded last block; inflate sink */
    struct loader_inflate_meter meter;

    struct loader_error error;
};

void loader_init(struct loader *l, const struct loader_config *cfg);

/* Start an operation. Each returns 0, or -1 (LOADER_ERR_BUSY /
 * LOADER_ERR_BAD_ARGUMENT in loader_error()) without starting.
 * Everything but connect and hard reset needs a chip found by connect; on a
 * ROM (not the ESP8266's) flash operations also need identify first, which
 * attaches the flash. Writes start on a 4 KiB sector boundary and must fit
 * the flash size identify found. A stub upload when a stub already runs,
 * and a baud change to the current rate, succeed at once. */
int loader_start_connect(struct loader *l, uint64_t now);    /* reset, sync, detect chip */
int loader_start_identify(struct loader *l, uint64_t now);   /* MAC, revision, attach, flash id */
int loader_start_stub(struct loader *l, uint64_t now, const struct stub_image *stub);
int loader_start_set_baud(struct loader *l, uint64_t now, uint32_t baud);
int loader_start_write(struct loader *l, uint64_t now, const struct loader_region *r);
int loader_start_md5(struct loader *l, uint64_t now, uint32_t offset, uint32_t size);
int loader_start_erase(struct loader *l, uint64_t now, uint32_t offset, uint32_t size);
int loader_start_read(struct loader *l, uint64_t now, uint32_t offset, uint32_t size, uint8_t *dst);
int loader_start_read_reg(struct loader *l, uint64_t now, uint32_t addr);
int loader_start_write_reg(struct loader *l, uint64_t now, uint32_t addr, uint32_t value, uint32_t mask);
int loader_start_hard_reset(struct loader *l, uint64_t now);

/* Bytes received from the port. */
void loader_feed(struct loader *l, uint64_t now, const uint8_t *data, size_t n);

/* Next thing for the caller to do now; false when there is nothing until
 * more input arrives or loader_deadline() passes. Timeouts are detected here. */
bool loader_next_event(struct loader *l, uint64_t now, struct loader_event *ev);

/* When to call loader_next_event() again if no input arrives. */
uint64_t loader_deadline(const struct loader *l);

/* Results of the last operation. */
const struct loader_chip_info *loader_info(const struct loader *l);
const uint8_t *loader_md5(const struct loader *l);      /* after start_md5 */
uint32_t loader_reg_value(const struct loader *l);      /* after start_read_reg */
const struct loader_error *loader_error(const struct loader *l);
bool loader_stub_running(const struct loader *l);
uint32_t loader_baud(const struct loader *l);

/* Timeout for an operation moving `bytes`, esptool's rule (§9.2):
 * max(3 s, seconds_per_mb * bytes / 1e6), in microseconds. */
uint64_t loader_scaled_timeout(uint32_t seconds_per_mb, uint64_t bytes);

#endif
