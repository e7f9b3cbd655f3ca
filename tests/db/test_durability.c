/* Which writes jigd's connection makes durable at once and which ride on the
 * next durable commit: allocations and an attempt's start and end each fsync
 * (synchronous=FULL); the progress rows between them (parts, phases) and a
 * bundle already registered cost none, and still survive a killed process.
 * fsync and fdatasync are counted by bench/slow_fsync.c, linked in; with
 * SLOW_FSYNC_MS set it slows them too, and the commit observer (GET
 * /metrics' commit latency) must see the time. */
#include "db_fixture.h"

long slow_fsync_calls(void);

static const char SHA_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static int64_t begin(struct db_fixture *f)
{
    struct sdb_attempt_start s = {.slot = 1, .adapter_id = "FTDI-A1", .adapter_port = "/dev/ttyUSB0"};
    int64_t id;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &id), SDB_OK);
    return id;
}

static int64_t synchronous_level(struct db_fixture *f)
{
    return query_int64(sdb_sqlite(f->db), "PRAGMA synchronous");
}

static void test_progress_rows_cost_no_fsync(void **state)
{
    struct db_fixture *f = *state;
    long before = slow_fsync_calls();
    int64_t a = begin(f);
    assert_true(slow_fsync_calls() > before);                  /* the start is durable */

    before = slow_fsync_calls();
    assert_int_equal(sdb_attempt_part(f->db, a, "app", 0x10000, 4096, SHA_A, false), SDB_OK);
    assert_int_equal(sdb_attempt_phase(f->db, a, "connect", f->now_ms, 120, 0), SDB_OK);
    assert_int_equal(sdb_attempt_phase(f->db, a, "write", f->now_ms, 900, 4096), SDB_OK);
    assert_int_equal(slow_fsync_calls(), before);
    assert_int_equal(synchronous_level(f), 2);                 /* back to FULL */

    before = slow_fsync_calls();
    assert_int_equal(sdb_attempt_end(f->db, a, false, "write", "the adapter went away", 4096),
                     SDB_OK);
    assert_true(slow_fsync_calls() > before);                  /* the end is durable */
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM attempt_phases"), 2);
}

/* A commit that appends to the audit log costs the WAL's fsync and the
 * anchor file's, not a third for the anchor's folder (that one waits for
 * the close): jigd's loop waits on each, 5-50 ms on an SD card. The anchor
 * still follows every such commit. */
static void test_audit_append_costs_two_fsyncs(void **state)
{
    struct db_fixture *f = *state;
    assert_int_equal(sdb_audit_append(f->db, "operator", "slot.abort", NULL), SDB_OK);
    long before = slow_fsync_calls();
    assert_int_equal(sdb_audit_append(f->db, "operator", "slot.abort", NULL), SDB_OK);
    assert_int_equal(slow_fsync_calls() - before, 2);
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_true(c.ok);
    assert_int_equal(c.anchored_id, query_int64(sdb_sqlite(f->db), "SELECT max(id) FROM audit_events"));
}

/* A refused row must not leave the connection at NORMAL either. */
static void test_refused_progress_row_leaves_full(void **state)
{
    struct db_fixture *f = *state;
    int64_t a = begin(f);
    assert_int_equal(sdb_attempt_part(f->db, a, "bad", 0, 1, "xyz", false), SDB_REFUSED);
    assert_int_equal(synchronous_level(f), 2);
    assert_int_equal(sdb_attempt_phase(f->db, 999999, "write", f->now_ms, 1, 1), SDB_REFUSED);
    assert_int_equal(synchronous_level(f), 2);
}

static void test_known_bundle_costs_no_fsync(void **state)
{
    struct db_fixture *f = *state;
    int64_t first, again;
    long before = slow_fsync_calls();
    assert_int_equal(sdb_bundle_register(f->db, "sensor", "1.4.2", SHA_A, &first), SDB_OK);
    assert_true(slow_fsync_calls() > before);
    before = slow_fsync_calls();
    assert_int_equal(sdb_bundle_register(f->db, "sensor", "1.4.2", SHA_A, &again), SDB_OK);
    assert_int_equal(slow_fsync_calls(), before);
    assert_int_equal(again, first);
}

/* A process killed right after recording progress loses none of it: the
 * commit is in the WAL file, only not yet forced to the medium. */
static void record_progress(struct db_fixture *f)
{
    struct sdb_attempt_start s = {.slot = 1};
    int64_t a;
    if (sdb_attempt_begin(f->db, &s, &a) != SDB_OK ||
        sdb_attempt_part(f->db, a, "app", 0x10000, 4096, SHA_A, false) != SDB_OK ||
        sdb_attempt_phase(f->db, a, "write", f->now_ms, 900, 4096) != SDB_OK)
        _exit(2);
}

static void test_progress_survives_a_killed_process(void **state)
{
    struct db_fixture *f = *state;
    fixture_in_killed_child(f, record_progress);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM attempt_phases WHERE phase = 'write'"
                                      " AND bytes = 4096"), 1);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM attempt_parts WHERE name = 'app'"), 1);
    char result[32];
    assert_string_equal(query_text(sql, "SELECT result FROM attempts", result, sizeof result),
                        "interrupted");
}

struct commits_seen {
    int durable, progress;
    double shortest, longest;   /* of the durable ones */
};

static void on_commit(void *ctx, double seconds, bool durable)
{
    struct commits_seen *c = ctx;
    if (!durable) {
        c->progress++;
        return;
    }
    if (c->durable == 0 || seconds < c->shortest)
        c->shortest = seconds;
    if (seconds > c->longest)
        c->longest = seconds;
    c->durable++;
}

/* GET /metrics' commit latency: the observer hears every commit, one
 * statement or a whole transaction, with the time the disk took to make a
 * durable one so (here 30 ms a sync, as an SD card might); a progress row
 * is heard as not durable, and a read not at all. */
static void test_commits_are_timed(void **state)
{
    struct db_fixture *f = *state;
    struct commits_seen seen = {0};
    sdb_observe_commits(f->db, on_commit, &seen);
    setenv("SLOW_FSYNC_MS", "30", 1);
    int64_t a = begin(f);                       /* one statement, autocommit */
    assert_int_equal(seen.durable, 1);
    assert_true(seen.shortest >= 0.029);
    assert_int_equal(sdb_attempt_phase(f->db, a, "write", f->now_ms, 900, 4096), SDB_OK);
    assert_int_equal(seen.progress, 1);
    assert_int_equal(seen.durable, 1);
    assert_int_equal(sdb_attempt_end(f->db, a, false, "write", "the adapter went away", 4096),
                     SDB_OK);
    unsetenv("SLOW_FSYNC_MS");
    assert_int_equal(seen.durable, 2);          /* BEGIN ... COMMIT */
    assert_true(seen.shortest >= 0.029 && seen.longest < 5);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM attempts"), 1);
    assert_int_equal(seen.durable + seen.progress, 3);
    sdb_observe_commits(f->db, NULL, NULL);
    begin(f);
    assert_int_equal(seen.durable, 2);
}

/* Timing commits takes SQLite's own WAL hook, its automatic checkpoint:
 * the WAL must still be checkpointed (and so not grow for ever) while the
 * observer is set, and after it is taken away. */
static void test_wal_still_checkpoints(void **state)
{
    struct db_fixture *f = *state;
    struct commits_seen seen = {0};
    sqlite3 *sql = sdb_sqlite(f->db);
    for (int round = 0; round < 2; round++) {
        sdb_observe_commits(f->db, round ? NULL : on_commit, &seen);
        int64_t a = begin(f);
        char part[64];
        for (int i = 0; i < 1500; i++) {
            snprintf(part, sizeof part, "part-%d-%d", round, i);
            assert_int_equal(sdb_attempt_part(f->db, a, part, 0x10000u + (uint32_t)i, 4096,
                                              SHA_A, false), SDB_OK);
        }
        /* A checkpoint rewinds the WAL: with none, 1500 commits would
         * leave far more than 1000 pages in it. */
        int wal_pages = -1, moved = -1;
        assert_int_equal(sqlite3_wal_checkpoint_v2(sql, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                                   &wal_pages, &moved), SQLITE_OK);
        if (wal_pages >= 1100)
            fail_msg("round %d: the WAL holds %d pages: nothing checkpointed it", round,
                     wal_pages);
    }
    assert_true(seen.progress >= 1500);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_progress_rows_cost_no_fsync),
        T(test_refused_progress_row_leaves_full),
        T(test_audit_append_costs_two_fsyncs),
        T(test_known_bundle_costs_no_fsync),
        T(test_progress_survives_a_killed_process),
        T(test_commits_are_timed),
        T(test_wal_still_checkpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
