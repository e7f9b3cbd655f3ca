/* GET /metrics over the real server (daemon/api/api_metrics.c) on the FAKE
 * station: the text format with its Content-Type, read by promtool without
 * a remark; requests counted by method, route pattern and status, refusals
 * at the door under the route they asked for, a path no route takes and a
 * method no route has each under one fixed label (nothing a client sends
 * becomes a label); the event streams open; the token asked for once the
 * station has one; and a station side the format refuses answered 500,
 * never half a scrape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_harness.h"
#include "raw_http.h"

#define TOKEN "jigd_metrics-test-0123456789abcdef"

static char answer[256 * 1024];

static int ask(struct harness *h, const char *method, const char *path, const char *extra)
{
    char req[1024];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n",
                     method, path, h->port, extra ? extra : "");
    return raw_exchange(h->port, NULL, req, (size_t)n, answer, sizeof answer);
}

/* GET /metrics (with the token when given): its body, checked by type. */
static const char *scrape(struct harness *h, const char *token)
{
    char auth[128] = "", type[128];
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    int status = ask(h, "GET", "/metrics", auth);
    if (status != 200)
        fail_msg("GET /metrics answered %d:\n%s", status, answer);
    assert_non_null(raw_header(answer, "Content-Type", type, sizeof type));
    assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
    return raw_body(answer);
}

static void expect_line(const char *text, const char *line)
{
    char want[512];
    snprintf(want, sizeof want, "\n%s\n", line);
    if (!strstr(text, want))
        fail_msg("the scrape has no line '%s':\n%s", line, text);
}

/* promtool's parse and lint of `text`: true when it has nothing to say. */
static bool promtool_happy(const char *text)
{
    char out[] = "/tmp/jigd-promtool-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "promtool check metrics > %s 2>&1", out);
    FILE *p = popen(cmd, "w");
    assert_non_null(p);
    fputs(text, p);
    int status = pclose(p);
    FILE *f = fopen(out, "r");
    char said[2048] = "";
    size_t n = f ? fread(said, 1, sizeof said - 1, f) : 0;
    said[n] = '\0';
    if (f)
        fclose(f);
    unlink(out);
    if (status != 0 || n)
        print_error("promtool (status %d): %s\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                    said);
    return status == 0 && n == 0;
}

static void test_scrape_is_the_text_format(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    const char *text = scrape(h, NULL);
    /* The station's families first, the API's after. */
    assert_ptr_equal(strstr(text, "# HELP fake_slot_bytes_done "), text);
    expect_line(text, "fake_slot_bytes_done{slot=\"3\"} 0");
    expect_line(text, "# TYPE jigd_http_requests_total counter");
    expect_line(text, "jigd_sse_clients 0");
    assert_true(promtool_happy(text));
    harness_stop(h);
}

static void test_requests_counted_by_route(void **state)
{
    (void)state;
    struct harness_options opt = {.trust_local = true};
    struct harness *h = harness_start(&opt);
    assert_int_equal(ask(h, "GET", "/api/v1/station", NULL), 200);
    assert_int_equal(ask(h, "GET", "/api/v1/station", NULL), 200);
    assert_int_equal(ask(h, "GET", "/api/v1/slots/9", NULL), 404);     /* the handler's */
    assert_int_equal(ask(h, "GET", "/api/v1/slots/abc", NULL), 404);   /* the door's */
    assert_int_equal(ask(h, "GET", "/api/v1/no-such-thing", NULL), 404);
    assert_int_equal(ask(h, "POST", "/api/v1/slots/1/start", NULL), 415);
    assert_int_equal(ask(h, "BREW", "/api/v1/station", NULL), 405);
    assert_int_equal(ask(h, "POST", "/api/v1/slots/1/start",
                         "Content-Type: application/json\r\n"), 202);
    const char *text = scrape(h, NULL);
    expect_line(text, "jigd_http_requests_total{method=\"GET\",route=\"/api/v1/station\","
                      "code=\"200\"} 2");
    expect_line(text, "jigd_http_requests_total{method=\"GET\",route=\"/api/v1/slots/{slot}\","
                      "code=\"404\"} 1");
    expect_line(text, "jigd_http_requests_total{method=\"GET\",route=\"unmatched\","
                      "code=\"404\"} 2");
    expect_line(text, "jigd_http_requests_total{method=\"POST\","
                      "route=\"/api/v1/slots/{slot}/start\",code=\"415\"} 1");
    expect_line(text, "jigd_http_requests_total{method=\"POST\","
                      "route=\"/api/v1/slots/{slot}/start\",code=\"202\"} 1");
    expect_line(text, "jigd_http_requests_total{method=\"other\",route=\"unmatched\","
                      "code=\"405\"} 1");
    assert_null(strstr(text, "abc"));
    assert_null(strstr(text, "no-such-thing"));
    assert_null(strstr(text, "BREW"));
    /* This scrape is counted when it is answered: the next one shows it. */
    text = scrape(h, NULL);
    expect_line(text, "jigd_http_requests_total{method=\"GET\",route=\"/metrics\","
                      "code=\"200\"} 1");
    assert_true(promtool_happy(text));
    harness_stop(h);
}

static void test_event_streams_counted(void **state)
{
    (void)state;
    /* A stream whose client left is noticed at its next heartbeat. */
    struct harness_options opt = {.sse = {.heartbeat_ms = 100}};
    struct harness *h = harness_start(&opt);
    int fd = harness_connect(h);
    assert_true(fd >= 0);
    char req[128];
    int n = snprintf(req, sizeof req, "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                     h->port);
    raw_send(fd, req, (size_t)n);
    assert_true(harness_wait_streams(h, 1, 5000));
    const char *text = scrape(h, NULL);
    expect_line(text, "jigd_sse_clients 1");
    expect_line(text, "jigd_http_requests_total{method=\"GET\",route=\"/api/v1/events\","
                      "code=\"200\"} 1");
    close(fd);
    assert_true(harness_wait_streams(h, 0, 5000));
    expect_line(scrape(h, NULL), "jigd_sse_clients 0");
    harness_stop(h);
}

/* Prometheus sends the token as `authorization:` in its scrape config. */
static void test_token_asked_for(void **state)
{
    (void)state;
    struct harness_options opt = {.token = TOKEN};
    struct harness *h = harness_start(&opt);
    char got[64];
    assert_int_equal(ask(h, "GET", "/metrics", NULL), 401);
    assert_non_null(raw_header(answer, "WWW-Authenticate", got, sizeof got));
    assert_int_equal(ask(h, "GET", "/metrics", "Authorization: Bearer jigd_wrong\r\n"), 401);
    const char *text = scrape(h, TOKEN);
    expect_line(text, "jigd_http_requests_total{method=\"GET\",route=\"/metrics\","
                      "code=\"401\"} 2");
    assert_null(strstr(text, TOKEN));
    harness_stop(h);
}

static void make_bad(struct harness *h, void *arg)
{
    h->station.bad_metrics = *(bool *)arg;
}

static void test_a_mistake_is_500_not_half_a_scrape(void **state)
{
    (void)state;
    struct harness *h = harness_start(NULL);
    bool bad = true;
    harness_on_loop(h, make_bad, &bad);
    assert_int_equal(ask(h, "GET", "/metrics", NULL), 500);
    const char *body = raw_body(answer);
    assert_non_null(strstr(body, "\"error\""));
    assert_non_null(strstr(body, "fake_things"));
    assert_non_null(strstr(body, "_total"));
    assert_null(strstr(body, "# HELP"));
    bad = false;
    harness_on_loop(h, make_bad, &bad);
    expect_line(scrape(h, NULL), "jigd_http_requests_total{method=\"GET\",route=\"/metrics\","
                                 "code=\"500\"} 1");
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scrape_is_the_text_format),
        cmocka_unit_test(test_requests_counted_by_route),
        cmocka_unit_test(test_event_streams_counted),
        cmocka_unit_test(test_token_asked_for),
        cmocka_unit_test(test_a_mistake_is_500_not_half_a_scrape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
