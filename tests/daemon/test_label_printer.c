/* Where labels go (daemon/label/label_printer.c), on a real libuv loop and
 * loopback sockets: a listener gets the label's bytes; a port nobody
 * listens on is "refused"; a printer whose queue is full (its SYN
 * dropped) costs the timeout and is said so; a folder gets <serial>.zpl
 * whole, named safely; stopping reports every label not sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "label_printer.h"

struct outcome {
    int reports, ok;
    char serial[80], cause[400];
};

static void on_sent(void *ctx, const char *serial, bool ok, const char *cause)
{
    struct outcome *o = ctx;
    o->reports++;
    o->ok += ok;
    snprintf(o->serial, sizeof o->serial, "%s", serial);
    snprintf(o->cause, sizeof o->cause, "%s", cause ? cause : "");
}

/* ---- a printer on loopback that keeps what it is sent -------------------- */

struct listener;
struct conn {
    struct listener *l;
    uv_tcp_t tcp;
    char got[512];
    size_t n;
};

struct listener {
    uv_tcp_t server;
    struct conn conns[4];
    int accepted, ended;
};

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
    (void)want;
    struct conn *c = h->data;
    *buf = uv_buf_init(c->got + c->n, (unsigned)(sizeof c->got - c->n));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    struct conn *c = s->data;
    if (n > 0) {
        c->n += (size_t)n;
    } else if (n < 0) {
        c->l->ended++;
        uv_close((uv_handle_t *)s, NULL);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct listener *l = server->data;
    assert_int_equal(status, 0);
    assert_true(l->accepted < 4);
    struct conn *c = &l->conns[l->accepted++];
    c->l = l;
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static uint16_t listen_loopback(uv_loop_t *loop, struct listener *l)
{
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_init(loop, &l->server);
    l->server.data = l;
    assert_int_equal(uv_tcp_bind(&l->server, (const struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&l->server, 4, on_connection), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&l->server, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void on_closed(void *ctx)
{
    *(bool *)ctx = true;
}

/* Closes the printer and runs the loop until nothing is left on it. */
static void close_all(uv_loop_t *loop, struct label_printer *p)
{
    bool closed = false;
    label_printer_close(p, on_closed, &closed);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_true(closed);
    label_printer_free(p);
    assert_int_equal(uv_loop_close(loop), 0);
}

static struct label_printer *printer(uv_loop_t *loop, uint16_t port, unsigned timeout_ms,
                                     struct outcome *o)
{
    char err[200];
    struct label_printer_options opt = {.host = "127.0.0.1", .port = port,
                                        .timeout_ms = timeout_ms};
    struct label_printer *p = label_printer_new(loop, &opt, on_sent, o, err, sizeof err);
    assert_non_null(p);
    return p;
}

static void send_label(struct label_printer *p, const char *serial, const char *zpl)
{
    char err[200];
    assert_int_equal(label_printer_send(p, serial, zpl, strlen(zpl), err, sizeof err), 0);
}

static void test_label_reaches_a_listener(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct listener l = {0};
    struct outcome o = {0};
    struct label_printer *p = printer(&loop, listen_loopback(&loop, &l), 2000, &o);
    send_label(p, "S-1", "^XA^FDS-1^FS^XZ");
    send_label(p, "S-2", "^XA^FDS-2^FS^XZ");     /* queued behind the first */
    while (o.reports < 2 || l.ended < 2)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(o.ok, 2);
    assert_string_equal(o.serial, "S-2");
    /* One connection a label, in order, each read to its end. */
    assert_int_equal(l.accepted, 2);
    assert_string_equal(l.conns[0].got, "^XA^FDS-1^FS^XZ");
    assert_string_equal(l.conns[1].got, "^XA^FDS-2^FS^XZ");
    uv_close((uv_handle_t *)&l.server, NULL);
    close_all(&loop, p);
}

static uint16_t unused_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_refused_is_said(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct outcome o = {0};
    uint16_t port = unused_port();
    struct label_printer *p = printer(&loop, port, 2000, &o);
    send_label(p, "S-1", "x");
    while (o.reports < 1)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(o.ok, 0);
    char want[120];
    snprintf(want, sizeof want, "the label printer at 127.0.0.1:%u refused the connection",
             (unsigned)port);
    assert_non_null(strstr(o.cause, want));
    close_all(&loop, p);
}

/* A listener with no room in its accept queue drops the SYN: to the
 * sender it is a printer that does not answer. */
static int full_listener(uint16_t *port, int *filler)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 0), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    *filler = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*filler, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* A printer whose SYN is dropped, and a label printer pointed at it. */
struct silent {
    uv_loop_t loop;
    struct outcome o;
    uint16_t port;
    int fd, filler;
    struct label_printer *p;
};

static void silent_up(struct silent *s, unsigned timeout_ms)
{
    memset(s, 0, sizeof *s);
    uv_loop_init(&s->loop);
    s->fd = full_listener(&s->port, &s->filler);
    s->p = printer(&s->loop, s->port, timeout_ms, &s->o);
}

static void silent_down(struct silent *s)
{
    close(s->filler);
    close(s->fd);
}

static void test_silent_printer_costs_the_timeout(void **state)
{
    (void)state;
    struct silent s;
    silent_up(&s, 300);
    uint64_t t0 = uv_hrtime();
    send_label(s.p, "S-1", "x");
    while (s.o.reports < 1)
        uv_run(&s.loop, UV_RUN_ONCE);
    uint64_t ms = (uv_hrtime() - t0) / 1000000u;
    assert_int_equal(s.o.ok, 0);
    assert_true(ms >= 290 && ms < 2000);
    char want[120];
    snprintf(want, sizeof want, "the label printer at 127.0.0.1:%u did not answer in 0.3 s",
             (unsigned)s.port);
    assert_string_equal(s.o.cause, want);
    close_all(&s.loop, s.p);
    silent_down(&s);
}

static void test_stop_reports_every_label_not_sent(void **state)
{
    (void)state;
    struct silent s;
    silent_up(&s, 5000);
    send_label(s.p, "S-1", "x");
    send_label(s.p, "S-2", "x");
    send_label(s.p, "S-3", "x");
    uv_run(&s.loop, UV_RUN_NOWAIT);
    char err[200];
    bool closed = false;
    label_printer_close(s.p, on_closed, &closed);
    assert_int_equal(label_printer_send(s.p, "S-4", "x", 1, err, sizeof err), -1);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    assert_true(closed);
    assert_int_equal(s.o.reports, 3);
    assert_int_equal(s.o.ok, 0);
    assert_string_equal(s.o.serial, "S-1");     /* the one in flight goes last */
    assert_string_equal(s.o.cause, "jigd stopped before the label was sent");
    label_printer_free(s.p);
    assert_int_equal(uv_loop_close(&s.loop), 0);
    silent_down(&s);
}

static void test_folder_gets_the_whole_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/label_test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct outcome o = {0};
    char err[200];
    struct label_printer_options opt = {.folder = dir};
    struct label_printer *p = label_printer_new(&loop, &opt, on_sent, &o, err, sizeof err);
    assert_string_equal(label_printer_where(p), dir);
    send_label(p, "../A/B.1", "^XA^XZ");    /* a serial may hold '/' and '.' */
    while (o.reports < 1)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(o.ok, 1);
    char path[200], got[32] = {0};
    snprintf(path, sizeof path, "%s/%%2E%%2E%%2FA%%2FB%%2E1.zpl", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, sizeof got - 1, f), 6);
    fclose(f);
    assert_string_equal(got, "^XA^XZ");
    /* Nothing else in the folder: no temporary file left behind. */
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    assert_int_equal(entries, 1);
    unlink(path);

    /* A folder that is gone: said, with the path. */
    rmdir(dir);
    send_label(p, "S-2", "x");
    while (o.reports < 2)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(o.ok, 1);
    assert_non_null(strstr(o.cause, "the label folder: cannot write"));
    assert_non_null(strstr(o.cause, dir));
    close_all(&loop, p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_reaches_a_listener),
        cmocka_unit_test(test_refused_is_said),
        cmocka_unit_test(test_silent_printer_costs_the_timeout),
        cmocka_unit_test(test_stop_reports_every_label_not_sent),
        cmocka_unit_test(test_folder_gets_the_whole_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
