/* The request-head parser and the request rules on their own, no sockets:
 * the cases the HTTP tests cannot easily reach (every split of a head, the
 * bounds, the corners of Host and Origin, the query token). The fuzzer runs
 * the same code on invented bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_check.h"
#include "http_head.h"

static void handler(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static const struct http_route routes[] = {
    {"GET", "/api/v1/station", handler, .role = HTTP_ROLE_VIEWER},
    {"GET", "/api/v1/slots/{slot}", handler, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/slots/{slot}/start", handler, .role = HTTP_ROLE_OPERATOR},
    {"GET", "/api/v1/events", handler, .stream = true, .role = HTTP_ROLE_VIEWER},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static struct http_verdict v;

static unsigned check(const char *req, const struct http_policy *p)
{
    enum http_head_result r = http_check_bytes(req, strlen(req), p, true, routes,
                                               N_ROUTES, &v);
    if (r == HTTP_HEAD_PARTIAL)
        fail_msg("a whole head was taken as partial: %s", req);
    return v.status;
}

static const struct http_policy trusted = {
    .trust_local = true, .listen_host = "127.0.0.1", .port = 8080, .max_body = 1024,
};
static const struct http_policy with_token = {
    .token = "0123456789abcdef+/=", .listen_host = "0.0.0.0", .port = 8080,
    .max_body = 1024,
};

static void test_a_head_is_partial_until_its_blank_line(void **state)
{
    static const char req[] = "POST /api/v1/slots/2/start HTTP/1.1\r\n"
                              "Host:127.0.0.1:8080 \r\nContent-Type:\tapplication/json\r\n"
                              "Content-Length: 0\r\n\r\n";
    struct http_head h;
    struct http_head_error why;
    for (size_t n = 0; n < sizeof req - 1; n++)
        if (http_head_parse(req, n, &h, &why) != HTTP_HEAD_PARTIAL)
            fail_msg("%zu bytes of a good head were not 'partial'", n);
    assert_int_equal(http_head_parse(req, sizeof req - 1, &h, &why), HTTP_HEAD_DONE);
    assert_int_equal(h.len, sizeof req - 1);
    assert_int_equal(h.n_fields, 3);
    assert_true(http_slice_is(h.fields[0].value, "127.0.0.1:8080"));    /* trimmed */
    assert_true(http_slice_is(h.fields[1].value, "application/json"));
    assert_int_equal(check(req, &trusted), 0);
    assert_int_equal(v.route, 2);
    assert_int_equal(v.params.slot, 2);
    assert_int_equal(v.kind, HTTP_KIND_REQUEST);
}

static void test_stray_line_ends_are_refused_at_once(void **state)
{
    struct http_head h;
    struct http_head_error why;
    /* No need to wait for the end: the bytes so far are already wrong. */
    static const char lf[] = "GET / HTTP/1.1\nHost: x";
    assert_int_equal(http_head_parse(lf, sizeof lf - 1, &h, &why), HTTP_HEAD_BAD);
    assert_int_equal(why.status, 400);
    static const char cr[] = "GET / HTTP/1.1\rHost: x";
    assert_int_equal(http_head_parse(cr, sizeof cr - 1, &h, &why), HTTP_HEAD_BAD);
    /* A CR at the very end may still be followed by its LF. */
    static const char pending[] = "GET / HTTP/1.1\r";
    assert_int_equal(http_head_parse(pending, sizeof pending - 1, &h, &why),
                     HTTP_HEAD_PARTIAL);
    static const char blank_first[] = "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(http_head_parse(blank_first, sizeof blank_first - 1, &h, &why),
                     HTTP_HEAD_BAD);
}

static void test_heads_are_bounded(void **state)
{
    struct http_head h;
    struct http_head_error why;
    char *big = malloc(HTTP_HEAD_MAX + 64);
    int n = snprintf(big, 64, "GET / HTTP/1.1\r\nX: ");
    memset(big + n, 'a', HTTP_HEAD_MAX + 64 - (size_t)n);
    assert_int_equal(http_head_parse(big, HTTP_HEAD_MAX, &h, &why), HTTP_HEAD_BAD);
    assert_int_equal(why.status, 431);
    assert_int_equal(http_head_parse(big, HTTP_HEAD_MAX - 1, &h, &why), HTTP_HEAD_PARTIAL);
    free(big);

    char fields[4096];
    size_t k = (size_t)snprintf(fields, sizeof fields, "GET /api/v1/station HTTP/1.1\r\n"
                                "Host: localhost\r\n");
    for (unsigned i = 1; i < HTTP_HEAD_MAX_FIELDS; i++)
        k += (size_t)snprintf(fields + k, sizeof fields - k, "X-%u: y\r\n", i);
    snprintf(fields + k, sizeof fields - k, "\r\n");
    assert_int_equal(check(fields, &trusted), 0);
    snprintf(fields + k, sizeof fields - k, "X-last: y\r\n\r\n");
    assert_int_equal(check(fields, &trusted), 431);

    char target[HTTP_TARGET_MAX + 64];
    n = snprintf(target, 32, "GET /");
    memset(target + n, 'a', HTTP_TARGET_MAX);
    snprintf(target + n + HTTP_TARGET_MAX, 32, " HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(check(target, &trusted), 414);
}

static void test_request_lines(void **state)
{
    assert_int_equal(check("GET /api/v1/station HTTP/1.0\r\nHost: localhost\r\n\r\n",
                           &trusted), 0);
    assert_int_equal(check("GET /api/v1/station HTTP/2.0\r\nHost: localhost\r\n\r\n",
                           &trusted), 505);
    assert_int_equal(check("GET  /api/v1/station HTTP/1.1\r\nHost: localhost\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1 \r\nHost: localhost\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET http://localhost/api/v1/station HTTP/1.1\r\n"
                           "Host: localhost\r\n\r\n", &trusted), 400);
    assert_int_equal(check("GET /api/v1/station#x HTTP/1.1\r\nHost: localhost\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET /api/v1/st\x7f HTTP/1.1\r\nHost: localhost\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: local host\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: localhost:80x\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: [::1\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: x\r\nX: a\x01\r\n\r\n",
                           &trusted), 400);
    assert_int_equal(check("POST /api/v1/slots/1/start HTTP/1.1\r\nHost: localhost\r\n"
                           "Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n",
                           &trusted), 501);
    assert_int_equal(check("POST /api/v1/slots/1/start HTTP/1.0\r\nHost: localhost\r\n"
                           "Content-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n", &trusted), 400);
}

static void test_who_may_ask(void **state)
{
    /* The listen host counts as this machine when it is the one set. */
    struct http_policy named = trusted;
    named.listen_host = "jig-bench";
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: JIG-bench:8080\r\n\r\n",
                           &named), 0);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: 127.9.9.9\r\n\r\n",
                           &named), 0);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: 128.0.0.1\r\n\r\n",
                           &named), 403);
    /* Without a token, a peer on another machine is refused whatever it says. */
    static const char req[] = "GET /api/v1/station HTTP/1.1\r\nHost: localhost\r\n\r\n";
    http_check_bytes(req, sizeof req - 1, &trusted, false, routes, N_ROUTES, &v);
    assert_int_equal(v.status, 403);
    http_check_bytes(req, sizeof req - 1, &with_token, false, routes, N_ROUTES, &v);
    assert_int_equal(v.status, 401);
    /* Origin must be the origin the request went to, scheme aside. */
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: localhost:8080\r\n"
                           "Origin: https://LOCALHOST:8080\r\n\r\n", &trusted), 0);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: localhost:8080\r\n"
                           "Origin: http://localhost:8080/\r\n\r\n", &trusted), 403);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: localhost:8080\r\n"
                           "Origin: ftp://localhost:8080\r\n\r\n", &trusted), 403);
}

static void test_the_token(void **state)
{
    const char *ok = "GET /api/v1/station HTTP/1.1\r\nHost: h\r\n"
                     "Authorization: bearer 0123456789abcdef+/=\r\n\r\n";
    assert_int_equal(check(ok, &with_token), 0);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: h\r\n"
                           "Authorization: Basic MDEyMzQ1Njc4OWFiY2RlZg==\r\n\r\n",
                           &with_token), 401);
    assert_true(v.ask_token);
    /* The query, percent-decoded, for GET only; given twice is refused. */
    assert_int_equal(check("GET /api/v1/events?access_token=0123456789abcdef%2B%2F%3D "
                           "HTTP/1.1\r\nHost: h\r\n\r\n", &with_token), 0);
    assert_int_equal(v.kind, HTTP_KIND_STREAM);
    assert_int_equal(check("GET /api/v1/events?access_token=0123456789abcdef+/= "
                           "HTTP/1.1\r\nHost: h\r\n\r\n", &with_token), 0);
    assert_int_equal(check("GET /api/v1/events?access_token=0123456789abcdef%2B%2F%3D"
                           "&access_token=x HTTP/1.1\r\nHost: h\r\n\r\n", &with_token), 401);
    assert_int_equal(check("GET /api/v1/events?access_token=0123456789abcdef%2 "
                           "HTTP/1.1\r\nHost: h\r\n\r\n", &with_token), 401);
    assert_int_equal(check("POST /api/v1/slots/1/start?access_token=0123456789abcdef%2B%2F%3D "
                           "HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\r\n",
                           &with_token), 401);
    assert_true(http_token_equal_n("abc", "abc", 3));
    assert_false(http_token_equal_n("abc", "abcd", 3 + 1));
    assert_false(http_token_equal_n("abc", "ab", 2));
    assert_false(http_token_equal_n("abc", "abd", 3));
}

static void test_routes_and_options(void **state)
{
    assert_int_equal(check("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", &trusted), 204);
    assert_string_equal(v.allow, "GET, POST, OPTIONS");
    assert_int_equal(check("OPTIONS /api/v1/slots/x/start HTTP/1.1\r\nHost: localhost\r\n\r\n",
                           &trusted), 404);
    assert_non_null(strstr(v.error, "'x' is not a slot number"));
    assert_int_equal(check("HEAD /api/v1/station HTTP/1.1\r\nHost: localhost\r\n\r\n",
                           &trusted), 405);
    assert_string_equal(v.allow, "GET, OPTIONS");
    assert_int_equal(check("GET /api/v1/station/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
                           &trusted), 0);
    /* Client text in a message is short and printable. */
    assert_int_equal(check("GET /\xc3\xa9 HTTP/1.1\r\nHost: localhost\r\n\r\n", &trusted), 400);
    assert_int_equal(check("GET /api/v1/station HTTP/1.1\r\nHost: localhost\r\n"
                           "Origin: http://\xff\xfe.example\r\n\r\n", &trusted), 403);
    for (const char *p = v.error; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_loopback_names(void **state)
{
    static const char *const yes[] = {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3",
                                      "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"};
    static const char *const no[] = {"127.0.0.1.nip.io", "127.example", "localhost.",
                                     "128.0.0.1", "0.0.0.0", "::", "10.0.0.1", "127.1",
                                     "::ffff:10.0.0.1", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!http_host_is_loopback(yes[i], strlen(yes[i])))
            fail_msg("'%s' is loopback", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (http_host_is_loopback(no[i], strlen(no[i])))
            fail_msg("'%s' is not loopback", no[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_head_is_partial_until_its_blank_line),
        cmocka_unit_test(test_stray_line_ends_are_refused_at_once),
        cmocka_unit_test(test_heads_are_bounded),
        cmocka_unit_test(test_request_lines),
        cmocka_unit_test(test_who_may_ask),
        cmocka_unit_test(test_the_token),
        cmocka_unit_test(test_routes_and_options),
        cmocka_unit_test(test_loopback_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
