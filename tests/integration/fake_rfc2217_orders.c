/* fake_rfc2217_orders: a scripted RFC 2217 server. See fake_rfc2217_orders.h. */
#include "fake_rfc2217_orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One write in flight: libuv needs the bytes until it is done. */
struct fake_write {
    uv_write_t req;
    uint8_t bytes[];
};

static void note_problem(struct fake_orders *s, const char *what, int status)
{
    if (!s->problem[0])
        snprintf(s->problem, sizeof s->problem, "fake server: %s (%s)", what,
                 uv_strerror(status));
}

static void on_written(uv_write_t *req, int status)
{
    struct fake_orders *s = req->handle->data;
    if (status < 0 && status != UV_ECANCELED)
        note_problem(s, "a write failed", status);
    free(req->data);
}

static void fake_write(struct fake_orders *s, const uint8_t *bytes, size_t n)
{
    if (!s->connected || n == 0)
        return;
    struct fake_write *w = malloc(sizeof *w + n);
    if (!w) {
        note_problem(s, "out of memory", UV_ENOMEM);
        return;
    }
    memcpy(w->bytes, bytes, n);
    w->req.data = w;
    uv_buf_t buf = uv_buf_init((char *)w->bytes, (unsigned)n);
    int r = uv_write(&w->req, (uv_stream_t *)&s->conn, &buf, 1, on_written);
    if (r < 0) {
        note_problem(s, "a write was refused", r);
        free(w);
    }
}

/* The server's own replies (acks, echoed data). While a DRIP step is part
 * way through, they wait: a server never puts one command inside another,
 * and the drip may have just sent half an IAC sequence. */
static void fake_reply(struct fake_orders *s, const uint8_t *bytes, size_t n)
{
    if (s->dripped == 0) {
        fake_write(s, bytes, n);
        return;
    }
    if (s->held_len + n > sizeof s->held) {
        note_problem(s, "too many replies held during a drip", UV_ENOBUFS);
        return;
    }
    memcpy(s->held + s->held_len, bytes, n);
    s->held_len += n;
}

/* ---- the script ---------------------------------------------------------- */

static void play(struct fake_orders *s);

static void on_step_timer(uv_timer_t *t)
{
    struct fake_orders *s = t->data;
    s->waiting = false;
    play(s);
}

static void wait_ms(struct fake_orders *s, unsigned ms)
{
    s->waiting = true;
    uv_timer_start(&s->step_timer, on_step_timer, ms, 0);
}

/* Plays steps until one has to wait (a timer, or the client's opening). */
static void play(struct fake_orders *s)
{
    while (s->connected && !s->waiting) {
        const struct fake_step *st = &s->script[s->step];
        switch (st->kind) {
        case FAKE_END:
            return;
        case FAKE_SEND:
            fake_write(s, st->bytes, st->len);
            s->step++;
            break;
        case FAKE_DRIP:
            if (s->dripped == st->len) {
                s->dripped = 0;
                s->step++;
                fake_write(s, s->held, s->held_len);
                s->held_len = 0;
                break;
            }
            fake_write(s, st->bytes + s->dripped++, 1);
            wait_ms(s, st->ms);
            break;
        case FAKE_PAUSE:
            s->step++;
            wait_ms(s, st->ms);
            break;
        case FAKE_AWAIT_HELLO:
            if (s->wire_len < FAKE_HELLO_LEN)
                return;             /* on_read plays on */
            s->step++;
            break;
        }
    }
}

bool fake_orders_done(const struct fake_orders *s)
{
    return s->script[s->step].kind == FAKE_END;
}

/* ---- serving ------------------------------------------------------------- */

static void record_option(struct fake_orders *s, const struct rfc2217_event *ev)
{
    if (s->options_len + 3 > sizeof s->options)
        return;
    s->options[s->options_len++] = RFC2217_IAC;
    s->options[s->options_len++] = ev->verb;
    s->options[s->options_len++] = ev->option;
}

/* What any RFC 2217 server does: data goes to the "board" (here: straight
 * back), requests are acknowledged with code + 100 and the same value. */
static void serve(struct fake_orders *s, const struct rfc2217_event *ev)
{
    if (ev->kind == RFC2217_EV_DATA) {
        uint8_t escaped[RFC2217_ESCAPED_MAX(1024)];
        for (size_t k = 0; k < ev->len; k += 1024) {
            size_t piece = ev->len - k < 1024 ? ev->len - k : 1024;
            fake_reply(s, escaped, rfc2217_escape(ev->data + k, piece, escaped));
        }
        s->data_len += ev->len;
    } else if (ev->kind == RFC2217_EV_OPTION) {
        record_option(s, ev);
    } else if (ev->kind == RFC2217_EV_SUBNEG && ev->option == RFC2217_OPT_COM_PORT &&
               ev->len >= 1 && ev->data[0] < RFC2217_SERVER_OFFSET) {
        uint8_t ack[RFC2217_REQUEST_MAX];
        size_t n = rfc2217_encode_request(ev->data[0] + RFC2217_SERVER_OFFSET, ev->data + 1,
                                          ev->len - 1, ack, sizeof ack);
        fake_reply(s, ack, n);
        s->requests++;
    }
}

static void alloc_read(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct fake_orders *s = h->data;
    *buf = uv_buf_init(s->read_buf, sizeof s->read_buf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct fake_orders *s = st->data;
    if (n < 0) {
        uv_read_stop(st);
        return;
    }
    const uint8_t *in = (const uint8_t *)buf->base;
    s->wire_len += (size_t)n;
    for (size_t used = 0; used < (size_t)n;) {
        struct rfc2217_event ev;
        used += rfc2217_parse(&s->parser, in + used, (size_t)n - used, &ev);
        serve(s, &ev);
    }
    play(s);
}

static void on_connection(uv_stream_t *l, int status)
{
    struct fake_orders *s = l->data;
    if (status < 0 || s->connected) {
        note_problem(s, "an unexpected connection", status < 0 ? status : UV_EBUSY);
        return;
    }
    uv_tcp_init(s->loop, &s->conn);
    s->conn.data = s;
    if (uv_accept(l, (uv_stream_t *)&s->conn) < 0) {
        uv_close((uv_handle_t *)&s->conn, NULL);
        return;
    }
    /* Every scripted write goes out as its own segment. */
    uv_tcp_nodelay(&s->conn, 1);
    s->connected = true;
    uv_read_start((uv_stream_t *)&s->conn, alloc_read, on_read);
    play(s);
}

void fake_orders_start(struct fake_orders *s, uv_loop_t *loop, const struct fake_step *script)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->script = script;
    rfc2217_parser_init(&s->parser);
    uv_timer_init(loop, &s->step_timer);
    s->step_timer.data = s;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    int r = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->listener, 4, on_connection);
    if (r < 0) {
        note_problem(s, "cannot listen on 127.0.0.1", r);
        return;
    }
    struct sockaddr_in bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    s->port = ntohs(bound.sin_port);
}

void fake_orders_stop(struct fake_orders *s)
{
    if (s->connected)
        uv_close((uv_handle_t *)&s->conn, NULL);
    s->connected = false;
    uv_close((uv_handle_t *)&s->step_timer, NULL);
    uv_close((uv_handle_t *)&s->listener, NULL);
}
