/* The station as the API's backend (station_api.h). */
#include "station_api.h"

#include <stdio.h>
#include <string.h>

#include "slot.h"
#include "station.h"
#include "station_db.h"
#include "unit_services.h"
#include "log_line.h"

/* Who asked: the API has one bearer token and no user names, so "api". */
#define API_ACTOR "api"

static enum api_status status_of(enum station_answer a)
{
    switch (a) {
    case STATION_ACCEPTED: return API_ACCEPTED;
    case STATION_NO_SUCH_SLOT: return API_NOT_FOUND;
    case STATION_NOT_NOW: return API_CONFLICT;
    case STATION_NO_SUCH_BUNDLE: return API_NOT_FOUND;
    case STATION_STOPPING: return API_UNAVAILABLE;
    }
    return API_FAILED;
}

static void copy_refusal(struct api_error *err, const struct slot_refusal *why)
{
    snprintf(err->error, sizeof err->error, "%s", why->error);
    snprintf(err->hint, sizeof err->hint, "%s", why->hint);
}

static void audit(struct station_api *a, const char *action, int slot, const char *detail)
{
    if (a->units)
        unit_services_audit(a->units, API_ACTOR, action, slot, detail);
}

/* A refused request: the database logs the first of a kind and counts its
 * repeats (sdb_audit_refusal), so a client retrying in a loop cannot flood
 * the log and the disk with one fsynced row per request. */
static void audit_refused(struct station_api *a, const char *action, int slot,
                          const char *reason)
{
    if (!a->units)
        return;
    cJSON *d = cJSON_CreateObject();
    if (slot > 0)
        cJSON_AddNumberToObject(d, "slot", slot);
    if (sdb_audit_refusal(a->units->db, API_ACTOR, action, reason, d) != SDB_OK)
        log_line("jigd: audit log: refused %s could not be recorded: %s", action,
                 sdb_errmsg(a->units->db));
    cJSON_Delete(d);
}

/* Every slot action goes to the audit log, refused ones with why. */
static enum api_status ask_slot(void *ctx, int index, enum station_request req,
                                const char *action, struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_ask_slot(a->st, index, req, &why);
    if (ans == STATION_ACCEPTED) {
        audit(a, action, index, NULL);
    } else {
        copy_refusal(err, &why);
        audit_refused(a, action, index, why.error);
    }
    return status_of(ans);
}

static enum api_status slot_start(void *ctx, int slot, struct api_error *err)
{
    return ask_slot(ctx, slot, STATION_START, "slot.start", err);
}

static enum api_status slot_abort(void *ctx, int slot, struct api_error *err)
{
    return ask_slot(ctx, slot, STATION_ABORT, "slot.abort", err);
}

static enum api_status slot_identify(void *ctx, int slot, struct api_error *err)
{
    return ask_slot(ctx, slot, STATION_IDENTIFY, "slot.identify", err);
}

static enum api_status bundle_load(void *ctx, const char *path, struct api_error *err)
{
    struct station_api *a = ctx;
    struct slot_refusal why = {0};
    enum station_answer ans = station_ask_bundle(a->st, path, &why);
    if (ans == STATION_ACCEPTED) {
        audit(a, "bundle.load", 0, path);
    } else {
        copy_refusal(err, &why);
        audit_refused(a, "bundle.load", 0, why.error);
    }
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
        .bundle_json = bundle_view,
    };
}
