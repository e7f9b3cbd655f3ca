/* The front door: accept, wait for a whole head, judge it, then answer or
 * hand over to MHD. See http_gate.h for what it protects against.
 *
 * The gate has its own epoll set, watched by one uv_poll. Waiting sockets
 * are in it edge-triggered: a head is only peeked at (MHD must still find
 * the bytes), so a level-triggered watch would fire for ever on bytes the
 * gate has already seen; an edge fires once per arrival instead. */
#include "http_gate.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_peer.h"

#define ACCEPT_BATCH 64         /* per wake-up, so a flood cannot hog the loop */
#define SWEEP_MS 250            /* how often deadlines are checked */
#define LINGER_MS 2000          /* after a refusal, time for the client to read it */
#define DRAIN_MAX (64u * 1024u) /* bytes read and dropped before answering */
#define LOG_BURST 10            /* gate log lines per LOG_WINDOW_MS, then a count */
#define LOG_WINDOW_MS 10000

enum conn_state {
    CONN_HEAD,                  /* waiting for its head */
    CONN_LINGER,                /* answered by the gate; waiting for EOF */
    CONN_HANDED,                /* MHD's now */
};

struct http_conn {
    struct http_conn *prev, *next;  /* the waiting list, or the handed one */
    struct peer *peer;
    int fd;
    enum conn_state state;
    uint64_t deadline;
    enum http_kind kind;
    bool loopback;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct http_verdict *verdict;   /* once handed */
};

struct http_gate {
    struct http_server *srv;
    int listen_fd, epfd;
    uv_poll_t poll;
    uv_timer_t sweep;
    int open_handles;
    bool listening;             /* listen_fd is in the epoll set */
    struct http_conn *head, *tail;  /* waiting, oldest first */
    size_t n_waiting;
    struct http_conn *handed;
    struct http_conn *adding;   /* inside MHD_add_connection */
    struct peer *peers;         /* client addresses (http_peer.h) */
    size_t n_requests, n_streams;
    uint64_t log_window;
    unsigned log_lines, log_unsaid;
    void (*done)(void *ctx);
    void *done_ctx;
    char buf[HTTP_HEAD_MAX];
};

/* ---- the log ------------------------------------------------------------ */

/* Refusals are worth a line (someone is probing, or a client is
 * misconfigured) but a flood of them must not flood the journal. */
static void gate_log(struct http_gate *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void gate_log(struct http_gate *g, const char *fmt, ...)
{
    uint64_t now = uv_now(g->srv->loop);
    if (now - g->log_window >= LOG_WINDOW_MS) {
        if (g->log_unsaid)
            http_server_log(g->srv, "(%u more refused or dropped connections not logged)",
                            g->log_unsaid);
        g->log_window = now;
        g->log_lines = g->log_unsaid = 0;
    }
    if (g->log_lines >= LOG_BURST) {
        g->log_unsaid++;
        return;
    }
    g->log_lines++;
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    http_server_log(g->srv, "%s", line);
}

/* ---- the waiting list --------------------------------------------------- */

static void wait_unlink(struct http_gate *g, struct http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        g->tail = c->prev;
    c->prev = c->next = NULL;
}

static void wait_append(struct http_gate *g, struct http_conn *c)
{
    c->prev = g->tail;
    c->next = NULL;
    if (g->tail)
        g->tail->next = c;
    else
        g->head = c;
    g->tail = c;
}

static void sweep_start(struct http_gate *g);

/* Closes a connection that never reached MHD. */
static void drop(struct http_gate *g, struct http_conn *c)
{
    epoll_ctl(g->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    wait_unlink(g, c);
    g->n_waiting--;
    c->peer->waiting--;
    peer_put(&g->peers, c->peer);
    free(c);
}

/* The connection that has waited longest, of one address (or of all). */
static struct http_conn *oldest(struct http_gate *g, const struct peer *of)
{
    for (struct http_conn *c = g->head; c; c = c->next)
        if (!of || c->peer == of)
            return c;
    return NULL;
}

/* ---- answering at the door ---------------------------------------------- */

/* Writes a whole small answer and closes our side of the connection. */
static void write_answer(struct http_conn *c, const struct http_verdict *v)
{
    char sink[4096];
    size_t drained = 0;
    ssize_t n;
    while (drained < DRAIN_MAX && (n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
        drained += (size_t)n;
    char *body = v->status == 204 ? NULL : http_error_json(v->error, v->hint);
    size_t body_len = body ? strlen(body) : 0;
    char head[512], length[96] = "";
    if (body)           /* (a 204 has no length: it has no body at all) */
        snprintf(length, sizeof length, "Content-Type: application/json\r\n"
                 "Content-Length: %zu\r\n", body_len);
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %u %s\r\nCache-Control: no-store\r\nConnection: close\r\n"
                     "%s%s%s%s%s\r\n",
                     v->status, MHD_get_reason_phrase_for(v->status), length,
                     v->allow[0] ? "Allow: " : "", v->allow, v->allow[0] ? "\r\n" : "",
                     v->ask_token ? "WWW-Authenticate: Bearer realm=\"jigd\"\r\n" : "");
    struct iovec iov[2] = {{head, (size_t)h}, {body, body_len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = body ? 2 : 1};
    /* A fresh socket's send buffer holds far more than this; if it will not
     * take it all, the client is not reading and gets nothing more. */
    sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    free(body);
    shutdown(c->fd, SHUT_WR);
}

/* Answers, then keeps the connection a moment, reading and dropping what
 * the client still sends: closing a socket with unread bytes resets it, and
 * the reset can destroy the answer before the client has read it. */
static void answer(struct http_gate *g, struct http_conn *c, const struct http_verdict *v)
{
    write_answer(c, v);
    http_count_answer(g->srv, SIZE_MAX, v->method, v->path, v->status);
    c->state = CONN_LINGER;
    c->deadline = uv_now(g->srv->loop) + LINGER_MS;
    wait_unlink(g, c);
    wait_append(g, c);
}

/* A refusal of the door itself: nothing of a route's answer (Allow, a
 * token prompt) goes with it. */
static void refuse(struct http_verdict *v, unsigned status, const char *hint,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void refuse(struct http_verdict *v, unsigned status, const char *hint,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    http_verdict_vrefuse(v, status, hint, fmt, ap);
    va_end(ap);
    v->allow[0] = '\0';
    v->ask_token = false;
}

/* ---- handing over to MHD ------------------------------------------------ */

static void count(struct http_gate *g, struct http_conn *c, int by)
{
    if (c->kind == HTTP_KIND_STREAM) {
        g->n_streams += (size_t)by;
        c->peer->streams += (unsigned)by;
    } else {
        g->n_requests += (size_t)by;
        c->peer->requests += (unsigned)by;
    }
}

static void handed_unlink(struct http_gate *g, struct http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        g->handed = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void forget_handed(struct http_gate *g, struct http_conn *c)
{
    handed_unlink(g, c);
    count(g, c, -1);
    peer_put(&g->peers, c->peer);
    free(c->verdict);
    free(c);
}

/* Takes `v` (the request's route and parameters) along with `c`. */
static void hand_over(struct http_gate *g, struct http_conn *c, struct http_verdict *v)
{
    struct http_server *s = g->srv;
    c->verdict = v;
    epoll_ctl(g->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    wait_unlink(g, c);
    g->n_waiting--;
    c->peer->waiting--;
    c->state = CONN_HANDED;
    c->kind = v->kind;
    count(g, c, +1);
    c->next = g->handed;
    if (g->handed)
        g->handed->prev = c;
    g->handed = c;
    /* MHD calls http_gate_conn_started from inside, and on failure after
     * that, http_gate_conn_closed; on failure before, neither. */
    g->adding = c;
    int fd = c->fd;
    if (MHD_add_connection(s->mhd, fd, (struct sockaddr *)&c->addr, c->addrlen) != MHD_YES) {
        int e = errno;
        if (g->adding == c)
            forget_handed(g, c);
        gate_log(g, "could not pass a connection to libmicrohttpd: %s", strerror(e));
    }
    g->adding = NULL;
    http_server_kick(s);
}

void http_gate_conn_started(struct http_gate *g, void **socket_context)
{
    *socket_context = g->adding;
}

void http_gate_conn_closed(struct http_gate *g, void *socket_context)
{
    struct http_conn *c = socket_context;
    if (!c)
        return;
    if (g->adding == c)
        g->adding = NULL;
    forget_handed(g, c);
}

const struct http_verdict *http_conn_verdict(const struct http_conn *c)
{
    return c ? c->verdict : NULL;
}

/* ---- judging a head ----------------------------------------------------- */

/* The head is in and the rules have spoken: answer, or find room. Takes
 * `v` (malloc'd). */
static void judge(struct http_gate *g, struct http_conn *c, struct http_verdict *v)
{
    const struct http_limits *lim = &g->srv->limits;
    char who[INET6_ADDRSTRLEN];
    if (v->status) {
        if (v->status != 204)
            gate_log(g, "%s %.80s from %s -> %u: %s", v->method[0] ? v->method : "?",
                     v->path[0] ? v->path : "?", peer_text(c->peer, who, sizeof who),
                     v->status, v->error);
        answer(g, c, v);
        free(v);
        return;
    }
    bool stream = v->kind == HTTP_KIND_STREAM;
    unsigned held = stream ? c->peer->streams : c->peer->requests;
    size_t all = stream ? g->n_streams : g->n_requests;
    char hint[200];
    if (held >= lim->per_ip) {
        snprintf(hint, sizeof hint, "close some of them; one client address may hold %u "
                 "%s at a time", lim->per_ip, stream ? "event streams" : "requests");
        refuse(v, 429, hint, "this address (%s) already has %u %s open",
               peer_text(c->peer, who, sizeof who), held,
               stream ? "event streams" : "requests");
    } else if (stream && all >= lim->max_streams) {
        refuse(v, 503, "close another dashboard or jigctl watch, then reconnect",
               "too many event streams open (%zu)", all);
    } else if (!stream && all >= lim->max_requests) {
        refuse(v, 503, "try again in a moment",
               "jigd is answering %zu requests already", all);
    } else {
        hand_over(g, c, v);
        return;
    }
    gate_log(g, "%s %.80s from %s -> %u: %s", v->method, v->path,
             peer_text(c->peer, who, sizeof who), v->status, v->error);
    answer(g, c, v);
    free(v);
}

static void on_head_bytes(struct http_gate *g, struct http_conn *c, bool hung_up)
{
    ssize_t n = recv(c->fd, g->buf, sizeof g->buf, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(g, c);             /* gone before finishing its request */
        return;
    }
    if (n < 0)
        return;
    struct http_verdict *v = malloc(sizeof *v);
    if (!v) {
        drop(g, c);
        return;
    }
    enum http_head_result r = http_check_bytes(g->buf, (size_t)n, &g->srv->policy,
                                               c->loopback, g->srv->routes,
                                               g->srv->n_routes, v);
    if (r != HTTP_HEAD_PARTIAL) {
        judge(g, c, v);
        return;
    }
    free(v);
    if (hung_up)
        drop(g, c);             /* half a head and no more to come */
}

static void on_linger_bytes(struct http_gate *g, struct http_conn *c)
{
    char sink[4096];
    ssize_t n;
    size_t drained = 0;
    while (drained < DRAIN_MAX && (n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
        drained += (size_t)n;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || drained >= DRAIN_MAX)
        drop(g, c);
}

/* ---- accepting ---------------------------------------------------------- */

static void listen_pause(struct http_gate *g)
{
    if (!g->listening)
        return;
    epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->listen_fd, NULL);
    g->listening = false;
    sweep_start(g);             /* it resumes listening */
}

static void listen_resume(struct http_gate *g)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (!g->listening && !epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->listen_fd, &ev))
        g->listening = true;
}

static void admit(struct http_gate *g, int fd, const struct sockaddr_storage *ss,
                  socklen_t len)
{
    const struct http_limits *lim = &g->srv->limits;
    unsigned char key[16];
    bool loopback;
    peer_key(ss, key, &loopback);
    struct peer *p = peer_get(&g->peers, key);
    struct http_conn *c = p ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        if (p)
            peer_put(&g->peers, p);
        return;
    }
    /* Room for the newcomer (counted first, so its address stays known):
     * the slowest waiter goes, of this address if it has too many. */
    p->waiting++;
    g->n_waiting++;
    if (p->waiting > lim->per_ip)
        drop(g, oldest(g, p));
    if (g->n_waiting > lim->max_waiting)
        drop(g, oldest(g, NULL));
    *c = (struct http_conn){.peer = p, .fd = fd, .state = CONN_HEAD,
                            .loopback = loopback, .addrlen = len,
                            .deadline = uv_now(g->srv->loop) + lim->head_timeout_ms};
    memcpy(&c->addr, ss, sizeof *ss);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        close(fd);
        free(c);
        p->waiting--;
        g->n_waiting--;
        peer_put(&g->peers, p);
        return;
    }
    wait_append(g, c);
    sweep_start(g);
    on_head_bytes(g, c, false);  /* the head is often there already */
}

static void on_acceptable(struct http_gate *g)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(g->listen_fd, (struct sockaddr *)&ss, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(g, fd, &ss, len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors: free one by dropping the slowest waiter,
             * or stop accepting for a moment (the sweep resumes it). */
            struct http_conn *c = oldest(g, NULL);
            if (c) {
                drop(g, c);
                continue;
            }
            gate_log(g, "cannot accept connections: %s; pausing", strerror(errno));
            listen_pause(g);
        }
        return;                 /* EAGAIN: all taken */
    }
}

static void on_ready(uv_poll_t *h, int status, int events)
{
    struct http_gate *g = h->data;
    struct epoll_event evs[64];
    int n = epoll_wait(g->epfd, evs, 64, 0);
    bool acceptable = false;
    /* Handling a connection's event never frees another one; accepting
     * may (it makes room), so it comes after the batch is through. */
    for (int i = 0; i < n; i++) {
        struct http_conn *c = evs[i].data.ptr;
        if (!c) {
            acceptable = true;
            continue;
        }
        if (c->state == CONN_LINGER)
            on_linger_bytes(g, c);
        else
            on_head_bytes(g, c, evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
    }
    if (acceptable)
        on_acceptable(g);
}

/* ---- deadlines ---------------------------------------------------------- */

static void on_sweep(uv_timer_t *t)
{
    struct http_gate *g = t->data;
    uint64_t now = uv_now(g->srv->loop);
    for (struct http_conn *c = g->head, *next; c; c = next) {
        next = c->next;
        if (c->deadline > now)
            continue;
        if (c->state == CONN_HEAD) {
            /* Slowloris, or a client that connected and forgot: a word,
             * then the door at once. */
            static const struct http_verdict late = {
                .status = 408, .error = "the request head did not arrive in time",
                .hint = "send the whole request head at once, then the body",
            };
            write_answer(c, &late);
            http_count_answer(g->srv, SIZE_MAX, NULL, NULL, late.status);
            char who[INET6_ADDRSTRLEN];
            gate_log(g, "dropped a connection from %s: no whole request head within "
                     "%u ms", peer_text(c->peer, who, sizeof who),
                     g->srv->limits.head_timeout_ms);
        }
        drop(g, c);
    }
    listen_resume(g);
    if (!g->head && g->listening)
        uv_timer_stop(&g->sweep);
}

static void sweep_start(struct http_gate *g)
{
    if (!uv_is_active((uv_handle_t *)&g->sweep))
        uv_timer_start(&g->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
}

/* ---- life cycle --------------------------------------------------------- */

struct http_gate *http_gate_start(struct http_server *srv, int listen_fd)
{
    struct http_gate *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->srv = srv;
    g->listen_fd = listen_fd;
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (g->epfd < 0) {
        free(g);
        return NULL;
    }
    listen_resume(g);
    uv_poll_init(srv->loop, &g->poll, g->epfd);
    uv_timer_init(srv->loop, &g->sweep);
    g->poll.data = g->sweep.data = g;
    g->open_handles = 2;
    uv_poll_start(&g->poll, UV_READABLE, on_ready);
    return g;
}

static void on_closed(uv_handle_t *h)
{
    struct http_gate *g = h->data;
    if (--g->open_handles > 0)
        return;
    close(g->epfd);
    void (*done)(void *) = g->done;
    void *ctx = g->done_ctx;
    free(g);
    if (done)
        done(ctx);
}

void http_gate_close(struct http_gate *g, void (*done)(void *ctx), void *ctx)
{
    while (g->head)
        drop(g, g->head);
    /* Any still handed are gone with MHD; nothing of theirs is left. */
    while (g->handed)
        forget_handed(g, g->handed);
    peer_free_all(&g->peers);
    close(g->listen_fd);
    g->done = done;
    g->done_ctx = ctx;
    uv_close((uv_handle_t *)&g->poll, on_closed);
    uv_close((uv_handle_t *)&g->sweep, on_closed);
}
