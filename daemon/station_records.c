/* The station database's records for the API's backend (station_api.h):
 * the same report functions jigctl audit prints, so the dashboard's
 * history and a quality engineer's report give the same rows; and the
 * work orders the MES creates and follows. */
#include "station_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_store.h"
#include "station.h"
#include "station_db.h"
#include "unit_services.h"

enum api_status station_no_database(struct api_error *err)
{
    snprintf(err->error, sizeof err->error, "this station keeps no records (no database)");
    snprintf(err->hint, sizeof err->hint, "jigd runs without unit services; see its log");
    return API_UNAVAILABLE;
}

enum api_status station_db_answer(struct station_db *db, int rc, const char *hint,
                                  struct api_error *err)
{
    if (rc == SDB_OK)
        return API_OK;
    bool theirs = rc == SDB_REFUSED || rc == SDB_CONFLICT || rc == SDB_NOT_FOUND;
    snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(db));
    snprintf(err->hint, sizeof err->hint, "%s",
             theirs ? hint : "see the jigd log (journalctl -u jigd)");
    switch (rc) {
    case SDB_REFUSED: return API_BAD_REQUEST;
    case SDB_CONFLICT: return API_CONFLICT;
    case SDB_NOT_FOUND: return API_NOT_FOUND;
    default: return API_FAILED;
    }
}

/* A refusal of the database's: a filter it cannot take is the client's
 * (400), anything else the station's (500). */
static enum api_status refused(struct station_db *db, int rc, struct api_error *err)
{
    snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(db));
    if (rc == SDB_REFUSED) {
        snprintf(err->hint, sizeof err->hint, "times are UTC, e.g. 2026-12-07 or "
                 "2026-12-07T08:00:00Z; result is ok, failed, interrupted or running");
        return API_BAD_REQUEST;
    }
    if (rc == SDB_NOT_FOUND) {
        snprintf(err->hint, sizeof err->hint, "search by a unit's serial, its MAC "
                 "(aa:bb:cc:dd:ee:ff) or its board code");
        return API_NOT_FOUND;
    }
    snprintf(err->hint, sizeof err->hint, "see the jigd log (journalctl -u jigd)");
    return API_FAILED;
}

enum api_status station_records_attempts(void *ctx, const struct api_attempt_query *q,
                                         cJSON **rows, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    struct sdb_attempt_filter f = {
        .from = q->from, .to = q->to, .slot = q->slot, .result = q->result,
        .work_order = q->work_order, .unit = q->unit, .phase = q->phase, .limit = q->limit,
        .cursor = q->cursor, .newest_first = q->newest_first,
    };
    int rc = sdb_report_attempts(a->units->db, &f, rows);
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

enum api_status station_records_units(void *ctx, const struct api_unit_query *q, cJSON **rows,
                                      struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    struct sdb_unit_filter f = {.from = q->from, .to = q->to, .work_order = q->work_order,
                                .state = q->state, .limit = q->limit, .cursor = q->cursor,
                                .newest_first = q->newest_first};
    int rc = sdb_report_units(a->units->db, &f, rows);
    if (rc == SDB_REFUSED) {
        snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(a->units->db));
        snprintf(err->hint, sizeof err->hint, "times are UTC, e.g. 2026-12-07 or "
                 "2026-12-07T08:00:00Z; state is allocated, completed or voided");
        return API_BAD_REQUEST;
    }
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

enum api_status station_records_unit(void *ctx, const char *serial_or_mac, cJSON **out,
                                     struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    cJSON *units = NULL;
    int rc = sdb_report_unit(a->units->db, serial_or_mac, &units);
    if (rc != SDB_OK)
        return refused(a->units->db, rc, err);
    *out = cJSON_CreateObject();
    cJSON_AddItemToObject(*out, "units", units);
    return API_OK;
}

enum api_status station_records_report(void *ctx, const char *name, const char *from,
                                       const char *to, bool by_phase, cJSON **out,
                                       struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    int rc = sdb_report_named(a->units->db, name, from, to, by_phase, out);
    if (rc == SDB_NOT_FOUND) {
        snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(a->units->db));
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/reports/yield, for one");
        return API_NOT_FOUND;
    }
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

char *station_records_csv(void *ctx, const cJSON *rows)
{
    (void)ctx;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int rc = cJSON_GetArraySize(rows) ? sdb_export_csv(rows, f) : SDB_OK;
    if (fclose(f) != 0 || rc != SDB_OK) {
        free(text);
        return NULL;
    }
    return text;
}

enum api_status station_records_audit_verify(void *ctx, cJSON **out, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    int rc = sdb_audit_verify_json(a->units->db, out);
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

enum api_status station_records_serial_void(void *ctx, const char *serial, const char *reason,
                                            const char *actor, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    int rc = sdb_serial_void(a->units->db, serial, actor, reason);
    if (rc == SDB_REFUSED) {                /* the reason is there: voided already */
        snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(a->units->db));
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/units/%.64s shows when and why",
                 serial);
        return API_CONFLICT;
    }
    if (rc == SDB_NOT_FOUND) {
        snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(a->units->db));
        snprintf(err->hint, sizeof err->hint, "a serial this station allocated, e.g. from "
                 "GET /api/v1/attempts");
        return API_NOT_FOUND;
    }
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

/* ---- work orders ---------------------------------------------------------- */

/* A refusal about work order `id`: an unknown one points at the list. */
static enum api_status work_order_refused(struct station_db *db, int rc, const char *id,
                                          struct api_error *err)
{
    if (rc != SDB_NOT_FOUND)
        return refused(db, rc, err);
    snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(db));
    snprintf(err->hint, sizeof err->hint, "GET /api/v1/work-orders lists them; '%.64s' is not "
             "one", id);
    return API_NOT_FOUND;
}

enum api_status station_records_work_orders(void *ctx, const struct api_page *page,
                                            cJSON **rows, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    struct sdb_page p = {.limit = page->limit, .cursor = page->cursor,
                         .newest_first = page->newest_first};
    int rc = sdb_work_order_list(a->units->db, &p, rows);
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

enum api_status station_records_work_order(void *ctx, const char *id, cJSON **out,
                                           struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    struct sdb_work_order w;
    int rc = sdb_work_order_get(a->units->db, id, &w);
    if (rc != SDB_OK)
        return work_order_refused(a->units->db, rc, id, err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", w.id);
    cJSON_AddNumberToObject(o, "quantity", (double)w.quantity);
    cJSON_AddNumberToObject(o, "allocated", (double)w.allocated);
    cJSON_AddNumberToObject(o, "done", (double)w.done);
    cJSON_AddNumberToObject(o, "failed", (double)w.failed);
    cJSON_AddNumberToObject(o, "remaining", (double)(w.quantity - w.done));
    cJSON_AddBoolToObject(o, "full", w.full);
    cJSON_AddStringToObject(o, "created_at", w.created_at);
    cJSON_AddBoolToObject(o, "active", !strcmp(a->units->work_order, w.id));
    if (w.bundle_sha256[0])
        cJSON_AddStringToObject(o, "bundle", w.bundle_sha256);
    else
        cJSON_AddNullToObject(o, "bundle");
    cJSON_AddStringToObject(o, "serial_format", w.serial_format[0] ? w.serial_format
                                                                   : a->units->cfg->unit.serial_format);
    cJSON_AddBoolToObject(o, "closed", w.closed_at[0] != '\0');
    if (w.closed_at[0]) {
        cJSON_AddStringToObject(o, "closed_at", w.closed_at);
        cJSON_AddStringToObject(o, "closed_by", w.closed_by);
        cJSON_AddStringToObject(o, "close_reason", w.close_reason);
    }
    *out = o;
    return API_OK;
}

/* The work order's bundle, which must be in the store (so that the
 * work order can be activated), registered to give its row. */
static enum api_status work_order_bundle(struct station_api *a, const char *id,
                                         int64_t *bundle_id, struct api_error *err)
{
    struct bundle_store_entry b;
    if (station_find_stored_bundle(a->st, id, &b, err->error, sizeof err->error) < 0) {
        snprintf(err->hint, sizeof err->hint, "upload the bundle first (POST /api/v1/bundles); "
                 "GET /api/v1/bundles lists those held");
        return API_INVALID;
    }
    int rc = sdb_bundle_register(a->units->db, b.name, b.version, b.id, bundle_id);
    return rc == SDB_OK ? API_OK : refused(a->units->db, rc, err);
}

enum api_status station_records_work_order_create(void *ctx, const struct api_work_order_new *w,
                                                  const char *actor, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    int64_t bundle_id = 0;
    if (w->bundle) {
        enum api_status st = work_order_bundle(a, w->bundle, &bundle_id, err);
        if (st != API_OK)
            return st;
    }
    int rc = sdb_work_order_create(a->units->db, &(struct sdb_work_order_new){
        .id = w->id, .quantity = w->quantity, .bundle_id = bundle_id,
        .serial_format = w->serial_format, .actor = actor});
    char shown[120];
    snprintf(shown, sizeof shown, "GET /api/v1/work-orders/%.64s shows it", w->id);
    if (rc == SDB_CONFLICT || rc == SDB_REFUSED)
        return station_db_answer(a->units->db, rc, rc == SDB_CONFLICT ? shown
                                 : "send e.g. {\"id\": \"WO-2026-0412\", \"quantity\": 500}", err);
    return rc == SDB_OK ? API_OK : work_order_refused(a->units->db, rc, w->id, err);
}

enum api_status station_records_work_order_close(void *ctx, const char *id, const char *reason,
                                                 const char *actor, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    int rc = sdb_work_order_close(a->units->db, id, actor, reason);
    if (rc == SDB_CONFLICT) {
        char shown[120];
        snprintf(shown, sizeof shown, "GET /api/v1/work-orders/%.64s shows it", id);
        return station_db_answer(a->units->db, rc, shown, err);
    }
    return rc == SDB_OK ? API_OK : work_order_refused(a->units->db, rc, id, err);
}
