/* Fuzzes the RFC 2217 stream parser and negotiation: any byte stream, cut
 * anywhere, must parse to the same data and events as when fed whole; data
 * events stay inside the input; escaped data always parses back to itself;
 * negotiation answers are well formed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2217.h"

#define MAX_OUT 4096

struct trace {
    uint8_t bytes[MAX_OUT * 2];
    size_t len;
};

static void note(struct trace *t, const uint8_t *p, size_t n)
{
    if (t->len + n > sizeof t->bytes)
        n = sizeof t->bytes - t->len;
    memcpy(t->bytes + t->len, p, n);
    t->len += n;
}

/* Data bytes go in as-is; events go in as a marker and their fields, so
 * two traces are equal only if data and events agree in order. */
static void record(struct trace *t, struct rfc2217_negotiation *neg,
                   const struct rfc2217_event *ev)
{
    uint8_t head[4];
    switch (ev->kind) {
    case RFC2217_EV_NONE:
        return;
    case RFC2217_EV_DATA:
        note(t, (const uint8_t *)"D", 1);
        note(t, ev->data, ev->len);
        return;
    case RFC2217_EV_OPTION: {
        uint8_t answer[3];
        size_t k = rfc2217_negotiate(neg, ev->verb, ev->option, answer);
        if (k != 0 && (k != 3 || answer[0] != RFC2217_IAC || answer[1] < RFC2217_WILL ||
                       answer[2] != ev->option))
            abort();
        head[0] = 'O', head[1] = ev->verb, head[2] = ev->option, head[3] = (uint8_t)k;
        note(t, head, 4);
        return;
    }
    case RFC2217_EV_SUBNEG: {
        if (ev->len > RFC2217_SUBNEG_CAP)
            abort();
        uint8_t cmd;
        const uint8_t *value;
        size_t len;
        if (rfc2217_server_reply(ev, &cmd, &value, &len) && len + 1 != ev->len)
            abort();
        head[0] = 'S', head[1] = ev->option, head[2] = ev->truncated, head[3] = (uint8_t)ev->len;
        note(t, head, 4);
        note(t, ev->data, ev->len);
        return;
    }
    }
}

/* Parses `in` in pieces of `chunk` bytes (0 = whole). Data events are
 * merged so that different cuts compare equal. */
static void parse(const uint8_t *in, size_t n, size_t chunk, struct trace *t)
{
    struct rfc2217_parser p;
    struct rfc2217_negotiation neg;
    rfc2217_parser_init(&p);
    rfc2217_negotiation_init(&neg);
    memset(t, 0, sizeof *t);
    uint8_t pending[MAX_OUT];
    size_t pending_len = 0;

    for (size_t off = 0; off < n;) {
        size_t piece = chunk && n - off > chunk ? chunk : n - off;
        size_t used = 0;
        while (used < piece) {
            struct rfc2217_event ev;
            size_t k = rfc2217_parse(&p, in + off + used, piece - used, &ev);
            if (k == 0 || k > piece - used)
                abort();
            if (ev.kind == RFC2217_EV_DATA) {
                if (ev.data < in + off + used || ev.data + ev.len > in + off + used + k ||
                    ev.len == 0)
                    abort();
                size_t room = sizeof pending - pending_len;
                size_t take = ev.len < room ? ev.len : room;
                memcpy(pending + pending_len, ev.data, take);
                pending_len += take;
            } else if (ev.kind != RFC2217_EV_NONE) {
                struct rfc2217_event d = {.kind = RFC2217_EV_DATA, .data = pending,
                                          .len = pending_len};
                if (pending_len)
                    record(t, &neg, &d);
                pending_len = 0;
                record(t, &neg, &ev);
            }
            used += k;
        }
        off += piece;
    }
    struct rfc2217_event d = {.kind = RFC2217_EV_DATA, .data = pending, .len = pending_len};
    if (pending_len)
        record(t, &neg, &d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_OUT)
        return 0;
    size_t chunk = data[0] % 17 + 1;
    const uint8_t *in = data + 1;
    size_t n = size - 1;

    static struct trace whole, cut;
    parse(in, n, 0, &whole);
    parse(in, n, chunk, &cut);
    if (whole.len != cut.len || memcmp(whole.bytes, cut.bytes, whole.len))
        abort();

    /* Escaped data is pure data again. */
    static uint8_t escaped[RFC2217_ESCAPED_MAX(MAX_OUT)];
    size_t e = rfc2217_escape(in, n, escaped);
    static struct trace back;
    parse(escaped, e, chunk, &back);
    if (n == 0 ? back.len != 0
               : back.len != n + 1 || back.bytes[0] != 'D' || memcmp(back.bytes + 1, in, n))
        abort();
    return 0;
}
