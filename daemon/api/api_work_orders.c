/* Work orders over the API: the MES creates them, reads how far each is,
 * and closes one that takes no more boards (docs/api.md, "Work orders"). Which one the station flashes against
 * is jigd.conf's `work_order`; creating one does not switch to it. */
#include "api_routes.h"

static void reply(struct http_request *req, enum api_status st, cJSON *out,
                  const struct api_error *err, const char *what)
{
    if (st != API_OK) {
        api_reply_refusal(req, st, err, what);
        return;
    }
    http_reply_json(req, 200, out);
}

void api_get_work_orders(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *out = NULL;
    struct api_error err = {{0}, {0}};
    reply(req, be->work_orders(be->ctx, &out, &err), out, &err, "the work orders could not be read");
}

void api_get_work_order(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *id = api_route_param(http_request_params(req), "id");
    cJSON *out = NULL;
    struct api_error err = {{0}, {0}};
    reply(req, be->work_order(be->ctx, id ? id : "", &out, &err), out, &err,
          "the work order could not be read");
}

#define WO_EXAMPLE "{\"id\": \"WO-2026-0412\", \"quantity\": 500}"

void api_post_work_order(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *body = http_request_json_object(req, WO_EXAMPLE);
    if (!body)
        return;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
    const cJSON *qty = cJSON_GetObjectItemCaseSensitive(body, "quantity");
    if (!cJSON_IsString(id) || !cJSON_IsNumber(qty) || qty->valuedouble < 1
        || qty->valuedouble > 1e9 || qty->valuedouble != (double)(int64_t)qty->valuedouble) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. " WO_EXAMPLE, "a work order needs an 'id' "
                         "(text) and a 'quantity' (a whole number from 1 to 1000000000)");
        return;
    }
    struct api_error err = {{0}, {0}};
    enum api_status st = be->work_order_create(be->ctx, id->valuestring,
                                               (int64_t)qty->valuedouble,
                                               http_request_actor(req), &err);
    cJSON *out = NULL;
    if (st == API_OK)
        st = be->work_order(be->ctx, id->valuestring, &out, &err);
    cJSON_Delete(body);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the work order was not created");
        return;
    }
    http_reply_json(req, 201, out);
}

#define CLOSE_EXAMPLE "{\"reason\": \"order cancelled by the customer\"}"

void api_post_work_order_close(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *id = api_route_param(http_request_params(req), "id");
    cJSON *body = http_request_json_object(req, CLOSE_EXAMPLE);
    if (!body)
        return;
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
    if (!cJSON_IsString(reason) || !reason->valuestring[0]) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. " CLOSE_EXAMPLE, "say why the work order is "
                         "closed: the audit log keeps the reason");
        return;
    }
    struct api_error err = {{0}, {0}};
    enum api_status st = be->work_order_close(be->ctx, id ? id : "", reason->valuestring,
                                              http_request_actor(req), &err);
    cJSON *out = NULL;
    if (st == API_OK)
        st = be->work_order(be->ctx, id ? id : "", &out, &err);
    cJSON_Delete(body);
    reply(req, st, out, &err, "the work order was not closed");
}
