/* GET /api/v1/attempts and /units/{key} on fake_station (a FAKE backend):
 * the query's filters reach the backend as parsed, bad ones are refused
 * with what to send, pages follow a cursor, CSV is served as text/csv, and
 * a viewer may read them. The rows themselves are the database's reports
 * (tests/db/test_reports.c) and are held to jigctl audit's in
 * tests/jigd/records_api.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api_harness.h"
#include "raw_http.h"

static int start(void **state)
{
    struct harness_options o = {.max_body = 1024};
    struct harness *h = harness_start(&o);
    h->station.n_attempts = 5;
    *state = h;
    return 0;
}

static int stop(void **state)
{
    harness_stop(*state);
    return 0;
}

static int get(struct harness *h, const char *path, char *out, size_t cap)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", path,
                     h->port);
    return raw_exchange(h->port, NULL, req, (size_t)n, out, cap);
}

static void test_filters_reach_the_backend(void **state)
{
    struct harness *h = *state;
    char out[8192];
    assert_int_equal(get(h, "/api/v1/attempts?slot=3&limit=2&order=oldest&cursor=1&phase=write",
                         out, sizeof out), 200);
    const struct api_attempt_query *q = &h->station.last_query;
    assert_string_equal(h->station.last_phase, "write");
    assert_int_equal(q->slot, 3);
    assert_int_equal(q->limit, 2);
    assert_int_equal(q->cursor, 1);
    assert_false(q->newest_first);
    /* A full page names where the next begins; the last page says null. */
    assert_non_null(strstr(raw_body(out), "\"next_cursor\":3"));
    assert_int_equal(get(h, "/api/v1/attempts?order=oldest&limit=2&cursor=4", out,
                         sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"next_cursor\":null"));
    /* The defaults: newest first, 100 at most, any slot. */
    assert_int_equal(get(h, "/api/v1/attempts", out, sizeof out), 200);
    assert_true(h->station.last_query.newest_first);
    assert_int_equal(h->station.last_query.limit, 100);
    assert_int_equal(h->station.last_query.slot, -1);
    assert_non_null(strstr(raw_body(out), "{\"attempt_id\":5,"));
}

static void test_bad_filters_say_what_to_send(void **state)
{
    struct harness *h = *state;
    char out[8192];
    static const char *const bad[][2] = {
        {"/api/v1/attempts?limit=0", "limit = '0' is not a whole number from 1 to 1000"},
        {"/api/v1/attempts?limit=1001", "from 1 to 1000"},
        {"/api/v1/attempts?limit=-5", "limit = '-5'"},
        {"/api/v1/attempts?limit=+5", "is not a whole number"},     /* '+' is a space */
        {"/api/v1/attempts?cursor=x", "cursor = 'x'"},
        {"/api/v1/attempts?slot=01", "slot = '01' is not a slot number"},
        {"/api/v1/attempts?order=up", "order 'up'"},
        {"/api/v1/attempts?format=xml", "format 'xml'"},
        {"/api/v1/attempts?from=yesterday", "'yesterday' is not a time"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (get(h, bad[i][0], out, sizeof out) != 400 || !strstr(raw_body(out), bad[i][1]))
            fail_msg("%s: %s", bad[i][0], out);
        assert_non_null(strstr(raw_body(out), "\"hint\":\""));
    }
}

static void test_csv_and_a_units_story(void **state)
{
    struct harness *h = *state;
    char out[8192], type[64];
    assert_int_equal(get(h, "/api/v1/attempts?format=csv&limit=3", out, sizeof out), 200);
    assert_string_equal(raw_header(out, "Content-Type", type, sizeof type),
                        "text/csv; charset=utf-8");
    assert_string_equal(raw_body(out), "attempt_id,result\n3 rows\n");
    assert_int_equal(get(h, "/api/v1/units/SN000123", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"serial\":\"SN000123\""));
    assert_int_equal(get(h, "/api/v1/units/SN999", out, sizeof out), 404);
    assert_non_null(strstr(raw_body(out), "no unit has serial or MAC 'SN999'"));
}

static void test_reports_by_name(void **state)
{
    struct harness *h = *state;
    char out[8192];
    assert_int_equal(get(h, "/api/v1/reports/yield", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"first_pass\":3"));
    assert_int_equal(get(h, "/api/v1/reports/rate", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "{\"rows\":[{\"hour\":"));
    assert_int_equal(get(h, "/api/v1/reports/rate?format=csv", out, sizeof out), 200);
    assert_string_equal(raw_body(out), "attempt_id,result\n1 rows\n");    /* the FAKE writer */
    assert_int_equal(get(h, "/api/v1/reports/yield?format=csv", out, sizeof out), 400);
    assert_non_null(strstr(raw_body(out), "the yield report is one object"));
    assert_int_equal(get(h, "/api/v1/reports/pareto?by=cause", out, sizeof out), 400);
    assert_int_equal(get(h, "/api/v1/reports/speed", out, sizeof out), 404);
    assert_non_null(strstr(raw_body(out), "there is no report 'speed'"));
}

static int post_as(struct harness *h, const char *path, const char *type, const char *body,
                   char *out, size_t cap)
{
    char req[1024];
    int n = snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s", path,
                     h->port, type, strlen(body), body);
    return raw_exchange(h->port, NULL, req, (size_t)n, out, cap);
}

static int post(struct harness *h, const char *path, const char *body, char *out, size_t cap)
{
    return post_as(h, path, "application/json", body, out, cap);
}

/* Trusted-local: this machine acts as 'local' (an admin) without a token. */
static int start_trusted(void **state)
{
    struct harness_options o = {.max_body = 1024, .trust_local = true};
    *state = harness_start(&o);
    return 0;
}

static void test_work_orders_are_made_and_read(void **state)
{
    struct harness *h = *state;
    char out[8192];
    assert_int_equal(post(h, "/api/v1/work-orders", "{\"id\":\"WO-12\",\"quantity\":500}", out,
                          sizeof out), 201);
    assert_non_null(strstr(raw_body(out), "\"id\":\"WO-12\""));
    assert_string_equal(h->station.last_actor, "local");
    assert_int_equal(post(h, "/api/v1/work-orders", "{\"id\":\"WO-12\",\"quantity\":5}", out,
                          sizeof out), 409);
    assert_non_null(strstr(raw_body(out), "work order WO-12 already exists"));
    static const char *const bad[] = {
        "{\"id\":\"WO-13\"}", "{\"id\":\"WO-13\",\"quantity\":0}",
        "{\"id\":\"WO-13\",\"quantity\":2.5}", "{\"id\":13,\"quantity\":5}", "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (post(h, "/api/v1/work-orders", bad[i], out, sizeof out) != 400)
            fail_msg("%s was not refused: %s", bad[i], out);
    assert_int_equal(get(h, "/api/v1/work-orders", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"work_orders\":[{\"id\":\"WO-12\",\"quantity\":500,"
                                          "\"active\":false,\"seq\":1}]"));
    assert_non_null(strstr(raw_body(out), "\"next_cursor\":null"));
    assert_int_equal(get(h, "/api/v1/work-orders/WO-12", out, sizeof out), 200);
    assert_int_equal(get(h, "/api/v1/work-orders/WO-99", out, sizeof out), 404);
    assert_non_null(strstr(raw_body(out), "work order WO-99 is unknown"));
    /* Its bundle and serial format are text, or left out. */
    assert_int_equal(post(h, "/api/v1/work-orders", "{\"id\":\"WO-14\",\"quantity\":5,"
                          "\"bundle\":\"fa4e0000\",\"serial_format\":\"A-{seq}\"}", out,
                          sizeof out), 201);
    assert_int_equal(post(h, "/api/v1/work-orders", "{\"id\":\"WO-15\",\"quantity\":5,"
                          "\"bundle\":5}", out, sizeof out), 400);
    assert_non_null(strstr(raw_body(out), "'bundle' (a stored bundle's id)"));
    /* The list in pages, as every list is. */
    assert_int_equal(get(h, "/api/v1/work-orders?limit=1", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"next_cursor\":1,"));
    assert_int_equal(get(h, "/api/v1/work-orders?limit=1&cursor=1", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"id\":\"WO-14\""));
    assert_int_equal(get(h, "/api/v1/work-orders?limit=0", out, sizeof out), 400);
    /* Activated: the station's from now on. */
    assert_int_equal(post(h, "/api/v1/work-orders/WO-14/activate", "{}", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"active\":true"));
    assert_int_equal(post(h, "/api/v1/work-orders/WO-99/activate", "{}", out, sizeof out), 404);
}

/* POST /api/v1/bundles: the archive is the body, and its answer comes
 * from the backend through a deferred request. */
static void test_bundles_are_uploaded_listed_and_activated(void **state)
{
    struct harness *h = *state;
    char out[8192];
    assert_int_equal(get(h, "/api/v1/bundles", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"bundles\":[]"));
    assert_int_equal(post_as(h, "/api/v1/bundles", "application/x-tar", "BUNDLE\001\002", out,
                             sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"result\":\"stored\""));
    assert_int_equal((int)h->station.upload_len, 8);
    assert_int_equal(post_as(h, "/api/v1/bundles", "application/zip", "BUNDLE again", out,
                             sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"result\":\"held\""));
    assert_int_equal(post_as(h, "/api/v1/bundles", "application/gzip", "not a bundle", out,
                             sizeof out), 422);
    assert_non_null(strstr(raw_body(out), "climbs out of the bundle"));
    assert_int_equal(post(h, "/api/v1/bundles", "{\"path\":\"/x\"}", out, sizeof out), 415);
    assert_int_equal(get(h, "/api/v1/bundles", out, sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"id\":\"" FAKE_BUNDLE_ID "\""));
    assert_int_equal(post(h, "/api/v1/bundles/fa4e0000/activate", "{}", out, sizeof out), 202);
    assert_int_equal(post(h, "/api/v1/bundles/00000000/activate", "{}", out, sizeof out), 404);
    assert_non_null(strstr(raw_body(out), "GET /api/v1/bundles lists"));
}

static void test_a_serial_is_voided_once_with_a_reason(void **state)
{
    struct harness *h = *state;
    char out[8192];
    assert_int_equal(post(h, "/api/v1/serials/SN000123/void", "{}", out, sizeof out), 400);
    assert_non_null(strstr(raw_body(out), "say why the serial is voided"));
    assert_int_equal(post(h, "/api/v1/serials/SN000123/void", "{\"reason\":\"scrapped\"}", out,
                          sizeof out), 200);
    assert_non_null(strstr(raw_body(out), "\"result\":\"voided\""));
    assert_string_equal(h->station.last_actor, "local");
    assert_int_equal(post(h, "/api/v1/serials/SN000123/void", "{\"reason\":\"again\"}", out,
                          sizeof out), 409);
    assert_int_equal(post(h, "/api/v1/serials/SN9/void", "{\"reason\":\"x\"}", out, sizeof out),
                     404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filters_reach_the_backend, start, stop),
        cmocka_unit_test_setup_teardown(test_bad_filters_say_what_to_send, start, stop),
        cmocka_unit_test_setup_teardown(test_csv_and_a_units_story, start, stop),
        cmocka_unit_test_setup_teardown(test_reports_by_name, start, stop),
        cmocka_unit_test_setup_teardown(test_work_orders_are_made_and_read, start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_bundles_are_uploaded_listed_and_activated,
                                        start_trusted, stop),
        cmocka_unit_test_setup_teardown(test_a_serial_is_voided_once_with_a_reason, start_trusted,
                                        stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
