/* A remote serial port over RFC 2217 (rom-protocol.md §12): uv_tcp with
 * TCP_NODELAY, line control through protocol/rfc2217.
 *
 * Opening: resolve, connect, send pySerial's option requests, wait for the
 * server to accept COM-PORT-OPTION, set 8N1 at the current rate and wait
 * for those four acknowledgements; only then is the port open. Accepting
 * means DO COM-PORT-OPTION, in whatever order the server's other answers
 * come; DONT refuses at once, and a server that says neither is refused at
 * the open deadline. After that
 * nothing waits for an acknowledgement: TCP keeps our requests in order with
 * the data, and servers such as esp_rfc2217_server never acknowledge some
 * SET-CONTROLs, so waiting would only add round trips to every reset. */
#include "port.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message_fit.h"
#include "rfc2217.h"

#define OPEN_TIMEOUT_MS 5000        /* connect, negotiate and configure (pySerial: 5 s + 3 s) */
#define READ_CHUNK 65536

enum open_state {
    RESOLVING,
    CONNECTING,
    NEGOTIATING,                    /* waiting for DO COM-PORT-OPTION */
    CONFIGURING,                    /* waiting for the 8N1 + baud acks */
    OPEN,
    DEAD,                           /* failed; waiting for port_close */
};

struct rfc2217_port {
    struct port base;
    char host[PORT_URL_MAX];
    char service[16];
    enum open_state state;

    uv_getaddrinfo_t resolve_req;
    bool resolving;
    uv_connect_t connect_req;
    uv_tcp_t tcp;
    uv_timer_t open_timer;
    int handles_open;               /* closed by port_close; memory lives until 0 */

    struct rfc2217_parser parser;
    struct rfc2217_negotiation negotiation;
    bool heard_telnet;              /* the server sent any option command */
    unsigned acks_awaited;          /* bit per COM-PORT command during CONFIGURING */
    char read_buf[READ_CHUNK];
};

/* A write that did not go out at once: libuv holds the bytes until sent. */
struct pending_write {
    uv_write_t req;
    struct rfc2217_port *port;
    size_t len;
    uint8_t bytes[];
};

static struct rfc2217_port *from_port(struct port *p)
{
    return (struct rfc2217_port *)p;
}

/* ---- failing ----------------------------------------------------------- */

/* Ends the port's usefulness with the reason already in base.error: the
 * owner hears on_open(error) if the open was still in progress, else
 * on_error, and must then call port_close. */
static void die_as_recorded(struct rfc2217_port *rp)
{
    if (rp->state == DEAD)
        return;
    bool opening = rp->state != OPEN;
    rp->state = DEAD;
    if (uv_is_active((uv_handle_t *)&rp->open_timer))
        uv_timer_stop(&rp->open_timer);
    if (opening)
        port_deliver_open(&rp->base, rp->base.error);
    else
        port_deliver_error(&rp->base, rp->base.error);
}

/* The same, recording why first. Every message starts with the URL. */
__attribute__((format(printf, 2, 3)))
static void die(struct rfc2217_port *rp, const char *fmt, ...)
{
    if (rp->state == DEAD)
        return;
    va_list ap;
    va_start(ap, fmt);
    message_vfit(rp->base.error, sizeof rp->base.error, fmt, ap);
    va_end(ap);
    die_as_recorded(rp);
}

/* ---- sending ----------------------------------------------------------- */

static void on_pending_written(uv_write_t *req, int status)
{
    struct pending_write *w = req->data;
    struct rfc2217_port *rp = w->port;
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        die(rp, "%s: sending to the RFC 2217 server failed (%s): check the network "
            "and that the server is still running", rp->base.url, uv_strerror(status));
}

/* Sends wire bytes (already escaped): at once if the socket takes them,
 * else queued behind earlier bytes, which keeps the order. */
static int send_wire(struct rfc2217_port *rp, const uint8_t *bytes, size_t n)
{
    if (rp->state == DEAD)
        return port_fail(&rp->base, "%s is no longer connected", rp->base.url);
    uv_buf_t buf = uv_buf_init((char *)bytes, (unsigned)n);
    int sent = uv_try_write((uv_stream_t *)&rp->tcp, &buf, 1);
    if (sent == (int)n)
        return 0;
    if (sent < 0 && sent != UV_EAGAIN)
        return port_fail(&rp->base, "%s: sending failed (%s)", rp->base.url,
                         uv_strerror(sent));
    size_t done = sent > 0 ? (size_t)sent : 0;
    struct pending_write *w = malloc(sizeof *w + n - done);
    if (!w)
        return port_fail(&rp->base, "%s: out of memory queueing %zu bytes", rp->base.url, n);
    w->port = rp;
    w->len = n - done;
    w->req.data = w;
    memcpy(w->bytes, bytes + done, w->len);
    buf = uv_buf_init((char *)w->bytes, (unsigned)w->len);
    int r = uv_write(&w->req, (uv_stream_t *)&rp->tcp, &buf, 1, on_pending_written);
    if (r < 0) {
        free(w);
        return port_fail(&rp->base, "%s: sending failed (%s)", rp->base.url, uv_strerror(r));
    }
    return 0;
}

static int send_request(struct rfc2217_port *rp,
                        size_t (*encode)(uint8_t, uint8_t *, size_t), uint8_t value)
{
    uint8_t req[RFC2217_REQUEST_MAX];
    size_t n = encode(value, req, sizeof req);
    return send_wire(rp, req, n);
}

/* ---- opening ----------------------------------------------------------- */

/* What the open was waiting for when its deadline passed. */
static const char *open_stall(const struct rfc2217_port *rp)
{
    switch (rp->state) {
    case RESOLVING: return "the host name was not resolved";
    case CONNECTING: return "the TCP connection was not accepted";
    case NEGOTIATING: return "the server did not agree to RFC 2217 (COM-PORT-OPTION) nor "
                             "answer any telnet option";
    default: return "the server did not acknowledge the serial settings";
    }
}

static void on_open_timeout(uv_timer_t *t)
{
    struct rfc2217_port *rp = t->data;
    if (rp->state == NEGOTIATING && rp->heard_telnet) {
        /* It talks telnet, so it is not a raw port: it just never said DO. */
        die(rp, "%s: the server speaks telnet but did not agree to RFC 2217 (no DO "
            "COM-PORT-OPTION within 5 s): it is a plain telnet port or has RFC 2217 off; "
            "configure it for RFC 2217 (ser2net: accepter telnet(rfc2217),tcp,PORT)",
            rp->base.url);
        return;
    }
    die(rp, "%s: %s within 5 s: check that an RFC 2217 server (espsim, ser2net with "
        "telnet(rfc2217), esp_rfc2217_server) listens there", rp->base.url, open_stall(rp));
}

static int send_serial_settings(struct rfc2217_port *rp)
{
    uint8_t req[4 * RFC2217_REQUEST_MAX];
    size_t n = 0;
    n += rfc2217_encode_set_baud(rp->base.baud, req + n, sizeof req - n);
    n += rfc2217_encode_set_datasize(8, req + n, sizeof req - n);
    n += rfc2217_encode_set_parity(1, req + n, sizeof req - n);
    n += rfc2217_encode_set_stopsize(1, req + n, sizeof req - n);
    rp->acks_awaited = 1u << RFC2217_SET_BAUDRATE | 1u << RFC2217_SET_DATASIZE |
                       1u << RFC2217_SET_PARITY | 1u << RFC2217_SET_STOPSIZE;
    rp->state = CONFIGURING;
    return send_wire(rp, req, n);
}

static void on_option(struct rfc2217_port *rp, const struct rfc2217_event *ev)
{
    uint8_t answer[3];
    size_t n = rfc2217_negotiate(&rp->negotiation, ev->verb, ev->option, answer);
    if (n && send_wire(rp, answer, n) < 0) {
        die_as_recorded(rp);
        return;
    }
    rp->heard_telnet = true;
    if (rp->state != NEGOTIATING)
        return;
    if (rp->negotiation.com_port_refused) {
        die(rp, "%s: the server refused RFC 2217 (it answered DONT COM-PORT-OPTION): it is "
            "a plain telnet port; configure it for RFC 2217 (ser2net: accepter "
            "telnet(rfc2217),tcp,PORT)", rp->base.url);
    } else if (rfc2217_com_port_ready(&rp->negotiation)) {
        if (send_serial_settings(rp) < 0)
            die_as_recorded(rp);
    }
}

static void on_server_reply(struct rfc2217_port *rp, const struct rfc2217_event *ev)
{
    uint8_t command;
    const uint8_t *value;
    size_t len;
    if (!rfc2217_server_reply(ev, &command, &value, &len) || rp->state != CONFIGURING)
        return;
    if (command < 32)
        rp->acks_awaited &= ~(1u << command);
    if (rp->acks_awaited)
        return;
    rp->state = OPEN;
    uv_timer_stop(&rp->open_timer);
    port_deliver_open(&rp->base, NULL);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct rfc2217_port *rp = s->data;
    if (nread < 0) {
        uv_read_stop(s);
        die(rp, "%s: the RFC 2217 server closed the connection (%s): check that it is "
            "running and that no other client took the port", rp->base.url,
            uv_strerror((int)nread));
        return;
    }
    const uint8_t *in = (const uint8_t *)buf->base;
    size_t used = 0;
    while (used < (size_t)nread && rp->state != DEAD && !rp->base.closing) {
        struct rfc2217_event ev;
        used += rfc2217_parse(&rp->parser, in + used, (size_t)nread - used, &ev);
        switch (ev.kind) {
        case RFC2217_EV_DATA:
            /* Bytes before the port is open belong to nobody (pySerial
             * purges them too). */
            if (rp->state == OPEN)
                port_deliver_data(&rp->base, ev.data, ev.len);
            break;
        case RFC2217_EV_OPTION:
            on_option(rp, &ev);
            break;
        case RFC2217_EV_SUBNEG:
            on_server_reply(rp, &ev);
            break;
        case RFC2217_EV_NONE:
            break;
        }
    }
}

static void alloc_read(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct rfc2217_port *rp = h->data;
    *buf = uv_buf_init(rp->read_buf, sizeof rp->read_buf);
}

static void on_connected(uv_connect_t *req, int status)
{
    struct rfc2217_port *rp = req->data;
    if (status == UV_ECANCELED || rp->base.closing)
        return;
    if (status < 0) {
        die(rp, "%s: cannot connect (%s): check the host, the port number and that the "
            "RFC 2217 server runs", rp->base.url, uv_strerror(status));
        return;
    }
    uint8_t hello[32];
    size_t n = rfc2217_encode_hello(hello, sizeof hello);
    rp->state = NEGOTIATING;
    int r = uv_read_start((uv_stream_t *)&rp->tcp, alloc_read, on_read);
    if (r < 0)
        die(rp, "%s: cannot read from the connection (%s)", rp->base.url, uv_strerror(r));
    else if (send_wire(rp, hello, n) < 0)
        die_as_recorded(rp);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct rfc2217_port *rp = req->data;
    rp->resolving = false;
    if (rp->base.closing) {
        uv_freeaddrinfo(res);
        /* port_close waited for us: finish the close it started. */
        if (rp->handles_open == 0)
            port_closed(&rp->base);
        return;
    }
    if (status < 0) {
        die(rp, "%s: cannot resolve the host name (%s): check the URL", rp->base.url,
            uv_strerror(status));
        return;
    }
    rp->state = CONNECTING;
    int r = uv_tcp_connect(&rp->connect_req, &rp->tcp, res->ai_addr, on_connected);
    uv_freeaddrinfo(res);
    if (r < 0)
        die(rp, "%s: cannot connect (%s): check the host and the port number", rp->base.url,
            uv_strerror(r));
}

static int rfc_open(struct port *p)
{
    struct rfc2217_port *rp = from_port(p);
    uv_tcp_init(p->loop, &rp->tcp);
    uv_timer_init(p->loop, &rp->open_timer);
    rp->handles_open = 2;
    rp->tcp.data = rp;
    rp->open_timer.data = rp;
    rp->connect_req.data = rp;
    rp->resolve_req.data = rp;
    /* Every request and its answer is a few bytes: never let Nagle hold one
     * back waiting for the previous block's ACK. */
    uv_tcp_nodelay(&rp->tcp, 1);
    rfc2217_parser_init(&rp->parser);
    rfc2217_negotiation_init(&rp->negotiation);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int r = uv_getaddrinfo(p->loop, &rp->resolve_req, on_resolved, rp->host, rp->service,
                           &hints);
    if (r < 0)
        return port_fail(p, "%s: cannot resolve the host name (%s)", p->url, uv_strerror(r));
    rp->resolving = true;
    rp->state = RESOLVING;
    uv_timer_start(&rp->open_timer, on_open_timeout, OPEN_TIMEOUT_MS, 0);
    return 0;
}

/* ---- the operations ---------------------------------------------------- */

static int require_open(struct rfc2217_port *rp)
{
    if (rp->state == OPEN)
        return 0;
    return port_fail(&rp->base, "%s is not open", rp->base.url);
}

static int rfc_write(struct port *p, const uint8_t *data, size_t n)
{
    struct rfc2217_port *rp = from_port(p);
    if (require_open(rp) < 0)
        return -1;
    uint8_t stack[4096];
    uint8_t *escaped = RFC2217_ESCAPED_MAX(n) <= sizeof stack ? stack
                                                              : malloc(RFC2217_ESCAPED_MAX(n));
    if (!escaped)
        return port_fail(p, "%s: out of memory sending %zu bytes", p->url, n);
    size_t len = rfc2217_escape(data, n, escaped);
    int r = send_wire(rp, escaped, len);
    if (escaped != stack)
        free(escaped);
    return r;
}

static int rfc_set_baud(struct port *p, uint32_t baud)
{
    struct rfc2217_port *rp = from_port(p);
    if (require_open(rp) < 0)
        return -1;
    uint8_t req[RFC2217_REQUEST_MAX];
    return send_wire(rp, req, rfc2217_encode_set_baud(baud, req, sizeof req));
}

static int rfc_set_lines(struct port *p, bool dtr, bool rts)
{
    struct rfc2217_port *rp = from_port(p);
    if (require_open(rp) < 0)
        return -1;
    /* DTR first, then RTS, as esptool's reset sequences order them. */
    uint8_t req[2 * RFC2217_REQUEST_MAX];
    size_t n = rfc2217_encode_set_dtr(dtr, req, sizeof req);
    n += rfc2217_encode_set_rts(rts, req + n, sizeof req - n);
    return send_wire(rp, req, n);
}

static int rfc_flush_input(struct port *p)
{
    struct rfc2217_port *rp = from_port(p);
    if (require_open(rp) < 0)
        return -1;
    /* Our side keeps no input buffer; only the server's needs purging. */
    return send_request(rp, rfc2217_encode_purge, RFC2217_PURGE_RX);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct rfc2217_port *rp = h->data;
    if (--rp->handles_open == 0 && !rp->resolving)
        port_closed(&rp->base);
}

static void rfc_close(struct port *p)
{
    struct rfc2217_port *rp = from_port(p);
    if (rp->handles_open == 0) {          /* never opened */
        port_closed(p);
        return;
    }
    if (rp->resolving)
        uv_cancel((uv_req_t *)&rp->resolve_req);
    /* Closing the TCP handle cancels a pending connect and pending writes
     * (their callbacks run first, with UV_ECANCELED). */
    uv_close((uv_handle_t *)&rp->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&rp->open_timer, on_handle_closed);
}

static const struct port_ops rfc2217_ops = {
    .kind = "rfc2217",
    .open = rfc_open,
    .write = rfc_write,
    .set_baud = rfc_set_baud,
    .set_lines = rfc_set_lines,
    .flush_input = rfc_flush_input,
    .close = rfc_close,
};

/* "host:port", "[v6addr]:port"; anything after '?' (pySerial's URL options)
 * is accepted and ignored: this client never waits for SET-CONTROL acks. */
static int split_host_port(const char *spec, char *host, size_t hostcap, char *service,
                           size_t servcap)
{
    size_t len = strcspn(spec, "?/");
    const char *colon;
    const char *h = spec;
    size_t hlen;
    if (spec[0] == '[') {
        const char *close = memchr(spec, ']', len);
        if (!close || close[1] != ':')
            return -1;
        h = spec + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = memchr(spec, ':', len);
        if (!colon)
            return -1;
        hlen = (size_t)(colon - spec);
    }
    size_t plen = (size_t)(spec + len - colon - 1);
    if (hlen == 0 || hlen >= hostcap || plen == 0 || plen >= servcap)
        return -1;
    for (size_t i = 0; i < plen; i++)
        if (colon[1 + i] < '0' || colon[1 + i] > '9')
            return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(service, colon + 1, plen);
    service[plen] = '\0';
    return 0;
}

struct port *port_rfc2217_new(const char *spec, char *err, size_t errlen)
{
    struct rfc2217_port *rp = calloc(1, sizeof *rp);
    if (!rp) {
        message_fit(err, errlen, "out of memory");
        return NULL;
    }
    if (split_host_port(spec, rp->host, sizeof rp->host, rp->service, sizeof rp->service)) {
        /* The advice before the address: a cut drops the address, which
         * the operator has in front of them anyway. */
        message_fit(err, errlen, "bad RFC 2217 address (write rfc2217://HOST:PORT, e.g. "
                    "rfc2217://127.0.0.1:7001): 'rfc2217://%s'", spec);
        free(rp);
        return NULL;
    }
    rp->base.ops = &rfc2217_ops;
    return &rp->base;
}
