/* The port layer's error messages end cleanly: a long rfc2217:// host name
 * or device path leaves the message whole (its advice last, where the
 * operator reads on to), and a caller's buffer too short for a message gets
 * it cut after a whole word and marked "…", never in the middle of one
 * (message_fit, tested here first on its own). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "message_fit.h"
#include "port.h"
#include "port_test_client.h"

#define ELLIPSIS "\xe2\x80\xa6"     /* U+2026 in UTF-8 */
#define BIG_ERR 1024                /* surely more than any port message */

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && memcmp(s + n - k, tail, k) == 0;
}

/* `cut` is `whole` cut after a whole word: a prefix of it that the next
 * character of `whole` ends as a word would, followed by the ellipsis. */
static void assert_cut_at_word(const char *cut, const char *whole)
{
    if (!ends_with(cut, ELLIPSIS))
        fail_msg("'%s' does not end in an ellipsis", cut);
    size_t kept = strlen(cut) - strlen(ELLIPSIS);
    assert_true(kept > 0 && kept < strlen(whole));
    assert_memory_equal(cut, whole, kept);
    if (!strchr(" ,:;(", whole[kept]))
        fail_msg("'%s' cuts '%s' inside a word", cut, whole);
    assert_true(cut[kept - 1] != ' ');
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- message_fit itself -------------------------------------------------- */

static void test_a_message_that_fits_is_whole(void **state)
{
    char buf[32];
    assert_true(message_fit(buf, sizeof buf, "port %d is %s", 3, "busy"));
    assert_string_equal(buf, "port 3 is busy");
    /* Exactly full: 31 characters and the terminator. */
    assert_true(message_fit(buf, sizeof buf, "%s", "0123456789012345678901234567890"));
    assert_int_equal(strlen(buf), 31);
}

static void test_cut_after_a_whole_word(void **state)
{
    const char *whole = "cannot connect (connection refused): check the host, the port "
                        "number and that the RFC 2217 server runs";
    for (size_t cap = strlen("cannot" ELLIPSIS) + 1; cap <= strlen(whole); cap++) {
        char buf[128];
        assert_false(message_fit(buf, cap, "%s", whole));
        assert_true(strlen(buf) < cap);
        assert_cut_at_word(buf, whole);
    }
}

/* What is left never ends in a separator or an opening bracket. */
static void test_cut_drops_dangling_separators(void **state)
{
    char buf[28];
    assert_false(message_fit(buf, sizeof buf, "%s", "cannot resolve (EAI_NONAME): check the URL"));
    assert_string_equal(buf, "cannot resolve" ELLIPSIS);
    assert_false(message_fit(buf, 24, "%s", "a list, with commas, and more words"));
    assert_string_equal(buf, "a list, with commas" ELLIPSIS);
}

/* One long token (a path) has no word to end at: cut between characters,
 * never inside a UTF-8 sequence. */
static void test_no_space_cuts_between_characters(void **state)
{
    char whole[64];
    for (int i = 0; i < 20; i++)
        memcpy(whole + 3 * i, i % 2 ? "\xc3\xbc" "a" : "a" "\xc3\xa4", 3);    /* "üa" / "aä" */
    whole[60] = '\0';
    for (size_t cap = 1; cap <= 60; cap++) {
        char buf[64];
        assert_false(message_fit(buf, cap, "%s", whole));
        size_t n = strlen(buf);
        assert_true(n < cap);
        size_t kept = n >= strlen(ELLIPSIS) && ends_with(buf, ELLIPSIS) ? n - strlen(ELLIPSIS)
                                                                        : n;
        assert_memory_equal(buf, whole, kept);
        /* The next byte of the whole text starts a character. */
        assert_true(((unsigned char)whole[kept] & 0xC0) != 0x80);
    }
}

/* ---- the port layer's messages --------------------------------------------- */

/* A host name 230 characters long (no DNS query: its one label is far over
 * 63 characters): the whole URL is in the message, and so is the advice. */
static void test_long_host_name_keeps_the_whole_message(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *host = repeat('h', 230);
    char url[PORT_URL_MAX];
    snprintf(url, sizeof url, "rfc2217://%s:7001", host);
    assert_int_equal(strlen(url), 245);

    struct client c;
    memset(&c, 0, sizeof c);
    char err[BIG_ERR];
    struct port *p = port_new(&loop, url, &callbacks, &c, err, sizeof err);
    assert_non_null(p);
    if (port_open(p) == 0)
        run_until(&loop, &c.opened, 10000);
    const char *why = c.opened ? c.open_error : p->error;
    assert_non_null(strstr(why, url));
    if (!ends_with(why, "check the URL"))
        fail_msg("'%s' lost its end", why);

    port_close(p);
    run_until(&loop, &c.closed, 2000);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    free(host);
}

/* A device path near the longest a port name may be. */
static void test_long_device_path_keeps_the_whole_message(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *tail = repeat('x', 220);
    char path[PORT_URL_MAX];
    snprintf(path, sizeof path, "/dev/serial/by-path/%s-port0", tail);

    struct client c;
    memset(&c, 0, sizeof c);
    char err[BIG_ERR];
    struct port *p = port_new(&loop, path, &callbacks, &c, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(port_open(p), -1);
    assert_non_null(strstr(p->error, path));
    if (!ends_with(p->error, "(ls /dev/serial/by-id/)"))
        fail_msg("'%s' lost its end", p->error);

    port_close(p);
    run_until(&loop, &c.closed, 2000);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    free(tail);
}

/* port_new's message for a bad address, into the 200 bytes many callers
 * give it: the advice comes first and survives; the cut falls between
 * words and says so. */
static void test_short_buffer_cuts_at_a_word(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *host = repeat('h', 230);
    char url[PORT_URL_MAX];
    snprintf(url, sizeof url, "rfc2217://%s", host);     /* no port number */
    struct client c;

    char whole[BIG_ERR], cut[200];
    assert_null(port_new(&loop, url, &callbacks, &c, whole, sizeof whole));
    assert_true(strlen(whole) >= sizeof cut);
    assert_null(port_new(&loop, url, &callbacks, &c, cut, sizeof cut));
    assert_cut_at_word(cut, whole);
    assert_non_null(strstr(cut, "rfc2217://HOST:PORT"));

    assert_int_equal(uv_loop_close(&loop), 0);
    free(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_message_that_fits_is_whole),
        cmocka_unit_test(test_cut_after_a_whole_word),
        cmocka_unit_test(test_cut_drops_dangling_separators),
        cmocka_unit_test(test_no_space_cuts_between_characters),
        cmocka_unit_test(test_long_host_name_keeps_the_whole_message),
        cmocka_unit_test(test_long_device_path_keeps_the_whole_message),
        cmocka_unit_test(test_short_buffer_cuts_at_a_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
