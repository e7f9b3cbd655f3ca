/* The inside of a unit_run, shared by unit_run.c (the start, the flash
 * job's callbacks, the retries) and unit_run_end.c (how a run ends: the
 * record first, then the result; or the hold while the record cannot be
 * written). */
#ifndef JIGD_UNIT_RUN_INTERNAL_H
#define JIGD_UNIT_RUN_INTERNAL_H

#include "event_bus.h"
#include "unit_identity.h"
#include "unit_plan.h"
#include "unit_record.h"
#include "unit_run.h"

struct unit_run {
    struct unit_run_config c;
    struct unit_run_owner owner;
    struct flash_job *job;
    struct bundle *bundle;              /* our reference while the run lives */
    struct unit_plan plan;
    struct unit_identity id;
    struct unit_record record;
    uv_timer_t *timer;                  /* waits for a re-enumerating port, or to
                                           record a held result again */
    bool abort_requested;
    bool stopping;                      /* jigd stops: the end is an interruption */

    uint32_t baud;                      /* the rate this try works at */
    bool retrying;                      /* second try one baud rung lower */
    uint32_t failed_baud;
    struct loader_error first_error;
    char first_advice[UNIT_TEXT];
    char refusal_advice[UNIT_TEXT];
    bool reenumerating;                 /* usb-jtag: waiting for the node after a reset */
    int reenumeration_tries;
    bool sync_without_reset;            /* the next try syncs without a reset */

    char board_code[SDB_BOARD_CODE_MAX + 1];    /* "" = none scanned */
    char board_code_actor[SDB_TOKEN_NAME_MAX + 16];

    struct unit_progress progress;
    uint64_t written_before, phase_started_us, last_progress_us, started_us;

    /* Once the board is done: its outcome, recorded before it is told. */
    struct unit_outcome outcome;
    bool unrecorded;                    /* the database has not taken it yet */
    char hold_cause[UNIT_TEXT];         /* why, as the operator last heard it */
    uint64_t held_since_us;
};

uint64_t unit_run_now_us(void);
/* Publishes an event of this run's slot (running, unless it says). */
void unit_run_publish(struct unit_run *r, struct jig_event ev);
/* Lets go of the bundle and the plan of one try. */
void unit_run_release_try(struct unit_run *r);

/* unit_run_end.c: the run is over (e NULL = the board passed). Records the
 * outcome, then tells the operator and the owner; or holds it. */
void unit_run_finish(struct unit_run *r, const struct loader_error *e, const char *advice);
/* Who stopped the run (the operator, or jigd), in the words the operator
 * and the record read. */
void unit_run_say_who_stopped(const struct unit_run *r, struct loader_error *e);

#endif
