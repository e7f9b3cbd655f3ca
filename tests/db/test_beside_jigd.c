/* A tool writing beside a running jigd (sdb_options.beside_jigd, as jigctl
 * token does): it opens while jigd holds the station, takes none of the
 * station's steps, and the audit log both append to stays one log that
 * verifies, its anchor file following whichever wrote last, also when one
 * writer begins while the other has committed but not yet anchored. */
#include <fcntl.h>

#include "db_fixture.h"

static struct station_db *open_beside(struct db_fixture *f, const char *path, int *rc,
                                      char *err, size_t err_size)
{
    struct sdb_options o = fixture_options(f);
    o.beside_jigd = true;
    struct station_db *db = NULL;
    *rc = sdb_open(path, &o, &db, err, err_size);
    return db;
}

static struct station_db *beside(struct db_fixture *f)
{
    char err[512] = "";
    int rc;
    struct station_db *db = open_beside(f, f->path, &rc, err, sizeof err);
    if (rc != SDB_OK)
        fail_msg("beside jigd: %s", err);
    return db;
}

static void note(struct station_db *db, const char *actor)
{
    assert_int_equal(sdb_audit_append(db, actor, "note", NULL), SDB_OK);
}

static void expect_intact(struct db_fixture *f)
{
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    if (!c.ok)
        fail_msg("the log does not verify: %s", c.reason);
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events"
                                 " WHERE action = 'audit.anchor'"), 0);
}

static void anchor_path(struct db_fixture *f, const char *suffix, char *out, size_t size)
{
    snprintf(out, size, "%s.anchor%s", f->path, suffix);
}

static void copy_file(const char *from, const char *to)
{
    char buf[512];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    size_t n = fread(buf, 1, sizeof buf, in);
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_opens_while_jigd_holds_the_station(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_attempt_start s = {.slot = 1};
    int64_t attempt;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &attempt), SDB_OK);
    struct station_db *tool = beside(f);
    sqlite3 *sql = sdb_sqlite(f->db);
    /* None of the station's steps: no session, no start event, jigd's
     * running attempt left running. */
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM sessions"), 1);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events"
                                 " WHERE action = 'station.start'"), 1);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM attempts"
                                 " WHERE result = 'running'"), 1);
    note(tool, "jigctl:ana");
    sdb_close(tool);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM sessions WHERE ended_at IS NULL"), 1);
}

/* jigd's rows, the tool's, jigd's again: one chain, one anchor, no finding. */
static void test_both_append_to_one_log(void **state)
{
    struct db_fixture *f = *state;
    note(f->db, "operator:ana");
    struct station_db *tool = beside(f);
    note(tool, "jigctl:ana");
    note(f->db, "operator:ana");
    note(tool, "jigctl:ana");
    sdb_close(tool);
    note(f->db, "operator:ana");
    expect_intact(f);
    fixture_reopen(f);      /* a clean stop and start find the file current */
    expect_intact(f);
}

/* The tool wrote while jigd was stopped: jigd's start finds the file current. */
static void test_tool_while_jigd_is_stopped(void **state)
{
    struct db_fixture *f = *state;
    sdb_close(f->db);
    f->db = NULL;
    struct station_db *tool = beside(f);
    note(tool, "jigctl:ana");
    sdb_close(tool);
    fixture_open(f);
    expect_intact(f);
}

/* Puts the anchor file named by `from` in place after `delay_ms`, from
 * another process: the other writer's rename, arriving late. */
static pid_t anchor_arrives_later(const char *from, const char *to, long delay_ms)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct timespec d = {.tv_sec = delay_ms / 1000, .tv_nsec = (delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
        _exit(rename(from, to) == 0 ? 0 : 1);
    }
    return pid;
}

/* The tool committed and has not yet anchored (its anchor file is put back
 * as it was before): jigd's next append waits for it rather than writing a
 * finding into the log for good. */
static void test_jigd_waits_for_the_tool_to_anchor(void **state)
{
    struct db_fixture *f = *state;
    char path[160], before[176], after[176];
    anchor_path(f, "", path, sizeof path);
    anchor_path(f, ".before", before, sizeof before);
    anchor_path(f, ".after", after, sizeof after);
    note(f->db, "operator:ana");
    copy_file(path, before);
    struct station_db *tool = beside(f);
    note(tool, "jigctl:ana");
    sdb_close(tool);
    copy_file(path, after);
    assert_int_equal(rename(before, path), 0);
    pid_t late = anchor_arrives_later(after, path, 300);
    note(f->db, "operator:ana");
    int status;
    assert_int_equal(waitpid(late, &status, 0), late);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    expect_intact(f);
}

/* The other way round: jigd committed, its anchor arrives late; the tool
 * waits for it too. */
static void test_tool_waits_for_jigd_to_anchor(void **state)
{
    struct db_fixture *f = *state;
    char path[160], before[176], after[176];
    anchor_path(f, "", path, sizeof path);
    anchor_path(f, ".before", before, sizeof before);
    anchor_path(f, ".after", after, sizeof after);
    copy_file(path, before);
    note(f->db, "operator:ana");
    copy_file(path, after);
    assert_int_equal(rename(before, path), 0);
    struct station_db *tool = beside(f);
    pid_t late = anchor_arrives_later(after, path, 300);
    note(tool, "jigctl:ana");
    sdb_close(tool);
    int status;
    assert_int_equal(waitpid(late, &status, 0), late);
    note(f->db, "operator:ana");
    expect_intact(f);
}

/* Rows appended past jigd's anchor that no anchor ever vouches for are
 * still found, written into the log, and reported by verify. */
static void test_rows_no_anchor_vouches_for_are_found(void **state)
{
    struct db_fixture *f = *state;
    char path[160], before[176];
    anchor_path(f, "", path, sizeof path);
    anchor_path(f, ".before", before, sizeof before);
    note(f->db, "operator:ana");
    copy_file(path, before);
    struct station_db *tool = beside(f);
    note(tool, "jigctl:ana");
    sdb_close(tool);
    assert_int_equal(rename(before, path), 0);
    note(f->db, "operator:ana");
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events WHERE"
                                 " action = 'audit.anchor' AND json_extract(details, '$.found')"
                                 " = 'behind'"), 1);
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_false(c.ok);
    print_message("%s\n", c.reason);
    assert_non_null(strstr(c.reason, "not by this jigd"));
}

/* SQLite's "the WAL index is in use" lock: a read lock on byte 128 of
 * station.db-shm, held by every process that has the index mapped. */
#define SHM_DMS_BYTE 128

/* In a child (another process, as jigctl is): who holds that lock. */
static void expect_index_in_use_by(const char *shm, pid_t holder)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(shm, O_RDWR);
        struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = SHM_DMS_BYTE,
                          .l_len = 1};
        if (fd < 0 || fcntl(fd, F_GETLK, &l) != 0)
            _exit(2);
        _exit(l.l_type == F_RDLCK && l.l_pid == holder ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("the WAL index's in-use lock is not held by jigd (%d): the next process "
                 "to open the database would truncate the index under jigd's mapping",
                 WEXITSTATUS(status));
}

/* jigd keeps that lock through its writes (the shm guard checks the index
 * by name, never by a descriptor whose close would drop it), so a tool
 * opening the database beside it never takes itself for the first and
 * truncates the index jigd has mapped (SIGBUS). */
static void test_jigd_keeps_the_index_in_use_through_writes(void **state)
{
    struct db_fixture *f = *state;
    char shm[160];
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    note(f->db, "operator:ana");
    expect_index_in_use_by(shm, getpid());
    struct station_db *tool = beside(f);
    note(tool, "jigctl:ana");
    sdb_close(tool);
    note(f->db, "operator:ana");
    expect_index_in_use_by(shm, getpid());
    expect_intact(f);
}

/* Only a database jigd made, at the schema this program knows: never one
 * the tool would create (as root, a file jigd could not open) or upgrade. */
static void test_refuses_what_jigd_did_not_make(void **state)
{
    struct db_fixture *f = *state;
    char err[512], path[160];
    int rc;
    snprintf(path, sizeof path, "%s/none.db", f->dir);
    assert_null(open_beside(f, path, &rc, err, sizeof err));
    assert_int_equal(rc, SDB_ERROR);
    assert_non_null(strstr(err, "check that the file exists"));
    assert_int_equal(access(path, F_OK), -1);

    snprintf(path, sizeof path, "%s/old.db", f->dir);
    assert_int_equal(sdb_migrate_file_to(path, 5, err, sizeof err), SDB_OK);
    assert_null(open_beside(f, path, &rc, err, sizeof err));
    assert_int_equal(rc, SDB_ERROR);
    assert_non_null(strstr(err, "start jigd once to upgrade it"));
    unlink(path);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_opens_while_jigd_holds_the_station),
        T(test_jigd_keeps_the_index_in_use_through_writes),
        T(test_both_append_to_one_log),
        T(test_tool_while_jigd_is_stopped),
        T(test_jigd_waits_for_the_tool_to_anchor),
        T(test_tool_waits_for_jigd_to_anchor),
        T(test_rows_no_anchor_vouches_for_are_found),
        T(test_refuses_what_jigd_did_not_make),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
