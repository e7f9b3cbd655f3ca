/* Upload routes and deferred answers, as POST /api/v1/bundles will use
 * them: a route that takes a file as its body, and a handler that hands
 * the slow part (unpacking, here a checksum after a nap) to libuv's thread
 * pool and answers when it is done. The route is this test's own, added
 * to the real server beside the fake station's; requests go over raw
 * sockets so the bytes, the types and the framing are exactly these. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_harness.h"
#include "raw_http.h"

/* ---- the test route ----------------------------------------------------- */

struct upload_route {
    unsigned work_ms;           /* how long the work takes */
    unsigned deferred;          /* requests deferred so far */
    unsigned replies;           /* replies made through a handle */
};

static struct upload_route route;

struct work {
    uv_work_t w;
    struct http_deferred *d;
    const char *type;           /* a string literal (http_request_content_type) */
    size_t len;
    uint32_t sum;
};

static uint32_t fnv1a(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* On the thread pool, maybe after the request is gone: the body is the
 * handle's, not the request's. */
static void do_work(uv_work_t *w)
{
    struct work *job = w->data;
    struct timespec ts = {route.work_ms / 1000, (long)(route.work_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    const char *body = http_deferred_body(job->d, &job->len);
    job->sum = fnv1a(body, job->len);
}

static void after_work(uv_work_t *w, int status)
{
    struct work *job = w->data;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "length", (double)job->len);
    cJSON_AddStringToObject(o, "type", job->type);
    cJSON_AddNumberToObject(o, "fnv1a", job->sum);
    route.replies++;
    http_deferred_reply_json(job->d, 201, o);
    free(job);
}

static void post_upload(struct http_request *req, void *ctx)
{
    struct upload_route *r = ctx;
    struct work *job = calloc(1, sizeof *job);
    if (!job) {
        http_reply_error(req, 503, "the test is short of memory", "out of memory");
        return;
    }
    job->d = http_request_defer(req);
    if (!job->d) {
        free(job);
        return;
    }
    job->type = http_request_content_type(req);
    job->w.data = job;
    r->deferred++;
    uv_queue_work(http_server_loop(http_request_server(req)), &job->w, do_work, after_work);
}

/* Defers, then answers before the handler has even returned. */
static void post_upload_now(struct http_request *req, void *ctx)
{
    struct upload_route *r = ctx;
    size_t len;
    http_request_body(req, &len);
    struct http_deferred *d = http_request_defer(req);
    if (!d)
        return;
    r->replies++;
    http_deferred_reply_error(d, 422, "the test route always says this",
                              "refused at once (%zu bytes)", len);
}

static void add_routes(struct harness *h, void *arg)
{
    static const struct http_route routes[] = {
        {"POST", "/test/upload", post_upload, .upload = true, .role = HTTP_ROLE_MES},
        {"POST", "/test/upload-now", post_upload_now, .upload = true, .role = HTTP_ROLE_MES},
    };
    if (http_server_add_routes(api_http_server(h->api), routes, 2, &route))
        abort();
}

/* The route's state is the loop's while the server runs: set before,
 * read after (or on the loop). */
static struct harness *start_with(size_t max_upload, unsigned max_requests, unsigned work_ms)
{
    struct harness_options o = {.trust_local = true, .max_upload = max_upload,
                                .max_requests = max_requests};
    route = (struct upload_route){.work_ms = work_ms};
    struct harness *h = harness_start(&o);
    harness_on_loop(h, add_routes, NULL);
    return h;
}

/* ---- requests ----------------------------------------------------------- */

static char answer[16384];

/* A body of `len` bytes, every value of a byte among them ('\0' too). */
static char *make_body(size_t len)
{
    char *b = malloc(len ? len : 1);
    assert_non_null(b);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (char)(x >> 16);
    }
    return b;
}

/* Sends a POST to `path` with `type` (NULL: none) and `len` bytes of
 * `body`, with Content-Length or chunked; returns the socket. */
static int post(struct harness *h, const char *path, const char *type, const char *body,
                size_t len, bool chunked)
{
    char head[512], ct[128] = "";
    if (type)
        snprintf(ct, sizeof ct, "Content-Type: %s\r\n", type);
    int n = chunked
        ? snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s"
                   "Transfer-Encoding: chunked\r\n\r\n", path, h->port, ct)
        : snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s"
                   "Content-Length: %zu\r\n\r\n", path, h->port, ct, len);
    int fd = raw_connect(h->port, NULL, 10000);
    assert_true(fd >= 0);
    raw_send(fd, head, (size_t)n);
    if (!chunked) {
        raw_send(fd, body, len);
        return fd;
    }
    for (size_t off = 0; off < len; off += 8192) {
        size_t k = len - off < 8192 ? len - off : 8192;
        char size[32];
        raw_send(fd, size, (size_t)snprintf(size, sizeof size, "%zx\r\n", k));
        raw_send(fd, body + off, k);
        raw_send(fd, "\r\n", 2);
    }
    raw_send(fd, "0\r\n\r\n", 5);
    return fd;
}

static int exchange(struct harness *h, const char *path, const char *type, const char *body,
                    size_t len, bool chunked)
{
    int fd = post(h, path, type, body, len, chunked);
    int status = raw_read_answer(fd, answer, sizeof answer);
    close(fd);
    return status;
}

static void expect(int got, int want, const char *needle)
{
    if (got != want)
        fail_msg("HTTP %d, expected %d; answer:\n%s", got, want, answer);
    if (needle && !strstr(answer, needle))
        fail_msg("the answer does not mention '%s':\n%s", needle, answer);
}

struct count_job { const char *route; unsigned status; uint64_t n; };

static void count_one(void *ctx, const char *method, const char *pattern, unsigned status,
                      uint64_t n)
{
    struct count_job *j = ctx;
    if (!strcmp(method, "POST") && !strcmp(pattern, j->route) && status == j->status)
        j->n = n;
}

static void count_on_loop(struct harness *h, void *arg)
{
    http_server_each_count(api_http_server(h->api), count_one, arg);
}

/* How many answers of `status` POST `pattern` has given (GET /metrics). */
static uint64_t answers(struct harness *h, const char *pattern, unsigned status)
{
    struct count_job j = {pattern, status, 0};
    harness_on_loop(h, count_on_loop, &j);
    return j.n;
}

struct read_job { unsigned deferred; };

static void read_deferred(struct harness *h, void *arg)
{
    ((struct read_job *)arg)->deferred = route.deferred;
}

/* Waits until the test route has deferred `n` requests in all. */
static void wait_deferred(struct harness *h, unsigned n)
{
    for (int i = 0; i < 500; i++) {
        struct read_job j;
        harness_on_loop(h, read_deferred, &j);
        if (j.deferred >= n)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the handler did not defer within 5 s");
}

/* ---- the tests ---------------------------------------------------------- */

static void test_an_upload_is_answered_later(void **state)
{
    struct harness *h = start_with(0, 0, 50);
    enum { MIB = 1024 * 1024 };
    char *body = make_body(MIB);
    expect(exchange(h, "/test/upload", "Application/X-Tar; x=1", body, MIB, false), 201, NULL);
    cJSON *o = cJSON_Parse(raw_body(answer));
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "length")->valuedouble, MIB);
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "application/x-tar");
    assert_true(cJSON_GetObjectItem(o, "fnv1a")->valuedouble == fnv1a(body, MIB));
    cJSON_Delete(o);
    /* Chunked, and another of the archive types. */
    expect(exchange(h, "/test/upload", "application/gzip", body, 100000, true), 201,
           "\"length\":100000");
    expect(exchange(h, "/test/upload", "application/octet-stream", "", 0, false), 201,
           "\"length\":0");
    /* An answer given through the handle before the handler returned
     * leaves at once, not at MHD's next timeout (up to a second). */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect(exchange(h, "/test/upload-now", "application/zip", body, 10, false), 422,
           "refused at once (10 bytes)");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (ms > 500)
        fail_msg("the answer given at once took %ld ms", ms);
    assert_non_null(strstr(answer, "\"hint\""));
    /* Counted like any answer, under the route's pattern and its status. */
    assert_int_equal(answers(h, "/test/upload", 201), 3);
    assert_int_equal(answers(h, "/test/upload-now", 422), 1);
    free(body);
    harness_stop(h);
}

/* curl asks before sending a large file (Expect: 100-continue) and sends
 * it only when told to go on. */
static void test_an_upload_may_ask_to_continue(void **state)
{
    struct harness *h = start_with(0, 0, 50);
    enum { LEN = 3 * 1024 * 1024 };
    char *body = make_body(LEN);
    char head[256], got[256];
    int n = snprintf(head, sizeof head, "POST /test/upload HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: application/x-tar\r\nContent-Length: %d\r\n"
                     "Expect: 100-continue\r\n\r\n", h->port, LEN);
    int fd = raw_connect(h->port, NULL, 10000);
    assert_true(fd >= 0);
    raw_send(fd, head, (size_t)n);
    ssize_t k = recv(fd, got, sizeof got - 1, 0);
    got[k > 0 ? k : 0] = '\0';
    if (strncmp(got, "HTTP/1.1 100", 12))
        fail_msg("no 100 Continue before the body: '%s'", got);
    raw_send(fd, body, LEN);
    expect(raw_read_answer(fd, answer, sizeof answer), 201, "\"length\":3145728");
    close(fd);
    free(body);
    harness_stop(h);
}

static void test_an_upload_route_takes_archives_only(void **state)
{
    struct harness *h = start_with(0, 0, 50);
    expect(exchange(h, "/test/upload", "application/json", "{}", 2, false), 415,
           "curl --data-binary @bundle.tar -H 'Content-Type: application/x-tar'");
    assert_non_null(strstr(answer, "application/zip"));
    expect(exchange(h, "/test/upload", "text/plain", "x", 1, false), 415, "text/plain");
    expect(exchange(h, "/test/upload", NULL, "x", 1, false), 415, "it has none");
    expect(exchange(h, "/test/upload", "multipart/form-data; boundary=x", "x", 1, false),
           415, NULL);
    /* ... and a JSON route takes no archive. */
    expect(exchange(h, "/api/v1/bundle/load", "application/x-tar", "x", 1, false), 415,
           "application/json");
    assert_false(h->station.bundle_loaded);
    harness_stop(h);
    assert_int_equal(route.deferred, 0);
}

static void test_an_upload_has_its_own_limit(void **state)
{
    enum { LIMIT = 64 * 1024 };
    struct harness *h = start_with(LIMIT, 0, 50);
    char *body = make_body(LIMIT + 5000);
    expect(exchange(h, "/test/upload", "application/x-tar", body, LIMIT + 1, false), 413,
           "the largest upload is 64 KiB; api_max_upload_mb in [station] raises it");
    expect(exchange(h, "/test/upload", "application/x-tar", body, LIMIT + 5000, true), 413,
           "the largest upload is 64 KiB");
    expect(exchange(h, "/test/upload", "application/x-tar", body, LIMIT, false), 201,
           "\"length\":65536");
    expect(exchange(h, "/test/upload", "application/x-tar", body, LIMIT, true), 201,
           "\"length\":65536");
    /* The JSON routes keep theirs. */
    expect(exchange(h, "/api/v1/bundle/load", "application/json", body, 70000, false), 413,
           "larger than 65536 bytes");
    free(body);
    harness_stop(h);
    assert_int_equal(route.deferred, 2);
}

static void test_a_deferred_request_holds_its_place_until_answered(void **state)
{
    struct harness *h = start_with(0, 1, 300);
    int fd = post(h, "/test/upload", "application/x-tar", "abc", 3, false);
    wait_deferred(h, 1);
    char get[128];
    int n = snprintf(get, sizeof get, "GET /api/v1/station HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%u\r\n\r\n", h->port);
    expect(raw_exchange(h->port, NULL, get, (size_t)n, answer, sizeof answer), 503,
           "requests already");
    expect(raw_read_answer(fd, answer, sizeof answer), 201, "\"length\":3");
    close(fd);
    expect(raw_exchange(h->port, NULL, get, (size_t)n, answer, sizeof answer), 200, NULL);
    harness_stop(h);
}

static void test_stopping_answers_what_waits(void **state)
{
    struct harness *h = start_with(0, 0, 800);
    char *body = make_body(200000);
    int fd = post(h, "/test/upload", "application/x-tar", body, 200000, false);
    wait_deferred(h, 1);
    /* The work goes on reading the body while the server goes away; the
     * loop ends once the work's late reply has freed its handle. */
    harness_stop(h);
    expect(raw_read_answer(fd, answer, sizeof answer), 503, "jigd is stopping");
    assert_non_null(strstr(answer, "\"hint\""));
    close(fd);
    assert_int_equal(route.replies, 1);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_upload_is_answered_later),
        cmocka_unit_test(test_an_upload_may_ask_to_continue),
        cmocka_unit_test(test_an_upload_route_takes_archives_only),
        cmocka_unit_test(test_an_upload_has_its_own_limit),
        cmocka_unit_test(test_a_deferred_request_holds_its_place_until_answered),
        cmocka_unit_test(test_stopping_answers_what_waits),
    };
    if (getenv("API_TEST_FILTER"))
        cmocka_set_test_filter(getenv("API_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
