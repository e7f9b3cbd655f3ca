/* One board's pass through a slot, from the first connect to its recorded
 * result: the write plan from the active bundle, the flash job, the board
 * checks that must pass before anything is written, the board's identity,
 * the attempt's record, the events of every step, the one retry a lower
 * baud rate earns, and following a USB-Serial/JTAG chip through its
 * re-enumeration.
 *
 * The result is recorded first and reported after: a board is "pass" only
 * once the station database holds it. When the database takes no writes
 * (disk full, read-only, failing) the run holds the result, says why, and
 * tries again until it is recorded (unit_run_end.c).
 *
 * The slot starts a run and hears back through its owner callbacks; the
 * run never calls into the slot. */
#ifndef JIGD_UNIT_RUN_H
#define JIGD_UNIT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "loader.h"
#include "slot.h"
#include "station_db.h"

struct boot_log;
struct unit_tally;
struct reset_gpio;
struct unit_run;

#define UNIT_TEXT 256

/* How a run ended. */
struct unit_outcome {
    bool passed;
    bool interrupted;               /* jigd stopped it: not the board's failure */
    bool port_lost;                 /* it ended because the port died */
    enum phase error_phase;
    char cause[UNIT_TEXT], advice[UNIT_TEXT];
    double seconds;
};

/* What a run knows of its board, for the API while it runs and after. */
struct unit_board {
    bool have_chip;
    struct loader_chip_info chip;
    char serial[SDB_SERIAL_MAX + 1];    /* "" = none yet */
    char board_code[SDB_BOARD_CODE_MAX + 1]; /* the scanned PCB label; "" = none */
    char fingerprint[65];               /* its certificate's SHA-256 */
};

struct unit_progress {
    enum phase phase;                   /* PHASE_NONE between units */
    uint64_t bytes_done, bytes_total;
    double rate;
    uint32_t baud;
    unsigned skipped_regions;
};

struct unit_run_owner {
    void *ctx;
    void (*on_running)(void *ctx);      /* a step began */
    /* The board is done but its result is not recorded: the database takes
     * no writes (cause, advice). The run holds the result and retries;
     * on_ended follows once it is recorded, or when jigd stops. Comes again
     * if the cause changes. */
    void (*on_unrecorded)(void *ctx, const char *cause, const char *advice);
    /* The run is over (recorded). The owner may free it here: the run does
     * nothing after this call. */
    void (*on_ended)(void *ctx, const struct unit_outcome *o);
};

struct unit_run_config {
    const struct slot_env *env;
    const struct slot_config *cfg;
    struct reset_gpio *reset_lines;     /* reset = gpio: the slot's EN/IO0 */
    struct boot_log *boot_log;          /* cleared at the start, then filled */
    struct unit_board *board;           /* the slot's: filled in as the board answers */
    uint32_t baud;
    int connect_attempts;
    const char *board_code;             /* the scanned PCB label; "" or NULL = none */
    const char *board_code_actor;       /* who scanned it */
    struct unit_tally *tally;           /* the slot's counts (unit_tally.h) */
};

/* Starts a run on the active bundle, its attempt on record before the
 * board hears a byte. NULL with why it did not start and what to do. */
struct unit_run *unit_run_start(const struct unit_run_config *c,
                                const struct unit_run_owner *owner, struct slot_refusal *why);
/* Ends the run as aborted by the operator: on_ended follows, at once or
 * when the flash job has let go of the port. Nothing to abort while a
 * result waits for the database. */
void unit_run_abort(struct unit_run *r);
/* The same when jigd stops: the attempt is recorded as interrupted. A
 * result still waiting for the database is given up (not reported); the
 * next start marks its attempt interrupted. */
void unit_run_stop(struct unit_run *r);
void unit_run_progress(const struct unit_run *r, struct unit_progress *p);
/* After on_ended. */
void unit_run_free(struct unit_run *r);

#endif
