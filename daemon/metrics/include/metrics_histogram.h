/* A histogram as Prometheus keeps one: fixed upper bounds chosen when it is
 * made, a count per bucket, the sum and the count of what was observed.
 *
 * Observing is a comparison per bound and two additions: cheap enough to
 * call on the loop for every phase of every board and every commit. The
 * bounds are the caller's (a static array), so two histograms of one
 * family share them and can be added together (the phases of every slot
 * shown as one histogram per phase). No allocation, no I/O, no clock. */
#ifndef JIGD_METRICS_HISTOGRAM_H
#define JIGD_METRICS_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More buckets than a family needs: every bucket is a series to store. */
#define METRICS_BUCKETS_MAX 16

struct metrics_histogram {
    const double *bounds;       /* ascending upper bounds, n_bounds of them;
                                   +Inf is implied */
    size_t n_bounds;
    /* Observations in each bucket alone (not cumulative): in[i] those
     * above bounds[i-1] and at most bounds[i]; in[n_bounds] those above
     * the last bound. The text format's cumulative counts are made from
     * these when written. */
    uint64_t in[METRICS_BUCKETS_MAX + 1];
    double sum;
    uint64_t count;
};

/* Empty, over `bounds` (ascending, at most METRICS_BUCKETS_MAX, kept by
 * pointer). false, and the histogram unusable (no bounds), when they are
 * not ascending or too many. */
bool metrics_histogram_init(struct metrics_histogram *h, const double *bounds, size_t n_bounds);

/* One observation. A NaN is not counted (it would poison the sum). */
void metrics_histogram_observe(struct metrics_histogram *h, double value);

/* Adds `from` into `into`: false, `into` untouched, unless both have the
 * same bounds (the same array). */
bool metrics_histogram_add(struct metrics_histogram *into, const struct metrics_histogram *from);

#endif
