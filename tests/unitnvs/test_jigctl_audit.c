/* jigctl audit on a database seeded through station_db.h, read back the way
 * the quality engineer runs it (--db PATH, read-only), in every format.
 *
 * The seeded day (2026-11-23, every attempt ends one minute after start):
 *  10:05 slot 1 mac 1 R-001 ok
 *  10:10 slot 2 mac 2 R-002 failed verify "md5 mismatch at 0x10000"
 *  10:20 slot 3 (never identified) failed sync "no answer from the ROM loader"
 *  11:05 slot 2 mac 2 R-002 ok (rework keeps the serial)
 *  11:15 slot 1 mac 3 R-003 failed verify "md5 mismatch at 0x10000"
 *        R-003 voided by operator:ana ("board scrapped")
 *  11:30 slot 4 mac 4 R-004 ok
 *  11:45 slot 1 mac 3 R-005 ok (the voided board's MAC, a new serial)
 * Worked out by hand: first-pass yield 3 of 5 (R-001, R-004, R-005) = 60 %;
 * units per hour 10:00 -> 1, 11:00 -> 3; Pareto: verify/md5 2 (66.7 %),
 * sync 1 (33.3 %); mac 3 is a duplicate (voided and reissued). */
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

#include "jigctl_capture.h"
#include "station_db.h"

extern const struct jigctl_command jigctl_audit_commands[];

struct seed {
    char dir[64], path[128];
    int64_t now;
    struct station_db *db;
};

static int64_t seed_clock(void *ctx) { return ((struct seed *)ctx)->now; }

static int64_t at(int h, int m)
{
    struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 23, .tm_hour = h, .tm_min = m};
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t attempt(struct seed *s, int slot, uint8_t mac, int64_t start, const char *phase,
                       const char *cause)
{
    struct sdb_attempt_start st = {.slot = slot, .work_order = "WO-1", .adapter_id = "ftdi-A"};
    int64_t id;
    s->now = start;
    assert_int_equal(sdb_attempt_begin(s->db, &st, &id), SDB_OK);
    if (mac) {
        struct sdb_board b = {.mac = {0x24, 0x0a, 0xc4, 0, 0, mac}, .chip = "ESP32-C3",
                              .revision = "v0.4", .flash_id = 0x1640c8, .flash_size = 4u << 20};
        struct sdb_unit u;
        bool reworked;
        assert_int_equal(sdb_unit_identify(s->db, &b, "R-{seq:03}", "WO-1", &u, &reworked), SDB_OK);
        assert_int_equal(sdb_attempt_set_unit(s->db, id, u.id), SDB_OK);
        if (mac == 1) {
            struct sdb_certificate c = {
                .unit_id = u.id,
                .fingerprint_sha256 = "5f2b1c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c",
                .subject = "CN=R-001", .not_before = "2026-11-23T09:05:00Z",
                .not_after = "2046-11-23T10:05:00Z",
                .pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"};
            int64_t cid;
            assert_int_equal(sdb_certificate_insert(s->db, &c, &cid), SDB_OK);
        }
    }
    assert_int_equal(sdb_attempt_phase(s->db, id, "sync", start, 400, 0), SDB_OK);
    if (mac)
        assert_int_equal(sdb_attempt_phase(s->db, id, "write", start + 400, 30000, 1 << 20), SDB_OK);
    s->now = start + 60000;
    assert_int_equal(sdb_attempt_end(s->db, id, phase == NULL, phase, cause, mac ? 1 << 20 : 0),
                     SDB_OK);
    return id;
}

static int setup(void **state)
{
    struct seed *s = calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/jigctl-audit-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    snprintf(s->path, sizeof s->path, "%s/station.db", s->dir);
    s->now = at(9, 0);
    struct sdb_options o = {.station = "line3", .clock = seed_clock, .clock_ctx = s};
    char err[512];
    if (sdb_open(s->path, &o, &s->db, err, sizeof err) != SDB_OK)
        fail_msg("%s", err);
    assert_int_equal(sdb_work_order_create(s->db, &(struct sdb_work_order_new){.id = "WO-1", .quantity = 100, .actor = "mes"}), SDB_OK);
    attempt(s, 1, 1, at(10, 5), NULL, NULL);
    attempt(s, 2, 2, at(10, 10), "verify", "md5 mismatch at 0x10000");
    attempt(s, 3, 0, at(10, 20), "sync", "no answer from the ROM loader");
    attempt(s, 2, 2, at(11, 5), NULL, NULL);
    attempt(s, 1, 3, at(11, 15), "verify", "md5 mismatch at 0x10000");
    s->now = at(11, 20);
    assert_int_equal(sdb_serial_void(s->db, "R-003", "operator:ana", "board scrapped"), SDB_OK);
    attempt(s, 4, 4, at(11, 30), NULL, NULL);
    attempt(s, 1, 3, at(11, 45), NULL, NULL);
    sdb_close(s->db);
    s->db = NULL;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct seed *s = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    int rc = system(cmd);
    free(s);
    return rc == 0 ? 0 : -1;
}

/* verify's exit status for a log that was tampered with (its --help says
 * so; scripts rely on it differing from 1, "no database"). */
#define VERIFY_BROKEN 4

#define AUDIT(s, name, ...) run_cmd(jigctl_audit_commands, "audit " name, "--db", (s)->path, \
                                    ##__VA_ARGS__, NULL)

/* CSV rows end in CRLF (RFC 4180): counts the LFs. */
static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* ---- the audit log's head, which every report but verify ends with ------- */

struct head {
    long long id;
    char hash[65], at[32];
};

/* A table's last line, "audit log head: row N at T, hash H", or CSV's last
 * record, "audit_head,N,H,T": read into *h and cut off, so what is left is
 * the report as it reads without its head. Fails unless it is there and
 * last. */
static void cut_head(char *out, bool csv, struct head *h)
{
    const char *eol = csv ? "\r\n" : "\n";
    size_t n = strlen(out), e = strlen(eol);
    if (n <= e || strcmp(out + n - e, eol))
        fail_msg("the report does not end with a whole line: %s", out);
    out[n - e] = '\0';
    char *line = strrchr(out, '\n');
    line = line ? line + 1 : out;
    int got = csv ? sscanf(line, "audit_head,%lld,%64[0-9a-f],%31s", &h->id, h->hash, h->at)
                  : sscanf(line, "audit log head: row %lld at %31[^,], hash %64[0-9a-f]",
                           &h->id, h->at, h->hash);
    if (got != 3 || strlen(h->hash) != 64)
        fail_msg("the report's last line is not the audit log's head: '%s'", line);
    *line = '\0';
}

/* A JSON report's "audit_head" into *h; returns the report without it: the
 * rows (an array, under "rows"), or yield's object without the member. */
static cJSON *json_without_head(const char *out, struct head *h)
{
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON *head = cJSON_DetachItemFromObject(doc, "audit_head");
    if (!head)
        fail_msg("no \"audit_head\" in %s", out);
    cJSON *id = cJSON_GetObjectItem(head, "last_id"), *hash = cJSON_GetObjectItem(head, "hash");
    cJSON *at = cJSON_GetObjectItem(head, "at");
    assert_true(cJSON_IsNumber(id) && cJSON_IsString(hash) && cJSON_IsString(at));
    h->id = (long long)id->valuedouble;
    snprintf(h->hash, sizeof h->hash, "%s", hash->valuestring);
    snprintf(h->at, sizeof h->at, "%s", at->valuestring);
    cJSON_Delete(head);
    cJSON *rows = cJSON_DetachItemFromObject(doc, "rows");
    if (!rows)
        return doc;
    assert_null(doc->child);                /* nothing but the rows and the head */
    cJSON_Delete(doc);
    assert_true(cJSON_IsArray(rows));
    return rows;
}

/* A report's rows (JSON) or text (CSV, table) without its head. */
static cJSON *rows_of(struct captured *r)
{
    struct head h;
    return json_without_head(r->out, &h);
}

static char *csv_of(struct captured *r)
{
    struct head h;
    cut_head(r->out, true, &h);
    return r->out;
}

static void unit_by_serial_shows_its_whole_history(void **state)
{
    struct seed *s = *state;
    struct captured r = AUDIT(s, "unit", "R-002");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "unit R-002  MAC 24:0a:c4:00:00:02  ESP32-C3 v0.4"));
    assert_non_null(strstr(r.out, "serial completed (work order WO-1)"));
    assert_non_null(strstr(r.out, "md5 mismatch at 0x10000"));
    assert_non_null(strstr(r.out, "sync:400 write:30000"));
    assert_non_null(strstr(r.out, "2026-11-23T10:10:00.000Z"));
    assert_non_null(strstr(r.out, "2026-11-23T11:05:00.000Z"));
    free(r.out);

    r = AUDIT(s, "unit", "R-001", "--format", "json");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    cJSON *j = rows_of(&r);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    cJSON *h = cJSON_GetArrayItem(j, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(h, "attempts")), 1);
    cJSON *certs = cJSON_GetObjectItem(h, "certificates");
    assert_int_equal(cJSON_GetArraySize(certs), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(certs, 0), "subject")->valuestring,
                        "CN=R-001");
    cJSON_Delete(j);
    free(r.out);
}

static void unit_by_mac_finds_the_voided_unit_and_its_successor(void **state)
{
    struct seed *s = *state;
    struct captured r = AUDIT(s, "unit", "24:0A:C4:00:00:03");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "unit R-003"));
    assert_non_null(strstr(r.out, "VOIDED: board scrapped"));
    assert_non_null(strstr(r.out, "unit R-005"));
    assert_true(strstr(r.out, "unit R-003") < strstr(r.out, "unit R-005"));
    free(r.out);

    r = AUDIT(s, "unit", "24:0a:c4:00:00:03", "--format", "csv");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_int_equal(strncmp(r.out, "serial,mac,id,", 14), 0);
    assert_int_equal(count_lines(csv_of(&r)), 3);   /* header + two attempts */
    assert_non_null(strstr(r.out, "R-003,24:0a:c4:00:00:03,"));
    assert_non_null(strstr(r.out, "R-005,24:0a:c4:00:00:03,"));
    free(r.out);

    r = AUDIT(s, "unit", "R-999");
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    assert_non_null(strstr(last_error, "R-999"));
    free(r.out);
}

static void attempts_are_filtered(void **state)
{
    struct seed *s = *state;
    static const struct {
        const char *opt, *val;
        size_t rows;
    } cases[] = {
        {"--slot", "2", 2}, {"--result", "failed", 3}, {"--from", "2026-11-23T11:00:00Z", 4},
        {"--to", "2026-11-23T10:15:00Z", 2}, {"--work-order", "WO-1", 7},
        {"--work-order", "WO-2", 0}, {"--limit", "5", 5}, {"--phase", "verify", 2},
        {"--phase", "sync", 1}, {"--phase", "write", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct captured r = AUDIT(s, "attempts", cases[i].opt, cases[i].val, "--format", "json");
        assert_int_equal(r.rc, JIGCTL_EXIT_OK);
        cJSON *j = rows_of(&r);
        if ((size_t)cJSON_GetArraySize(j) != cases[i].rows)
            fail_msg("%s %s: %d rows, want %zu", cases[i].opt, cases[i].val,
                     cJSON_GetArraySize(j), cases[i].rows);
        cJSON_Delete(j);
        free(r.out);
    }
    struct captured r = AUDIT(s, "attempts", "--slot", "1", "--result", "failed");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "ATTEMPT"));
    assert_non_null(strstr(r.out, "R-003"));
    assert_null(strstr(r.out, "R-001"));
    assert_non_null(strstr(r.out, "1 attempts"));
    free(r.out);

    r = AUDIT(s, "attempts", "--result", "ok", "--format", "csv");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_int_equal(strncmp(r.out, "attempt_id,", 11), 0);
    assert_int_equal(count_lines(csv_of(&r)), 5);   /* header + four passes */
    free(r.out);

    r = AUDIT(s, "attempts", "--from", "yesterday-ish");
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    assert_non_null(strstr(last_error, "is not a time"));
    free(r.out);
    r = AUDIT(s, "attempts", "--slot", "one");
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
}

static void rate_yield_and_pareto_match_the_hand_count(void **state)
{
    struct seed *s = *state;
    struct captured r = AUDIT(s, "rate", "--format", "csv");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_string_equal(csv_of(&r), "hour,units\r\n2026-11-23T10:00Z,1\r\n2026-11-23T11:00Z,3\r\n");
    free(r.out);
    r = AUDIT(s, "rate", "--format", "table");
    assert_non_null(strstr(r.out, "4 units in 2 working hours: 2.0 units per hour"));
    free(r.out);

    r = AUDIT(s, "yield");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "3 of 5 units passed their first attempt (60.00 %)"));
    free(r.out);
    r = AUDIT(s, "yield", "--format", "json");
    cJSON *j = rows_of(&r);                         /* one object, not rows */
    assert_int_equal(cJSON_GetObjectItem(j, "units")->valueint, 5);
    assert_int_equal(cJSON_GetObjectItem(j, "first_pass")->valueint, 3);
    assert_true(cJSON_GetObjectItem(j, "percent")->valuedouble == 60.0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "per_day")), 1);
    cJSON_Delete(j);
    free(r.out);
    r = AUDIT(s, "yield", "--format", "csv");
    assert_string_equal(csv_of(&r),
                        "day,units,first_pass,percent\r\n2026-11-23,5,3,60\r\ntotal,5,3,60\r\n");
    free(r.out);

    r = AUDIT(s, "pareto", "--format", "csv");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_string_equal(csv_of(&r), "phase,cause,failures,percent,cumulative_percent\r\n"
                               "verify,md5 mismatch at 0x10000,2,66.7,66.7\r\n"
                               "sync,no answer from the ROM loader,1,33.3,100\r\n");
    free(r.out);
    r = AUDIT(s, "pareto", "--by-phase");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "PHASE"));
    assert_null(strstr(r.out, "CAUSE"));
    assert_non_null(strstr(r.out, "verify"));
    free(r.out);
}

static void duplicates_name_the_reissued_mac(void **state)
{
    struct seed *s = *state;
    struct captured r = AUDIT(s, "duplicates", "--format", "json");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    cJSON *j = rows_of(&r);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    cJSON *row = cJSON_GetArrayItem(j, 0);
    assert_string_equal(cJSON_GetObjectItem(row, "mac")->valuestring, "24:0a:c4:00:00:03");
    assert_string_equal(cJSON_GetObjectItem(row, "serials")->valuestring, "R-003 (voided), R-005");
    cJSON_Delete(j);
    free(r.out);
    r = AUDIT(s, "duplicates");
    assert_non_null(strstr(r.out, "voided and reissued"));
    free(r.out);
}

/* What `jigctl audit verify` prints of the head: its row count (the last
 * id of an intact log) and "head hash H". */
static struct head verified_head(struct seed *s)
{
    struct captured r = AUDIT(s, "verify");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    struct head h = {0};
    const char *hash = strstr(r.out, "\nhead hash ");
    if (sscanf(r.out, "audit log intact: %lld rows checked", &h.id) != 1 || !hash ||
        sscanf(hash, "\nhead hash %64[0-9a-f]", h.hash) != 1)
        fail_msg("verify does not print the head: %s", r.out);
    free(r.out);
    sqlite3 *sql;                           /* and the time of that row */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(s->path, &sql, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(sql, "SELECT at FROM audit_events WHERE id = ?", -1,
                                        &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, h.id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(h.at, sizeof h.at, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(sql);
    return h;
}

/* Every report in every format ends with the head verify prints. */
static void expect_head_in_every_report(struct seed *s, const struct head *want)
{
    static const char *const reports[][2] = {
        {"audit unit", "R-002"}, {"audit unit", "24:0a:c4:00:00:03"}, {"audit attempts", NULL},
        {"audit rate", NULL}, {"audit yield", NULL}, {"audit pareto", NULL},
        {"audit pareto", "--by-phase"}, {"audit duplicates", NULL},
    };
    static const char *const formats[] = {"table", "csv", "json"};
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++) {
        for (size_t f = 0; f < 3; f++) {
            struct captured r = run_cmd(jigctl_audit_commands, reports[i][0], "--db", s->path,
                                        "--format", formats[f], reports[i][1], NULL);
            assert_int_equal(r.rc, JIGCTL_EXIT_OK);
            struct head got = {0};
            if (f == 2)
                cJSON_Delete(json_without_head(r.out, &got));
            else
                cut_head(r.out, f == 1, &got);
            if (got.id != want->id || strcmp(got.hash, want->hash) || strcmp(got.at, want->at))
                fail_msg("%s %s --format %s: head row %lld at %s hash %s, but verify says "
                         "row %lld at %s hash %s", reports[i][0],
                         reports[i][1] ? reports[i][1] : "", formats[f], got.id, got.at,
                         got.hash, want->id, want->at, want->hash);
            free(r.out);
        }
    }
}

/* A report filed outside the station anchors the log it came from: it
 * carries the head verify vouches for, and a new event moves it. */
static void every_report_carries_the_head_verify_prints(void **state)
{
    struct seed *s = *state;
    struct head before = verified_head(s);
    assert_true(before.id > 0);
    expect_head_in_every_report(s, &before);

    /* The station writes on: an operator's note. */
    s->now = at(12, 0);
    struct sdb_options o = {.station = "line3", .clock = seed_clock, .clock_ctx = s};
    char err[512];
    if (sdb_open(s->path, &o, &s->db, err, sizeof err) != SDB_OK)
        fail_msg("%s", err);
    assert_int_equal(sdb_audit_append(s->db, "operator:ana", "note", NULL), SDB_OK);
    sdb_close(s->db);
    s->db = NULL;

    struct head after = verified_head(s);
    assert_true(after.id > before.id);
    assert_string_not_equal(after.hash, before.hash);
    assert_string_equal(after.at, "2026-11-23T12:00:00.000Z");
    expect_head_in_every_report(s, &after);
}

static void verify_passes_then_names_the_tampered_row(void **state)
{
    struct seed *s = *state;
    struct captured r = AUDIT(s, "verify");
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "audit log intact"));
    free(r.out);

    /* Someone edits the void's reason in place, triggers dropped first. */
    sqlite3 *sql;
    assert_int_equal(sqlite3_open(s->path, &sql), SQLITE_OK);
    char q[256];
    snprintf(q, sizeof q, "SELECT id FROM audit_events WHERE action = 'serial.void'");
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(sql, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(sql, "DROP TRIGGER audit_events_no_update", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(sql, "UPDATE audit_events SET actor = 'operator:bob'"
                                       " WHERE action = 'serial.void'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(sql);

    r = AUDIT(s, "verify");
    assert_int_equal(r.rc, VERIFY_BROKEN);
    char want[64];
    snprintf(want, sizeof want, "AUDIT LOG BROKEN at row %lld", id);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "operator:bob"));
    assert_non_null(strstr(r.out, "serial.void"));
    free(r.out);
    r = AUDIT(s, "verify", "--format", "json");
    assert_int_equal(r.rc, VERIFY_BROKEN);
    cJSON *j = cJSON_Parse(r.out);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_int_equal((long long)cJSON_GetObjectItem(j, "first_bad_id")->valuedouble, id);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "broken_row"), "actor")->valuestring,
                        "operator:bob");
    cJSON_Delete(j);
    free(r.out);
}

/* A unit's serial changed by hand: the chain is whole, the row is not. */
static void verify_finds_a_unit_changed_by_hand(void **state)
{
    struct seed *s = *state;
    sqlite3 *sql;
    assert_int_equal(sqlite3_open(s->path, &sql), SQLITE_OK);
    assert_int_equal(sqlite3_exec(sql, "DROP TRIGGER units_identity_fixed;"
                                       " UPDATE units SET serial = 'R-901' WHERE serial = 'R-004'",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(sql);
    struct captured r = AUDIT(s, "verify");
    assert_int_equal(r.rc, VERIFY_BROKEN);
    assert_non_null(strstr(r.out, "AUDIT LOG BROKEN"));
    assert_non_null(strstr(r.out, "\"R-901\""));
    assert_non_null(strstr(r.out, "\"R-004\""));
    free(r.out);
}

/* Nothing to check is not a broken log: exit 1, as for every report. */
static void verify_without_a_database_is_not_broken(void **state)
{
    struct seed *s = *state;
    struct captured r = run_cmd(jigctl_audit_commands, "audit verify", "--db",
                                "/nonexistent/station.db", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    assert_non_null(strstr(last_error, "/nonexistent/station.db"));
    free(r.out);
    char junk[160];
    snprintf(junk, sizeof junk, "%s/junk.db", s->dir);
    FILE *f = fopen(junk, "w");
    fputs("not a database, but long enough to look like a file header....\n", f);
    fclose(f);
    r = run_cmd(jigctl_audit_commands, "audit verify", "--db", junk, NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    free(r.out);
}

static void bad_arguments_and_missing_database(void **state)
{
    struct seed *s = *state;
    struct captured r = run_cmd(jigctl_audit_commands, "audit yield", "--db",
                                "/nonexistent/station.db", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    assert_non_null(strstr(last_error, "/nonexistent/station.db"));
    free(r.out);
    r = AUDIT(s, "yield", "--format", "xml");
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
    r = AUDIT(s, "duplicates", "--slot", "1");
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
    r = run_cmd(jigctl_audit_commands, "audit unit", "--db", s->path, NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
    /* The database is found through the station's config. */
    char conf[160];
    snprintf(conf, sizeof conf, "%s/jigd.conf", s->dir);
    FILE *f = fopen(conf, "w");
    fprintf(f, "[station]\nname = line3\ndata_dir = %s\n[slot 1]\nport = rfc2217://127.0.0.1:4001\n",
            s->dir);
    fclose(f);
    r = run_cmd(jigctl_audit_commands, "audit yield", "--config", conf, NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, "3 of 5"));
    free(r.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unit_by_serial_shows_its_whole_history, setup, teardown),
        cmocka_unit_test_setup_teardown(unit_by_mac_finds_the_voided_unit_and_its_successor, setup, teardown),
        cmocka_unit_test_setup_teardown(attempts_are_filtered, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_yield_and_pareto_match_the_hand_count, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicates_name_the_reissued_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(every_report_carries_the_head_verify_prints, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_passes_then_names_the_tampered_row, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_finds_a_unit_changed_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_without_a_database_is_not_broken, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_and_missing_database, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
