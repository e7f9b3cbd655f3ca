/* Named tokens end to end on a running server (fake_station, a FAKE
 * backend): the token's name reaches the backend as the actor, a role
 * below the route's is refused, /whoami says who the token is, and a
 * token taken out of the set is refused from the next request and its
 * open event stream ends at once. (jigd fills the set from station.db:
 * web/dashboard and daemon/api_token_sync.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api_harness.h"
#include "mbedtls_compat.h"
#include "raw_http.h"

#define VIEWER_TOKEN "jigd_viewer-token-0123456789"
#define OPERATOR_TOKEN "jigd_operator-token-0123456789"

/* In this order so that the set's first one alone keeps shift-a. */
static struct http_token tokens[2] = {
    {.name = "shift-a", .role = HTTP_ROLE_OPERATOR},
    {.name = "line-tv", .role = HTTP_ROLE_VIEWER},
};
static size_t n_set;

static void set_tokens(struct harness *h, void *arg)
{
    (void)arg;
    assert_int_equal(http_server_set_tokens(api_http_server(h->api), tokens, n_set), 0);
    api_sse_check_tokens(api_event_stream(h->api));
}

/* The status of a request with `token`, its body into out. */
static int ask(struct harness *h, const char *method, const char *path, const char *token,
               char *out, size_t cap)
{
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Authorization: Bearer %s\r\n%s\r\n", method, path, h->port, token,
                     strcmp(method, "GET") ? "Content-Type: application/json\r\n" : "");
    return raw_exchange(h->port, NULL, req, (size_t)n, out, cap);
}

static int start(void **state)
{
    assert_int_equal(sha256_once(OPERATOR_TOKEN, strlen(OPERATOR_TOKEN), tokens[0].sha256), 0);
    assert_int_equal(sha256_once(VIEWER_TOKEN, strlen(VIEWER_TOKEN), tokens[1].sha256), 0);
    struct harness_options o = {.max_body = 1024};
    struct harness *h = harness_start(&o);
    n_set = 2;
    harness_on_loop(h, set_tokens, NULL);
    *state = h;
    return 0;
}

static int stop(void **state)
{
    harness_stop(*state);
    return 0;
}

static void test_the_tokens_name_is_the_actor(void **state)
{
    struct harness *h = *state;
    char out[4096];
    assert_int_equal(ask(h, "POST", "/api/v1/slots/2/identify", OPERATOR_TOKEN, out, sizeof out),
                     200);
    assert_string_equal(h->station.last_actor, "shift-a");
    assert_int_equal(ask(h, "GET", "/api/v1/whoami", VIEWER_TOKEN, out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "{\"actor\":\"line-tv\",\"role\":\"viewer\"}"));
}

static void test_a_viewer_can_press_nothing(void **state)
{
    struct harness *h = *state;
    char out[4096];
    /* Checking the whole audit log is an admin's question. */
    assert_int_equal(ask(h, "GET", "/api/v1/audit/verify", OPERATOR_TOKEN, out, sizeof out), 403);
    assert_non_null(strstr(raw_body(out), "needs role admin; 'shift-a' is operator"));
    assert_int_equal(ask(h, "GET", "/api/v1/slots", VIEWER_TOKEN, out, sizeof out), 200);
    assert_int_equal(ask(h, "POST", "/api/v1/slots/1/start", VIEWER_TOKEN, out, sizeof out), 403);
    assert_non_null(strstr(raw_body(out), "needs role operator; 'line-tv' is viewer"));
    assert_int_equal(ask(h, "POST", "/api/v1/bundle/load", OPERATOR_TOKEN, out, sizeof out), 403);
    assert_non_null(strstr(raw_body(out), "needs role mes"));
    assert_string_equal(h->station.last_actor, "");     /* nothing reached the station */
}

/* An alarm is acknowledged by an operator, in the token's name, once. */
static void test_alarms_are_acknowledged_by_an_operator(void **state)
{
    struct harness *h = *state;
    char out[4096];
    assert_int_equal(ask(h, "GET", "/api/v1/alarms", VIEWER_TOKEN, out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"id\":1"));
    assert_int_equal(ask(h, "POST", "/api/v1/alarms/1/ack", VIEWER_TOKEN, out, sizeof out), 403);
    assert_int_equal(ask(h, "POST", "/api/v1/alarms/1/ack", OPERATOR_TOKEN, out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"by\":\"shift-a\""));
    assert_string_equal(h->station.last_actor, "shift-a");
    assert_int_equal(ask(h, "POST", "/api/v1/alarms/1/ack", OPERATOR_TOKEN, out, sizeof out), 409);
    assert_int_equal(ask(h, "POST", "/api/v1/alarms/7/ack", OPERATOR_TOKEN, out, sizeof out), 404);
    assert_int_equal(ask(h, "POST", "/api/v1/alarms/x1/ack", OPERATOR_TOKEN, out, sizeof out), 404);
    assert_non_null(strstr(raw_body(out), "'x1' is not an alarm id"));
}

static void test_a_revoked_token_is_refused_and_its_stream_ends(void **state)
{
    struct harness *h = *state;
    char req[256], out[8192];
    int fd = raw_connect(h->port, NULL, 5000);
    int n = snprintf(req, sizeof req, "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Authorization: Bearer %s\r\n\r\n", h->port, VIEWER_TOKEN);
    raw_send(fd, req, (size_t)n);
    assert_true(harness_wait_streams(h, 1, 5000));
    n_set = 1;                          /* line-tv revoked, shift-a kept */
    harness_on_loop(h, set_tokens, NULL);
    assert_int_equal(raw_read_answer(fd, out, sizeof out), 200);
    assert_non_null(strstr(out, "the API token of this stream is no longer valid"));
    close(fd);
    assert_true(harness_wait_streams(h, 0, 5000));
    assert_int_equal(ask(h, "GET", "/api/v1/station", VIEWER_TOKEN, out, sizeof out), 401);
    assert_int_equal(ask(h, "GET", "/api/v1/station", OPERATOR_TOKEN, out, sizeof out), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_tokens_name_is_the_actor, start, stop),
        cmocka_unit_test_setup_teardown(test_a_viewer_can_press_nothing, start, stop),
        cmocka_unit_test_setup_teardown(test_alarms_are_acknowledged_by_an_operator, start, stop),
        cmocka_unit_test_setup_teardown(test_a_revoked_token_is_refused_and_its_stream_ends,
                                        start, stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
