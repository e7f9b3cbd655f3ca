/* The REST endpoints under /api/v1 (everything but the event stream),
 * answered from an api_backend. docs/api.md documents each one. */
#ifndef JIGD_API_ROUTES_H
#define JIGD_API_ROUTES_H

#include "api_backend.h"
#include "http_server.h"

struct api_sse;

struct api_routes;

/* `backend` is copied. Returns NULL if memory ran out. Free the result
 * with api_routes_free once the server has stopped. */
struct api_routes *api_routes_register(struct http_server *srv,
                                       const struct api_backend *backend);
void api_routes_free(struct api_routes *routes);


/* The event stream, once it has started (api.c): GET /metrics counts its
 * clients. NULL until then. */
void api_routes_set_event_stream(struct api_routes *r, struct api_sse *sse);
struct api_sse *api_routes_event_stream(const struct api_routes *r);

/* HTTP status for a backend answer. */
unsigned api_status_http(enum api_status st);

/* What the handlers share: the backend, and a refusal in its own words. */
const struct api_backend *api_routes_backend(const struct api_routes *r);
void api_reply_refusal(struct http_request *req, enum api_status st,
                       const struct api_error *err, const char *what);

/* api_records.c, for every list: its order, format, limit and cursor from
 * the query (-1: refused, and answered), and a page of rows answered: CSV,
 * or {"<name>": rows, "next_cursor"} by the rows' `id_key`. */
int api_read_page(struct http_request *req, struct api_page *p, bool *csv);
void api_reply_page(struct http_request *req, const struct api_backend *be, cJSON *rows,
                    bool csv, int64_t limit, const char *name, const char *id_key);

/* api_records.c: the station database's records (GET /api/v1/attempts,
 * GET /api/v1/units/{key}); ctx is the struct api_routes. */
void api_get_attempts(struct http_request *req, void *ctx);
void api_get_unit(struct http_request *req, void *ctx);
void api_get_units(struct http_request *req, void *ctx);    /* GET /api/v1/units */
void api_get_report(struct http_request *req, void *ctx);   /* GET /api/v1/reports/{name} */
void api_get_audit_verify(struct http_request *req, void *ctx); /* GET /api/v1/audit/verify */

/* api_serials.c: POST /api/v1/serials/{serial}/void. */
void api_post_serial_void(struct http_request *req, void *ctx);

/* api_board_codes.c: POST /api/v1/board_codes (a scanned PCB label). */
void api_post_board_code(struct http_request *req, void *ctx);

/* api_tokens.c: GET /api/v1/tokens, POST /api/v1/tokens,
 * POST /api/v1/tokens/{name}/revoke (admin). */
void api_get_tokens(struct http_request *req, void *ctx);
void api_post_token(struct http_request *req, void *ctx);
void api_post_token_revoke(struct http_request *req, void *ctx);

/* api_labels.c: GET /api/v1/slots/{slot}/label, POST /api/v1/units/{serial}/label. */
void api_get_slot_label(struct http_request *req, void *ctx);
void api_post_unit_label(struct http_request *req, void *ctx);

/* openapi.json, compiled in (embed_json.cmake): GET /api/v1/openapi.json. */
extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_len;

/* api_metrics.c: GET /metrics, the Prometheus text format. */
void api_get_metrics(struct http_request *req, void *ctx);

/* api_work_orders.c: GET /api/v1/work-orders, GET .../{id}, POST. */
void api_get_work_orders(struct http_request *req, void *ctx);
void api_get_work_order(struct http_request *req, void *ctx);
void api_post_work_order(struct http_request *req, void *ctx);
void api_post_work_order_close(struct http_request *req, void *ctx);   /* .../{id}/close */
void api_post_work_order_activate(struct http_request *req, void *ctx); /* .../{id}/activate */

/* api_bundles.c: GET and POST /api/v1/bundles, POST .../{id}/activate. */
void api_get_bundles(struct http_request *req, void *ctx);
void api_post_bundles(struct http_request *req, void *ctx);
void api_post_bundle_activate(struct http_request *req, void *ctx);

#endif
