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

/* What keeps a slot from going on with no board to blame (slot_alarm.c):
 * shown as the slot's `alarm` and said once as an error event. */
enum slot_alarm_kind {
    ALARM_NONE,
    ALARM_ROOM,         /* data_dir below min_free_mb: no unit starts */
    ALARM_START,        /* a unit could not start (its record could not be begun) */
    ALARM_UNRECORDED,   /* the unit's result waits for the database */
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

    enum slot_alarm_kind alarm_kind;
    struct slot_refusal alarm;      /* cause (error) and advice (hint) */
};

/* slot.c */
void slot_publish(struct slot *s, const struct jig_event *ev);

/* slot_alarm.c. Raising publishes the alarm as an error event when it is
 * new (not again while the same kind stands); clearing says it is over. */
void slot_alarm_raise(struct slot *s, enum slot_alarm_kind kind, const struct slot_refusal *a);
void slot_alarm_clear(struct slot *s);
/* Whether data_dir has room for a unit's records (min_free_mb); raises or
 * clears the room alarm, and says why in *why when not. */
bool slot_room_to_record(struct slot *s, struct slot_refusal *why);

#endif
