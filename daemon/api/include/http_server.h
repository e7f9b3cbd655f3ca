/* jigd's HTTP server: libmicrohttpd driven from the libuv loop.
 *
 * MHD runs in its "external epoll" mode: no thread of its own. Its epoll fd
 * is watched by a uv_poll_t, and MHD_run is called when that fd is readable
 * and when a uv_timer set from MHD_get_timeout fires. Handlers therefore run
 * on the loop thread, like everything else in jigd, and must not block.
 *
 * MHD never accepts a connection itself. jigd's front door (http_gate.c)
 * accepts it, holds it until its request head is complete, reads that head
 * with its own strict parser and applies the request rules of http_check.h
 * (Host, Origin, token, content type, length, route); only a request that
 * passes, and for which there is room, is handed to MHD, which reads the
 * body and carries the handler's answer. One request per connection: every
 * answer says Connection: close, so every request meets the door.
 *
 * Room is kept apart for plain requests and for event streams, and per
 * client address, so slow clients or a crowd of subscribers cannot lock
 * anyone else out (docs/api.md, "Limits").
 *
 * Requests are dispatched through route tables (method + pattern, see
 * api_route.h). Every error a client sees is JSON:
 *     {"error": "what went wrong", "hint": "what to do about it"}
 * with a fitting status (docs/api.md lists them). */
#ifndef JIGD_HTTP_SERVER_H
#define JIGD_HTTP_SERVER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "api_route.h"
#include "http_check.h"

#define HTTP_DEFAULT_HOST "127.0.0.1"
#define HTTP_DEFAULT_PORT 8080
#define HTTP_DEFAULT_MAX_BODY (64u * 1024u)
/* An upload route's body (an archive; http_check.h). */
#define HTTP_DEFAULT_MAX_UPLOAD (64u * 1024u * 1024u)
/* Idle time allowed while a body arrives or an answer is sent. */
#define HTTP_DEFAULT_TIMEOUT_S 10u
#define HTTP_TOKEN_MAX 256
/* The limits (docs/api.md, "Limits"). A connection's whole request head
 * must arrive within HEAD_TIMEOUT of connecting, its body within
 * BODY_TIMEOUT of the head. */
#define HTTP_DEFAULT_MAX_REQUESTS 64u       /* requests being answered */
#define HTTP_DEFAULT_MAX_STREAMS 32u        /* event streams open */
#define HTTP_DEFAULT_MAX_WAITING 128u       /* connections whose head is not in */
#define HTTP_DEFAULT_PER_IP 16u             /* per client address, of each */
#define HTTP_DEFAULT_HEAD_TIMEOUT_MS 5000u
#define HTTP_DEFAULT_BODY_TIMEOUT_MS 10000u
/* An upload route's body instead: 64 MiB takes some 6 s on a clean
 * 100 Mbit/s link and a minute at 10 Mbit/s (a busy line network, Wi-Fi),
 * so BODY_TIMEOUT would refuse an upload that is merely large. */
#define HTTP_DEFAULT_UPLOAD_TIMEOUT_MS 120000u

struct http_server;
struct http_request;
struct MHD_Connection;
struct MHD_Response;

typedef void (*http_log_fn)(void *ctx, const char *line);

struct http_server_options {
    const char *host;           /* NULL = 127.0.0.1; "::" or "0.0.0.0" = all
                                   (needs a token) */
    uint16_t port;              /* 0 = any free port (tests read it back) */
    const char *token;          /* NULL or "" = none: the API then answers
                                   programs on this machine only, and is
                                   read-only unless trust_local; copied,
                                   never logged */
    bool trust_local;           /* no token, yet state changes are done */
    bool named_tokens;          /* named tokens come by http_server_set_tokens:
                                   listen on `host` even without `token`
                                   (rule 2 answers only this machine until
                                   a token exists) */
    size_t max_body;            /* 0 = HTTP_DEFAULT_MAX_BODY */
    size_t max_upload;          /* 0 = HTTP_DEFAULT_MAX_UPLOAD */
    unsigned timeout_s;         /* idle connection timeout, 0 = default */
    /* The limits; 0 = the default of each. upload_timeout_ms stands for
     * body_timeout_ms on an upload route. */
    unsigned max_requests, max_streams, max_waiting, per_ip;
    unsigned head_timeout_ms, body_timeout_ms, upload_timeout_ms;
    http_log_fn log;            /* NULL = stderr */
    void *log_ctx;
};

/* Binds, listens and starts serving on `loop`. On failure returns NULL with
 * a sentence in err ("cannot listen on 127.0.0.1:8080: address already in
 * use; is another jigd running?"). Without a token only a loopback address
 * is bound. */
struct http_server *http_server_start(uv_loop_t *loop,
                                      const struct http_server_options *opt,
                                      char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
uint16_t http_server_port(const struct http_server *s);
uv_loop_t *http_server_loop(const struct http_server *s);

/* Adds `n` routes that share `ctx`. Routes are tried in the order added.
 * Returns 0, or -1 if memory ran out. */
int http_server_add_routes(struct http_server *s, const struct http_route *routes,
                           size_t n, void *ctx);

/* Called just before the server stops, while connections still exist (the
 * SSE module ends its streams here). */
int http_server_on_stop(struct http_server *s, void (*fn)(void *ctx), void *ctx);

/* Stops serving: closes every connection and releases everything. `done`
 * (may be NULL) runs once the loop has closed the server's handles. */
void http_server_stop(struct http_server *s, void (*done)(void *ctx), void *ctx);

/* Asks for MHD_run soon, from the loop (after resuming a connection). */
void http_server_kick(struct http_server *s);

void http_server_log(struct http_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- inside a handler -------------------------------------------------- */

const char *http_request_method(const struct http_request *req);
const char *http_request_path(const struct http_request *req);
const struct api_route_params *http_request_params(const struct http_request *req);
int http_request_slot(const struct http_request *req);      /* {slot}, 0 none */
/* The named tokens from now on (copied; http_check.h): from the next
 * request a token of the old set that is not in the new one is refused.
 * -1 when memory ran out (the old set stays). */
int http_server_set_tokens(struct http_server *s, const struct http_token *tokens, size_t n);
size_t http_server_token_count(const struct http_server *s);
/* Is a named token of that name active? */
bool http_server_token_active(const struct http_server *s, const char *name);
/* Any token at all: the api_token_file's or a named one (rule 4)? */
bool http_server_has_tokens(const struct http_server *s);

/* Who asked and in which role (http_check.h, rule 4). */
const char *http_request_actor(const struct http_request *req);
enum http_role http_request_role(const struct http_request *req);
const char *http_request_header(const struct http_request *req, const char *name);
const char *http_request_query(const struct http_request *req, const char *name);
/* The body as received: `*len` bytes, then a '\0' that is not part of it
 * (an upload's bytes may hold '\0' too). "" when there was none. Valid
 * while the handler runs; work that outlives it (a deferred request's)
 * reads it through the handle instead (http_deferred_body). */
const char *http_request_body(const struct http_request *req, size_t *len);
/* The media type the request rules accepted for the body, in lower case
 * without parameters: "application/json", or on an upload route one of
 * HTTP_UPLOAD_TYPES (http_check.h). NULL for a GET or HEAD. */
const char *http_request_content_type(const struct http_request *req);
struct MHD_Connection *http_request_connection(const struct http_request *req);
struct http_server *http_request_server(const struct http_request *req);

/* The body parsed as a JSON object. On failure replies 400 itself (naming
 * `example` in the hint) and returns NULL: the handler just returns. */
cJSON *http_request_json_object(struct http_request *req, const char *example);

/* Each handler replies exactly once. `body` is consumed (may be NULL for an
 * empty object). */
void http_reply_json(struct http_request *req, unsigned status, cJSON *body);
void http_reply_error(struct http_request *req, unsigned status,
                      const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A file's bytes (copied) with its Content-Type: the dashboard's pages.
 * Says nosniff, and a Content-Security-Policy that lets the page load
 * from this station only and be framed by no other site. */
void http_reply_bytes(struct http_request *req, unsigned status, const char *type,
                      const void *bytes, size_t len);
/* Queues a response built by the caller (the SSE stream); the caller keeps
 * its own reference and destroys it. */
void http_reply_response(struct http_request *req, unsigned status,
                         struct MHD_Response *response);

/* ---- answering later ---------------------------------------------------- */

/* A request whose answer comes after its handler has returned: the
 * handler starts slow work off the loop (unpacking an archive on libuv's
 * thread pool) and the work's completion, back on the loop, answers.
 *
 * Meanwhile the connection is suspended (MHD_suspend_connection): MHD
 * neither reads it nor times it out, and the request still holds one of
 * max_requests (it is being answered) until its answer has gone. MHD does
 * not notice a client that hangs up while suspended: the work then
 * finishes and its answer goes nowhere, which costs nothing but the work.
 * When the server stops, every request still waiting is answered 503
 * ("jigd is stopping") and its handle detached: the reply that comes
 * later only frees it. So the request may be gone while the work runs:
 * the work reads the body through the handle (http_deferred_body), which
 * holds it until the reply whatever becomes of the request, and copies
 * anything else it needs (actor, parameters) before the handler returns. */
struct http_deferred;

/* Keeps the request open without an answer: the connection is suspended
 * until http_deferred_reply_json (or _error) is called, on the loop
 * thread. The handler returns without replying. If the request cannot be
 * kept (memory ran out, the server is stopping), answers 503 itself and
 * returns NULL: the handler just returns, without starting the work. */
struct http_deferred *http_request_defer(struct http_request *req);
/* The request's body (as http_request_body), held by the handle until its
 * reply: the work may read it on another thread. */
const char *http_deferred_body(const struct http_deferred *d, size_t *len);
/* Sends the answer and frees the handle. If the request is gone (the
 * server stopped meanwhile), only frees the handle. Takes `body` (cJSON,
 * deleted here; NULL for an empty object). Call it exactly once per
 * handle, on the loop thread. */
void http_deferred_reply_json(struct http_deferred *d, unsigned status, cJSON *body);
void http_deferred_reply_error(struct http_deferred *d, unsigned status, const char *hint,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Compares a presented token with the expected one in time that does not
 * depend on where they differ. */
bool http_token_equal(const char *expected, const char *given);

/* ---- what the server has answered (GET /metrics) ------------------------ */

/* The route of a request no route takes (a 404, or a head too bad to say). */
#define HTTP_ROUTE_UNMATCHED "unmatched"
/* One count: the route's method (or "other"), its pattern (or
 * HTTP_ROUTE_UNMATCHED), the status, and how many answers since the server
 * started. A refusal at the door counts under the route it asked for. */
typedef void (*http_count_fn)(void *ctx, const char *method, const char *route,
                              unsigned status, uint64_t n);
void http_server_each_count(const struct http_server *s, http_count_fn fn, void *ctx);

#endif
