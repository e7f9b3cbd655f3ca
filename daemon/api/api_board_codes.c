/* A scanned PCB label (docs/api.md, POST /api/v1/board_codes): the
 * dashboard sends what the line's barcode scanner typed, for one slot or
 * for whichever slot waits for a label. The station keeps it for that
 * slot's next board and binds it to the unit once the board has said who
 * it is. */
#include "api_routes.h"

#define SCAN_EXAMPLE "{\"code\": \"PCB-000123\", \"slot\": 3}"

/* "slot": absent or null = the station picks; else a slot number. */
static bool slot_of(const cJSON *body, int *slot)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "slot");
    *slot = 0;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 999
        || v->valuedouble != (double)(int)v->valuedouble)
        return false;
    *slot = (int)v->valuedouble;
    return true;
}

void api_post_board_code(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *body = http_request_json_object(req, SCAN_EXAMPLE);
    if (!body)
        return;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(body, "code");
    int slot;
    if (!cJSON_IsString(code) || !slot_of(body, &slot)) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. " SCAN_EXAMPLE " (slot may be left out: the "
                         "station picks the slot waiting for a label)",
                         "'code' must be the scanned text and 'slot' a slot number");
        return;
    }
    struct api_error err = {{0}, {0}};
    cJSON *out = NULL;
    enum api_status st = be->board_code_scan(be->ctx, code->valuestring, slot,
                                             http_request_actor(req), &out, &err);
    cJSON_Delete(body);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the board code was not taken");
        return;
    }
    http_reply_json(req, 200, out);
}
