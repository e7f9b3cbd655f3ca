/* The label of a passing unit over the API (docs/api.md, docs/label.md):
 * a slot's last label as SVG for the dashboard's preview, and a unit's
 * label sent to the printer again. */
#include "api_routes.h"

#include <stdlib.h>
#include <string.h>

#define NO_LABELS_HINT "add a [label] section to jigd.conf (docs/label.md) and restart jigd"

void api_get_slot_label(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    int slot = http_request_slot(req);
    if (!be->label_svg) {
        http_reply_error(req, 404, NO_LABELS_HINT, "this station prints no labels");
        return;
    }
    char *svg = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->label_svg(be->ctx, slot, &svg, &err);
    if (st != API_OK || !svg) {
        free(svg);
        api_reply_refusal(req, st == API_OK ? API_FAILED : st, &err, "no label preview");
        return;
    }
    /* The page's CSP and nosniff come with it: the SVG holds no script,
     * and this one response could not run one if it did. */
    http_reply_bytes(req, 200, "image/svg+xml", svg, strlen(svg));
    free(svg);
}

void api_post_unit_label(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *serial = api_route_param(http_request_params(req), "serial");
    if (!be->label_reprint) {
        http_reply_error(req, 404, NO_LABELS_HINT, "this station prints no labels");
        return;
    }
    struct api_error err = {{0}, {0}};
    enum api_status st = be->label_reprint(be->ctx, serial ? serial : "",
                                           http_request_actor(req), &err);
    if (st != API_OK && st != API_ACCEPTED) {
        api_reply_refusal(req, st, &err, "the label was not sent again");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "serial", serial ? serial : "");
    cJSON_AddStringToObject(o, "result", "accepted");
    cJSON_AddStringToObject(o, "by", http_request_actor(req));
    http_reply_json(req, 202, o);
}
