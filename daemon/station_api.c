/* The station as the API's backend (station_api.h). */
#include "station_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_store.h"
#include "slot.h"
#include "station.h"
#include "station_db.h"
#include "station_metrics.h"
#include "unit_services.h"
#include "log_line.h"

/* The timer fires this long after a count of refusals is due, so that its
 * minute is over by the database's clock too (libuv's clock is cached at
 * each turn of the loop and may run a little behind). */
#define REFUSAL_FLUSH_SLACK_MS 50
/* A count the database could not write (disk full, read-only) is tried
 * again after this long; it stays in memory meanwhile. */
#define REFUSAL_FLUSH_RETRY_MS 10000

static enum api_status status_of(enum station_answer a)
{
    switch (a) {
    case STATION_ACCEPTED: return API_ACCEPTED;
    case STATION_BAD_INPUT: return API_BAD_REQUEST;
    case STATION_NO_SUCH_SLOT: return API_NOT_FOUND;
    case STATION_NOT_NOW: return API_CONFLICT;
    case STATION_NO_SUCH_BUNDLE: return API_NOT_FOUND;
    case STATION_NO_SUCH_ALARM: return API_NOT_FOUND;
    case STATION_NO_LABEL: return API_NOT_FOUND;
    case STATION_STOPPING: return API_UNAVAILABLE;
    case STATION_NO_SUCH_WORK_ORDER: return API_NOT_FOUND;
    }
    return API_FAILED;
}

static void copy_refusal(struct api_error *err, const struct slot_refusal *why)
{
    snprintf(err->error, sizeof err->error, "%s", why->error);
    snprintf(err->hint, sizeof err->hint, "%s", why->hint);
}

/* `actor`: the token's name (or "local", "api-token-file"; http_check.h). */
static void audit(struct station_api *a, const char *actor, const char *action, int slot,
                  const char *detail)
{
    if (a->units)
        unit_services_audit(a->units, actor, action, slot, detail);
}

/* ---- counted refusals, put on record when their minute is over ------------ */

static void on_refusals_due(uv_timer_t *t);

/* Appends the counts that are due and sets the timer for the next one (or
 * stops it: nothing is counted). */
static void flush_due_refusals(struct station_api *a)
{
    int64_t wait;
    if (sdb_audit_flush_due(a->units->db, &wait) != SDB_OK) {
        if (!a->flush_failing)
            log_line("jigd: audit log: the count of repeated refusals could not be "
                     "recorded (tried again every %d s): %s", REFUSAL_FLUSH_RETRY_MS / 1000,
                     sdb_errmsg(a->units->db));
        a->flush_failing = true;
        wait = REFUSAL_FLUSH_RETRY_MS;
    } else {
        a->flush_failing = false;
        if (wait >= 0)
            wait += REFUSAL_FLUSH_SLACK_MS;
    }
    if (wait < 0)
        uv_timer_stop(&a->refusals);
    else
        uv_timer_start(&a->refusals, on_refusals_due, (uint64_t)wait, 0);
}

static void on_refusals_due(uv_timer_t *t)
{
    flush_due_refusals(t->data);
}

/* A refused request: the database logs the first of a kind and counts its
 * repeats (sdb_audit_refusal), so a client retrying in a loop cannot flood
 * the log and the disk with one fsynced row per request; the timer puts
 * the count on record when its minute is over. */
static void audit_refused(struct station_api *a, const char *actor, const char *action,
                          int slot, const char *reason)
{
    if (!a->units)
        return;
    cJSON *d = cJSON_CreateObject();
    if (slot > 0)
        cJSON_AddNumberToObject(d, "slot", slot);
    if (sdb_audit_refusal(a->units->db, actor, action, reason, d) != SDB_OK)
        log_line("jigd: audit log: refused %s could not be recorded: %s", action,
                 sdb_errmsg(a->units->db));
    cJSON_Delete(d);
    if (a->timer_open && !uv_is_active((uv_handle_t *)&a->refusals))
        flush_due_refusals(a);
}

/* An action's answer on record: done (with `detail`), or refused with why
 * (which the client is told too). */
static enum api_status answered(struct station_api *a, enum station_answer ans,
                                const char *actor, const char *action, int slot,
                                const char *detail, const struct slot_refusal *why,
                                struct api_error *err)
{
    if (ans == STATION_ACCEPTED) {
        audit(a, actor, action, slot, detail);
    } else {
        copy_refusal(err, why);
        audit_refused(a, actor, action, slot, why->error);
    }
    return status_of(ans);
}

/* Every slot action goes to the audit log, refused ones with why. */
static enum api_status ask_slot(void *ctx, int index, enum station_request req,
                                const char *action, const char *actor, struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_ask_slot(a->st, index, req, &why);
    return answered(a, ans, actor, action, index, NULL, &why, err);
}

static enum api_status slot_start(void *ctx, int slot, const char *actor, struct api_error *err)
{
    return ask_slot(ctx, slot, STATION_START, "slot.start", actor, err);
}

static enum api_status slot_abort(void *ctx, int slot, const char *actor, struct api_error *err)
{
    return ask_slot(ctx, slot, STATION_ABORT, "slot.abort", actor, err);
}

static enum api_status slot_identify(void *ctx, int slot, const char *actor,
                                     struct api_error *err)
{
    return ask_slot(ctx, slot, STATION_IDENTIFY, "slot.identify", actor, err);
}

static enum api_status bundle_load(void *ctx, const char *path, const char *actor,
                                   struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_ask_bundle(a->st, path, &why);
    return answered(a, ans, actor, "bundle.load", 0, path, &why, err);
}

static enum api_status alarm_ack(void *ctx, uint64_t id, const char *actor,
                                 struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_ack_alarm(a->st, id, actor, &why);
    char detail[32];
    snprintf(detail, sizeof detail, "alarm %llu", (unsigned long long)id);
    if (ans == STATION_ACCEPTED) {
        audit(a, actor, "alarm.ack", 0, detail);
        return API_OK;
    }
    copy_refusal(err, &why);
    audit_refused(a, actor, "alarm.ack", 0, why.error);
    return status_of(ans);
}

static enum api_status board_code_scan(void *ctx, const char *code, int slot,
                                       const char *actor, cJSON **out, struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    struct station_scan scan;
    enum station_answer ans = station_scan_board_code(a->st, code, slot, actor, &scan, &why);
    if (ans != STATION_ACCEPTED) {
        copy_refusal(err, &why);
        audit_refused(a, actor, "board_code.scan", slot, why.error);
        return status_of(ans);
    }
    audit(a, actor, "board_code.scan", scan.slot, code);
    *out = cJSON_CreateObject();
    cJSON_AddStringToObject(*out, "code", code);
    cJSON_AddNumberToObject(*out, "slot", scan.slot);
    cJSON_AddStringToObject(*out, "result", "waiting for the board");
    if (scan.replaced[0] && strcmp(scan.replaced, code))
        cJSON_AddStringToObject(*out, "replaced", scan.replaced);
    if (scan.owner[0])
        cJSON_AddStringToObject(*out, "unit", scan.owner);
    else
        cJSON_AddNullToObject(*out, "unit");
    cJSON_AddStringToObject(*out, "by", actor);
    return API_OK;
}

static enum api_status label_svg(void *ctx, int slot, char **svg, struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_label_preview(a->st, slot, svg, &why);
    if (ans == STATION_ACCEPTED)
        return API_OK;
    copy_refusal(err, &why);
    return status_of(ans);
}

/* A reprint is audited like a slot action: a second label of one serial
 * on the line is something a quality engineer asks about. */
static enum api_status label_reprint(void *ctx, const char *serial, const char *actor,
                                     struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_label_reprint(a->st, serial, &why);
    if (ans == STATION_ACCEPTED) {
        audit(a, actor, "label.reprint", 0, serial);
        return API_ACCEPTED;
    }
    copy_refusal(err, &why);
    audit_refused(a, actor, "label.reprint", 0, why.error);
    return status_of(ans);
}

static cJSON *station_view(void *ctx)
{
    return station_json(((struct station_api *)ctx)->st);
}

static cJSON *slots_view(void *ctx)
{
    return station_slots_json(((struct station_api *)ctx)->st);
}

static cJSON *slot_view(void *ctx, int index)
{
    struct slot *s = station_slot(((struct station_api *)ctx)->st, index);
    return s ? slot_to_json(s) : NULL;
}

static cJSON *bundle_view(void *ctx)
{
    return station_bundle_json(((struct station_api *)ctx)->st);
}

static cJSON *bundles_view(void *ctx)
{
    return station_bundles_json(((struct station_api *)ctx)->st);
}

/* ---- uploads and activations -------------------------------------------- */

struct upload_wait {
    struct station_api *a;
    api_upload_done done;
    void *arg;
    char actor[80];
};

static cJSON *stored_json(const struct bundle_store_added *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", b->result == BUNDLE_STORE_ADDED ? "stored" : "held");
    cJSON *d = cJSON_AddObjectToObject(o, "bundle");
    cJSON_AddStringToObject(d, "id", b->id);
    cJSON_AddStringToObject(d, "name", b->name);
    cJSON_AddStringToObject(d, "version", b->version);
    cJSON_AddStringToObject(d, "chip", b->chip);
    cJSON_AddStringToObject(d, "path", b->dir);
    return o;
}

static void on_uploaded(void *arg, const struct bundle_store_added *b)
{
    struct upload_wait *w = arg;
    struct api_error err = {{0}, {0}};
    bool stored = b->result == BUNDLE_STORE_ADDED || b->result == BUNDLE_STORE_HELD;
    if (stored) {
        char detail[200];
        snprintf(detail, sizeof detail, "%s %s (%.12s)%s", b->name, b->version, b->id,
                 b->result == BUNDLE_STORE_HELD ? ", held already" : "");
        audit(w->a, w->actor, "bundle.upload", 0, detail);
        w->done(w->arg, API_OK, stored_json(b), NULL);
    } else {
        snprintf(err.error, sizeof err.error, "%.500s", b->err);
        snprintf(err.hint, sizeof err.hint, b->result == BUNDLE_STORE_REFUSED
                 ? "nothing was stored; fix the archive (docs/bundle.md, \"Bundle archives\") "
                   "and upload it again"
                 : "nothing was stored; check the free space and permissions of data_dir");
        audit_refused(w->a, w->actor, "bundle.upload", 0, err.error);
        w->done(w->arg, b->result == BUNDLE_STORE_REFUSED ? API_INVALID : API_FAILED, NULL,
                &err);
    }
    free(w);
}

static enum api_status bundle_upload(void *ctx, const uint8_t *data, size_t len,
                                     const char *actor, api_upload_done done, void *arg,
                                     struct api_error *err)
{
    struct station_api *a = ctx;
    struct upload_wait *w = malloc(sizeof *w);
    struct slot_refusal why = {0};
    if (!w) {
        snprintf(err->error, sizeof err->error, "jigd is out of memory");
        snprintf(err->hint, sizeof err->hint, "upload the bundle again");
        return API_UNAVAILABLE;
    }
    *w = (struct upload_wait){.a = a, .done = done, .arg = arg};
    snprintf(w->actor, sizeof w->actor, "%s", actor);
    if (station_upload_bundle(a->st, data, len, on_uploaded, w, &why) < 0) {
        free(w);
        copy_refusal(err, &why);
        return API_UNAVAILABLE;
    }
    return API_ACCEPTED;
}

static enum api_status bundle_activate(void *ctx, const char *id, const char *actor,
                                       struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_activate_bundle(a->st, id, &why);
    return answered(a, ans, actor, "bundle.activate", 0, id, &why, err);
}

/* The database keeps the work order's own "work_order.activate" event. */
static enum api_status work_order_activate(void *ctx, const char *id, const char *actor,
                                           struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_activate_work_order(a->st, id, actor, &why);
    if (ans == STATION_ACCEPTED)
        return API_OK;
    copy_refusal(err, &why);
    audit_refused(a, actor, "work_order.activate", 0, why.error);
    return status_of(ans);
}

static cJSON *alarms_view(void *ctx)
{
    return station_alarms_list_json(((struct station_api *)ctx)->st);
}

static void metrics_view(void *ctx, struct metrics_text *out)
{
    struct station_api *a = ctx;
    if (a->metrics)
        station_metrics_write(a->metrics, out);
}

void station_api_init(struct station_api *a, uv_loop_t *loop, struct station *st,
                      struct unit_services *units)
{
    *a = (struct station_api){.st = st, .units = units};
    uv_timer_init(loop, &a->refusals);
    a->refusals.data = a;
    a->timer_open = true;
}

void station_api_close(struct station_api *a)
{
    if (!a->timer_open)
        return;
    a->timer_open = false;
    uv_close((uv_handle_t *)&a->refusals, NULL);
}

struct api_backend station_api_backend(struct station_api *a)
{
    return (struct api_backend){
        .ctx = a,
        .station_json = station_view,
        .slots_json = slots_view,
        .slot_json = slot_view,
        .slot_start = slot_start,
        .slot_abort = slot_abort,
        .slot_identify = slot_identify,
        .bundle_load = bundle_load,
        .alarms_json = alarms_view,
        .attempts = station_records_attempts,
        .unit_story = station_records_unit,
        .units = station_records_units,
        .report = station_records_report,
        .audit_verify = station_records_audit_verify,
        .serial_void = station_records_serial_void,
        .work_orders = station_records_work_orders,
        .work_order = station_records_work_order,
        .work_order_create = station_records_work_order_create,
        .work_order_close = station_records_work_order_close,
        .rows_csv = station_records_csv,
        .alarm_ack = alarm_ack,
        .board_code_scan = board_code_scan,
        .tokens = station_tokens_list,
        .token_add = station_tokens_add,
        .token_revoke = station_tokens_revoke,
        .label_svg = label_svg,
        .label_reprint = label_reprint,
        .bundle_json = bundle_view,
        .bundles_json = bundles_view,
        .bundle_upload = bundle_upload,
        .bundle_activate = bundle_activate,
        .work_order_activate = work_order_activate,
        .metrics = metrics_view,
    };
}
