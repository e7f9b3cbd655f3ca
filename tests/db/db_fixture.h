/* What the db tests share: a scratch folder per test, a fake clock the test
 * moves by hand, and a few one-line queries. Header-only so every test
 * program stays one file. */
#ifndef JIGD_TEST_DB_FIXTURE_H
#define JIGD_TEST_DB_FIXTURE_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "station_db.h"

struct db_fixture {
    char dir[64];
    char path[128];
    int64_t now_ms;             /* the fake clock */
    struct station_db *db;
};

static int64_t fake_clock(void *ctx)
{
    return ((struct db_fixture *)ctx)->now_ms;
}

/* Milliseconds of a UTC calendar time. */
static inline int64_t utc_ms(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000;
}

static inline struct sdb_options fixture_options(struct db_fixture *f)
{
    struct sdb_options o = {.station = "line3", .clock = fake_clock, .clock_ctx = f};
    return o;
}

/* Opens the database for a station with these webhook receivers. */
static inline void fixture_open_hooks(struct db_fixture *f, const struct sdb_webhook *hooks,
                                      size_t n)
{
    char err[512] = "";
    struct sdb_options o = fixture_options(f);
    o.webhooks = hooks;
    o.n_webhooks = n;
    int rc = sdb_open(f->path, &o, &f->db, err, sizeof err);
    if (rc != SDB_OK)
        fail_msg("sdb_open: %s", err);
}

static inline void fixture_open(struct db_fixture *f)
{
    fixture_open_hooks(f, NULL, 0);
}

static inline void fixture_reopen(struct db_fixture *f)
{
    sdb_close(f->db);
    f->db = NULL;
    fixture_open(f);
}

static inline int fixture_setup(void **state)
{
    struct db_fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/jigd-dbtest-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/station.db", f->dir);
    f->now_ms = utc_ms(2026, 11, 23, 10, 0, 0);
    *state = f;
    return 0;
}

/* Setup that also opens the database. */
static inline int fixture_setup_open(void **state)
{
    if (fixture_setup(state) != 0)
        return -1;
    fixture_open(*state);
    return 0;
}

static inline int fixture_teardown(void **state)
{
    struct db_fixture *f = *state;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".lock", ".anchor",
                                           ".anchor.tmp"};
    char p[160];
    sdb_close(f->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Runs work in a child process that opens the database and is then
 * SIGKILLed, as jigd dies on a crash (no close, no cleanup); the parent
 * checks it died so and reopens. work may _exit() non-zero to fail. */
static inline void fixture_in_killed_child(struct db_fixture *f,
                                           void (*work)(struct db_fixture *f))
{
    sdb_close(f->db);
    f->db = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fixture_open(f);
        work(f);
        raise(SIGKILL);
        _exit(3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    fixture_open(f);
}

/* The one integer a query returns (fails the test if it returns none). */
static inline int64_t query_int64(sqlite3 *sql, const char *q)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(sql, q, -1, &stmt, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", q, sqlite3_errmsg(sql));
    if (sqlite3_step(stmt) != SQLITE_ROW)
        fail_msg("no row from %s", q);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* The one text a query returns, copied into out. */
static inline const char *query_text(sqlite3 *sql, const char *q, char *out, size_t size)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(sql, q, -1, &stmt, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", q, sqlite3_errmsg(sql));
    if (sqlite3_step(stmt) != SQLITE_ROW)
        fail_msg("no row from %s", q);
    const unsigned char *t = sqlite3_column_text(stmt, 0);
    snprintf(out, size, "%s", t ? (const char *)t : "");
    sqlite3_finalize(stmt);
    return out;
}

static inline void exec_sql(sqlite3 *sql, const char *q)
{
    char *err = NULL;
    if (sqlite3_exec(sql, q, NULL, NULL, &err) != SQLITE_OK) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", err ? err : "?");
        sqlite3_free(err);
        fail_msg("exec %s: %s", q, copy);
    }
}

/* A board whose MAC ends in n. */
static inline struct sdb_board board_with_mac(uint32_t n)
{
    struct sdb_board b = {
        .mac = {0x24, 0x0a, 0xc4, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n},
        .chip = "ESP32-S3", .revision = "v0.2", .flash_id = 0x1740c8, .flash_size = 8u << 20,
    };
    return b;
}

#endif
