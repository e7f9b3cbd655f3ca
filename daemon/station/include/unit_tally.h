/* What a slot counts of the attempts it records, since jigd started: the
 * process counters of GET /metrics (daemon/station_metrics.c).
 *
 * unit_record adds to the tally as it writes the same facts to the station
 * database (an attempt's end and its result, its failed phase and bytes
 * written, each phase row and its duration), so for the life of one jigd
 * the counts are the database's rows of that run. Like any Prometheus
 * counter they start again at 0 when jigd does; the database keeps the
 * history. Loop thread only; no allocation. */
#ifndef JIGD_UNIT_TALLY_H
#define JIGD_UNIT_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics_histogram.h"
#include "phase.h"

/* How an attempt ended: the board passed or failed, or jigd stopped while
 * it ran (interrupted: not the board's failure). */
enum unit_result { UNIT_PASSED, UNIT_FAILED, UNIT_INTERRUPTED, UNIT_RESULTS };

struct unit_tally {
    uint64_t attempts[UNIT_RESULTS];    /* ended and on record, by result */
    uint64_t failed_in[PHASE_COUNT];    /* failed attempts, by the phase they failed in */
    uint64_t bytes_written;             /* by every ended attempt */
    struct metrics_histogram phase_seconds[PHASE_COUNT];    /* each phase row's duration */
};

void unit_tally_init(struct unit_tally *t);
/* A phase row of an attempt (the steps of one phase summed, as recorded). */
void unit_tally_phase(struct unit_tally *t, enum phase phase, int64_t duration_ms);
/* An attempt's end, once it is on record. `failed_in` counts for UNIT_FAILED. */
void unit_tally_end(struct unit_tally *t, enum unit_result result, enum phase failed_in,
                    uint64_t bytes_written);
/* Adds a slot's tally into the station's. */
void unit_tally_add(struct unit_tally *into, const struct unit_tally *from);

/* The database's word for a result: "ok", "failed", "interrupted". */
const char *unit_result_name(enum unit_result r);

#endif
