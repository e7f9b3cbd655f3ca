/* The shift's and the work order's figures (station_production.h). */
#include "station_production.h"

#include "config.h"
#include "station_db.h"
#include "unit_services.h"

time_t shift_started_at(time_t now, const unsigned *starts, size_t n)
{
    struct tm tm;
    localtime_r(&now, &tm);
    unsigned minute = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
    size_t i = n;
    while (i > 0 && starts[i - 1] > minute)
        i--;
    if (i == 0) {               /* before today's first: yesterday's last */
        tm.tm_mday -= 1;
        i = n;
    }
    tm.tm_hour = (int)(starts[i - 1] / 60);
    tm.tm_min = (int)(starts[i - 1] % 60);
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

static void format_time(time_t t, char out[SDB_TIME_LEN + 1])
{
    sdb_format_time((int64_t)t * 1000, out);
}

/* Units decided since `from`, counted by their first attempt (a rework is
 * not a new unit; an interrupted attempt is the station's, not counted). */
static int first_attempts_since(struct station_db *db, time_t from, struct sdb_yield *y)
{
    char since[SDB_TIME_LEN + 1];
    format_time(from, since);
    return sdb_report_first_pass_yield(db, since, NULL, y, NULL);
}

static cJSON *shift_json(struct station_db *db, time_t since)
{
    struct sdb_yield y;
    if (first_attempts_since(db, since, &y) != SDB_OK)
        return NULL;
    char text[SDB_TIME_LEN + 1];
    format_time(since, text);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "since", text);
    cJSON_AddNumberToObject(o, "units", (double)y.units);
    cJSON_AddNumberToObject(o, "first_pass", (double)y.first_pass);
    if (y.units)
        cJSON_AddNumberToObject(o, "first_pass_yield", y.percent);
    else
        cJSON_AddNullToObject(o, "first_pass_yield");
    return o;
}

static cJSON *work_order_json(struct station_db *db, const char *id)
{
    struct sdb_work_order w;
    if (!id[0])
        return cJSON_CreateNull();
    if (sdb_work_order_get(db, id, &w) != SDB_OK)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", w.id);
    cJSON_AddNumberToObject(o, "quantity", (double)w.quantity);
    cJSON_AddNumberToObject(o, "done", (double)w.done);
    cJSON_AddNumberToObject(o, "failed", (double)w.failed);
    cJSON_AddBoolToObject(o, "complete", w.done >= w.quantity);
    return o;
}

cJSON *station_production_json(const struct unit_services *u, time_t now)
{
    struct station_db *db = u->db;
    const struct station_config *s = &u->cfg->station;
    struct sdb_yield hour;
    cJSON *shift = shift_json(db, shift_started_at(now, s->shift_starts, s->n_shift_starts));
    cJSON *wo = work_order_json(db, u->work_order);
    if (!shift || !wo || first_attempts_since(db, now - 3600, &hour) != SDB_OK) {
        cJSON_Delete(shift);
        cJSON_Delete(wo);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "shift", shift);
    cJSON_AddNumberToObject(o, "units_per_hour", (double)hour.units);
    cJSON_AddItemToObject(o, "work_order", wo);
    return o;
}
