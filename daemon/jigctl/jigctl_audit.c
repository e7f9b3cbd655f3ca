/* jigctl audit: the quality engineer's view of the station database, read
 * locally and read-only (WAL lets it run beside a working jigd). Every
 * report prints as a table, CSV (for a spreadsheet) or JSON (for a script).
 *
 * Where the database is: --db PATH; else the data_dir of --config PATH, or
 * of /etc/jigd/jigd.conf when that exists; else /var/lib/jigd/station.db. */
#include "jigctl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "station_db.h"

#define DEFAULT_CONFIG "/etc/jigd/jigd.conf"
#define DB_FILE "station.db"

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

/* The options any audit command may take; each command says which. */
struct audit_args {
    const char *db, *config, *from, *to, *result, *work_order, *positional;
    int slot;
    long limit;
    bool by_phase;
    enum format format;
};

enum {
    OPT_RANGE = 1 << 0,     /* --from --to */
    OPT_FILTER = 1 << 1,    /* --slot --result --work-order --limit */
    OPT_BY_PHASE = 1 << 2,
    OPT_POSITIONAL = 1 << 3,
};

static int usage(const char *cmd, const char *args)
{
    jigctl_error("usage: jigctl audit %s %s[--db PATH | --config PATH] "
                 "[--format table|csv|json]", cmd, args);
    return JIGCTL_EXIT_USAGE;
}

static const char *take_value(int *i, int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n))
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        return "";
    return argv[++*i];
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

static int parse_args(int argc, char **argv, unsigned allowed, const char *cmd,
                      const char *synopsis, struct audit_args *a)
{
    memset(a, 0, sizeof *a);
    a->slot = -1;
    for (int i = 0; i < argc; i++) {
        const char *v;
        long n;
        if ((v = take_value(&i, argc, argv, "--db"))) a->db = v;
        else if ((v = take_value(&i, argc, argv, "--config"))) a->config = v;
        else if ((v = take_value(&i, argc, argv, "--format"))) {
            if (!strcmp(v, "table")) a->format = FORMAT_TABLE;
            else if (!strcmp(v, "csv")) a->format = FORMAT_CSV;
            else if (!strcmp(v, "json")) a->format = FORMAT_JSON;
            else return usage(cmd, synopsis);
        } else if ((allowed & OPT_RANGE) && (v = take_value(&i, argc, argv, "--from"))) a->from = v;
        else if ((allowed & OPT_RANGE) && (v = take_value(&i, argc, argv, "--to"))) a->to = v;
        else if ((allowed & OPT_FILTER) && (v = take_value(&i, argc, argv, "--result"))) a->result = v;
        else if ((allowed & OPT_FILTER) && (v = take_value(&i, argc, argv, "--work-order"))) a->work_order = v;
        else if ((allowed & OPT_FILTER) && (v = take_value(&i, argc, argv, "--slot"))) {
            if (parse_number(v, 0, 1000, &n) < 0) {
                jigctl_error("--slot takes a slot number, not '%s'", v);
                return JIGCTL_EXIT_USAGE;
            }
            a->slot = (int)n;
        } else if ((allowed & OPT_FILTER) && (v = take_value(&i, argc, argv, "--limit"))) {
            if (parse_number(v, 1, 100000000, &n) < 0) {
                jigctl_error("--limit takes a positive number, not '%s'", v);
                return JIGCTL_EXIT_USAGE;
            }
            a->limit = n;
        } else if ((allowed & OPT_BY_PHASE) && !strcmp(argv[i], "--by-phase")) {
            a->by_phase = true;
        } else if ((allowed & OPT_POSITIONAL) && argv[i][0] != '-' && !a->positional) {
            a->positional = argv[i];
        } else {
            if (argv[i][0] == '-')
                jigctl_error("audit %s: unknown option '%s'", cmd, argv[i]);
            return usage(cmd, synopsis);
        }
        if (v && !v[0])
            return usage(cmd, synopsis);
    }
    if ((allowed & OPT_POSITIONAL) && !a->positional)
        return usage(cmd, synopsis);
    return JIGCTL_EXIT_OK;
}

/* ---- opening ------------------------------------------------------------ */

static int db_path(const struct audit_args *a, char *path, size_t cap)
{
    if (a->db) {
        snprintf(path, cap, "%s", a->db);
        return 0;
    }
    const char *conf = a->config;
    if (!conf && access(DEFAULT_CONFIG, R_OK) == 0)
        conf = DEFAULT_CONFIG;
    if (!conf) {
        snprintf(path, cap, "%s/%s", CONFIG_DEFAULT_DATA_DIR, DB_FILE);
        return 0;
    }
    char err[512];
    struct jigd_config *c = config_load(conf, err, sizeof err);
    if (!c) {
        jigctl_error("%s", err);
        return -1;
    }
    snprintf(path, cap, "%s/%s", c->station.data_dir, DB_FILE);
    config_free(c);
    return 0;
}

static struct station_db *open_db(const struct audit_args *a)
{
    char path[CONFIG_PATH_MAX + 32], err[512];
    if (db_path(a, path, sizeof path) < 0)
        return NULL;
    struct sdb_options o = {.read_only = true};
    struct station_db *db = NULL;
    if (access(path, R_OK) != 0) {
        jigctl_error("cannot read the station database %s (give its path with "
                     "--db, or the station's config with --config)", path);
        return NULL;
    }
    if (sdb_open(path, &o, &db, err, sizeof err) != SDB_OK) {
        jigctl_error("%s", err);
        return NULL;
    }
    return db;
}

static int db_failed(struct station_db *db)
{
    jigctl_error("%s", sdb_errmsg(db));
    sdb_close(db);
    return JIGCTL_EXIT_FAILED;
}

/* ---- output --------------------------------------------------------------- */

/* A cell as text: strings as they are (newlines shown as spaces), whole
 * numbers without decimals, NULL empty. */
static void cell_text(const cJSON *v, char *out, size_t cap)
{
    out[0] = '\0';
    if (!v || cJSON_IsNull(v))
        return;
    if (cJSON_IsString(v)) {
        snprintf(out, cap, "%s", v->valuestring);
        for (char *p = out; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
    } else if (cJSON_IsBool(v)) {
        snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d)
            snprintf(out, cap, "%lld", (long long)d);
        else {
            /* 66.7, not 66.70: as the report computed it, to 2 places. */
            snprintf(out, cap, "%.2f", d);
            size_t n = strlen(out);
            while (n && out[n - 1] == '0')
                out[--n] = '\0';
        }
    } else {
        char *j = cJSON_PrintUnformatted(v);
        snprintf(out, cap, "%s", j ? j : "");
        free(j);
    }
}

struct column {
    const char *key, *title;
};

#define CELL_MAX 120

/* Rows as an aligned table of the given columns (all of the first row's
 * keys when cols is NULL). */
static void print_table(const cJSON *rows, const struct column *cols, size_t n_cols)
{
    struct column all[32];
    if (!cols) {
        const cJSON *first = cJSON_GetArrayItem(rows, 0), *k;
        n_cols = 0;
        for (k = first ? first->child : NULL; k && n_cols < 32; k = k->next)
            all[n_cols++] = (struct column){k->string, k->string};
        cols = all;
    }
    size_t width[32] = {0};
    char cell[CELL_MAX + 1];
    const cJSON *row;
    for (size_t c = 0; c < n_cols && c < 32; c++)
        width[c] = strlen(cols[c].title);
    cJSON_ArrayForEach(row, rows) {
        for (size_t c = 0; c < n_cols && c < 32; c++) {
            cell_text(cJSON_GetObjectItemCaseSensitive(row, cols[c].key), cell, sizeof cell);
            if (strlen(cell) > width[c])
                width[c] = strlen(cell);
        }
    }
    for (size_t c = 0; c < n_cols && c < 32; c++) {
        if (c + 1 < n_cols)
            printf("%-*s  ", (int)width[c], cols[c].title);
        else
            printf("%s\n", cols[c].title);
    }
    cJSON_ArrayForEach(row, rows) {
        for (size_t c = 0; c < n_cols && c < 32; c++) {
            cell_text(cJSON_GetObjectItemCaseSensitive(row, cols[c].key), cell, sizeof cell);
            if (c + 1 < n_cols)
                printf("%-*s  ", (int)width[c], cell);
            else
                printf("%s\n", cell);
        }
    }
}

/* Rows in the chosen format; `empty` is what a table says for no rows. */
static int emit_rows(const cJSON *rows, enum format f, const struct column *cols,
                     size_t n_cols, const char *empty)
{
    int rc = SDB_OK;
    if (f == FORMAT_JSON)
        rc = sdb_export_json(rows, stdout);
    else if (f == FORMAT_CSV)
        rc = sdb_export_csv(rows, stdout);
    else if (cJSON_GetArraySize(rows) == 0)
        printf("%s\n", empty);
    else
        print_table(rows, cols, n_cols);
    fflush(stdout);
    if (rc != SDB_OK) {
        jigctl_error("cannot write the report to stdout");
        return JIGCTL_EXIT_FAILED;
    }
    return JIGCTL_EXIT_OK;
}

#define COLS(a) a, sizeof a / sizeof a[0]

/* ---- unit --------------------------------------------------------------- */

static const struct column attempt_cols[] = {
    {"id", "ATTEMPT"}, {"started_at", "STARTED"}, {"station", "STATION"}, {"slot", "SLOT"},
    {"work_order", "WORK ORDER"}, {"result", "RESULT"}, {"failed_phase", "PHASE"},
    {"cause", "CAUSE"}, {"bytes_written", "BYTES"}, {"phase_ms", "PHASES (ms)"},
};
static const struct column cert_cols[] = {
    {"fingerprint_sha256", "FINGERPRINT (SHA-256)"}, {"subject", "SUBJECT"},
    {"not_before", "NOT BEFORE"}, {"not_after", "NOT AFTER"},
};
static const struct column event_cols[] = {
    {"id", "EVENT"}, {"at", "AT"}, {"actor", "ACTOR"}, {"action", "ACTION"}, {"details", "DETAILS"},
};

/* "sync:120 identify:40 ..." for the table; the JSON keeps the array. */
static void add_phase_summary(cJSON *attempt, const cJSON *phases)
{
    char text[512] = "", cell[64];
    size_t len = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, phases) {
        cell_text(cJSON_GetObjectItemCaseSensitive(p, "duration_ms"), cell, sizeof cell);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "phase");
        int n = snprintf(text + len, sizeof text - len, "%s%s:%s", len ? " " : "",
                         cJSON_IsString(name) ? name->valuestring : "?", cell);
        if (n < 0 || (size_t)n >= sizeof text - len)
            break;
        len += (size_t)n;
    }
    cJSON_AddStringToObject(attempt, "phase_ms", text);
}

static void print_unit_table(cJSON *h)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(h, "unit");
    const cJSON *alloc = cJSON_GetObjectItemCaseSensitive(h, "allocation");
    char serial[80], mac[32], chip[40], rev[20], first[32], last[32], state[32], wo[80];
    cell_text(cJSON_GetObjectItemCaseSensitive(u, "serial"), serial, sizeof serial);
    cell_text(cJSON_GetObjectItemCaseSensitive(u, "mac"), mac, sizeof mac);
    cell_text(cJSON_GetObjectItemCaseSensitive(u, "chip"), chip, sizeof chip);
    cell_text(cJSON_GetObjectItemCaseSensitive(u, "revision"), rev, sizeof rev);
    cell_text(cJSON_GetObjectItemCaseSensitive(u, "first_seen"), first, sizeof first);
    cell_text(cJSON_GetObjectItemCaseSensitive(u, "last_seen"), last, sizeof last);
    cell_text(cJSON_GetObjectItemCaseSensitive(alloc, "state"), state, sizeof state);
    cell_text(cJSON_GetObjectItemCaseSensitive(alloc, "work_order"), wo, sizeof wo);
    printf("unit %s  MAC %s  %s %s\n", serial, mac, chip, rev);
    printf("  seen %s .. %s; serial %s%s%s%s\n", first, last, state[0] ? state : "unknown",
           wo[0] ? " (work order " : "", wo, wo[0] ? ")" : "");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "voided")) ||
        (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(u, "voided")) &&
         cJSON_GetObjectItemCaseSensitive(u, "voided")->valuedouble != 0)) {
        char why[200];
        cell_text(cJSON_GetObjectItemCaseSensitive(u, "void_reason"), why, sizeof why);
        printf("  VOIDED: %s\n", why);
    }
    const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(h, "attempts");
    cJSON *a;
    cJSON_ArrayForEach(a, attempts)
        add_phase_summary(a, cJSON_GetObjectItemCaseSensitive(a, "phases"));
    printf("\n");
    emit_rows(attempts, FORMAT_TABLE, COLS(attempt_cols), "no attempts");
    printf("\n");
    emit_rows(cJSON_GetObjectItemCaseSensitive(h, "certificates"), FORMAT_TABLE, COLS(cert_cols),
              "no certificate");
    printf("\n");
    emit_rows(cJSON_GetObjectItemCaseSensitive(h, "events"), FORMAT_TABLE, COLS(event_cols),
              "no audit events");
}

/* CSV: one flat row per attempt, with the unit's serial and MAC. */
static cJSON *unit_attempt_rows(const cJSON *history)
{
    cJSON *rows = cJSON_CreateArray();
    const cJSON *h, *a;
    cJSON_ArrayForEach(h, history) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(h, "unit");
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(h, "attempts")) {
            cJSON *row = cJSON_CreateObject();
            cJSON_AddItemToObject(row, "serial", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(u, "serial"), 1));
            cJSON_AddItemToObject(row, "mac", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(u, "mac"), 1));
            for (const cJSON *f = a->child; f; f = f->next)
                if (strcmp(f->string, "phases") && strcmp(f->string, "parts"))
                    cJSON_AddItemToObject(row, f->string, cJSON_Duplicate(f, 1));
            add_phase_summary(row, cJSON_GetObjectItemCaseSensitive(a, "phases"));
            cJSON_AddItemToArray(rows, row);
        }
    }
    return rows;
}

static int cmd_unit(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, OPT_POSITIONAL, "unit", "<serial|MAC> ", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *history;
    if (sdb_report_unit(db, a.positional, &history) != SDB_OK)
        return db_failed(db);
    sdb_close(db);
    if (a.format == FORMAT_JSON) {
        r = emit_rows(history, FORMAT_JSON, NULL, 0, "");
    } else if (a.format == FORMAT_CSV) {
        cJSON *rows = unit_attempt_rows(history);
        r = emit_rows(rows, FORMAT_CSV, NULL, 0, "");
        cJSON_Delete(rows);
    } else {
        cJSON *h;
        bool first = true;
        cJSON_ArrayForEach(h, history) {
            if (!first)
                printf("\n");
            first = false;
            print_unit_table(h);
        }
        fflush(stdout);
    }
    cJSON_Delete(history);
    return r;
}

/* ---- attempts, rate, yield, pareto, duplicates ---------------------------- */

static const struct column attempts_cols[] = {
    {"attempt_id", "ATTEMPT"}, {"started_at", "STARTED"}, {"slot", "SLOT"},
    {"serial", "SERIAL"}, {"mac", "MAC"}, {"work_order", "WORK ORDER"}, {"result", "RESULT"},
    {"failed_phase", "PHASE"}, {"cause", "CAUSE"},
};

static int cmd_attempts(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, OPT_RANGE | OPT_FILTER, "attempts",
                       "[--from T] [--to T] [--slot N] [--result R] [--work-order W] "
                       "[--limit N] ", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    struct sdb_attempt_filter f = {.from = a.from, .to = a.to, .slot = a.slot,
                                   .result = a.result, .work_order = a.work_order,
                                   .limit = a.limit};
    cJSON *rows;
    if (sdb_report_attempts(db, &f, &rows) != SDB_OK)
        return db_failed(db);
    sdb_close(db);
    r = emit_rows(rows, a.format, COLS(attempts_cols), "no attempts match");
    if (r == JIGCTL_EXIT_OK && a.format == FORMAT_TABLE && cJSON_GetArraySize(rows))
        printf("%d attempts\n", cJSON_GetArraySize(rows));
    cJSON_Delete(rows);
    return r;
}

static const struct column rate_cols[] = {{"hour", "HOUR (UTC)"}, {"units", "UNITS"}};

static int cmd_rate(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, OPT_RANGE, "rate", "[--from T] [--to T] ", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *rows;
    if (sdb_report_units_per_hour(db, a.from, a.to, &rows) != SDB_OK)
        return db_failed(db);
    sdb_close(db);
    r = emit_rows(rows, a.format, COLS(rate_cols), "no unit completed in that time");
    int hours = cJSON_GetArraySize(rows);
    if (r == JIGCTL_EXIT_OK && a.format == FORMAT_TABLE && hours) {
        double units = 0;
        const cJSON *row;
        cJSON_ArrayForEach(row, rows)
            units += cJSON_GetObjectItemCaseSensitive(row, "units")->valuedouble;
        printf("%.0f units in %d working hours: %.1f units per hour\n", units, hours,
               units / hours);
    }
    cJSON_Delete(rows);
    return r;
}

static const struct column yield_cols[] = {
    {"day", "DAY (UTC)"}, {"units", "UNITS"}, {"first_pass", "FIRST PASS"}, {"percent", "FPY %"},
};

static int cmd_yield(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, OPT_RANGE, "yield", "[--from T] [--to T] ", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    struct sdb_yield y;
    cJSON *days;
    if (sdb_report_first_pass_yield(db, a.from, a.to, &y, &days) != SDB_OK)
        return db_failed(db);
    sdb_close(db);
    if (a.format == FORMAT_TABLE) {
        r = emit_rows(days, a.format, COLS(yield_cols), "no unit was decided in that time");
        printf("first-pass yield: %lld of %lld units passed their first attempt (%.2f %%)\n",
               (long long)y.first_pass, (long long)y.units, y.percent);
    } else if (a.format == FORMAT_CSV) {
        /* The total as the last row, so a spreadsheet gets both. */
        cJSON *total = cJSON_CreateObject();
        cJSON_AddStringToObject(total, "day", "total");
        cJSON_AddNumberToObject(total, "units", (double)y.units);
        cJSON_AddNumberToObject(total, "first_pass", (double)y.first_pass);
        cJSON_AddNumberToObject(total, "percent", (double)(long long)(y.percent * 100 + 0.5) / 100);
        cJSON_AddItemToArray(days, total);
        r = emit_rows(days, a.format, NULL, 0, "");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "units", (double)y.units);
        cJSON_AddNumberToObject(o, "first_pass", (double)y.first_pass);
        cJSON_AddNumberToObject(o, "percent", (double)(long long)(y.percent * 100 + 0.5) / 100);
        cJSON_AddItemToObject(o, "per_day", days);
        days = NULL;
        char *text = cJSON_Print(o);
        printf("%s\n", text ? text : "null");
        free(text);
        cJSON_Delete(o);
    }
    fflush(stdout);
    cJSON_Delete(days);
    return r;
}

static const struct column pareto_cols[] = {
    {"phase", "PHASE"}, {"cause", "CAUSE"}, {"failures", "FAILURES"}, {"percent", "%"},
    {"cumulative_percent", "CUMULATIVE %"},
};

static const struct column pareto_phase_cols[] = {
    {"phase", "PHASE"}, {"failures", "FAILURES"}, {"percent", "%"},
    {"cumulative_percent", "CUMULATIVE %"},
};

static int cmd_pareto(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, OPT_RANGE | OPT_BY_PHASE, "pareto",
                       "[--from T] [--to T] [--by-phase] ", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *rows;
    if (sdb_report_failure_pareto(db, a.from, a.to, !a.by_phase, &rows) != SDB_OK)
        return db_failed(db);
    sdb_close(db);
    if (a.by_phase) {
        cJSON *row;
        cJSON_ArrayForEach(row, rows)
            cJSON_DeleteItemFromObjectCaseSensitive(row, "cause");
    }
    r = a.by_phase ? emit_rows(rows, a.format, COLS(pareto_phase_cols), "no failures")
                   : emit_rows(rows, a.format, COLS(pareto_cols), "no failures");
    cJSON_Delete(rows);
    return r;
}

static const struct column dup_cols[] = {
    {"mac", "MAC"}, {"reason", "WHY IT LOOKS LIKE MORE THAN ONE BOARD"}, {"serials", "SERIALS"},
};

static int cmd_duplicates(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, 0, "duplicates", "", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *rows;
    if (sdb_report_duplicate_macs(db, &rows) != SDB_OK)
        return db_failed(db);
    sdb_close(db);
    r = emit_rows(rows, a.format, COLS(dup_cols), "no duplicate MACs");
    cJSON_Delete(rows);
    return r;
}

/* ---- verify --------------------------------------------------------------- */

/* The audit row the chain broke at, as stored now (NULL if it is gone). */
static cJSON *broken_row(struct station_db *db, int64_t id)
{
    sqlite3_stmt *stmt;
    cJSON *row = NULL;
    if (sqlite3_prepare_v2(sdb_sqlite(db), "SELECT id, at, actor, action, details, prev_hash,"
                           " hash FROM audit_events WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        row = cJSON_CreateObject();
        for (int c = 0; c < sqlite3_column_count(stmt); c++) {
            const char *name = sqlite3_column_name(stmt, c);
            if (sqlite3_column_type(stmt, c) == SQLITE_INTEGER)
                cJSON_AddNumberToObject(row, name, (double)sqlite3_column_int64(stmt, c));
            else if (sqlite3_column_type(stmt, c) == SQLITE_NULL)
                cJSON_AddNullToObject(row, name);
            else
                cJSON_AddStringToObject(row, name, (const char *)sqlite3_column_text(stmt, c));
        }
    }
    sqlite3_finalize(stmt);
    return row;
}

static int cmd_verify(struct jigctl *ctl, int argc, char **argv)
{
    struct audit_args a;
    int r = parse_args(argc, argv, 0, "verify", "", &a);
    if (r)
        return r;
    struct station_db *db = open_db(&a);
    if (!db)
        return JIGCTL_EXIT_FAILED;
    struct sdb_audit_check check;
    if (sdb_audit_verify(db, &check) != SDB_OK)
        return db_failed(db);
    cJSON *row = check.ok || !check.first_bad_id ? NULL : broken_row(db, check.first_bad_id);
    sdb_close(db);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", check.ok);
    cJSON_AddNumberToObject(o, "rows", (double)check.rows);
    cJSON_AddNumberToObject(o, "first_bad_id", (double)check.first_bad_id);
    cJSON_AddStringToObject(o, "reason", check.reason);
    cJSON_AddStringToObject(o, "head_hash", check.head_hash);
    if (row)
        cJSON_AddItemToObject(o, "broken_row", row);
    if (a.format == FORMAT_JSON) {
        char *text = cJSON_Print(o);
        printf("%s\n", text ? text : "null");
        free(text);
    } else if (a.format == FORMAT_CSV) {
        cJSON *rows = cJSON_CreateArray();
        cJSON *flat = cJSON_Duplicate(o, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(flat, "broken_row");
        cJSON_AddItemToArray(rows, flat);
        sdb_export_csv(rows, stdout);
        cJSON_Delete(rows);
    } else if (check.ok) {
        printf("audit log intact: %lld rows checked; head hash %s\n"
               "(record the head hash outside the station to anchor the log up to here)\n",
               (long long)check.rows, check.head_hash);
    } else {
        printf("AUDIT LOG BROKEN at row %lld: %s\n", (long long)check.first_bad_id, check.reason);
        if (row) {
            char cell[CELL_MAX + 1];
            static const char *const keys[] = {"at", "actor", "action", "details", "prev_hash",
                                               "hash"};
            printf("the row as stored now:\n");
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                cell_text(cJSON_GetObjectItemCaseSensitive(row, keys[k]), cell, sizeof cell);
                printf("  %-9s %s\n", keys[k], cell);
            }
        }
        printf("last intact hash: %s\n", check.head_hash[0] ? check.head_hash : "(none)");
    }
    fflush(stdout);
    cJSON_Delete(o);
    return check.ok ? JIGCTL_EXIT_OK : JIGCTL_EXIT_FAILED;
}

const struct jigctl_command jigctl_audit_commands[] = {
    {"audit unit", "<serial|MAC>", "a unit's full history (attempts, certificate, events)",
     cmd_unit},
    {"audit attempts", "[filters]",
     "attempts by --from/--to T, --slot N, --result R, --work-order W", cmd_attempts},
    {"audit rate", "[--from T] [--to T]", "units completed per hour", cmd_rate},
    {"audit yield", "[--from T] [--to T]", "first-pass yield, per day and in total", cmd_yield},
    {"audit pareto", "[--by-phase]", "failures by phase and cause (--from/--to T)",
     cmd_pareto},
    {"audit duplicates", "", "MACs that look like more than one board", cmd_duplicates},
    {"audit verify", "", "check the audit log's hash chain (exit 1 if broken)", cmd_verify},
    {NULL, NULL, NULL, NULL},
};
