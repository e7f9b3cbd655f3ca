/* Work orders over the API: the MES creates them, reads how far each is,
 * activates the one the next boards count against, and closes one that
 * takes no more boards (docs/api.md, "Work orders"). Creating one does not
 * switch to it: activating does. */
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
    struct api_page p;
    bool csv;
    if (api_read_page(req, &p, &csv) < 0)
        return;
    cJSON *rows = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->work_orders(be->ctx, &p, &rows, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the work orders could not be read");
        return;
    }
    api_reply_page(req, be, rows, csv, p.limit, "work_orders", "seq");
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
#define WO_FIELDS "a work order needs an 'id' (text) and a 'quantity' (a whole number from 1 " \
                  "to 1000000000); 'bundle' (a stored bundle's id) and 'serial_format' are text"

/* The optional text fields: absent or null is none; anything else but
 * text is a mistake to say, not to ignore. */
static bool optional_text(const cJSON *body, const char *key, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    *out = cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
    return !v || cJSON_IsNull(v) || cJSON_IsString(v);
}

void api_post_work_order(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *body = http_request_json_object(req, WO_EXAMPLE);
    if (!body)
        return;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
    const cJSON *qty = cJSON_GetObjectItemCaseSensitive(body, "quantity");
    struct api_work_order_new w = {0};
    if (!cJSON_IsString(id) || !cJSON_IsNumber(qty) || qty->valuedouble < 1
        || qty->valuedouble > 1e9 || qty->valuedouble != (double)(int64_t)qty->valuedouble
        || !optional_text(body, "bundle", &w.bundle)
        || !optional_text(body, "serial_format", &w.serial_format)) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. " WO_EXAMPLE, WO_FIELDS);
        return;
    }
    w.id = id->valuestring;
    w.quantity = (int64_t)qty->valuedouble;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->work_order_create(be->ctx, &w, http_request_actor(req), &err);
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

void api_post_work_order_activate(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *id = api_route_param(http_request_params(req), "id");
    struct api_error err = {{0}, {0}};
    enum api_status st = be->work_order_activate(be->ctx, id ? id : "",
                                                 http_request_actor(req), &err);
    cJSON *out = NULL;
    if (st == API_OK)
        st = be->work_order(be->ctx, id ? id : "", &out, &err);
    reply(req, st, out, &err, "the work order was not activated");
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
