/* A work order's own bundle and serial format, and the work order chosen
 * over the API (db/work_orders.c, db/work_order_choice.c): a format is
 * checked as jigd.conf's is and gives the order's units their serials; the
 * choice is kept with what jigd.conf said, audited with who chose it,
 * refused for an order that is closed or full, and forgotten on request. */
#include "db_fixture.h"

#define SHA "3f1c9a0b3f1c9a0b3f1c9a0b3f1c9a0b3f1c9a0b3f1c9a0b3f1c9a0b3f1c9a0b"

static void test_own_bundle_and_format(void **state)
{
    struct db_fixture *f = *state;
    int64_t bundle;
    assert_int_equal(sdb_bundle_register(f->db, "acme", "1.4.0", SHA, &bundle), SDB_OK);
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-1", .quantity = 2, .bundle_id = bundle, .serial_format = "ACME-{seq:04}",
        .actor = "mes1"}), SDB_OK);
    struct sdb_work_order w;
    assert_int_equal(sdb_work_order_get(f->db, "WO-1", &w), SDB_OK);
    assert_string_equal(w.bundle_sha256, SHA);
    assert_string_equal(w.serial_format, "ACME-{seq:04}");
    /* The station passes the order's format to identify: its serials. */
    struct sdb_board b = board_with_mac(1);
    struct sdb_unit u;
    bool reworked;
    assert_int_equal(sdb_unit_identify(f->db, &b, w.serial_format, "WO-1", &u, &reworked),
                     SDB_OK);
    assert_string_equal(u.serial, "ACME-0001");
    /* A format the database would refuse is refused when the order is made. */
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-2", .quantity = 2, .serial_format = "NO-SEQUENCE"}), SDB_REFUSED);
    assert_non_null(strstr(sdb_errmsg(f->db), "NO-SEQUENCE"));
    assert_int_equal(sdb_work_order_get(f->db, "WO-2", &w), SDB_NOT_FOUND);
    /* Without one, the order's format is empty: the station's applies. */
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-3", .quantity = 2}), SDB_OK);
    assert_int_equal(sdb_work_order_get(f->db, "WO-3", &w), SDB_OK);
    assert_string_equal(w.serial_format, "");
    assert_string_equal(w.bundle_sha256, "");
}

static void test_choice_kept_audited_forgotten(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_work_order_choice c;
    assert_int_equal(sdb_work_order_choice_get(f->db, &c), SDB_NOT_FOUND);
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-1", .quantity = 5}), SDB_OK);
    assert_int_equal(sdb_work_order_choose(f->db, "WO-1", "WO-0", "mes1"), SDB_OK);
    assert_int_equal(sdb_work_order_choice_get(f->db, &c), SDB_OK);
    assert_string_equal(c.work_order, "WO-1");
    assert_string_equal(c.config_work_order, "WO-0");
    assert_string_equal(c.chosen_by, "mes1");
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE actor = 'mes1'"
                                 " AND action = 'work_order.activate'"
                                 " AND json_extract(details, '$.work_order') = 'WO-1'"
                                 " AND json_extract(details, '$.previous') = 'WO-0'"), 1);
    assert_int_equal(sdb_work_order_choose(f->db, "WO-9", "", "mes1"), SDB_NOT_FOUND);
    assert_int_equal(sdb_work_order_choose(f->db, "WO-1", "", ""), SDB_REFUSED);
    assert_int_equal(sdb_work_order_choice_forget(f->db), SDB_OK);
    assert_int_equal(sdb_work_order_choice_get(f->db, &c), SDB_NOT_FOUND);
    struct sdb_audit_check check;
    assert_int_equal(sdb_audit_verify(f->db, &check), SDB_OK);
    assert_true(check.ok);
}

static const struct sdb_webhook hooks[] = {{"mes", SDB_HOOK_WORK_ORDER}};

static int setup_with_receiver(void **state)
{
    if (fixture_setup(state))
        return -1;
    fixture_open_hooks(*state, hooks, 1);
    return 0;
}

/* Each activation is owed to the receivers, the same order twice too: its
 * key carries the activation's audit event, so neither is taken for a
 * repeat of the other. */
static void test_each_activation_is_owed(void **state)
{
    struct db_fixture *f = *state;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-1", .quantity = 5}), SDB_OK);
    assert_int_equal(sdb_work_order_choose(f->db, "WO-1", "", "mes1"), SDB_OK);
    f->now_ms += 1000;
    assert_int_equal(sdb_work_order_choose(f->db, "WO-1", "", "mes1"), SDB_OK);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(DISTINCT idempotency_key) FROM"
                                 " webhook_outbox WHERE event = 'work_order.activated'"
                                 " AND json_extract(body, '$.work_order') = 'WO-1'"
                                 " AND json_extract(body, '$.id') = idempotency_key"), 2);
}

static void test_closed_or_full_is_no_choice(void **state)
{
    struct db_fixture *f = *state;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-1", .quantity = 1}), SDB_OK);
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){
        .id = "WO-2", .quantity = 5}), SDB_OK);
    struct sdb_board b = board_with_mac(1);
    struct sdb_unit u;
    bool reworked;
    assert_int_equal(sdb_unit_identify(f->db, &b, "T-{seq:04}", "WO-1", &u, &reworked), SDB_OK);
    assert_int_equal(sdb_work_order_choose(f->db, "WO-1", "", "mes1"), SDB_CONFLICT);
    assert_non_null(strstr(sdb_errmsg(f->db), "all 1 of its serials"));
    assert_int_equal(sdb_work_order_close(f->db, "WO-2", "mes1", "cancelled"), SDB_OK);
    assert_int_equal(sdb_work_order_choose(f->db, "WO-2", "", "mes1"), SDB_CONFLICT);
    assert_non_null(strstr(sdb_errmsg(f->db), "closed"));
    struct sdb_work_order_choice c;
    assert_int_equal(sdb_work_order_choice_get(f->db, &c), SDB_NOT_FOUND);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_own_bundle_and_format),
        T(test_choice_kept_audited_forgotten),
        T(test_closed_or_full_is_no_choice),
        cmocka_unit_test_setup_teardown(test_each_activation_is_owed, setup_with_receiver,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
