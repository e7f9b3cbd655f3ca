/* Rule 4 and the routes' roles (http_check.h), no sockets: a named token
 * says who asks and in which role, a role below the route's is refused
 * with what it would need, the api_token_file's token is admin, and
 * without any token a local reader is a viewer named "local". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_check.h"
#include "mbedtls_compat.h"

static void handler(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static const struct http_route routes[] = {
    {"GET", "/api/v1/station", handler, .role = HTTP_ROLE_VIEWER},
    {"POST", "/api/v1/slots/{slot}/start", handler, .role = HTTP_ROLE_OPERATOR},
    {"POST", "/api/v1/bundle/load", handler, .role = HTTP_ROLE_MES},
    {"POST", "/api/v1/forgotten", handler, .stream = false},    /* no role given: admin */
    {"GET", "/", handler, .public_file = true},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

#define TV "jigd_tv-0123456789abcdef"
#define LINE "jigd_line-0123456789abcdef"
#define MES "jigd_mes-0123456789abcdef"

static struct http_token named[3] = {
    {.name = "line-tv", .role = HTTP_ROLE_VIEWER},
    {.name = "shift-a", .role = HTTP_ROLE_OPERATOR},
    {.name = "mes", .role = HTTP_ROLE_MES},
};
static struct http_policy with_names = {
    .tokens = named, .n_tokens = 3, .listen_host = "0.0.0.0", .port = 8080, .max_body = 1024,
};

static struct http_verdict v;

/* The status of `method path` with Bearer `token` (NULL: none) from a
 * peer on the network (`local` false) or this machine. */
static unsigned ask(const struct http_policy *p, const char *method, const char *path,
                    const char *token, bool local)
{
    char req[512], auth[128] = "";
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n%s%s\r\n", method,
             path, auth, strcmp(method, "GET") ? "Content-Type: application/json\r\n" : "");
    http_check_bytes(req, strlen(req), p, local, routes, N_ROUTES, &v);
    return v.status;
}

static int hash_tokens(void **state)
{
    (void)state;
    const char *tokens[3] = {TV, LINE, MES};
    for (int i = 0; i < 3; i++)
        if (sha256_once(tokens[i], strlen(tokens[i]), named[i].sha256))
            return -1;
    return 0;
}

static void test_a_named_token_says_who_asks(void **state)
{
    (void)state;
    assert_int_equal(ask(&with_names, "GET", "/api/v1/station", TV, false), 0);
    assert_int_equal(v.role, HTTP_ROLE_VIEWER);
    assert_string_equal(v.actor, "line-tv");
    assert_int_equal(ask(&with_names, "POST", "/api/v1/slots/3/start", LINE, false), 0);
    assert_int_equal(v.role, HTTP_ROLE_OPERATOR);
    assert_string_equal(v.actor, "shift-a");
    /* A role includes the ones below it. */
    assert_int_equal(ask(&with_names, "POST", "/api/v1/slots/3/start", MES, false), 0);
    assert_string_equal(v.actor, "mes");
}

static void test_a_role_below_the_route_is_refused_with_what_it_needs(void **state)
{
    (void)state;
    assert_int_equal(ask(&with_names, "POST", "/api/v1/slots/3/start", TV, false), 403);
    assert_string_equal(v.error, "POST /api/v1/slots/3/start needs role operator; "
                                 "'line-tv' is viewer");
    assert_non_null(strstr(v.hint, "jigctl token add NAME --role operator"));
    assert_int_equal(ask(&with_names, "POST", "/api/v1/bundle/load", LINE, false), 403);
    assert_non_null(strstr(v.error, "needs role mes; 'shift-a' is operator"));
    /* A route whose role was forgotten is locked, not open. */
    assert_int_equal(ask(&with_names, "POST", "/api/v1/forgotten", MES, false), 403);
    assert_non_null(strstr(v.error, "needs role admin"));
}

static void test_unknown_or_missing_tokens_are_asked_for(void **state)
{
    (void)state;
    assert_int_equal(ask(&with_names, "GET", "/api/v1/station", NULL, false), 401);
    assert_true(v.ask_token);
    assert_int_equal(ask(&with_names, "GET", "/api/v1/station", "jigd_tv-0123456789abcdeF", false),
                     401);
    /* The hash is of the whole token: a prefix is not it. */
    assert_int_equal(ask(&with_names, "GET", "/api/v1/station", "jigd_tv", false), 401);
    /* Named tokens exist, so this machine needs one as well. */
    assert_int_equal(ask(&with_names, "GET", "/api/v1/station", NULL, true), 401);
    /* The dashboard's files need none. */
    assert_int_equal(ask(&with_names, "GET", "/", NULL, false), 0);
}

static void test_an_event_stream_may_give_a_named_token_in_the_query(void **state)
{
    (void)state;
    assert_int_equal(ask(&with_names, "GET", "/api/v1/station?access_token=" TV, NULL, false), 0);
    assert_string_equal(v.actor, "line-tv");
    /* Never for a state change. */
    assert_int_equal(ask(&with_names, "POST", "/api/v1/slots/1/start?access_token=" LINE, NULL,
                         false), 401);
}

static void test_the_token_files_token_is_admin(void **state)
{
    (void)state;
    struct http_policy both = with_names;
    both.token = "the-old-file-token-0123";
    assert_int_equal(ask(&both, "POST", "/api/v1/forgotten", "the-old-file-token-0123", false), 0);
    assert_int_equal(v.role, HTTP_ROLE_ADMIN);
    assert_string_equal(v.actor, HTTP_ACTOR_TOKEN_FILE);
    /* Named tokens still work beside it. */
    assert_int_equal(ask(&both, "GET", "/api/v1/station", TV, false), 0);
    assert_string_equal(v.actor, "line-tv");
}

static void test_without_tokens_this_machine_reads_as_local(void **state)
{
    (void)state;
    struct http_policy none = {.listen_host = "127.0.0.1", .port = 8080, .max_body = 1024};
    assert_int_equal(ask(&none, "GET", "/api/v1/station", NULL, true), 0);
    assert_int_equal(v.role, HTTP_ROLE_VIEWER);
    assert_string_equal(v.actor, HTTP_ACTOR_LOCAL);
    assert_int_equal(ask(&none, "POST", "/api/v1/slots/1/start", NULL, true), 401);
    assert_int_equal(ask(&none, "GET", "/api/v1/station", NULL, false), 403);
    none.trust_local = true;
    assert_int_equal(ask(&none, "POST", "/api/v1/bundle/load", NULL, true), 0);
    assert_int_equal(v.role, HTTP_ROLE_ADMIN);
    assert_string_equal(v.actor, HTTP_ACTOR_LOCAL);
}

static void test_role_names(void **state)
{
    (void)state;
    for (int r = HTTP_ROLE_VIEWER; r <= HTTP_ROLE_ADMIN; r++)
        assert_int_equal(http_role_parse(http_role_name((enum http_role)r)), r);
    assert_int_equal(http_role_parse("root"), HTTP_ROLE_NONE);
    assert_null(http_role_name(HTTP_ROLE_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_named_token_says_who_asks),
        cmocka_unit_test(test_a_role_below_the_route_is_refused_with_what_it_needs),
        cmocka_unit_test(test_unknown_or_missing_tokens_are_asked_for),
        cmocka_unit_test(test_an_event_stream_may_give_a_named_token_in_the_query),
        cmocka_unit_test(test_the_token_files_token_is_admin),
        cmocka_unit_test(test_without_tokens_this_machine_reads_as_local),
        cmocka_unit_test(test_role_names),
    };
    return cmocka_run_group_tests(tests, hash_tokens, NULL);
}
