/* RFC 2217 (telnet COM-PORT-OPTION) from the client's side, sans I/O
 * (reference/rom-protocol.md §12): the bytes a client sends to open, set the
 * rate and the modem lines and purge; 0xFF escaping of outgoing data; and a
 * parser that splits the server's stream into data, option negotiation and
 * subnegotiations (including the server's acknowledgements), whatever way
 * the stream is cut into reads.
 *
 * The client behaves like pySerial's (what esptool uses over rfc2217://):
 * it requests ECHO, SGA and COM-PORT-OPTION, accepts BINARY when offered,
 * refuses everything else, and never answers an answer (no option loops).
 * Of all the answers, RFC 2217 needs one: DO COM-PORT-OPTION for our WILL.
 * Servers answer in any order and shape (ser2net sends its DO before it has
 * read ours; a strict one answers our DO with WONT before our WILL with
 * DO), and none of the others decides anything. */
#ifndef JIGD_RFC2217_H
#define JIGD_RFC2217_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RFC2217_IAC 0xFF
#define RFC2217_SB 0xFA
#define RFC2217_SE 0xF0
#define RFC2217_WILL 0xFB
#define RFC2217_WONT 0xFC
#define RFC2217_DO 0xFD
#define RFC2217_DONT 0xFE

#define RFC2217_OPT_BINARY 0
#define RFC2217_OPT_ECHO 1
#define RFC2217_OPT_SGA 3
#define RFC2217_OPT_COM_PORT 44

/* COM-PORT-OPTION subcommands, client → server; the server's reply to a
 * request carries code + RFC2217_SERVER_OFFSET. */
enum rfc2217_command {
    RFC2217_SIGNATURE = 0,
    RFC2217_SET_BAUDRATE = 1,
    RFC2217_SET_DATASIZE = 2,
    RFC2217_SET_PARITY = 3,
    RFC2217_SET_STOPSIZE = 4,
    RFC2217_SET_CONTROL = 5,
    RFC2217_NOTIFY_LINESTATE = 6,
    RFC2217_NOTIFY_MODEMSTATE = 7,
    RFC2217_FLOWCONTROL_SUSPEND = 8,
    RFC2217_FLOWCONTROL_RESUME = 9,
    RFC2217_SET_LINESTATE_MASK = 10,
    RFC2217_SET_MODEMSTATE_MASK = 11,
    RFC2217_PURGE_DATA = 12,
};
#define RFC2217_SERVER_OFFSET 100

/* SET-CONTROL values used here. */
#define RFC2217_CONTROL_DTR_ON 8
#define RFC2217_CONTROL_DTR_OFF 9
#define RFC2217_CONTROL_RTS_ON 11
#define RFC2217_CONTROL_RTS_OFF 12

/* PURGE-DATA values. */
#define RFC2217_PURGE_RX 1
#define RFC2217_PURGE_TX 2
#define RFC2217_PURGE_BOTH 3

/* Worst case of escaping n bytes: every one is 0xFF. */
#define RFC2217_ESCAPED_MAX(n) (2 * (size_t)(n))
/* Longest request this codec builds: IAC SB 44 code, 4 value bytes each
 * possibly doubled, IAC SE. */
#define RFC2217_REQUEST_MAX 14

/* ---- what the client sends ------------------------------------------- */

/* The opening requests, as pySerial sends them: DO ECHO, WILL SGA, DO SGA,
 * DO COM-PORT-OPTION, WILL COM-PORT-OPTION. Returns the length (15), or 0
 * if cap is too small. */
size_t rfc2217_encode_hello(uint8_t *out, size_t cap);

/* IAC SB 44 <command> <value…> IAC SE with 0xFF in the value doubled.
 * Returns the length, or 0 if cap is too small. */
size_t rfc2217_encode_request(uint8_t command, const uint8_t *value, size_t len,
                              uint8_t *out, size_t cap);

/* The requests a client makes, built on rfc2217_encode_request. The baud
 * rate is big-endian on the wire. */
size_t rfc2217_encode_set_baud(uint32_t baud, uint8_t *out, size_t cap);
size_t rfc2217_encode_set_datasize(uint8_t bits, uint8_t *out, size_t cap);
size_t rfc2217_encode_set_parity(uint8_t parity, uint8_t *out, size_t cap); /* 1 none */
size_t rfc2217_encode_set_stopsize(uint8_t stop, uint8_t *out, size_t cap); /* 1 one */
size_t rfc2217_encode_set_dtr(bool on, uint8_t *out, size_t cap);
size_t rfc2217_encode_set_rts(bool on, uint8_t *out, size_t cap);
size_t rfc2217_encode_purge(uint8_t which, uint8_t *out, size_t cap);

/* Data for the serial line, with every 0xFF doubled. `out` must hold
 * RFC2217_ESCAPED_MAX(n) bytes. Returns the bytes written. */
size_t rfc2217_escape(const uint8_t *in, size_t n, uint8_t *out);

/* ---- what the server sends -------------------------------------------- */

enum rfc2217_event_kind {
    RFC2217_EV_NONE,        /* nothing complete yet: feed more */
    RFC2217_EV_DATA,        /* serial data; points into the caller's input */
    RFC2217_EV_OPTION,      /* IAC WILL/WONT/DO/DONT <option> */
    RFC2217_EV_SUBNEG,      /* IAC SB <option> <bytes> IAC SE, unescaped */
};

#define RFC2217_SUBNEG_CAP 64

struct rfc2217_event {
    enum rfc2217_event_kind kind;
    const uint8_t *data;    /* DATA: the bytes; SUBNEG: bytes after the option */
    size_t len;
    uint8_t verb;           /* OPTION: WILL/WONT/DO/DONT */
    uint8_t option;         /* OPTION and SUBNEG */
    bool truncated;         /* SUBNEG longer than RFC2217_SUBNEG_CAP; the rest dropped */
};

struct rfc2217_parser {
    int state;
    uint8_t verb;
    uint8_t sb_option;
    uint8_t sb[RFC2217_SUBNEG_CAP];
    size_t sb_len;
    bool sb_truncated;
};

void rfc2217_parser_init(struct rfc2217_parser *p);

/* Consumes input up to and including the next event and returns how many
 * bytes of `in` it used (at least one when n > 0); *ev says what, if
 * anything, completed. Call again with the rest until all is consumed.
 * Data and escaped 0xFF bytes come out as DATA events that point into `in`;
 * subnegotiation bytes point into the parser (valid until the next call). */
size_t rfc2217_parse(struct rfc2217_parser *p, const uint8_t *in, size_t n,
                     struct rfc2217_event *ev);

/* A COM-PORT-OPTION reply from the server: *command is the client request
 * it answers (code − 100), value/len its value bytes. False for anything
 * else (other options, client-direction codes, empty subnegotiations). */
bool rfc2217_server_reply(const struct rfc2217_event *ev, uint8_t *command,
                          const uint8_t **value, size_t *len);

/* ---- option negotiation ----------------------------------------------- */

enum rfc2217_option_state {
    RFC2217_OPTION_REFUSED,     /* never agree to it */
    RFC2217_OPTION_INACTIVE,    /* off, but agree if the server proposes it */
    RFC2217_OPTION_REQUESTED,   /* we asked; waiting for the answer */
    RFC2217_OPTION_ACTIVE,
};

/* Per option: `we` = our side performs it (WILL), `they` = the server does (DO). */
struct rfc2217_negotiation {
    uint8_t we[4], they[4];     /* enum rfc2217_option_state; BINARY, ECHO, SGA, COM-PORT */
    bool com_port_refused;      /* DONT COM-PORT-OPTION: it takes no commands from us */
};

/* The state right after rfc2217_encode_hello() was sent. */
void rfc2217_negotiation_init(struct rfc2217_negotiation *n);

/* Takes an OPTION event from the server and writes the answer it needs into
 * out (at most 3 bytes) — often none. Returns the answer's length. */
size_t rfc2217_negotiate(struct rfc2217_negotiation *n, uint8_t verb,
                         uint8_t option, uint8_t out[3]);

/* The server has agreed to take COM-PORT-OPTION commands from us (DO
 * COM-PORT-OPTION), whatever it said about sending its own (WILL/WONT). */
bool rfc2217_com_port_ready(const struct rfc2217_negotiation *n);

#endif
