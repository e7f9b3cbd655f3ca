/* jigd's REST API as one piece: the HTTP server, the /api/v1 endpoints on a
 * station backend, and the event stream on the station's event bus. This is
 * what jigd's main starts and stops. */
#ifndef JIGD_API_H
#define JIGD_API_H

#include "api_backend.h"
#include "api_sse.h"
#include "event_bus.h"
#include "http_server.h"

#include <stdbool.h>

struct api_options {
    struct http_server_options http;
    struct api_sse_options sse;
    const char *web_ui_dir;     /* the dashboard's files (http_static.h);
                                   NULL: "/" says there is none */
};

struct api;

/* Starts serving on `loop`. `backend` is copied; `bus` must outlive the
 * API. NULL with a sentence in err if it cannot (port taken, ...). */
struct api *api_start(uv_loop_t *loop, const struct api_options *opt,
                      const struct api_backend *backend, struct event_bus *bus,
                      char *err, size_t errlen);

struct http_server *api_http_server(struct api *api);

/* The REST routes (not the event stream, not the dashboard's files): each
 * one's method, path and the least role that may call it. For the tests
 * that hold every route to its role and to docs/api.md. */
const struct http_route *api_routes_table(size_t *n);
/* Could the web_ui_dir folder be opened? */
bool api_web_ui_found(const struct api *api);
struct api_sse *api_event_stream(struct api *api);

/* Closes every connection (event streams end), then frees everything;
 * `done` (may be NULL) runs once the loop has closed the handles. */
void api_stop(struct api *api, void (*done)(void *ctx), void *ctx);

#endif
