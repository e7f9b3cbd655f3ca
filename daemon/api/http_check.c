/* The request rules; http_check.h lists them and says why each exists.
 * Every refusal names what was wrong in the request and what to send
 * instead. Text the client sent is quoted short and printable only. */
#include "http_check.h"
#include "http_token.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define QUOTE_MAX 64

void http_verdict_vrefuse(struct http_verdict *v, unsigned status, const char *hint,
                          const char *fmt, va_list ap)
{
    vsnprintf(v->error, sizeof v->error, fmt, ap);
    snprintf(v->hint, sizeof v->hint, "%s", hint);
    v->status = status;
}

void http_verdict_refuse(struct http_verdict *v, unsigned status, const char *hint,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    http_verdict_vrefuse(v, status, hint, fmt, ap);
    va_end(ap);
}

/* Client text for a message: at most QUOTE_MAX bytes, anything but
 * printable ASCII shown as '?' (a message must stay valid UTF-8 JSON). */
static const char *quote(char *dst, size_t cap, struct http_slice s)
{
    size_t n = s.n < QUOTE_MAX ? s.n : QUOTE_MAX;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[n] = '\0';
    if (s.n > n && n >= 3)
        memcpy(dst + n - 3, "...", 3);
    return dst;
}

/* The one field called `name`; *count says how many there were. */
static const struct http_field *field(const struct http_head *h, const char *name,
                                      unsigned *count)
{
    const struct http_field *found = NULL;
    *count = 0;
    for (size_t i = 0; i < h->n_fields; i++) {
        if (!http_slice_is(h->fields[i].name, name))
            continue;
        if (!found)
            found = &h->fields[i];
        (*count)++;
    }
    return found;
}

/* ---- addresses --------------------------------------------------------- */

bool http_host_is_loopback(const char *host, size_t len)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (!strcasecmp(buf, "localhost"))
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, buf, &a6) != 1)
        return false;
    if (!memcmp(&a6, &in6addr_loopback, sizeof a6))
        return true;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return !memcmp(a6.s6_addr, mapped, sizeof mapped) && a6.s6_addr[12] == 127;
}

static bool is_port(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/* Host = name [":" port], name = reg-name | IPv4 | "[" IPv6 "]". Sets
 * *name to the name without brackets. */
static bool host_name(struct http_slice host, struct http_slice *name)
{
    const char *p = host.p, *end = host.p + host.n;
    if (host.n == 0)
        return false;
    const char *rest;
    if (p[0] == '[') {
        const char *close = memchr(p, ']', host.n);
        if (!close || close - p < 3)
            return false;
        for (const char *c = p + 1; c < close; c++)
            if (!strchr("0123456789abcdefABCDEF:.", *c))
                return false;
        *name = (struct http_slice){p + 1, (size_t)(close - p - 1)};
        rest = close + 1;
    } else {
        const char *c = p;
        while (c < end && *c != ':') {
            unsigned char ch = (unsigned char)*c;
            if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '-' || ch == '_' || ch == '~'))
                return false;
            c++;
        }
        if (c == p)
            return false;
        *name = (struct http_slice){p, (size_t)(c - p)};
        rest = c;
    }
    if (rest == end)
        return true;
    return *rest == ':' && is_port(rest + 1, (size_t)(end - rest - 1));
}

static bool host_is_this_station(struct http_slice name, const char *listen_host)
{
    if (http_host_is_loopback(name.p, name.n))
        return true;
    return listen_host && listen_host[0] && strlen(listen_host) == name.n &&
           !strncasecmp(listen_host, name.p, name.n);
}

/* A browser's Origin is scheme://host[:port] of the page; the request is
 * same-origin when that host[:port] is the one it was sent to (Host). */
static bool origin_matches(struct http_slice origin, struct http_slice host)
{
    size_t skip;
    if (origin.n > 7 && !strncasecmp(origin.p, "http://", 7))
        skip = 7;
    else if (origin.n > 8 && !strncasecmp(origin.p, "https://", 8))
        skip = 8;
    else
        return false;       /* "null" (sandboxed frames, file://) included */
    return origin.n - skip == host.n && !strncasecmp(origin.p + skip, host.p, host.n);
}

/* ---- routes ------------------------------------------------------------ */

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t mlen = strlen(method);
    for (const char *p = allow; *p; ) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == mlen && !memcmp(p, method, n))
            return;
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    size_t used = strlen(allow);
    if (used + mlen + 3 > cap)
        return;
    snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", method);
}

static const char endpoints_hint[] = "the API lives under /api/v1; see docs/api.md";
static const char slots_hint[] = "slots are numbered 1, 2, ...; GET /api/v1/slots lists "
                                 "this station's slots";

static void options(const struct http_route *routes, size_t n, struct http_verdict *v,
                    bool any_path)
{
    char q[QUOTE_MAX + 1];
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        struct api_route_params params;
        enum api_route_match m = any_path ? API_ROUTE_MATCH
                                          : api_route_match(routes[i].pattern, v->path, &params);
        if (m == API_ROUTE_MATCH)
            allow_add(v->allow, sizeof v->allow, routes[i].method);
        else if (m == API_ROUTE_BAD_PARAM && !bad) {
            bad = true;
            quote(q, sizeof q, (struct http_slice){params.bad, strlen(params.bad)});
        }
    }
    if (v->allow[0]) {
        allow_add(v->allow, sizeof v->allow, "OPTIONS");
        v->status = 204;
    } else if (bad) {
        http_verdict_refuse(v, 404, slots_hint, "'%s' is not a slot number", q);
    } else {
        http_verdict_refuse(v, 404, endpoints_hint, "no endpoint %s",
               quote(q, sizeof q, (struct http_slice){v->path, strlen(v->path)}));
    }
}

/* Finds the route for method + path, or refuses with 404 / 405. */
static bool route(const struct http_route *routes, size_t n, struct http_verdict *v)
{
    char q[QUOTE_MAX + 1];
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        struct api_route_params params;
        enum api_route_match m = api_route_match(routes[i].pattern, v->path, &params);
        if (m == API_ROUTE_NO_MATCH)
            continue;
        if (strcmp(routes[i].method, v->method)) {
            allow_add(v->allow, sizeof v->allow, routes[i].method);
            continue;
        }
        if (m == API_ROUTE_BAD_PARAM) {
            /* Keep looking: another pattern may take this text as it is. */
            if (!bad)
                quote(q, sizeof q, (struct http_slice){params.bad, strlen(params.bad)});
            bad = true;
            continue;
        }
        v->route = i;
        v->params = params;
        v->kind = routes[i].stream ? HTTP_KIND_STREAM : HTTP_KIND_REQUEST;
        return true;
    }
    if (bad) {
        http_verdict_refuse(v, 404, slots_hint, "'%s' is not a slot number", q);
    } else if (v->allow[0]) {
        allow_add(v->allow, sizeof v->allow, "OPTIONS");
        http_verdict_refuse(v, 405, "see docs/api.md for the endpoints", "%s is not allowed on %s "
               "(allowed: %s)", v->method,
               quote(q, sizeof q, (struct http_slice){v->path, strlen(v->path)}), v->allow);
    } else {
        http_verdict_refuse(v, 404, endpoints_hint, "no endpoint %s",
               quote(q, sizeof q, (struct http_slice){v->path, strlen(v->path)}));
    }
    return false;
}

/* ---- the rules --------------------------------------------------------- */

static const char *const upload_types[] = HTTP_UPLOAD_TYPES;
#define N_UPLOAD_TYPES (sizeof upload_types / sizeof upload_types[0])

/* The media type of a Content-Type, if it is one of the `n` in `types`
 * (any case, parameters ignored): that entry; else NULL. */
static const char *media_type(struct http_slice ct, const char *const *types, size_t n)
{
    size_t len = 0;
    while (len < ct.n && ct.p[len] != ';')
        len++;
    while (len > 0 && (ct.p[len - 1] == ' ' || ct.p[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < n; i++)
        if (http_slice_is((struct http_slice){ct.p, len}, types[i]))
            return types[i];
    return NULL;
}

/* Rule 1: one message, framed one way. Sets *length (0 if none). */
static bool framing(const struct http_head *h, struct http_verdict *v,
                    struct http_slice *host, unsigned long long *length)
{
    static const char *const once[] = {
        "Host", "Content-Length", "Transfer-Encoding", "Authorization", "Origin",
        "Content-Type",
    };
    char q[QUOTE_MAX + 1], hint[96];
    unsigned n;
    for (size_t i = 0; i < sizeof once / sizeof once[0]; i++) {
        if (field(h, once[i], &n) && n > 1) {
            snprintf(hint, sizeof hint, "send %s once", once[i]);
            http_verdict_refuse(v, 400, hint, "the request has %u %s headers; which one counts is "
                   "ambiguous", n, once[i]);
            return false;
        }
    }
    const struct http_field *f = field(h, "Host", &n);
    if (!f) {
        http_verdict_refuse(v, 400, "HTTP/1.1 requires one, e.g. 'Host: 127.0.0.1:8080'",
               "the request has no Host header");
        return false;
    }
    struct http_slice name;
    if (!host_name(f->value, &name)) {
        http_verdict_refuse(v, 400, "send e.g. 'Host: 127.0.0.1:8080'", "Host '%s' is not host[:port]",
               quote(q, sizeof q, f->value));
        return false;
    }
    *host = f->value;
    const struct http_field *cl = field(h, "Content-Length", &n);
    const struct http_field *te = field(h, "Transfer-Encoding", &n);
    if (cl && te) {
        http_verdict_refuse(v, 400, "send one of them: Content-Length for a body of known size",
               "the request has both Content-Length and Transfer-Encoding");
        return false;
    }
    if (te && h->minor == 0) {
        http_verdict_refuse(v, 400, "send HTTP/1.1, or Content-Length",
               "Transfer-Encoding is not part of HTTP/1.0");
        return false;
    }
    if (te && !http_slice_is(te->value, "chunked")) {
        http_verdict_refuse(v, 501, "send the body with Content-Length, or Transfer-Encoding: chunked",
               "Transfer-Encoding '%s' is not supported", quote(q, sizeof q, te->value));
        return false;
    }
    *length = 0;
    if (cl) {
        bool digits = cl->value.n > 0 && cl->value.n <= 18;
        for (size_t i = 0; digits && i < cl->value.n; i++) {
            char c = cl->value.p[i];
            digits = c >= '0' && c <= '9';
            *length = *length * 10 + (unsigned long long)(c - '0');
        }
        if (!digits) {
            http_verdict_refuse(v, 400, "send Content-Length as decimal digits, once",
                   "Content-Length '%s' is not a number of bytes",
                   quote(q, sizeof q, cl->value));
            return false;
        }
    }
    return true;
}

/* Is this a GET or HEAD of a route that serves the dashboard's files? */
static bool public_file(const struct http_route *routes, size_t n, const struct http_verdict *v)
{
    for (size_t i = 0; i < n; i++) {
        struct api_route_params params;
        if (routes[i].public_file && !strcmp(routes[i].method, v->method) &&
            (!strcmp(v->method, "GET") || !strcmp(v->method, "HEAD")) &&
            api_route_match(routes[i].pattern, v->path, &params) == API_ROUTE_MATCH)
            return true;
    }
    return false;
}

/* Rules 2 and 3: the peer, the Host it names and the Origin. */
static bool where_from(const struct http_head *h, const struct http_policy *p, bool peer_loopback,
                       struct http_slice host, bool no_token, struct http_verdict *v)
{
    char q[QUOTE_MAX + 1], hint[256];
    if (no_token && !peer_loopback) {
        http_verdict_refuse(v, 403, "add an API token (jigctl token add NAME --role ROLE, "
               "docs/api.md) and send it", "this station has no API token, so it answers "
               "programs on the station itself only");
        return false;
    }
    struct http_slice name;
    host_name(host, &name);
    if (no_token && !host_is_this_station(name, p->listen_host)) {
        snprintf(hint, sizeof hint, "use http://127.0.0.1:%u/ or http://localhost:%u/ "
                 "(once the station has API tokens, any name it has will do)",
                 p->port, p->port);
        http_verdict_refuse(v, 403, hint, "Host '%s' is not this station's address; a web page "
               "whose name points at this machine (DNS rebinding) is refused",
               quote(q, sizeof q, host));
        return false;
    }
    unsigned n;
    const struct http_field *origin = field(h, "Origin", &n);
    if (origin && !origin_matches(origin->value, host)) {
        http_verdict_refuse(v, 403, "use the station from its own address, or from a program "
               "(programs send no Origin header)", "requests from the web page at '%s' "
               "are refused: that Origin is not this station",
               quote(q, sizeof q, origin->value));
        return false;
    }
    return true;
}

/* Rule 4: who asks, by the token. `open`: a public file, no token needed. */
static bool who(const struct http_head *h, const struct http_policy *p, bool peer_loopback,
                struct http_slice host, struct http_slice query, bool open,
                struct http_verdict *v)
{
    bool no_token = (!p->token || !p->token[0]) && p->n_tokens == 0;
    if (!where_from(h, p, peer_loopback, host, no_token, v))
        return false;
    bool read = !strcmp(v->method, "GET") || !strcmp(v->method, "HEAD") ||
                !strcmp(v->method, "OPTIONS");
    if (no_token) {
        v->role = p->trust_local ? HTTP_ROLE_ADMIN : HTTP_ROLE_VIEWER;
        snprintf(v->actor, sizeof v->actor, "%s", HTTP_ACTOR_LOCAL);
        if (read || p->trust_local)
            return true;
        v->ask_token = true;
        http_verdict_refuse(v, 401, "add an API token (jigctl token add NAME --role operator) and "
               "send 'Authorization: Bearer <token>' (jigctl --token-file); or, on a station "
               "used only from itself, set api_trust_local = yes (docs/config.md)",
               "this station takes no actions without an API token");
        return false;
    }
    unsigned n;
    const struct http_field *auth = field(h, "Authorization", &n);
    if (open || http_token_identify(p, auth ? &auth->value : NULL, query,
                                    read && strcmp(v->method, "OPTIONS"), v))
        return true;
    v->ask_token = true;
    http_verdict_refuse(v, 401, "send 'Authorization: Bearer <token>' with a token of this station "
           "(jigctl token add NAME --role ROLE makes one)", "this station requires an API token");
    return false;
}

/* The route's role: a token below it is refused, saying what it would need. */
static bool role_allows(const struct http_route *r, struct http_verdict *v)
{
    enum http_role need = r->role == HTTP_ROLE_NONE && !r->public_file ? HTTP_ROLE_ADMIN : r->role;
    if (v->role >= need)
        return true;
    char hint[200];
    snprintf(hint, sizeof hint, "ask the station's admin for a token with role %s "
             "(jigctl token add NAME --role %s)", http_role_name(need), http_role_name(need));
    http_verdict_refuse(v, 403, hint, "%s %s needs role %s; '%s' is %s", v->method, v->path,
                        http_role_name(need), v->actor, http_role_name(v->role));
    return false;
}

/* Rule 6: what a state change says its body is. Sets v->content_type. */
static bool content_type(const struct http_head *h, const struct http_route *r,
                         struct http_verdict *v)
{
    static const char *const json[] = {"application/json"};
    char q[QUOTE_MAX + 1], what[QUOTE_MAX + 16];
    unsigned n;
    const struct http_field *ct = field(h, "Content-Type", &n);
    if (ct)
        v->content_type = r->upload ? media_type(ct->value, upload_types, N_UPLOAD_TYPES)
                                    : media_type(ct->value, json, 1);
    if (v->content_type)
        return true;
    if (ct)
        snprintf(what, sizeof what, "it says '%s'", quote(q, sizeof q, ct->value));
    else
        snprintf(what, sizeof what, "it has none");
    if (!r->upload) {
        http_verdict_refuse(v, 415, "send 'Content-Type: application/json' (curl: -H "
               "'Content-Type: application/json'), with a body or without", "a %s request "
               "must say Content-Type: application/json (%s)", v->method, what);
        return false;
    }
    char hint[320];
    size_t used = (size_t)snprintf(hint, sizeof hint, "send the file as it is with one of ");
    for (size_t i = 0; i < N_UPLOAD_TYPES && used < sizeof hint; i++)
        used += (size_t)snprintf(hint + used, sizeof hint - used, "%s%s", i ? ", " : "",
                                 upload_types[i]);
    if (used < sizeof hint)
        snprintf(hint + used, sizeof hint - used, ", e.g. curl --data-binary @bundle.tar "
                 "-H 'Content-Type: application/x-tar'");
    http_verdict_refuse(v, 415, hint, "a %s request here takes a file (an archive) and must "
           "say what it is in Content-Type (%s)", v->method, what);
    return false;
}

size_t http_body_limit(const struct http_policy *p, const struct http_route *r)
{
    return r->upload ? p->max_upload : p->max_body;
}

/* "64 MiB", "64 KiB" or "1000 bytes": an upload limit as an operator
 * would write it (api_max_upload_mb), yet exact when it is not whole MiB. */
static const char *size_text(char *dst, size_t cap, size_t n)
{
    if (n && n % (1024u * 1024u) == 0)
        snprintf(dst, cap, "%zu MiB", n / (1024u * 1024u));
    else if (n && n % 1024u == 0)
        snprintf(dst, cap, "%zu KiB", n / 1024u);
    else
        snprintf(dst, cap, "%zu bytes", n);
    return dst;
}

void http_verdict_too_big(struct http_verdict *v, const struct http_policy *p,
                          const struct http_route *r)
{
    if (!r->upload) {
        http_verdict_refuse(v, 413, "request bodies are small JSON objects; send a path, not "
               "the file itself", "the request body is larger than %zu bytes", p->max_body);
        return;
    }
    char limit[32], hint[128];
    size_text(limit, sizeof limit, p->max_upload);
    snprintf(hint, sizeof hint, "the largest upload is %s; api_max_upload_mb in [station] "
             "raises it", limit);
    http_verdict_refuse(v, 413, hint, "the upload is larger than %s", limit);
}

void http_check(const struct http_head *h, const struct http_policy *p,
                bool peer_loopback, const struct http_route *routes, size_t n_routes,
                struct http_verdict *v)
{
    char q[QUOTE_MAX + 1];
    memset(v, 0, sizeof *v);
    memcpy(v->method, h->method.p, h->method.n);     /* <= HTTP_METHOD_MAX */
    struct http_slice t = h->target;
    bool star = t.n == 1 && t.p[0] == '*' && !strcmp(v->method, "OPTIONS");
    if (!star && t.p[0] != '/') {
        http_verdict_refuse(v, 400, "send the path only, e.g. 'GET /api/v1/station HTTP/1.1'",
               "the request target '%s' is not a path", quote(q, sizeof q, t));
        return;
    }
    if (memchr(t.p, '#', t.n)) {
        http_verdict_refuse(v, 400, "a fragment (#...) stays in the browser; do not send it",
               "the request target holds a '#'");
        return;
    }
    const char *qm = memchr(t.p, '?', t.n);
    size_t plen = qm ? (size_t)(qm - t.p) : t.n;
    struct http_slice query = qm ? (struct http_slice){qm + 1, t.n - plen - 1}
                                 : (struct http_slice){t.p, 0};
    if (plen > API_ROUTE_PATH_MAX) {
        http_verdict_refuse(v, 414, "the API's paths are short; see docs/api.md",
               "the path is longer than %u bytes", API_ROUTE_PATH_MAX);
        return;
    }
    memcpy(v->path, t.p, plen);
    struct http_slice host;
    unsigned long long length;
    if (!framing(h, v, &host, &length) ||
        !who(h, p, peer_loopback, host, query, public_file(routes, n_routes, v), v))
        return;
    if (!strcmp(v->method, "OPTIONS")) {
        options(routes, n_routes, v, star);
        return;
    }
    if (!route(routes, n_routes, v) || !role_allows(&routes[v->route], v))
        return;
    bool read = !strcmp(v->method, "GET") || !strcmp(v->method, "HEAD");
    if (!read && !content_type(h, &routes[v->route], v))
        return;
    if (length > http_body_limit(p, &routes[v->route]))
        http_verdict_too_big(v, p, &routes[v->route]);
}

enum http_head_result http_check_bytes(const char *buf, size_t len,
                                       const struct http_policy *policy,
                                       bool peer_loopback,
                                       const struct http_route *routes, size_t n_routes,
                                       struct http_verdict *v)
{
    struct http_head head;
    struct http_head_error why;
    enum http_head_result r = http_head_parse(buf, len, &head, &why);
    if (r == HTTP_HEAD_PARTIAL)
        return r;
    if (r == HTTP_HEAD_BAD) {
        memset(v, 0, sizeof *v);
        http_verdict_refuse(v, why.status, why.hint, "%s", why.error);
        return r;
    }
    http_check(&head, policy, peer_loopback, routes, n_routes, v);
    return r;
}
