/* The API's life cycle: start the parts in order, stop them in reverse. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>

#include "api_routes.h"
#include "http_static.h"

struct api {
    struct http_server *srv;
    struct api_routes *routes;
    struct api_sse *sse;
    struct http_static *web_ui;
    bool web_ui_found;
    void (*done)(void *ctx);
    void *done_ctx;
};

struct api *api_start(uv_loop_t *loop, const struct api_options *opt,
                      const struct api_backend *backend, struct event_bus *bus,
                      char *err, size_t errlen)
{
    struct api *api = calloc(1, sizeof *api);
    if (!api) {
        snprintf(err, errlen, "out of memory starting the API");
        return NULL;
    }
    /* The server keeps the room for streams; the stream module's own cap
     * is the same number, so the gate's answer is the one clients see. */
    struct http_server_options http = opt->http;
    if (!http.max_streams)
        http.max_streams = (unsigned)(opt->sse.max_clients ? opt->sse.max_clients
                                                           : API_SSE_DEFAULT_MAX_CLIENTS);
    api->srv = http_server_start(loop, &http, err, errlen);
    if (!api->srv) {
        free(api);
        return NULL;
    }
    api->routes = api_routes_register(api->srv, backend);
    api->sse = api->routes ? api_sse_start(api->srv, bus, &opt->sse) : NULL;
    if (api->sse)
        api_routes_set_event_stream(api->routes, api->sse);
    api->web_ui = api->sse ? http_static_register(api->srv, opt->web_ui_dir,
                                                  &api->web_ui_found) : NULL;
    if (!api->web_ui) {
        snprintf(err, errlen, "out of memory starting the API");
        api_stop(api, NULL, NULL);
        return NULL;
    }
    return api;
}

struct http_server *api_http_server(struct api *api)
{
    return api->srv;
}

bool api_web_ui_found(const struct api *api)
{
    return api->web_ui_found;
}

struct api_sse *api_event_stream(struct api *api)
{
    return api->sse;
}

static void on_sse_freed(void *ctx)
{
    struct api *api = ctx;
    void (*done)(void *) = api->done;
    void *done_ctx = api->done_ctx;
    free(api);
    if (done)
        done(done_ctx);
}

static void on_server_stopped(void *ctx)
{
    struct api *api = ctx;
    api_routes_free(api->routes);
    http_static_free(api->web_ui);
    if (api->sse)
        api_sse_free(api->sse, on_sse_freed, api);
    else
        on_sse_freed(api);
}

void api_stop(struct api *api, void (*done)(void *ctx), void *ctx)
{
    api->done = done;
    api->done_ctx = ctx;
    http_server_stop(api->srv, on_server_stopped, api);
}
