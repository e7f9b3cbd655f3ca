/* Crash safety of serial allocation: a child process identifies boards
 * (allocating serials, voiding some, reworking others, starting and ending
 * attempts) in a loop and is SIGKILLed at a random moment, many times; the
 * parent reopens the database after each kill. Afterwards:
 *  - every serial the child was told about (the call had returned) is in
 *    the database, on the board it was given to: allocation is committed
 *    before the function returns;
 *  - no serial is on two units, no MAC on two live units, every allocation
 *    matches its unit, counters are ahead of every sequence they issued;
 *  - PRAGMA integrity_check is ok and the audit chain verifies.
 * Bounded: at most MAX_KILLS rounds and TIME_BUDGET_S seconds. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "db_fixture.h"

#define MAX_KILLS 60
#define TIME_BUDGET_S 20
#define FORMAT "CR-{yy}{ww}-{seq:06}"

struct reported {
    char serial[SDB_SERIAL_MAX + 1];
    char mac[SDB_MAC_LEN + 1];
};

/* Global so that teardown frees it even when an assertion jumps out. */
static struct reported *reported;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Tells the parent about a serial the database has promised. */
static void report(int fd, const struct sdb_unit *u)
{
    char line[SDB_SERIAL_MAX + SDB_MAC_LEN + 4];
    int n = snprintf(line, sizeof line, "%s %s\n", u->serial, u->mac);
    /* Shorter than PIPE_BUF: the write is atomic, a kill cannot split it. */
    if (write(fd, line, (size_t)n) != n)
        _exit(11);
}

/* One board through the station, with some rework, voids and failures. */
static void child_round(struct db_fixture *f, int round, uint32_t j, int fd)
{
    uint32_t r = (uint32_t)rand();
    /* One board in three is one seen before (by an earlier round, maybe). */
    uint32_t mac = (r % 3 == 0) ? (((r >> 4) % (uint32_t)(round + 1)) << 16 | ((r >> 12) % 4))
                                : ((uint32_t)round << 16 | (j + 4));
    struct sdb_board b = board_with_mac(mac);
    struct sdb_attempt_start s = {.slot = (int)(j % 8)};
    struct sdb_unit u;
    int64_t attempt;
    bool reworked;
    if (sdb_attempt_begin(f->db, &s, &attempt) != SDB_OK)
        _exit(12);
    if (sdb_unit_identify(f->db, &b, FORMAT, NULL, &u, &reworked) != SDB_OK)
        _exit(13);
    report(fd, &u);
    if (sdb_attempt_set_unit(f->db, attempt, u.id) != SDB_OK)
        _exit(14);
    if (r % 7 == 0 && sdb_serial_void(f->db, u.serial, "operator:test", "crash test") != SDB_OK)
        _exit(15);
    int rc = SDB_OK;
    if (r % 2 == 0)
        rc = sdb_attempt_end(f->db, attempt, true, NULL, NULL, 1024);
    else if (r % 5 == 1)
        rc = sdb_attempt_end(f->db, attempt, false, "verify", "md5 mismatch", 0);
    if (rc != SDB_OK)   /* otherwise the attempt stays running, for the sweep */
        _exit(16);
}

static void run_child(struct db_fixture *f, int round, int fd)
{
    srand((unsigned)round * 7919u + 17u);
    f->db = NULL;
    char err[512];
    struct sdb_options o = fixture_options(f);
    if (sdb_open(f->path, &o, &f->db, err, sizeof err) != SDB_OK)
        _exit(10);
    for (uint32_t j = 0;; j++)
        child_round(f, round, j, fd);
}

static size_t read_reports(int fd, struct reported **list, size_t n, size_t *cap)
{
    char buf[8192];
    size_t used = 0;
    ssize_t got;
    while ((got = read(fd, buf + used, sizeof buf - used - 1)) > 0 ||
           (got < 0 && errno == EINTR)) {
        if (got < 0)
            continue;
        used += (size_t)got;
        buf[used] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            if (n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *list = realloc(*list, *cap * sizeof **list);
                assert_non_null(*list);
            }
            assert_int_equal(sscanf(line, "%64s %17s", (*list)[n].serial, (*list)[n].mac), 2);
            n++;
            line = nl + 1;
        }
        used = strlen(line);
        memmove(buf, line, used);
    }
    return n;
}

static void expect_zero(sqlite3 *sql, const char *what, const char *q)
{
    int64_t n = query_int64(sql, q);
    if (n != 0)
        fail_msg("%s: %lld rows", what, (long long)n);
}

static void check_consistent(struct db_fixture *f)
{
    sqlite3 *sql = sdb_sqlite(f->db);
    char text[64];
    assert_string_equal(query_text(sql, "PRAGMA integrity_check", text, sizeof text), "ok");
    expect_zero(sql, "foreign key violations", "SELECT count(*) FROM pragma_foreign_key_check");
    expect_zero(sql, "serials on two units",
                "SELECT count(*) FROM (SELECT serial FROM units GROUP BY serial HAVING count(*) > 1)");
    expect_zero(sql, "MACs on two live units",
                "SELECT count(*) FROM (SELECT mac FROM units WHERE voided = 0 GROUP BY mac"
                " HAVING count(*) > 1)");
    expect_zero(sql, "allocations without their unit",
                "SELECT count(*) FROM serial_allocations s LEFT JOIN units u ON u.id = s.unit_id"
                " WHERE u.id IS NULL OR u.serial <> s.serial");
    expect_zero(sql, "units without their allocation",
                "SELECT count(*) FROM units u WHERE NOT EXISTS (SELECT 1 FROM serial_allocations s"
                " WHERE s.unit_id = u.id AND s.serial = u.serial)");
    expect_zero(sql, "void state disagreeing",
                "SELECT count(*) FROM serial_allocations s JOIN units u ON u.id = s.unit_id"
                " WHERE (s.state = 'voided') <> (u.voided = 1)");
    expect_zero(sql, "counters behind their sequences",
                "SELECT count(*) FROM serial_counters c WHERE c.last_seq <"
                " (SELECT max(seq) FROM serial_allocations s WHERE s.scope = c.scope)");
    expect_zero(sql, "completed serials without a passing attempt",
                "SELECT count(*) FROM serial_allocations s WHERE s.completed_at IS NOT NULL AND"
                " NOT EXISTS (SELECT 1 FROM attempts a WHERE a.unit_id = s.unit_id AND a.result = 'ok')");
    expect_zero(sql, "attempts still running after the sweep",
                "SELECT count(*) FROM attempts WHERE result = 'running'");
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE action = 'serial.allocate'"),
                     query_int64(sql, "SELECT count(*) FROM serial_allocations"));
    struct sdb_audit_check check;
    assert_int_equal(sdb_audit_verify(f->db, &check), SDB_OK);
    if (!check.ok)
        fail_msg("audit chain: %s", check.reason);
}

static void check_reported_were_committed(struct db_fixture *f, const struct reported *r, size_t n)
{
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(sdb_sqlite(f->db), "SELECT mac FROM units WHERE serial = ?",
                                        -1, &stmt, NULL), SQLITE_OK);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(stmt, 1, r[i].serial, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_ROW)
            fail_msg("serial %s was returned to the caller but is not in the database", r[i].serial);
        assert_string_equal((const char *)sqlite3_column_text(stmt, 0), r[i].mac);
        sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
}

static void test_sigkill_during_allocation_never_duplicates(void **state)
{
    struct db_fixture *f = *state;
    size_t n_reported = 0, cap = 0;
    int kills = 0;
    double deadline = seconds_now() + TIME_BUDGET_S;
    srand(20261123);
    fixture_open(f);                    /* migrate once, before the first child */
    sdb_close(f->db);
    f->db = NULL;

    for (int round = 0; round < MAX_KILLS && seconds_now() < deadline; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            run_child(f, round, fds[1]);
        }
        close(fds[1]);
        usleep(1000 + (useconds_t)(rand() % 50000));
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("round %d: the child stopped by itself (exit %d): a call failed", round,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        kills++;
        n_reported = read_reports(fds[0], &reported, n_reported, &cap);
        close(fds[0]);
        fixture_open(f);                /* sweeps what the child left running */
        check_reported_were_committed(f, reported, n_reported);
        sdb_close(f->db);
        f->db = NULL;
    }
    fixture_open(f);
    check_consistent(f);
    check_reported_were_committed(f, reported, n_reported);
    /* A serial handed out twice would show as one serial reported for two MACs. */
    for (size_t i = 0; i < n_reported; i++)
        for (size_t k = i + 1; k < n_reported; k++)
            if (strcmp(reported[i].serial, reported[k].serial) == 0)
                assert_string_equal(reported[i].mac, reported[k].mac);
    print_message("%d kills, %zu serials returned, %lld allocated, %lld interrupted attempts\n",
                  kills, n_reported,
                  (long long)query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM serial_allocations"),
                  (long long)query_int64(sdb_sqlite(f->db),
                                         "SELECT count(*) FROM attempts WHERE result = 'interrupted'"));
    /* The test proves something only if the children got real work done. */
    assert_true(kills >= 10);
    assert_true(n_reported >= 50);
}

static int teardown(void **state)
{
    free(reported);
    reported = NULL;
    return fixture_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigkill_during_allocation_never_duplicates,
                                        fixture_setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
