/* The REST API and event stream end to end: jigd's HTTP server on an
 * ephemeral port, answering from fake_station (a FAKE backend, see
 * fake_station.h), probed with jigd's own http_client and with raw sockets
 * for requests no polite client would send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_harness.h"

/* ---- helpers ----------------------------------------------------------- */

static cJSON *call(struct harness *h, const char *method, const char *path,
                   const char *body, int *status)
{
    struct http_response resp;
    char err[256];
    int r = http_client_request(&h->client, method, path, body, &resp, err, sizeof err);
    if (r)
        fail_msg("%s %s: %s", method, path, err);
    *status = resp.status;
    cJSON *o = cJSON_ParseWithLength(resp.body, resp.body_len);
    if (!o)
        fail_msg("%s %s: answer is not JSON: %s", method, path, resp.body);
    assert_string_equal(resp.content_type, "application/json");
    http_response_free(&resp);
    return o;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Every error the API gives is {"error": "...", "hint": "..."}. */
static void assert_error(cJSON *o, const char *needle)
{
    const char *e = str(o, "error"), *hint = str(o, "hint");
    assert_non_null(e);
    assert_non_null(hint);
    assert_true(hint[0] != '\0');
    if (needle && !strstr(e, needle))
        fail_msg("error '%s' does not mention '%s'", e, needle);
}

static void expect_error(struct harness *h, const char *method, const char *path,
                         const char *body, int want, const char *needle)
{
    int status;
    cJSON *o = call(h, method, path, body, &status);
    if (status != want)
        fail_msg("%s %s: HTTP %d, expected %d", method, path, status, want);
    assert_error(o, needle);
    cJSON_Delete(o);
}

/* Sends raw bytes, reads until the server closes; returns the status. */
static int raw_exchange(struct harness *h, const char *req, size_t len,
                        char *out, size_t cap)
{
    int fd = harness_connect(h);
    assert_true(fd >= 0);
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;      /* the server may refuse before reading it all */
        sent += (size_t)n;
    }
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == cap - 1)
            break;
    }
    out[got] = '\0';
    close(fd);
    int status = 0;
    if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
        return 0;       /* closed without an answer */
    return status;
}

static void assert_still_serving(struct harness *h)
{
    int status;
    cJSON *o = call(h, "GET", "/api/v1/station", NULL, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(o);
}

/* ---- an SSE reader in its own thread ----------------------------------- */

#define MAX_COLLECT 4096

struct collector {
    struct harness *h;
    const char *last_id;
    int want;
    pthread_mutex_t lock;
    int got;
    uint64_t ids[MAX_COLLECT];
    uint64_t data_ids[MAX_COLLECT];
    char types[MAX_COLLECT][12];
    double missed;
    int rc;
    char err[256];
    pthread_t thread;
};

static int on_collect(void *ctx, const struct sse_event *ev)
{
    struct collector *c = ctx;
    if (getenv("API_TEST_TRACE"))
        fprintf(stderr, "TRACE %s id=%s %.60s\n", ev->type, ev->id, ev->data);
    cJSON *o = cJSON_ParseWithLength(ev->data, ev->data_len);
    pthread_mutex_lock(&c->lock);
    int i = c->got;
    snprintf(c->types[i], sizeof c->types[i], "%s", ev->type);
    c->ids[i] = strtoull(ev->id, NULL, 10);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    c->data_ids[i] = cJSON_IsNumber(id) ? (uint64_t)id->valuedouble : 0;
    const cJSON *missed = cJSON_GetObjectItemCaseSensitive(o, "missed");
    if (cJSON_IsNumber(missed))
        c->missed = missed->valuedouble;
    c->got++;
    int done = c->got >= c->want || c->got >= MAX_COLLECT;
    pthread_mutex_unlock(&c->lock);
    cJSON_Delete(o);
    return done;
}

static void *collector_main(void *arg)
{
    struct collector *c = arg;
    c->rc = http_client_events(&c->h->client, "/api/v1/events", c->last_id, 20000,
                               on_collect, c, c->err, sizeof c->err);
    return NULL;
}

static struct collector *collect_start(struct harness *h, const char *last_id, int want)
{
    struct collector *c = calloc(1, sizeof *c);
    c->h = h;
    c->last_id = last_id;
    c->want = want;
    pthread_mutex_init(&c->lock, NULL);
    pthread_create(&c->thread, NULL, collector_main, c);
    return c;
}

static int collect_count(struct collector *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->got;
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void collect_join(struct collector *c)
{
    /* Heartbeats keep a stream alive, so the client's idle timeout never
     * fires: the deadline is here. On failure the thread is abandoned; the
     * teardown's server stop ends its stream. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    if (pthread_timedjoin_np(c->thread, NULL, &deadline))
        fail_msg("the event stream reader still waits, with %d of %d events",
                 collect_count(c), c->want);
    if (c->rc)
        fail_msg("event stream: %s", c->err);
}

static void collect_free(struct collector *c)
{
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* An event-stream request on a raw socket, to read the wire format or to
 * play a client that never reads. */
static int raw_stream(struct harness *h, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    close(fd);
    fd = -1;
    /* SO_RCVBUF must be set before connect to shrink the window. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf)
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(h->port)};
    a.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static const char req[] = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Accept: text/event-stream\r\n\r\n";
    assert_int_equal(send(s, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
    return s;
}

/* Reads until `needle` and `also` (either may be NULL) have both appeared,
 * or the peer closes; returns bytes read. */
static size_t read_until2(int fd, char *buf, size_t cap, const char *needle,
                          const char *also, bool *closed)
{
    size_t got = 0;
    *closed = false;
    while (got < cap - 1) {
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n <= 0) {
            *closed = n == 0 || errno == ECONNRESET;
            break;
        }
        got += (size_t)n;
        buf[got] = '\0';
        if (needle && strstr(buf, needle) && (!also || strstr(buf, also)))
            break;
    }
    buf[got] = '\0';
    return got;
}

static size_t read_until(int fd, char *buf, size_t cap, const char *needle, bool *closed)
{
    return read_until2(fd, buf, cap, needle, NULL, closed);
}

/* ---- fixtures ---------------------------------------------------------- */

static int start_default(void **state)
{
    /* Trusted-local, as a station used from its own screen would be
     * configured; test_http_rules.c covers the other modes. */
    struct harness_options o = {.max_body = 1024, .trust_local = true,
                                .sse = {.heartbeat_ms = 200, .max_clients = 3}};
    *state = harness_start(&o);
    return *state ? 0 : -1;
}

static int stop(void **state)
{
    harness_stop(*state);
    return 0;
}

/* ---- reading the station ----------------------------------------------- */

static void test_station_and_slots_have_their_shapes(void **state)
{
    struct harness *h = *state;
    int status;
    cJSON *st = call(h, "GET", "/api/v1/station", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(str(st, "name"), "fake-line");
    assert_int_equal((int)num(st, "slots"), 3);
    cJSON_Delete(st);

    cJSON *o = call(h, "GET", "/api/v1/slots", NULL, &status);
    assert_int_equal(status, 200);
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(o, "slots");
    assert_int_equal(cJSON_GetArraySize(slots), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *s = cJSON_GetArrayItem(slots, i);
        assert_int_equal((int)num(s, "slot"), i + 1);
        assert_non_null(str(s, "port"));
        assert_non_null(str(s, "state"));
    }
    cJSON_Delete(o);

    o = call(h, "GET", "/api/v1/slots/2", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(str(o, "serial"), "SN000123");
    assert_string_equal(str(o, "last_result"), "pass");
    cJSON_Delete(o);
    o = call(h, "GET", "/api/v1/slots/3/", NULL, &status);     /* trailing slash */
    assert_int_equal(status, 200);
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o, "error"), "phase"),
                        "verify");
    cJSON_Delete(o);
}

static void test_unknown_slots_and_paths_are_404_with_a_hint(void **state)
{
    struct harness *h = *state;
    expect_error(h, "GET", "/api/v1/slots/9", NULL, 404, "no slot 9");
    expect_error(h, "GET", "/api/v1/slots/abc", NULL, 404, "'abc' is not a slot number");
    expect_error(h, "GET", "/api/v1/slots/0", NULL, 404, "not a slot number");
    expect_error(h, "GET", "/api/v1/slots/01", NULL, 404, "not a slot number");
    expect_error(h, "GET", "/api/v1/slots/99999999999999999999", NULL, 404,
                 "not a slot number");
    expect_error(h, "POST", "/api/v1/slots/9/start", "{}", 404, "no slot 9");
    expect_error(h, "GET", "/api/v1/nothing", NULL, 404, "no endpoint");
    /* "/" is the dashboard (test_http_static); this harness has none. */
    expect_error(h, "GET", "/", NULL, 404, "no dashboard");
    expect_error(h, "GET", "/api/v1/slots/1/start/now", NULL, 404, "no endpoint");
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    struct harness *h = *state;
    expect_error(h, "DELETE", "/api/v1/slots/1", NULL, 405, "DELETE is not allowed");
    expect_error(h, "GET", "/api/v1/slots/1/start", NULL, 405, "allowed: POST");
    expect_error(h, "POST", "/api/v1/bundle", "{}", 405, "allowed: GET");
    char out[4096];
    static const char req[] = "PUT /api/v1/station HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(raw_exchange(h, req, sizeof req - 1, out, sizeof out), 405);
    assert_non_null(strstr(out, "Allow: GET"));
}

/* ---- driving slots ----------------------------------------------------- */

static void test_slot_actions_answer_and_refuse(void **state)
{
    struct harness *h = *state;
    int status;
    cJSON *o = call(h, "POST", "/api/v1/slots/1/start", NULL, &status);
    assert_int_equal(status, 202);
    assert_string_equal(str(o, "action"), "start");
    assert_string_equal(str(o, "result"), "accepted");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o, "state"), "state"),
                        "running");
    cJSON_Delete(o);

    /* The backend's own words reach the client. */
    expect_error(h, "POST", "/api/v1/slots/1/start", NULL, 409, "already flashing");

    o = call(h, "POST", "/api/v1/slots/1/abort", NULL, &status);
    assert_int_equal(status, 202);
    cJSON_Delete(o);
    expect_error(h, "POST", "/api/v1/slots/1/abort", NULL, 409, "nothing to abort");

    o = call(h, "POST", "/api/v1/slots/2/identify", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(str(o, "result"), "done");
    cJSON_Delete(o);
    assert_int_equal(h->station.identify_count, 1);     /* the loop is idle now */
}

static void test_bundle_load_validates_its_body(void **state)
{
    struct harness *h = *state;
    expect_error(h, "GET", "/api/v1/bundle", NULL, 404, "no bundle is loaded");
    expect_error(h, "POST", "/api/v1/bundle/load", NULL, 400, "no body");
    expect_error(h, "POST", "/api/v1/bundle/load", "{\"path\": ", 400, "not valid JSON");
    expect_error(h, "POST", "/api/v1/bundle/load", "[1,2]", 400, "not an object");
    expect_error(h, "POST", "/api/v1/bundle/load", "{\"path\": 5}", 400, "'path'");
    expect_error(h, "POST", "/api/v1/bundle/load", "{\"path\": \"\"}", 400, "'path'");
    expect_error(h, "POST", "/api/v1/bundle/load", "{\"path\": \"/tmp/x\"}", 404,
                 "no bundle at /tmp/x");

    int status;
    cJSON *o = call(h, "POST", "/api/v1/bundle/load",
                    "{\"path\": \"/bundles/acme-1.4\"}", &status);
    assert_int_equal(status, 200);
    assert_string_equal(str(o, "result"), "loaded");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(o, "bundle"), "version"),
                        "1.4.0");
    cJSON_Delete(o);
    o = call(h, "GET", "/api/v1/bundle", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(str(o, "path"), "/bundles/acme-1.4");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "parts")), 3);
    cJSON_Delete(o);
}

/* ---- requests no polite client sends ----------------------------------- */

static void test_oversized_bodies_are_refused(void **state)
{
    struct harness *h = *state;
    /* Declared too large: refused from the headers alone. */
    char *big = malloc(4096);
    memset(big, ' ', 4095);
    big[0] = '{';
    big[4093] = '}';
    big[4094] = '\0';
    expect_error(h, "POST", "/api/v1/bundle/load", big, 413, "larger than 1024 bytes");
    free(big);

    /* Chunked, so the size is only known while reading. */
    char req[8192];
    int n = snprintf(req, sizeof req, "POST /api/v1/bundle/load HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 6; i++) {
        n += snprintf(req + n, sizeof req - (size_t)n, "200\r\n");
        memset(req + n, 'x', 0x200);
        n += 0x200;
        n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
    }
    n += snprintf(req + n, sizeof req - (size_t)n, "0\r\n\r\n");
    char out[4096];
    assert_int_equal(raw_exchange(h, req, (size_t)n, out, sizeof out), 413);
    assert_non_null(strstr(out, "larger than 1024 bytes"));

    /* Just under the limit is read and judged on its content. */
    char near[1024];
    memset(near, ' ', sizeof near - 1);
    near[0] = '[';
    near[sizeof near - 1] = '\0';
    expect_error(h, "POST", "/api/v1/bundle/load", near, 400, "not valid JSON");
    assert_still_serving(h);
}

static void test_malformed_requests_get_4xx_and_harm_nothing(void **state)
{
    struct harness *h = *state;
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /api/v1/station HTTP/1.1\r\n\r\n",                         /* no Host */
        "GET /api/v1/station HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n",
        "POST /api/v1/slots/1/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
        "GET /api/v1/station HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    };
    char out[8192];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = raw_exchange(h, bad[i], strlen(bad[i]), out, sizeof out);
        if (status != 0 && (status < 400 || status > 505))
            fail_msg("request %zu got HTTP %d", i, status);
        assert_still_serving(h);
    }
    /* A header larger than the connection's memory. */
    size_t big = 64 * 1024;
    char *req = malloc(big + 128);
    int n = snprintf(req, 128, "GET /api/v1/station HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    int status = raw_exchange(h, req, (size_t)n + big + 4, out, sizeof out);
    free(req);
    assert_true(status == 0 || (status >= 400 && status < 500));
    assert_still_serving(h);
    /* The slot number in the path cannot be smuggled in encoded. */
    expect_error(h, "GET", "/api/v1/slots/%2D1", NULL, 404, "not a slot number");
}

/* ---- authentication ---------------------------------------------------- */

static void test_token_is_required_when_configured(void **state)
{
    struct harness_options o = {.token = "s3cret-token"};
    struct harness *h = harness_start(&o);
    expect_error(h, "GET", "/api/v1/station", NULL, 401, "requires an API token");
    snprintf(h->client.token, sizeof h->client.token, "s3cret-tokex");
    expect_error(h, "GET", "/api/v1/station", NULL, 401, "requires an API token");
    snprintf(h->client.token, sizeof h->client.token, "s3cret-token-and-more");
    expect_error(h, "GET", "/api/v1/station", NULL, 401, "requires an API token");
    snprintf(h->client.token, sizeof h->client.token, "s3cret-token");
    assert_still_serving(h);
    /* A browser's EventSource cannot send headers: the query works, for GET. */
    h->client.token[0] = '\0';
    int status;
    cJSON *r = call(h, "GET", "/api/v1/slots?access_token=s3cret-token", NULL, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(r);
    expect_error(h, "POST", "/api/v1/slots/1/start?access_token=s3cret-token", NULL,
                 401, "requires an API token");
    harness_stop(h);
}

static void test_token_comparison(void **state)
{
    assert_true(http_token_equal("abc", "abc"));
    assert_false(http_token_equal("abc", "abd"));
    assert_false(http_token_equal("abc", "ab"));
    assert_false(http_token_equal("abc", "abcd"));
    assert_false(http_token_equal("abc", ""));
}

/* ---- the event stream -------------------------------------------------- */

static void test_events_arrive_in_order(void **state)
{
    struct harness *h = *state;
    struct collector *c = collect_start(h, NULL, 50);
    assert_true(harness_wait_streams(h, 1, 10000));
    harness_publish_many(h, 1, 50);
    collect_join(c);
    assert_int_equal(c->got, 50);
    for (int i = 0; i < 50; i++) {
        assert_string_equal(c->types[i], "progress");
        assert_int_equal(c->ids[i], (uint64_t)i + 1);
        assert_int_equal(c->data_ids[i], c->ids[i]);
    }
    collect_free(c);
    assert_true(harness_wait_streams(h, 0, 10000));
}

static void test_last_event_id_replays_from_the_ring(void **state)
{
    struct harness *h = *state;
    harness_publish_many(h, 2, 20);
    struct collector *c = collect_start(h, "15", 7);
    assert_true(harness_wait_streams(h, 1, 10000));
    /* 16..20 come from the ring, then two live ones follow in order. */
    harness_publish_many(h, 2, 2);
    collect_join(c);
    for (int i = 0; i < 7; i++)
        assert_int_equal(c->ids[i], (uint64_t)16 + (uint64_t)i);
    collect_free(c);
}

static void test_replay_beyond_the_ring_says_resync(void **state)
{
    struct harness_options o = {.ring = 16, .sse = {.heartbeat_ms = 300}};
    struct harness *h = harness_start(&o);
    harness_publish_many(h, 1, 40);     /* ring keeps 25..40 */
    struct collector *c = collect_start(h, "3", 17);
    collect_join(c);
    assert_string_equal(c->types[0], "resync");
    assert_true(c->missed == 21);       /* 4..24 */
    for (int i = 1; i < 17; i++)
        assert_int_equal(c->ids[i], (uint64_t)24 + (uint64_t)i);
    collect_free(c);
    assert_true(harness_wait_streams(h, 0, 10000));

    /* An id from a previous run of jigd: resync, then live events. */
    c = collect_start(h, "999", 2);
    assert_true(harness_wait_streams(h, 1, 10000));
    harness_publish_progress(h, 1, 1, 2);
    collect_join(c);
    assert_string_equal(c->types[0], "resync");
    assert_int_equal(c->ids[1], 41);
    collect_free(c);

    c = collect_start(h, "not-a-number", 1);
    pthread_join(c->thread, NULL);
    assert_int_not_equal(c->rc, 0);
    assert_non_null(strstr(c->err, "is not an event id"));
    collect_free(c);
    harness_stop(h);
}

static void test_stream_wire_format_and_heartbeat(void **state)
{
    struct harness *h = *state;
    int fd = raw_stream(h, 0);
    assert_true(harness_wait_streams(h, 1, 10000));
    uint64_t id = harness_publish_progress(h, 3, 10, 40);
    char buf[8192];
    bool closed;
    char want[64];
    snprintf(want, sizeof want, "id: %llu\nevent: progress\ndata: {", (unsigned long long)id);
    read_until2(fd, buf, sizeof buf, want, ": heartbeat\n\n", &closed);
    assert_false(closed);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "Content-Type: text/event-stream"));
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "\"bytes_done\":10,\"bytes_total\":40"));
    assert_non_null(strstr(buf, ": heartbeat"));   /* heartbeat_ms is 200 here */
    close(fd);
    assert_true(harness_wait_streams(h, 0, 10000));   /* noticed at the next beat */
}

static void test_stream_count_is_limited(void **state)
{
    struct harness *h = *state;     /* max_clients 3 */
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = raw_stream(h, 0);
    assert_true(harness_wait_streams(h, 3, 10000));
    expect_error(h, "GET", "/api/v1/events", NULL, 503, "too many event streams");
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    assert_true(harness_wait_streams(h, 0, 10000));
}

/* Publishes `total` events in batches, letting the fast reader keep up. */
static void publish_paced(struct harness *h, struct collector *fast, int total)
{
    const int batch = 50;
    for (int sent = 0; sent < total; sent += batch) {
        harness_publish_many(h, 1, (unsigned)batch);
        for (int waited = 0; fast && collect_count(fast) < sent + batch; waited++) {
            if (waited > 2000)
                fail_msg("the fast reader stalled at %d of %d events",
                         collect_count(fast), sent + batch);
            sleep_ms(5);
        }
    }
}

static void test_slow_reader_does_not_stall_others_and_is_dropped(void **state)
{
    struct harness_options o = {.sse = {.max_backlog = 128, .overflow_grace_s = 1,
                                        .heartbeat_ms = 300}};
    struct harness *h = harness_start(&o);
    int slow = raw_stream(h, 4096);     /* never reads */
    assert_true(harness_wait_streams(h, 1, 10000));
    const int total = 3000;
    struct collector *fast = collect_start(h, NULL, total);
    assert_true(harness_wait_streams(h, 2, 10000));
    publish_paced(h, fast, total);
    collect_join(fast);
    assert_int_equal(fast->got, total);
    for (int i = 1; i < total; i++)
        assert_int_equal(fast->ids[i], fast->ids[i - 1] + 1);
    collect_free(fast);
    /* The stalled one is closed by the server after its grace period. */
    assert_true(harness_wait_streams(h, 0, 20000));
    static char buf[1 << 20];
    bool closed;
    read_until(slow, buf, sizeof buf, NULL, &closed);
    assert_true(closed);
    close(slow);
    harness_stop(h);
}

static void test_overflowed_reader_gets_a_final_event(void **state)
{
    struct harness_options o = {.sse = {.max_backlog = 128, .overflow_grace_s = 60,
                                        .heartbeat_ms = 300}};
    struct harness *h = harness_start(&o);
    int slow = raw_stream(h, 4096);
    assert_true(harness_wait_streams(h, 1, 10000));
    publish_paced(h, NULL, 3000);
    /* Now it reads: what was buffered, then the farewell, then the end. */
    static char buf[4 << 20];
    size_t cap = sizeof buf;
    bool closed;
    size_t n = read_until(slow, buf, cap, NULL, &closed);
    assert_true(closed);
    assert_true(n < cap - 1);
    char *farewell = strstr(buf, "event: overflow\r\n");
    if (!farewell)
        farewell = strstr(buf, "event: overflow\n");
    assert_non_null(farewell);
    assert_non_null(strstr(farewell, "Last-Event-ID"));
    assert_non_null(strstr(farewell, "\r\n0\r\n\r\n"));     /* chunked end */
    /* What it did get before was in order, without holes. */
    unsigned long long prev = 0, id;
    int seen = 0;
    for (char *p = strstr(buf, "\nid: "); p && p < farewell; p = strstr(p + 1, "\nid: ")) {
        id = strtoull(p + 5, NULL, 10);
        if (prev)
            assert_int_equal(id, prev + 1);
        prev = id;
        seen++;
    }
    assert_true(seen > 0 && seen < 3000);
    close(slow);
    assert_true(harness_wait_streams(h, 0, 10000));
    harness_stop(h);
}

static void test_stopping_ends_open_streams(void **state)
{
    struct harness_options o = {0};
    struct harness *h = harness_start(&o);
    int fd = raw_stream(h, 0);
    assert_true(harness_wait_streams(h, 1, 10000));
    char buf[4096];
    bool closed;
    read_until(fd, buf, sizeof buf, "retry: 2000\n\n", &closed);
    harness_stop(h);        /* the stream is suspended and idle right now */
    read_until(fd, buf, sizeof buf, NULL, &closed);
    assert_true(closed);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_station_and_slots_have_their_shapes,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_unknown_slots_and_paths_are_404_with_a_hint,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_wrong_method_is_405_with_allow,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_slot_actions_answer_and_refuse,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_bundle_load_validates_its_body,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_oversized_bodies_are_refused,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_malformed_requests_get_4xx_and_harm_nothing,
                                        start_default, stop),
        cmocka_unit_test(test_token_is_required_when_configured),
        cmocka_unit_test(test_token_comparison),
        cmocka_unit_test_setup_teardown(test_events_arrive_in_order, start_default, stop),
        cmocka_unit_test_setup_teardown(test_last_event_id_replays_from_the_ring,
                                        start_default, stop),
        cmocka_unit_test(test_replay_beyond_the_ring_says_resync),
        cmocka_unit_test_setup_teardown(test_stream_wire_format_and_heartbeat,
                                        start_default, stop),
        cmocka_unit_test_setup_teardown(test_stream_count_is_limited, start_default, stop),
        cmocka_unit_test(test_slow_reader_does_not_stall_others_and_is_dropped),
        cmocka_unit_test(test_overflowed_reader_gets_a_final_event),
        cmocka_unit_test(test_stopping_ends_open_streams),
    };
    /* API_TEST_FILTER=test_name runs one test (while debugging). */
    if (getenv("API_TEST_FILTER"))
        cmocka_set_test_filter(getenv("API_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
