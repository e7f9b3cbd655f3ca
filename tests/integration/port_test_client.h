/* The owner side of a port (daemon/port/include/port.h) for the port tests: records what
 * the callbacks said, and runs the loop until a flag is set or a deadline
 * passes. Header-only: each test program is built from one source file, and
 * the test's cmocka headers come first. */
#ifndef JIGD_PORT_TEST_CLIENT_H
#define JIGD_PORT_TEST_CLIENT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "port.h"

struct client {
    bool opened, closed, errored;
    char open_error[PORT_ERROR_MAX], error[PORT_ERROR_MAX];
    uint8_t rx[8192];
    size_t rx_len;
};

static void on_open(struct port *p, const char *error)
{
    struct client *c = p->owner;
    c->opened = true;
    if (error)
        snprintf(c->open_error, sizeof c->open_error, "%s", error);
}

static void on_data(struct port *p, const uint8_t *data, size_t n)
{
    struct client *c = p->owner;
    assert_true(c->rx_len + n <= sizeof c->rx);
    memcpy(c->rx + c->rx_len, data, n);
    c->rx_len += n;
}

static void on_error(struct port *p, const char *error)
{
    struct client *c = p->owner;
    c->errored = true;
    snprintf(c->error, sizeof c->error, "%s", error);
}

static void on_closed(struct port *p)
{
    struct client *c = p->owner;
    c->closed = true;
}

static const struct port_callbacks callbacks = {on_open, on_data, on_error, on_closed};

/* Runs the loop until *flag or the deadline; every wait here is bounded. */
static void run_until(uv_loop_t *loop, const bool *flag, uint64_t ms)
{
    uint64_t end = uv_hrtime() + ms * 1000000ull;
    while (!*flag && uv_hrtime() < end)
        uv_run(loop, UV_RUN_NOWAIT);
    assert_true(*flag);
}

#endif
