/* The attempts a slot has recorded since jigd started (unit_tally.h). */
#include "unit_tally.h"

/* Seconds. A phase on an ESP32 takes from milliseconds (baud, reset) to a
 * minute or two (a 4 MB write through the ROM loader at 115200 baud). */
static const double phase_bounds[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

void unit_tally_init(struct unit_tally *t)
{
    *t = (struct unit_tally){0};
    for (int p = 0; p < PHASE_COUNT; p++)
        metrics_histogram_init(&t->phase_seconds[p], phase_bounds,
                               sizeof phase_bounds / sizeof phase_bounds[0]);
}

void unit_tally_phase(struct unit_tally *t, enum phase phase, int64_t duration_ms)
{
    if (!t || (unsigned)phase >= PHASE_COUNT)
        return;
    metrics_histogram_observe(&t->phase_seconds[phase],
                              (double)(duration_ms > 0 ? duration_ms : 0) / 1000.0);
}

void unit_tally_end(struct unit_tally *t, enum unit_result result, enum phase failed_in,
                    uint64_t bytes_written)
{
    if (!t || (unsigned)result >= UNIT_RESULTS)
        return;
    t->attempts[result]++;
    if (result == UNIT_FAILED && (unsigned)failed_in < PHASE_COUNT)
        t->failed_in[failed_in]++;
    t->bytes_written += bytes_written;
}

void unit_tally_add(struct unit_tally *into, const struct unit_tally *from)
{
    for (int r = 0; r < UNIT_RESULTS; r++)
        into->attempts[r] += from->attempts[r];
    for (int p = 0; p < PHASE_COUNT; p++) {
        into->failed_in[p] += from->failed_in[p];
        metrics_histogram_add(&into->phase_seconds[p], &from->phase_seconds[p]);
    }
    into->bytes_written += from->bytes_written;
}

const char *unit_result_name(enum unit_result r)
{
    static const char *const names[UNIT_RESULTS] = {
        [UNIT_PASSED] = "ok", [UNIT_FAILED] = "failed", [UNIT_INTERRUPTED] = "interrupted",
    };
    return (unsigned)r < UNIT_RESULTS ? names[r] : "?";
}
