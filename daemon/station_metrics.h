/* GET /metrics from the station's side (the wiring beside jigd.c): what
 * the station's slots, their tallies, the key pool, the station database
 * and the webhook outbox say, written in Prometheus' text format for the
 * API's backend (api_backend.h, `metrics`). docs/api.md, "Metrics", lists
 * every family.
 *
 * Two kinds of number, and each HELP says which: process counters, kept
 * in memory since jigd started (attempts, failures, bytes, phase and
 * commit times; they restart at 0 with jigd, as Prometheus expects and
 * jigd_start_time_seconds shows), and gauges read at scrape time (slot
 * states and baud rates, the key pool; from station.db, so a restart
 * loses nothing: the shift's units, the webhooks' backlogs). */
#ifndef JIGD_STATION_METRICS_H
#define JIGD_STATION_METRICS_H

#include "config.h"
#include "metrics_histogram.h"

struct metrics_text;
struct station;
struct unit_services;

struct station_metrics {
    struct station *st;
    struct unit_services *units;        /* NULL: no database, no key pool */
    const struct jigd_config *cfg;
    double started_at;                  /* Unix time */
    struct metrics_histogram commits_durable, commits_progress;
};

/* Starts counting: from now on the database tells every commit. Everything
 * given must outlive the metrics. */
void station_metrics_start(struct station_metrics *m, struct station *st,
                           struct unit_services *units, const struct jigd_config *cfg);

/* The station's families, into `out`. */
void station_metrics_write(struct station_metrics *m, struct metrics_text *out);

#endif
