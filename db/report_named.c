/* The reports over many units by name, as jigctl audit prints them and the
 * REST API serves them: one function, so the two can never give different
 * numbers for the same station.db. */
#include <string.h>

#include "db_internal.h"

static double two_places(double v)
{
    return (double)(long long)(v * 100 + 0.5) / 100;
}

/* {"units", "first_pass", "percent", "per_day": [...]} */
static int yield_object(struct station_db *db, const char *from, const char *to, cJSON **out)
{
    struct sdb_yield y;
    cJSON *days;
    int rc = sdb_report_first_pass_yield(db, from, to, &y, &days);
    if (rc != SDB_OK)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "units", (double)y.units);
    cJSON_AddNumberToObject(o, "first_pass", (double)y.first_pass);
    cJSON_AddNumberToObject(o, "percent", two_places(y.percent));
    cJSON_AddItemToObject(o, "per_day", days);
    *out = o;
    return SDB_OK;
}

/* By phase only, the rows carry no cause at all (not a null one). */
static int pareto_rows(struct station_db *db, const char *from, const char *to, bool by_phase,
                       cJSON **out)
{
    int rc = sdb_report_failure_pareto(db, from, to, !by_phase, out);
    if (rc == SDB_OK && by_phase) {
        cJSON *row;
        cJSON_ArrayForEach(row, *out)
            cJSON_DeleteItemFromObjectCaseSensitive(row, "cause");
    }
    return rc;
}

int sdb_report_named(struct station_db *db, const char *name, const char *from,
                     const char *to, bool by_phase, cJSON **out)
{
    *out = NULL;
    if (!strcmp(name, "rate"))
        return sdb_report_units_per_hour(db, from, to, out);
    if (!strcmp(name, "yield"))
        return yield_object(db, from, to, out);
    if (!strcmp(name, "pareto"))
        return pareto_rows(db, from, to, by_phase, out);
    if (!strcmp(name, "duplicates"))
        return sdb_report_duplicate_macs(db, out);
    return db_fail(db, SDB_NOT_FOUND, "there is no report '%.32s': the reports are %s", name,
                   SDB_REPORT_NAMES);
}
