/* The run every audit report shares: its options, finding and opening the
 * station database read-only, the query with the audit log's head, the
 * close, the print. */
#include "jigctl_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "jigctl_command.h"
#include "option_value.h"
#include "station_db_path.h"

/* ---- options ------------------------------------------------------------- */

static int usage(const struct audit_report *r)
{
    jigctl_error("usage: jigctl audit %s %s[--db PATH | --config PATH] "
                 "[--format table|csv|json]", r->name, r->synopsis);
    return JIGCTL_EXIT_USAGE;
}

static int parse_number(const char *s, long min, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_format(const char *v, enum audit_format *f)
{
    if (!strcmp(v, "table"))
        *f = AUDIT_FORMAT_TABLE;
    else if (!strcmp(v, "csv"))
        *f = AUDIT_FORMAT_CSV;
    else if (!strcmp(v, "json"))
        *f = AUDIT_FORMAT_JSON;
    else
        return -1;
    return 0;
}

static int parse_slot(const char *v, struct audit_args *a)
{
    long n;
    if (parse_number(v, 0, 1000, &n) < 0) {
        jigctl_error("--slot takes a slot number, not '%s'", v);
        return -1;
    }
    a->slot = (int)n;
    return 0;
}

static int parse_limit(const char *v, struct audit_args *a)
{
    if (parse_number(v, 1, 100000000, &a->limit) < 0) {
        jigctl_error("--limit takes a positive number, not '%s'", v);
        return -1;
    }
    return 0;
}

enum parsed {
    PARSED,
    NOT_TAKEN,      /* not an option this report takes */
    SHOW_USAGE,     /* a value missing or not one of the choices */
    COMPLAINED,     /* a value wrong, and the complaint printed */
};

static enum parsed parse_option(int *i, int argc, char **argv, unsigned allowed,
                                struct audit_args *a)
{
    const char *v;
    bool range = allowed & AUDIT_OPT_RANGE, filter = allowed & AUDIT_OPT_FILTER;
    if ((v = option_value(i, argc, argv, "--db"))) a->db = v;
    else if ((v = option_value(i, argc, argv, "--config"))) a->config = v;
    else if ((v = option_value(i, argc, argv, "--format"))) {
        if (parse_format(v, &a->format))
            return SHOW_USAGE;
    } else if (range && (v = option_value(i, argc, argv, "--from"))) a->from = v;
    else if (range && (v = option_value(i, argc, argv, "--to"))) a->to = v;
    else if (filter && (v = option_value(i, argc, argv, "--result"))) a->result = v;
    else if (filter && (v = option_value(i, argc, argv, "--work-order"))) a->work_order = v;
    else if (filter && (v = option_value(i, argc, argv, "--phase"))) a->phase = v;
    else if (filter && (v = option_value(i, argc, argv, "--slot"))) {
        if (parse_slot(v, a))
            return COMPLAINED;
    } else if (filter && (v = option_value(i, argc, argv, "--limit"))) {
        if (parse_limit(v, a))
            return COMPLAINED;
    } else if ((allowed & AUDIT_OPT_BY_PHASE) && !strcmp(argv[*i], "--by-phase")) {
        a->by_phase = true;
        return PARSED;
    } else if ((allowed & AUDIT_OPT_POSITIONAL) && argv[*i][0] != '-' && !a->positional) {
        a->positional = argv[*i];
        return PARSED;
    } else {
        return NOT_TAKEN;
    }
    return v[0] ? PARSED : SHOW_USAGE;
}

static int parse_args(const struct audit_report *r, int argc, char **argv,
                      struct audit_args *a)
{
    memset(a, 0, sizeof *a);
    a->slot = -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        switch (parse_option(&i, argc, argv, r->options, a)) {
        case PARSED:
            continue;
        case COMPLAINED:
            return JIGCTL_EXIT_USAGE;
        case NOT_TAKEN:
            if (arg[0] == '-')
                jigctl_error("audit %s: unknown option '%s'", r->name, arg);
            return usage(r);
        case SHOW_USAGE:
            return usage(r);
        }
    }
    if ((r->options & AUDIT_OPT_POSITIONAL) && !a->positional)
        return usage(r);
    return JIGCTL_EXIT_OK;
}

/* ---- the database ------------------------------------------------------- */

/* Read-only: WAL lets a report run beside a working jigd. */
static struct station_db *open_db(const struct audit_args *a)
{
    char path[STATION_DB_PATH_MAX], err[512];
    if (station_db_path(a->db, a->config, path, sizeof path) < 0)
        return NULL;
    if (access(path, R_OK) != 0) {
        jigctl_error("cannot read the station database %s (give its path with "
                     "--db, or the station's config with --config)", path);
        return NULL;
    }
    struct sdb_options o = {.read_only = true};
    struct station_db *db = NULL;
    if (sdb_open(path, &o, &db, err, sizeof err) != SDB_OK) {
        jigctl_error("%s", err);
        return NULL;
    }
    return db;
}

/* ---- the run ------------------------------------------------------------- */

/* The report and the audit log's head from one read transaction: a jigd
 * writing beside it (WAL) cannot append between the rows and the head, so
 * the head is the end of the log the rows were read from. */
static int query_with_head(const struct audit_report *report, struct station_db *db,
                           const struct audit_args *a, cJSON **result,
                           struct sdb_audit_head *head)
{
    sqlite3 *sql = sdb_sqlite(db);
    if (sqlite3_exec(sql, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        jigctl_error("cannot read the station database: %s", sqlite3_errmsg(sql));
        return SDB_ERROR;
    }
    int rc = report->query(db, a, result);
    if (rc == SDB_OK)
        rc = sdb_audit_head(db, head);
    sqlite3_exec(sql, "COMMIT", NULL, NULL, NULL);
    if (rc != SDB_OK)
        jigctl_error("%s", sdb_errmsg(db));
    return rc;
}

int audit_run(const struct audit_report *report, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(report, argc, argv, &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *result = NULL;
    struct sdb_audit_head head;
    int rc;
    if (report->own_head) {
        rc = report->query(db, &a, &result);
        if (rc != SDB_OK)
            jigctl_error("%s", sdb_errmsg(db));
    } else {
        rc = query_with_head(report, db, &a, &result, &head);
    }
    sdb_close(db);
    if (rc != SDB_OK) {
        cJSON_Delete(result);
        return JIGCTL_EXIT_FAILED;
    }
    r = report->print(&a, result, report->own_head ? NULL : &head);
    /* A table's head is its last line, after any total the report adds. */
    if (r == JIGCTL_EXIT_OK && !report->own_head && a.format == AUDIT_FORMAT_TABLE)
        audit_print_head(&head);
    cJSON_Delete(result);
    return r;
}
