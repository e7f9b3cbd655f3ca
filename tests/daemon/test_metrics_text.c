/* The Prometheus text format of GET /metrics (daemon/metrics): families
 * with HELP and TYPE, label values that would break a line or a quote
 * (backslash, double quote, newline, bytes that are not UTF-8), histograms
 * written cumulative with le="+Inf", _sum and _count, numbers as the format
 * spells them, and every mistake refused with what it was.
 *
 * `test_metrics_text --sample` prints a scrape full of such values instead;
 * ctest's daemon/metrics_text_promtool hands it to promtool (Prometheus'
 * own parser and linter), so the escaping is proven against a reader we
 * did not write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics_text.h"

static const double bounds[] = {0.25, 0.5, 1};
static const double other_bounds[] = {0.25, 0.5, 1};

/* The text so far, which must be whole. */
static const char *text_of(const struct metrics_text *m)
{
    const char *t = metrics_text_result(m, NULL);
    if (!t)
        fail_msg("the text failed: %s", m->why);
    return t;
}

static void expect_mistake(struct metrics_text *m, const char *want)
{
    assert_null(metrics_text_result(m, NULL));
    if (!strstr(m->why, want))
        fail_msg("expected a mistake naming '%s', got '%s'", want, m->why);
    metrics_text_free(m);
}

static void test_counter_and_gauge(void **state)
{
    (void)state;
    struct metrics_text m;
    metrics_text_init(&m);
    metrics_family(&m, METRICS_COUNTER, "jigd_things_total", "Things counted.");
    metrics_count(&m, (const struct metrics_label[]){{"slot", "1"}, {"result", "ok"}}, 2, 3);
    metrics_count(&m, NULL, 0, UINT64_MAX);
    metrics_family(&m, METRICS_GAUGE, "jigd_level", "A level.");
    metrics_value(&m, NULL, 0, 0.1);
    metrics_value(&m, (const struct metrics_label[]){{"a", ""}}, 1, -2.5);
    size_t len;
    const char *t = metrics_text_result(&m, &len);
    assert_non_null(t);
    assert_string_equal(t,
        "# HELP jigd_things_total Things counted.\n"
        "# TYPE jigd_things_total counter\n"
        "jigd_things_total{slot=\"1\",result=\"ok\"} 3\n"
        "jigd_things_total 18446744073709551615\n"
        "# HELP jigd_level A level.\n"
        "# TYPE jigd_level gauge\n"
        "jigd_level 0.1\n"
        "jigd_level{a=\"\"} -2.5\n");
    assert_int_equal(len, strlen(t));
    metrics_text_free(&m);
}

/* Backslash, double quote and newline are escaped in a label value; in
 * HELP, backslash and newline only (a quote there is text). */
static void test_escapes(void **state)
{
    (void)state;
    struct metrics_text m;
    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "x", "say \"hi\"\\ then\nmore");
    metrics_value(&m, (const struct metrics_label[]){{"v", "C:\\dir \"q\"\nnext"}}, 1, 1);
    assert_string_equal(text_of(&m),
        "# HELP x say \"hi\"\\\\ then\\nmore\n"
        "# TYPE x gauge\n"
        "x{v=\"C:\\\\dir \\\"q\\\"\\nnext\"} 1\n");
    metrics_text_free(&m);
}

/* UTF-8 is kept as it is; every byte that is not part of a valid sequence
 * (a lone continuation, a truncated sequence, an overlong form, a
 * surrogate, past U+10FFFF) becomes U+FFFD, so the line still parses. */
static void test_utf8(void **state)
{
    (void)state;
    struct metrics_text m;
    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "u", "");
    metrics_value(&m, (const struct metrics_label[]){{"ok", "Z\xc3\xbcrich \xe2\x9c\x93 "
                                                     "\xf0\x9f\x99\x82"}}, 1, 1);
    metrics_value(&m, (const struct metrics_label[]){{"bad", "a\xff" "b\x80" "c\xc3"}}, 1, 2);
    metrics_value(&m, (const struct metrics_label[]){{"overlong", "\xc0\xaf"}}, 1, 3);
    metrics_value(&m, (const struct metrics_label[]){{"surrogate", "\xed\xa0\x80"}}, 1, 4);
    metrics_value(&m, (const struct metrics_label[]){{"too_high", "\xf4\x90\x80\x80"}}, 1, 5);
#define R "\xef\xbf\xbd"
    assert_string_equal(text_of(&m),
        "# HELP u \n"
        "# TYPE u gauge\n"
        "u{ok=\"Z\xc3\xbcrich \xe2\x9c\x93 \xf0\x9f\x99\x82\"} 1\n"
        "u{bad=\"a" R "b" R "c" R "\"} 2\n"
        "u{overlong=\"" R R "\"} 3\n"
        "u{surrogate=\"" R R R "\"} 4\n"
        "u{too_high=\"" R R R R "\"} 5\n");
#undef R
    metrics_text_free(&m);
}

/* Buckets are cumulative; a value on a bound is in that bound's bucket;
 * +Inf holds everything; le comes after the caller's labels. */
static void test_histogram(void **state)
{
    (void)state;
    struct metrics_histogram h;
    assert_true(metrics_histogram_init(&h, bounds, 3));
    metrics_histogram_observe(&h, 0.125);
    metrics_histogram_observe(&h, 0.25);
    metrics_histogram_observe(&h, 0.5);
    metrics_histogram_observe(&h, 2);
    struct metrics_text m;
    metrics_text_init(&m);
    metrics_family(&m, METRICS_HISTOGRAM, "jigd_phase_seconds", "Phases.");
    metrics_histogram(&m, (const struct metrics_label[]){{"phase", "write"}}, 1, &h);
    struct metrics_histogram empty;
    assert_true(metrics_histogram_init(&empty, bounds, 3));
    metrics_histogram(&m, NULL, 0, &empty);
    assert_string_equal(text_of(&m),
        "# HELP jigd_phase_seconds Phases.\n"
        "# TYPE jigd_phase_seconds histogram\n"
        "jigd_phase_seconds_bucket{phase=\"write\",le=\"0.25\"} 2\n"
        "jigd_phase_seconds_bucket{phase=\"write\",le=\"0.5\"} 3\n"
        "jigd_phase_seconds_bucket{phase=\"write\",le=\"1\"} 3\n"
        "jigd_phase_seconds_bucket{phase=\"write\",le=\"+Inf\"} 4\n"
        "jigd_phase_seconds_sum{phase=\"write\"} 2.875\n"
        "jigd_phase_seconds_count{phase=\"write\"} 4\n"
        "jigd_phase_seconds_bucket{le=\"0.25\"} 0\n"
        "jigd_phase_seconds_bucket{le=\"0.5\"} 0\n"
        "jigd_phase_seconds_bucket{le=\"1\"} 0\n"
        "jigd_phase_seconds_bucket{le=\"+Inf\"} 0\n"
        "jigd_phase_seconds_sum 0\n"
        "jigd_phase_seconds_count 0\n");
    metrics_text_free(&m);
}

static void test_histogram_rules(void **state)
{
    (void)state;
    struct metrics_histogram a, b, c;
    static const double unordered[] = {1, 0.5};
    assert_false(metrics_histogram_init(&a, unordered, 2));
    assert_false(metrics_histogram_init(&a, bounds, 0));
    static const double many[METRICS_BUCKETS_MAX + 1] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
    assert_false(metrics_histogram_init(&a, many, METRICS_BUCKETS_MAX + 1));
    assert_true(metrics_histogram_init(&a, many, METRICS_BUCKETS_MAX));

    assert_true(metrics_histogram_init(&a, bounds, 3));
    assert_true(metrics_histogram_init(&b, bounds, 3));
    assert_true(metrics_histogram_init(&c, other_bounds, 3));
    metrics_histogram_observe(&a, 0.3);
    metrics_histogram_observe(&b, 0.3);
    metrics_histogram_observe(&b, 5);
    metrics_histogram_observe(&b, NAN);   /* NaN: not counted */
    assert_true(metrics_histogram_add(&a, &b));
    assert_int_equal(a.count, 3);
    assert_int_equal(a.in[1], 2);
    assert_int_equal(a.in[3], 1);
    assert_true(a.sum > 5.59 && a.sum < 5.61);
    /* Equal numbers are not enough: only one family's bounds add up. */
    assert_false(metrics_histogram_add(&a, &c));
    assert_int_equal(a.count, 3);
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0, "0"}, {1, "1"}, {0.1, "0.1"}, {0.005, "0.005"}, {1e-05, "1e-05"},
        {921600, "921600"}, {1234567.5, "1234567.5"}, {1.0 / 3, "0.3333333333333333"},
        {INFINITY, "+Inf"}, {-INFINITY, "-Inf"}, {NAN, "NaN"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[METRICS_NUMBER_MAX];
        metrics_number(cases[i].v, out);
        assert_string_equal(out, cases[i].text);
    }
}

/* Each mistake makes the text unusable, and says which it was; the first
 * one is kept. */
static void test_mistakes(void **state)
{
    (void)state;
    struct metrics_text m;
    struct metrics_histogram h;
    assert_true(metrics_histogram_init(&h, bounds, 3));

    metrics_text_init(&m);
    metrics_family(&m, METRICS_COUNTER, "jigd_things", "no _total");
    expect_mistake(&m, "ends in _total");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "1st", "");
    expect_mistake(&m, "'1st' is not a metric name");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "a-b", "");
    metrics_family(&m, METRICS_GAUGE, "fine", "");
    expect_mistake(&m, "'a-b'");

    metrics_text_init(&m);
    metrics_value(&m, NULL, 0, 1);
    expect_mistake(&m, "before any family");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "g", "");
    metrics_value(&m, (const struct metrics_label[]){{"__name__", "x"}}, 1, 1);
    expect_mistake(&m, "'__name__' is not a label name");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "g", "");
    metrics_value(&m, (const struct metrics_label[]){{"slot id", "x"}}, 1, 1);
    expect_mistake(&m, "is not a label name");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "g", "");
    metrics_value(&m, (const struct metrics_label[]){{"a", "1"}, {"a", "2"}}, 2, 1);
    expect_mistake(&m, "given twice");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "g", "");
    metrics_value(&m, (const struct metrics_label[]){{"a", NULL}}, 1, 1);
    expect_mistake(&m, "no value");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_COUNTER, "c_total", "");
    metrics_value(&m, NULL, 0, -1);
    expect_mistake(&m, "cannot be negative");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_HISTOGRAM, "h", "");
    metrics_value(&m, NULL, 0, 1);
    expect_mistake(&m, "is a histogram");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_HISTOGRAM, "h", "");
    metrics_histogram(&m, (const struct metrics_label[]){{"le", "1"}}, 1, &h);
    expect_mistake(&m, "'le' is the histogram's own label");

    metrics_text_init(&m);
    metrics_family(&m, METRICS_GAUGE, "g", "");
    metrics_histogram(&m, NULL, 0, &h);
    expect_mistake(&m, "g is not a histogram family");
}

/* A scrape with every kind of value that needs care, for promtool. */
static int write_sample(void)
{
    struct metrics_histogram h;
    metrics_histogram_init(&h, bounds, 3);
    metrics_histogram_observe(&h, 0.3);
    metrics_histogram_observe(&h, 7);
    struct metrics_text m;
    metrics_text_init(&m);
    metrics_family(&m, METRICS_COUNTER, "jigd_sample_total",
                   "Help with \"quotes\", a \\ and a\nnewline.");
    metrics_count(&m, (const struct metrics_label[]){{"path", "C:\\jig \"3\"\nline 2"}}, 1, 7);
    metrics_count(&m, (const struct metrics_label[]){{"path", "bad \xff\xc0\xaf utf-8"}}, 1, 8);
    metrics_count(&m, (const struct metrics_label[]){{"path", "Z\xc3\xbcrich \xf0\x9f\x99\x82"}},
                  1, 9);
    metrics_count(&m, (const struct metrics_label[]){{"path", ""}}, 1, 0);
    metrics_family(&m, METRICS_GAUGE, "jigd_sample_ratio", "Numbers of every kind.");
    metrics_value(&m, (const struct metrics_label[]){{"kind", "small"}}, 1, 1e-05);
    metrics_value(&m, (const struct metrics_label[]){{"kind", "nan"}}, 1, NAN);
    metrics_value(&m, (const struct metrics_label[]){{"kind", "inf"}}, 1, INFINITY);
    metrics_family(&m, METRICS_HISTOGRAM, "jigd_sample_seconds", "A histogram.");
    metrics_histogram(&m, (const struct metrics_label[]){{"phase", "boot-log"}}, 1, &h);
    const char *t = metrics_text_result(&m, NULL);
    if (!t) {
        fprintf(stderr, "test_metrics_text: %s\n", m.why);
        return 1;
    }
    fputs(t, stdout);
    metrics_text_free(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--sample"))
        return write_sample();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_gauge),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_rules),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
