/* Private to the HTTP server's files: the server and a request as they
 * are inside. Handlers see only the accessors of http_server.h. */
#ifndef JIGD_HTTP_INTERNAL_H
#define JIGD_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <uv.h>

#include "http_server.h"

#define MAX_STOP_HOOKS 8

struct route_entry {
    struct http_route route;
    void *ctx;
};

struct stop_hook {
    void (*fn)(void *ctx);
    void *ctx;
};

struct http_server {
    uv_loop_t *loop;
    struct MHD_Daemon *mhd;
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;
    uint16_t port;
    char host[256];
    char token[HTTP_TOKEN_MAX];
    size_t max_body;
    http_log_fn log;
    void *log_ctx;
    struct route_entry *routes;
    size_t n_routes;
    struct stop_hook hooks[MAX_STOP_HOOKS];
    size_t n_hooks;
    bool stopping;
    void (*done)(void *ctx);
    void *done_ctx;
};

struct http_request {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    struct api_route_params params;
    char *body;
    size_t body_len, body_cap;
    bool body_too_big;
    bool replied;
    unsigned status;
};

/* Replies with an error, listing the allowed methods (405). */
void http_reply_error_allow(struct http_request *req, unsigned status,
                            const char *allow, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
