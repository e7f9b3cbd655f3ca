/* HTTP server: MHD in external-epoll mode, pumped by a uv_poll_t on MHD's
 * epoll fd and a uv_timer that honours MHD_get_timeout. Connections come
 * in through the gate (http_gate.c); here MHD reads the bodies of the
 * requests the gate let through and the routes answer them. */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_gate.h"
#include "log_line.h"

/* MHD_get_timeout (0.9.75) does not count a timeout shortened later with
 * MHD_set_connection_option, as the SSE module does to drop a stalled
 * stream; so run MHD at least this often whatever it says. */
#define MAX_TIMER_MS 1000u
/* MHD's own ceiling, above the gate's counts: the gate decides, and MHD
 * must never be the one to refuse a connection the gate has let in. */
#define MHD_SLACK 16u

/* ---- logging ----------------------------------------------------------- */

static void log_to_stderr(void *ctx, const char *line)
{
    (void)ctx;
    log_line("jigd: http: %s", line);
}

void http_server_log(struct http_server *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, line);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    s->log(s->log_ctx, line);
}

/* ---- the loop glue ----------------------------------------------------- */

static void on_timer(uv_timer_t *t);

static void schedule(struct http_server *s)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (s->stopping)
        return;
    if (MHD_get_timeout(s->mhd, &ms) != MHD_YES)
        ms = MAX_TIMER_MS;
    if (ms > MAX_TIMER_MS)
        ms = MAX_TIMER_MS;
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

static void pump(struct http_server *s)
{
    if (s->stopping)
        return;
    s->in_run = true;
    s->kicked = false;
    MHD_run(s->mhd);
    s->in_run = false;
    if (s->kicked)
        uv_timer_start(&s->timer, on_timer, 0, 0);
    else
        schedule(s);
}

static void on_epoll_ready(uv_poll_t *p, int status, int events)
{
    pump(p->data);
}

static void on_timer(uv_timer_t *t)
{
    pump(t->data);
}

void http_server_kick(struct http_server *s)
{
    if (s->stopping)
        return;
    /* From inside MHD_run (a handler that resumes a connection, as one
     * answering a deferred request at once does) a timer set now would be
     * reset by schedule() when MHD_run returns: MHD's timeout, up to 1 s. */
    if (s->in_run)
        s->kicked = true;
    else
        uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* ---- requests ---------------------------------------------------------- */

static void dispatch(struct http_request *req)
{
    struct http_server *s = req->srv;
    const struct http_route *r = &s->routes[req->route];
    r->handler(req, s->route_ctx[req->route]);
    if (!req->replied && req->defer == HTTP_DEFER_NONE)
        http_reply_error(req, 500, "this is a bug in jigd; please report it",
                         "the handler for %s %s gave no answer", req->method, r->pattern);
}

static const struct http_route *route_of(const struct http_request *req)
{
    return &req->srv->routes[req->route];
}

static bool body_append(struct http_request *req, const char *data, size_t len)
{
    size_t limit = http_body_limit(&req->srv->policy, route_of(req));
    if (req->body_too_big || req->body_len + len > limit) {
        req->body_too_big = true;       /* keep reading, drop the bytes */
        return false;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 1024;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        if (cap > limit + 1)            /* an upload's last doubling */
            cap = limit + 1;
        char *b = realloc(req->body, cap);
        if (!b) {
            req->body_too_big = true;
            return false;
        }
        req->body = b;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return true;
}

/* A chunked body has no declared size: its limit is found while reading. */
static void reply_too_big(struct http_request *req)
{
    struct http_verdict v;
    http_verdict_too_big(&v, &req->srv->policy, route_of(req));
    http_reply_error(req, v.status, v.hint, "%s", v.error);
}

/* The first call: the gate has judged the head already (http_check.h), so
 * what it found is all a request needs to be dispatched. */
static struct http_request *request_new(struct http_server *s, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const struct http_verdict *v = http_conn_verdict(ci ? ci->socket_context : NULL);
    if (!v)
        return NULL;        /* cannot happen: only the gate adds connections */
    struct http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->srv = s;
    req->conn = conn;
    req->method = v->method;
    req->path = v->path;
    req->route = v->route;
    req->params = v->params;
    req->role = v->role;
    req->content_type = v->content_type;
    snprintf(req->actor, sizeof req->actor, "%s", v->actor);
    req->started_ms = uv_now(s->loop);
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    if (!req) {
        req = request_new(s, conn);
        *con_cls = req;
        return req ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        /* A body that trickles in (a slow POST) would hold its place for as
         * long as each piece comes within the idle timeout: cap the whole. */
        unsigned allowed = route_of(req)->upload ? s->limits.upload_timeout_ms
                                                 : s->limits.body_timeout_ms;
        if (uv_now(s->loop) - req->started_ms > allowed) {
            http_server_log(s, "%s %s: the body took longer than %u ms; connection "
                            "closed", req->method, req->path, allowed);
            return MHD_NO;
        }
        if (!req->replied)
            body_append(req, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->replied || http_deferred_resumed(req))
        return MHD_YES;
    if (req->body_too_big)
        reply_too_big(req);
    else
        dispatch(req);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode why)
{
    struct http_request *req = *con_cls;
    if (!req)
        return;
    http_deferred_ended(req);
    if (!req->body_lent)
        free(req->body);
    free(req);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        http_gate_conn_started(s->gate, socket_context);
    else
        http_gate_conn_closed(s->gate, *socket_context);
}

/* ---- life cycle -------------------------------------------------------- */

static unsigned or_default(unsigned v, unsigned dflt)
{
    return v ? v : dflt;
}

static int configure(struct http_server *s, const struct http_server_options *opt,
                     char *err, size_t errlen)
{
    s->log = opt->log ? opt->log : log_to_stderr;
    s->log_ctx = opt->log_ctx;
    snprintf(s->host, sizeof s->host, "%s", opt->host ? opt->host : HTTP_DEFAULT_HOST);
    if (opt->token && opt->token[0]) {
        if (strlen(opt->token) >= sizeof s->token) {
            snprintf(err, errlen, "the API token is longer than %d characters",
                     HTTP_TOKEN_MAX - 1);
            return -1;
        }
        snprintf(s->token, sizeof s->token, "%s", opt->token);
    }
    s->limits = (struct http_limits){
        .max_requests = or_default(opt->max_requests, HTTP_DEFAULT_MAX_REQUESTS),
        .max_streams = or_default(opt->max_streams, HTTP_DEFAULT_MAX_STREAMS),
        .max_waiting = or_default(opt->max_waiting, HTTP_DEFAULT_MAX_WAITING),
        .per_ip = or_default(opt->per_ip, HTTP_DEFAULT_PER_IP),
        .head_timeout_ms = or_default(opt->head_timeout_ms, HTTP_DEFAULT_HEAD_TIMEOUT_MS),
        .body_timeout_ms = or_default(opt->body_timeout_ms, HTTP_DEFAULT_BODY_TIMEOUT_MS),
        .upload_timeout_ms = or_default(opt->upload_timeout_ms, HTTP_DEFAULT_UPLOAD_TIMEOUT_MS),
    };
    s->policy = (struct http_policy){
        .token = s->token, .trust_local = opt->trust_local, .listen_host = s->host,
        .max_body = opt->max_body ? opt->max_body : HTTP_DEFAULT_MAX_BODY,
        .max_upload = opt->max_upload ? opt->max_upload : HTTP_DEFAULT_MAX_UPLOAD,
    };
    return 0;
}

int http_server_set_tokens(struct http_server *s, const struct http_token *tokens, size_t n)
{
    struct http_token *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (n && !copy)
        return -1;
    if (n)
        memcpy(copy, tokens, n * sizeof *copy);
    free(s->tokens);
    s->tokens = copy;
    s->policy.tokens = copy;
    s->policy.n_tokens = n;
    return 0;
}

size_t http_server_token_count(const struct http_server *s)
{
    return s->policy.n_tokens;
}

bool http_server_token_active(const struct http_server *s, const char *name)
{
    for (size_t i = 0; i < s->policy.n_tokens; i++)
        if (!strcmp(s->policy.tokens[i].name, name))
            return true;
    return false;
}

bool http_server_has_tokens(const struct http_server *s)
{
    return s->token[0] || s->policy.n_tokens;
}

struct http_server *http_server_start(uv_loop_t *loop,
                                      const struct http_server_options *opt,
                                      char *err, size_t errlen)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory starting the HTTP server");
        return NULL;
    }
    s->loop = loop;
    if (configure(s, opt, err, errlen)) {
        free(s);
        return NULL;
    }
    int fd = http_gate_listen(s->host, opt->port, !s->token[0] && !opt->named_tokens, &s->port,
                              err, errlen);
    if (fd < 0) {
        free(s);
        return NULL;
    }
    s->policy.port = s->port;
    s->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME |
        MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,     /* must come first */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(opt->timeout_s ? opt->timeout_s : HTTP_DEFAULT_TIMEOUT_S),
        MHD_OPTION_CONNECTION_LIMIT,
        s->limits.max_requests + s->limits.max_streams + MHD_SLACK,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    s->gate = s->mhd ? http_gate_start(s, fd) : NULL;
    if (!s->gate) {
        if (s->mhd)
            MHD_stop_daemon(s->mhd);
        close(fd);
        snprintf(err, errlen, "cannot start the HTTP server on %s:%u "
                 "(libmicrohttpd refused; see the log above)", s->host, s->port);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    uv_poll_init(loop, &s->poll, info->epoll_fd);
    uv_timer_init(loop, &s->timer);
    s->poll.data = s->timer.data = s;
    s->open_handles = 3;
    uv_poll_start(&s->poll, UV_READABLE, on_epoll_ready);
    schedule(s);
    return s;
}

uint16_t http_server_port(const struct http_server *s)
{
    return s->port;
}

uv_loop_t *http_server_loop(const struct http_server *s)
{
    return s->loop;
}

int http_server_add_routes(struct http_server *s, const struct http_route *routes,
                           size_t n, void *ctx)
{
    struct http_route *r = realloc(s->routes, (s->n_routes + n) * sizeof *r);
    if (!r)
        return -1;
    s->routes = r;
    void **c = realloc(s->route_ctx, (s->n_routes + n) * sizeof *c);
    if (!c)
        return -1;
    s->route_ctx = c;
    for (size_t i = 0; i < n; i++) {
        s->routes[s->n_routes] = routes[i];
        s->route_ctx[s->n_routes++] = ctx;
    }
    return 0;
}

int http_server_on_stop(struct http_server *s, void (*fn)(void *ctx), void *ctx)
{
    if (s->n_hooks >= MAX_STOP_HOOKS)
        return -1;
    s->hooks[s->n_hooks++] = (struct stop_hook){fn, ctx};
    return 0;
}

static void on_closed(struct http_server *s)
{
    if (--s->open_handles > 0)
        return;
    void (*done)(void *) = s->done;
    void *ctx = s->done_ctx;
    free(s->routes);
    free(s->route_ctx);
    free(s->tokens);
    free(s->counts);
    free(s);
    if (done)
        done(ctx);
}

static void on_handle_closed(uv_handle_t *h)
{
    on_closed(h->data);
}

static void on_gate_closed(void *ctx)
{
    on_closed(ctx);
}

void http_server_stop(struct http_server *s, void (*done)(void *ctx), void *ctx)
{
    for (size_t i = 0; i < s->n_hooks; i++)
        s->hooks[i].fn(s->hooks[i].ctx);
    s->stopping = true;
    s->done = done;
    s->done_ctx = ctx;
    /* Take the epoll fd out of libuv before MHD closes it. */
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
    http_deferred_stop(s);
    MHD_stop_daemon(s->mhd);    /* tells the gate of each connection it closes */
    s->mhd = NULL;
    http_gate_close(s->gate, on_gate_closed, s);
}
