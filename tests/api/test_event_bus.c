/* The event bus on its own: ids, the ring's bounds, replay after an id,
 * gaps, and a subscriber that falls too far behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "event_bus.h"

static int64_t fixed_clock(void)
{
    return 86400123;            /* one day and 123 ms after the epoch */
}

static uint64_t publish(struct event_bus *bus, int slot, uint64_t done)
{
    struct jig_event ev = {.kind = EVENT_PROGRESS, .slot = slot, .phase = PHASE_WRITE,
                           .bytes_done = done, .bytes_total = 100, .rate = 1000};
    return event_bus_publish(bus, &ev);
}

struct counter { int calls; struct event_sub *self_unsub; };

static void count_notify(void *ctx, struct event_sub *sub)
{
    struct counter *c = ctx;
    c->calls++;
    if (c->self_unsub == sub) {
        event_bus_unsubscribe(sub);
        c->self_unsub = NULL;
    }
}

static void test_ids_count_up_and_json_says_everything(void **state)
{
    struct event_bus *bus = event_bus_new(8, fixed_clock);
    assert_int_equal(event_bus_last_id(bus), 0);
    assert_int_equal(publish(bus, 1, 10), 1);
    struct jig_event err = {.kind = EVENT_ERROR, .slot = 2, .error_phase = PHASE_CONNECT,
                            .cause = "no answer from the ROM loader",
                            .advice = "check the \"BOOT\"/EN wiring", .rate = -1};
    assert_int_equal(event_bus_publish(bus, &err), 2);
    const struct event_record *r = event_bus_get(bus, 1);
    assert_non_null(r);
    assert_string_equal(r->json, "{\"id\":1,\"kind\":\"progress\","
                        "\"time\":\"1970-01-02T00:00:00.123Z\",\"time_ms\":86400123,"
                        "\"slot\":1,\"phase\":\"write\",\"bytes_done\":10,"
                        "\"bytes_total\":100,\"rate\":1000}");
    r = event_bus_get(bus, 2);
    assert_int_equal(r->kind, EVENT_ERROR);
    assert_non_null(strstr(r->json, "\"error\":{\"phase\":\"connect\",\"cause\":\"no answer "
                           "from the ROM loader\",\"advice\":\"check the \\\"BOOT\\\"/EN "
                           "wiring\"}"));
    assert_null(strchr(r->json, '\n'));     /* one SSE data line */
    assert_null(event_bus_get(bus, 3));
    assert_null(event_bus_get(bus, 0));
    event_bus_free(bus);
}

static void test_long_text_is_cut(void **state)
{
    struct event_bus *bus = event_bus_new(2, fixed_clock);
    char *huge = malloc(10000);
    memset(huge, 'a', 9999);
    huge[9999] = '\0';
    struct jig_event ev = {.kind = EVENT_STATION, .message = huge, .rate = -1};
    event_bus_publish(bus, &ev);
    free(huge);
    const struct event_record *r = event_bus_get(bus, 1);
    assert_true(r->json_len < EVENT_TEXT_MAX + 200);
    event_bus_free(bus);
}

static void test_ring_keeps_the_newest(void **state)
{
    struct event_bus *bus = event_bus_new(4, fixed_clock);
    for (int i = 0; i < 10; i++)
        publish(bus, 1, (uint64_t)i);
    assert_int_equal(event_bus_first_id(bus), 7);
    assert_int_equal(event_bus_last_id(bus), 10);
    assert_null(event_bus_get(bus, 6));
    assert_int_equal(event_bus_get(bus, 7)->id, 7);
    assert_int_equal(event_bus_get(bus, 10)->id, 10);
    event_bus_free(bus);
}

static void test_subscriber_reads_in_order_from_where_it_asked(void **state)
{
    struct event_bus *bus = event_bus_new(16, fixed_clock);
    for (int i = 0; i < 5; i++)
        publish(bus, 1, (uint64_t)i);
    struct counter n = {0};
    struct event_sub *live = event_bus_subscribe(bus, event_bus_last_id(bus), 16,
                                                 count_notify, &n);
    struct event_sub *replay = event_bus_subscribe(bus, 2, 16, NULL, NULL);
    const struct event_record *r;
    assert_int_equal(event_sub_next(live, &r, NULL), EVENT_NEXT_NONE);
    for (uint64_t want = 3; want <= 5; want++) {
        assert_int_equal(event_sub_next(replay, &r, NULL), EVENT_NEXT_EVENT);
        assert_int_equal(r->id, want);
    }
    assert_int_equal(event_sub_next(replay, &r, NULL), EVENT_NEXT_NONE);
    publish(bus, 1, 99);
    assert_int_equal(n.calls, 1);
    assert_int_equal(event_sub_backlog(live), 1);
    assert_int_equal(event_sub_next(live, &r, NULL), EVENT_NEXT_EVENT);
    assert_int_equal(r->id, 6);
    assert_int_equal(event_sub_next(replay, &r, NULL), EVENT_NEXT_EVENT);
    assert_int_equal(r->id, 6);
    event_bus_unsubscribe(live);
    event_bus_unsubscribe(replay);
    event_bus_free(bus);
}

static void test_replay_older_than_the_ring_is_a_gap(void **state)
{
    struct event_bus *bus = event_bus_new(4, fixed_clock);
    for (int i = 0; i < 10; i++)
        publish(bus, 1, (uint64_t)i);       /* keeps 7..10 */
    struct event_sub *s = event_bus_subscribe(bus, 2, 4, NULL, NULL);
    const struct event_record *r;
    uint64_t missed = 99;
    assert_int_equal(event_sub_next(s, &r, &missed), EVENT_NEXT_GAP);
    assert_int_equal(missed, 4);            /* 3..6 */
    assert_int_equal(event_sub_next(s, &r, NULL), EVENT_NEXT_EVENT);
    assert_int_equal(r->id, 7);
    event_bus_unsubscribe(s);

    /* An id this bus never gave (a previous run): gap of unknown size. */
    s = event_bus_subscribe(bus, 500, 4, NULL, NULL);
    assert_int_equal(event_sub_next(s, &r, &missed), EVENT_NEXT_GAP);
    assert_int_equal(missed, 0);
    assert_int_equal(event_sub_next(s, &r, NULL), EVENT_NEXT_NONE);
    publish(bus, 1, 1);
    assert_int_equal(event_sub_next(s, &r, NULL), EVENT_NEXT_EVENT);
    assert_int_equal(r->id, 11);
    event_bus_unsubscribe(s);

    /* Replay longer than the subscriber's backlog: only the newest part. */
    s = event_bus_subscribe(bus, 6, 2, NULL, NULL);
    assert_int_equal(event_sub_next(s, &r, &missed), EVENT_NEXT_GAP);
    assert_int_equal(missed, 3);            /* 7..9 */
    assert_int_equal(event_sub_next(s, &r, NULL), EVENT_NEXT_EVENT);
    assert_int_equal(r->id, 10);
    event_bus_unsubscribe(s);
    event_bus_free(bus);
}

static void test_lagging_subscriber_overflows_alone(void **state)
{
    struct event_bus *bus = event_bus_new(64, fixed_clock);
    struct counter slow_n = {0};
    struct event_sub *slow = event_bus_subscribe(bus, 0, 3, count_notify, &slow_n);
    struct event_sub *fast = event_bus_subscribe(bus, 0, 3, NULL, NULL);
    const struct event_record *r;
    for (int i = 0; i < 10; i++) {
        publish(bus, 1, (uint64_t)i);
        assert_int_equal(event_sub_next(fast, &r, NULL), EVENT_NEXT_EVENT);
        assert_int_equal(r->id, (uint64_t)i + 1);
        if (i == 2)
            assert_false(event_sub_overflowed(slow));   /* 3 behind: still fine */
    }
    assert_true(event_sub_overflowed(slow));
    assert_false(event_sub_overflowed(fast));
    assert_int_equal(slow_n.calls, 10);
    /* Sticky: an overflowed reader gets nothing more. */
    assert_int_equal(event_sub_next(slow, &r, NULL), EVENT_NEXT_OVERFLOW);
    assert_int_equal(event_sub_next(slow, &r, NULL), EVENT_NEXT_OVERFLOW);
    event_bus_unsubscribe(slow);
    event_bus_unsubscribe(fast);
    event_bus_free(bus);
}

static void test_backlog_is_clamped_to_the_ring(void **state)
{
    struct event_bus *bus = event_bus_new(4, fixed_clock);
    struct event_sub *s = event_bus_subscribe(bus, 0, 1000, NULL, NULL);
    for (int i = 0; i < 4; i++)
        publish(bus, 1, 0);
    assert_false(event_sub_overflowed(s));
    publish(bus, 1, 0);     /* the ring just overwrote what s reads next */
    assert_true(event_sub_overflowed(s));
    event_bus_unsubscribe(s);
    event_bus_free(bus);
}

static void test_notify_may_unsubscribe_itself(void **state)
{
    struct event_bus *bus = event_bus_new(4, fixed_clock);
    struct counter a = {0}, b = {0};
    struct event_sub *sa = event_bus_subscribe(bus, 0, 4, count_notify, &a);
    struct event_sub *sb = event_bus_subscribe(bus, 0, 4, count_notify, &b);
    a.self_unsub = sa;
    publish(bus, 1, 0);
    publish(bus, 1, 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 2);
    event_bus_unsubscribe(sb);
    event_bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_count_up_and_json_says_everything),
        cmocka_unit_test(test_long_text_is_cut),
        cmocka_unit_test(test_ring_keeps_the_newest),
        cmocka_unit_test(test_subscriber_reads_in_order_from_where_it_asked),
        cmocka_unit_test(test_replay_older_than_the_ring_is_a_gap),
        cmocka_unit_test(test_lagging_subscriber_overflows_alone),
        cmocka_unit_test(test_backlog_is_clamped_to_the_ring),
        cmocka_unit_test(test_notify_may_unsubscribe_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
