/* Every route of the API against every role (issue 10's "every route with
 * each role, allowed and refused"): the real route table (api.h's
 * api_routes_table), a named token of each role, and the request checked
 * as jigd checks it (http_check). A role at or above the route's passes,
 * one below is refused 403 naming the role needed, no token is 401. A new
 * route is held to this by being in the table: nothing to add here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http_check.h"
#include "mbedtls_compat.h"

static const char *const token_text[] = {
    [HTTP_ROLE_VIEWER] = "jigd_viewer-0123456789abcdef",
    [HTTP_ROLE_OPERATOR] = "jigd_operator-0123456789abcdef",
    [HTTP_ROLE_MES] = "jigd_mes-0123456789abcdef",
    [HTTP_ROLE_ADMIN] = "jigd_admin-0123456789abcdef",
};
static const char *const role_name[] = {
    [HTTP_ROLE_VIEWER] = "viewer", [HTTP_ROLE_OPERATOR] = "operator",
    [HTTP_ROLE_MES] = "mes", [HTTP_ROLE_ADMIN] = "admin",
};
static struct http_token tokens[4];
static struct http_policy policy = {
    .tokens = tokens, .n_tokens = 4, .listen_host = "0.0.0.0", .port = 8080, .max_body = 1024,
};

static int setup(void **state)
{
    (void)state;
    for (int r = HTTP_ROLE_VIEWER; r <= HTTP_ROLE_ADMIN; r++) {
        struct http_token *t = &tokens[r - HTTP_ROLE_VIEWER];
        snprintf(t->name, sizeof t->name, "%s-token", role_name[r]);
        t->role = (enum http_role)r;
        if (sha256_once(token_text[r], strlen(token_text[r]), t->sha256))
            return -1;
    }
    return 0;
}

/* The route's path with each {param} filled in. */
static void concrete(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 8 < cap; p++) {
        if (*p != '{') {
            out[n++] = *p;
            continue;
        }
        bool slot = !strncmp(p, "{slot}", 6);
        n += (size_t)snprintf(out + n, cap - n, "%s", slot ? "1" : "X-7");
        p = strchr(p, '}');
    }
    out[n] = '\0';
}

/* A state change says the Content-Type its route takes: JSON, or an
 * archive on an upload route. */
static unsigned ask(const struct http_route *r, const struct http_route *routes,
                    size_t n_routes, const char *path, const char *token,
                    struct http_verdict *v)
{
    char req[600], auth[128] = "", type[80] = "";
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    if (strcmp(r->method, "GET"))
        snprintf(type, sizeof type, "Content-Type: %s\r\n",
                 r->upload ? "application/x-tar" : "application/json");
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n%s%s\r\n", r->method,
             path, auth, type);
    http_check_bytes(req, strlen(req), &policy, false, routes, n_routes, v);
    return v->status;
}

static void test_every_route_with_every_role(void **state)
{
    (void)state;
    size_t n;
    const struct http_route *routes = api_routes_table(&n);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        const struct http_route *r = &routes[i];
        char path[256];
        concrete(r->pattern, path, sizeof path);
        if (r->role < HTTP_ROLE_VIEWER)
            fail_msg("%s %s has no role: it would be admin-only by accident", r->method, r->pattern);
        for (int role = HTTP_ROLE_VIEWER; role <= HTTP_ROLE_ADMIN; role++) {
            struct http_verdict v;
            unsigned status = ask(r, routes, n, path, token_text[role], &v);
            if (role >= (int)r->role && status != 0)
                fail_msg("%s %s refused role %s (%u: %s)", r->method, path, role_name[role],
                         status, v.error);
            if (role < (int)r->role) {
                char want[200];
                snprintf(want, sizeof want, "needs role %s; '%s-token' is %s",
                         role_name[r->role], role_name[role], role_name[role]);
                if (status != 403 || !strstr(v.error, want))
                    fail_msg("%s %s let role %s through or said it badly (%u: %s)",
                             r->method, path, role_name[role], status, v.error);
            }
        }
        struct http_verdict v;
        if (ask(r, routes, n, path, NULL, &v) != 401)
            fail_msg("%s %s answered without a token", r->method, path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_with_every_role),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
