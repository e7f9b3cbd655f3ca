/* HTTP server: MHD in external-epoll mode, pumped by a uv_poll_t on MHD's
 * epoll fd and a uv_timer that honours MHD_get_timeout. */
#include "http_server_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* MHD_get_timeout (0.9.75) does not count a timeout shortened later with
 * MHD_set_connection_option, as the SSE module does to drop a stalled
 * stream; so run MHD at least this often whatever it says. */
#define MAX_TIMER_MS 1000u

/* ---- logging ----------------------------------------------------------- */

static void log_to_stderr(void *ctx, const char *line)
{
    fprintf(stderr, "jigd: http: %s\n", line);
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
    MHD_run(s->mhd);
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
    if (!s->stopping)
        uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* ---- listening socket -------------------------------------------------- */

static int listen_socket(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *ai = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s; check 'listen' in jigd.conf",
                 host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 64) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        const char *why = saved == EADDRINUSE ? "; is another jigd running? (systemctl status jigd)"
                        : saved == EACCES ? "; ports below 1024 need privileges"
                        : saved == EADDRNOTAVAIL ? "; this machine has no such address"
                        : "";
        snprintf(err, errlen, "cannot listen on %s:%u: %s%s", host, port,
                 strerror(saved), why);
    }
    return fd;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len))
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
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
    s->log = opt->log ? opt->log : log_to_stderr;
    s->log_ctx = opt->log_ctx;
    s->max_body = opt->max_body ? opt->max_body : HTTP_DEFAULT_MAX_BODY;
    snprintf(s->host, sizeof s->host, "%s", opt->host ? opt->host : HTTP_DEFAULT_HOST);
    if (opt->token && opt->token[0]) {
        if (strlen(opt->token) >= sizeof s->token) {
            snprintf(err, errlen, "the API token is longer than %d characters",
                     HTTP_TOKEN_MAX - 1);
            free(s);
            return NULL;
        }
        snprintf(s->token, sizeof s->token, "%s", opt->token);
    }
    int fd = listen_socket(s->host, opt->port, err, errlen);
    if (fd < 0) {
        free(s);
        return NULL;
    }
    s->port = bound_port(fd);
    s->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, http_on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,     /* must come first */
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        /* Refuse sloppy HTTP (no Host, bare LF) rather than guess. */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(opt->timeout_s ? opt->timeout_s : HTTP_DEFAULT_TIMEOUT_S),
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(opt->max_connections ? opt->max_connections
                                        : HTTP_DEFAULT_MAX_CONNECTIONS),
        MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s,
        MHD_OPTION_END);
    if (!s->mhd) {
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
    s->open_handles = 2;
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
    struct route_entry *r = realloc(s->routes, (s->n_routes + n) * sizeof *r);
    if (!r)
        return -1;
    s->routes = r;
    for (size_t i = 0; i < n; i++)
        s->routes[s->n_routes++] = (struct route_entry){routes[i], ctx};
    return 0;
}

int http_server_on_stop(struct http_server *s, void (*fn)(void *ctx), void *ctx)
{
    if (s->n_hooks >= MAX_STOP_HOOKS)
        return -1;
    s->hooks[s->n_hooks++] = (struct stop_hook){fn, ctx};
    return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;
    if (--s->open_handles > 0)
        return;
    void (*done)(void *) = s->done;
    void *ctx = s->done_ctx;
    free(s->routes);
    free(s);
    if (done)
        done(ctx);
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
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
