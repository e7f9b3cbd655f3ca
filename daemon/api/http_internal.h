/* Private to the HTTP server's files: the server and a request as they
 * are inside. Handlers see only the accessors of http_server.h. */
#ifndef JIGD_HTTP_INTERNAL_H
#define JIGD_HTTP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <uv.h>

#include "http_server.h"

#define MAX_STOP_HOOKS 8

struct http_gate;
struct http_conn;
struct http_count;

enum http_defer {
    HTTP_DEFER_NONE,            /* answered by its handler, or not yet */
    HTTP_DEFER_WAITING,         /* suspended until the handle replies */
    HTTP_DEFER_READY,           /* answer stored, connection resumed */
};

struct stop_hook {
    void (*fn)(void *ctx);
    void *ctx;
};

/* The limits in force, defaults filled in. */
struct http_limits {
    unsigned max_requests, max_streams, max_waiting, per_ip;
    unsigned head_timeout_ms, body_timeout_ms, upload_timeout_ms;
};

struct http_server {
    uv_loop_t *loop;
    struct MHD_Daemon *mhd;
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;           /* poll, timer and the gate */
    struct http_gate *gate;
    uint16_t port;
    char host[256];
    char token[HTTP_TOKEN_MAX];
    struct http_policy policy;  /* points at host, token and tokens */
    struct http_token *tokens;  /* the named ones (http_server_set_tokens) */
    struct http_limits limits;
    http_log_fn log;
    void *log_ctx;
    /* The route table, and each route's handler context beside it. */
    struct http_route *routes;
    void **route_ctx;
    size_t n_routes;
    struct http_count *counts;  /* the answers given (http_counts.c) */
    size_t n_counts, cap_counts;
    struct http_request *deferred;  /* answered later, until they end */
    struct stop_hook hooks[MAX_STOP_HOOKS];
    size_t n_hooks;
    bool stopping;
    bool in_run;                /* inside MHD_run */
    bool kicked;                /* http_server_kick was called in it */
    void (*done)(void *ctx);
    void *done_ctx;
};

struct http_request {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method;         /* as the gate read them */
    const char *path;
    size_t route;
    struct api_route_params params;
    enum http_role role;
    char actor[HTTP_TOKEN_NAME_MAX + 1];
    const char *content_type;   /* as the gate accepted it (http_verdict) */
    uint64_t started_ms;        /* when MHD took the request (loop time) */
    char *body;                 /* the handle's once deferred (body_lent) */
    size_t body_len, body_cap;
    bool body_too_big;
    bool body_lent;
    bool replied;
    unsigned status;
    /* Answered later (http_deferred.c): on the server's list from
     * http_request_defer until the connection ends. */
    enum http_defer defer;
    struct http_deferred *handle;   /* while WAITING */
    struct http_request *defer_prev, *defer_next;
    unsigned answer_status;     /* READY: the answer to queue */
    char *answer;               /* its JSON text; NULL: memory ran out */
};

/* http_request.c: the text of a JSON answer (takes `body`; NULL = {}),
 * or of {"error", "hint"} from a format; NULL if memory ran out. free()
 * it. And the one way every answer leaves: a JSON text with its status
 * (NULL text: a 500 for memory). */
char *http_json_text(cJSON *body);
char *http_error_vtext(const char *hint, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void http_reply_text(struct http_request *req, unsigned status, const char *text);

/* http_deferred.c: MHD calls a deferred request again once resumed:
 * queue its answer. Returns false when it is not one (dispatch it). */
bool http_deferred_resumed(struct http_request *req);
/* The connection ended: a handle still waiting is detached. */
void http_deferred_ended(struct http_request *req);
/* The server stops: every request still waiting is answered 503, and MHD
 * is run a few rounds so those answers leave before it is stopped (it must
 * not be stopped with a connection suspended). */
void http_deferred_stop(struct http_server *s);

/* Replies with an error, listing the allowed methods (405). */
void http_reply_error_allow(struct http_request *req, unsigned status,
                            const char *allow, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* {"error": ..., "hint": ...} as text, for answers built without MHD (the
 * gate's). NULL if memory ran out; free() it. */
char *http_error_json(const char *error, const char *hint);

/* http_counts.c: one answer given, for GET /metrics. `route`: the index
 * of the route that answered, or anything past the table when the door
 * answered (the route is then found from method and path, if any). */
void http_count_answer(struct http_server *s, size_t route, const char *method,
                       const char *path, unsigned status);

#endif
