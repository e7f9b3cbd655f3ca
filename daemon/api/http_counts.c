/* The requests the server answered, by method, route and status: GET
 * /metrics' jigd_http_requests_total.
 *
 * Every answer is counted where it leaves: a route's reply (http_request.c)
 * and the front door's (http_gate.c: a refusal, a limit, a late head). The
 * route is the pattern, never the path as sent, and a method no route has
 * counts as "other", so what a client sends cannot make new series: the
 * keys are bounded by the route table times the statuses jigd gives. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

/* Far above what the table and jigd's statuses can make; a guard only. */
#define COUNTS_MAX 2048

#define UNMATCHED ((size_t)-1)

struct http_count {
    size_t route;               /* index in the server's table, or UNMATCHED */
    const char *method;         /* a route's, or one of `methods` */
    unsigned status;
    uint64_t n;
};

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                      "OPTIONS"};

/* The method as a label: one of HTTP's, else "other" (a string literal). */
static const char *method_label(const char *method)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (method && !strcmp(method, methods[i]))
            return methods[i];
    return "other";
}

/* The route that takes method + path, as the door would dispatch it. */
static size_t route_of(const struct http_server *s, const char *method, const char *path)
{
    if (!method || !path || !path[0])
        return UNMATCHED;
    for (size_t i = 0; i < s->n_routes; i++) {
        struct api_route_params params;
        if (!strcmp(s->routes[i].method, method) &&
            api_route_match(s->routes[i].pattern, path, &params) == API_ROUTE_MATCH)
            return i;
    }
    return UNMATCHED;
}

void http_count_answer(struct http_server *s, size_t route, const char *method,
                       const char *path, unsigned status)
{
    if (route >= s->n_routes)
        route = route_of(s, method, path);
    const char *m = route == UNMATCHED ? method_label(method) : s->routes[route].method;
    for (size_t i = 0; i < s->n_counts; i++) {
        struct http_count *c = &s->counts[i];
        if (c->route == route && c->status == status && !strcmp(c->method, m)) {
            c->n++;
            return;
        }
    }
    if (s->n_counts == s->cap_counts) {
        size_t cap = s->cap_counts ? s->cap_counts * 2 : 32;
        struct http_count *more = cap <= COUNTS_MAX ? realloc(s->counts, cap * sizeof *more)
                                                    : NULL;
        if (!more)
            return;             /* the answer went out; only its count is lost */
        s->counts = more;
        s->cap_counts = cap;
    }
    s->counts[s->n_counts++] = (struct http_count){.route = route, .method = m,
                                                   .status = status, .n = 1};
}

void http_server_each_count(const struct http_server *s, http_count_fn fn, void *ctx)
{
    for (size_t i = 0; i < s->n_counts; i++) {
        const struct http_count *c = &s->counts[i];
        fn(ctx, c->method, c->route == UNMATCHED ? HTTP_ROUTE_UNMATCHED
                                                 : s->routes[c->route].pattern,
           c->status, c->n);
    }
}
