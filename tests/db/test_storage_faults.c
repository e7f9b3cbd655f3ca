/* A disk that stops taking writes under a running station: full, a file of
 * the database made immutable, a rule of SQLite's that refuses writes. The
 * database must say which it is (jigd's alarm names the cause), leave nothing
 * half-written, never kill the process (SIGBUS from the WAL index), and take
 * the very same write on the same connection once the cause is gone: that
 * is what lets jigd hold a board's result and record it later. */
#include "db_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "db_internal.h"

static int append(struct db_fixture *f)
{
    return sdb_audit_append(f->db, "test", "test.event", NULL);
}

static int64_t audit_rows(struct db_fixture *f)
{
    return query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM audit_events");
}

static void limit_pages(struct db_fixture *f, int64_t pages)
{
    char q[64];
    snprintf(q, sizeof q, "PRAGMA max_page_count = %lld", (long long)pages);
    query_int64(sdb_sqlite(f->db), q);
}

/* The database may not grow past the pages it has: to SQLite, a full disk. */
static void fill(struct db_fixture *f)
{
    limit_pages(f, query_int64(sdb_sqlite(f->db), "PRAGMA page_count"));
}

static void assert_chain_intact(struct db_fixture *f)
{
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_true(c.ok);
}

static void test_full_disk_is_named(void **state)
{
    struct db_fixture *f = *state;
    fill(f);
    int rc = SDB_OK;
    for (int i = 0; i < 500 && rc == SDB_OK; i++)
        rc = append(f);
    assert_int_equal(rc, SDB_ERROR);
    assert_int_equal(sdb_last_fault(f->db), SDB_FAULT_DISK_FULL);
    assert_non_null(strstr(sdb_errmsg(f->db), "is full"));
    assert_non_null(strstr(sdb_errmsg(f->db), f->dir));     /* where to free space */
    int64_t rows = audit_rows(f);
    limit_pages(f, 1 << 20);
    assert_int_equal(append(f), SDB_OK);
    assert_int_equal(audit_rows(f), rows + 1);
    assert_chain_intact(f);
}

static void set_query_only(struct db_fixture *f, bool on)
{
    assert_int_equal(sqlite3_exec(sdb_sqlite(f->db), on ? "PRAGMA query_only = 1"
                                                        : "PRAGMA query_only = 0",
                                  NULL, NULL, NULL), SQLITE_OK);
}

/* A board flashed while the database took no writes: its pass waits in
 * memory, the attempt stays running, and the end goes in once the database
 * takes writes again. (An end rewrites rows in place, so a page limit would
 * not stop it; query_only does.) */
static void test_attempt_end_waits_for_writes(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_board b = {.mac = {0x24, 0x0a, 0xc4, 0, 0, 1}, .chip = "ESP32"};
    struct sdb_attempt_start s = {.slot = 1};
    struct sdb_unit u;
    bool reworked;
    int64_t attempt;
    assert_int_equal(sdb_attempt_begin(f->db, &s, &attempt), SDB_OK);
    assert_int_equal(sdb_unit_identify(f->db, &b, "T-{seq:04}", NULL, &u, &reworked), SDB_OK);
    assert_int_equal(sdb_attempt_set_unit(f->db, attempt, u.id), SDB_OK);
    set_query_only(f, true);
    assert_int_equal(sdb_attempt_end(f->db, attempt, true, NULL, NULL, 4096), SDB_ERROR);
    assert_int_equal(sdb_last_fault(f->db), SDB_FAULT_READ_ONLY);
    sqlite3 *sql = sdb_sqlite(f->db);
    char text[32];
    assert_string_equal(query_text(sql, "SELECT result FROM attempts", text, sizeof text),
                        "running");
    assert_string_equal(query_text(sql, "SELECT state FROM serial_allocations", text,
                                   sizeof text), "allocated");
    set_query_only(f, false);
    assert_int_equal(sdb_attempt_end(f->db, attempt, true, NULL, NULL, 4096), SDB_OK);
    assert_string_equal(query_text(sql, "SELECT result FROM attempts", text, sizeof text), "ok");
    assert_string_equal(query_text(sql, "SELECT state FROM serial_allocations", text,
                                   sizeof text), "completed");
    assert_chain_intact(f);
}

/* A board identified while the disk is full gets no serial: nothing is
 * allocated, the counter does not move, and the next board once there is
 * room gets the very next number (a serial is committed before it is
 * used, or not at all). */
static void test_no_serial_on_a_full_disk(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_board b = {.mac = {0x24, 0x0a, 0xc4, 0, 0, 2}, .chip = "ESP32"};
    struct sdb_unit u;
    bool reworked;
    fill(f);
    while (append(f) == SDB_OK)
        ;
    assert_int_equal(sdb_unit_identify(f->db, &b, "T-{seq:04}", NULL, &u, &reworked),
                     SDB_ERROR);
    assert_int_equal(sdb_last_fault(f->db), SDB_FAULT_DISK_FULL);
    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM serial_allocations"), 0);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM units"), 0);
    limit_pages(f, 1 << 20);
    assert_int_equal(sdb_unit_identify(f->db, &b, "T-{seq:04}", NULL, &u, &reworked), SDB_OK);
    assert_string_equal(u.serial, "T-0001");
    assert_chain_intact(f);
}

static void test_read_only_is_named(void **state)
{
    struct db_fixture *f = *state;
    set_query_only(f, true);
    assert_int_equal(append(f), SDB_ERROR);
    assert_int_equal(sdb_last_fault(f->db), SDB_FAULT_READ_ONLY);
    assert_non_null(strstr(sdb_errmsg(f->db), "read-only"));
    set_query_only(f, false);
    assert_int_equal(append(f), SDB_OK);
    assert_chain_intact(f);
}

/* A rule's refusal is no storage fault: retrying it would not help. */
static void test_a_rule_is_no_fault(void **state)
{
    struct db_fixture *f = *state;
    fill(f);
    while (append(f) == SDB_OK)
        ;
    assert_int_equal(sdb_last_fault(f->db), SDB_FAULT_DISK_FULL);
    assert_int_equal(sdb_attempt_end(f->db, 999, false, NULL, NULL, 0), SDB_REFUSED);
    assert_int_equal(sdb_last_fault(f->db), SDB_FAULT_NONE);
}

/* What SQLite's extended codes and the failed call's errno mean. */
static void test_fault_of_codes(void **state)
{
    (void)state;
    assert_int_equal(db_fault_of(SQLITE_FULL, 0), SDB_FAULT_DISK_FULL);
    assert_int_equal(db_fault_of(SQLITE_IOERR_WRITE, ENOSPC), SDB_FAULT_DISK_FULL);
    assert_int_equal(db_fault_of(SQLITE_IOERR_SHMSIZE, EDQUOT), SDB_FAULT_DISK_FULL);
    assert_int_equal(db_fault_of(SQLITE_IOERR_WRITE, EPERM), SDB_FAULT_READ_ONLY);
    assert_int_equal(db_fault_of(SQLITE_IOERR_TRUNCATE, EROFS), SDB_FAULT_READ_ONLY);
    assert_int_equal(db_fault_of(SQLITE_CANTOPEN, EACCES), SDB_FAULT_READ_ONLY);
    assert_int_equal(db_fault_of(SQLITE_READONLY_CANTLOCK, 0), SDB_FAULT_READ_ONLY);
    assert_int_equal(db_fault_of(SQLITE_IOERR_FSYNC, EIO), SDB_FAULT_IO);
    assert_int_equal(db_fault_of(SQLITE_IOERR_SHMMAP, ENOMEM), SDB_FAULT_IO);
    assert_int_equal(db_fault_of(SQLITE_CONSTRAINT_UNIQUE, 0), SDB_FAULT_NONE);
    assert_int_equal(db_fault_of(SQLITE_BUSY, 0), SDB_FAULT_NONE);
    assert_int_equal(db_fault_of(SQLITE_CORRUPT, 0), SDB_FAULT_NONE);
}

/* ---- the database's files made immutable (root, and a file system that
 * has the flag) ------------------------------------------------------------ */

static const char *const db_files[] = {"", "-wal", "-shm"};

static void skip_unless_root(void)
{
    if (geteuid() != 0) {
        print_message("skipped: making a file immutable (chattr +i) needs root\n");
        skip();
    }
}

/* Sets or clears the immutable flag; false when this machine cannot. */
static bool set_immutable(const char *path, bool on)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int flags;
    bool ok = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool set_all_immutable(struct db_fixture *f, bool on)
{
    bool ok = true;
    for (size_t i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", f->path, db_files[i]);
        ok = set_immutable(p, on) && ok;
    }
    return ok;
}

/* Writes the index's pages back, so that the next store into its mapping
 * faults: where the kernel cannot take it, that fault is a SIGBUS. */
static void write_back_index(struct db_fixture *f)
{
    char p[160];
    snprintf(p, sizeof p, "%s-shm", f->path);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

enum { CHILD_OK, CHILD_WROTE, CHILD_WRONG_FAULT, CHILD_UNNAMED, CHILD_CANNOT };

static int child_writes_to_immutable(struct db_fixture *f)
{
    fixture_open(f);
    if (append(f) != SDB_OK)
        return CHILD_CANNOT;
    write_back_index(f);
    if (!set_all_immutable(f, true))
        return CHILD_CANNOT;
    for (int i = 0; i < 3; i++) {
        if (append(f) == SDB_OK)
            return CHILD_WROTE;
        if (sdb_last_fault(f->db) != SDB_FAULT_READ_ONLY)
            return CHILD_WRONG_FAULT;
        if (!strstr(sdb_errmsg(f->db), "immutable"))
            return CHILD_UNNAMED;
    }
    return CHILD_OK;
}

static void test_immutable_database_is_no_sigbus(void **state)
{
    struct db_fixture *f = *state;
    skip_unless_root();
    sdb_close(f->db);
    f->db = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL);    /* not cmocka's handler: the parent must see it */
        _exit(child_writes_to_immutable(f));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    set_all_immutable(f, false);
    if (WIFSIGNALED(status))
        fail_msg("writing to an immutable database killed the process with signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == CHILD_CANNOT) {
        print_message("skipped: this file system cannot make %s immutable\n", f->path);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), CHILD_OK);
    fixture_open(f);
    assert_int_equal(append(f), SDB_OK);
    assert_chain_intact(f);
}

/* A write whose statement runs but whose commit the disk refuses (here the
 * WAL file is immutable): the statement's RETURNING row came back first,
 * and a bundle id from it was once taken for a registered bundle. */
static void test_no_bundle_id_when_the_commit_fails(void **state)
{
    struct db_fixture *f = *state;
    static const char sha[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char wal[160];
    int64_t id = 0;
    skip_unless_root();
    assert_int_equal(append(f), SDB_OK);
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    if (!set_immutable(wal, true)) {
        print_message("skipped: this file system cannot make %s immutable\n", wal);
        skip();
    }
    int rc = sdb_bundle_register(f->db, "fw", "1.0", sha, &id);
    enum sdb_fault fault = sdb_last_fault(f->db);
    bool named = strstr(sdb_errmsg(f->db), "-wal is immutable") != NULL;
    set_immutable(wal, false);
    assert_int_equal(rc, SDB_ERROR);
    assert_int_equal(fault, SDB_FAULT_READ_ONLY);
    assert_true(named);
    assert_int_equal(sdb_bundle_register(f->db, "fw", "1.0", sha, &id), SDB_OK);
    char q[80];
    snprintf(q, sizeof q, "SELECT count(*) FROM bundles WHERE id = %lld", (long long)id);
    assert_int_equal(query_int64(sdb_sqlite(f->db), q), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_disk_is_named, fixture_setup_open,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_attempt_end_waits_for_writes, fixture_setup_open,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_no_serial_on_a_full_disk, fixture_setup_open,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_is_named, fixture_setup_open,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_rule_is_no_fault, fixture_setup_open,
                                        fixture_teardown),
        cmocka_unit_test(test_fault_of_codes),
        cmocka_unit_test_setup_teardown(test_immutable_database_is_no_sigbus,
                                        fixture_setup_open, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_no_bundle_id_when_the_commit_fails,
                                        fixture_setup_open, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
