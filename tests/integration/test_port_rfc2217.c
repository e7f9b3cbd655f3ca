/* daemon/port_rfc2217 against fake_rfc2217_server, a minimal in-process
 * RFC 2217 server on the same loop: the client's opening, its acks wait,
 * data escaping both ways, baud/DTR/RTS/purge requests on the wire, a server
 * that hangs up, a port nobody listens on, and a server that never
 * negotiates (the open deadline). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "port.h"
#include "port_test_client.h"
#include "rfc2217.h"

/* ---- fake_rfc2217_server ------------------------------------------------ */

enum server_mode { SERVE_NORMALLY, NEVER_NEGOTIATE };

struct fake_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_tcp_t conn;
    bool connected;
    enum server_mode mode;
    int port;
    struct rfc2217_parser parser;
    uint8_t wire[4096];         /* everything the client sent, raw */
    size_t wire_len;
    uint8_t data[4096];         /* serial data the client sent, unescaped */
    size_t data_len;
    bool hello_answered;
    char buf[65536];
};

static void server_send(struct fake_server *s, const uint8_t *bytes, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)bytes, (unsigned)n);
    assert_int_equal(uv_try_write((uv_stream_t *)&s->conn, &b, 1), (int)n);
}

static void server_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct fake_server *s = h->data;
    *buf = uv_buf_init(s->buf, sizeof s->buf);
}

static void server_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct fake_server *s = st->data;
    if (n <= 0)
        return;
    assert_true(s->wire_len + (size_t)n <= sizeof s->wire);
    memcpy(s->wire + s->wire_len, buf->base, (size_t)n);
    s->wire_len += (size_t)n;
    if (s->mode == NEVER_NEGOTIATE)
        return;
    if (!s->hello_answered && s->wire_len >= 15) {
        /* Agree to everything asked, and offer BINARY as many servers do. */
        const uint8_t answer[] = {0xFF, 0xFB, 0x01, 0xFF, 0xFD, 0x03, 0xFF, 0xFB, 0x03,
                                  0xFF, 0xFB, 0x2C, 0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x2C};
        s->hello_answered = true;
        server_send(s, answer, sizeof answer);
    }
    const uint8_t *in = (const uint8_t *)buf->base;
    size_t used = 0;
    while (used < (size_t)n) {
        struct rfc2217_event ev;
        used += rfc2217_parse(&s->parser, in + used, (size_t)n - used, &ev);
        if (ev.kind == RFC2217_EV_DATA) {
            memcpy(s->data + s->data_len, ev.data, ev.len);
            s->data_len += ev.len;
            /* Echo, escaped as a server must. */
            uint8_t esc[RFC2217_ESCAPED_MAX(64)];
            for (size_t k = 0; k < ev.len; k += 64) {
                size_t piece = ev.len - k < 64 ? ev.len - k : 64;
                server_send(s, esc, rfc2217_escape(ev.data + k, piece, esc));
            }
        } else if (ev.kind == RFC2217_EV_SUBNEG && ev.option == 44 && ev.len >= 1) {
            /* Acknowledge with code + 100 and the same value. */
            uint8_t ack[RFC2217_REQUEST_MAX];
            size_t k = rfc2217_encode_request(ev.data[0] + 100, ev.data + 1, ev.len - 1,
                                              ack, sizeof ack);
            server_send(s, ack, k);
        }
    }
}

static void server_accept(uv_stream_t *l, int status)
{
    struct fake_server *s = l->data;
    assert_int_equal(status, 0);
    assert_false(s->connected);
    uv_tcp_init(s->loop, &s->conn);
    s->conn.data = s;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&s->conn), 0);
    s->connected = true;
    uv_read_start((uv_stream_t *)&s->conn, server_alloc, server_read);
}

static void server_start(struct fake_server *s, uv_loop_t *loop, enum server_mode mode)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->mode = mode;
    rfc2217_parser_init(&s->parser);
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 4, server_accept), 0);
    struct sockaddr_in bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    s->port = ntohs(bound.sin_port);
}

static void server_hang_up(struct fake_server *s)
{
    if (s->connected)
        uv_close((uv_handle_t *)&s->conn, NULL);
    s->connected = false;
}

static void server_stop(struct fake_server *s)
{
    server_hang_up(s);
    uv_close((uv_handle_t *)&s->listener, NULL);
}

static bool wire_contains(const struct fake_server *s, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i + n <= s->wire_len; i++)
        if (!memcmp(s->wire + i, want, n))
            return true;
    return false;
}

/* ---- the client side (port_test_client.h) -------------------------------- */

static struct port *open_client(uv_loop_t *loop, int tcp_port, struct client *c)
{
    char url[64], err[200];
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d", tcp_port);
    memset(c, 0, sizeof *c);
    struct port *p = port_new(loop, url, &callbacks, c, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(port_open(p), 0);
    return p;
}

static void close_client(uv_loop_t *loop, struct port *p, struct client *c)
{
    port_close(p);
    run_until(loop, &c->closed, 2000);
}

static void test_open_talk_and_hang_up(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fake_server s;
    struct client c;
    server_start(&s, &loop, SERVE_NORMALLY);
    struct port *p = open_client(&loop, s.port, &c);
    run_until(&loop, &c.opened, 5000);
    assert_string_equal(c.open_error, "");

    /* pySerial's opening, then 8N1 at 115200 before the port counts as open. */
    const uint8_t hello[] = {0xFF, 0xFD, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFD, 0x03,
                             0xFF, 0xFD, 0x2C, 0xFF, 0xFB, 0x2C};
    assert_true(s.wire_len >= sizeof hello);
    assert_memory_equal(s.wire, hello, sizeof hello);
    const uint8_t do_binary[] = {0xFF, 0xFD, 0x00};
    const uint8_t baud[] = {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x01, 0xC2, 0x00, 0xFF, 0xF0};
    const uint8_t datasize[] = {0xFF, 0xFA, 0x2C, 0x02, 0x08, 0xFF, 0xF0};
    assert_true(wire_contains(&s, do_binary, sizeof do_binary));
    assert_true(wire_contains(&s, baud, sizeof baud));
    assert_true(wire_contains(&s, datasize, sizeof datasize));

    /* Data with 0xFF and SLIP bytes goes out escaped and comes back intact. */
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 37) | (i % 5 == 0 ? 0xFF : 0);
    size_t before = s.wire_len;
    assert_int_equal(port_write(p, payload, sizeof payload), 0);
    uint64_t end = uv_hrtime() + 2000000000ull;
    while (c.rx_len < sizeof payload && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(c.rx_len, sizeof payload);
    assert_memory_equal(c.rx, payload, sizeof payload);
    assert_int_equal(s.data_len, sizeof payload);
    assert_true(s.wire_len - before > sizeof payload);    /* the 0xFFs were doubled */
    assert_int_equal(p->tx_bytes, sizeof payload);
    assert_int_equal(p->rx_bytes, sizeof payload);

    /* Line control and rate, byte for byte, DTR before RTS. */
    before = s.wire_len;
    assert_int_equal(port_set_baud(p, 921600), 0);
    assert_int_equal(port_set_lines(p, true, false), 0);
    assert_int_equal(port_flush_input(p), 0);
    const uint8_t want[] = {
        0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x0E, 0x10, 0x00, 0xFF, 0xF0,
        0xFF, 0xFA, 0x2C, 0x05, 0x08, 0xFF, 0xF0,
        0xFF, 0xFA, 0x2C, 0x05, 0x0C, 0xFF, 0xF0,
        0xFF, 0xFA, 0x2C, 0x0C, 0x01, 0xFF, 0xF0,
    };
    end = uv_hrtime() + 2000000000ull;
    while (s.wire_len < before + sizeof want && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(s.wire_len - before, sizeof want);
    assert_memory_equal(s.wire + before, want, sizeof want);
    assert_int_equal(p->baud, 921600);

    /* The server going away is an error the owner hears about. */
    server_hang_up(&s);
    run_until(&loop, &c.errored, 2000);
    assert_non_null(strstr(c.error, "closed the connection"));
    assert_int_equal(port_write(p, payload, 4), -1);

    close_client(&loop, p, &c);
    server_stop(&s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);   /* nothing left open */
}

static void test_nobody_listening(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* Bind and close a listener to get a port that is surely free. */
    struct fake_server s;
    server_start(&s, &loop, SERVE_NORMALLY);
    int port = s.port;
    server_stop(&s);
    uv_run(&loop, UV_RUN_DEFAULT);

    struct client c;
    struct port *p = open_client(&loop, port, &c);
    run_until(&loop, &c.opened, 5000);
    assert_non_null(strstr(c.open_error, "cannot connect"));
    close_client(&loop, p, &c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_server_that_never_negotiates(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fake_server s;
    struct client c;
    server_start(&s, &loop, NEVER_NEGOTIATE);
    struct port *p = open_client(&loop, s.port, &c);
    run_until(&loop, &c.opened, 8000);
    assert_non_null(strstr(c.open_error, "did not agree to RFC 2217"));
    close_client(&loop, p, &c);
    server_stop(&s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_close_while_connecting(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fake_server s;
    struct client c;
    server_start(&s, &loop, SERVE_NORMALLY);
    struct port *p = open_client(&loop, s.port, &c);
    port_close(p);      /* before the resolver or the connect finished */
    run_until(&loop, &c.closed, 2000);
    assert_false(c.opened);     /* nothing after close but on_closed */
    server_stop(&s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_bad_urls(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[200];
    struct client c;
    assert_null(port_new(&loop, "rfc2217://nohost", &callbacks, &c, err, sizeof err));
    assert_non_null(strstr(err, "rfc2217://HOST:PORT"));
    assert_null(port_new(&loop, "rfc2217://h:12x", &callbacks, &c, err, sizeof err));
    assert_null(port_new(&loop, "COM3", &callbacks, &c, err, sizeof err));
    assert_non_null(strstr(err, "device path"));
    struct port *p = port_new(&loop, "rfc2217://[::1]:7001?ign_set_control", &callbacks, &c,
                              err, sizeof err);
    assert_non_null(p);
    memset(&c, 0, sizeof c);
    port_close(p);      /* never opened: closes at once */
    assert_true(c.closed);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_talk_and_hang_up),
        cmocka_unit_test(test_nobody_listening),
        cmocka_unit_test(test_server_that_never_negotiates),
        cmocka_unit_test(test_close_while_connecting),
        cmocka_unit_test(test_bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
