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
#include "unit_tally.h"

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
    ALARM_PORT,         /* no-port: the port does not exist or will not open */
    ALARM_CLOCK,        /* the clock cannot date a certificate */
    ALARM_NO_BUNDLE,    /* nothing to flash: no bundle is loaded */
    ALARM_STUB,         /* the bundle's chip has no usable flasher stub */
    ALARM_ROOM,         /* data_dir below min_free_mb: no unit starts */
    ALARM_START,        /* a unit could not start (its record could not be begun) */
    ALARM_UNRECORDED,   /* the unit's result waits for the database */
    ALARM_BUNDLE_LOADING, /* never raised: a bundle is loading, wait quietly (at
                             start "no bundle" would be a false alarm) */
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
    unsigned failed_in_a_row;       /* units, interrupted ones left out */
    struct unit_tally tally;        /* attempts on record since jigd started */
    struct boot_log boot_log;

    enum slot_alarm_kind alarm_kind;
    struct slot_refusal alarm;      /* cause (error) and advice (hint) */

    /* The PCB label scanned for the next board (slot_board_code.c). */
    char code[SDB_BOARD_CODE_MAX + 1];      /* "" = none waiting */
    char code_actor[SDB_TOKEN_NAME_MAX + 16];
    bool board_waits_for_code;      /* required: a board answered, no label yet */
};

/* slot.c */
void slot_publish(struct slot *s, const struct jig_event *ev);
void slot_schedule(struct slot *s, uint64_t ms);    /* the next tick */
void slot_enter_rest(struct slot *s);               /* idle or armed, as triggered */
void slot_maybe_closed(struct slot *s);             /* closing: all let go? */

/* slot_port.c: the no-port state. A local port that does not exist is
 * said at slot_begin, not found by the first probe (which waits for a
 * bundle); a lost port is polled until it opens again. */
void slot_port_lost(struct slot *s, const char *why);
bool slot_port_missing(struct slot *s);     /* checked and said: true = no-port now */
void slot_port_check(struct slot *s);       /* one poll while no-port */
bool slot_port_present(const struct slot *s);

/* slot_outcome_alarms.c: after a unit, what needs a person: this slot
 * failing FAILING_STREAK units in a row, the work order complete. */
void slot_outcome_alarms(struct slot *s, const struct unit_outcome *o);

/* slot_board_code.c. Whether the slot must hold its board until a label is
 * scanned (required mode, none waiting); whether a board is held so;
 * the code and who scanned it go to the unit that starts and leave the
 * slot; the slot's `scan` view. */
bool slot_board_code_holds(const struct slot *s);
void slot_board_code_hold_board(struct slot *s, bool board_in_jig);
void slot_board_code_taken(struct slot *s);     /* a unit started with it */
void slot_board_code_json(cJSON *o, const struct slot *s);

/* slot_alarm.c. Raising publishes the alarm as an error event when it is
 * new (not again while the same kind stands); clearing says it is over. */
void slot_alarm_raise(struct slot *s, enum slot_alarm_kind kind, const struct slot_refusal *a);
void slot_alarm_clear(struct slot *s);
/* Whether a unit may start now, as far as the station goes: the clock can
 * date its certificate, a bundle is loaded, its chip's flasher stub is
 * there, data_dir has room for its records (min_free_mb). Raises the
 * first that is not (or clears a standing one that is over), and says
 * why in *why when not. A bundle still loading is waited for quietly. */
bool slot_ready(struct slot *s, struct slot_refusal *why);

#endif
