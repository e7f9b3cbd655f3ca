/* One exchange on a libcurl easy handle. libcurl brings HTTP framing
 * (chunks, lengths, redirects we do not follow); what stays here is jigd's
 * conversation (headers, token), the deadlines, and the words of failure. */
#include "http_transfer.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct http_transfer *t, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct http_transfer *t, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, t->errlen, fmt, ap);
    va_end(ap);
    return status;
}

int http_transfer_global_init(char *err, size_t errlen)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot start libcurl: %s", curl_easy_strerror(rc));
        return HTTP_CLIENT_PROTOCOL;
    }
    return HTTP_CLIENT_OK;
}

bool http_transfer_done(struct http_transfer *t)
{
    t->stopped = true;
    t->stop_status = HTTP_CLIENT_OK;
    return false;
}

bool http_transfer_fail(struct http_transfer *t, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, t->errlen, fmt, ap);
    va_end(ap);
    t->stopped = true;
    t->stop_status = status;
    return false;
}

int http_transfer_status(struct http_transfer *t)
{
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    return (int)status;
}

static int timeout_ms(const struct http_client *c)
{
    return c->timeout_ms > 0 ? c->timeout_ms : HTTP_CLIENT_DEFAULT_TIMEOUT_MS;
}

/* ---- libcurl's callbacks ------------------------------------------------- */

/* The connection is up: from now on the silence deadline applies (until
 * here CURLOPT_CONNECTTIMEOUT_MS does). */
static int on_connected(void *ctx, char *ip, char *local_ip, int port, int local_port)
{
    struct http_transfer *t = ctx;
    t->connected = true;
    t->last_activity_ms = now_ms();
    return CURL_PREREQFUNC_OK;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct http_transfer *t = ctx;
    t->last_activity_ms = now_ms();
    return size * n;
}

static size_t on_write(char *data, size_t size, size_t n, void *ctx)
{
    struct http_transfer *t = ctx;
    t->last_activity_ms = now_ms();
    if (!t->req->on_body(t, data, size * n))
        return 0;       /* not the length given: libcurl stops, CURLE_WRITE_ERROR */
    return size * n;
}

/* libcurl calls this often while bytes move and about once a second while
 * none do, which makes it the clock for the silence deadline. A stream
 * with heartbeats never trips it; a hung jigd does. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct http_transfer *t = ctx;
    int64_t now = now_ms();
    if (!t->connected)
        return 0;
    if (ulnow != t->last_sent) {
        t->last_sent = ulnow;
        t->last_activity_ms = now;
    }
    if (now - t->last_activity_ms < t->req->idle_ms)
        return 0;
    t->idle_expired = true;
    return 1;
}

/* ---- setting up ---------------------------------------------------------- */

static int add_header(struct http_transfer *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int add_header(struct http_transfer *t, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return fail(t, HTTP_CLIENT_BAD_URL, "a request header for %s is too long",
                    t->client->url);
    struct curl_slist *l = curl_slist_append(t->headers, line);
    if (!l)
        return fail(t, HTTP_CLIENT_PROTOCOL, "out of memory");
    t->headers = l;
    return HTTP_CLIENT_OK;
}

static int set_headers(struct http_transfer *t)
{
    const struct http_request *req = t->req;
    int r = add_header(t, "Accept: %s", req->accept);
    if (!r && t->client->token[0])
        r = add_header(t, "Authorization: Bearer %s", t->client->token);
    if (!r && req->last_event_id)
        r = add_header(t, "Last-Event-ID: %s", req->last_event_id);
    /* jigd takes no action without it, body or not: a web page cannot send
     * it cross-site without asking first (docs/api.md, Security). */
    if (!r && (req->body || strcmp(req->method, "GET")))
        r = add_header(t, "Content-Type: %s",
                       req->content_type ? req->content_type : "application/json");
    /* No "Expect: 100-continue": our bodies are small, and waiting for the
     * interim answer would only add a second to a request. */
    if (!r)
        r = add_header(t, "Expect:");
    return r;
}

static int set_options(struct http_transfer *t, const char *url)
{
    const struct http_request *req = t->req;
    CURL *e = t->curl;
    bool ok = true;
#define SET(opt, val) ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http");
    SET(CURLOPT_PATH_AS_IS, 1L);            /* send the path the command built */
    SET(CURLOPT_PROXY, "");                 /* jigd is on this network, never behind
                                             * the proxy $http_proxy names */
    SET(CURLOPT_NOSIGNAL, 1L);              /* we may run on several threads */
    SET(CURLOPT_ERRORBUFFER, t->curl_error);
    SET(CURLOPT_USERAGENT, "jigctl");
    SET(CURLOPT_HTTPHEADER, t->headers);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms(t->client));
    SET(CURLOPT_PREREQFUNCTION, on_connected);
    SET(CURLOPT_PREREQDATA, t);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, t);
    if (req->body) {
        SET(CURLOPT_POSTFIELDS, req->body);
        SET(CURLOPT_POSTFIELDSIZE_LARGE,
            (curl_off_t)(req->body_len ? req->body_len : strlen(req->body)));
    }
    if (strcmp(req->method, req->body ? "POST" : "GET"))
        SET(CURLOPT_CUSTOMREQUEST, req->method);
#undef SET
    if (!ok)
        return fail(t, HTTP_CLIENT_PROTOCOL, "this libcurl lacks an option jigctl needs "
                    "(libcurl 7.80 or later is required; have %s)", curl_version());
    return HTTP_CLIENT_OK;
}

/* ---- the words of failure ------------------------------------------------ */

static int unreachable(struct http_transfer *t, int os_errno)
{
    const struct http_client *c = t->client;
    if (os_errno == ETIMEDOUT)
        return fail(t, HTTP_CLIENT_TIMEOUT, "cannot reach jigd at %s: no answer within "
                    "%d s — check the address and the network", c->url,
                    timeout_ms(c) / 1000);
    char why[128];
    snprintf(why, sizeof why, "%s", os_errno ? strerror(os_errno) : "connection failed");
    why[0] = (char)tolower((unsigned char)why[0]);
    return fail(t, HTTP_CLIENT_UNREACHABLE, "cannot reach jigd at %s: %s — "
                "is jigd running? (systemctl status jigd)", c->url, why);
}

static const char *curl_reason(struct http_transfer *t, CURLcode rc)
{
    return t->curl_error[0] ? t->curl_error : curl_easy_strerror(rc);
}

static int explain(struct http_transfer *t, CURLcode rc)
{
    const struct http_client *c = t->client;
    long os_errno = 0;
    curl_easy_getinfo(t->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (t->stopped)     /* our own reader said stop, and why */
        return t->stop_status;
    if (t->idle_expired)
        return fail(t, HTTP_CLIENT_TIMEOUT, "jigd at %s sent nothing for %d s — "
                    "is it stuck? (journalctl -u jigd)", c->url, t->req->idle_ms / 1000);
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return fail(t, HTTP_CLIENT_UNREACHABLE, "cannot reach jigd at %s: cannot resolve "
                    "'%s' — check the host in --url", c->url, c->host);
    case CURLE_COULDNT_CONNECT:
        return unreachable(t, (int)os_errno);
    case CURLE_OPERATION_TIMEDOUT:
        return unreachable(t, ETIMEDOUT);   /* only connecting has a total deadline */
    case CURLE_SEND_ERROR:
        return fail(t, HTTP_CLIENT_PROTOCOL, "jigd at %s closed the connection while the "
                    "request was sent: %s", c->url, curl_reason(t, rc));
    case CURLE_GOT_NOTHING:
        return fail(t, HTTP_CLIENT_PROTOCOL, "jigd at %s closed the connection without "
                    "answering — is it overloaded? (journalctl -u jigd)", c->url);
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return fail(t, HTTP_CLIENT_STREAM, "jigd at %s closed the connection before the "
                    "answer was complete", c->url);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return fail(t, HTTP_CLIENT_PROTOCOL, "%s did not answer in HTTP; is that address "
                    "jigd's?", c->url);
    case CURLE_OUT_OF_MEMORY:
        return fail(t, HTTP_CLIENT_PROTOCOL, "out of memory");
    default:
        return fail(t, HTTP_CLIENT_PROTOCOL, "talking to jigd at %s failed: %s", c->url,
                    curl_reason(t, rc));
    }
}

/* ---- running ------------------------------------------------------------- */

static char *full_url(const struct http_client *c, const char *path)
{
    size_t n = strlen(c->base_url) + strlen(path) + 1;
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%s%s", c->base_url, path);
    return url;
}

static void report_answer(struct http_transfer *t, int *status, char *content_type,
                          size_t ct_len)
{
    *status = http_transfer_status(t);
    if (!content_type)
        return;
    const char *ct = NULL;
    curl_easy_getinfo(t->curl, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(content_type, ct_len, "%s", ct ? ct : "");
}

int http_transfer_run(const struct http_client *c, const struct http_request *req,
                      int *status, char *content_type, size_t ct_len,
                      char *err, size_t errlen)
{
    struct http_transfer t = {.client = c, .req = req, .err = err, .errlen = errlen};
    *status = 0;
    if (content_type && ct_len)
        content_type[0] = '\0';
    char *url = full_url(c, req->path);
    t.curl = curl_easy_init();
    int r = url && t.curl ? HTTP_CLIENT_OK : fail(&t, HTTP_CLIENT_PROTOCOL, "out of memory");
    if (!r)
        r = set_headers(&t);
    if (!r)
        r = set_options(&t, url);
    if (!r) {
        CURLcode rc = curl_easy_perform(t.curl);
        r = rc == CURLE_OK ? HTTP_CLIENT_OK : explain(&t, rc);
        report_answer(&t, status, content_type, ct_len);
    }
    curl_easy_cleanup(t.curl);
    curl_slist_free_all(t.headers);
    free(url);
    return r;
}
