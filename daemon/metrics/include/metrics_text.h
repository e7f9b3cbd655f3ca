/* Prometheus' text exposition format, version 0.0.4: what GET /metrics
 * answers and what a Prometheus server (or promtool) reads.
 *
 * A scrape is a list of families. Each family is written once: its
 * "# HELP" and "# TYPE" lines, then every sample of it, so samples cannot
 * stray into another family's block. The writer escapes what the format
 * wants escaped (in HELP: backslash and newline; in a label value:
 * backslash, double quote and newline), replaces bytes that are not UTF-8
 * with U+FFFD (a value from a config file or a client must not break the
 * scrape), and refuses names the format does not allow. A histogram is
 * written from a metrics_histogram: a cumulative _bucket per bound with
 * le="...", le="+Inf", then _sum and _count.
 *
 * The first mistake (a bad name, a counter not named *_total, memory out)
 * makes the whole text unusable: metrics_text_result says what it was,
 * and the caller answers 500 rather than a half scrape. No I/O, no clock;
 * the text grows in memory the caller owns through `struct metrics_text`.
 *
 * The format: https://prometheus.io/docs/instrumenting/exposition_formats/ */
#ifndef JIGD_METRICS_TEXT_H
#define JIGD_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_histogram.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_NAME_MAX 100

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

/* One label of a sample. Names: [a-zA-Z_][a-zA-Z0-9_]*, not starting with
 * "__" (Prometheus' own), and not "le" on a histogram. Values: any text. */
struct metrics_label {
    const char *name;
    const char *value;
};

struct metrics_text {
    char *text;                 /* NUL-terminated once anything is written */
    size_t len, cap;
    bool failed;
    char why[200];              /* the first mistake, when failed */
    char family[METRICS_NAME_MAX + 1];  /* the family being written; "" none */
    enum metrics_type type;
};

void metrics_text_init(struct metrics_text *m);
void metrics_text_free(struct metrics_text *m);

/* Starts a family: its name ([a-zA-Z_:][a-zA-Z0-9_:]*; a counter's ends in
 * _total), type and one line of help (what it counts, in which unit, and
 * whether it restarts with jigd). */
void metrics_family(struct metrics_text *m, enum metrics_type type, const char *name,
                    const char *help);

/* A sample of the current family (a counter or a gauge), with n labels. */
void metrics_value(struct metrics_text *m, const struct metrics_label *labels, size_t n,
                   double value);
/* The same for a whole number, written exactly (a counter past 2^53). */
void metrics_count(struct metrics_text *m, const struct metrics_label *labels, size_t n,
                   uint64_t value);
/* The series of one histogram of the current family (a histogram). */
void metrics_histogram(struct metrics_text *m, const struct metrics_label *labels, size_t n,
                       const struct metrics_histogram *h);

/* The text and its length, or NULL when a mistake made it unusable (then
 * m->why says which). */
const char *metrics_text_result(const struct metrics_text *m, size_t *len);

/* A number as the format spells it: the shortest decimal that reads back
 * as the same double, "NaN", "+Inf" or "-Inf". */
#define METRICS_NUMBER_MAX 32
void metrics_number(double v, char out[METRICS_NUMBER_MAX]);

#endif
