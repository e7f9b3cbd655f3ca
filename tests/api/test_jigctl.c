/* jigctl run as a program against the API on fake_station (a FAKE station
 * backend): the status table's content, actions and their refusals, watch's
 * plain-line output, the message when nothing listens, and the help's two
 * lists (commands that need jigd, commands that work offline). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_harness.h"

extern char **environ;

struct run {
    pid_t pid;
    int out_fd, err_fd;
    char out[16384], err[4096];
    size_t out_len, err_len;
    int status;
};

static void spawn(struct run *r, const char *url, const char *const args[])
{
    const char *argv[16] = {JIGCTL_PATH, "--url", url};
    int n = 3;
    for (int i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int out[2], err[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    memset(r, 0, sizeof *r);
    assert_int_equal(posix_spawn(&r->pid, JIGCTL_PATH, &fa, NULL, (char **)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    r->out_fd = out[0];
    r->err_fd = err[0];
}

/* Reads both pipes until the program exits; kills it after 30 s. */
static void finish(struct run *r)
{
    time_t deadline = time(NULL) + 30;
    while (r->out_fd >= 0 || r->err_fd >= 0) {
        struct pollfd p[2] = {{.fd = r->out_fd, .events = POLLIN},
                              {.fd = r->err_fd, .events = POLLIN}};
        if (time(NULL) > deadline) {
            kill(r->pid, SIGKILL);
            break;
        }
        if (poll(p, 2, 1000) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP)))
                continue;
            char *buf = i ? r->err : r->out;
            size_t *len = i ? &r->err_len : &r->out_len;
            size_t cap = i ? sizeof r->err : sizeof r->out;
            ssize_t n = read(p[i].fd, buf + *len, cap - 1 - *len);
            if (n <= 0) {
                close(p[i].fd);
                *(i ? &r->err_fd : &r->out_fd) = -1;
            } else {
                *len += (size_t)n;
                buf[*len] = '\0';
            }
        }
    }
    if (r->out_fd >= 0)
        close(r->out_fd);
    if (r->err_fd >= 0)
        close(r->err_fd);
    int st;
    waitpid(r->pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void jigctl(struct run *r, const char *url, const char *const args[])
{
    spawn(r, url, args);
    finish(r);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' not in output:\n%s", needle, hay);
}

/* The line of the table that starts with this slot number. */
static const char *row(const char *out, int slot)
{
    char key[16];
    snprintf(key, sizeof key, "\n%d ", slot);
    const char *p = strstr(out, key);
    assert_non_null(p);
    return p + 1;
}

static int start(void **state)
{
    /* jigctl on the station itself, the station in trusted-local mode. */
    struct harness_options o = {.trust_local = true};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int stop(void **state)
{
    harness_stop(*state);
    return 0;
}

static void test_status_shows_every_slot(void **state)
{
    struct harness *h = *state;
    struct run r;
    jigctl(&r, h->url, (const char *[]){"status", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "station fake-line");
    assert_contains(r.out, "SLOT  PORT");
    assert_contains(r.out, "PROGRESS");
    const char *s2 = row(r.out, 2);
    const char *end = strchr(s2, '\n');
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(end - s2), s2);
    assert_contains(line, "/dev/ttyUSB1");
    assert_contains(line, "SN000123");
    assert_contains(line, "24:0a:c4:12:34:56");
    assert_contains(line, "pass");
    assert_contains(row(r.out, 3), "fail (verify)");
    assert_contains(r.out, "slot 3: MD5 of app differs after writing");
    assert_contains(r.out, "check: reseat the board");
}

static void test_status_shows_progress(void **state)
{
    struct harness *h = *state;
    harness_publish_progress(h, 1, 250, 1000);
    struct run r;
    jigctl(&r, h->url, (const char *[]){"status", NULL});
    assert_int_equal(r.status, 0);
    const char *s1 = row(r.out, 1);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(strchr(s1, '\n') - s1), s1);
    assert_contains(line, "25%");
    assert_contains(line, "write");
}

static void test_actions_and_refusals(void **state)
{
    struct harness *h = *state;
    struct run r;
    jigctl(&r, h->url, (const char *[]){"start", "1", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "slot 1: start accepted");
    jigctl(&r, h->url, (const char *[]){"start", "1", NULL});
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "jigctl: slot 1 is already flashing");
    assert_contains(r.err, "hint: wait for it, or abort it (jigctl abort 1)");
    jigctl(&r, h->url, (const char *[]){"identify", "9", NULL});
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "no slot 9");
    jigctl(&r, h->url, (const char *[]){"abort", "x1", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "'x1' is not a slot number");
    jigctl(&r, h->url, (const char *[]){"bundle", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "jigctl bundle load <path>");
    jigctl(&r, h->url, (const char *[]){"frobnicate", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "unknown command 'frobnicate'");
}

static void test_bundle_load_and_show(void **state)
{
    struct harness *h = *state;
    struct run r;
    jigctl(&r, h->url, (const char *[]){"bundle", "show", NULL});
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "no bundle is loaded");
    jigctl(&r, h->url, (const char *[]){"bundle", "load", "/bundles/acme-1.4", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "loaded fake-product 1.4.0 from /bundles/acme-1.4");
    jigctl(&r, h->url, (const char *[]){"bundle", "show", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "ESP32-S3");
    assert_contains(r.out, "app.bin                   0x00010000");
    /* A relative path is made absolute where jigctl runs. */
    jigctl(&r, h->url, (const char *[]){"bundle", "load", "acme", NULL});
    assert_int_equal(r.status, 1);
    char cwd[512], want[600];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "no bundle at %s/acme", cwd);
    assert_contains(r.err, want);
}

static void test_watch_prints_plain_lines_when_piped(void **state)
{
    struct harness *h = *state;
    struct run r;
    spawn(&r, h->url, (const char *[]){"watch", "--count", "3", NULL});
    assert_true(harness_wait_streams(h, 1, 10000));
    harness_publish_progress(h, 1, 100, 400);
    harness_publish_progress(h, 1, 200, 400);
    harness_publish_progress(h, 2, 400, 400);
    finish(&r);
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "progress slot 1 phase=write 25% (100/400 bytes)");
    assert_contains(r.out, "progress slot 1 phase=write 50% (200/400 bytes)");
    assert_contains(r.out, "progress slot 2 phase=write 100% (400/400 bytes)");
    assert_null(strchr(r.out, '\033'));     /* no terminal codes in a pipe */
}

static void test_nothing_listening_says_so(void **state)
{
    /* A port that was free a moment ago. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    char url[64], want[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", ntohs(a.sin_port));
    struct run r;
    jigctl(&r, url, (const char *[]){"status", NULL});
    assert_int_equal(r.status, 3);
    snprintf(want, sizeof want, "jigctl: cannot reach jigd at %s: connection refused "
             "— is jigd running? (systemctl status jigd)", url);
    assert_contains(r.err, want);
    jigctl(&r, "https://127.0.0.1:1", (const char *[]){"status", NULL});
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "https is not supported");
}

/* The help tells the commands that need jigd from those that work without
 * it, and an offline command does not even look at the URL. */
static void test_help_says_which_commands_work_offline(void **state)
{
    struct run r;
    jigctl(&r, "http://127.0.0.1:1", (const char *[]){"--help", NULL});
    assert_int_equal(r.status, 0);
    const char *online = strstr(r.out, "commands that talk to jigd");
    const char *offline = strstr(r.out, "commands that work offline, without jigd:");
    assert_non_null(online);
    assert_non_null(offline);
    assert_true(online < strstr(r.out, "  status") && strstr(r.out, "  status") < offline);
    assert_true(strstr(r.out, "  bundle load") < offline);
    assert_true(strstr(r.out, "  bundle import") > offline);
    assert_true(strstr(r.out, "  nvs generate") > offline);
    assert_true(strstr(r.out, "  audit verify") > offline);

    jigctl(&r, "http://127.0.0.1:1", (const char *[]){"audit", "--help", NULL});
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "these work offline, without jigd:");
    assert_contains(r.out, "jigctl audit unit <serial|MAC|board code>");
    assert_null(strstr(r.out, "talk to jigd"));

    jigctl(&r, "https://127.0.0.1:1", (const char *[]){"nvs", "dump", "/nonexistent.bin", NULL});
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "cannot read /nonexistent.bin");
    assert_null(strstr(r.err, "https"));
}

/* `jigctl <command> --help` prints that command's usage and does nothing
 * else: no request reaches jigd (a `bundle load --help` once asked jigd to
 * load a bundle called --help). */
static void test_every_command_has_help_that_does_nothing_else(void **state)
{
    struct harness *h = *state;
    struct run r;
    const char *cmds[][4] = {
        {"start", "--help"}, {"abort", "1", "--help"}, {"identify", "-h"},
        {"bundle", "load", "--help"}, {"status", "--help"}, {"watch", "--help"},
        {"nvs", "dump", "--help"}, {"audit", "attempts", "--help"},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *argv[5] = {cmds[i][0], cmds[i][1], cmds[i][2], cmds[i][3], NULL};
        jigctl(&r, h->url, argv);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "usage: jigctl ");
        assert_contains(r.out, cmds[i][0]);
    }
    /* jigd heard nothing: no bundle loaded, slot 1 not started, nothing blinked. */
    assert_false(h->station.bundle_loaded);
    assert_int_equal(h->station.slots[0].state, SLOT_IDLE);
    assert_int_equal(h->station.identify_count, 0);
    jigctl(&r, h->url, (const char *[]){"audit", "yield", "--help", NULL});
    assert_contains(r.out, "--from T, --to T");
    assert_contains(r.out, "2026-12-07T08:00:00Z");
    assert_contains(r.out, "Works offline");
    jigctl(&r, h->url, (const char *[]){"bundle", "load", "--help", NULL});
    assert_contains(r.out, "Talks to jigd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_shows_every_slot, start, stop),
        cmocka_unit_test_setup_teardown(test_status_shows_progress, start, stop),
        cmocka_unit_test_setup_teardown(test_actions_and_refusals, start, stop),
        cmocka_unit_test_setup_teardown(test_bundle_load_and_show, start, stop),
        cmocka_unit_test_setup_teardown(test_watch_prints_plain_lines_when_piped, start, stop),
        cmocka_unit_test(test_nothing_listening_says_so),
        cmocka_unit_test(test_help_says_which_commands_work_offline),
        cmocka_unit_test_setup_teardown(test_every_command_has_help_that_does_nothing_else,
                                        start, stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
