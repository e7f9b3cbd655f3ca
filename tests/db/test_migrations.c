/* Schema migrations: from empty, from every older version, a database from
 * a newer jigd refused, foreign files refused, the station lock. */
#include "db_fixture.h"
#include "db_internal.h"    /* DB_SCHEMA_RECORDS */
#include "db_migrations.h"

static void test_migration_table_is_contiguous(void **state)
{
    assert_true(db_migration_count >= 2);
    assert_int_equal(sdb_latest_schema_version(), db_migration_count);
    for (int i = 0; i < db_migration_count; i++) {
        assert_int_equal(db_migrations[i].version, i + 1);
        assert_true(strlen(db_migrations[i].name) > 0);
        assert_true(strlen(db_migrations[i].sql) > 0);
    }
}

static void test_open_empty_reaches_latest_with_durable_settings(void **state)
{
    struct db_fixture *f = *state;
    fixture_open(f);
    sqlite3 *sql = sdb_sqlite(f->db);
    char text[32];
    assert_int_equal(sdb_schema_version(f->db), sdb_latest_schema_version());
    assert_int_equal(query_int64(sql, "PRAGMA user_version"), sdb_latest_schema_version());
    assert_int_equal(query_int64(sql, "PRAGMA application_id"), 0x6a696764);
    assert_string_equal(query_text(sql, "PRAGMA journal_mode", text, sizeof text), "wal");
    assert_int_equal(query_int64(sql, "PRAGMA synchronous"), 2);   /* FULL */
    assert_int_equal(query_int64(sql, "PRAGMA foreign_keys"), 1);
    static const char *const tables[] = {
        "units", "attempts", "attempt_phases", "attempt_parts", "bundles", "sessions",
        "certificates", "serial_counters", "serial_allocations", "work_orders", "audit_events",
        "api_tokens",
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char q[160];
        snprintf(q, sizeof q, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        assert_int_equal(query_int64(sql, q), 1);
    }
    /* The open itself is audited. */
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE action = 'station.start'"), 1);
}

/* Whether the upgrade test seeds a unit by hand: jigd wrote units without
 * a record in the audit log before schema 7, which records those; from 7 on
 * it records each as it writes it, which a seed by hand cannot. */
static bool seeds_unit(int version)
{
    return version >= 1 && version < DB_SCHEMA_RECORDS;
}

/* Rows that each schema version can hold, inserted the way that version's
 * jigd would have. */
static void seed_at_version(sqlite3 *sql, int version)
{
    if (seeds_unit(version)) {
        exec_sql(sql, "INSERT INTO units (serial, mac, chip, revision, flash_id, flash_size,"
                      " first_seen, last_seen) VALUES ('OLD-0001', '24:0a:c4:00:00:01', 'ESP32',"
                      " 'v3.0', 1, 4194304, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')");
    }
    if (version >= 2) {
        exec_sql(sql, "INSERT INTO work_orders (id, quantity, created_at)"
                      " VALUES ('WO-OLD', 5, '2025-01-01T00:00:00.000Z')");
    }
}

static char *schema_dump(sqlite3 *sql)
{
    sqlite3_stmt *stmt;
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    assert_int_equal(sqlite3_prepare_v2(sql, "SELECT type || ' ' || name || ' ' || coalesce(sql, '')"
                                             " FROM sqlite_schema ORDER BY type, name", -1, &stmt, NULL),
                     SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(stmt, 0);
        assert_true(len + strlen(t) + 2 < cap);
        len += (size_t)snprintf(out + len, cap - len, "%s\n", t);
    }
    sqlite3_finalize(stmt);
    return out;
}

static void test_upgrade_from_every_older_version(void **state)
{
    struct db_fixture *f = *state;
    char err[512];
    /* The reference: a database created at the latest version from empty. */
    fixture_open(f);
    char *reference = schema_dump(sdb_sqlite(f->db));
    sdb_close(f->db);
    f->db = NULL;

    for (int v = 0; v < sdb_latest_schema_version(); v++) {
        char path[160];
        snprintf(path, sizeof path, "%s/from-v%d.db", f->dir, v);
        assert_int_equal(sdb_migrate_file_to(path, v, err, sizeof err), SDB_OK);
        sqlite3 *raw;
        assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
        assert_int_equal(query_int64(raw, "PRAGMA user_version"), v);
        seed_at_version(raw, v);
        sqlite3_close(raw);

        struct sdb_options o = fixture_options(f);
        struct station_db *db;
        int rc = sdb_open(path, &o, &db, err, sizeof err);
        if (rc != SDB_OK)
            fail_msg("upgrade from v%d: %s", v, err);
        sqlite3 *sql = sdb_sqlite(db);
        assert_int_equal(query_int64(sql, "PRAGMA user_version"), sdb_latest_schema_version());
        char *dump = schema_dump(sql);
        assert_string_equal(dump, reference);
        free(dump);
        if (seeds_unit(v))
            assert_int_equal(query_int64(sql, "SELECT count(*) FROM units WHERE serial = 'OLD-0001'"), 1);
        if (v >= 2) {
            struct sdb_work_order wo;
            assert_int_equal(sdb_work_order_get(db, "WO-OLD", &wo), SDB_OK);
            assert_int_equal(wo.quantity, 5);
        }
        /* And the upgraded database works. */
        struct sdb_board b = board_with_mac(0x42);
        struct sdb_unit u;
        bool reworked = true;
        assert_int_equal(sdb_unit_identify(db, &b, "NEW-{seq:04}", NULL, &u, &reworked), SDB_OK);
        assert_string_equal(u.serial, "NEW-0001");
        assert_false(reworked);
        struct sdb_audit_check check;
        assert_int_equal(sdb_audit_verify(db, &check), SDB_OK);
        if (!check.ok)
            fail_msg("upgraded from v%d: %s", v, check.reason);
        sdb_close(db);
        static const char *const suffixes[] = {"", "-wal", "-shm", ".lock", ".anchor"};
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            char p[200];
            snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
            unlink(p);
        }
    }
    free(reference);
}

static void test_database_from_the_future_is_refused(void **state)
{
    struct db_fixture *f = *state;
    char err[512], want[256], q[64];
    int latest = sdb_latest_schema_version();
    assert_int_equal(sdb_migrate_file_to(f->path, latest, err, sizeof err), SDB_OK);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    snprintf(q, sizeof q, "PRAGMA user_version = %d", latest + 2);
    exec_sql(raw, q);
    sqlite3_close(raw);

    struct sdb_options o = fixture_options(f);
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_ERROR);
    assert_null(f->db);
    snprintf(want, sizeof want, "station.db is schema %d but this jigd knows up to %d: it was "
             "opened by a newer jigd; upgrade jigd or restore a backup", latest + 2, latest);
    assert_string_equal(err, want);

    /* Nothing was changed by the refusal. */
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(query_int64(raw, "PRAGMA user_version"), latest + 2);
    assert_int_equal(query_int64(raw, "SELECT count(*) FROM sessions"), 0);
    sqlite3_close(raw);
}

static void test_foreign_database_is_refused(void **state)
{
    struct db_fixture *f = *state;
    char err[512];
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    exec_sql(raw, "CREATE TABLE recipes (name TEXT)");
    sqlite3_close(raw);
    struct sdb_options o = fixture_options(f);
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_ERROR);
    assert_non_null(strstr(err, "not a jigd database"));

    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    exec_sql(raw, "PRAGMA application_id = 1234");
    sqlite3_close(raw);
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_ERROR);
    assert_non_null(strstr(err, "belongs to another program"));
}

static void test_second_station_refused_readers_welcome(void **state)
{
    struct db_fixture *f = *state;
    char err[512];
    fixture_open(f);
    struct sdb_options o = fixture_options(f);
    struct station_db *second = NULL;
    assert_int_equal(sdb_open(f->path, &o, &second, err, sizeof err), SDB_BUSY);
    assert_null(second);
    assert_non_null(strstr(err, "in use by another jigd"));

    o.read_only = true;
    struct station_db *reader = NULL;
    assert_int_equal(sdb_open(f->path, &o, &reader, err, sizeof err), SDB_OK);
    struct sdb_yield y;
    assert_int_equal(sdb_report_first_pass_yield(reader, NULL, NULL, &y, NULL), SDB_OK);
    /* A reader cannot write. */
    char serial[SDB_SERIAL_MAX + 1];
    assert_int_equal(sdb_serial_allocate(reader, "X-{seq}", NULL, serial), SDB_REFUSED);
    sdb_close(reader);

    /* Once the station closes, another may open. */
    sdb_close(f->db);
    f->db = NULL;
    o.read_only = false;
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_OK);
}

static void test_reader_refuses_old_schema(void **state)
{
    struct db_fixture *f = *state;
    char err[512];
    assert_int_equal(sdb_migrate_file_to(f->path, 2, err, sizeof err), SDB_OK);
    struct sdb_options o = fixture_options(f);
    o.read_only = true;
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_ERROR);
    assert_non_null(strstr(err, "start jigd once to upgrade it"));
}

/* Another process holding the write lock makes a write fail after the busy
 * timeout, with words that say what to look for, instead of hanging. */
static void test_locked_database_fails_after_busy_timeout(void **state)
{
    struct db_fixture *f = *state;
    char err[512], serial[SDB_SERIAL_MAX + 1];
    struct sdb_options o = fixture_options(f);
    o.busy_timeout_ms = 50;
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_OK);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
    exec_sql(other, "BEGIN IMMEDIATE");
    assert_int_equal(sdb_serial_allocate(f->db, "B-{seq}", NULL, serial), SDB_BUSY);
    assert_non_null(strstr(sdb_errmsg(f->db), "stayed locked by another process"));
    exec_sql(other, "ROLLBACK");
    sqlite3_close(other);
    assert_int_equal(sdb_serial_allocate(f->db, "B-{seq}", NULL, serial), SDB_OK);
    assert_string_equal(serial, "B-1");
}

static void test_bad_station_name_refused(void **state)
{
    struct db_fixture *f = *state;
    char err[512];
    struct sdb_options o = fixture_options(f);
    o.station = "line 3";
    assert_int_equal(sdb_open(f->path, &o, &f->db, err, sizeof err), SDB_REFUSED);
    assert_non_null(strstr(err, "station name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_table_is_contiguous),
        cmocka_unit_test_setup_teardown(test_open_empty_reaches_latest_with_durable_settings,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_every_older_version,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_database_from_the_future_is_refused,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_is_refused,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_second_station_refused_readers_welcome,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reader_refuses_old_schema,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_locked_database_fails_after_busy_timeout,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bad_station_name_refused,
                                        fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
