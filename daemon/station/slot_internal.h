/* The inside of a slot, shared by slot.c (states, triggers, requests) and
 * slot_json.c (what the API shows). A board's pass through the slot is a
 * unit_run of its own (unit_run.h). */
#ifndef JIGD_SLOT_INTERNAL_H
#define JIGD_SLOT_INTERNAL_H

#include "slot.h"

#include "boot_log.h"
#include "event_bus.h"
#include "flash_job.h"
#include "reset_gpio.h"
#include "unit_run.h"

/* What the slot's one job is doing. */
enum slot_activity {
    ACT_NONE,
    ACT_PROBE,          /* auto: is a board in the ROM loader? (quiet) */
    ACT_UNIT,           /* a unit_run is flashing the board */
    ACT_PRESENCE,       /* after a unit: is the board still there? (quiet) */
    ACT_BLINK,          /* identify LED */
    ACT_PORT_CHECK,     /* no-port: can the port be opened again? */
};

struct slot {
    struct slot_env env;
    struct slot_config cfg;
    struct reset_gpio *reset_lines; /* reset = gpio: EN/IO0, held while the slot lives */
    enum slot_state state;
    enum slot_activity act;
    struct flash_job *job;          /* a quiet job: probe, presence, blink */
    struct unit_run *run;           /* ACT_UNIT */
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
    bool start_pending;             /* start once the quiet probe has stopped */

    struct unit_board board;        /* the board now, or the last one */
    struct unit_progress progress;  /* the last unit's, once it ended */
    struct unit_outcome last;       /* the last unit's outcome */
    bool have_last;
    unsigned passed, failed;
    struct boot_log boot_log;
};

#endif
