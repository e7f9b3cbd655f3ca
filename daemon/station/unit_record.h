/* Every attempt on record: begun when a unit starts (slot, adapter, bundle
 * and the hashes of the parts), tied to its unit after identify, its
 * phases timed, and ended on every path — pass, fail, abort, SIGTERM. (A
 * SIGKILL leaves it running; the next start marks it interrupted.)
 *
 * The database is the quality engineer's record, not the line's master: a
 * write that fails is said on stderr and the board goes on. The one write
 * that must succeed, the serial, is unit_identity.c's and refuses the board
 * when it fails. */
#ifndef JIGD_UNIT_RECORD_H
#define JIGD_UNIT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "phase.h"

struct bundle;
struct flash_job;
struct station_db;
struct unit_plan;

struct unit_record {
    struct station_db *db;          /* NULL: nothing is recorded */
    int slot;
    int64_t attempt_id;             /* 0 = no attempt on record */
    uint64_t bytes_written;         /* this attempt, every job */
};

/* Wall-clock milliseconds since the epoch, as the records keep time. */
int64_t unit_record_wall_ms(void);

/* Once per unit (a retry goes on with the same attempt): the attempt and
 * the plan's bundle parts. */
void unit_record_begin(struct unit_record *r, const struct bundle *b, const char *port,
                       const char *work_order, const struct unit_plan *plan);
/* The per-unit partitions, once made: their hash proves what the board
 * got without keeping what it got (the key). */
void unit_record_parts(struct unit_record *r, const struct unit_plan *plan);
void unit_record_phase(struct unit_record *r, enum phase phase, int64_t started_ms,
                       int64_t duration_ms, uint64_t bytes);
/* The phases of a job that ran, before the job is freed. */
void unit_record_steps(struct unit_record *r, struct flash_job *j, const struct unit_plan *plan);
/* How an attempt ended: the board passed or failed, or jigd stopped while
 * it ran (interrupted: not the board's failure). */
enum unit_result { UNIT_PASSED, UNIT_FAILED, UNIT_INTERRUPTED };

/* The result, with the phase and cause unless it passed; forgets the
 * attempt. */
void unit_record_end(struct unit_record *r, enum unit_result result, enum phase phase,
                     const char *cause);

#endif
