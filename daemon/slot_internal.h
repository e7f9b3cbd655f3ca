/* The inside of a slot, shared by slot.c (states and triggers),
 * slot_unit.c (one board's job and its events) and slot_json.c. */
#ifndef JIGD_SLOT_INTERNAL_H
#define JIGD_SLOT_INTERNAL_H

#include "slot.h"

#include "event_bus.h"
#include "flash_job.h"
#include "loader.h"

#define SLOT_BOOT_LOG_KEEP 4096     /* bytes of boot log kept per slot */
#define SLOT_TEXT 256

/* What the slot's one job is doing. */
enum slot_activity {
    ACT_NONE,
    ACT_PROBE,          /* auto: is a board in the ROM loader? (quiet) */
    ACT_UNIT,           /* flashing the board */
    ACT_PRESENCE,       /* after a unit: is the board still there? (quiet) */
    ACT_BLINK,          /* identify LED */
    ACT_PORT_CHECK,     /* no-port: can the port be opened again? */
};

struct slot {
    struct slot_env env;
    struct slot_config cfg;
    enum slot_state state;
    enum slot_activity act;
    struct flash_job *job;
    struct port *check_port;        /* ACT_PORT_CHECK: does the port open? */
    bool check_ok;
    uv_timer_t timer;               /* next probe / poll */
    bool closing;
    void (*closed_cb)(void *ctx);
    void *closed_ctx;
    int handles_open;

    bool awaiting_removal;          /* auto, hotplug: the unit is done, board still in */
    int presence_misses;
    bool blink_pending, identifying;
    bool abort_requested;
    bool start_pending;             /* start once the quiet probe has stopped */
    bool port_lost;                 /* the last unit ended because the port died */
    bool reenumerating;             /* usb-jtag: waiting for the node after a reset */
    int reenumeration_tries;
    bool sync_without_reset;        /* the next unit job syncs without a reset */

    /* the unit in progress */
    struct bundle *bundle;          /* our reference while the unit runs */
    struct flash_job_region *regions;
    size_t n_regions;
    uint32_t baud;                  /* the rate this attempt works at */
    bool retrying;                  /* second attempt one baud rung lower */
    uint32_t failed_baud;
    struct loader_error first_error;
    char first_advice[SLOT_TEXT];
    char refusal_advice[SLOT_TEXT];
    const char *phase;              /* NULL between units */
    uint64_t bytes_done, bytes_total, written_before;
    uint64_t phase_started_us, last_progress_us, unit_started_us;
    double rate;
    unsigned skipped_regions;

    /* what the board said about itself */
    bool have_chip;
    struct loader_chip_info chip;

    /* the last unit's outcome */
    char last_result[8];            /* "pass", "fail", "" */
    char error_phase[32], cause[SLOT_TEXT], advice[SLOT_TEXT];
    double last_seconds;
    unsigned passed, failed;

    uint8_t boot_log[SLOT_BOOT_LOG_KEEP];   /* a ring: the newest bytes */
    size_t boot_log_len, boot_log_head;
};

/* slot.c */
void slot_set_state(struct slot *s, enum slot_state st);
void slot_publish(struct slot *s, const struct jig_event *ev);
void slot_unit_ended(struct slot *s);    /* the unit's job is gone: what next */
bool slot_port_is_path(const struct slot *s);

/* slot_unit.c */
int slot_unit_start(struct slot *s, uint32_t baud, int connect_attempts, char *err,
                    size_t errlen);
void slot_unit_release(struct slot *s);  /* drop the bundle reference and regions */
/* Records the unit's outcome (e NULL = pass) and moves the slot on. */
void slot_unit_finish(struct slot *s, const struct loader_error *e, const char *advice);
extern const struct flash_job_callbacks slot_unit_callbacks;
const char *slot_phase_token(enum flash_job_step_kind k);
const char *slot_advice_for(const struct loader_error *e);
const char *slot_loader_phase_token(enum loader_phase p);

/* slot_json.c */
void slot_boot_log_append(struct slot *s, const uint8_t *data, size_t n);
void slot_boot_log_clear(struct slot *s);

#endif
