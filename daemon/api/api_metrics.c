/* GET /metrics: the station in Prometheus' text format (docs/api.md,
 * "Metrics"). The station's families come from the backend; the API adds
 * its own: the requests it answered and the event streams open. Written
 * whole or not at all: a mistake in the text is a 500, never half a scrape
 * that a Prometheus server would take for the truth. */
#include "api_routes.h"

#include <stdio.h>

#include "api_sse.h"
#include "metrics_text.h"

static void count_one(void *ctx, const char *method, const char *route, unsigned status,
                      uint64_t n)
{
    char code[8];
    snprintf(code, sizeof code, "%u", status);
    const struct metrics_label labels[] = {{"method", method}, {"route", route},
                                           {"code", code}};
    metrics_count(ctx, labels, 3, n);
}

static void write_api_metrics(struct metrics_text *m, struct http_server *srv,
                              const struct api_sse *sse)
{
    metrics_family(m, METRICS_COUNTER, "jigd_http_requests_total",
                   "HTTP requests answered since jigd started (process counter), by method, "
                   "route pattern and status code; one refused at the door (no token, a "
                   "limit) counts under the route it asked for, one no route takes as "
                   "route=\"" HTTP_ROUTE_UNMATCHED "\".");
    http_server_each_count(srv, count_one, m);
    if (!sse)
        return;
    metrics_family(m, METRICS_GAUGE, "jigd_sse_clients",
                   "Event streams open now (GET /api/v1/events): dashboards, jigctl watch.");
    metrics_count(m, NULL, 0, api_sse_client_count(sse));
}

void api_get_metrics(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    struct metrics_text m;
    metrics_text_init(&m);
    if (be->metrics)
        be->metrics(be->ctx, &m);
    write_api_metrics(&m, http_request_server(req), api_routes_event_stream(ctx));
    size_t len;
    const char *text = metrics_text_result(&m, &len);
    if (text) {
        http_reply_bytes(req, 200, METRICS_CONTENT_TYPE, text, len);
    } else {
        http_server_log(http_request_server(req), "GET /metrics: %s", m.why);
        http_reply_error(req, 500, "this is a bug in jigd; please report it with jigd's log",
                         "the metrics could not be written: %s", m.why);
    }
    metrics_text_free(&m);
}
