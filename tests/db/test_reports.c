/* Reports on a seeded two-day dataset, with the numbers worked out by hand:
 *
 * day 1 (2026-11-23)           day 2 (2026-11-24)
 *  10:05 u1 ok                  09:00 u7 ok
 *  10:10 u2 ok                  09:10 u8 failed boot "app did not report its serial"
 *  10:12 -- failed sync (no unit)  09:20 u9 ok
 *  10:14 -- failed sync (no unit)
 *  10:20 u3 failed verify "md5 mismatch"
 *  10:25 u4 failed write "timeout"
 *  10:30 u5 interrupted (station restarted)
 *  11:05 u3 ok
 *  11:10 u4 failed verify "md5 mismatch"
 *  11:20 u4 ok
 *  11:30 u5 ok
 *  11:40 u6 failed verify "md5 mismatch"
 * Every attempt ends one minute after it starts.
 *
 * First-pass yield: first decided attempts u1 u2 u5 u7 u9 ok, u3 u4 u6 u8
 * failed: 5/9; day 1 3/6 = 50 %, day 2 2/3 = 66.67 %.
 * Pareto by phase: verify 3, sync 2, boot 1, write 1 (ties by name).
 * Units per hour: day 1 10h: u1 u2; 11h: u3 u4 u5; day 2 09h: u7 u9. */
#include "db_fixture.h"

#define WO "WO-9"

static int64_t at(int day, int h, int m)
{
    return utc_ms(2026, 11, 22 + day, h, m, 0);
}

/* One attempt; mac 0 = the board never identified; phase NULL = ok. */
static int64_t attempt(struct db_fixture *f, int slot, uint32_t mac, int64_t start,
                       const char *phase, const char *cause)
{
    struct sdb_attempt_start s = {.slot = slot, .work_order = WO};
    int64_t id;
    f->now_ms = start;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &id), SDB_OK);
    if (mac) {
        struct sdb_board b = board_with_mac(mac);
        struct sdb_unit u;
        bool reworked;
        assert_int_equal(sdb_unit_identify(f->db, &b, "R-{seq:03}", WO, &u, &reworked), SDB_OK);
        assert_int_equal(sdb_attempt_set_unit(f->db, id, u.id), SDB_OK);
    }
    assert_int_equal(sdb_attempt_phase(f->db, id, phase ? phase : "write", start, 30000, 100), SDB_OK);
    f->now_ms = start + 60000;
    assert_int_equal(sdb_attempt_end(f->db, id, phase == NULL, phase, cause, 100), SDB_OK);
    return id;
}

static int seed(void **state)
{
    if (fixture_setup_open(state) != 0)
        return -1;
    struct db_fixture *f = *state;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = WO, .quantity = 100, .actor = "mes"}), SDB_OK);
    attempt(f, 0, 1, at(1, 10, 5), NULL, NULL);
    attempt(f, 1, 2, at(1, 10, 10), NULL, NULL);
    attempt(f, 2, 0, at(1, 10, 12), "sync", "no answer from the ROM loader");
    attempt(f, 2, 0, at(1, 10, 14), "sync", "no answer from the ROM loader");
    attempt(f, 0, 3, at(1, 10, 20), "verify", "md5 mismatch");
    attempt(f, 1, 4, at(1, 10, 25), "write", "timeout");
    /* u5 is on slot 3 when the station restarts. */
    struct sdb_attempt_start s = {.slot = 3, .work_order = WO};
    struct sdb_board b = board_with_mac(5);
    struct sdb_unit u;
    int64_t id;
    bool reworked;
    f->now_ms = at(1, 10, 30);
    assert_int_equal(sdb_attempt_begin(f->db, &s, &id), SDB_OK);
    assert_int_equal(sdb_unit_identify(f->db, &b, "R-{seq:03}", WO, &u, &reworked), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, id, u.id), SDB_OK);
    f->now_ms = at(1, 10, 31);
    fixture_reopen(f);
    assert_int_equal(sdb_interrupted_at_open(f->db), 1);

    attempt(f, 0, 3, at(1, 11, 5), NULL, NULL);
    attempt(f, 1, 4, at(1, 11, 10), "verify", "md5 mismatch");
    attempt(f, 1, 4, at(1, 11, 20), NULL, NULL);
    attempt(f, 3, 5, at(1, 11, 30), NULL, NULL);
    attempt(f, 2, 6, at(1, 11, 40), "verify", "md5 mismatch");
    attempt(f, 0, 7, at(2, 9, 0), NULL, NULL);
    attempt(f, 1, 8, at(2, 9, 10), "boot", "app did not report its serial");
    attempt(f, 2, 9, at(2, 9, 20), NULL, NULL);
    return 0;
}

static const char *str(const cJSON *row, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(row, key);
    return cJSON_IsString(v) ? v->valuestring : "(null)";
}

static double num(const cJSON *row, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(row, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", key);
    return v->valuedouble;
}

static void test_first_pass_yield(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_yield y;
    cJSON *days;
    assert_int_equal(sdb_report_first_pass_yield(f->db, NULL, NULL, &y, &days), SDB_OK);
    assert_int_equal(y.units, 9);
    assert_int_equal(y.first_pass, 5);
    assert_float_equal(y.percent, 500.0 / 9.0, 1e-9);
    assert_int_equal(cJSON_GetArraySize(days), 2);
    cJSON *d1 = cJSON_GetArrayItem(days, 0), *d2 = cJSON_GetArrayItem(days, 1);
    assert_string_equal(str(d1, "day"), "2026-11-23");
    assert_int_equal(num(d1, "units"), 6);
    assert_int_equal(num(d1, "first_pass"), 3);
    assert_float_equal(num(d1, "percent"), 50.0, 1e-9);
    assert_string_equal(str(d2, "day"), "2026-11-24");
    assert_float_equal(num(d2, "percent"), 66.67, 1e-9);
    cJSON_Delete(days);

    /* A range: day 2 only. */
    assert_int_equal(sdb_report_first_pass_yield(f->db, "2026-11-24", "2026-11-25", &y, NULL), SDB_OK);
    assert_int_equal(y.units, 3);
    assert_int_equal(y.first_pass, 2);
    assert_int_equal(sdb_report_first_pass_yield(f->db, "yesterday", NULL, &y, NULL), SDB_REFUSED);
    assert_non_null(strstr(sdb_errmsg(f->db), "not a time"));
}

static void test_failure_pareto(void **state)
{
    struct db_fixture *f = *state;
    cJSON *rows;
    assert_int_equal(sdb_report_failure_pareto(f->db, NULL, NULL, false, &rows), SDB_OK);
    static const char *const phases[] = {"verify", "sync", "boot", "write"};
    static const int counts[] = {3, 2, 1, 1};
    static const double cumulative[] = {42.9, 71.4, 85.7, 100.0};
    assert_int_equal(cJSON_GetArraySize(rows), 4);
    for (int i = 0; i < 4; i++) {
        cJSON *r = cJSON_GetArrayItem(rows, i);
        assert_string_equal(str(r, "phase"), phases[i]);
        assert_int_equal(num(r, "failures"), counts[i]);
        assert_float_equal(num(r, "cumulative_percent"), cumulative[i], 1e-9);
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "cause")));
    }
    cJSON_Delete(rows);

    assert_int_equal(sdb_report_failure_pareto(f->db, NULL, NULL, true, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 4);
    assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "cause"), "md5 mismatch");
    assert_string_equal(str(cJSON_GetArrayItem(rows, 1), "cause"), "no answer from the ROM loader");
    cJSON_Delete(rows);

    /* Day 2 alone has a single failure. */
    assert_int_equal(sdb_report_failure_pareto(f->db, "2026-11-24", NULL, true, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_float_equal(num(cJSON_GetArrayItem(rows, 0), "percent"), 100.0, 1e-9);
    cJSON_Delete(rows);
}

static void test_units_per_hour(void **state)
{
    struct db_fixture *f = *state;
    cJSON *rows;
    assert_int_equal(sdb_report_units_per_hour(f->db, NULL, NULL, &rows), SDB_OK);
    static const char *const hours[] = {"2026-11-23T10:00Z", "2026-11-23T11:00Z", "2026-11-24T09:00Z"};
    static const int units[] = {2, 3, 2};
    assert_int_equal(cJSON_GetArraySize(rows), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(str(cJSON_GetArrayItem(rows, i), "hour"), hours[i]);
        assert_int_equal(num(cJSON_GetArrayItem(rows, i), "units"), units[i]);
    }
    cJSON_Delete(rows);
}

static void test_attempt_filters(void **state)
{
    struct db_fixture *f = *state;
    cJSON *rows;
    struct sdb_attempt_filter all = {.slot = -1};
    assert_int_equal(sdb_report_attempts(f->db, &all, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 15);
    cJSON_Delete(rows);

    struct sdb_attempt_filter failed = {.slot = -1, .result = "failed"};
    assert_int_equal(sdb_report_attempts(f->db, &failed, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 7);
    cJSON_Delete(rows);

    struct sdb_attempt_filter slot2_day1 = {.slot = 2, .from = "2026-11-23", .to = "2026-11-24"};
    assert_int_equal(sdb_report_attempts(f->db, &slot2_day1, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 3);      /* two sync failures and u6 */
    cJSON *last = cJSON_GetArrayItem(rows, 2);
    assert_string_equal(str(last, "serial"), "R-006");
    assert_string_equal(str(last, "phase_ms"), "verify:30000");
    assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "serial"), "(null)");
    cJSON_Delete(rows);

    struct sdb_attempt_filter interrupted = {.slot = -1, .result = "interrupted", .work_order = WO};
    assert_int_equal(sdb_report_attempts(f->db, &interrupted, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "serial"), "R-005");
    cJSON_Delete(rows);

    struct sdb_attempt_filter limited = {.slot = -1, .limit = 2};
    assert_int_equal(sdb_report_attempts(f->db, &limited, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    cJSON_Delete(rows);

    struct sdb_attempt_filter other_wo = {.slot = -1, .work_order = "WO-X"};
    assert_int_equal(sdb_report_attempts(f->db, &other_wo, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 0);
    cJSON_Delete(rows);

    struct sdb_attempt_filter bad = {.slot = -1, .result = "passed"};
    assert_int_equal(sdb_report_attempts(f->db, &bad, &rows), SDB_REFUSED);
    assert_null(rows);
}

/* One unit's attempts by serial or MAC, and pages both ways by a cursor
 * (the REST API's GET /api/v1/attempts). */
static void test_attempt_unit_filter_and_pages(void **state)
{
    struct db_fixture *f = *state;
    cJSON *rows;
    struct sdb_attempt_filter r004 = {.slot = -1, .unit = "R-004"};
    assert_int_equal(sdb_report_attempts(f->db, &r004, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 3);      /* write, verify, then ok */
    const char *mac = str(cJSON_GetArrayItem(rows, 0), "mac");
    char upper[32];
    snprintf(upper, sizeof upper, "%s", mac);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    cJSON_Delete(rows);
    struct sdb_attempt_filter by_mac = {.slot = -1, .unit = upper};
    assert_int_equal(sdb_report_attempts(f->db, &by_mac, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 3);      /* a MAC in capitals is the same */
    cJSON_Delete(rows);

    /* Newest first, 4 a page, each page after the last one's id. */
    int64_t seen = 0, cursor = 0, previous = INT64_MAX;
    for (int page = 0; page < 5; page++) {
        struct sdb_attempt_filter p = {.slot = -1, .limit = 4, .cursor = cursor,
                                       .newest_first = true};
        assert_int_equal(sdb_report_attempts(f->db, &p, &rows), SDB_OK);
        cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            int64_t id = (int64_t)num(row, "attempt_id");
            assert_true(id < previous);
            previous = cursor = id;
            seen++;
        }
        int n = cJSON_GetArraySize(rows);
        cJSON_Delete(rows);
        if (n < 4)
            break;
    }
    assert_int_equal(seen, 15);
    struct sdb_attempt_filter verify = {.slot = -1, .phase = "verify"};
    assert_int_equal(sdb_report_attempts(f->db, &verify, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 3);      /* the md5 mismatches */
    cJSON_Delete(rows);
    struct sdb_attempt_filter after = {.slot = -1, .cursor = 13};
    assert_int_equal(sdb_report_attempts(f->db, &after, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 2);      /* 14 and 15, oldest first */
    assert_int_equal((int)num(cJSON_GetArrayItem(rows, 0), "attempt_id"), 14);
    cJSON_Delete(rows);
}

static void test_unit_history(void **state)
{
    struct db_fixture *f = *state;
    cJSON *out;
    assert_int_equal(sdb_report_unit(f->db, "R-004", &out), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(out), 1);
    cJSON *h = cJSON_GetArrayItem(out, 0);
    assert_string_equal(str(cJSON_GetObjectItem(h, "unit"), "mac"), "24:0a:c4:00:00:04");
    assert_string_equal(str(cJSON_GetObjectItem(h, "allocation"), "state"), "completed");
    cJSON *attempts = cJSON_GetObjectItem(h, "attempts");
    assert_int_equal(cJSON_GetArraySize(attempts), 3);
    static const char *const results[] = {"failed", "failed", "ok"};
    for (int i = 0; i < 3; i++)
        assert_string_equal(str(cJSON_GetArrayItem(attempts, i), "result"), results[i]);
    cJSON *phases = cJSON_GetObjectItem(cJSON_GetArrayItem(attempts, 0), "phases");
    assert_string_equal(str(cJSON_GetArrayItem(phases, 0), "phase"), "write");
    /* Its events: the serial, the unit, and the end of each attempt. */
    cJSON *events = cJSON_GetObjectItem(h, "events");
    static const char *const actions[] = {"serial.allocate", "unit.create", "attempt.end",
                                          "attempt.end", "attempt.end"};
    assert_int_equal(cJSON_GetArraySize(events), 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(str(cJSON_GetArrayItem(events, i), "action"), actions[i]);
    cJSON_Delete(out);

    /* The same unit found by its MAC, in any spelling. */
    assert_int_equal(sdb_report_unit(f->db, "24-0A-C4-00-00-04", &out), SDB_OK);
    assert_string_equal(str(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "unit"), "serial"), "R-004");
    cJSON_Delete(out);
    assert_int_equal(sdb_report_unit(f->db, "R-404", &out), SDB_NOT_FOUND);
    assert_null(out);
}

static void test_duplicate_macs(void **state)
{
    struct db_fixture *f = *state;
    cJSON *rows;
    assert_int_equal(sdb_report_duplicate_macs(f->db, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 0);
    cJSON_Delete(rows);

    /* u6 is voided and comes back: two serials on one MAC. */
    assert_int_equal(sdb_serial_void(f->db, "R-006", "operator:ana", "dropped"), SDB_OK);
    attempt(f, 0, 6, at(2, 10, 0), NULL, NULL);
    /* u7 shows up in two slots at once: two boards share a MAC. */
    struct sdb_attempt_start s1 = {.slot = 1}, s2 = {.slot = 2};
    int64_t a1, a2;
    struct sdb_unit u7;
    struct sdb_board b7 = board_with_mac(7);
    assert_int_equal(sdb_unit_by_mac(f->db, b7.mac, &u7), SDB_OK);
    assert_int_equal(sdb_attempt_begin(f->db, &s1, &a1), SDB_OK);
    assert_int_equal(sdb_attempt_begin(f->db, &s2, &a2), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, a1, u7.id), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, a2, u7.id), SDB_OK);

    assert_int_equal(sdb_report_duplicate_macs(f->db, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    cJSON *r6 = cJSON_GetArrayItem(rows, 0), *r7 = cJSON_GetArrayItem(rows, 1);
    assert_string_equal(str(r6, "mac"), "24:0a:c4:00:00:06");
    assert_string_equal(str(r6, "serials"), "R-006 (voided), R-010");
    assert_non_null(strstr(str(r6, "reason"), "voided and reissued"));
    assert_string_equal(str(r7, "mac"), "24:0a:c4:00:00:07");
    assert_non_null(strstr(str(r7, "reason"), "two slots"));
    cJSON_Delete(rows);
}

static char *csv_of(const cJSON *rows)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(sdb_export_csv(rows, out), SDB_OK);
    fclose(out);
    return buf;
}

static void test_csv_and_json_export(void **state)
{
    struct db_fixture *f = *state;
    cJSON *rows;
    assert_int_equal(sdb_report_failure_pareto(f->db, NULL, NULL, true, &rows), SDB_OK);
    char *csv = csv_of(rows);
    assert_non_null(strstr(csv, "phase,cause,failures,percent,cumulative_percent\r\n"
                                "verify,md5 mismatch,3,42.9,42.9\r\n"
                                "sync,no answer from the ROM loader,2,28.6,71.4\r\n"));
    free(csv);
    char *json = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&json, &len);
    assert_int_equal(sdb_export_json(rows, out), SDB_OK);
    fclose(out);
    cJSON *back = cJSON_Parse(json);
    assert_true(cJSON_Compare(back, rows, 1));
    cJSON_Delete(back);
    free(json);
    cJSON_Delete(rows);

    /* Quoting, spreadsheet formulas, nulls and nested values. */
    rows = cJSON_Parse("[{\"a\":\"x, \\\"y\\\"\",\"b\":\"=HYPERLINK(1)\",\"c\":null,\"d\":[1,2],"
                       "\"e\":-3,\"f\":1.5},{\"a\":\"line\\nbreak\",\"c\":\"@x\"}]");
    csv = csv_of(rows);
    assert_string_equal(csv, "a,b,c,d,e,f\r\n"
                             "\"x, \"\"y\"\"\",\"'=HYPERLINK(1)\",,\"[1,2]\",-3,1.5\r\n"
                             "\"line\nbreak\",,\"'@x\",,,\r\n");
    free(csv);
    cJSON_Delete(rows);
    rows = cJSON_CreateArray();
    csv = csv_of(rows);
    assert_string_equal(csv, "");
    free(csv);
    cJSON_Delete(rows);
}

/* An exported report carries the audit log's head, so the copy kept
 * outside the station anchors the log up to there. */
static void test_export_carries_the_audit_head(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_audit_head head;
    struct sdb_audit_check check;
    assert_int_equal(sdb_audit_head(f->db, &head), SDB_OK);
    assert_int_equal(sdb_audit_verify(f->db, &check), SDB_OK);
    assert_true(check.ok);
    assert_int_equal(head.last_id, check.rows);
    assert_string_equal(head.hash, check.head_hash);

    cJSON *rows;
    assert_int_equal(sdb_report_units_per_hour(f->db, NULL, NULL, &rows), SDB_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(sdb_export_csv_anchored(rows, &head, out), SDB_OK);
    fclose(out);
    char want[256];
    snprintf(want, sizeof want, "\r\naudit_head,%lld,%s,%s\r\n", (long long)head.last_id,
             head.hash, head.at);
    assert_non_null(strstr(text, "hour,units\r\n"));
    assert_string_equal(text + len - strlen(want), want);       /* the last record */
    free(text);

    out = open_memstream(&text, &len);
    assert_int_equal(sdb_export_json_anchored(rows, &head, out), SDB_OK);
    fclose(out);
    cJSON *back = cJSON_Parse(text);
    assert_true(cJSON_Compare(cJSON_GetObjectItem(back, "rows"), rows, 1));
    cJSON *h = cJSON_GetObjectItem(back, "audit_head");
    assert_int_equal(cJSON_GetObjectItem(h, "last_id")->valuedouble, head.last_id);
    assert_string_equal(cJSON_GetObjectItem(h, "hash")->valuestring, head.hash);
    assert_string_equal(cJSON_GetObjectItem(h, "at")->valuestring, head.at);
    cJSON_Delete(back);
    free(text);
    cJSON_Delete(rows);

    /* A report that is one object (first-pass yield) keeps its members and
     * gains the head under the same name; one that has it already is
     * refused rather than given two. */
    struct sdb_yield y;
    cJSON *days, *report = cJSON_CreateObject();
    assert_int_equal(sdb_report_first_pass_yield(f->db, NULL, NULL, &y, &days), SDB_OK);
    cJSON_AddNumberToObject(report, "units", (double)y.units);
    cJSON_AddItemToObject(report, "per_day", days);
    out = open_memstream(&text, &len);
    assert_int_equal(sdb_export_json_anchored(report, &head, out), SDB_OK);
    fclose(out);
    back = cJSON_Parse(text);
    free(text);
    h = cJSON_DetachItemFromObject(back, "audit_head");
    assert_string_equal(cJSON_GetObjectItem(h, "hash")->valuestring, head.hash);
    assert_int_equal(cJSON_GetObjectItem(h, "last_id")->valuedouble, head.last_id);
    assert_true(cJSON_Compare(back, report, 1));
    cJSON_Delete(back);
    cJSON_AddItemToObject(report, "audit_head", h);
    out = open_memstream(&text, &len);
    assert_int_equal(sdb_export_json_anchored(report, &head, out), SDB_REFUSED);
    fclose(out);
    free(text);
    cJSON_Delete(report);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, seed, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_first_pass_yield),
        T(test_failure_pareto),
        T(test_units_per_hour),
        T(test_attempt_filters),
        T(test_attempt_unit_filter_and_pages),
        T(test_unit_history),
        T(test_duplicate_macs),
        T(test_csv_and_json_export),
        T(test_export_carries_the_audit_head),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
