/* The bundle store over the API (docs/api.md, "Bundles"): what the station
 * holds, an archive uploaded into it, one activated. The upload is
 * unpacked and proven off the loop, so its answer comes later: the request
 * is deferred (http_server.h) until the station has a verdict. */
#include "api_routes.h"


void api_get_bundles(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *o = be->bundles_json ? be->bundles_json(be->ctx) : NULL;
    if (!o) {
        http_reply_error(req, 500, "see the jigd log (journalctl -u jigd)",
                         "the bundle store could not be read");
        return;
    }
    http_reply_json(req, 200, o);
}

static void on_upload_answer(void *arg, enum api_status st, cJSON *out,
                             const struct api_error *err)
{
    struct http_deferred *d = arg;
    if (st == API_OK)
        http_deferred_reply_json(d, 200, out);
    else
        http_deferred_reply_error(d, api_status_http(st), err->hint, "%s", err->error);
}

void api_post_bundles(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    size_t len;
    http_request_body(req, &len);
    if (!len) {
        http_reply_error(req, 400, "send the archive as the body: curl --data-binary "
                         "@acme-1.4.tar -H 'Content-Type: application/x-tar' ...",
                         "the request has no body");
        return;
    }
    struct http_deferred *d = http_request_defer(req);
    if (!d)
        return;
    const uint8_t *data = (const uint8_t *)http_deferred_body(d, &len);
    struct api_error err = {{0}, {0}};
    enum api_status st = be->bundle_upload(be->ctx, data, len, http_request_actor(req),
                                           on_upload_answer, d, &err);
    if (st != API_ACCEPTED)
        http_deferred_reply_error(d, api_status_http(st), err.hint, "%s", err.error);
}

void api_post_bundle_activate(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *id = api_route_param(http_request_params(req), "id");
    struct api_error err = {{0}, {0}};
    enum api_status st = be->bundle_activate(be->ctx, id ? id : "", http_request_actor(req),
                                             &err);
    if (st != API_ACCEPTED && st != API_OK) {
        api_reply_refusal(req, st, &err, "the bundle was not activated");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id ? id : "");
    cJSON_AddStringToObject(o, "result", "accepted");
    http_reply_json(req, 202, o);
}
