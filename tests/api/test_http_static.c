/* The dashboard's files (daemon/api/http_static.c): what GET / and
 * /ui/{file} serve, with which Content-Type, and everything they refuse:
 * a path out of the folder (.., percent-encoded or not, a subfolder), a
 * symbolic link out, a hidden file, a file of a type the dashboard does
 * not use, a method other than GET and HEAD. The request rules still hold
 * (foreign Origin, rebinding Host); the token is not asked for the files
 * but still is for the API. Raw sockets, so the bytes are the ones
 * written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_harness.h"
#include "raw_http.h"

static char answer[65536];
static char dir[64];

/* GET (or `method`) `path` from 127.0.0.1:port with extra header lines;
 * the status, and the answer in `answer`. */
static int ask(struct harness *h, const char *method, const char *path, const char *extra)
{
    char req[4096];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n",
                     method, path, h->port, extra ? extra : "");
    return raw_exchange(h->port, NULL, req, (size_t)n, answer, sizeof answer);
}

static void expect_type(struct harness *h, const char *path, const char *type,
                        const char *body)
{
    char got[128];
    assert_int_equal(ask(h, "GET", path, NULL), 200);
    assert_non_null(raw_header(answer, "Content-Type", got, sizeof got));
    assert_string_equal(got, type);
    assert_string_equal(raw_body(answer), body);
    assert_non_null(raw_header(answer, "X-Content-Type-Options", got, sizeof got));
    assert_string_equal(got, "nosniff");
    assert_non_null(raw_header(answer, "Content-Security-Policy", got, sizeof got));
    assert_non_null(strstr(got, "default-src 'self'"));
}

static void expect_refused(struct harness *h, const char *method, const char *path,
                           int status)
{
    int got = ask(h, method, path, NULL);
    if (got != status)
        fail_msg("%s %s: HTTP %d, expected %d:\n%s", method, path, got, status, answer);
    /* Nothing of what lies outside the folder ever comes back. */
    assert_null(strstr(answer, "root:"));
    assert_null(strstr(answer, "SECRET"));
}

static void put(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A web-ui folder with the three files of a page, and traps beside them. */
static void make_folder(void)
{
    snprintf(dir, sizeof dir, "/tmp/jigd-webui-XXXXXX");
    assert_non_null(mkdtemp(dir));
    put("index.html", "<!doctype html><title>t</title>");
    put("app.js", "export const x = 1;\n");
    put("style.css", "body { color: black }\n");
    put("README.md", "SECRET notes\n");
    put(".hidden.js", "SECRET\n");
    put("backup.js~", "SECRET\n");
    char path[128];
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    put("sub/x.js", "SECRET\n");
    snprintf(path, sizeof path, "%s/passwd.js", dir);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    snprintf(path, sizeof path, "%s/inner.js", dir);
    assert_int_equal(symlink("app.js", path), 0);
}

static void remove_folder(void)
{
    static const char *const names[] = {"index.html", "app.js", "style.css", "README.md",
                                        ".hidden.js", "backup.js~", "sub/x.js", "sub",
                                        "passwd.js", "inner.js"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    rmdir(dir);
}

static int start_with_folder(void **state)
{
    make_folder();
    /* Trusted-local, so a POST is judged by its route (405), not refused
     * for want of a token first. */
    struct harness_options o = {.web_ui_dir = dir, .trust_local = true};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int start_with_token(void **state)
{
    make_folder();
    struct harness_options o = {.web_ui_dir = dir, .token = "s3cret-token"};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int start_without_folder(void **state)
{
    struct harness_options o = {.web_ui_dir = "/nonexistent/web-ui"};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int stop(void **state)
{
    harness_stop(*state);
    if (dir[0])
        remove_folder();
    dir[0] = '\0';
    return 0;
}

/* ---- the tests --------------------------------------------------------- */

static void serves_the_page_with_its_types(void **state)
{
    struct harness *h = *state;
    expect_type(h, "/", "text/html; charset=utf-8", "<!doctype html><title>t</title>");
    expect_type(h, "/ui/index.html", "text/html; charset=utf-8",
                "<!doctype html><title>t</title>");
    expect_type(h, "/ui/app.js", "text/javascript; charset=utf-8", "export const x = 1;\n");
    expect_type(h, "/ui/style.css", "text/css; charset=utf-8", "body { color: black }\n");
}

static void head_has_no_body(void **state)
{
    struct harness *h = *state;
    assert_int_equal(ask(h, "HEAD", "/ui/app.js", NULL), 200);
    assert_string_equal(raw_body(answer), "");
}

static void nothing_outside_the_folder(void **state)
{
    struct harness *h = *state;
    static const char *const paths[] = {
        "/ui/../../../../etc/passwd", "/../etc/passwd", "/ui/..", "/ui/%2e%2e/%2e%2e/etc/passwd",
        "/ui/..%2f..%2fetc%2fpasswd", "/ui/%2e%2e%2fREADME.md", "/ui/sub/x.js",
        "/ui//etc/passwd", "/ui/passwd.js", "/ui/inner.js", "/ui/.hidden.js",
        "/ui/README.md", "/ui/backup.js~", "/ui/sub", "/ui/", "/ui/nope.js",
        "/index.html", "/ui/app.js%00.html", "/ui/app.js/..",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect_refused(h, "GET", paths[i], 404);
}

static void only_get_and_head(void **state)
{
    struct harness *h = *state;
    expect_refused(h, "POST", "/ui/app.js", 405);
    expect_refused(h, "PUT", "/ui/app.js", 405);
    expect_refused(h, "DELETE", "/", 405);
    char allow[64];
    assert_non_null(raw_header(answer, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, HEAD, OPTIONS");
}

static void the_request_rules_still_hold(void **state)
{
    struct harness *h = *state;
    assert_int_equal(ask(h, "GET", "/", "Origin: http://evil.example\r\n"), 403);
    char req[256];
    int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: evil.example:%u\r\n\r\n", h->port);
    assert_int_equal(raw_exchange(h->port, NULL, req, (size_t)n, answer, sizeof answer), 403);
    assert_int_equal(ask(h, "GET", "/", "Origin: http://127.0.0.1:1\r\n"), 403);
}

static void files_need_no_token_the_api_does(void **state)
{
    struct harness *h = *state;
    assert_int_equal(ask(h, "GET", "/ui/app.js", NULL), 200);
    assert_int_equal(ask(h, "GET", "/", NULL), 200);
    assert_int_equal(ask(h, "GET", "/api/v1/station", NULL), 401);
    assert_int_equal(ask(h, "GET", "/api/v1/station",
                         "Authorization: Bearer s3cret-token\r\n"), 200);
}

static void no_folder_says_which_setting(void **state)
{
    struct harness *h = *state;
    assert_int_equal(ask(h, "GET", "/", NULL), 404);
    assert_non_null(strstr(raw_body(answer), "web_ui"));
    assert_int_equal(ask(h, "GET", "/ui/app.js", NULL), 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(serves_the_page_with_its_types, start_with_folder, stop),
        cmocka_unit_test_setup_teardown(head_has_no_body, start_with_folder, stop),
        cmocka_unit_test_setup_teardown(nothing_outside_the_folder, start_with_folder, stop),
        cmocka_unit_test_setup_teardown(only_get_and_head, start_with_folder, stop),
        cmocka_unit_test_setup_teardown(the_request_rules_still_hold, start_with_folder, stop),
        cmocka_unit_test_setup_teardown(files_need_no_token_the_api_does, start_with_token,
                                        stop),
        cmocka_unit_test_setup_teardown(no_folder_says_which_setting, start_without_folder,
                                        stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
