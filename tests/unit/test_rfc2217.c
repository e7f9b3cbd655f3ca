/* RFC 2217 client codec: requests byte for byte against rom-protocol.md
 * §12.1 and pySerial's opening, 0xFF escaping, the stream parser under every
 * split of the input, and option negotiation without loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "permutation.h"
#include "rfc2217.h"

#define MAX_EVENTS 32

static void assert_request(size_t len, const uint8_t *got, const uint8_t *want,
                           size_t want_len)
{
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, want_len);
}

/* ---- requests ---------------------------------------------------------- */

static void test_examples_from_the_fact_sheet(void **state)
{
    uint8_t out[RFC2217_REQUEST_MAX];
    const uint8_t baud_921600[] = {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x0E, 0x10, 0x00, 0xFF, 0xF0};
    const uint8_t dtr_on[] = {0xFF, 0xFA, 0x2C, 0x05, 0x08, 0xFF, 0xF0};
    const uint8_t rts_off[] = {0xFF, 0xFA, 0x2C, 0x05, 0x0C, 0xFF, 0xF0};

    assert_request(rfc2217_encode_set_baud(921600, out, sizeof out), out,
                   baud_921600, sizeof baud_921600);
    assert_request(rfc2217_encode_set_dtr(true, out, sizeof out), out, dtr_on, sizeof dtr_on);
    assert_request(rfc2217_encode_set_rts(false, out, sizeof out), out, rts_off, sizeof rts_off);
}

static void test_other_requests(void **state)
{
    uint8_t out[RFC2217_REQUEST_MAX];
    const uint8_t baud_115200[] = {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x01, 0xC2, 0x00, 0xFF, 0xF0};
    const uint8_t dtr_off[] = {0xFF, 0xFA, 0x2C, 0x05, 0x09, 0xFF, 0xF0};
    const uint8_t rts_on[] = {0xFF, 0xFA, 0x2C, 0x05, 0x0B, 0xFF, 0xF0};
    const uint8_t purge_rx[] = {0xFF, 0xFA, 0x2C, 0x0C, 0x01, 0xFF, 0xF0};
    const uint8_t datasize_8[] = {0xFF, 0xFA, 0x2C, 0x02, 0x08, 0xFF, 0xF0};
    const uint8_t parity_none[] = {0xFF, 0xFA, 0x2C, 0x03, 0x01, 0xFF, 0xF0};
    const uint8_t stop_1[] = {0xFF, 0xFA, 0x2C, 0x04, 0x01, 0xFF, 0xF0};

    assert_request(rfc2217_encode_set_baud(115200, out, sizeof out), out,
                   baud_115200, sizeof baud_115200);
    assert_request(rfc2217_encode_set_dtr(false, out, sizeof out), out, dtr_off, sizeof dtr_off);
    assert_request(rfc2217_encode_set_rts(true, out, sizeof out), out, rts_on, sizeof rts_on);
    assert_request(rfc2217_encode_purge(RFC2217_PURGE_RX, out, sizeof out), out,
                   purge_rx, sizeof purge_rx);
    assert_request(rfc2217_encode_set_datasize(8, out, sizeof out), out,
                   datasize_8, sizeof datasize_8);
    assert_request(rfc2217_encode_set_parity(1, out, sizeof out), out,
                   parity_none, sizeof parity_none);
    assert_request(rfc2217_encode_set_stopsize(1, out, sizeof out), out, stop_1, sizeof stop_1);
}

/* A value byte of 0xFF is doubled inside the subnegotiation, or the server
 * would read it as the start of IAC SE. */
static void test_baud_with_ff_bytes_is_escaped(void **state)
{
    uint8_t out[RFC2217_REQUEST_MAX];
    const uint8_t want[] = {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0xFF, 0xFF, 0x12, 0xFF, 0xFF,
                            0xFF, 0xF0};
    assert_request(rfc2217_encode_set_baud(0x00FF12FF, out, sizeof out), out, want, sizeof want);

    /* The worst case fits the advertised bound exactly. */
    assert_int_equal(rfc2217_encode_set_baud(0xFFFFFFFF, out, sizeof out), RFC2217_REQUEST_MAX);
}

static void test_requests_refuse_small_buffers(void **state)
{
    uint8_t out[RFC2217_REQUEST_MAX];
    memset(out, 0xAA, sizeof out);
    assert_int_equal(rfc2217_encode_set_baud(921600, out, 9), 0);
    assert_int_equal(rfc2217_encode_set_dtr(true, out, 6), 0);
    assert_int_equal(rfc2217_encode_hello(out, 14), 0);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xAA);     /* nothing written */
}

static void test_hello_is_what_pyserial_sends(void **state)
{
    uint8_t out[32];
    const uint8_t want[] = {0xFF, 0xFD, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFD, 0x03,
                            0xFF, 0xFD, 0x2C, 0xFF, 0xFB, 0x2C};
    assert_request(rfc2217_encode_hello(out, sizeof out), out, want, sizeof want);
}

static void test_escape_doubles_every_ff(void **state)
{
    const uint8_t in[] = {0xC0, 0xFF, 0x00, 0xFF, 0xFF, 0x7F};
    const uint8_t want[] = {0xC0, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    uint8_t out[RFC2217_ESCAPED_MAX(sizeof in)];
    assert_request(rfc2217_escape(in, sizeof in, out), out, want, sizeof want);
    assert_int_equal(rfc2217_escape(in, 0, out), 0);
}

/* ---- parser ------------------------------------------------------------ */

struct parsed {
    uint8_t data[256];
    size_t data_len;
    size_t n;
    struct {
        enum rfc2217_event_kind kind;
        uint8_t verb, option;
        uint8_t bytes[RFC2217_SUBNEG_CAP];
        size_t len;
        bool truncated;
    } ev[MAX_EVENTS];
};

/* Feeds pieces, checks the consumed counts, and records non-data events in
 * order; data is concatenated since its chunking depends on the splits. */
static void parse_piece(struct rfc2217_parser *p, const uint8_t *in, size_t n,
                        struct parsed *out)
{
    size_t used = 0;
    while (used < n) {
        struct rfc2217_event ev;
        size_t k = rfc2217_parse(p, in + used, n - used, &ev);
        assert_true(k >= 1 && k <= n - used);
        if (ev.kind == RFC2217_EV_DATA) {
            /* Data must point inside what was just consumed. */
            assert_true(ev.data >= in + used && ev.data + ev.len <= in + used + k);
            assert_true(out->data_len + ev.len <= sizeof out->data);
            memcpy(out->data + out->data_len, ev.data, ev.len);
            out->data_len += ev.len;
        } else if (ev.kind != RFC2217_EV_NONE) {
            assert_true(out->n < MAX_EVENTS);
            out->ev[out->n].kind = ev.kind;
            out->ev[out->n].verb = ev.verb;
            out->ev[out->n].option = ev.option;
            out->ev[out->n].len = ev.len;
            out->ev[out->n].truncated = ev.truncated;
            if (ev.kind == RFC2217_EV_SUBNEG)
                memcpy(out->ev[out->n].bytes, ev.data, ev.len);
            out->n++;
        }
        used += k;
    }
}

static void parse_split(const uint8_t *in, size_t n, size_t cut1, size_t cut2,
                        struct parsed *out)
{
    struct rfc2217_parser p;
    rfc2217_parser_init(&p);
    memset(out, 0, sizeof *out);
    parse_piece(&p, in, cut1, out);
    parse_piece(&p, in + cut1, cut2 - cut1, out);
    parse_piece(&p, in + cut2, n - cut2, out);
}

/* A server's opening answers, data with escaped 0xFF, two acks, and a
 * modem-state notification, as one stream. */
static const uint8_t server_stream[] = {
    0xFF, 0xFB, 0x01,                               /* WILL ECHO */
    0xFF, 0xFD, 0x2C,                               /* DO COM-PORT */
    'O', 'H', 0xFF, 0xFF, 'A', 'I',                 /* data "OH\xffAI" */
    0xFF, 0xFA, 0x2C, 0x65, 0x00, 0x0E, 0x10, 0x00, 0xFF, 0xF0, /* ack baud 921600 */
    0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0xC0,             /* data C0 FF FF C0 */
    0xFF, 0xFA, 0x2C, 0x69, 0x0C, 0xFF, 0xF0,       /* ack RTS off */
    0xFF, 0xF1,                                     /* NOP: ignored */
    0xFF, 0xFA, 0x2C, 0x6B, 0xFF, 0xFF, 0xFF, 0xF0, /* modem state 0xFF, escaped */
    'z',
};

static void check_server_stream(const struct parsed *got)
{
    const uint8_t want_data[] = {'O', 'H', 0xFF, 'A', 'I', 0xC0, 0xFF, 0xFF, 0xC0, 'z'};
    assert_int_equal(got->data_len, sizeof want_data);
    assert_memory_equal(got->data, want_data, sizeof want_data);

    assert_int_equal(got->n, 5);
    assert_int_equal(got->ev[0].kind, RFC2217_EV_OPTION);
    assert_int_equal(got->ev[0].verb, RFC2217_WILL);
    assert_int_equal(got->ev[0].option, RFC2217_OPT_ECHO);
    assert_int_equal(got->ev[1].kind, RFC2217_EV_OPTION);
    assert_int_equal(got->ev[1].verb, RFC2217_DO);
    assert_int_equal(got->ev[1].option, RFC2217_OPT_COM_PORT);

    const uint8_t baud_ack[] = {0x65, 0x00, 0x0E, 0x10, 0x00};
    assert_int_equal(got->ev[2].kind, RFC2217_EV_SUBNEG);
    assert_int_equal(got->ev[2].option, RFC2217_OPT_COM_PORT);
    assert_int_equal(got->ev[2].len, sizeof baud_ack);
    assert_memory_equal(got->ev[2].bytes, baud_ack, sizeof baud_ack);

    const uint8_t rts_ack[] = {0x69, 0x0C};
    assert_int_equal(got->ev[3].kind, RFC2217_EV_SUBNEG);
    assert_int_equal(got->ev[3].len, sizeof rts_ack);
    assert_memory_equal(got->ev[3].bytes, rts_ack, sizeof rts_ack);

    const uint8_t modem[] = {0x6B, 0xFF};
    assert_int_equal(got->ev[4].kind, RFC2217_EV_SUBNEG);
    assert_int_equal(got->ev[4].len, sizeof modem);
    assert_memory_equal(got->ev[4].bytes, modem, sizeof modem);
}

static void test_parse_whole(void **state)
{
    struct parsed got;
    parse_split(server_stream, sizeof server_stream, sizeof server_stream,
                sizeof server_stream, &got);
    check_server_stream(&got);
}

/* Two cuts at every pair of positions: each IAC sequence gets split in
 * every possible place, including between IAC and IAC and before SE. */
static void test_parse_every_split(void **state)
{
    const size_t n = sizeof server_stream;
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b++) {
            struct parsed got;
            parse_split(server_stream, n, a, b, &got);
            check_server_stream(&got);
        }
    }
}

static void test_parse_byte_by_byte(void **state)
{
    struct rfc2217_parser p;
    struct parsed got;
    rfc2217_parser_init(&p);
    memset(&got, 0, sizeof got);
    for (size_t i = 0; i < sizeof server_stream; i++)
        parse_piece(&p, server_stream + i, 1, &got);
    check_server_stream(&got);
}

static void test_server_reply_decodes_acks_only(void **state)
{
    const uint8_t stream[] = {
        0xFF, 0xFA, 0x2C, 0x65, 0x00, 0x0E, 0x10, 0x00, 0xFF, 0xF0, /* ack baud */
        0xFF, 0xFA, 0x2C, 0x05, 0x08, 0xFF, 0xF0,                   /* a client-direction code */
        0xFF, 0xFA, 0x18, 0x00, 0xFF, 0xF0,                         /* another option */
        0xFF, 0xFA, 0x2C, 0xFF, 0xF0,                               /* empty */
    };
    struct rfc2217_parser p;
    rfc2217_parser_init(&p);
    size_t used = 0;
    int subnegs = 0, replies = 0;
    while (used < sizeof stream) {
        struct rfc2217_event ev;
        used += rfc2217_parse(&p, stream + used, sizeof stream - used, &ev);
        if (ev.kind != RFC2217_EV_SUBNEG)
            continue;
        subnegs++;
        uint8_t cmd;
        const uint8_t *value;
        size_t len;
        if (!rfc2217_server_reply(&ev, &cmd, &value, &len))
            continue;
        replies++;
        assert_int_equal(cmd, RFC2217_SET_BAUDRATE);
        assert_int_equal(len, 4);
        uint32_t baud = (uint32_t)value[0] << 24 | value[1] << 16 | value[2] << 8 | value[3];
        assert_int_equal(baud, 921600);
    }
    assert_int_equal(subnegs, 4);
    assert_int_equal(replies, 1);
}

static void test_long_subnegotiation_is_truncated_not_overrun(void **state)
{
    uint8_t stream[3 + 200 + 2 + 1];
    size_t k = 0;
    stream[k++] = 0xFF;
    stream[k++] = 0xFA;
    stream[k++] = 0x2C;
    for (int i = 0; i < 200; i++)
        stream[k++] = (uint8_t)i % 0xF0;
    stream[k++] = 0xFF;
    stream[k++] = 0xF0;
    stream[k++] = 'x';

    struct parsed got;
    parse_split(stream, k, 7, 100, &got);
    assert_int_equal(got.n, 1);
    assert_true(got.ev[0].truncated);
    assert_int_equal(got.ev[0].len, RFC2217_SUBNEG_CAP);
    assert_int_equal(got.data_len, 1);
    assert_int_equal(got.data[0], 'x');
}

/* ---- negotiation ------------------------------------------------------- */

static size_t negotiate(struct rfc2217_negotiation *n, uint8_t verb, uint8_t opt,
                        uint8_t out[3])
{
    memset(out, 0, 3);
    return rfc2217_negotiate(n, verb, opt, out);
}

static void test_server_agreeing_needs_no_answers(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    rfc2217_negotiation_init(&n);
    assert_false(rfc2217_com_port_ready(&n));
    assert_int_equal(negotiate(&n, RFC2217_WILL, RFC2217_OPT_ECHO, out), 0);
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_SGA, out), 0);
    assert_int_equal(negotiate(&n, RFC2217_WILL, RFC2217_OPT_SGA, out), 0);
    assert_int_equal(negotiate(&n, RFC2217_WILL, RFC2217_OPT_COM_PORT, out), 0);
    assert_false(rfc2217_com_port_ready(&n));
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_COM_PORT, out), 0);
    assert_true(rfc2217_com_port_ready(&n));
    /* Repeating an agreement changes nothing and gets no answer. */
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_COM_PORT, out), 0);
    assert_true(rfc2217_com_port_ready(&n));
}

static void test_binary_is_accepted_once(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    const uint8_t do_binary[] = {0xFF, 0xFD, 0x00};
    const uint8_t will_binary[] = {0xFF, 0xFB, 0x00};
    rfc2217_negotiation_init(&n);
    assert_int_equal(negotiate(&n, RFC2217_WILL, RFC2217_OPT_BINARY, out), 3);
    assert_memory_equal(out, do_binary, 3);
    assert_int_equal(negotiate(&n, RFC2217_WILL, RFC2217_OPT_BINARY, out), 0);
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_BINARY, out), 3);
    assert_memory_equal(out, will_binary, 3);
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_BINARY, out), 0);
}

static void test_unknown_and_refused_options(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    const uint8_t wont_ttype[] = {0xFF, 0xFC, 0x18};
    const uint8_t dont_linemode[] = {0xFF, 0xFE, 0x22};
    const uint8_t wont_echo[] = {0xFF, 0xFC, 0x01};
    rfc2217_negotiation_init(&n);
    assert_int_equal(negotiate(&n, RFC2217_DO, 0x18, out), 3);
    assert_memory_equal(out, wont_ttype, 3);
    assert_int_equal(negotiate(&n, RFC2217_WILL, 0x22, out), 3);
    assert_memory_equal(out, dont_linemode, 3);
    assert_int_equal(negotiate(&n, RFC2217_DONT, 0x18, out), 0);
    /* We never echo. */
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_ECHO, out), 3);
    assert_memory_equal(out, wont_echo, 3);
}

static void test_com_port_refusal_is_reported(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    rfc2217_negotiation_init(&n);
    assert_int_equal(negotiate(&n, RFC2217_DONT, RFC2217_OPT_COM_PORT, out), 0);
    assert_true(n.com_port_refused);
    assert_false(rfc2217_com_port_ready(&n));
}

/* RFC 2217 needs only our WILL COM-PORT-OPTION answered by DO. The WONT a
 * server may give our extra DO COM-PORT-OPTION (it sends no commands of
 * its own) is no refusal, whether it comes before or after the DO. */
static void test_wont_com_port_before_do_is_no_refusal(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    rfc2217_negotiation_init(&n);
    assert_int_equal(negotiate(&n, RFC2217_WONT, RFC2217_OPT_COM_PORT, out), 0);
    assert_false(n.com_port_refused);
    assert_false(rfc2217_com_port_ready(&n));
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_COM_PORT, out), 0);
    assert_false(n.com_port_refused);
    assert_true(rfc2217_com_port_ready(&n));
}

static void test_wont_com_port_after_do_keeps_it_ready(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    rfc2217_negotiation_init(&n);
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_COM_PORT, out), 0);
    assert_int_equal(negotiate(&n, RFC2217_WONT, RFC2217_OPT_COM_PORT, out), 0);
    assert_false(n.com_port_refused);
    assert_true(rfc2217_com_port_ready(&n));
}

/* The five answers our opening draws, one per request, with `yes` choosing
 * agree or decline for each; the answer to WILL COM-PORT-OPTION is DO when
 * com_port_yes, else DONT. */
struct answer {
    uint8_t verb_yes, verb_no, option;
};

static const struct answer hello_answers[5] = {
    {RFC2217_WILL, RFC2217_WONT, RFC2217_OPT_ECHO},     /* to DO ECHO */
    {RFC2217_DO, RFC2217_DONT, RFC2217_OPT_SGA},        /* to WILL SGA */
    {RFC2217_WILL, RFC2217_WONT, RFC2217_OPT_SGA},      /* to DO SGA */
    {RFC2217_WILL, RFC2217_WONT, RFC2217_OPT_COM_PORT}, /* to DO COM-PORT */
    {RFC2217_DO, RFC2217_DONT, RFC2217_OPT_COM_PORT},   /* to WILL COM-PORT */
};

/* Plays the answers in the order `order` with the choices in `yes_bits`;
 * answers to our own requests never draw an answer back. */
static void play_answers(struct rfc2217_negotiation *n, const int order[5], unsigned yes_bits)
{
    rfc2217_negotiation_init(n);
    for (int i = 0; i < 5; i++) {
        const struct answer *a = &hello_answers[order[i]];
        bool yes = yes_bits >> order[i] & 1;
        uint8_t out[3];
        assert_int_equal(negotiate(n, yes ? a->verb_yes : a->verb_no, a->option, out), 0);
    }
}

/* All 120 orders × every agree/decline choice: the port is ready exactly
 * when WILL COM-PORT-OPTION drew DO, and refused exactly when it drew DONT. */
static void test_every_order_of_answers(void **state)
{
    int order[5] = {0, 1, 2, 3, 4};
    int orders = 0;
    do {
        for (unsigned yes_bits = 0; yes_bits < 32; yes_bits++) {
            struct rfc2217_negotiation n;
            play_answers(&n, order, yes_bits);
            bool do_com_port = yes_bits >> 4 & 1;
            assert_int_equal(rfc2217_com_port_ready(&n), do_com_port);
            assert_int_equal(n.com_port_refused, !do_com_port);
        }
        orders++;
    } while (next_permutation(order, 5));
    assert_int_equal(orders, 120);
}

static void test_active_option_withdrawn_is_acknowledged(void **state)
{
    struct rfc2217_negotiation n;
    uint8_t out[3];
    const uint8_t wont_sga[] = {0xFF, 0xFC, 0x03};
    rfc2217_negotiation_init(&n);
    assert_int_equal(negotiate(&n, RFC2217_DO, RFC2217_OPT_SGA, out), 0);
    assert_int_equal(negotiate(&n, RFC2217_DONT, RFC2217_OPT_SGA, out), 3);
    assert_memory_equal(out, wont_sga, 3);
    assert_int_equal(negotiate(&n, RFC2217_DONT, RFC2217_OPT_SGA, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_from_the_fact_sheet),
        cmocka_unit_test(test_other_requests),
        cmocka_unit_test(test_baud_with_ff_bytes_is_escaped),
        cmocka_unit_test(test_requests_refuse_small_buffers),
        cmocka_unit_test(test_hello_is_what_pyserial_sends),
        cmocka_unit_test(test_escape_doubles_every_ff),
        cmocka_unit_test(test_parse_whole),
        cmocka_unit_test(test_parse_every_split),
        cmocka_unit_test(test_parse_byte_by_byte),
        cmocka_unit_test(test_server_reply_decodes_acks_only),
        cmocka_unit_test(test_long_subnegotiation_is_truncated_not_overrun),
        cmocka_unit_test(test_server_agreeing_needs_no_answers),
        cmocka_unit_test(test_binary_is_accepted_once),
        cmocka_unit_test(test_unknown_and_refused_options),
        cmocka_unit_test(test_com_port_refusal_is_reported),
        cmocka_unit_test(test_active_option_withdrawn_is_acknowledged),
        cmocka_unit_test(test_wont_com_port_before_do_is_no_refusal),
        cmocka_unit_test(test_wont_com_port_after_do_keeps_it_ready),
        cmocka_unit_test(test_every_order_of_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
