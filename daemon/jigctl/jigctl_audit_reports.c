/* The reports over many units: the attempts themselves, units per hour,
 * first-pass yield, the failure Pareto and MACs seen on more than one
 * board. */
#include "jigctl_audit.h"

#include <stdio.h>

#include "jigctl_command.h"

/* ---- attempts ------------------------------------------------------------ */

static const struct audit_column attempts_cols[] = {
    {"attempt_id", "ATTEMPT"}, {"started_at", "STARTED"}, {"slot", "SLOT"},
    {"serial", "SERIAL"}, {"mac", "MAC"}, {"board_code", "BOARD CODE"},
    {"work_order", "WORK ORDER"}, {"result", "RESULT"},
    {"failed_phase", "PHASE"}, {"cause", "CAUSE"},
};

static int query_attempts(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    struct sdb_attempt_filter f = {.from = a->from, .to = a->to, .slot = a->slot,
                                   .result = a->result, .work_order = a->work_order,
                                   .phase = a->phase,
                                   .limit = a->limit};
    return sdb_report_attempts(db, &f, out);
}

static int print_attempts(const struct audit_args *a, cJSON *rows,
                          const struct sdb_audit_head *head)
{
    int r = audit_emit_rows(rows, a->format, AUDIT_COLS(attempts_cols), "no attempts match",
                            head);
    if (r == JIGCTL_EXIT_OK && a->format == AUDIT_FORMAT_TABLE && cJSON_GetArraySize(rows))
        printf("%d attempts\n", cJSON_GetArraySize(rows));
    return r;
}

const struct audit_report audit_attempts_report = {
    .name = "attempts",
    .synopsis = "[--from T] [--to T] [--slot N] [--result R] [--work-order W] [--phase P] "
                "[--limit N] ",
    .options = AUDIT_OPT_RANGE | AUDIT_OPT_FILTER,
    .query = query_attempts, .print = print_attempts,
};

/* ---- rate ---------------------------------------------------------------- */

static const struct audit_column rate_cols[] = {{"hour", "HOUR (UTC)"}, {"units", "UNITS"}};

static int query_rate(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    return sdb_report_named(db, "rate", a->from, a->to, false, out);
}

static int print_rate(const struct audit_args *a, cJSON *rows, const struct sdb_audit_head *head)
{
    int r = audit_emit_rows(rows, a->format, AUDIT_COLS(rate_cols),
                            "no unit completed in that time", head);
    int hours = cJSON_GetArraySize(rows);
    if (r == JIGCTL_EXIT_OK && a->format == AUDIT_FORMAT_TABLE && hours) {
        double units = 0;
        const cJSON *row;
        cJSON_ArrayForEach(row, rows)
            units += cJSON_GetObjectItemCaseSensitive(row, "units")->valuedouble;
        printf("%.0f units in %d working hours: %.1f units per hour\n", units, hours,
               units / hours);
    }
    return r;
}

const struct audit_report audit_rate_report = {
    .name = "rate", .synopsis = "[--from T] [--to T] ", .options = AUDIT_OPT_RANGE,
    .query = query_rate, .print = print_rate,
};

/* ---- yield --------------------------------------------------------------- */

static const struct audit_column yield_cols[] = {
    {"day", "DAY (UTC)"}, {"units", "UNITS"}, {"first_pass", "FIRST PASS"},
    {"percent", "FPY %"},
};

/* {"units", "first_pass", "percent", "per_day": [...]}: the JSON output. */
static int query_yield(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    return sdb_report_named(db, "yield", a->from, a->to, false, out);
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* CSV: the total as the last row, so a spreadsheet gets both. */
static int print_yield_csv(const cJSON *o, const struct sdb_audit_head *head)
{
    cJSON *rows = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(o, "per_day"), 1);
    cJSON *total = cJSON_CreateObject();
    cJSON_AddStringToObject(total, "day", "total");
    cJSON_AddNumberToObject(total, "units", number(o, "units"));
    cJSON_AddNumberToObject(total, "first_pass", number(o, "first_pass"));
    cJSON_AddNumberToObject(total, "percent", number(o, "percent"));
    cJSON_AddItemToArray(rows, total);
    int r = audit_emit_rows(rows, AUDIT_FORMAT_CSV, NULL, 0, "", head);
    cJSON_Delete(rows);
    return r;
}

static int print_yield(const struct audit_args *a, cJSON *o, const struct sdb_audit_head *head)
{
    if (a->format == AUDIT_FORMAT_JSON)     /* the object, with "audit_head" added */
        return audit_emit_rows(o, AUDIT_FORMAT_JSON, NULL, 0, "", head);
    if (a->format == AUDIT_FORMAT_CSV)
        return print_yield_csv(o, head);
    int r = audit_emit_rows(cJSON_GetObjectItemCaseSensitive(o, "per_day"), a->format,
                            AUDIT_COLS(yield_cols), "no unit was decided in that time", head);
    printf("first-pass yield: %.0f of %.0f units passed their first attempt (%.2f %%)\n",
           number(o, "first_pass"), number(o, "units"), number(o, "percent"));
    fflush(stdout);
    return r;
}

const struct audit_report audit_yield_report = {
    .name = "yield", .synopsis = "[--from T] [--to T] ", .options = AUDIT_OPT_RANGE,
    .query = query_yield, .print = print_yield,
};

/* ---- pareto -------------------------------------------------------------- */

static const struct audit_column pareto_cols[] = {
    {"phase", "PHASE"}, {"cause", "CAUSE"}, {"failures", "FAILURES"}, {"percent", "%"},
    {"cumulative_percent", "CUMULATIVE %"},
};

static const struct audit_column pareto_phase_cols[] = {
    {"phase", "PHASE"}, {"failures", "FAILURES"}, {"percent", "%"},
    {"cumulative_percent", "CUMULATIVE %"},
};

static int query_pareto(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    return sdb_report_named(db, "pareto", a->from, a->to, a->by_phase, out);
}

static int print_pareto(const struct audit_args *a, cJSON *rows,
                        const struct sdb_audit_head *head)
{
    if (a->by_phase)
        return audit_emit_rows(rows, a->format, AUDIT_COLS(pareto_phase_cols), "no failures",
                               head);
    return audit_emit_rows(rows, a->format, AUDIT_COLS(pareto_cols), "no failures", head);
}

const struct audit_report audit_pareto_report = {
    .name = "pareto", .synopsis = "[--from T] [--to T] [--by-phase] ",
    .options = AUDIT_OPT_RANGE | AUDIT_OPT_BY_PHASE,
    .query = query_pareto, .print = print_pareto,
};

/* ---- duplicates ---------------------------------------------------------- */

static const struct audit_column dup_cols[] = {
    {"mac", "MAC"}, {"reason", "WHY IT LOOKS LIKE MORE THAN ONE BOARD"}, {"serials", "SERIALS"},
};

static int query_duplicates(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    return sdb_report_named(db, "duplicates", NULL, NULL, false, out);
}

static int print_duplicates(const struct audit_args *a, cJSON *rows,
                            const struct sdb_audit_head *head)
{
    return audit_emit_rows(rows, a->format, AUDIT_COLS(dup_cols), "no duplicate MACs", head);
}

const struct audit_report audit_duplicates_report = {
    .name = "duplicates", .synopsis = "", .options = 0,
    .query = query_duplicates, .print = print_duplicates,
};
