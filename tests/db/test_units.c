/* Units, work orders and certificates: rework keeps the serial, one live
 * unit per MAC, a full work order allocates no more, private keys refused. */
#include "db_fixture.h"

static const char *const FORMAT = "ACME-{yy}{ww}-{seq:06}";

static struct sdb_unit identify(struct db_fixture *f, uint32_t mac, const char *wo, bool *reworked)
{
    struct sdb_board b = board_with_mac(mac);
    struct sdb_unit u;
    int rc = sdb_unit_identify(f->db, &b, FORMAT, wo, &u, reworked);
    if (rc != SDB_OK)
        fail_msg("identify %u: %s", mac, sdb_errmsg(f->db));
    return u;
}

/* A whole successful attempt for a board: begin, identify, end ok. */
static struct sdb_unit flash_ok(struct db_fixture *f, uint32_t mac, const char *wo)
{
    struct sdb_attempt_start s = {.slot = 1, .work_order = wo};
    int64_t id;
    bool reworked;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &id), SDB_OK);
    struct sdb_unit u = identify(f, mac, wo, &reworked);
    assert_int_equal(sdb_attempt_set_unit(f->db, id, u.id), SDB_OK);
    assert_int_equal(sdb_attempt_end(f->db, id, true, NULL, NULL, 4096), SDB_OK);
    return u;
}

static void test_rework_keeps_serial(void **state)
{
    struct db_fixture *f = *state;
    bool reworked = true;
    struct sdb_unit first = identify(f, 7, NULL, &reworked);
    assert_false(reworked);
    assert_string_equal(first.serial, "ACME-2648-000001");
    assert_string_equal(first.mac, "24:0a:c4:00:00:07");
    assert_string_equal(first.chip, "ESP32-S3");

    f->now_ms += 3600 * 1000;
    fixture_reopen(f);
    struct sdb_unit again = identify(f, 7, NULL, &reworked);
    assert_true(reworked);
    assert_int_equal(again.id, first.id);
    assert_string_equal(again.serial, first.serial);
    assert_string_equal(again.first_seen, first.first_seen);
    assert_string_equal(again.last_seen, "2026-11-23T11:00:00.000Z");
    /* No serial was spent on the rework. */
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM serial_allocations"), 1);

    struct sdb_board b = board_with_mac(7);
    struct sdb_unit by_mac;
    assert_int_equal(sdb_unit_by_mac(f->db, b.mac, &by_mac), SDB_OK);
    assert_string_equal(by_mac.serial, first.serial);
    b.mac[5] = 8;
    assert_int_equal(sdb_unit_by_mac(f->db, b.mac, &by_mac), SDB_NOT_FOUND);
}

static void test_one_live_unit_per_mac(void **state)
{
    struct db_fixture *f = *state;
    bool reworked;
    identify(f, 9, NULL, &reworked);
    sqlite3 *sql = sdb_sqlite(f->db);
    /* Even a raw insert cannot add a second live unit with that MAC. */
    int rc = sqlite3_exec(sql, "INSERT INTO units (serial, mac, chip, revision, flash_id,"
                               " flash_size, first_seen, last_seen) VALUES ('X-1',"
                               " '24:0a:c4:00:00:09', 'ESP32', 'v1', 0, 0, 'now', 'now')",
                          NULL, NULL, NULL);
    assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_extended_errcode(sql), SQLITE_CONSTRAINT_UNIQUE);
    /* MACs are stored one way only. */
    rc = sqlite3_exec(sql, "INSERT INTO units (serial, mac, chip, revision, flash_id,"
                           " flash_size, first_seen, last_seen) VALUES ('X-2',"
                           " '24:0A:C4:00:00:10', 'ESP32', 'v1', 0, 0, 'now', 'now')",
                      NULL, NULL, NULL);
    assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM units"), 1);
}

static void test_work_order_quantity_stops_allocation(void **state)
{
    struct db_fixture *f = *state;
    bool reworked;
    char serial[SDB_SERIAL_MAX + 1];
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-1001", .quantity = 3, .actor = "mes"}), SDB_OK);
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-1001", .quantity = 3, .actor = "mes"}), SDB_CONFLICT);
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-0", .quantity = 0, .actor = "mes"}), SDB_REFUSED);
    flash_ok(f, 1, "WO-1001");
    identify(f, 2, "WO-1001", &reworked);
    identify(f, 3, "WO-1001", &reworked);

    struct sdb_work_order wo;
    assert_int_equal(sdb_work_order_get(f->db, "WO-1001", &wo), SDB_OK);
    assert_int_equal(wo.quantity, 3);
    assert_int_equal(wo.allocated, 3);
    assert_int_equal(wo.done, 1);
    assert_true(wo.full);

    struct sdb_board b = board_with_mac(4);
    struct sdb_unit u;
    assert_int_equal(sdb_unit_identify(f->db, &b, FORMAT, "WO-1001", &u, &reworked), SDB_REFUSED);
    assert_non_null(strstr(sdb_errmsg(f->db), "work order WO-1001 has all 3"));
    assert_int_equal(sdb_serial_allocate(f->db, FORMAT, "WO-1001", serial), SDB_REFUSED);
    /* Refused means nothing was written: no unit, no serial, counter unmoved. */
    assert_int_equal(sdb_unit_by_mac(f->db, b.mac, &u), SDB_NOT_FOUND);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT last_seq FROM serial_counters"), 3);

    /* A board of the work order coming back for rework still passes. */
    struct sdb_unit again = identify(f, 2, "WO-1001", &reworked);
    assert_true(reworked);

    /* Scrapping one frees its place. */
    assert_int_equal(sdb_serial_void(f->db, again.serial, "operator:ana", "scrapped: cracked"), SDB_OK);
    struct sdb_unit fourth = identify(f, 4, "WO-1001", &reworked);
    assert_string_equal(fourth.serial, "ACME-2648-000004");

    b.mac[5] = 5;
    assert_int_equal(sdb_unit_identify(f->db, &b, FORMAT, "WO-404", &u, &reworked), SDB_NOT_FOUND);
    assert_int_equal(sdb_work_order_get(f->db, "WO-404", &wo), SDB_NOT_FOUND);
}

static void test_work_order_counts_done_and_failed(void **state)
{
    struct db_fixture *f = *state;
    bool reworked;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-7", .quantity = 10}), SDB_OK);
    struct sdb_attempt_start s = {.slot = 2, .work_order = "WO-7"};
    int64_t a;
    /* Fails once, then passes twice (rework after pass): done counts 1. */
    assert_int_equal(sdb_attempt_begin(f->db, &s, &a), SDB_OK);
    struct sdb_unit u = identify(f, 1, "WO-7", &reworked);
    assert_int_equal(sdb_attempt_set_unit(f->db, a, u.id), SDB_OK);
    assert_int_equal(sdb_attempt_end(f->db, a, false, NULL, "x", 0), SDB_REFUSED);
    assert_int_equal(sdb_attempt_end(f->db, a, false, "verify", "md5 mismatch at 0x10000", 0), SDB_OK);
    assert_int_equal(sdb_attempt_end(f->db, a, true, NULL, NULL, 0), SDB_NOT_FOUND);
    flash_ok(f, 1, "WO-7");
    flash_ok(f, 1, "WO-7");
    struct sdb_work_order wo;
    assert_int_equal(sdb_work_order_get(f->db, "WO-7", &wo), SDB_OK);
    assert_int_equal(wo.done, 1);
    assert_int_equal(wo.failed, 1);
    assert_int_equal(wo.allocated, 1);
    assert_false(wo.full);

    f->now_ms += 1000;
    assert_int_equal(sdb_work_order_create(f->db, &(struct sdb_work_order_new){.id = "WO-8", .quantity = 5}), SDB_OK);
    cJSON *rows;
    struct sdb_page all = {.newest_first = true};
    assert_int_equal(sdb_work_order_list(f->db, &all, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    cJSON *newest = cJSON_GetArrayItem(rows, 0), *older = cJSON_GetArrayItem(rows, 1);
    assert_string_equal(cJSON_GetObjectItem(newest, "id")->valuestring, "WO-8");
    assert_int_equal(cJSON_GetObjectItem(older, "done")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(older, "allocated")->valueint, 1);
    int64_t seq = (int64_t)cJSON_GetObjectItem(newest, "seq")->valuedouble;
    cJSON_Delete(rows);
    /* A page of one, then the next from its cursor; and oldest first. */
    struct sdb_page page = {.limit = 1, .cursor = seq, .newest_first = true};
    assert_int_equal(sdb_work_order_list(f->db, &page, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "id")->valuestring,
                        "WO-7");
    cJSON_Delete(rows);
    page = (struct sdb_page){.limit = 1};
    assert_int_equal(sdb_work_order_list(f->db, &page, &rows), SDB_OK);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "id")->valuestring,
                        "WO-7");
    cJSON_Delete(rows);
}

static void test_attempt_without_unit_cannot_pass(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_attempt_start s = {.slot = 0};
    int64_t a;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &a), SDB_OK);
    assert_int_equal(sdb_attempt_end(f->db, a, true, NULL, NULL, 0), SDB_REFUSED);
    assert_non_null(strstr(sdb_errmsg(f->db), "never identified"));
    /* ... but can fail, e.g. no answer from the ROM loader. */
    assert_int_equal(sdb_attempt_end(f->db, a, false, "sync",
                                     "no answer from the ROM loader: check BOOT/EN wiring", 0), SDB_OK);
}

static void test_incomplete_serials_listed(void **state)
{
    struct db_fixture *f = *state;
    bool reworked;
    flash_ok(f, 1, NULL);
    identify(f, 2, NULL, &reworked);            /* allocated, never flashed */
    struct sdb_attempt_start s = {.slot = 3};
    int64_t a;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &a), SDB_OK);
    struct sdb_unit u3 = identify(f, 3, NULL, &reworked);
    assert_int_equal(sdb_attempt_set_unit(f->db, a, u3.id), SDB_OK);
    assert_int_equal(sdb_attempt_end(f->db, a, false, "write", "timeout", 100), SDB_OK);

    cJSON *rows;
    assert_int_equal(sdb_serials_incomplete(f->db, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    cJSON *r0 = cJSON_GetArrayItem(rows, 0), *r1 = cJSON_GetArrayItem(rows, 1);
    assert_string_equal(cJSON_GetObjectItem(r0, "serial")->valuestring, "ACME-2648-000002");
    assert_int_equal(cJSON_GetObjectItem(r0, "attempts")->valueint, 0);
    assert_string_equal(cJSON_GetObjectItem(r1, "serial")->valuestring, "ACME-2648-000003");
    assert_string_equal(cJSON_GetObjectItem(r1, "last_result")->valuestring, "failed");
    assert_string_equal(cJSON_GetObjectItem(r1, "mac")->valuestring, "24:0a:c4:00:00:03");
    cJSON_Delete(rows);
}

static const char CERT_PEM[] =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUYWNtZQ==\n-----END CERTIFICATE-----\n";
static const char FINGERPRINT[] = "3f9a1c0e5b7d2468ace0f13579bdf02468ace13579bdf02468ace13579bdf024";

static void test_certificate_stored_private_key_refused(void **state)
{
    struct db_fixture *f = *state;
    bool reworked;
    struct sdb_unit u = identify(f, 1, NULL, &reworked);
    struct sdb_certificate c = {
        .unit_id = u.id, .fingerprint_sha256 = FINGERPRINT, .subject = "CN=ACME-2648-000001",
        .not_before = "2026-11-23T00:00:00Z", .not_after = "2051-11-23T00:00:00Z", .pem = CERT_PEM,
    };
    int64_t id;
    assert_int_equal(sdb_certificate_insert(f->db, &c, &id), SDB_OK);
    assert_int_equal(sdb_certificate_insert(f->db, &c, &id), SDB_CONFLICT);  /* same fingerprint */

    static const char *const keys[] = {
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
         "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"),
        "-----BEGIN CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\nAA\n",
        "-----BEGIN CERTIFICATE-----\nbegin rsa private key\n",
    };
    char fp[65];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(fp, sizeof fp, "%063zu%c", i, 'a');
        c.fingerprint_sha256 = fp;
        c.pem = keys[i];
        assert_int_equal(sdb_certificate_insert(f->db, &c, &id), SDB_REFUSED);
        assert_non_null(strstr(sdb_errmsg(f->db), "refusing to store a private key"));
    }
    /* The table itself refuses, whatever writes to it. */
    sqlite3 *sql = sdb_sqlite(f->db);
    int rc = sqlite3_exec(sql, "INSERT INTO certificates (unit_id, serial, fingerprint_sha256,"
                               " subject, not_before, not_after, pem, created_at) VALUES (1, 'S',"
                               " 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',"
                               " 'CN=x', 'a', 'b', '-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE"
                               " KEY-----', 'now')", NULL, NULL, NULL);
    assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_extended_errcode(sql), SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM certificates"), 1);

    c.pem = "MIIB...";
    c.fingerprint_sha256 = FINGERPRINT;
    assert_int_equal(sdb_certificate_insert(f->db, &c, &id), SDB_REFUSED);
    c.pem = CERT_PEM;
    c.fingerprint_sha256 = "abc";
    assert_int_equal(sdb_certificate_insert(f->db, &c, &id), SDB_REFUSED);
}

static void test_bundle_register_is_idempotent(void **state)
{
    struct db_fixture *f = *state;
    int64_t a, b, c;
    const char *h1 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assert_int_equal(sdb_bundle_register(f->db, "sensor", "1.4.2", h1, &a), SDB_OK);
    assert_int_equal(sdb_bundle_register(f->db, "sensor", "1.4.2", h1, &b), SDB_OK);
    assert_int_equal(a, b);
    assert_int_equal(sdb_bundle_register(f->db, "sensor", "1.4.3",
                     "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", &c), SDB_OK);
    assert_int_not_equal(a, c);
    assert_int_equal(sdb_bundle_register(f->db, "x", "1", "not-a-hash", &c), SDB_REFUSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rework_keeps_serial, fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_one_live_unit_per_mac, fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_work_order_quantity_stops_allocation,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_work_order_counts_done_and_failed,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_attempt_without_unit_cannot_pass,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_serials_listed,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_certificate_stored_private_key_refused,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_register_is_idempotent,
                                        fixture_setup_open, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
