/* fake_rfc2217_orders: a scripted RFC 2217 server on the test's own loop,
 * for checking that the client (daemon/port) opens against servers we did
 * not write, whatever order and shape their telnet negotiation takes.
 *
 * It plays one script of negotiation bytes — send now, send one byte per
 * TCP segment, pause, wait for the client's opening — and, all along,
 * serves like an ordinary RFC 2217 server: every COM-PORT-OPTION request
 * is acknowledged (code + 100, same value) and serial data is echoed back,
 * escaped. It records the telnet option commands the client sent, so a test
 * can check the client's answers byte for byte.
 *
 * Not a server to copy: it trusts the client and holds one connection. */
#ifndef JIGD_FAKE_RFC2217_ORDERS_H
#define JIGD_FAKE_RFC2217_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "rfc2217.h"

enum fake_step_kind {
    FAKE_END,           /* the script is over; keep serving */
    FAKE_SEND,          /* these bytes in one write */
    FAKE_DRIP,          /* these bytes one write each, `ms` apart: every cut */
    FAKE_PAUSE,         /* wait `ms` */
    FAKE_AWAIT_HELLO,   /* wait until the client's opening requests are in */
};

struct fake_step {
    enum fake_step_kind kind;
    const uint8_t *bytes;
    size_t len;
    unsigned ms;
};

/* Script helpers: SEND(0xFF, 0xFD, 0x2C), DRIP(3, 0xFF, ...), PAUSE(5). */
#define FAKE_BYTES(...) .bytes = (const uint8_t[]){__VA_ARGS__}, \
                        .len = sizeof((const uint8_t[]){__VA_ARGS__})
#define SEND(...) {.kind = FAKE_SEND, FAKE_BYTES(__VA_ARGS__)}
#define DRIP(ms_, ...) {.kind = FAKE_DRIP, .ms = (ms_), FAKE_BYTES(__VA_ARGS__)}
#define PAUSE(ms_) {.kind = FAKE_PAUSE, .ms = (ms_)}
#define AWAIT_HELLO {.kind = FAKE_AWAIT_HELLO}
#define END {.kind = FAKE_END}

/* The client's opening (pySerial's): DO ECHO, WILL SGA, DO SGA, DO 44, WILL 44. */
#define FAKE_HELLO_LEN 15

struct fake_orders {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_tcp_t conn;
    uv_timer_t step_timer;
    bool connected;
    int port;                       /* the TCP port it listens on (127.0.0.1) */

    const struct fake_step *script;
    size_t step;                    /* the step being played */
    size_t dripped;                 /* bytes of a DRIP step already sent */
    bool waiting;                   /* a PAUSE or DRIP timer is running */
    uint8_t held[4096];             /* replies waiting for a DRIP step to end */
    size_t held_len;

    struct rfc2217_parser parser;
    size_t wire_len;                /* every byte the client sent */
    uint8_t options[256];           /* the client's option commands, IAC verb option each */
    size_t options_len;
    unsigned requests;              /* COM-PORT-OPTION requests acknowledged */
    size_t data_len;                /* serial data echoed */
    char problem[160];              /* the first thing that went wrong here, if any */
    char read_buf[65536];
};

/* Listens on a free loopback port and plays `script` (ended by END) to
 * the first client that connects. */
void fake_orders_start(struct fake_orders *s, uv_loop_t *loop, const struct fake_step *script);

/* Closes the connection and the listener; run the loop afterwards. */
void fake_orders_stop(struct fake_orders *s);

/* The script has been played to its END. */
bool fake_orders_done(const struct fake_orders *s);

#endif
