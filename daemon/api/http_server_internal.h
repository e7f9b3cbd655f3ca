/* What the HTTP server's files share; not for other parts of jigd (see
 * http_server.h).
 *
 *   http_server.c    the server on the loop: listening, MHD pumped by a
 *                    uv_poll and a uv_timer, start and stop, routes, log
 *   http_request.c   one request: headers first, the body, its accessors
 *   http_dispatch.c  who may ask (the token), and which handler answers
 *   http_reply.c     the replies: JSON bodies and JSON errors */
#ifndef JIGD_HTTP_SERVER_INTERNAL_H
#define JIGD_HTTP_SERVER_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

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

/* http_request.c: MHD's access handler and completion callback. */
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                       enum MHD_RequestTerminationCode why);

/* http_dispatch.c */
bool http_authorised(struct http_request *req);
void http_dispatch(struct http_request *req);

/* http_reply.c: a 405 naming the methods the path allows. */
void http_reply_error_with_allow(struct http_request *req, const char *allow, const char *hint,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
