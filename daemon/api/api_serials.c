/* A serial voided over the API (docs/api.md): the MES scraps a board or a
 * misprinted label; the unit keeps its history, the serial is never used
 * again, and the board gets a new one when it is next flashed. */
#include "api_routes.h"

#define VOID_EXAMPLE "{\"reason\": \"label misprinted\"}"

void api_post_serial_void(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *serial = api_route_param(http_request_params(req), "serial");
    cJSON *body = http_request_json_object(req, VOID_EXAMPLE);
    if (!body)
        return;
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
    if (!cJSON_IsString(reason) || !reason->valuestring[0]) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. " VOID_EXAMPLE, "say why the serial is voided "
                         "(scrapped, mislabelled, ...): the audit log keeps the reason");
        return;
    }
    struct api_error err = {{0}, {0}};
    enum api_status st = be->serial_void(be->ctx, serial ? serial : "", reason->valuestring,
                                         http_request_actor(req), &err);
    if (st != API_OK) {
        cJSON_Delete(body);
        api_reply_refusal(req, st, &err, "the serial was not voided");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "serial", serial);
    cJSON_AddStringToObject(o, "result", "voided");
    cJSON_AddStringToObject(o, "reason", reason->valuestring);
    cJSON_AddStringToObject(o, "by", http_request_actor(req));
    cJSON_Delete(body);
    http_reply_json(req, 200, o);
}
