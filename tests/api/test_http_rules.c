/* What a request must be before jigd acts on it: the rules that keep a web
 * page open in a browser on the station (or anywhere on the line network)
 * from driving the station (foreign Origin, DNS rebinding, a text/plain
 * POST, no token), and strict HTTP framing (bare LF, two Content-Lengths,
 * percent-encoded paths). Everything here goes over raw sockets so the
 * bytes on the wire are exactly the ones written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api_harness.h"
#include "raw_http.h"

/* ---- helpers ----------------------------------------------------------- */

static char answer[16384];

/* Sends `fmt` (with every "@" replaced by this server's 127.0.0.1:port) and
 * returns the status; the whole answer is left in `answer`. */
static int ask(struct harness *h, const char *fmt)
{
    char req[8192], hostport[32];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%u", h->port);
    size_t n = 0;
    for (const char *p = fmt; *p && n < sizeof req - 32; p++) {
        if (*p == '@') {
            n += (size_t)snprintf(req + n, sizeof req - n, "%s", hostport);
            continue;
        }
        req[n++] = *p;
    }
    req[n] = '\0';
    return raw_exchange(h->port, NULL, req, n, answer, sizeof answer);
}

static void expect(struct harness *h, const char *req, int want, const char *needle)
{
    int got = ask(h, req);
    if (got != want)
        fail_msg("HTTP %d, expected %d, for:\n%s\nanswer:\n%s", got, want, req, answer);
    if (needle && !strstr(answer, needle))
        fail_msg("the answer does not mention '%s':\n%s", needle, answer);
    if (want >= 400) {
        cJSON *o = cJSON_Parse(raw_body(answer));
        if (!o || !cJSON_IsString(cJSON_GetObjectItem(o, "error")) ||
            !cJSON_IsString(cJSON_GetObjectItem(o, "hint")) ||
            !cJSON_GetObjectItem(o, "hint")->valuestring[0])
            fail_msg("an error must be {\"error\", \"hint\"}: %s", raw_body(answer));
        cJSON_Delete(o);
    }
}

static bool slot1_running(struct harness *h)
{
    return h->station.slots[0].state == SLOT_RUNNING;   /* the loop is idle now */
}

static int start_trusted(void **state)
{
    struct harness_options o = {.trust_local = true};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int start_plain(void **state)
{
    *state = harness_start(NULL);
    return *state ? 0 : -1;
}

static int stop(void **state)
{
    harness_stop(*state);
    return 0;
}

#define START_SLOT1 "POST /api/v1/slots/1/start HTTP/1.1\r\nHost: @\r\n"

/* ---- a web page in a browser ------------------------------------------- */

static void test_foreign_origin_is_refused(void **state)
{
    struct harness *h = *state;
    /* A page on another site posting to the station (CSRF), even with the
     * right content type (a preflight would say no; this one skips it). */
    expect(h, START_SLOT1 "Origin: http://evil.example\r\n"
              "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
           403, "Origin");
    assert_false(slot1_running(h));
    expect(h, "GET /api/v1/slots HTTP/1.1\r\nHost: @\r\nOrigin: http://evil.example\r\n\r\n",
           403, "Origin");
    /* A sandboxed frame or a file:// page says "null". */
    expect(h, START_SLOT1 "Origin: null\r\nContent-Type: application/json\r\n"
              "Content-Length: 0\r\n\r\n", 403, "Origin");
    /* The same host on another port is another origin. */
    expect(h, START_SLOT1 "Origin: http://127.0.0.1:1\r\nContent-Type: application/json\r\n"
              "Content-Length: 0\r\n\r\n", 403, "Origin");
    assert_false(slot1_running(h));
    /* The station's own page (same origin) may. */
    expect(h, START_SLOT1 "Origin: http://@\r\nContent-Type: application/json\r\n"
              "Content-Length: 0\r\n\r\n", 202, NULL);
    assert_true(slot1_running(h));
}

static void test_rebinding_host_is_refused(void **state)
{
    struct harness *h = *state;
    /* DNS rebinding: the page's own name now points at 127.0.0.1, so the
     * browser calls it same-origin and sends its name as Host. */
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: attacker.example:8080\r\n\r\n",
           403, "Host");
    expect(h, "POST /api/v1/slots/1/start HTTP/1.1\r\nHost: rebind.example\r\n"
              "Origin: http://rebind.example\r\nContent-Type: application/json\r\n"
              "Content-Length: 0\r\n\r\n", 403, "Host");
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: 127.0.0.1.nip.io\r\n\r\n", 403, "Host");
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: localhost.evil.example\r\n\r\n",
           403, "Host");
    assert_false(slot1_running(h));
    /* The names of this machine are fine, with or without a port. */
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\r\n\r\n", 200, NULL);
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", 200, NULL);
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: LocalHost\r\n\r\n", 200, NULL);
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200, NULL);
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, NULL);
    /* No Host at all is not HTTP/1.1. */
    expect(h, "GET /api/v1/station HTTP/1.1\r\n\r\n", 400, "Host");
}

static void test_state_changes_need_json(void **state)
{
    struct harness *h = *state;
    /* What an HTML form or a no-cors fetch can send without a preflight. */
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: text/plain\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 415, "application/json");
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 415, "application/json");
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/jsonx\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 415, NULL);
    assert_false(h->station.bundle_loaded);
    expect(h, START_SLOT1 "Content-Length: 0\r\n\r\n", 415, "Content-Type");
    assert_false(slot1_running(h));
    /* JSON with parameters, in any case, is JSON. */
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: Application/JSON ; charset=utf-8\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 200, NULL);
    assert_true(h->station.bundle_loaded);
}

static void test_options_answers_without_granting_cors(void **state)
{
    struct harness *h = *state;
    char allow[128], acao[128];
    expect(h, "OPTIONS /api/v1/slots/1/start HTTP/1.1\r\nHost: @\r\n\r\n", 204, NULL);
    assert_non_null(raw_header(answer, "Allow", allow, sizeof allow));
    assert_non_null(strstr(allow, "POST"));
    assert_non_null(strstr(allow, "OPTIONS"));
    assert_null(raw_header(answer, "Access-Control-Allow-Origin", acao, sizeof acao));
    expect(h, "OPTIONS /api/v1/slots HTTP/1.1\r\nHost: @\r\n\r\n", 204, NULL);
    assert_non_null(raw_header(answer, "Allow", allow, sizeof allow));
    assert_non_null(strstr(allow, "GET"));
    assert_null(strstr(allow, "POST"));
    /* A foreign page's preflight: no, and no CORS header either. */
    expect(h, "OPTIONS /api/v1/slots/1/start HTTP/1.1\r\nHost: @\r\n"
              "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n",
           403, "Origin");
    assert_null(raw_header(answer, "Access-Control-Allow-Origin", acao, sizeof acao));
    expect(h, "OPTIONS /api/v1/nothing HTTP/1.1\r\nHost: @\r\n\r\n", 404, "no endpoint");
}

/* ---- no token ---------------------------------------------------------- */

static void test_no_token_means_read_only(void **state)
{
    struct harness *h = *state;     /* no token, not trusted-local */
    expect(h, "GET /api/v1/slots HTTP/1.1\r\nHost: @\r\n\r\n", 200, NULL);
    expect(h, START_SLOT1 "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n",
           401, "api_trust_local");
    assert_false(slot1_running(h));
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 401, NULL);
    assert_false(h->station.bundle_loaded);
    /* Reads still check who is asking: rebinding could read the station. */
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: attacker.example\r\n\r\n", 403, "Host");
}

static void test_token_rules(void **state)
{
    struct harness_options o = {.token = "s3cret-token-0123"};
    struct harness *h = harness_start(&o);
    expect(h, START_SLOT1 "Authorization: Bearer s3cret-token-0123\r\n"
              "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n", 202, NULL);
    /* Two Authorization headers: which one counts is up to whoever reads
     * it; refuse rather than guess. */
    expect(h, "POST /api/v1/slots/1/abort HTTP/1.1\r\nHost: @\r\n"
              "Authorization: Bearer s3cret-token-0123\r\nAuthorization: Bearer wrong\r\n"
              "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n", 400,
           "Authorization");
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\r\n"
              "Authorization: Bearer wrong\r\nAuthorization: Bearer s3cret-token-0123\r\n\r\n",
           400, "Authorization");
    assert_true(slot1_running(h));
    /* With a token, any Host will do (the MES may use the station's name)
     * but a foreign Origin still may not. */
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: line3-east.plant.example\r\n"
              "Authorization: Bearer s3cret-token-0123\r\n\r\n", 200, NULL);
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\r\nOrigin: http://evil.example\r\n"
              "Authorization: Bearer s3cret-token-0123\r\n\r\n", 403, "Origin");
    char www[128];
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\r\n\r\n", 401, NULL);
    assert_non_null(raw_header(answer, "WWW-Authenticate", www, sizeof www));
    harness_stop(h);
}

static void test_a_token_is_needed_to_listen_beyond_loopback(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[256] = "";
    struct http_server_options o = {.host = "0.0.0.0", .port = 0};
    struct http_server *s = http_server_start(&loop, &o, err, sizeof err);
    if (s) {
        http_server_stop(s, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        fail_msg("serving 0.0.0.0 without a token was accepted");
    }
    assert_non_null(strstr(err, "token"));
    uv_loop_close(&loop);
}

/* ---- framing ----------------------------------------------------------- */

static void test_bare_lf_and_cr_are_refused(void **state)
{
    struct harness *h = *state;
    expect(h, "GET /api/v1/station HTTP/1.1\nHost: @\n\n", 400, "CRLF");
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\nX-A: b\r\n\r\n", 400, "CRLF");
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\rX-A: b\r\n\r\n", 400, NULL);
    /* A header folded onto the next line (obsolete, and a smuggling tool). */
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost: @\r\nX-A: b\r\n c\r\n\r\n", 400, NULL);
    expect(h, "GET /api/v1/station HTTP/1.1\r\nHost : @\r\n\r\n", 400, NULL);
}

static void test_conflicting_lengths_are_refused(void **state)
{
    struct harness *h = *state;
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 400, "Content-Length");
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: 28\r\nContent-Length: 28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 400, "Content-Length");
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: 28\r\n"
              "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, NULL);
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: +28\r\n\r\n"
              "{\"path\":\"/bundles/acme-1.4\"}", 400, "Content-Length");
    assert_false(h->station.bundle_loaded);
    expect(h, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: 99999\r\n\r\n", 413, NULL);
}

static void test_encoded_paths_do_not_alias_routes(void **state)
{
    struct harness *h = *state;
    expect(h, "GET /api/v1/slots/%31 HTTP/1.1\r\nHost: @\r\n\r\n", 404, "not a slot");
    expect(h, "POST /api/v1/slots/%31/start HTTP/1.1\r\nHost: @\r\n"
              "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n", 404, NULL);
    assert_false(slot1_running(h));
    expect(h, "GET /api/v1/%73tation HTTP/1.1\r\nHost: @\r\n\r\n", 404, "no endpoint");
    expect(h, "GET /api/v1/slots%2F1 HTTP/1.1\r\nHost: @\r\n\r\n", 404, NULL);
    expect(h, "GET /api/v1/slots/1 HTTP/1.1\r\nHost: @\r\n\r\n", 200, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_foreign_origin_is_refused, start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_rebinding_host_is_refused, start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_state_changes_need_json, start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_options_answers_without_granting_cors,
                                        start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_no_token_means_read_only, start_plain, stop),
        cmocka_unit_test(test_token_rules),
        cmocka_unit_test(test_a_token_is_needed_to_listen_beyond_loopback),
        cmocka_unit_test_setup_teardown(test_bare_lf_and_cr_are_refused, start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_conflicting_lengths_are_refused,
                                        start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_encoded_paths_do_not_alias_routes,
                                        start_trusted, stop),
    };
    if (getenv("API_TEST_FILTER"))
        cmocka_set_test_filter(getenv("API_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
