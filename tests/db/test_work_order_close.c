/* Closing a work order (db/work_orders.c): no new board gets a serial in
 * it, a unit already in it is still reworked, closing twice is refused
 * naming when and by whom, the close is audited and owed to the webhook
 * receivers, and a close cannot be undone by hand. */
#include "db_fixture.h"

static const struct sdb_webhook hooks[] = {{"mes", SDB_HOOK_WORK_ORDER}};

static int setup(void **state)
{
    if (fixture_setup(state))
        return -1;
    fixture_open_hooks(*state, hooks, 1);
    return 0;
}

static int identify(struct db_fixture *f, uint32_t board, struct sdb_unit *u, bool *reworked)
{
    struct sdb_board b = board_with_mac(board);
    return sdb_unit_identify(f->db, &b, "T-{seq:04}", "WO-1", u, reworked);
}

static void test_closed_order_takes_no_new_board(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_unit u;
    bool reworked;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-1", .quantity = 10, .actor = "mes1"}), SDB_OK);
    assert_int_equal(identify(f, 1, &u, &reworked), SDB_OK);
    f->now_ms += 60000;
    assert_int_equal(sdb_work_order_close(f->db, "WO-1", "mes1", "cancelled"), SDB_OK);

    assert_int_equal(identify(f, 2, &u, &reworked), SDB_REFUSED);
    const char *msg = sdb_errmsg(f->db);
    if (!strstr(msg, "WO-1 was closed at 2026-11-23T10:01:00.000Z by mes1"))
        fail_msg("the refusal does not say when and by whom: %s", msg);
    assert_int_equal(identify(f, 1, &u, &reworked), SDB_OK);   /* rework: welcome */
    assert_true(reworked);

    struct sdb_work_order w;
    assert_int_equal(sdb_work_order_get(f->db, "WO-1", &w), SDB_OK);
    assert_string_equal(w.closed_by, "mes1");
    assert_string_equal(w.close_reason, "cancelled");
    assert_int_equal(sdb_work_order_close(f->db, "WO-1", "mes2", "again"), SDB_CONFLICT);
    assert_non_null(strstr(sdb_errmsg(f->db), "closed already"));
    assert_int_equal(sdb_work_order_close(f->db, "WO-9", "mes1", "x"), SDB_NOT_FOUND);
    assert_int_equal(sdb_work_order_close(f->db, "WO-1", "mes1", ""), SDB_REFUSED);
}

static void test_close_is_audited_owed_and_final(void **state)
{
    struct db_fixture *f = *state;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-1", .quantity = 10, .actor = "mes1"}), SDB_OK);
    assert_int_equal(sdb_work_order_close(f->db, "WO-1", "mes1", "short run"), SDB_OK);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE actor = 'mes1'"
                                 " AND action = 'work_order.close'"
                                 " AND json_extract(details, '$.reason') = 'short run'"), 1);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM webhook_outbox WHERE"
                                 " event = 'work_order.closed' AND"
                                 " json_extract(body, '$.close_reason') = 'short run'"), 1);
    assert_int_not_equal(sqlite3_exec(sql, "UPDATE work_orders SET closed_at = NULL", NULL,
                                      NULL, NULL), SQLITE_OK);
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_true(c.ok);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_closed_order_takes_no_new_board),
        T(test_close_is_audited_owed_and_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
