/* Fixed-bucket histograms (metrics_histogram.h). */
#include "metrics_histogram.h"

#include <math.h>

bool metrics_histogram_init(struct metrics_histogram *h, const double *bounds, size_t n_bounds)
{
    *h = (struct metrics_histogram){0};
    if (!bounds || n_bounds == 0 || n_bounds > METRICS_BUCKETS_MAX)
        return false;
    for (size_t i = 0; i < n_bounds; i++)
        if (isnan(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
            return false;
    h->bounds = bounds;
    h->n_bounds = n_bounds;
    return true;
}

void metrics_histogram_observe(struct metrics_histogram *h, double value)
{
    if (!h->bounds || isnan(value))
        return;
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    h->in[i]++;
    h->sum += value;
    h->count++;
}

bool metrics_histogram_add(struct metrics_histogram *into, const struct metrics_histogram *from)
{
    if (!into->bounds || into->bounds != from->bounds || into->n_bounds != from->n_bounds)
        return false;
    for (size_t i = 0; i <= into->n_bounds; i++)
        into->in[i] += from->in[i];
    into->sum += from->sum;
    into->count += from->count;
    return true;
}
