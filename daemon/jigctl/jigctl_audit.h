/* jigctl audit's parts, shared by its files and by nothing else.
 *
 * Every report runs the same way (audit_run): parse the options it takes,
 * open the station database read-only, query (and read the audit log's
 * head in the same read transaction), close, print in the format asked
 * for. A report is what differs: which options, which query, how it
 * prints.
 *
 * Every report but verify carries the head it was read with (its last
 * row's id, hash and time), so a report filed outside the station anchors
 * the log it came from: a table's last line (audit_run prints it), CSV's
 * last record and JSON's "audit_head" (sdb_export_*_anchored, reached
 * through audit_emit_rows). verify prints the head it checked itself. */
#ifndef JIGD_JIGCTL_AUDIT_H
#define JIGD_JIGCTL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "station_db.h"

enum audit_format { AUDIT_FORMAT_TABLE, AUDIT_FORMAT_CSV, AUDIT_FORMAT_JSON };

/* The options any audit command may take; each report says which. */
struct audit_args {
    const char *db, *config, *from, *to, *result, *work_order, *phase, *positional;
    int slot;                   /* -1: any */
    long limit;                 /* 0: no limit */
    bool by_phase;
    enum audit_format format;
};

enum {
    AUDIT_OPT_RANGE = 1 << 0,       /* --from --to */
    AUDIT_OPT_FILTER = 1 << 1,      /* --slot --result --work-order --limit */
    AUDIT_OPT_BY_PHASE = 1 << 2,
    AUDIT_OPT_POSITIONAL = 1 << 3,  /* one word that is not an option: required */
};

struct audit_report {
    const char *name;           /* the word after "audit" */
    const char *synopsis;       /* its own options, for usage; "" or ends in ' ' */
    unsigned options;           /* AUDIT_OPT_* it takes besides --db/--config/--format */
    /* Reads what the report shows into *out; SDB_OK or an sdb error, whose
     * words sdb_errmsg(db) holds. */
    int (*query)(struct station_db *db, const struct audit_args *a, cJSON **out);
    /* Prints it in a->format, CSV and JSON with head (NULL for a report
     * with own_head); returns the exit code. */
    int (*print)(const struct audit_args *a, cJSON *result,
                 const struct sdb_audit_head *head);
    bool own_head;              /* verify: prints the head it checked */
};

/* Runs a report on argv (what follows "audit <name>"); returns the exit code. */
int audit_run(const struct audit_report *report, int argc, char **argv);

extern const struct audit_report audit_unit_report;
extern const struct audit_report audit_attempts_report;
extern const struct audit_report audit_rate_report;
extern const struct audit_report audit_yield_report;
extern const struct audit_report audit_pareto_report;
extern const struct audit_report audit_duplicates_report;
extern const struct audit_report audit_verify_report;

/* ---- printing (jigctl_audit_print.c) ---- */

struct audit_column {
    const char *key, *title;
};

#define AUDIT_COLS(a) a, sizeof a / sizeof a[0]
#define AUDIT_CELL_MAX 120

/* A cell as text: strings as they are (newlines shown as spaces), whole
 * numbers without decimals, NULL empty. */
void audit_cell_text(const cJSON *v, char *out, size_t cap);

/* Rows in the chosen format: a table of `cols` (all of the first row's keys
 * when NULL; `empty` is what it says for no rows), CSV or JSON; CSV and
 * JSON with the audit log's head when head is not NULL (a table's head
 * line is audit_run's). For JSON, rows may be one report object. */
int audit_emit_rows(const cJSON *rows, enum audit_format f, const struct audit_column *cols,
                    size_t n_cols, const char *empty, const struct sdb_audit_head *head);

/* The head as a table's last line: "audit log head: row N at T, hash H". */
void audit_print_head(const struct sdb_audit_head *head);

/* One JSON document, indented, on stdout. */
void audit_print_json(const cJSON *o);

#endif
