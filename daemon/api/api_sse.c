/* SSE stream: one MHD callback response per client, suspended while idle. */
#include "api_sse.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX (16u * 1024u)       /* one framed event; JSON is bounded */
#define BLOCK_SIZE (16u * 1024u)

struct sse_client {
    struct api_sse *sse;
    struct sse_client *prev, *next;
    struct MHD_Connection *conn;
    struct event_sub *sub;
    bool suspended;
    bool wake;                  /* resume at the next wake-up */
    bool heartbeat_due;
    bool ending;                /* send what is in `out`, then end */
    bool overflow_noted;
    bool revoked;               /* its token is no longer valid: end it */
    char actor[HTTP_TOKEN_NAME_MAX + 1];    /* who opened it (http_check.h) */
    size_t out_len, out_off;
    char out[OUT_MAX];
};

struct api_sse {
    struct http_server *srv;
    struct event_bus *bus;
    struct api_sse_options opt;
    struct sse_client *clients;
    size_t n_clients;
    uv_timer_t heartbeat;
    uv_timer_t wake;            /* resumes connections outside MHD_run */
    int open_timers;
    bool stopping;
    void (*done)(void *ctx);
    void *done_ctx;
};

/* ---- waking suspended clients ------------------------------------------ */

static void on_wake(uv_timer_t *t)
{
    struct api_sse *sse = t->data;
    bool resumed = false;
    for (struct sse_client *c = sse->clients; c; c = c->next) {
        if (!c->wake)
            continue;
        c->wake = false;
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->conn);
            resumed = true;
        }
    }
    if (resumed)
        http_server_kick(sse->srv);
}

/* Resuming from inside a publish could happen in the middle of MHD_run (a
 * handler publishes); doing it from a zero timer keeps MHD calls ordered. */
static void wake_later(struct sse_client *c)
{
    c->wake = true;
    if (!c->sse->stopping)
        uv_timer_start(&c->sse->wake, on_wake, 0, 0);
}

static void on_bus_news(void *ctx, struct event_sub *sub)
{
    struct sse_client *c = ctx;
    if (event_sub_overflowed(sub) && !c->overflow_noted) {
        /* A client that has stopped reading will not read the farewell
         * either: give it a short timeout so MHD closes it. */
        c->overflow_noted = true;
        MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  c->sse->opt.overflow_grace_s);
    }
    wake_later(c);
}

static int connection_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/* MHD does not watch a suspended connection, so a dashboard that went
 * away would only be noticed when a write to it fails (the second one after
 * it closed). Look for the hang-up ourselves. */
static bool peer_hung_up(const struct sse_client *c)
{
    struct pollfd pfd = {.fd = connection_fd(c->conn), .events = POLLRDHUP};
    if (pfd.fd < 0)
        return false;
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void on_heartbeat(uv_timer_t *t)
{
    struct api_sse *sse = t->data;
    for (struct sse_client *c = sse->clients; c; c = c->next) {
        if (c->suspended && peer_hung_up(c)) {
            c->out_len = c->out_off = 0;
            c->ending = true;
        }
        c->heartbeat_due = true;
        wake_later(c);
    }
}

/* ---- framing ----------------------------------------------------------- */

static void put(struct sse_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct sse_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->out, sizeof c->out, fmt, ap);
    va_end(ap);
    c->out_off = 0;
    c->out_len = n < 0 ? 0 : (size_t)n < sizeof c->out ? (size_t)n : sizeof c->out - 1;
}

/* Fills `out` with the next thing to send. Returns false when there is
 * nothing (the caller suspends). */
static bool next_frame(struct sse_client *c)
{
    if (c->revoked) {
        /* A station event makes a client read again, and hear 401. */
        put(c, "event: station\ndata: {\"kind\":\"station\",\"message\":"
               "\"the API token of this stream is no longer valid\"}\n\n");
        c->ending = true;
        return true;
    }
    if (c->sse->stopping) {
        put(c, "event: station\ndata: {\"kind\":\"station\",\"message\":"
               "\"jigd is stopping\"}\n\n");
        c->ending = true;
        return true;
    }
    const struct event_record *rec;
    uint64_t missed = 0;
    switch (event_sub_next(c->sub, &rec, &missed)) {
    case EVENT_NEXT_EVENT:
        put(c, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", rec->id,
            event_kind_name(rec->kind), rec->json);
        return true;
    case EVENT_NEXT_GAP:
        put(c, "event: resync\ndata: {\"missed\":%" PRIu64 ",\"first_id\":%" PRIu64
               ",\"last_id\":%" PRIu64 ",\"hint\":\"events were lost; re-read "
               "GET /api/v1/slots\"}\n\n", missed,
            event_bus_first_id(c->sse->bus), event_bus_last_id(c->sse->bus));
        return true;
    case EVENT_NEXT_OVERFLOW:
        put(c, "event: overflow\ndata: {\"error\":\"this client fell more than %zu "
               "events behind and is dropped\",\"hint\":\"reconnect with "
               "Last-Event-ID to catch up\"}\n\n", c->sse->opt.max_backlog);
        c->ending = true;
        return true;
    case EVENT_NEXT_NONE:
        break;
    }
    if (c->heartbeat_due) {
        c->heartbeat_due = false;
        put(c, ": heartbeat\n\n");
        return true;
    }
    return false;
}

static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_client *c = cls;
    size_t n = 0;
    while (n < max) {
        if (c->out_off < c->out_len) {
            size_t k = c->out_len - c->out_off;
            if (k > max - n)
                k = max - n;
            memcpy(buf + n, c->out + c->out_off, k);
            c->out_off += k;
            n += k;
            continue;
        }
        if (c->ending)
            return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
        if (!next_frame(c))
            break;
    }
    if (n)
        return (ssize_t)n;
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    return 0;
}

static void on_response_freed(void *cls)
{
    struct sse_client *c = cls;
    struct api_sse *sse = c->sse;
    if (c->prev)
        c->prev->next = c->next;
    else
        sse->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sse->n_clients--;
    event_bus_unsubscribe(c->sub);
    free(c);
}

/* ---- the endpoint ------------------------------------------------------ */

static int parse_last_id(const char *s, uint64_t *id)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *id = v;
    return 0;
}

static void get_events(struct http_request *req, void *ctx)
{
    struct api_sse *sse = ctx;
    if (sse->n_clients >= sse->opt.max_clients) {
        http_reply_error(req, 503, "close another dashboard or watch, or raise the limit",
                         "too many event streams open (%zu)", sse->n_clients);
        return;
    }
    uint64_t after = event_bus_last_id(sse->bus);
    const char *last = http_request_header(req, "Last-Event-ID");
    if (!last)
        last = http_request_query(req, "last_event_id");
    if (last && parse_last_id(last, &after)) {
        http_reply_error(req, 400, "Last-Event-ID is the id: of the last event received",
                         "Last-Event-ID '%.40s' is not an event id", last);
        return;
    }
    struct sse_client *c = calloc(1, sizeof *c);
    if (!c) {
        http_reply_error(req, 503, "the station is short of memory", "out of memory");
        return;
    }
    c->sse = sse;
    c->conn = http_request_connection(req);
    snprintf(c->actor, sizeof c->actor, "%s", http_request_actor(req));
    int fd = connection_fd(c->conn);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sse->opt.sndbuf, sizeof sse->opt.sndbuf);
    c->sub = event_bus_subscribe(sse->bus, after, sse->opt.max_backlog, on_bus_news, c);
    if (!c->sub) {
        free(c);
        http_reply_error(req, 503, "the station is short of memory", "out of memory");
        return;
    }
    /* Something to send at once, so headers go out without waiting. */
    put(c, ": jigd events\nretry: 2000\n\n");
    c->next = sse->clients;
    if (sse->clients)
        sse->clients->prev = c;
    sse->clients = c;
    sse->n_clients++;

    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, BLOCK_SIZE, on_read, c, on_response_freed);
    if (!resp) {
        on_response_freed(c);
        http_reply_error(req, 503, "the station is short of memory", "out of memory");
        return;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    /* When a stream ends (overflow, shutdown) the connection goes too: a
     * client waits for EOF, not for its next response on it. */
    MHD_add_response_header(resp, "Connection", "close");
    /* A healthy client is written to at least every heartbeat; one that
     * takes no data for three heartbeats is gone or stuck. */
    unsigned stall_s = 3 * sse->opt.heartbeat_ms / 1000;
    MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                              stall_s < 5 ? 5u : stall_s);
    http_reply_response(req, 200, resp);
    MHD_destroy_response(resp);
}

/* ---- tokens ------------------------------------------------------------- */

/* Whether the identity a stream was opened with still opens one: a named
 * token still active; "local" only while the station has no token at all
 * (http_check.h, rule 4); the api_token_file's cannot change under jigd. */
static bool still_valid(const struct sse_client *c)
{
    const struct http_server *srv = c->sse->srv;
    if (!strcmp(c->actor, HTTP_ACTOR_TOKEN_FILE))
        return true;
    if (!strcmp(c->actor, HTTP_ACTOR_LOCAL))
        return !http_server_has_tokens(srv);
    return http_server_token_active(srv, c->actor);
}

void api_sse_check_tokens(struct api_sse *sse)
{
    for (struct sse_client *c = sse->clients; c; c = c->next)
        if (!c->revoked && !still_valid(c)) {
            c->revoked = true;
            wake_later(c);
        }
}

/* ---- life cycle -------------------------------------------------------- */

static void on_server_stopping(void *ctx)
{
    struct api_sse *sse = ctx;
    sse->stopping = true;
    uv_timer_stop(&sse->heartbeat);
    uv_timer_stop(&sse->wake);
    /* MHD must not be stopped with suspended connections. */
    for (struct sse_client *c = sse->clients; c; c = c->next) {
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->conn);
        }
    }
}

struct api_sse *api_sse_start(struct http_server *srv, struct event_bus *bus,
                              const struct api_sse_options *opt)
{
    struct api_sse *sse = calloc(1, sizeof *sse);
    if (!sse)
        return NULL;
    sse->srv = srv;
    sse->bus = bus;
    if (opt)
        sse->opt = *opt;
    if (!sse->opt.heartbeat_ms)
        sse->opt.heartbeat_ms = API_SSE_DEFAULT_HEARTBEAT_MS;
    if (!sse->opt.max_clients)
        sse->opt.max_clients = API_SSE_DEFAULT_MAX_CLIENTS;
    if (!sse->opt.max_backlog)
        sse->opt.max_backlog = API_SSE_DEFAULT_MAX_BACKLOG;
    if (!sse->opt.sndbuf)
        sse->opt.sndbuf = API_SSE_DEFAULT_SNDBUF;
    if (!sse->opt.overflow_grace_s)
        sse->opt.overflow_grace_s = API_SSE_DEFAULT_OVERFLOW_GRACE_S;
    static const struct http_route routes[] = {
        {"GET", "/api/v1/events", get_events, .stream = true, .role = HTTP_ROLE_VIEWER},
    };
    if (http_server_add_routes(srv, routes, 1, sse) ||
        http_server_on_stop(srv, on_server_stopping, sse)) {
        free(sse);
        return NULL;
    }
    uv_loop_t *loop = http_server_loop(srv);
    uv_timer_init(loop, &sse->heartbeat);
    uv_timer_init(loop, &sse->wake);
    sse->heartbeat.data = sse->wake.data = sse;
    sse->open_timers = 2;
    uv_timer_start(&sse->heartbeat, on_heartbeat, sse->opt.heartbeat_ms,
                   sse->opt.heartbeat_ms);
    return sse;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct api_sse *sse = h->data;
    if (--sse->open_timers > 0)
        return;
    void (*done)(void *) = sse->done;
    void *ctx = sse->done_ctx;
    free(sse);
    if (done)
        done(ctx);
}

void api_sse_free(struct api_sse *sse, void (*done)(void *ctx), void *ctx)
{
    sse->done = done;
    sse->done_ctx = ctx;
    uv_close((uv_handle_t *)&sse->heartbeat, on_timer_closed);
    uv_close((uv_handle_t *)&sse->wake, on_timer_closed);
}

size_t api_sse_client_count(const struct api_sse *sse)
{
    return sse->n_clients;
}
