/* Named API tokens (db/tokens.c): what is refused and why, revoking and
 * giving a name again, that no list and no audit event ever holds a hash,
 * that jigd can tell cheaply that another process changed them, and that
 * the table keeps every token as it was made (triggers, audit records). */
#include "db_fixture.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"
#define HASH_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ACTOR "jigctl:ana"

static void add_ok(struct db_fixture *f, const char *name, const char *role, const char *hash)
{
    int rc = sdb_token_add(f->db, name, role, hash, ACTOR);
    if (rc != SDB_OK)
        fail_msg("adding %s: %s", name, sdb_errmsg(f->db));
}

/* Every text the database shows of the tokens: the list and the audit log. */
static char *everything_shown(struct db_fixture *f)
{
    cJSON *rows;
    assert_int_equal(sdb_token_list(f->db, &rows), SDB_OK);
    char *list = cJSON_PrintUnformatted(rows);
    cJSON_Delete(rows);
    char *log = sqlite3_mprintf("%s", "");
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(sdb_sqlite(f->db), "SELECT actor || ' ' || details"
                                        " FROM audit_events", -1, &stmt, NULL), SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        char *more = sqlite3_mprintf("%s\n%s", log, sqlite3_column_text(stmt, 0));
        sqlite3_free(log);
        log = more;
    }
    sqlite3_finalize(stmt);
    char *all = sqlite3_mprintf("%s\n%s", list, log);
    free(list);
    sqlite3_free(log);
    return all;
}

static void expect_refused(struct db_fixture *f, int rc, int want, const char *words)
{
    assert_int_equal(rc, want);
    if (!strstr(sdb_errmsg(f->db), words))
        fail_msg("'%s' is not in: %s", words, sdb_errmsg(f->db));
}

static void test_add_and_list(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "mes1", "mes", HASH_A);
    cJSON *rows;
    assert_int_equal(sdb_token_list(f->db, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    cJSON *row = cJSON_GetArrayItem(rows, 0);
    assert_string_equal(cJSON_GetObjectItem(row, "name")->valuestring, "mes1");
    assert_string_equal(cJSON_GetObjectItem(row, "role")->valuestring, "mes");
    assert_string_equal(cJSON_GetObjectItem(row, "created_at")->valuestring,
                        "2026-11-23T10:00:00.000Z");
    assert_string_equal(cJSON_GetObjectItem(row, "created_by")->valuestring, ACTOR);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(row, "revoked_at")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(row, "revoked_by")));
    assert_null(cJSON_GetObjectItem(row, "hash"));
    cJSON_Delete(rows);
}

static void test_taken_name_and_hash_conflict(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "mes1", "mes", HASH_A);
    expect_refused(f, sdb_token_add(f->db, "mes1", "viewer", HASH_B, ACTOR), SDB_CONFLICT,
                   "a token named mes1 is active already (role mes): revoke it first "
                   "(jigctl token revoke mes1)");
    expect_refused(f, sdb_token_add(f->db, "mes2", "mes", HASH_A, ACTOR), SDB_CONFLICT,
                   "that token is stored already");
    /* A revoked token's hash is never given again either. */
    assert_int_equal(sdb_token_revoke(f->db, "mes1", ACTOR), SDB_OK);
    expect_refused(f, sdb_token_add(f->db, "mes3", "mes", HASH_A, ACTOR), SDB_CONFLICT,
                   "a token is never given twice");
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM api_tokens"), 1);
}

static void test_bad_input_refused_with_what_to_do(void **state)
{
    struct db_fixture *f = *state;
    char long_name[SDB_TOKEN_NAME_MAX + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const char *names[] = {"", "two words", "mes/1", "mes;1", long_name, NULL};
    for (const char *const *n = names; *n; n++)
        expect_refused(f, sdb_token_add(f->db, *n, "mes", HASH_A, ACTOR), SDB_REFUSED,
                       "a token's name is 1 to 64 letters, digits, '.', '_' or '-'");
    assert_int_equal(sdb_token_add(f->db, NULL, "mes", HASH_A, ACTOR), SDB_REFUSED);
    long_name[SDB_TOKEN_NAME_MAX] = '\0';
    add_ok(f, long_name, "viewer", HASH_C);
    add_ok(f, "line-3.mes_A", "admin", HASH_B);

    const char *bad_roles[] = {"", "root", "Admin", "operators", NULL};
    for (const char *const *r = bad_roles; *r; r++)
        expect_refused(f, sdb_token_add(f->db, "x", *r, HASH_A, ACTOR), SDB_REFUSED,
                       "a token's role is viewer, operator, mes or admin");
    const char *bad_hashes[] = {"", "abc", HASH_A "0", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
                                NULL};
    for (const char *const *h = bad_hashes; *h; h++)
        expect_refused(f, sdb_token_add(f->db, "x", "mes", *h, ACTOR), SDB_REFUSED,
                       "64 lowercase hex digits");
    expect_refused(f, sdb_token_add(f->db, "x", "mes", HASH_A, ""), SDB_REFUSED,
                   "say who changes the tokens");
    expect_refused(f, sdb_token_revoke(f->db, "x", NULL), SDB_REFUSED,
                   "say who changes the tokens");
    assert_int_equal(query_int64(sdb_sqlite(f->db), "SELECT count(*) FROM api_tokens"), 2);
}

static void test_revoke_and_give_the_name_again(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "op1", "operator", HASH_A);
    f->now_ms += 60000;
    assert_int_equal(sdb_token_revoke(f->db, "op1", "jigctl:bo"), SDB_OK);
    expect_refused(f, sdb_token_revoke(f->db, "op1", ACTOR), SDB_NOT_FOUND,
                   "no active token named op1 (jigctl token list)");
    expect_refused(f, sdb_token_revoke(f->db, "nobody", ACTOR), SDB_NOT_FOUND,
                   "no active token named nobody (jigctl token list)");
    f->now_ms += 60000;
    add_ok(f, "op1", "viewer", HASH_B);

    /* Active first, then revoked; each oldest first. */
    cJSON *rows;
    assert_int_equal(sdb_token_list(f->db, &rows), SDB_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    cJSON *now = cJSON_GetArrayItem(rows, 0), *old = cJSON_GetArrayItem(rows, 1);
    assert_string_equal(cJSON_GetObjectItem(now, "role")->valuestring, "viewer");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(now, "revoked_at")));
    assert_string_equal(cJSON_GetObjectItem(old, "role")->valuestring, "operator");
    assert_string_equal(cJSON_GetObjectItem(old, "revoked_at")->valuestring,
                        "2026-11-23T10:01:00.000Z");
    assert_string_equal(cJSON_GetObjectItem(old, "revoked_by")->valuestring, "jigctl:bo");
    cJSON_Delete(rows);
}

static void test_active_tokens_are_those_not_revoked(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_token *t = (struct sdb_token *)1;
    size_t n = 99;
    assert_int_equal(sdb_tokens_active(f->db, &t, &n), SDB_OK);
    assert_int_equal(n, 0);
    free(t);
    add_ok(f, "viewer1", "viewer", HASH_A);
    add_ok(f, "mes1", "mes", HASH_B);
    add_ok(f, "admin1", "admin", HASH_C);
    assert_int_equal(sdb_token_revoke(f->db, "mes1", ACTOR), SDB_OK);
    assert_int_equal(sdb_tokens_active(f->db, &t, &n), SDB_OK);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].name, "viewer1");
    assert_string_equal(t[0].role, "viewer");
    assert_string_equal(t[0].hash, HASH_A);
    assert_string_equal(t[1].name, "admin1");
    assert_string_equal(t[1].role, "admin");
    assert_string_equal(t[1].hash, HASH_C);
    free(t);
}

/* What the list and the log show says who did what, and never a hash. */
static void test_no_hash_anywhere_shown_and_actor_audited(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "mes1", "mes", HASH_A);
    assert_int_equal(sdb_token_revoke(f->db, "mes1", "jigctl:bo"), SDB_OK);
    add_ok(f, "mes1", "mes", HASH_B);
    char *shown = everything_shown(f);
    assert_null(strstr(shown, HASH_A));
    assert_null(strstr(shown, HASH_B));
    assert_null(strstr(shown, "aaaaaaaaaaaaaaaa"));
    sqlite3_free(shown);

    sqlite3 *sql = sdb_sqlite(f->db);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE action ="
                                 " 'token.add' AND actor = 'jigctl:ana' AND"
                                 " json_extract(details, '$.name') = 'mes1' AND"
                                 " json_extract(details, '$.role') = 'mes'"), 2);
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM audit_events WHERE action ="
                                 " 'token.revoke' AND actor = 'jigctl:bo' AND"
                                 " json_extract(details, '$.name') = 'mes1'"), 1);
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    if (!c.ok)
        fail_msg("%s", c.reason);
}

/* jigd's connection sees its number change when jigctl's commits, not when
 * it reads, nor when it writes itself. */
static void test_data_version_moves_with_another_connections_commit(void **state)
{
    struct db_fixture *f = *state;
    struct sdb_options o = fixture_options(f);
    o.beside_jigd = true;
    struct station_db *jigctl = NULL;
    char err[512];
    assert_int_equal(sdb_open(f->path, &o, &jigctl, err, sizeof err), SDB_OK);
    int64_t v0, v1, v2, v3;
    assert_int_equal(sdb_data_version(f->db, &v0), SDB_OK);
    cJSON *rows;
    assert_int_equal(sdb_token_list(jigctl, &rows), SDB_OK);
    cJSON_Delete(rows);
    struct sdb_token *t;
    size_t n;
    assert_int_equal(sdb_tokens_active(f->db, &t, &n), SDB_OK);
    free(t);
    assert_int_equal(sdb_data_version(f->db, &v1), SDB_OK);
    assert_int_equal(v1, v0);
    add_ok(f, "own", "viewer", HASH_C);
    assert_int_equal(sdb_data_version(f->db, &v2), SDB_OK);
    assert_int_equal(v2, v0);
    assert_int_equal(sdb_token_add(jigctl, "mes1", "mes", HASH_A, ACTOR), SDB_OK);
    assert_int_equal(sdb_data_version(f->db, &v3), SDB_OK);
    assert_int_not_equal(v3, v2);
    assert_int_equal(sdb_tokens_active(f->db, &t, &n), SDB_OK);
    assert_int_equal(n, 2);
    free(t);
    sdb_close(jigctl);
}

/* Edits jigd never makes are refused by the table itself. */
static void test_guard_triggers_refuse_edits_by_hand(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "op1", "operator", HASH_A);
    add_ok(f, "old", "viewer", HASH_B);
    assert_int_equal(sdb_token_revoke(f->db, "old", ACTOR), SDB_OK);
    static const struct {
        const char *sql, *words;
    } edits[] = {
        {"DELETE FROM api_tokens WHERE name = 'op1'", "never deleted"},
        {"DELETE FROM api_tokens WHERE name = 'old'", "never deleted"},
        {"UPDATE api_tokens SET revoked_at = NULL, revoked_by = NULL WHERE name = 'old'",
         "stays revoked"},
        {"UPDATE api_tokens SET revoked_by = 'someone' WHERE name = 'old'", "stays revoked"},
        {"UPDATE api_tokens SET role = 'admin' WHERE name = 'op1'", "never change"},
        {"UPDATE api_tokens SET hash = '" HASH_C "' WHERE name = 'op1'", "never change"},
    };
    sqlite3 *sql = sdb_sqlite(f->db);
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *err = NULL;
        assert_int_not_equal(sqlite3_exec(sql, edits[i].sql, NULL, NULL, &err), SQLITE_OK);
        if (!err || !strstr(err, edits[i].words))
            fail_msg("%s: '%s' not in: %s", edits[i].sql, edits[i].words, err ? err : "");
        sqlite3_free(err);
    }
    assert_int_equal(query_int64(sql, "SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL"
                                 " AND role = 'operator'"), 1);
}

static void expect_found(struct db_fixture *f, const char *words1, const char *words2)
{
    struct sdb_audit_check c;
    assert_int_equal(sdb_audit_verify(f->db, &c), SDB_OK);
    assert_false(c.ok);
    if (!strstr(c.reason, words1) || !strstr(c.reason, words2))
        fail_msg("the reason does not name '%s' and '%s': %s", words1, words2, c.reason);
}

/* An INSERT no trigger can refuse: a token granted by hand is reported. */
static void test_token_added_by_hand_is_found(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "op1", "operator", HASH_A);
    exec_sql(sdb_sqlite(f->db), "INSERT INTO api_tokens (name, role, hash, created_at,"
             " created_by) VALUES ('backdoor', 'admin', '" HASH_C "',"
             " '2026-11-23T10:00:00.000Z', 'jigctl:ana')");
    expect_found(f, "api_tokens", "(name backdoor) is not in the audit log");
}

/* The triggers dropped, a role raised: verify names the row and column. */
static void test_role_changed_behind_the_triggers_is_found(void **state)
{
    struct db_fixture *f = *state;
    add_ok(f, "op1", "operator", HASH_A);
    sqlite3 *sql = sdb_sqlite(f->db);
    char guard[512];
    query_text(sql, "SELECT sql FROM sqlite_schema WHERE name = 'api_tokens_fixed'", guard,
               sizeof guard);
    exec_sql(sql, "DROP TRIGGER api_tokens_fixed");
    exec_sql(sql, "UPDATE api_tokens SET role = 'admin'");
    exec_sql(sql, guard);   /* put back word for word: only the record tells */
    expect_found(f, "role is \"admin\" but the audit log recorded \"operator\"", "name op1");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup_open, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_add_and_list),
        T(test_taken_name_and_hash_conflict),
        T(test_bad_input_refused_with_what_to_do),
        T(test_revoke_and_give_the_name_again),
        T(test_active_tokens_are_those_not_revoked),
        T(test_no_hash_anywhere_shown_and_actor_audited),
        T(test_data_version_moves_with_another_connections_commit),
        T(test_guard_triggers_refuse_edits_by_hand),
        T(test_token_added_by_hand_is_found),
        T(test_role_changed_behind_the_triggers_is_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
