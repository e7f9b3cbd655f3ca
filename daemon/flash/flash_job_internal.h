/* Inside one board's job: the job itself and what its files share. Not for
 * other parts of jigd (see flash_job.h).
 *
 *   flash_job.c        its life: made, started, held, cancelled, ended, freed
 *   flash_job_plan.c   the steps a config asks for, and their names
 *   flash_job_steps.c  starting each step's loader operation, judging its end
 *   flash_job_blink.c  the identify LED, as one step of register writes
 *   flash_job_loop.c   the loop's side: port events and the timer in, the
 *                      loader's events out (drive) */
#ifndef JIGD_FLASH_JOB_INTERNAL_H
#define JIGD_FLASH_JOB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash_job.h"
#include "port.h"

enum job_state {
    JOB_NEW,
    JOB_RUNNING,
    JOB_ENDING,             /* closing the port and the timer */
    JOB_DONE,               /* on_done has run */
};

struct flash_job {
    struct flash_job_config cfg;
    const struct flash_job_callbacks *cb;
    void *owner;
    uv_loop_t *loop;
    enum job_state state;

    struct port *port;
    uv_timer_t timer;
    int closes_pending;

    struct flash_job_step steps[FLASH_JOB_MAX_STEPS];
    size_t n_steps, cur;
    bool driving;           /* inside job_drive(): don't recurse */

    /* How long we take to answer the board: from a read that completes a
     * reply to the next send it causes (our share of every round trip). */
    uint64_t fed_at_us;     /* 0 outside on_port_data */
    uint64_t turnaround_us, turnarounds;

    struct loader_error error;
    bool failed;
    const struct stub_image *stub;  /* from the stub cache; the loader points into it */

    /* A step that waits on its own (blink pauses, boot log) wakes at this
     * time; 0 = none. The one timer serves it and the loader's deadline. */
    uint64_t step_wake_us;
    uint64_t blink_end_us;
    bool led_on;            /* BLINK: what the last register write set */
    bool held;              /* after identify, until flash_job_resume */

    struct loader loader;   /* large: last, so the fields above stay close */
};

/* flash_job.c */
uint64_t job_now_us(void);
struct flash_job_step *job_current(struct flash_job *j);
/* Ends a running job with this error (phase: the current step's); on_done
 * follows once the port and the timer are closed. */
void job_fail(struct flash_job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void job_fail_loader(struct flash_job *j);  /* with the loader's own error */
void job_end(struct flash_job *j);
void job_one_closed(struct flash_job *j);   /* the port or the timer closed */

/* flash_job_plan.c */
int job_plan(struct flash_job *j, char *err, size_t errlen);

/* flash_job_steps.c */
void job_next_step(struct flash_job *j);
void job_step_done(struct flash_job *j);
void job_hash_regions(struct flash_job *j, bool late);

/* flash_job_blink.c */
int job_blink_start(struct flash_job *j, uint64_t now);
void job_blink_tick(struct flash_job *j, uint64_t now);
bool job_blink_written(struct flash_job *j, uint64_t now);

/* flash_job_loop.c */
void job_drive(struct flash_job *j);
extern const struct port_callbacks job_port_callbacks;

#endif
