/* Connections are a shared resource: slow clients (slowloris), a crowd of
 * event-stream subscribers, or one greedy address must not keep anyone
 * else out of the API. The server runs with its shipped limits; clients
 * come from several loopback addresses (127.0.0.2, ...: all of 127/8 is
 * this machine) so per-address and global limits can be told apart.
 * Counts and times are bounded: at most 500 sockets, a few seconds each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_harness.h"
#include "raw_http.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int start(void **state)
{
    /* A stream whose client has gone is noticed at the next heartbeat. */
    struct harness_options o = {.trust_local = true, .sse = {.heartbeat_ms = 200}};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int stop(void **state)
{
    harness_stop(*state);
    return 0;
}

/* A plain request from `from` must be answered 200 within 3 s. */
static void assert_served(struct harness *h, const char *from)
{
    char req[128], out[8192];
    int n = snprintf(req, sizeof req, "GET /api/v1/station HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\n\r\n", h->port);
    int fd = raw_connect(h->port, from, 3000);
    if (fd < 0)
        fail_msg("a normal client from %s cannot even connect", from ? from : "127.0.0.1");
    raw_send(fd, req, (size_t)n);
    int status = raw_read_answer(fd, out, sizeof out);
    close(fd);
    if (status != 200)
        fail_msg("a normal client from %s got %d instead of 200: %.200s",
                 from ? from : "127.0.0.1", status, out);
}

/* Opens an event stream from `from` and returns its socket, left open
 * and unread; *status is the answer's status (read from its first bytes). */
static int open_stream(struct harness *h, const char *from, int *status)
{
    char req[128], buf[512];
    int n = snprintf(req, sizeof req, "GET /api/v1/events HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\n\r\n", h->port);
    int fd = raw_connect(h->port, from, 3000);
    if (fd < 0)
        return -1;
    raw_send(fd, req, (size_t)n);
    ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    *status = 0;
    sscanf(buf, "HTTP/1.%*d %d", status);
    return fd;
}

/* ---- slowloris --------------------------------------------------------- */

static void test_slow_clients_do_not_keep_others_out(void **state)
{
    struct harness *h = *state;
    enum { SLOW = 70 };
    int slow[SLOW];
    char part[128];
    int n = snprintf(part, sizeof part, "GET /api/v1/station HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\nX-Slow: ", h->port);
    for (int i = 0; i < SLOW; i++) {
        slow[i] = raw_connect(h->port, i % 2 ? "127.0.0.2" : "127.0.0.1", 1000);
        if (slow[i] < 0)
            fail_msg("slow client %d could not connect", i);
        raw_send(slow[i], part, (size_t)n);     /* ... and never finish */
    }
    sleep_ms(200);
    assert_served(h, NULL);
    assert_served(h, "127.0.0.2");
    assert_served(h, "127.0.0.5");
    /* Still sending, a byte at a time, does not buy more time: a head
     * must be complete within a few seconds of connecting. */
    for (int k = 0; k < 4; k++) {
        sleep_ms(500);
        for (int i = 0; i < SLOW; i++)
            send(slow[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        assert_served(h, NULL);
    }
    for (int i = 0; i < SLOW; i++) {
        if (!raw_closed_within(slow[i], HTTP_DEFAULT_HEAD_TIMEOUT_MS + 3000))
            fail_msg("slow client %d is still connected after %u ms", i,
                     HTTP_DEFAULT_HEAD_TIMEOUT_MS + 3000);
        close(slow[i]);
    }
    assert_served(h, NULL);
}

/* ---- a crowd of event streams ------------------------------------------ */

static void test_stream_subscribers_do_not_keep_requests_out(void **state)
{
    struct harness *h = *state;
    enum { CROWD = 500, ADDRS = 40 };
    static int fds[CROWD];
    char req[128];
    int n = snprintf(req, sizeof req, "GET /api/v1/events HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\n\r\n", h->port);
    int connected = 0;
    for (int i = 0; i < CROWD; i++) {
        char from[16];
        snprintf(from, sizeof from, "127.0.0.%d", 10 + i % ADDRS);
        /* (5 s: a connection the kernel could not queue is retried after 1 s) */
        fds[i] = raw_connect(h->port, from, 5000);
        if (fds[i] < 0)
            break;      /* the server no longer accepts: the test fails below */
        raw_send(fds[i], req, (size_t)n);
        connected++;
    }
    sleep_ms(300);
    size_t streams = harness_stream_count(h);
    assert_served(h, NULL);
    assert_served(h, "127.0.0.10");     /* one of the crowd's own addresses */
    for (int i = 0; i < connected; i++)
        close(fds[i]);
    if (connected < CROWD)
        fail_msg("only %d of %d subscribers could connect", connected, CROWD);
    if (streams > HTTP_DEFAULT_MAX_STREAMS)
        fail_msg("%zu streams are open, more than the %u allowed", streams,
                 HTTP_DEFAULT_MAX_STREAMS);
    assert_true(harness_wait_streams(h, 0, 10000));
}

/* ---- one address ------------------------------------------------------- */

static void test_one_address_has_a_limit(void **state)
{
    struct harness *h = *state;
    int fds[HTTP_DEFAULT_PER_IP];
    for (unsigned i = 0; i < HTTP_DEFAULT_PER_IP; i++) {
        int status;
        fds[i] = open_stream(h, "127.0.0.3", &status);
        if (fds[i] < 0 || status != 200)
            fail_msg("stream %u from 127.0.0.3: %d", i, status);
    }
    assert_true(harness_wait_streams(h, HTTP_DEFAULT_PER_IP, 5000));
    /* One more from the same address: too many. */
    char req[128], out[4096];
    int n = snprintf(req, sizeof req, "GET /api/v1/events HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\n\r\n", h->port);
    int status = raw_exchange(h->port, "127.0.0.3", req, (size_t)n, out, sizeof out);
    if (status != 429)
        fail_msg("stream %u from one address got %d, expected 429", HTTP_DEFAULT_PER_IP + 1,
                 status);
    assert_non_null(strstr(out, "\"hint\""));
    /* Streams and requests are counted apart: the same address may still
     * ask a question, and another address may still subscribe. */
    assert_served(h, "127.0.0.3");
    int other = open_stream(h, "127.0.0.4", &status);
    assert_int_equal(status, 200);
    close(other);
    for (unsigned i = 0; i < HTTP_DEFAULT_PER_IP; i++)
        close(fds[i]);
    assert_true(harness_wait_streams(h, 0, 10000));
}

/* ---- a body that trickles ---------------------------------------------- */

static void test_a_trickling_body_is_cut_off(void **state)
{
    struct harness_options o = {.trust_local = true, .body_timeout_ms = 1000};
    struct harness *h = harness_start(&o);
    char req[256];
    int n = snprintf(req, sizeof req, "POST /api/v1/bundle/load HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
                     "Content-Length: 200\r\n\r\n{\"path\": \"", h->port);
    int fd = raw_connect(h->port, NULL, 3000);
    assert_true(fd >= 0);
    raw_send(fd, req, (size_t)n);
    /* A byte every 200 ms is never idle long enough for the idle timeout;
     * the whole body still has to come within 1 s of the head. */
    bool cut = false;
    for (int i = 0; i < 25 && !cut; i++) {
        sleep_ms(200);
        if (send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
            cut = true;
        else
            cut = raw_closed_within(fd, 1);
    }
    close(fd);
    if (!cut)
        fail_msg("a body trickling for 5 s still holds its connection");
    assert_false(h->station.bundle_loaded);
    assert_served(h, NULL);
    harness_stop(h);
}

int main(void)
{
    /* Each test holds a few hundred sockets at most, on both ends. */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
        rl.rlim_cur = 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slow_clients_do_not_keep_others_out,
                                        start, stop),
        cmocka_unit_test_setup_teardown(test_stream_subscribers_do_not_keep_requests_out,
                                        start, stop),
        cmocka_unit_test_setup_teardown(test_one_address_has_a_limit, start, stop),
        cmocka_unit_test(test_a_trickling_body_is_cut_off),
    };
    if (getenv("API_TEST_FILTER"))
        cmocka_set_test_filter(getenv("API_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
