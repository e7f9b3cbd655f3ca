/* One board's job: a loader (protocol/loader.h) driven over one port
 * (port.h) on the libuv loop, through a fixed list of steps:
 *
 *   connect → identify → [stub] → [baud up] → work → [hard reset] → [boot log]
 *
 * (jigd's slots also ask for an MD5 check before each write that skips a
 * region already right, verification after all writes, and a hook after
 * identify that may refuse the board; FLASH_JOB_BLINK toggles an LED.)
 *
 * where the work is, per the job's action, write + verify of each region,
 * or one MD5, read or erase. This is what a jigd slot runs for one board.
 *
 * Ownership: the job owns its port, its timer and its loader; the caller
 * owns the job and the region data (which must outlive the job). Every way
 * a job can end — success, a loader error, a dead port, flash_job_cancel —
 * closes the port and the timer first and then calls on_done exactly once;
 * after on_done the caller may flash_job_free() it (even from inside
 * on_done). */
#ifndef JIGD_FLASH_JOB_H
#define JIGD_FLASH_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "loader.h"

struct flash_job;
struct reset_gpio;

enum flash_job_action {
    FLASH_JOB_IDENTIFY,     /* connect and identify only (read-mac, flash-id) */
    FLASH_JOB_WRITE,        /* write and MD5-verify every region */
    FLASH_JOB_MD5,          /* MD5 of [offset, offset+size) */
    FLASH_JOB_READ,         /* read [offset, offset+size) into read_dst */
    FLASH_JOB_ERASE,        /* erase [offset, offset+size) */
    FLASH_JOB_BLINK,        /* blink the LED on led_gpio for blink_ms (ROM loader) */
};

/* A region to write. zdata is its zlib stream (zimage_region), or NULL to
 * write it uncompressed. */
struct flash_job_region {
    struct loader_region region;
    uint8_t md5[16];        /* of data[0..size): what the check before the
                               write and the verify after compare with */
    bool md5_known;         /* md5 is given (a bundle part's, hashed once when
                               the bundle was loaded); else the job computes
                               it, in flash_job_new or, if late, after identify */
    bool late;              /* a per-unit part whose data is filled in after
                               identify (on_identified, or before resume) */
};

struct flash_job_config {
    const char *port;               /* rfc2217://host:port or a device path */
    enum flash_job_action action;
    enum loader_reset reset;
    struct reset_gpio *reset_lines; /* LOADER_RESET_GPIO: the board's EN/IO0 lines
                                       (the caller's; they outlive the job) */
    uint32_t baud;                  /* rate for the work; 0 = stay at 115200 */
    const char *stub_dir;           /* <dir>/<chip>.json; NULL = ROM loader only */
    bool hard_reset;                /* reset into the firmware at the end */

    struct flash_job_region *regions;   /* FLASH_JOB_WRITE; the caller's */
    size_t n_regions;
    uint32_t offset, size;          /* MD5, READ, ERASE */
    uint8_t *read_dst;              /* READ: size bytes */

    /* Added for jigd's slots; zero keeps the behaviour above. */
    int connect_attempts;           /* reset+sync attempts; 0 = loader default */
    int sync_tries;                 /* SYNC tries per attempt; 0 = loader default */
    bool skip_matching;             /* WRITE: MD5 each region first, skip it if it matches */
    bool verify_after_all;          /* WRITE: verify every region after the last write,
                                       so a later write that aliases an earlier one (a
                                       flash smaller than its id) is caught */
    uint32_t boot_log_ms;           /* after the hard reset, hand the board's bytes
                                       (at 115200) to on_boot_log for this long */
    int led_gpio;                   /* BLINK: chip GPIO of the LED, 0..31 */
    uint32_t blink_ms;              /* BLINK: how long */
};

/* Step kinds, as reported to callbacks and kept in the step log. */
enum flash_job_step_kind {
    STEP_OPEN,
    STEP_CONNECT,
    STEP_IDENTIFY,
    STEP_STUB,
    STEP_BAUD,
    STEP_WRITE,
    STEP_VERIFY,
    STEP_MD5,
    STEP_READ,
    STEP_ERASE,
    STEP_RESET,
    STEP_CHECK,             /* MD5 of a region before writing it (skip_matching) */
    STEP_BLINK,             /* register writes toggling the identify LED */
    STEP_BOOT_LOG,          /* listening to the board after the reset */
};

struct flash_job_step {
    enum flash_job_step_kind kind;
    size_t region;                  /* WRITE, VERIFY, CHECK: index into regions */
    bool skipped;                   /* not run: nothing to do (e.g. region matched) */
    uint64_t started_us, ended_us;  /* uv_hrtime()/1000; ended 0 = not finished */
};

struct flash_job_callbacks {
    void (*on_step)(struct flash_job *j, const struct flash_job_step *step);  /* started */
    void (*on_progress)(struct flash_job *j, const struct flash_job_step *step,
                        uint64_t done, uint64_t total);
    /* err NULL on success; else the failed phase and a message to act on. */
    void (*on_done)(struct flash_job *j, const struct loader_error *err);
    /* Optional. After identify, before anything is written: return false to
     * refuse the board, with the reason in err->message (the job then ends
     * in phase identify with LOADER_ERR_REFUSED). */
    bool (*on_identified)(struct flash_job *j, const struct loader_chip_info *info,
                          struct loader_error *err);
    /* Optional. A region's MD5 already matched: its write and verify are skipped. */
    void (*on_region_skipped)(struct flash_job *j, size_t region);
    /* Optional. Bytes the board sent during the boot-log step. */
    void (*on_boot_log)(struct flash_job *j, const uint8_t *data, size_t n);
};

/* Inside on_identified: the caller needs time before the job goes on (a
 * unit key still being generated). The job keeps its port open and waits
 * until flash_job_resume; flash_job_cancel still ends it. Late regions must
 * have their data by the resume. */
void flash_job_hold(struct flash_job *j);
void flash_job_resume(struct flash_job *j);

/* Enough for a bundle's 32 parts with a check, write and verify each. */
#define FLASH_JOB_MAX_STEPS 128

/* Allocates the job (the loader is large; nothing else is) and computes the
 * MD5 of each region that is neither md5_known nor late. NULL with a reason
 * in err if the config is unusable. */
struct flash_job *flash_job_new(uv_loop_t *loop, const struct flash_job_config *cfg,
                                const struct flash_job_callbacks *cb, void *owner,
                                char *err, size_t errlen);
int flash_job_start(struct flash_job *j);
/* Stops a running job; on_done follows with a "cancelled" error. */
void flash_job_cancel(struct flash_job *j);
void flash_job_free(struct flash_job *j);

void *flash_job_owner(const struct flash_job *j);
const struct loader_chip_info *flash_job_chip(const struct flash_job *j);
const uint8_t *flash_job_md5(const struct flash_job *j);   /* FLASH_JOB_MD5 result */
bool flash_job_stub_running(const struct flash_job *j);
/* Host turnaround: total microseconds from receiving a reply to sending
 * what it unblocked, over *count such sends. */
uint64_t flash_job_turnaround_us(const struct flash_job *j, uint64_t *count);
/* The step log: every step planned, with times for those that ran. */
const struct flash_job_step *flash_job_steps(const struct flash_job *j, size_t *n);
/* The phase a step belongs to (phase.h): the one map from steps to the
 * names events, records and the API show. */
enum phase flash_job_step_phase(enum flash_job_step_kind k);
const char *flash_job_step_name(enum flash_job_step_kind k);

#endif
