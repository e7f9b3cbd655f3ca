/* Blocking HTTP/1.1 client: connect, send, read headers, read the body by
 * Content-Length, chunks or close. Sockets are non-blocking underneath so
 * that every wait is a poll() with a deadline. */
#include "http_client.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER_LINE_MAX 8192
#define HEADER_COUNT_MAX 100

struct conn {
    const struct http_client *c;
    int fd;
    char buf[16384];
    size_t len, off;
    char *err;
    size_t errlen;
};

/* How the body is framed. */
struct body {
    enum { BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE } mode;
    uint64_t left;          /* in this chunk or in the whole body */
    bool done;
};

static int fail(struct conn *k, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct conn *k, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->err, k->errlen, fmt, ap);
    va_end(ap);
    return code;
}

static int timeout_ms(const struct http_client *c)
{
    return c->timeout_ms > 0 ? c->timeout_ms : HTTP_CLIENT_DEFAULT_TIMEOUT_MS;
}

/* ---- URL --------------------------------------------------------------- */

int http_client_init(struct http_client *c, const char *url, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    snprintf(c->url, sizeof c->url, "%s", url);
    const char *p = url;
    if (!strncasecmp(p, "https://", 8)) {
        snprintf(err, errlen, "%s: https is not supported; jigd serves plain HTTP "
                 "(reach a remote station through an SSH tunnel)", url);
        return HTTP_CLIENT_BAD_URL;
    }
    if (!strncasecmp(p, "http://", 7))
        p += 7;
    const char *host = p, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end) {
            snprintf(err, errlen, "%s: an IPv6 address needs a closing ']'", url);
            return HTTP_CLIENT_BAD_URL;
        }
        p = host_end + 1;
    } else {
        host_end = host + strcspn(host, ":/");
        p = host_end;
    }
    size_t hlen = (size_t)(host_end - host);
    if (hlen == 0 || hlen >= sizeof c->host) {
        snprintf(err, errlen, "%s: no host name; write e.g. --url http://127.0.0.1:8080",
                 url);
        return HTTP_CLIENT_BAD_URL;
    }
    memcpy(c->host, host, hlen);
    snprintf(c->port, sizeof c->port, "8080");
    if (*p == ':') {
        p++;
        size_t plen = strspn(p, "0123456789");
        long port = plen && plen <= 5 ? strtol(p, NULL, 10) : 0;
        if (port < 1 || port > 65535 || (p[plen] && p[plen] != '/')) {
            snprintf(err, errlen, "%s: the port must be a number from 1 to 65535", url);
            return HTTP_CLIENT_BAD_URL;
        }
        snprintf(c->port, sizeof c->port, "%ld", port);
        p += plen;
    }
    if (*p && *p != '/') {
        snprintf(err, errlen, "%s: unexpected '%c' after the host", url, *p);
        return HTTP_CLIENT_BAD_URL;
    }
    size_t blen = strlen(p);
    while (blen && p[blen - 1] == '/')
        blen--;
    if (blen >= sizeof c->base) {
        snprintf(err, errlen, "%s: the path is too long", url);
        return HTTP_CLIENT_BAD_URL;
    }
    memcpy(c->base, p, blen);
    return HTTP_CLIENT_OK;
}

/* ---- socket ------------------------------------------------------------ */

static int wait_fd(struct conn *k, short events, int ms)
{
    struct pollfd pfd = {.fd = k->fd, .events = events};
    for (;;) {
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return 0;
        if (n == 0)
            return -1;
        if (errno != EINTR)
            return -1;
    }
}

static int unreachable(struct conn *k, const char *why)
{
    return fail(k, HTTP_CLIENT_UNREACHABLE, "cannot reach jigd at %s: %s — "
                "is jigd running? (systemctl status jigd)", k->c->url, why);
}

static int try_connect(struct conn *k, const struct addrinfo *a, int *saved)
{
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
    if (fd < 0) {
        *saved = errno;
        return -1;
    }
    k->fd = fd;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS) {
        *saved = errno;
        close(fd);
        return -1;
    }
    if (wait_fd(k, POLLOUT, timeout_ms(k->c))) {
        *saved = ETIMEDOUT;
        close(fd);
        return -1;
    }
    int so = 0;
    socklen_t len = sizeof so;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
    if (so) {
        *saved = so;
        close(fd);
        return -1;
    }
    return 0;
}

static int open_conn(struct conn *k)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(k->c->host, k->c->port, &hints, &ai);
    if (rc) {
        char why[320];
        snprintf(why, sizeof why, "cannot resolve '%s' (%s)", k->c->host,
                 gai_strerror(rc));
        return fail(k, HTTP_CLIENT_UNREACHABLE, "cannot reach jigd at %s: %s — "
                    "check the host in --url", k->c->url, why);
    }
    int saved = ECONNREFUSED;
    int ok = -1;
    for (struct addrinfo *a = ai; a && ok; a = a->ai_next)
        ok = try_connect(k, a, &saved);
    freeaddrinfo(ai);
    if (ok) {
        if (saved == ETIMEDOUT)
            return fail(k, HTTP_CLIENT_TIMEOUT, "cannot reach jigd at %s: no answer "
                        "within %d s — check the address and the network",
                        k->c->url, timeout_ms(k->c) / 1000);
        char why[128];
        snprintf(why, sizeof why, "%s", strerror(saved));
        why[0] = (char)tolower((unsigned char)why[0]);
        return unreachable(k, why);
    }
    return HTTP_CLIENT_OK;
}

static int send_all(struct conn *k, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(k->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(k, POLLOUT, timeout_ms(k->c)))
                return fail(k, HTTP_CLIENT_TIMEOUT, "jigd at %s stopped taking the "
                            "request — is it overloaded? (journalctl -u jigd)", k->c->url);
            continue;
        }
        return fail(k, HTTP_CLIENT_PROTOCOL, "jigd at %s closed the connection while "
                    "the request was sent: %s", k->c->url, strerror(errno));
    }
    return HTTP_CLIENT_OK;
}

/* Reads more into the buffer. Returns bytes read, 0 at EOF, <0 error. */
static int fill(struct conn *k, int ms)
{
    if (k->off == k->len)
        k->off = k->len = 0;
    else if (k->off > 0) {
        memmove(k->buf, k->buf + k->off, k->len - k->off);
        k->len -= k->off;
        k->off = 0;
    }
    if (k->len == sizeof k->buf)
        return fail(k, HTTP_CLIENT_PROTOCOL, "a line from jigd at %s is too long",
                    k->c->url);
    for (;;) {
        ssize_t n = recv(k->fd, k->buf + k->len, sizeof k->buf - k->len, 0);
        if (n >= 0) {
            k->len += (size_t)n;
            return (int)n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(k, HTTP_CLIENT_PROTOCOL, "lost the connection to jigd at %s: %s",
                        k->c->url, strerror(errno));
        if (wait_fd(k, POLLIN, ms))
            return fail(k, HTTP_CLIENT_TIMEOUT, "jigd at %s sent nothing for %d s — "
                        "is it stuck? (journalctl -u jigd)", k->c->url, ms / 1000);
    }
}

/* One line without its CRLF, into out (NUL-terminated). */
static int read_line(struct conn *k, char *out, size_t cap, int ms)
{
    for (;;) {
        char *nl = memchr(k->buf + k->off, '\n', k->len - k->off);
        if (nl) {
            size_t n = (size_t)(nl - (k->buf + k->off));
            if (n && k->buf[k->off + n - 1] == '\r')
                n--;
            if (n >= cap)
                return fail(k, HTTP_CLIENT_PROTOCOL, "a header line from %s is too long",
                            k->c->url);
            memcpy(out, k->buf + k->off, n);
            out[n] = '\0';
            k->off = (size_t)(nl - k->buf) + 1;
            return HTTP_CLIENT_OK;
        }
        int r = fill(k, ms);
        if (r < 0)
            return r;
        if (r == 0)
            return fail(k, HTTP_CLIENT_PROTOCOL, "jigd at %s closed the connection "
                        "mid-answer", k->c->url);
    }
}

/* ---- response ---------------------------------------------------------- */

static int read_head(struct conn *k, struct http_response *resp, struct body *b)
{
    char line[HEADER_LINE_MAX];
    int ms = timeout_ms(k->c);
    int r = read_line(k, line, sizeof line, ms);
    if (r)
        return r;
    int major, minor, status;
    if (sscanf(line, "HTTP/%d.%d %3d", &major, &minor, &status) != 3 ||
        status < 100 || status > 599)
        return fail(k, HTTP_CLIENT_PROTOCOL, "%s did not answer in HTTP; is that "
                    "address jigd's?", k->c->url);
    resp->status = status;
    b->mode = BODY_CLOSE;
    for (int i = 0;; i++) {
        if (i > HEADER_COUNT_MAX)
            return fail(k, HTTP_CLIENT_PROTOCOL, "%s sent too many headers", k->c->url);
        if ((r = read_line(k, line, sizeof line, ms)))
            return r;
        if (!line[0])
            break;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        v += strspn(v, " \t");
        if (!strcasecmp(line, "Content-Length") && b->mode != BODY_CHUNKED) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (errno || end == v)
                return fail(k, HTTP_CLIENT_PROTOCOL, "%s sent a bad Content-Length",
                            k->c->url);
            b->mode = BODY_LENGTH;
            b->left = n;
        } else if (!strcasecmp(line, "Transfer-Encoding") && strcasestr(v, "chunked")) {
            b->mode = BODY_CHUNKED;
            b->left = 0;
        } else if (!strcasecmp(line, "Content-Type")) {
            snprintf(resp->content_type, sizeof resp->content_type, "%s", v);
        }
    }
    /* 1xx, 204 and 304 have no body. */
    if (status < 200 || status == 204 || status == 304)
        b->mode = BODY_LENGTH, b->left = 0;
    b->done = b->mode == BODY_LENGTH && b->left == 0;
    return HTTP_CLIENT_OK;
}

/* Starts the next chunk; sets b->done after the last. */
static int next_chunk(struct conn *k, struct body *b, int ms)
{
    char line[256];
    int r = read_line(k, line, sizeof line, ms);
    if (r)
        return r;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(line, &end, 16);
    if (errno || end == line || (*end && *end != ';' && *end != ' '))
        return fail(k, HTTP_CLIENT_PROTOCOL, "%s sent a bad chunk size", k->c->url);
    b->left = n;
    if (n == 0) {
        do {        /* trailers, then the blank line */
            if ((r = read_line(k, line, sizeof line, ms)))
                return r;
        } while (line[0]);
        b->done = true;
    }
    return HTTP_CLIENT_OK;
}

/* Up to `cap` body bytes into out. Returns the count, 0 at the end, <0. */
static int read_body(struct conn *k, struct body *b, char *out, size_t cap, int ms)
{
    if (b->done)
        return 0;
    if (b->mode == BODY_CHUNKED && b->left == 0) {
        int r = next_chunk(k, b, ms);
        if (r || b->done)
            return r;
    }
    if (k->off == k->len) {
        int r = fill(k, ms);
        if (r < 0)
            return r;
        if (r == 0) {
            if (b->mode == BODY_CLOSE) {
                b->done = true;
                return 0;
            }
            return fail(k, HTTP_CLIENT_STREAM, "jigd at %s closed the connection "
                        "before the answer was complete", k->c->url);
        }
    }
    size_t n = k->len - k->off;
    if (n > cap)
        n = cap;
    if (b->mode != BODY_CLOSE && n > b->left)
        n = (size_t)b->left;
    memcpy(out, k->buf + k->off, n);
    k->off += n;
    if (b->mode != BODY_CLOSE) {
        b->left -= n;
        if (b->left == 0 && b->mode == BODY_LENGTH)
            b->done = true;
        if (b->left == 0 && b->mode == BODY_CHUNKED) {
            char crlf[4];
            int r = read_line(k, crlf, sizeof crlf, ms);
            if (r)
                return r;
        }
    }
    return (int)n;
}

static int send_request(struct conn *k, const char *method, const char *path,
                        const char *body, const char *accept, const char *last_id)
{
    const struct http_client *c = k->c;
    bool v6 = strchr(c->host, ':') != NULL;
    char head[2048];
    int n = snprintf(head, sizeof head,
                     "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: jigctl\r\n"
                     "Accept: %s\r\nConnection: close\r\n",
                     method, c->base, path, v6 ? "[" : "", c->host, v6 ? "]" : "",
                     c->port, accept);
    if (c->token[0])
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Authorization: Bearer %s\r\n", c->token);
    if (last_id)
        n += snprintf(head + n, sizeof head - (size_t)n, "Last-Event-ID: %s\r\n", last_id);
    if (body)
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                      strlen(body));
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    if (n < 0 || (size_t)n >= sizeof head)
        return fail(k, HTTP_CLIENT_BAD_URL, "the request to %s is too long", c->url);
    int r = send_all(k, head, (size_t)n);
    if (!r && body)
        r = send_all(k, body, strlen(body));
    return r;
}

static int read_all(struct conn *k, struct body *b, struct http_response *resp)
{
    size_t cap = 4096;
    resp->body = malloc(cap);
    if (!resp->body)
        return fail(k, HTTP_CLIENT_PROTOCOL, "out of memory");
    for (;;) {
        if (resp->body_len + 1 >= cap) {
            if (cap >= HTTP_CLIENT_MAX_BODY)
                return fail(k, HTTP_CLIENT_PROTOCOL, "the answer from %s is larger "
                            "than %u MiB", k->c->url, HTTP_CLIENT_MAX_BODY >> 20);
            char *p = realloc(resp->body, cap * 2);
            if (!p)
                return fail(k, HTTP_CLIENT_PROTOCOL, "out of memory");
            resp->body = p;
            cap *= 2;
        }
        int n = read_body(k, b, resp->body + resp->body_len,
                          cap - 1 - resp->body_len, timeout_ms(k->c));
        if (n < 0)
            return n;
        if (n == 0)
            break;
        resp->body_len += (size_t)n;
    }
    resp->body[resp->body_len] = '\0';
    return HTTP_CLIENT_OK;
}

int http_client_request(const struct http_client *c, const char *method,
                        const char *path, const char *body,
                        struct http_response *resp, char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    struct conn k = {.c = c, .fd = -1, .err = err, .errlen = errlen};
    int r = open_conn(&k);
    if (r)
        return r;
    struct body b = {0};
    r = send_request(&k, method, path, body, "application/json", NULL);
    if (!r)
        r = read_head(&k, resp, &b);
    if (!r)
        r = read_all(&k, &b, resp);
    close(k.fd);
    if (r)
        http_response_free(resp);
    return r;
}

void http_response_free(struct http_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

/* ---- event stream ------------------------------------------------------ */

static int stream_error(struct conn *k, struct http_response *resp, struct body *b)
{
    /* The server explains refusals in a JSON body: pass its words on. */
    int status = resp->status;
    if (read_all(k, b, resp) == 0 && resp->body_len) {
        const char *e = strstr(resp->body, "\"error\":\"");
        if (e) {
            e += 9;
            size_t n = strcspn(e, "\"");
            return fail(k, HTTP_CLIENT_STREAM, "jigd refused the event stream "
                        "(HTTP %d): %.*s", status, (int)n, e);
        }
    }
    return fail(k, HTTP_CLIENT_STREAM, "jigd refused the event stream (HTTP %d)", status);
}

int http_client_events(const struct http_client *c, const char *path,
                       const char *last_event_id, int idle_ms,
                       sse_event_fn on_event, void *ctx,
                       char *err, size_t errlen)
{
    struct conn k = {.c = c, .fd = -1, .err = err, .errlen = errlen};
    int r = open_conn(&k);
    if (r)
        return r;
    struct http_response resp = {0};
    struct body b = {0};
    struct sse_parser *p = NULL;
    r = send_request(&k, "GET", path, NULL, "text/event-stream", last_event_id);
    if (!r)
        r = read_head(&k, &resp, &b);
    if (!r && resp.status != 200)
        r = stream_error(&k, &resp, &b);
    if (!r && !(p = malloc(sizeof *p)))
        r = fail(&k, HTTP_CLIENT_PROTOCOL, "out of memory");
    if (!r)
        sse_parser_init(p, on_event, ctx);
    char chunk[4096];
    while (!r) {
        int n = read_body(&k, &b, chunk, sizeof chunk, idle_ms);
        if (n < 0) {
            r = n;
            break;
        }
        if (n == 0) {
            r = fail(&k, HTTP_CLIENT_STREAM, "jigd at %s closed the event stream",
                     c->url);
            break;
        }
        enum sse_feed_result f = sse_parser_feed(p, chunk, (size_t)n, NULL);
        if (f == SSE_STOPPED)
            break;
        if (f == SSE_ERROR)
            r = fail(&k, HTTP_CLIENT_PROTOCOL, "bad event stream from %s: %s",
                     c->url, p->error);
    }
    free(p);
    http_response_free(&resp);
    close(k.fd);
    return r;
}
