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
 * Bounded: at most MAX_KILLS rounds and TIME_BUDGET_S seconds. Each round
 * waits for the child to report a few boards before arming the kill, so
 * the test does the same work on a fast or a loaded machine. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

struct report_reader {
    int fd;
    char buf[8192];
    size_t used;
    size_t n, cap;          /* into the global reported[] */
};

static void add_report(struct report_reader *r, const char *line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        reported = realloc(reported, r->cap * sizeof *reported);
        assert_non_null(reported);
    }
    assert_int_equal(sscanf(line, "%64s %17s", reported[r->n].serial, reported[r->n].mac), 2);
    r->n++;
}

/* Reads reports until there are `want` in all, or the child's end closes.
 * A child that says nothing for 30 s fails the test rather than hang it. */
static void read_reports(struct report_reader *r, size_t want)
{
    while (r->n < want) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int ready = poll(&p, 1, 30000);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            fail_msg("the child reported no serial for 30 s");
        ssize_t got = read(r->fd, r->buf + r->used, sizeof r->buf - r->used - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return;
        r->used += (size_t)got;
        r->buf[r->used] = '\0';
        char *line = r->buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            add_report(r, line);
            line = nl + 1;
        }
        r->used = strlen(line);
        memmove(r->buf, line, r->used + 1);
    }
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
    struct report_reader r = {.fd = -1};
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
        r.fd = fds[0];
        /* Arm the kill after a few boards, so every round does real work
         * however slow the machine, then strike at a random moment. */
        read_reports(&r, r.n + 1 + (size_t)(rand() % 4));
        usleep((useconds_t)(rand() % 20000));
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("round %d: the child stopped by itself (exit %d): a call failed", round,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        kills++;
        read_reports(&r, SIZE_MAX);     /* the rest, up to the kill */
        close(fds[0]);
        fixture_open(f);                /* sweeps what the child left running */
        check_reported_were_committed(f, reported, r.n);
        sdb_close(f->db);
        f->db = NULL;
    }
    fixture_open(f);
    check_consistent(f);
    check_reported_were_committed(f, reported, r.n);
    /* A serial handed out twice would show as one serial reported for two MACs. */
    for (size_t i = 0; i < r.n; i++)
        for (size_t k = i + 1; k < r.n; k++)
            if (strcmp(reported[i].serial, reported[k].serial) == 0)
                assert_string_equal(reported[i].mac, reported[k].mac);
    print_message("%d kills, %zu serials returned, %lld allocated, %lld interrupted attempts\n",
                  kills, r.n,
                  (long long)query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM serial_allocations"),
                  (long long)query_int64(sdb_sqlite(f->db),
                                         "SELECT count(*) FROM attempts WHERE result = 'interrupted'"));
    assert_true(kills >= 10);           /* even a very slow machine does that many */
}

/* A kill during the very first open, while migrations run, leaves a file
 * that the next open finishes upgrading. Each round starts from no file. */
static void test_sigkill_during_migration_then_open_completes(void **state)
{
    struct db_fixture *f = *state;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".anchor"};
    int partial = 0;
    for (int round = 0; round < 25; round++) {
        char p[160];
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
            unlink(p);
        }
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char err[512];
            struct sdb_options o = fixture_options(f);
            struct station_db *db;
            if (sdb_open(f->path, &o, &db, err, sizeof err) != SDB_OK)
                _exit(10);
            pause();
            _exit(0);
        }
        usleep((useconds_t)(rand() % 4000));
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        /* What the kill left: some whole version, never a half one. */
        sqlite3 *raw;
        if (sqlite3_open_v2(f->path, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_stmt *stmt;
            if (sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
                sqlite3_step(stmt) == SQLITE_ROW)
                partial += sqlite3_column_int(stmt, 0) < sdb_latest_schema_version();
            sqlite3_finalize(stmt);
        }
        sqlite3_close(raw);
        fixture_open(f);
        assert_int_equal(sdb_schema_version(f->db), sdb_latest_schema_version());
        check_consistent(f);
        sdb_close(f->db);
        f->db = NULL;
    }
    print_message("%d of 25 kills landed before the schema was complete\n", partial);
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
        cmocka_unit_test_setup_teardown(test_sigkill_during_migration_then_open_completes,
                                        fixture_setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
