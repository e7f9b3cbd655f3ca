/* The two parsers with no I/O: route patterns (with slot numbers) and the
 * SSE stream reader jigctl uses. The fuzzers run the same code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_route.h"
#include "api_sse_parser.h"

static void test_slot_numbers_have_one_spelling(void **state)
{
    int slot = -1;
    assert_int_equal(api_route_parse_slot("1", 1, &slot), 0);
    assert_int_equal(slot, 1);
    assert_int_equal(api_route_parse_slot("64", 2, &slot), 0);
    assert_int_equal(slot, 64);
    assert_int_equal(api_route_parse_slot("999", 3, &slot), 0);
    static const char *const bad[] = {"", "0", "01", "-1", "+1", "1a", " 1", "1000",
                                      "0x1", "1e2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (api_route_parse_slot(bad[i], strlen(bad[i]), &slot) == 0)
            fail_msg("'%s' was taken as slot %d", bad[i], slot);
    /* Only `len` bytes count: no NUL needed. */
    assert_int_equal(api_route_parse_slot("12/start", 2, &slot), 0);
    assert_int_equal(slot, 12);
}

static void test_routes_match_whole_segments(void **state)
{
    struct api_route_params p;
    assert_int_equal(api_route_match("/api/v1/slots", "/api/v1/slots", &p), API_ROUTE_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots", "/api/v1/slots/", &p), API_ROUTE_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots", "/api/v1/slots//", &p),
                     API_ROUTE_NO_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots", "/api/v1/slotsx", &p),
                     API_ROUTE_NO_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots", "/api/v1", &p), API_ROUTE_NO_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots", "/api/v1/slots/1", &p),
                     API_ROUTE_NO_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots", "api/v1/slots", &p),
                     API_ROUTE_NO_MATCH);
    assert_int_equal(api_route_match("/api/v1/slots/{slot}/start", "/api/v1/slots/7/start", &p),
                     API_ROUTE_MATCH);
    assert_int_equal(p.slot, 7);
    assert_string_equal(api_route_param(&p, "slot"), "7");
    assert_int_equal(api_route_match("/api/v1/slots/{slot}/start", "/api/v1/slots//start", &p),
                     API_ROUTE_NO_MATCH);
}

static void test_bad_slot_is_named(void **state)
{
    struct api_route_params p;
    assert_int_equal(api_route_match("/api/v1/slots/{slot}", "/api/v1/slots/abc", &p),
                     API_ROUTE_BAD_PARAM);
    assert_string_equal(p.bad, "abc");
    /* A bad slot in a path that fits no pattern anyway is no route at all. */
    assert_int_equal(api_route_match("/api/v1/slots/{slot}/start", "/api/v1/slots/x/stop", &p),
                     API_ROUTE_NO_MATCH);
}

static void test_text_params_are_captured(void **state)
{
    struct api_route_params p;
    assert_int_equal(api_route_match("/api/v1/units/{serial}/attempts",
                                     "/api/v1/units/SN-0042/attempts", &p), API_ROUTE_MATCH);
    assert_string_equal(api_route_param(&p, "serial"), "SN-0042");
    assert_null(api_route_param(&p, "slot"));
    assert_int_equal(p.slot, 0);
    char path[400] = "/api/v1/units/";
    memset(path + 14, 'a', 300);
    assert_int_equal(api_route_match("/api/v1/units/{serial}", path, &p), API_ROUTE_BAD_PARAM);
}

/* ---- SSE --------------------------------------------------------------- */

struct seen {
    int n;
    char type[8][32], id[8][32], data[8][128];
};

static int record(void *ctx, const struct sse_event *ev)
{
    struct seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->type[s->n], 32, "%s", ev->type);
        snprintf(s->id[s->n], 32, "%s", ev->id);
        snprintf(s->data[s->n], 128, "%s", ev->data);
        assert_int_equal(strlen(ev->data), ev->data_len);
    }
    s->n++;
    return 0;
}

static const char stream[] =
    "\xEF\xBB\xBF: jigd events\r\nretry: 2000\r\n\r\n"
    "id: 1\nevent: progress\ndata: {\"a\":1}\n\n"
    "data: two\rdata:lines\r\r"
    "id: 7\r\nevent: result\r\ndata: x\r\nunknown: field\r\n\r\n"
    "event: nodata\n\n"
    ": heartbeat\n\n"
    "data: unterminated";

static void check_stream(const struct seen *s, const struct sse_parser *p)
{
    assert_int_equal(s->n, 3);
    assert_string_equal(s->type[0], "progress");
    assert_string_equal(s->id[0], "1");
    assert_string_equal(s->data[0], "{\"a\":1}");
    assert_string_equal(s->type[1], "message");
    assert_string_equal(s->id[1], "1");     /* the id carries over */
    assert_string_equal(s->data[1], "two\nlines");
    assert_string_equal(s->type[2], "result");
    assert_string_equal(s->id[2], "7");
    assert_int_equal(p->comments, 2);
    assert_int_equal(p->retry_ms, 2000);
}

static void test_sse_stream_whole(void **state)
{
    struct sse_parser *p = malloc(sizeof *p);
    struct seen s = {0};
    sse_parser_init(p, record, &s);
    assert_int_equal(sse_parser_feed(p, stream, sizeof stream - 1, NULL), SSE_OK);
    check_stream(&s, p);
    free(p);
}

static void test_sse_stream_any_split(void **state)
{
    /* Every split point, including inside CRLF and inside the BOM. */
    struct sse_parser *p = malloc(sizeof *p);
    for (size_t cut = 0; cut <= sizeof stream - 1; cut++) {
        struct seen s = {0};
        sse_parser_init(p, record, &s);
        assert_int_equal(sse_parser_feed(p, stream, cut, NULL), SSE_OK);
        assert_int_equal(sse_parser_feed(p, stream + cut, sizeof stream - 1 - cut, NULL),
                         SSE_OK);
        check_stream(&s, p);
    }
    /* And one byte at a time. */
    struct seen s = {0};
    sse_parser_init(p, record, &s);
    for (size_t i = 0; i < sizeof stream - 1; i++)
        assert_int_equal(sse_parser_feed(p, stream + i, 1, NULL), SSE_OK);
    check_stream(&s, p);
    free(p);
}

static int stop_after_first(void *ctx, const struct sse_event *ev)
{
    (*(int *)ctx)++;
    return 1;
}

static void test_sse_callback_can_stop(void **state)
{
    struct sse_parser *p = malloc(sizeof *p);
    int calls = 0;
    sse_parser_init(p, stop_after_first, &calls);
    static const char two[] = "data: a\n\ndata: b\n\n";
    size_t used = 0;
    assert_int_equal(sse_parser_feed(p, two, sizeof two - 1, &used), SSE_STOPPED);
    assert_int_equal(used, 9);
    assert_int_equal(calls, 1);
    free(p);
}

static void test_sse_limits(void **state)
{
    struct sse_parser *p = malloc(sizeof *p);
    struct seen s = {0};
    sse_parser_init(p, record, &s);
    char *line = malloc(SSE_LINE_MAX + 10);
    memset(line, 'x', SSE_LINE_MAX + 10);
    assert_int_equal(sse_parser_feed(p, line, SSE_LINE_MAX + 10, NULL), SSE_ERROR);
    assert_non_null(strstr(p->error, "longer than 16 KiB"));
    assert_int_equal(sse_parser_feed(p, "\n\n", 2, NULL), SSE_ERROR);  /* stays failed */

    /* Many data lines adding up past the data limit. */
    sse_parser_init(p, record, &s);
    memcpy(line, "data: ", 6);
    line[8000] = '\n';
    enum sse_feed_result r = SSE_OK;
    for (int i = 0; i < 20 && r == SSE_OK; i++)
        r = sse_parser_feed(p, line, 8001, NULL);
    assert_int_equal(r, SSE_ERROR);
    assert_non_null(strstr(p->error, "larger than 64 KiB"));
    free(line);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_numbers_have_one_spelling),
        cmocka_unit_test(test_routes_match_whole_segments),
        cmocka_unit_test(test_bad_slot_is_named),
        cmocka_unit_test(test_text_params_are_captured),
        cmocka_unit_test(test_sse_stream_whole),
        cmocka_unit_test(test_sse_stream_any_split),
        cmocka_unit_test(test_sse_callback_can_stop),
        cmocka_unit_test(test_sse_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
