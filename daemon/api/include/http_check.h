/* What a request must be before jigd acts on it: one pure function from a
 * request head (http_head.h) to a verdict, used by the server for every
 * request and by the fuzzer on arbitrary bytes.
 *
 * The rules, in the order they are applied (the first that fails answers):
 *   1. framing: one Host; at most one of each of Content-Length,
 *      Transfer-Encoding, Authorization, Origin, Content-Type; a
 *      Content-Length of digits only, never beside Transfer-Encoding; only
 *      chunked transfer coding; a path (origin-form) as target.
 *   2. who may ask: with no token configured, only programs on this
 *      machine (a loopback peer), naming this machine in Host (localhost,
 *      127.x.y.z, [::1] or the configured listen host): a web page whose
 *      name was re-pointed at 127.0.0.1 (DNS rebinding) is refused.
 *   3. Origin, when a browser sends one, must be the origin the request
 *      is addressed to (its host:port equal to Host): another site's page
 *      is refused whatever it asks (CSRF).
 *   4. the token: with any configured (the api_token_file's, or named
 *      tokens with roles), every request carries one (Authorization:
 *      Bearer, or ?access_token= on GET for EventSource), and it says who
 *      asks (the actor of what follows) and in which role; without any,
 *      nothing that changes state is done unless the operator chose
 *      trusted-local mode. A public_file route (the dashboard's own files)
 *      needs no token: a browser cannot send one with a page or its
 *      scripts, and they hold no station data.
 *   5. the route: 404 / 405 (with Allow) / OPTIONS (204 with Allow, and no
 *      CORS grant) / the route and its parameters, and the route's role
 *      (403 for a token below it). The path is matched as sent, never
 *      percent-decoded: "/slots/%31" is not "/slots/1".
 *   6. a state change carries Content-Type: application/json (a web page
 *      cannot send that cross-origin without a preflight, which 3 refuses);
 *      on an upload route, one of HTTP_UPLOAD_TYPES instead (none of them
 *      is one a page may send without a preflight either), and only those.
 *   7. a declared body no larger than the route's limit (max_body, or
 *      max_upload on an upload route).
 *
 * No I/O and no allocation. */
#ifndef JIGD_HTTP_CHECK_H
#define JIGD_HTTP_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_route.h"
#include "http_head.h"

struct http_request;

typedef void (*http_handler_fn)(struct http_request *req, void *ctx);

/* What a token may do, each role everything the one before may:
 * viewer reads; operator also starts, aborts and identifies; mes also
 * loads bundles (and manages work orders); admin also manages tokens. */
enum http_role {
    HTTP_ROLE_NONE = 0,         /* a route: a public file; a verdict: refused */
    HTTP_ROLE_VIEWER,
    HTTP_ROLE_OPERATOR,
    HTTP_ROLE_MES,
    HTTP_ROLE_ADMIN,
};

/* "viewer", ...; NULL for NONE. */
const char *http_role_name(enum http_role r);
/* The role of that name, or HTTP_ROLE_NONE. */
enum http_role http_role_parse(const char *name);

#define HTTP_TOKEN_NAME_MAX 64

/* A named token as the station keeps it: never the token, only its hash. */
struct http_token {
    char name[HTTP_TOKEN_NAME_MAX + 1];
    enum http_role role;
    uint8_t sha256[32];
};

struct http_route {
    const char *method;         /* "GET", "POST", ... */
    const char *pattern;        /* "/api/v1/slots/{slot}"; must outlive
                                   the server (a string literal) */
    http_handler_fn handler;
    bool stream;                /* a long-lived answer (the event stream):
                                   counted against the stream limits */
    bool public_file;           /* GET/HEAD of a file of the installed tree
                                   (the dashboard's pages): no station data,
                                   no state change, so no token is asked
                                   for; Host and Origin rules still hold */
    bool upload;                /* takes a file as its body (an archive):
                                   one of HTTP_UPLOAD_TYPES, up to
                                   max_upload, instead of JSON up to
                                   max_body */
    enum http_role role;        /* the least role that may ask; NONE on a
                                   route that is not a public file is
                                   taken as ADMIN (a forgotten role locks,
                                   never opens) */
};

/* What the operator configured, as the rules need it. */
struct http_policy {
    const char *token;          /* NULL or "": none; else an admin token
                                   (the api_token_file's) */
    const struct http_token *tokens;    /* the named ones */
    size_t n_tokens;
    bool trust_local;           /* no token, yet state changes are done
                                   (the peer is on this machine anyway) */
    const char *listen_host;    /* accepted in Host when there is no token */
    uint16_t port;              /* for hints */
    size_t max_body;            /* a JSON body */
    size_t max_upload;          /* an upload route's body */
};

/* What an upload route's body may say it is, as a C array initializer. */
#define HTTP_UPLOAD_TYPES                                                     \
    {"application/x-tar", "application/gzip", "application/x-gzip",           \
     "application/zip", "application/octet-stream"}

enum http_kind { HTTP_KIND_REQUEST, HTTP_KIND_STREAM };

#define HTTP_ACTOR_TOKEN_FILE "api-token-file"
#define HTTP_ACTOR_LOCAL "local"

struct http_verdict {
    /* 0: hand the request to routes[route].handler. Otherwise the answer
     * to give (an error with a hint; 204 for OPTIONS). */
    unsigned status;
    char error[256];
    char hint[320];
    char allow[64];             /* 405 and OPTIONS: the Allow header */
    bool ask_token;             /* 401: send WWW-Authenticate */
    enum http_role role;        /* who asks: the token's role (ADMIN for the
                                   api_token_file's and in trusted-local
                                   mode, VIEWER for a local read without
                                   tokens) */
    char actor[HTTP_TOKEN_NAME_MAX + 1];    /* the token's name, or
                                   HTTP_ACTOR_TOKEN_FILE / HTTP_ACTOR_LOCAL */
    enum http_kind kind;
    size_t route;
    struct api_route_params params;
    char method[HTTP_METHOD_MAX + 1];
    char path[API_ROUTE_PATH_MAX + 1];  /* as sent, without the query */
    const char *content_type;   /* the media type accepted, a string literal
                                   in lower case without parameters
                                   ("application/json", one of
                                   HTTP_UPLOAD_TYPES); NULL for a read */
};

/* The answer is a refusal: status, what is wrong (printf-style) and what
 * to do; the rest of v is left as it is. */
void http_verdict_refuse(struct http_verdict *v, unsigned status, const char *hint,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void http_verdict_vrefuse(struct http_verdict *v, unsigned status, const char *hint,
                          const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* The largest body route `r` takes: max_upload for an upload route, else
 * max_body. */
size_t http_body_limit(const struct http_policy *p, const struct http_route *r);

/* The 413 for a body over that limit, whether declared (Content-Length)
 * or found while reading a chunked one. */
void http_verdict_too_big(struct http_verdict *v, const struct http_policy *p,
                          const struct http_route *r);

/* Applies the rules to a parsed head. `peer_loopback`: the connection
 * comes from 127.0.0.0/8 or ::1. */
void http_check(const struct http_head *head, const struct http_policy *policy,
                bool peer_loopback, const struct http_route *routes, size_t n_routes,
                struct http_verdict *v);

/* http_head_parse, then http_check: the server's (and the fuzzer's) one
 * call per request. PARTIAL: wait for more bytes; otherwise `v` is set
 * (BAD: the head's own refusal). */
enum http_head_result http_check_bytes(const char *buf, size_t len,
                                       const struct http_policy *policy,
                                       bool peer_loopback,
                                       const struct http_route *routes, size_t n_routes,
                                       struct http_verdict *v);

/* Compares a presented token with the expected one in time that does not
 * depend on where they differ (only on the expected token's length). */
bool http_token_equal_n(const char *expected, const char *given, size_t given_len);

/* Is `host` (a listen address as written in jigd.conf, or Host without
 * its port and brackets) a literal loopback address or "localhost"? */
bool http_host_is_loopback(const char *host, size_t len);

#endif
