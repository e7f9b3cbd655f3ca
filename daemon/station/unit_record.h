/* Every attempt on record: begun when a unit starts (slot, adapter, bundle
 * and the hashes of the parts), tied to its unit after identify, its
 * phases timed, and ended on every path — pass, fail, abort, SIGTERM. (A
 * SIGKILL leaves it running; the next start marks it interrupted.)
 *
 * A board is reported "pass" only once its result is durable, so the
 * writes that decide are checked: the start (no start on record, no
 * board touched) and the end (not recorded, not reported: the run holds
 * the result and calls unit_record_end again). The rows that only describe
 * (parts, phases) ride along: one the database does not take now is kept
 * here and written before the end. The serial, the other decision, is
 * unit_identity.c's and refuses the board when it cannot be committed. */
#ifndef JIGD_UNIT_RECORD_H
#define JIGD_UNIT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "bundle_manifest.h"
#include "phase.h"
#include "unit_tally.h"

struct bundle;
struct flash_job;
struct station_db;
struct unit_plan;

/* A part or phase row the database did not take when it came. */
struct unit_record_row {
    bool is_part;
    char name[BUNDLE_FILE_MAX];     /* the part's, or the phase's */
    uint32_t offset, size;          /* a part: where, how much */
    char sha256[65];
    bool per_unit;
    int64_t started_ms, duration_ms;    /* a phase */
    uint64_t bytes;
};

#define UNIT_RECORD_PENDING 24      /* more rows than a unit has parts and phases */

struct unit_record {
    struct station_db *db;          /* NULL: nothing is recorded */
    int slot;
    int64_t attempt_id;             /* 0 = no attempt on record */
    uint64_t bytes_written;         /* this attempt, every job */
    struct unit_tally *tally;       /* the slot's counts; NULL: none kept */
    struct unit_record_row pending[UNIT_RECORD_PENDING];
    size_t n_pending;
};

/* Wall-clock milliseconds since the epoch, as the records keep time. */
int64_t unit_record_wall_ms(void);

/* Once per unit (a retry goes on with the same attempt): the attempt and
 * the plan's bundle parts. -1: the attempt could not be begun and the board
 * must not be touched (sdb_errmsg and sdb_last_fault of r->db say why). */
int unit_record_begin(struct unit_record *r, const struct bundle *b, const char *port,
                      const char *work_order, const struct unit_plan *plan);
/* The per-unit partitions, once made: their hash proves what the board
 * got without keeping what it got (the key). */
void unit_record_parts(struct unit_record *r, const struct unit_plan *plan);
void unit_record_phase(struct unit_record *r, enum phase phase, int64_t started_ms,
                       int64_t duration_ms, uint64_t bytes);
/* The phases of a job that ran, before the job is freed. */
void unit_record_steps(struct unit_record *r, struct flash_job *j, const struct unit_plan *plan);
/* The rows kept back, then the result (with the phase and cause unless it
 * passed); 0 once all is committed (and counted in the tally), and the
 * attempt is forgotten. -1: not
 * recorded (sdb_errmsg, sdb_last_fault say why); the attempt is kept, and
 * the same call may be made again. */
int unit_record_end(struct unit_record *r, enum unit_result result, enum phase phase,
                    const char *cause);

#endif
