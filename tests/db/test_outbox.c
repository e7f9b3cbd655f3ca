/* The webhook outbox (db/outbox.c): a unit's result, a work order made and
 * complete are owed to the receivers that want them in the transaction of
 * the fact; each receiver's items come oldest first, a failed try waits
 * its backoff (or a retry now), delivered ones are done; an attempt swept
 * as interrupted at open is owed too; a kill after the commit loses
 * nothing; what is owed cannot be edited or dropped. */
#include "db_fixture.h"

static const struct sdb_webhook hooks[] = {
    {"mes", SDB_HOOK_UNIT_RESULT | SDB_HOOK_WORK_ORDER | SDB_HOOK_ALARM},
    {"andon", SDB_HOOK_ALARM},
};

static void open_with_hooks(struct db_fixture *f)
{
    fixture_open_hooks(f, hooks, 2);
}

static int setup(void **state)
{
    if (fixture_setup(state))
        return -1;
    open_with_hooks(*state);
    return 0;
}

/* A board's whole attempt, passed or failed, under work order wo. */
static int64_t attempt(struct db_fixture *f, uint32_t board, const char *wo, bool ok)
{
    struct sdb_board b = board_with_mac(board);
    struct sdb_unit u;
    assert_int_equal(sdb_unit_identify(f->db, &b, "T-{seq:04}", wo, &u, NULL), SDB_OK);
    struct sdb_attempt_start st = {.slot = 1, .work_order = wo};
    int64_t id;
    assert_int_equal(sdb_attempt_begin(f->db, &st, &id), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, id, u.id), SDB_OK);
    assert_int_equal(sdb_attempt_end(f->db, id, ok, ok ? NULL : "write",
                                     ok ? NULL : "the board stopped answering", 4096), SDB_OK);
    return id;
}

static cJSON *next_body(struct db_fixture *f, const char *receiver, struct sdb_outbox_item *it)
{
    if (sdb_outbox_next(f->db, receiver, it) != SDB_OK)
        fail_msg("nothing owed to %s: %s", receiver, sdb_errmsg(f->db));
    cJSON *body = cJSON_Parse(it->body);
    assert_non_null(body);
    return body;
}

static const char *text(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "(none)";
}

static void test_results_owed_in_order_and_delivered_once(void **state)
{
    struct db_fixture *f = *state;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-1", .quantity = 1, .actor = "mes1"}), SDB_OK);
    int64_t a = attempt(f, 1, "WO-1", true);
    struct sdb_outbox_item it;
    cJSON *b = next_body(f, "mes", &it);
    assert_string_equal(it.event, "work_order.created");
    assert_string_equal(text(b, "work_order"), "WO-1");
    assert_int_equal(sdb_outbox_delivered(f->db, it.id, 200), SDB_OK);
    sdb_outbox_item_free(&it);
    cJSON_Delete(b);

    b = next_body(f, "mes", &it);
    assert_string_equal(it.event, "unit.result");
    assert_string_equal(text(b, "serial"), "T-0001");
    assert_string_equal(text(b, "result"), "ok");
    assert_string_equal(text(b, "station"), "line3");
    char key[64];
    snprintf(key, sizeof key, "line3:attempt:%lld", (long long)a);
    assert_string_equal(it.key, key);
    assert_string_equal(text(b, "id"), key);
    assert_int_equal(it.wait_ms, 0);
    /* The receiver is down: the same item waits its backoff, then again. */
    assert_int_equal(sdb_outbox_failed(f->db, it.id, 503, "HTTP 503", 60000), SDB_OK);
    int64_t first = it.id;
    sdb_outbox_item_free(&it);
    cJSON_Delete(b);
    b = next_body(f, "mes", &it);
    assert_int_equal(it.id, first);
    assert_int_equal(it.tries, 1);
    assert_true(it.wait_ms > 59000 && it.wait_ms <= 60000);
    sdb_outbox_item_free(&it);
    cJSON_Delete(b);
    int64_t n;
    assert_int_equal(sdb_outbox_retry_now(f->db, "mes", &n), SDB_OK);
    assert_int_equal(n, 2);     /* the result and the work order's completion */
    b = next_body(f, "mes", &it);
    assert_int_equal(it.id, first);
    assert_int_equal(it.wait_ms, 0);
    assert_int_equal(sdb_outbox_delivered(f->db, it.id, 204), SDB_OK);
    sdb_outbox_item_free(&it);
    cJSON_Delete(b);

    b = next_body(f, "mes", &it);
    assert_string_equal(it.event, "work_order.complete");
    assert_int_equal(cJSON_GetObjectItem(b, "done")->valueint, 1);
    assert_int_equal(sdb_outbox_delivered(f->db, it.id, 200), SDB_OK);
    sdb_outbox_item_free(&it);
    cJSON_Delete(b);
    assert_int_equal(sdb_outbox_next(f->db, "mes", &it), SDB_NOT_FOUND);
    /* The alarms-only receiver was owed none of it. */
    assert_int_equal(sdb_outbox_next(f->db, "andon", &it), SDB_NOT_FOUND);
    cJSON *rows;
    assert_int_equal(sdb_outbox_backlog(f->db, &rows), SDB_OK);
    cJSON *mes = cJSON_GetArrayItem(rows, 0);
    assert_int_equal(cJSON_GetObjectItem(mes, "pending")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(mes, "delivered")->valueint, 3);
    cJSON_Delete(rows);
}

static void test_alarm_owed_once_to_each_who_wants_it(void **state)
{
    struct db_fixture *f = *state;
    const char *body = "{\"event\":\"alarm\",\"id\":\"line3:alarm:1\"}";
    assert_int_equal(sdb_outbox_add(f->db, SDB_HOOK_ALARM, "alarm", "line3:alarm:1", body), SDB_OK);
    assert_int_equal(sdb_outbox_add(f->db, SDB_HOOK_ALARM, "alarm", "line3:alarm:1", body), SDB_OK);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM webhook_outbox"), 2);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(DISTINCT receiver)"
                                 " FROM webhook_outbox"), 2);
}

static void fail_and_leave_running(struct db_fixture *f)
{
    struct sdb_attempt_start st = {.slot = 2};
    int64_t id;
    assert_int_equal(sdb_attempt_begin(f->db, &st, &id), SDB_OK);
    attempt(f, 7, NULL, false);     /* ended and committed, then the kill */
}

static void test_kill_loses_nothing_and_the_sweep_is_owed(void **state)
{
    struct db_fixture *f = *state;
    sdb_close(f->db);
    f->db = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        open_with_hooks(f);
        fail_and_leave_running(f);
        raise(SIGKILL);
        _exit(3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    open_with_hooks(f);     /* the sweep marks the running attempt interrupted */
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM webhook_outbox"
                                 " WHERE event = 'unit.result' AND receiver = 'mes'"), 2);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM webhook_outbox WHERE"
                                 " json_extract(body, '$.result') = 'interrupted'"), 1);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM webhook_outbox WHERE"
                                 " json_extract(body, '$.result') = 'failed' AND"
                                 " json_extract(body, '$.failed_phase') = 'write'"), 1);
}

static void test_owed_items_cannot_be_edited_or_dropped(void **state)
{
    struct db_fixture *f = *state;
    attempt(f, 1, NULL, true);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_not_equal(sqlite3_exec(sql, "UPDATE webhook_outbox SET body = '{}'", NULL, NULL,
                                      NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(sql, "DELETE FROM webhook_outbox", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM webhook_outbox"), 1);
}

static void test_no_receivers_owes_nothing(void **state)
{
    struct db_fixture *f = *state;
    sdb_close(f->db);
    fixture_open(f);        /* no webhooks configured */
    attempt(f, 1, NULL, true);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM webhook_outbox"), 0);
}

/* GET /metrics' webhook backlog: what each receiver is owed and has not
 * had, counted on the index of undelivered rows (not the whole table). */
static void test_pending_is_each_receivers_backlog(void **state)
{
    struct db_fixture *f = *state;
    int64_t n = -1;
    assert_int_equal(sdb_outbox_pending(f->db, "mes", &n), SDB_OK);
    assert_int_equal(n, 0);
    attempt(f, 1, NULL, true);
    attempt(f, 2, NULL, false);
    const char *body = "{\"event\":\"alarm\",\"id\":\"line3:alarm:1\"}";
    assert_int_equal(sdb_outbox_add(f->db, SDB_HOOK_ALARM, "alarm", "line3:alarm:1", body), SDB_OK);
    assert_int_equal(sdb_outbox_pending(f->db, "mes", &n), SDB_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sdb_outbox_pending(f->db, "andon", &n), SDB_OK);
    assert_int_equal(n, 1);
    struct sdb_outbox_item it;
    assert_int_equal(sdb_outbox_next(f->db, "mes", &it), SDB_OK);
    assert_int_equal(sdb_outbox_delivered(f->db, it.id, 200), SDB_OK);
    sdb_outbox_item_free(&it);
    assert_int_equal(sdb_outbox_next(f->db, "mes", &it), SDB_OK);
    assert_int_equal(sdb_outbox_failed(f->db, it.id, 503, "busy", 60000), SDB_OK);
    sdb_outbox_item_free(&it);
    assert_int_equal(sdb_outbox_pending(f->db, "mes", &n), SDB_OK);
    assert_int_equal(n, 2);         /* a failed try is still owed */
    assert_int_equal(sdb_outbox_pending(f->db, "nobody", &n), SDB_OK);
    assert_int_equal(n, 0);

    sqlite3_stmt *plan;
    assert_int_equal(sqlite3_prepare_v2(sdb_sqlite(f->db), "EXPLAIN QUERY PLAN SELECT count(*)"
                                        " FROM webhook_outbox WHERE receiver = 'mes'"
                                        " AND delivered_at IS NULL", -1, &plan, NULL),
                     SQLITE_OK);
    bool indexed = false;
    while (sqlite3_step(plan) == SQLITE_ROW)
        indexed |= strstr((const char *)sqlite3_column_text(plan, 3), "webhook_outbox_due") != NULL;
    sqlite3_finalize(plan);
    assert_true(indexed);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_results_owed_in_order_and_delivered_once),
        T(test_alarm_owed_once_to_each_who_wants_it),
        T(test_kill_loses_nothing_and_the_sweep_is_owed),
        T(test_owed_items_cannot_be_edited_or_dropped),
        T(test_no_receivers_owes_nothing),
        T(test_pending_is_each_receivers_backlog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
