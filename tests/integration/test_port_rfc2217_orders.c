/* daemon/port_rfc2217 against fake_rfc2217_orders: servers we did not write
 * answer the telnet negotiation in their own order and shape. RFC 2217 asks
 * only that our WILL COM-PORT-OPTION be answered by DO; everything else —
 * the order of the answers, WONT to our extra DO COM-PORT-OPTION, answers
 * cut across TCP segments, a server's own opening burst, options we never
 * asked about, board output before the port is set up — must still open the
 * port, answer only what needs an answer, and carry data. A server that
 * never says DO COM-PORT-OPTION must be refused with words that say so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "../unit/permutation.h"
#include "fake_rfc2217_orders.h"
#include "port.h"
#include "port_test_client.h"
#include "rfc2217.h"

/* Telnet shorthand for the scripts (RFC 854, RFC 2217). */
#define IAC RFC2217_IAC
#define WILL RFC2217_WILL
#define WONT RFC2217_WONT
#define DO RFC2217_DO
#define DONT RFC2217_DONT
#define SB RFC2217_SB
#define SE RFC2217_SE
#define NOP 241
#define GA 249
#define OPT_BINARY RFC2217_OPT_BINARY
#define OPT_ECHO RFC2217_OPT_ECHO
#define OPT_SGA RFC2217_OPT_SGA
#define OPT_STATUS 5
#define OPT_TTYPE 24
#define OPT_NAWS 31
#define OPT_TSPEED 32
#define OPT_LINEMODE 34
#define COM 44

struct order_case {
    const struct fake_step *script;
    const uint8_t *answers;     /* the option commands the client must send after its opening */
    size_t answers_len;
    const char *refusal;        /* NULL: the port must open; else words of the open error */
    unsigned refusal_within_ms; /* the refusal must come this fast (0: the open deadline) */
};

#define ANSWERS(...) .answers = (const uint8_t[]){__VA_ARGS__}, \
                     .answers_len = sizeof((const uint8_t[]){__VA_ARGS__})

/* ---- orders that must open ---------------------------------------------- */

/* pySerial's server: every answer, in the order of our requests. */
static const struct order_case agree_in_arrival_order = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        SEND(IAC, WILL, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WILL, OPT_SGA,
             IAC, WILL, COM, IAC, DO, COM),
        END,
    },
};

/* The reported fault: strictly in arrival order, so the WONT answering our
 * DO COM-PORT-OPTION comes before the DO answering our WILL. */
static const struct order_case wont_then_do_in_arrival_order = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        SEND(IAC, WONT, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WILL, OPT_SGA,
             IAC, WONT, COM, IAC, DO, COM),
        END,
    },
};

/* What Debian's ser2net 4.3 sends, captured: its own opening burst (with
 * DO COM-PORT-OPTION) and the board's boot log before it has read a byte
 * from us, then its answers and a modem-state notification. */
static const struct order_case ser2net_opening_burst = {
    .script = (const struct fake_step[]){
        SEND(IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA, IAC, WILL, OPT_ECHO, IAC, DONT, OPT_ECHO,
             IAC, DO, OPT_BINARY, IAC, WILL, OPT_BINARY, IAC, DO, COM,
             'e', 't', 's', ' ', 'J', 'u', 'l', ' ', '2', '9', '\r', '\n'),
        AWAIT_HELLO,
        SEND(IAC, DO, OPT_SGA, IAC, WONT, COM, IAC, SB, COM, 107, 0x00, IAC, SE),
        END,
    },
    ANSWERS(IAC, WILL, OPT_BINARY, IAC, DO, OPT_BINARY),
};

/* DO before the server has even read our WILL, then it declines the rest. */
static const struct order_case do_first_then_declines = {
    .script = (const struct fake_step[]){
        SEND(IAC, DO, COM),
        AWAIT_HELLO,
        SEND(IAC, WONT, OPT_ECHO, IAC, DONT, OPT_SGA, IAC, WONT, OPT_SGA, IAC, WONT, COM),
        END,
    },
};

/* Declines everything but the one answer that matters, in arrival order. */
static const struct order_case declines_all_but_do = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        SEND(IAC, WONT, OPT_ECHO, IAC, DONT, OPT_SGA, IAC, WONT, OPT_SGA,
             IAC, WONT, COM, IAC, DO, COM),
        END,
    },
};

/* WILL COM-PORT-OPTION offered before our DO arrives, the DO much later,
 * the rest interleaved in separate segments. */
static const struct order_case will_and_do_interleaved = {
    .script = (const struct fake_step[]){
        SEND(IAC, WILL, COM),
        AWAIT_HELLO,
        SEND(IAC, WILL, OPT_ECHO),
        PAUSE(5),
        SEND(IAC, DONT, OPT_SGA),
        PAUSE(5),
        SEND(IAC, DO, COM, IAC, WILL, OPT_SGA),
        END,
    },
};

/* One byte per TCP segment: every answer is cut between IAC and the verb
 * and between the verb and the option. */
static const struct order_case answers_one_byte_per_segment = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        DRIP(2, IAC, WONT, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WONT, OPT_SGA,
             IAC, WONT, COM, IAC, DO, COM),
        END,
    },
};

/* Options nobody asked about, a NOP, a GA and a foreign subnegotiation
 * around the answers: each proposal is refused once, nothing else answered. */
static const struct order_case unrelated_options_around = {
    .script = (const struct fake_step[]){
        SEND(IAC, DO, OPT_TTYPE, IAC, WILL, OPT_STATUS, IAC, NOP,
             IAC, SB, OPT_TTYPE, 1, IAC, SE, IAC, DO, OPT_NAWS),
        AWAIT_HELLO,
        SEND(IAC, WILL, OPT_LINEMODE, IAC, GA, IAC, WONT, COM),
        DRIP(1, IAC, DO, OPT_TSPEED, IAC, DO, COM),
        SEND(IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA),
        END,
    },
    ANSWERS(IAC, WONT, OPT_TTYPE, IAC, DONT, OPT_STATUS, IAC, WONT, OPT_NAWS,
            IAC, DONT, OPT_LINEMODE, IAC, WONT, OPT_TSPEED),
};

/* A board that talks before the port is set up (its boot log, an escaped
 * 0xFF): those bytes belong to nobody and must not reach the owner. */
static const struct order_case board_output_before_agreement = {
    .script = (const struct fake_step[]){
        SEND('r', 's', 't', ':', '0', 'x', '1', '\r', '\n', IAC, IAC, 'x'),
        AWAIT_HELLO,
        SEND(IAC, WONT, COM, 'n', 'o', 'i', 's', 'e', IAC, DO, COM),
        END,
    },
};

/* A server that repeats itself and changes its mind about its own side. */
static const struct order_case do_repeated_wont_between = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        SEND(IAC, DO, COM, IAC, WONT, COM, IAC, DO, COM, IAC, WILL, OPT_ECHO,
             IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA, IAC, DO, COM),
        END,
    },
};

/* ---- orders that must be refused ---------------------------------------- */

/* A plain telnet server: DONT COM-PORT-OPTION is a refusal, said at once. */
static const struct order_case plain_telnet_refuses = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        SEND(IAC, WONT, OPT_ECHO, IAC, DONT, OPT_SGA, IAC, WONT, OPT_SGA,
             IAC, WONT, COM, IAC, DONT, COM),
        END,
    },
    .refusal = "refused RFC 2217",
    .refusal_within_ms = 2000,
};

/* Answers everything except our WILL COM-PORT-OPTION: never a DO. */
static const struct order_case never_do_com_port = {
    .script = (const struct fake_step[]){
        AWAIT_HELLO,
        SEND(IAC, WILL, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WILL, OPT_SGA, IAC, WONT, COM),
        END,
    },
    .refusal = "no DO COM-PORT-OPTION",
};

/* ---- running one order ---------------------------------------------------- */

static const uint8_t hello[FAKE_HELLO_LEN] = {IAC, DO, OPT_ECHO, IAC, WILL, OPT_SGA,
                                              IAC, DO, OPT_SGA, IAC, DO, COM, IAC, WILL, COM};

static struct port *open_client(uv_loop_t *loop, int tcp_port, struct client *c)
{
    char url[64], err[256];
    snprintf(url, sizeof url, "rfc2217://127.0.0.1:%d", tcp_port);
    memset(c, 0, sizeof *c);
    struct port *p = port_new(loop, url, &callbacks, c, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(port_open(p), 0);
    return p;
}

static void run_until_script_done(uv_loop_t *loop, const struct fake_orders *s)
{
    uint64_t end = uv_hrtime() + 2000000000ull;
    while (!fake_orders_done(s) && uv_hrtime() < end)
        uv_run(loop, UV_RUN_NOWAIT);
    assert_true(fake_orders_done(s));
}

/* Serial data both ways, with 0xFF and SLIP bytes in it. */
static void check_data_flows(uv_loop_t *loop, struct port *p, struct client *c)
{
    uint8_t payload[600];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = i % 7 == 0 ? 0xFF : i % 11 == 0 ? 0xC0 : (uint8_t)(i * 29);
    assert_int_equal(port_write(p, payload, sizeof payload), 0);
    uint64_t end = uv_hrtime() + 2000000000ull;
    while (c->rx_len < sizeof payload && uv_hrtime() < end)
        uv_run(loop, UV_RUN_NOWAIT);
    assert_int_equal(c->rx_len, sizeof payload);
    assert_memory_equal(c->rx, payload, sizeof payload);
}

/* The client's option commands: its opening, then exactly the answers the
 * case expects (none for answers to its own requests: no loops). */
static void check_client_answers(const struct fake_orders *s, const struct order_case *oc)
{
    assert_true(s->options_len >= sizeof hello);
    assert_memory_equal(s->options, hello, sizeof hello);
    assert_int_equal(s->options_len - sizeof hello, oc->answers_len);
    if (oc->answers_len)
        assert_memory_equal(s->options + sizeof hello, oc->answers, oc->answers_len);
}

static void check_opens(uv_loop_t *loop, struct fake_orders *s, struct port *p,
                        struct client *c, const struct order_case *oc)
{
    assert_string_equal(c->open_error, "");
    assert_true(s->requests >= 4);      /* 8N1 and the rate, each acknowledged */
    run_until_script_done(loop, s);
    check_data_flows(loop, p, c);
    check_client_answers(s, oc);
}

static void check_refused(const struct client *c, const struct order_case *oc,
                          uint64_t took_ms)
{
    if (!strstr(c->open_error, oc->refusal))
        fail_msg("open error '%s' does not say '%s'", c->open_error, oc->refusal);
    if (oc->refusal_within_ms)
        assert_true(took_ms < oc->refusal_within_ms);
}

static void test_order(void **state)
{
    const struct order_case *oc = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct fake_orders *s = malloc(sizeof *s);
    assert_non_null(s);
    fake_orders_start(s, &loop, oc->script);
    assert_string_equal(s->problem, "");

    struct client c;
    uint64_t started = uv_hrtime();
    struct port *p = open_client(&loop, s->port, &c);
    run_until(&loop, &c.opened, 8000);
    uint64_t took_ms = (uv_hrtime() - started) / 1000000;
    if (oc->refusal)
        check_refused(&c, oc, took_ms);
    else
        check_opens(&loop, s, p, &c, oc);
    assert_string_equal(s->problem, "");

    port_close(p);
    run_until(&loop, &c.closed, 2000);
    fake_orders_stop(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    free(s);
}

/* ---- every order of the five answers -------------------------------------- */

/* The answers our opening draws, one per request, agreeing or declining. */
static const uint8_t answer_yes[5][3] = {
    {IAC, WILL, OPT_ECHO}, {IAC, DO, OPT_SGA}, {IAC, WILL, OPT_SGA},
    {IAC, WILL, COM}, {IAC, DO, COM},
};
static const uint8_t answer_no[5][3] = {
    {IAC, WONT, OPT_ECHO}, {IAC, DONT, OPT_SGA}, {IAC, WONT, OPT_SGA},
    {IAC, WONT, COM}, {IAC, DONT, COM},
};

/* All 120 orders, each with its own mix of agreements and refusals of the
 * optional four (the DO to our WILL COM-PORT-OPTION always there), sent in
 * one segment or one byte per segment in turn: every one opens. */
static void test_every_order_opens(void **state)
{
    int order[5] = {0, 1, 2, 3, 4};
    unsigned round = 0;
    do {
        uint8_t bytes[15];
        unsigned yes_bits = 1u << 4 | round % 16;
        for (int i = 0; i < 5; i++)
            memcpy(bytes + 3 * i, yes_bits >> order[i] & 1 ? answer_yes[order[i]]
                                                            : answer_no[order[i]], 3);
        struct fake_step script[] = {
            AWAIT_HELLO,
            {.kind = round % 2 ? FAKE_DRIP : FAKE_SEND, .bytes = bytes, .len = sizeof bytes,
             .ms = 1},
            END,
        };
        struct order_case oc = {.script = script};
        void *one = &oc;
        test_order(&one);
        round++;
    } while (next_permutation(order, 5));
    assert_int_equal(round, 120);
}

#define ORDER(name) {#name, test_order, NULL, NULL, (void *)&name}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ORDER(agree_in_arrival_order),
        ORDER(wont_then_do_in_arrival_order),
        ORDER(ser2net_opening_burst),
        ORDER(do_first_then_declines),
        ORDER(declines_all_but_do),
        ORDER(will_and_do_interleaved),
        ORDER(answers_one_byte_per_segment),
        ORDER(unrelated_options_around),
        ORDER(board_output_before_agreement),
        ORDER(do_repeated_wont_between),
        cmocka_unit_test(test_every_order_opens),
        ORDER(plain_telnet_refuses),
        ORDER(never_do_com_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
