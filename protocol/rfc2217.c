/* RFC 2217 client codec (rom-protocol.md §12). See rfc2217.h. */
#include "rfc2217.h"

#include <string.h>

/* ---- requests ---------------------------------------------------------- */

size_t rfc2217_encode_hello(uint8_t *out, size_t cap)
{
    /* pySerial's order; a server that answers all five is one esptool can use. */
    static const uint8_t hello[] = {
        RFC2217_IAC, RFC2217_DO, RFC2217_OPT_ECHO,
        RFC2217_IAC, RFC2217_WILL, RFC2217_OPT_SGA,
        RFC2217_IAC, RFC2217_DO, RFC2217_OPT_SGA,
        RFC2217_IAC, RFC2217_DO, RFC2217_OPT_COM_PORT,
        RFC2217_IAC, RFC2217_WILL, RFC2217_OPT_COM_PORT,
    };
    if (cap < sizeof hello)
        return 0;
    memcpy(out, hello, sizeof hello);
    return sizeof hello;
}

size_t rfc2217_encode_request(uint8_t command, const uint8_t *value, size_t len,
                              uint8_t *out, size_t cap)
{
    size_t need = 6 + len;
    for (size_t i = 0; i < len; i++)
        need += value[i] == RFC2217_IAC;
    if (command == RFC2217_IAC)
        need++;
    if (cap < need)
        return 0;

    size_t k = 0;
    out[k++] = RFC2217_IAC;
    out[k++] = RFC2217_SB;
    out[k++] = RFC2217_OPT_COM_PORT;
    k += rfc2217_escape(&command, 1, out + k);
    k += rfc2217_escape(value, len, out + k);
    out[k++] = RFC2217_IAC;
    out[k++] = RFC2217_SE;
    return k;
}

size_t rfc2217_encode_set_baud(uint32_t baud, uint8_t *out, size_t cap)
{
    const uint8_t be[4] = {baud >> 24, baud >> 16, baud >> 8, baud};
    return rfc2217_encode_request(RFC2217_SET_BAUDRATE, be, 4, out, cap);
}

size_t rfc2217_encode_set_datasize(uint8_t bits, uint8_t *out, size_t cap)
{
    return rfc2217_encode_request(RFC2217_SET_DATASIZE, &bits, 1, out, cap);
}

size_t rfc2217_encode_set_parity(uint8_t parity, uint8_t *out, size_t cap)
{
    return rfc2217_encode_request(RFC2217_SET_PARITY, &parity, 1, out, cap);
}

size_t rfc2217_encode_set_stopsize(uint8_t stop, uint8_t *out, size_t cap)
{
    return rfc2217_encode_request(RFC2217_SET_STOPSIZE, &stop, 1, out, cap);
}

size_t rfc2217_encode_set_dtr(bool on, uint8_t *out, size_t cap)
{
    uint8_t v = on ? RFC2217_CONTROL_DTR_ON : RFC2217_CONTROL_DTR_OFF;
    return rfc2217_encode_request(RFC2217_SET_CONTROL, &v, 1, out, cap);
}

size_t rfc2217_encode_set_rts(bool on, uint8_t *out, size_t cap)
{
    uint8_t v = on ? RFC2217_CONTROL_RTS_ON : RFC2217_CONTROL_RTS_OFF;
    return rfc2217_encode_request(RFC2217_SET_CONTROL, &v, 1, out, cap);
}

size_t rfc2217_encode_purge(uint8_t which, uint8_t *out, size_t cap)
{
    return rfc2217_encode_request(RFC2217_PURGE_DATA, &which, 1, out, cap);
}

size_t rfc2217_escape(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        out[k++] = in[i];
        if (in[i] == RFC2217_IAC)
            out[k++] = RFC2217_IAC;
    }
    return k;
}

/* ---- the server's stream ---------------------------------------------- */

enum parse_state {
    IN_DATA,
    AFTER_IAC,
    AFTER_VERB,             /* IAC WILL/WONT/DO/DONT, option byte next */
    SB_OPTION,              /* IAC SB, option byte next */
    IN_SB,
    SB_AFTER_IAC,
};

void rfc2217_parser_init(struct rfc2217_parser *p)
{
    memset(p, 0, sizeof *p);
    p->state = IN_DATA;
}

static void keep_sb_byte(struct rfc2217_parser *p, uint8_t b)
{
    if (p->sb_len < sizeof p->sb)
        p->sb[p->sb_len++] = b;
    else
        p->sb_truncated = true;
}

size_t rfc2217_parse(struct rfc2217_parser *p, const uint8_t *in, size_t n,
                     struct rfc2217_event *ev)
{
    memset(ev, 0, sizeof *ev);
    size_t i = 0;
    while (i < n) {
        uint8_t b = in[i];
        switch (p->state) {
        case IN_DATA: {
            if (b == RFC2217_IAC) {
                p->state = AFTER_IAC;
                i++;
                break;
            }
            size_t start = i;
            while (i < n && in[i] != RFC2217_IAC)
                i++;
            ev->kind = RFC2217_EV_DATA;
            ev->data = in + start;
            ev->len = i - start;
            return i;
        }
        case AFTER_IAC:
            i++;
            if (b == RFC2217_IAC) {
                /* An escaped 0xFF: hand up the second one, it is in `in`. */
                p->state = IN_DATA;
                ev->kind = RFC2217_EV_DATA;
                ev->data = in + i - 1;
                ev->len = 1;
                return i;
            }
            if (b == RFC2217_SB) {
                p->state = SB_OPTION;
            } else if (b >= RFC2217_WILL) {
                p->verb = b;
                p->state = AFTER_VERB;
            } else {
                /* NOP, GA, a stray SE...: nothing a serial client acts on. */
                p->state = IN_DATA;
            }
            break;
        case AFTER_VERB:
            i++;
            p->state = IN_DATA;
            ev->kind = RFC2217_EV_OPTION;
            ev->verb = p->verb;
            ev->option = b;
            return i;
        case SB_OPTION:
            i++;
            p->sb_option = b;
            p->sb_len = 0;
            p->sb_truncated = false;
            p->state = IN_SB;
            break;
        case IN_SB:
            i++;
            if (b == RFC2217_IAC)
                p->state = SB_AFTER_IAC;
            else
                keep_sb_byte(p, b);
            break;
        case SB_AFTER_IAC:
            i++;
            if (b == RFC2217_SE) {
                p->state = IN_DATA;
                ev->kind = RFC2217_EV_SUBNEG;
                ev->option = p->sb_option;
                ev->data = p->sb;
                ev->len = p->sb_len;
                ev->truncated = p->sb_truncated;
                return i;
            }
            /* IAC IAC is an escaped 0xFF; a lone IAC before anything else
             * is a sloppy server's unescaped 0xFF: keep the byte either way. */
            keep_sb_byte(p, b);
            p->state = IN_SB;
            break;
        }
    }
    return i;
}

bool rfc2217_server_reply(const struct rfc2217_event *ev, uint8_t *command,
                          const uint8_t **value, size_t *len)
{
    if (ev->kind != RFC2217_EV_SUBNEG || ev->option != RFC2217_OPT_COM_PORT || ev->len < 1)
        return false;
    if (ev->data[0] < RFC2217_SERVER_OFFSET)
        return false;
    *command = ev->data[0] - RFC2217_SERVER_OFFSET;
    *value = ev->data + 1;
    *len = ev->len - 1;
    return true;
}

/* ---- option negotiation ----------------------------------------------- */

enum { SLOT_BINARY, SLOT_ECHO, SLOT_SGA, SLOT_COM_PORT };

static int option_slot(uint8_t option)
{
    switch (option) {
    case RFC2217_OPT_BINARY: return SLOT_BINARY;
    case RFC2217_OPT_ECHO: return SLOT_ECHO;
    case RFC2217_OPT_SGA: return SLOT_SGA;
    case RFC2217_OPT_COM_PORT: return SLOT_COM_PORT;
    default: return -1;
    }
}

void rfc2217_negotiation_init(struct rfc2217_negotiation *n)
{
    memset(n, 0, sizeof *n);
    n->we[SLOT_BINARY] = RFC2217_OPTION_INACTIVE;
    n->we[SLOT_ECHO] = RFC2217_OPTION_REFUSED;     /* the client never echoes */
    n->we[SLOT_SGA] = RFC2217_OPTION_REQUESTED;
    n->we[SLOT_COM_PORT] = RFC2217_OPTION_REQUESTED;
    n->they[SLOT_BINARY] = RFC2217_OPTION_INACTIVE;
    n->they[SLOT_ECHO] = RFC2217_OPTION_REQUESTED;
    n->they[SLOT_SGA] = RFC2217_OPTION_REQUESTED;
    n->they[SLOT_COM_PORT] = RFC2217_OPTION_REQUESTED;
}

static size_t answer(uint8_t verb, uint8_t option, uint8_t out[3])
{
    out[0] = RFC2217_IAC;
    out[1] = verb;
    out[2] = option;
    return 3;
}

/* One side of one option. `yes` says the server agreed/proposed; we answer
 * with send_yes/send_no, and only when the state actually changes, which is
 * what keeps two telnet peers from acknowledging each other forever. */
static size_t settle(uint8_t *state, bool yes, uint8_t send_yes, uint8_t send_no,
                     uint8_t option, uint8_t out[3])
{
    switch (*state) {
    case RFC2217_OPTION_REFUSED:
        return yes ? answer(send_no, option, out) : 0;
    case RFC2217_OPTION_INACTIVE:
        if (!yes)
            return 0;
        *state = RFC2217_OPTION_ACTIVE;
        return answer(send_yes, option, out);
    case RFC2217_OPTION_REQUESTED:
        *state = yes ? RFC2217_OPTION_ACTIVE : RFC2217_OPTION_INACTIVE;
        return 0;
    case RFC2217_OPTION_ACTIVE:
        if (yes)
            return 0;
        *state = RFC2217_OPTION_INACTIVE;
        return answer(send_no, option, out);
    }
    return 0;
}

size_t rfc2217_negotiate(struct rfc2217_negotiation *n, uint8_t verb,
                         uint8_t option, uint8_t out[3])
{
    int slot = option_slot(option);
    bool about_us = verb == RFC2217_DO || verb == RFC2217_DONT;
    bool yes = verb == RFC2217_DO || verb == RFC2217_WILL;

    /* Only DONT refuses: it answers our WILL COM-PORT-OPTION, so the server
     * will take no commands from us. WONT answers our extra DO (pySerial
     * asks both ways) and only says the server sends no commands of its own,
     * which a client never needs; it may come before or after the DO. */
    if (option == RFC2217_OPT_COM_PORT && verb == RFC2217_DONT)
        n->com_port_refused = true;
    if (slot < 0) {
        /* Unknown option: refuse what is proposed, ignore refusals. */
        if (!yes)
            return 0;
        return answer(about_us ? RFC2217_WONT : RFC2217_DONT, option, out);
    }
    if (about_us)
        return settle(&n->we[slot], yes, RFC2217_WILL, RFC2217_WONT, option, out);
    return settle(&n->they[slot], yes, RFC2217_DO, RFC2217_DONT, option, out);
}

bool rfc2217_com_port_ready(const struct rfc2217_negotiation *n)
{
    /* Our WILL COM-PORT-OPTION answered by DO: the server takes our commands. */
    return n->we[SLOT_COM_PORT] == RFC2217_OPTION_ACTIVE;
}
