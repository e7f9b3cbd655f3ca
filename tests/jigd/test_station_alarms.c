/* The alarms that need a person (station_alarms.h), without a station: an
 * alarm stands until acknowledged, the same cause does not stack, an
 * acknowledged alarm goes once its cause is over (and only then), a cause
 * back after it was over is news, and a flood keeps the newest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "station_alarms.h"

static cJSON *list(struct station_alarms *a, cJSON **keep)
{
    *keep = station_alarms_json(a);
    return cJSON_GetObjectItem(*keep, "alarms");
}

static int count(struct station_alarms *a)
{
    cJSON *o, *l = list(a, &o);
    int n = cJSON_GetArraySize(l);
    cJSON_Delete(o);
    return n;
}

static void test_the_same_cause_does_not_stack(void **state)
{
    (void)state;
    struct station_alarms *a = station_alarms_new(NULL);
    station_alarms_raise(a, ALARM_KIND_SLOT, 3, "port gone", "check the cable");
    station_alarms_raise(a, ALARM_KIND_SLOT, 3, "port gone", "check the cable");
    station_alarms_raise(a, ALARM_KIND_FAILING, 3, "3 in a row", "look at the jig");
    assert_int_equal(count(a), 2);
    cJSON *o, *l = list(a, &o);
    cJSON *newest = cJSON_GetArrayItem(l, 0);
    assert_string_equal(cJSON_GetObjectItem(newest, "kind")->valuestring, "failing");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(newest, "acknowledged")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(newest, "acknowledged_by")));
    cJSON_Delete(o);
    station_alarms_free(a);
}

static void test_an_alarm_goes_once_seen_and_over(void **state)
{
    (void)state;
    struct station_alarms *a = station_alarms_new(NULL);
    station_alarms_raise(a, ALARM_KIND_SLOT, 1, "disk nearly full", "free space");
    /* Over but not seen: it stays, so nobody misses it. */
    station_alarms_over(a, ALARM_KIND_SLOT, 1);
    assert_int_equal(count(a), 1);
    assert_int_equal(station_alarms_ack(a, 1, "shift-a"), ALARM_ACKED);
    assert_int_equal(count(a), 0);
    assert_int_equal(station_alarms_ack(a, 1, "shift-a"), ALARM_ACK_NO_SUCH);

    /* Seen while it stands: it stays, acknowledged, until it is over. */
    station_alarms_raise(a, ALARM_KIND_SLOT, 2, "no adapter", "check the cable");
    assert_int_equal(station_alarms_ack(a, 2, "shift-a"), ALARM_ACKED);
    assert_int_equal(station_alarms_ack(a, 2, "shift-b"), ALARM_ACK_ALREADY);
    cJSON *o, *l = list(a, &o);
    cJSON *al = cJSON_GetArrayItem(l, 0);
    assert_string_equal(cJSON_GetObjectItem(al, "acknowledged_by")->valuestring, "shift-a");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(al, "acknowledged_at")));
    cJSON_Delete(o);
    /* The same cause again while it stands is not news... */
    station_alarms_raise(a, ALARM_KIND_SLOT, 2, "no adapter", "check the cable");
    assert_int_equal(station_alarms_ack(a, 2, "x"), ALARM_ACK_ALREADY);
    station_alarms_over(a, ALARM_KIND_SLOT, 2);
    assert_int_equal(count(a), 0);
    /* ...but back after it was over, it is: a new alarm, a new id. */
    station_alarms_raise(a, ALARM_KIND_SLOT, 2, "no adapter", "check the cable");
    cJSON *o2, *l2 = list(a, &o2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(l2, 0), "id")->valueint, 3);
    cJSON_Delete(o2);
    station_alarms_free(a);
}

static void test_a_flood_keeps_the_newest(void **state)
{
    (void)state;
    struct station_alarms *a = station_alarms_new(NULL);
    char cause[32];
    for (int i = 1; i <= STATION_ALARMS_MAX + 10; i++) {
        snprintf(cause, sizeof cause, "cause %d", i);
        station_alarms_raise(a, ALARM_KIND_SLOT, i, cause, "advice");
    }
    assert_int_equal(count(a), STATION_ALARMS_MAX);
    cJSON *o, *l = list(a, &o);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "cause")->valuestring,
                        "cause 74");
    cJSON_Delete(o);
    station_alarms_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_same_cause_does_not_stack),
        cmocka_unit_test(test_an_alarm_goes_once_seen_and_over),
        cmocka_unit_test(test_a_flood_keeps_the_newest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
