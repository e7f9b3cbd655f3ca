/* REST handlers: thin glue from a request to one backend call and back. */
#include "api.h"
#include "api_routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_HINT "GET /api/v1/slots lists this station's slots"

struct api_routes {
    struct api_backend be;
    struct api_sse *sse;        /* for GET /metrics; NULL until it starts */
};

unsigned api_status_http(enum api_status st)
{
    switch (st) {
    case API_OK: return 200;
    case API_ACCEPTED: return 202;
    case API_BAD_REQUEST: return 400;
    case API_NOT_FOUND: return 404;
    case API_CONFLICT: return 409;
    case API_INVALID: return 422;
    case API_UNAVAILABLE: return 503;
    case API_FAILED: return 500;
    }
    return 500;
}

static void reply_backend_json(struct http_request *req, cJSON *body)
{
    if (!body) {
        http_reply_error(req, 500, "see the jigd log (journalctl -u jigd)",
                         "the station could not describe itself");
        return;
    }
    http_reply_json(req, 200, body);
}

static void get_station(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    reply_backend_json(req, r->be.station_json(r->be.ctx));
}

/* Who the request's token says it is: the dashboard shows only the buttons
 * its role may press. */
static void get_whoami(struct http_request *req, void *ctx)
{
    (void)ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "actor", http_request_actor(req));
    cJSON_AddStringToObject(o, "role", http_role_name(http_request_role(req)));
    http_reply_json(req, 200, o);
}

/* The API described for programs (OpenAPI 3.1): the document this jigd was
 * built with, byte for byte, so it cannot describe another version. */
static void get_openapi(struct http_request *req, void *ctx)
{
    (void)ctx;
    http_reply_bytes(req, 200, "application/json", api_openapi_json, api_openapi_json_len);
}

static void get_slots(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    cJSON *slots = r->be.slots_json(r->be.ctx);
    if (!slots) {
        reply_backend_json(req, NULL);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "slots", slots);
    http_reply_json(req, 200, o);
}

static void no_such_slot(struct http_request *req, int slot)
{
    http_reply_error(req, 404, SLOTS_HINT, "this station has no slot %d", slot);
}

static void get_slot(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    int slot = http_request_slot(req);
    cJSON *o = r->be.slot_json(r->be.ctx, slot);
    if (!o) {
        no_such_slot(req, slot);
        return;
    }
    http_reply_json(req, 200, o);
}

typedef enum api_status (*slot_action_fn)(void *ctx, int slot, const char *actor,
                                          struct api_error *err);

const struct api_backend *api_routes_backend(const struct api_routes *r)
{
    return &r->be;
}

void api_routes_set_event_stream(struct api_routes *r, struct api_sse *sse)
{
    r->sse = sse;
}

struct api_sse *api_routes_event_stream(const struct api_routes *r)
{
    return r->sse;
}

void api_reply_refusal(struct http_request *req, enum api_status st,
                       const struct api_error *err, const char *what)
{
    http_reply_error(req, api_status_http(st),
                     err->hint[0] ? err->hint : "see the jigd log (journalctl -u jigd)",
                     "%s", err->error[0] ? err->error : what);
}

static void slot_action(struct http_request *req, struct api_routes *r,
                        slot_action_fn fn, const char *action)
{
    int slot = http_request_slot(req);
    cJSON *state = r->be.slot_json(r->be.ctx, slot);
    if (!state) {
        no_such_slot(req, slot);
        return;
    }
    cJSON_Delete(state);
    struct api_error err = {{0}, {0}};
    enum api_status st = fn(r->be.ctx, slot, http_request_actor(req), &err);
    if (st != API_OK && st != API_ACCEPTED) {
        char what[64];
        snprintf(what, sizeof what, "slot %d refused %s", slot, action);
        api_reply_refusal(req, st, &err, what);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "slot", slot);
    cJSON_AddStringToObject(o, "action", action);
    cJSON_AddStringToObject(o, "result", st == API_OK ? "done" : "accepted");
    state = r->be.slot_json(r->be.ctx, slot);
    if (state)
        cJSON_AddItemToObject(o, "state", state);
    http_reply_json(req, api_status_http(st), o);
}

static void post_start(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    slot_action(req, r, r->be.slot_start, "start");
}

static void post_abort(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    slot_action(req, r, r->be.slot_abort, "abort");
}

static void post_identify(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    slot_action(req, r, r->be.slot_identify, "identify");
}

static void get_bundle(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    cJSON *b = r->be.bundle_json(r->be.ctx);
    if (!b) {
        http_reply_error(req, 404, "load one with POST /api/v1/bundle/load "
                         "(jigctl bundle load <path>)", "no bundle is loaded");
        return;
    }
    http_reply_json(req, 200, b);
}

static void post_bundle_load(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    static const char example[] = "{\"path\": \"/var/lib/jigd/bundles/acme-1.4\"}";
    cJSON *body = http_request_json_object(req, example);
    if (!body)
        return;
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(body, "path");
    if (!cJSON_IsString(path) || !path->valuestring[0]) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. {\"path\": \"/var/lib/jigd/bundles/acme-1.4\"}",
                         "'path' is missing or not a non-empty string");
        return;
    }
    struct api_error err = {{0}, {0}};
    enum api_status st = r->be.bundle_load(r->be.ctx, path->valuestring,
                                           http_request_actor(req), &err);
    if (st != API_OK && st != API_ACCEPTED) {
        api_reply_refusal(req, st, &err, "the bundle was not loaded");
        cJSON_Delete(body);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path->valuestring);
    cJSON_AddStringToObject(o, "result", st == API_OK ? "loaded" : "accepted");
    cJSON_Delete(body);
    cJSON *b = st == API_OK ? r->be.bundle_json(r->be.ctx) : NULL;
    if (b)
        cJSON_AddItemToObject(o, "bundle", b);
    http_reply_json(req, api_status_http(st), o);
}

static void get_alarms(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    reply_backend_json(req, r->be.alarms_json(r->be.ctx));
}

/* {id}: decimal from 1, as the alarms list gives it. */
static bool alarm_id(const char *text, uint64_t *id)
{
    char *end;
    if (!text || text[0] < '1' || text[0] > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    *id = v;
    return !*end && errno == 0;
}

static void post_alarm_ack(struct http_request *req, void *ctx)
{
    struct api_routes *r = ctx;
    const char *text = api_route_param(http_request_params(req), "id");
    uint64_t id;
    if (!alarm_id(text, &id)) {
        http_reply_error(req, 404, "GET /api/v1/alarms lists the alarms and their ids",
                         "'%s' is not an alarm id", text ? text : "");
        return;
    }
    struct api_error err = {{0}, {0}};
    enum api_status st = r->be.alarm_ack(r->be.ctx, id, http_request_actor(req), &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the alarm was not acknowledged");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "result", "acknowledged");
    cJSON_AddStringToObject(o, "by", http_request_actor(req));
    http_reply_json(req, 200, o);
}

/* Every route of the API: its method, path, handler and the least role
 * that may call it (docs/api.md; house tests hold the docs to this table).
 * openapi.json beside this file describes each one: a route added here
 * needs its block there, and tests/api/openapi.mjs fails until it has one
 * (and until the test calls it). */
static const struct http_route routes[] = {
    {"GET", "/api/v1/station", get_station, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/whoami", get_whoami, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/openapi.json", get_openapi, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/slots", get_slots, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/slots/{slot}", get_slot, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/slots/{slot}/start", post_start, .role = HTTP_ROLE_OPERATOR},
    {"POST", "/api/v1/slots/{slot}/abort", post_abort, .role = HTTP_ROLE_OPERATOR},
    {"POST", "/api/v1/slots/{slot}/identify", post_identify, .role = HTTP_ROLE_OPERATOR},
    {"GET", "/api/v1/slots/{slot}/label", api_get_slot_label, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/bundle", get_bundle, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/bundle/load", post_bundle_load, .role = HTTP_ROLE_MES},
    {"GET", "/api/v1/bundles", api_get_bundles, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/bundles", api_post_bundles, .upload = true, .role = HTTP_ROLE_MES},
    {"POST", "/api/v1/bundles/{id}/activate", api_post_bundle_activate, .role = HTTP_ROLE_MES},
    {"GET", "/api/v1/alarms", get_alarms, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/alarms/{id}/ack", post_alarm_ack, .role = HTTP_ROLE_OPERATOR},
    {"POST", "/api/v1/board_codes", api_post_board_code, .role = HTTP_ROLE_OPERATOR},
    {"GET", "/api/v1/attempts", api_get_attempts, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/units", api_get_units, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/units/{key}", api_get_unit, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/units/{serial}/label", api_post_unit_label, .role = HTTP_ROLE_OPERATOR},
    {"GET", "/api/v1/reports/{name}", api_get_report, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/audit/verify", api_get_audit_verify, .role = HTTP_ROLE_ADMIN},
    {"GET", "/api/v1/tokens", api_get_tokens, .role = HTTP_ROLE_ADMIN},
    {"POST", "/api/v1/tokens", api_post_token, .role = HTTP_ROLE_ADMIN},
    {"POST", "/api/v1/tokens/{name}/revoke", api_post_token_revoke, .role = HTTP_ROLE_ADMIN},
    {"POST", "/api/v1/serials/{serial}/void", api_post_serial_void, .role = HTTP_ROLE_MES},
    {"GET", "/api/v1/work-orders", api_get_work_orders, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/work-orders/{id}", api_get_work_order, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/work-orders", api_post_work_order, .role = HTTP_ROLE_MES},
    {"POST", "/api/v1/work-orders/{id}/close", api_post_work_order_close, .role = HTTP_ROLE_MES},
    {"POST", "/api/v1/work-orders/{id}/activate", api_post_work_order_activate, .role = HTTP_ROLE_MES},
    /* Prometheus' scrape: a viewer's token (docs/api.md, "Metrics"). */
    {"GET", "/metrics", api_get_metrics, .role = HTTP_ROLE_VIEWER},
};

const struct http_route *api_routes_table(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

struct api_routes *api_routes_register(struct http_server *srv,
                                      const struct api_backend *backend)
{
    struct api_routes *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->be = *backend;
    if (http_server_add_routes(srv, routes, sizeof routes / sizeof routes[0], r)) {
        free(r);
        return NULL;
    }
    return r;
}

void api_routes_free(struct api_routes *r)
{
    free(r);
}
