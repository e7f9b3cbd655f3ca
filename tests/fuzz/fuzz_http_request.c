/* Fuzzes the whole way a request comes into jigd before a handler runs:
 * raw bytes through the strict head parser (daemon/api/http_head.c), the
 * request rules and the route table (http_check.c: Host, Origin, token,
 * route, content type, length), and the body through the JSON-object check
 * every handler with a body makes (http_json_body.c). It is the code the
 * gate (http_gate.c) runs on the bytes it peeks from each connection; the
 * body's chunked framing and the socket work are libmicrohttpd's and are
 * not here.
 *
 * Each input is judged under the three ways a station can be configured
 * (token, trusted-local, neither) and from a local and a remote peer, and
 * the verdicts must hold together:
 *   - "partial" only when no blank line ends the head within its bound;
 *   - a refusal has a status from the documented set, an error and a
 *     hint, both printable ASCII (they go into JSON), and never shows the
 *     token unless the input itself held it;
 *   - a request let through names a route of this method, whose kind is
 *     the route's, with a slot 1..999 if the route has one, a path with no
 *     '?' or '#', a JSON content type if it changes state (an archive's
 *     on an upload route, and its own length limit), a token if one
 *     is configured (the dashboard's files aside: public to read, never
 *     changed), and no state change without a token unless trusted-local;
 *     without a token only a local peer gets through. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_check.h"
#include "http_head.h"
#include "http_json_body.h"
#include "mbedtls_compat.h"

static void handler(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

/* The API's routes (daemon/api/api_routes.c and api_sse.c), in its order. */
static const struct http_route routes[] = {
    {"GET", "/api/v1/station", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/whoami", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/slots", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/slots/{slot}", handler, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/slots/{slot}/start", handler, .role = HTTP_ROLE_OPERATOR},
    {"POST", "/api/v1/slots/{slot}/abort", handler, .role = HTTP_ROLE_OPERATOR},
    {"POST", "/api/v1/slots/{slot}/identify", handler, .role = HTTP_ROLE_OPERATOR},
    {"GET", "/api/v1/bundle", handler, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/bundle/load", handler, .role = HTTP_ROLE_MES},
    {"GET", "/api/v1/alarms", handler, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/alarms/{id}/ack", handler, .role = HTTP_ROLE_OPERATOR},
    {"GET", "/api/v1/attempts", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/units/{key}", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/reports/{name}", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/audit/verify", handler, .role = HTTP_ROLE_ADMIN},
    {"POST", "/api/v1/serials/{serial}/void", handler, .role = HTTP_ROLE_MES},
    {"GET", "/api/v1/work-orders", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/work-orders/{id}", handler, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/work-orders", handler, .role = HTTP_ROLE_MES},
    {"GET", "/api/v1/events", handler, .stream = true, .role = HTTP_ROLE_VIEWER},
    {"GET", "/", handler, .public_file = true},
    {"GET", "/ui/{file}", handler, .public_file = true},
    /* An upload route, as POST /api/v1/bundles will be. */
    {"POST", "/api/v1/bundles", handler, .upload = true, .role = HTTP_ROLE_MES},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

#define TOKEN "fz-Token-0123456789"
#define VIEWER_TOKEN "fz-viewer-0123456789"
#define OPERATOR_TOKEN "fz-operator-01234567"

/* Named tokens: a viewer and an operator (their hashes made once). */
static struct http_token named[2] = {
    {.name = "fz-viewer", .role = HTTP_ROLE_VIEWER},
    {.name = "fz-operator", .role = HTTP_ROLE_OPERATOR},
};

static struct http_policy policies[] = {
    {.token = TOKEN, .listen_host = "0.0.0.0", .port = 8080, .max_body = 1024,
     .max_upload = 4096},
    {.trust_local = true, .listen_host = "127.0.0.1", .port = 8080, .max_body = 1024,
     .max_upload = 4096},
    {.listen_host = "localhost", .port = 8080, .max_body = 1024, .max_upload = 4096},
    {.tokens = named, .n_tokens = 2, .listen_host = "0.0.0.0", .port = 8080, .max_body = 1024,
     .max_upload = 4096},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sha256_once(VIEWER_TOKEN, strlen(VIEWER_TOKEN), named[0].sha256) ||
        sha256_once(OPERATOR_TOKEN, strlen(OPERATOR_TOKEN), named[1].sha256))
        abort();
    return 0;
}

static const unsigned statuses[] = {204, 400, 401, 403, 404, 405, 413, 414, 415, 431,
                                    501, 505};

static bool contains(const uint8_t *data, size_t size, const char *needle, bool nocase)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= size; i++)
        if (nocase ? !strncasecmp((const char *)data + i, needle, n)
                   : !memcmp(data + i, needle, n))
            return true;
    return false;
}

static void printable(const char *s, bool may_be_empty)
{
    if (!may_be_empty && !s[0])
        abort();
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            abort();
}

static void check_refusal(const struct http_verdict *v, const uint8_t *data, size_t size)
{
    bool known = false;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        known |= v->status == statuses[i];
    if (!known)
        abort();
    if (v->status == 204 || v->status == 405) {
        if (!strstr(v->allow, "OPTIONS"))
            abort();
        if (v->status == 204)
            return;
    }
    printable(v->error, false);
    printable(v->hint, false);
    static const char *const secrets[] = {TOKEN, VIEWER_TOKEN, OPERATOR_TOKEN};
    for (size_t i = 0; i < 3; i++)
        if ((strstr(v->error, secrets[i]) || strstr(v->hint, secrets[i])) &&
            !contains(data, size, secrets[i], false))
            abort();
}

/* The Content-Length a head declares (the rules let one through only when
 * it is digits and alone), or 0. */
static unsigned long long content_length(const uint8_t *data, size_t head_len)
{
    static const char name[] = "\r\ncontent-length:";
    for (size_t i = 0; i + sizeof name - 1 <= head_len; i++) {
        if (strncasecmp((const char *)data + i, name, sizeof name - 1))
            continue;
        const char *p = (const char *)data + i + sizeof name - 1;
        while (*p == ' ' || *p == '\t')
            p++;
        return strtoull(p, NULL, 10);
    }
    return 0;
}

static void check_pass(const struct http_verdict *v, const struct http_policy *p,
                       bool local, const uint8_t *data, size_t head_len)
{
    if (v->route >= N_ROUTES)
        abort();
    const struct http_route *r = &routes[v->route];
    if (strcmp(r->method, v->method) || v->kind != (r->stream ? HTTP_KIND_STREAM
                                                              : HTTP_KIND_REQUEST))
        abort();
    if (strstr(r->pattern, "{slot}") && (v->params.slot < 1 || v->params.slot > 999))
        abort();
    if (v->path[0] != '/' || strpbrk(v->path, "?#"))
        abort();
    bool changes = strcmp(v->method, "GET") != 0;
    bool token = (p->token && p->token[0]) || p->n_tokens;
    if (changes != (v->content_type != NULL))
        abort();
    if (changes && !contains(data, head_len, v->content_type, true))
        abort();
    if (changes && r->upload != !!strcmp(v->content_type, "application/json"))
        abort();
    if (content_length(data, head_len) > http_body_limit(p, r))
        abort();
    /* The dashboard's files are asked for without a token (a browser
     * cannot send one with a page); everything else needs it. */
    if (r->public_file && changes)
        abort();
    if (token && !r->public_file && !contains(data, head_len, "authorization", true) &&
        !contains(data, head_len, "access_token=", false))
        abort();
    if (!token && (!local || (changes && !p->trust_local)))
        abort();
    /* Whoever is let through has a name and at least the route's role. */
    if (!r->public_file && (v->role < r->role || !v->actor[0]))
        abort();
    if (p->n_tokens && !r->public_file && v->role == HTTP_ROLE_OPERATOR &&
        !contains(data, head_len, OPERATOR_TOKEN, false))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_verdict *v = malloc(sizeof *v);
    if (!v)
        return 0;
    for (size_t k = 0; k < 2 * sizeof policies / sizeof policies[0]; k++) {
        const struct http_policy *p = &policies[k / 2];
        bool local = k % 2 == 0;
        enum http_head_result r = http_check_bytes((const char *)data, size, p, local,
                                                   routes, N_ROUTES, v);
        if (r == HTTP_HEAD_PARTIAL) {
            size_t bound = size < HTTP_HEAD_MAX ? size : HTTP_HEAD_MAX;
            if (size >= HTTP_HEAD_MAX || contains(data, bound, "\r\n\r\n", false))
                abort();
            continue;
        }
        if (v->status) {
            check_refusal(v, data, size);
            continue;
        }
        struct http_head head;
        struct http_head_error why;
        if (http_head_parse((const char *)data, size, &head, &why) != HTTP_HEAD_DONE)
            abort();        /* let through, so the head itself must be whole */
        check_pass(v, p, local, data, head.len);
        /* The body, as a handler would see it (at most the limit); an
         * upload's is a file, not JSON. */
        if (routes[v->route].upload)
            continue;
        size_t body = size - head.len;
        if (body > p->max_body)
            body = p->max_body;
        char error[128];
        cJSON *o = http_json_object((const char *)data + head.len, body, error,
                                    sizeof error);
        if (o)
            cJSON_Delete(o);
        else
            printable(error, false);
    }
    free(v);
    return 0;
}
