/* Labels to a raw-TCP printer or a folder, one at a time, on the loop
 * (label_printer.h).
 *
 * One label in flight: its outcome is decided once (finish), by the last
 * step done, an error or the timer, whichever comes first; it is reported
 * once every callback it started has come back (settle), so nothing of it
 * is freed under a pending request. */
#include "label_printer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
    struct job *next;
    char serial[LABEL_SERIAL_MAX + 1];
    char *data;
    size_t len;
};

struct label_printer {
    uv_loop_t *loop;
    char host[256];
    uint16_t port;
    char folder[4096];
    unsigned timeout_ms;
    char where[300];
    label_sent_fn done;
    void *ctx;

    struct job *head, *tail;    /* head is the one in flight while busy */
    size_t queued;
    bool busy;
    bool over;                  /* the one in flight has its outcome */
    bool ok;
    char cause[400];
    int pending;                /* its callbacks still to come */

    uv_timer_t timer;
    uv_getaddrinfo_t resolve;
    uv_tcp_t tcp;
    bool tcp_open;
    uv_connect_t connect;
    uv_write_t write;
    uv_shutdown_t shutdown;
    uv_work_t work;
    int work_rc;
    char work_err[400];

    bool closing;
    void (*closed)(void *ctx);
    void *closed_ctx;
};

static void kick(struct label_printer *p);
static void maybe_closed(struct label_printer *p);

/* ---- one label's outcome ------------------------------------------------- */

static void settle(struct label_printer *p)
{
    if (!p->busy || !p->over || p->pending > 0)
        return;
    struct job *j = p->head;
    p->head = j->next;
    if (!p->head)
        p->tail = NULL;
    p->queued--;
    p->busy = false;
    p->done(p->ctx, j->serial, p->ok, p->ok ? NULL : p->cause);
    free(j->data);
    free(j);
    if (p->closing)
        maybe_closed(p);
    else
        kick(p);
}

static void on_tcp_closed(uv_handle_t *h)
{
    struct label_printer *p = h->data;
    p->tcp_open = false;
    p->pending--;
    settle(p);
}

static void finish(struct label_printer *p, bool ok, const char *cause)
{
    if (p->over)
        return;
    p->over = true;
    p->ok = ok;
    snprintf(p->cause, sizeof p->cause, "%s", cause ? cause : "");
    uv_timer_stop(&p->timer);
    /* Closing the socket cancels a connect, write or shutdown in flight:
     * their callbacks come with UV_ECANCELED and find the outcome made. */
    if (p->tcp_open && !uv_is_closing((uv_handle_t *)&p->tcp))
        uv_close((uv_handle_t *)&p->tcp, on_tcp_closed);
    settle(p);
}

static void fail_with(struct label_printer *p, int status)
{
    char cause[400];
    if (status == UV_ECONNREFUSED)
        snprintf(cause, sizeof cause, "the label printer at %s refused the connection "
                 "(nothing listens on port %u)", p->where, (unsigned)p->port);
    else
        snprintf(cause, sizeof cause, "the label printer at %s: %s", p->where,
                 uv_strerror(status));
    finish(p, false, cause);
}

static void on_timeout(uv_timer_t *t)
{
    struct label_printer *p = t->data;
    char cause[400], secs[16];
    if (p->timeout_ms % 1000)
        snprintf(secs, sizeof secs, "%.1f s", p->timeout_ms / 1000.0);
    else
        snprintf(secs, sizeof secs, "%u s", p->timeout_ms / 1000);
    if (p->folder[0])
        snprintf(cause, sizeof cause, "the label folder %.300s took more than %s to write "
                 "a label", p->folder, secs);
    else
        snprintf(cause, sizeof cause, "the label printer at %s did not answer in %s",
                 p->where, secs);
    /* A lookup or a file write still queued may be called off; one already
     * running comes back later and finds the outcome made. */
    if (p->pending > 0 && !p->tcp_open)
        uv_cancel(p->folder[0] ? (uv_req_t *)&p->work : (uv_req_t *)&p->resolve);
    finish(p, false, cause);
}

/* ---- a printer: look up, connect, write, close our side ----------------- */

/* Whether the step that just came back lets the label go on: not when
 * its outcome is made already (the timer, a cancel), nor when the step
 * failed, which then makes it. */
static bool step_ok(struct label_printer *p, int status)
{
    if (p->over)
        return false;
    if (status < 0) {
        fail_with(p, status);
        return false;
    }
    return true;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct label_printer *p = req->data;
    if (step_ok(p, status))
        finish(p, true, NULL);
}

static void on_written(uv_write_t *req, int status)
{
    struct label_printer *p = req->data;
    if (step_ok(p, status))
        step_ok(p, uv_shutdown(&p->shutdown, (uv_stream_t *)&p->tcp, on_shutdown));
}

static void on_connected(uv_connect_t *req, int status)
{
    struct label_printer *p = req->data;
    if (!step_ok(p, status))
        return;
    uv_buf_t buf = uv_buf_init(p->head->data, (unsigned)p->head->len);
    step_ok(p, uv_write(&p->write, (uv_stream_t *)&p->tcp, &buf, 1, on_written));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct label_printer *p = req->data;
    p->pending--;
    if (p->over || status < 0) {
        if (!p->over) {
            char cause[400];
            snprintf(cause, sizeof cause, "the label printer's name %s cannot be looked "
                     "up: %s", p->host, uv_strerror(status));
            finish(p, false, cause);
        }
        uv_freeaddrinfo(res);
        settle(p);
        return;
    }
    int r = uv_tcp_init(p->loop, &p->tcp);
    if (r == 0) {
        p->tcp_open = true;
        p->pending++;           /* its close */
        r = uv_tcp_connect(&p->connect, &p->tcp, res->ai_addr, on_connected);
    }
    uv_freeaddrinfo(res);
    if (r < 0)
        fail_with(p, r);
}

static void start_printer(struct label_printer *p)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)p->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    p->pending++;
    int r = uv_getaddrinfo(p->loop, &p->resolve, on_resolved, p->host, port, &hints);
    if (r < 0) {
        p->pending--;
        fail_with(p, r);
    }
}

/* ---- a folder: the file written on the thread pool ---------------------- */

static void write_file(uv_work_t *req)
{
    struct label_printer *p = req->data;
    char name[4 * LABEL_SERIAL_MAX + 8];
    label_file_name(p->head->serial, name, sizeof name);
    p->work_rc = label_file_write(p->folder, name, p->head->data, p->head->len,
                                  p->work_err, sizeof p->work_err);
}

static void on_file_written(uv_work_t *req, int status)
{
    struct label_printer *p = req->data;
    p->pending--;
    if (status < 0)
        finish(p, false, "the label was not written: jigd is stopping");
    else if (p->work_rc < 0) {
        char cause[500];
        snprintf(cause, sizeof cause, "the label folder: %s", p->work_err);
        finish(p, false, cause);
    } else {
        finish(p, true, NULL);
    }
    settle(p);
}

static void start_folder(struct label_printer *p)
{
    p->pending++;
    int r = uv_queue_work(p->loop, &p->work, write_file, on_file_written);
    if (r < 0) {
        p->pending--;
        fail_with(p, r);
    }
}

/* ---- the queue ------------------------------------------------------------ */

static void kick(struct label_printer *p)
{
    if (p->busy || !p->head || p->closing)
        return;
    p->busy = true;
    p->over = false;
    p->ok = false;
    p->pending = 0;
    uv_timer_start(&p->timer, on_timeout, p->timeout_ms, 0);
    if (p->folder[0])
        start_folder(p);
    else
        start_printer(p);
}

int label_printer_send(struct label_printer *p, const char *serial, const char *zpl,
                       size_t len, char *err, size_t errlen)
{
    if (p->closing || p->queued >= LABEL_QUEUE_MAX) {
        snprintf(err, errlen, p->closing ? "jigd is stopping" : "%d labels already wait "
                 "for the label printer at %s", LABEL_QUEUE_MAX, p->where);
        return -1;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j || !(j->data = malloc(len ? len : 1))) {
        free(j);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(j->serial, sizeof j->serial, "%s", serial);
    memcpy(j->data, zpl, len);
    j->len = len;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    kick(p);
    return 0;
}

struct label_printer *label_printer_new(uv_loop_t *loop, const struct label_printer_options *o,
                                        label_sent_fn done, void *ctx, char *err,
                                        size_t errlen)
{
    struct label_printer *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->loop = loop;
    p->done = done;
    p->ctx = ctx;
    p->timeout_ms = o->timeout_ms ? o->timeout_ms : LABEL_DEFAULT_TIMEOUT_MS;
    if (o->folder) {
        snprintf(p->folder, sizeof p->folder, "%s", o->folder);
        snprintf(p->where, sizeof p->where, "%s", o->folder);
    } else {
        snprintf(p->host, sizeof p->host, "%s", o->host ? o->host : "");
        p->port = o->port;
        snprintf(p->where, sizeof p->where, strchr(p->host, ':') ? "[%s]:%u" : "%s:%u",
                 p->host, (unsigned)p->port);
    }
    uv_timer_init(loop, &p->timer);
    p->timer.data = p->resolve.data = p->tcp.data = p->connect.data = p;
    p->write.data = p->shutdown.data = p->work.data = p;
    return p;
}

const char *label_printer_where(const struct label_printer *p)
{
    return p->where;
}

/* ---- stopping ------------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h)
{
    struct label_printer *p = h->data;
    if (p->closed)
        p->closed(p->closed_ctx);
}

static void maybe_closed(struct label_printer *p)
{
    if (p->busy || uv_is_closing((uv_handle_t *)&p->timer))
        return;
    uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

void label_printer_close(struct label_printer *p, void (*closed)(void *ctx), void *ctx)
{
    static const char stopped[] = "jigd stopped before the label was sent";
    p->closing = true;
    p->closed = closed;
    p->closed_ctx = ctx;
    /* The queued ones first, so the one in flight is reported last. */
    struct job **at = p->busy ? &p->head->next : &p->head;
    while (*at) {
        struct job *j = *at;
        *at = j->next;
        p->queued--;
        p->done(p->ctx, j->serial, false, stopped);
        free(j->data);
        free(j);
    }
    p->tail = p->busy ? p->head : NULL;
    if (p->busy)
        finish(p, false, stopped);     /* settle closes once it is reported */
    else
        maybe_closed(p);
}

void label_printer_free(struct label_printer *p)
{
    free(p);
}
