/* esptool's stub JSON (rom-protocol.md §9.5), read by a small recursive
 * JSON reader so protocol/ needs no JSON library. Only the top-level keys
 * entry, text, text_start, data and data_start matter; anything else,
 * including nested plugin tables that reuse the names "text" and
 * "text_start", is checked for well-formedness and skipped. */
#include "stub_image.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base64_stream.h"

/* esptool-js nests three levels deep; this only bounds hostile input. */
#define MAX_DEPTH 32

struct reader {
    const char *s;
    size_t len, pos;
    uint8_t *storage;
    size_t cap, used;
    char *err;
    size_t errlen;
    bool failed;
};

static int fail(struct reader *r, const char *fmt, ...)
{
    if (!r->failed && r->err && r->errlen) {
        int n = snprintf(r->err, r->errlen, "stub JSON, byte %zu: ", r->pos);
        if (n >= 0 && (size_t)n < r->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    r->failed = true;
    return -1;
}

/* A byte as an error message can show it: 'x', or 0xNN for the rest. */
static const char *shown(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7F)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", u);
    return buf;
}

static bool at_end(const struct reader *r)
{
    return r->pos >= r->len;
}

static char peek(const struct reader *r)
{
    return at_end(r) ? '\0' : r->s[r->pos];
}

static void skip_ws(struct reader *r)
{
    while (!at_end(r) && (peek(r) == ' ' || peek(r) == '\t' ||
                          peek(r) == '\n' || peek(r) == '\r'))
        r->pos++;
}

static int expect(struct reader *r, char c, const char *what)
{
    skip_ws(r);
    if (peek(r) != c || at_end(r))
        return fail(r, "expected %s", what);
    r->pos++;
    return 0;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Moves past a string whose opening quote is at pos; *body and *body_len
 * receive the raw bytes between the quotes (escapes left as written). */
static int scan_string(struct reader *r, const char **body, size_t *body_len)
{
    if (expect(r, '"', "a string") < 0)
        return -1;
    size_t start = r->pos;
    while (!at_end(r)) {
        unsigned char c = (unsigned char)r->s[r->pos];
        if (c == '"') {
            *body = r->s + start;
            *body_len = r->pos - start;
            r->pos++;
            return 0;
        }
        if (c < 0x20)
            return fail(r, "control character inside a string");
        if (c == '\\') {
            r->pos++;
            char e = peek(r);
            if (at_end(r) || !strchr("\"\\/bfnrtu", e))
                return fail(r, "invalid escape in a string");
            if (e == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (r->pos + i >= r->len || !is_hex(r->s[r->pos + i]))
                        return fail(r, "invalid \\u escape in a string");
                r->pos += 4;
            }
        }
        r->pos++;
    }
    return fail(r, "unterminated string");
}

static int skip_value(struct reader *r, int depth);

static int skip_container(struct reader *r, int depth, char close, bool keyed)
{
    if (depth >= MAX_DEPTH)
        return fail(r, "nested deeper than %d levels", MAX_DEPTH);
    r->pos++;   /* the opening bracket */
    skip_ws(r);
    if (peek(r) == close && !at_end(r)) {
        r->pos++;
        return 0;
    }
    for (;;) {
        if (keyed) {
            const char *k;
            size_t kl;
            if (scan_string(r, &k, &kl) < 0 || expect(r, ':', "':' after a key") < 0)
                return -1;
        }
        if (skip_value(r, depth + 1) < 0)
            return -1;
        skip_ws(r);
        if (peek(r) == ',' && !at_end(r)) {
            r->pos++;
            continue;
        }
        return expect(r, close, close == '}' ? "',' or '}'" : "',' or ']'");
    }
}

static int skip_literal(struct reader *r, const char *word)
{
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
        return fail(r, "unexpected character %s", shown(peek(r), (char[8]){0}));
    r->pos += n;
    return 0;
}

static void skip_digits(struct reader *r)
{
    while (!at_end(r) && peek(r) >= '0' && peek(r) <= '9')
        r->pos++;
}

/* Any JSON number, by the grammar: -?int(.frac)?([eE][+-]?digits)? */
static int skip_number(struct reader *r)
{
    if (peek(r) == '-')
        r->pos++;
    if (!(peek(r) >= '0' && peek(r) <= '9') || at_end(r))
        return fail(r, "malformed number");
    skip_digits(r);
    if (peek(r) == '.' && !at_end(r)) {
        r->pos++;
        if (!(peek(r) >= '0' && peek(r) <= '9') || at_end(r))
            return fail(r, "malformed number");
        skip_digits(r);
    }
    if ((peek(r) == 'e' || peek(r) == 'E') && !at_end(r)) {
        r->pos++;
        if (peek(r) == '+' || peek(r) == '-')
            r->pos++;
        if (!(peek(r) >= '0' && peek(r) <= '9') || at_end(r))
            return fail(r, "malformed number");
        skip_digits(r);
    }
    return 0;
}

static int skip_value(struct reader *r, int depth)
{
    skip_ws(r);
    if (at_end(r))
        return fail(r, "unexpected end of input");
    const char *s;
    size_t n;
    switch (peek(r)) {
    case '{': return skip_container(r, depth, '}', true);
    case '[': return skip_container(r, depth, ']', false);
    case '"': return scan_string(r, &s, &n);
    case 't': return skip_literal(r, "true");
    case 'f': return skip_literal(r, "false");
    case 'n': return skip_literal(r, "null");
    case '-': return skip_number(r);
    default:
        if (peek(r) >= '0' && peek(r) <= '9')
            return skip_number(r);
        return fail(r, "unexpected character %s", shown(peek(r), (char[8]){0}));
    }
}

/* Addresses and the entry point: plain non-negative integers below 2^32. */
static int read_u32(struct reader *r, const char *key, uint32_t *out)
{
    skip_ws(r);
    size_t start = r->pos;
    if (!(peek(r) >= '0' && peek(r) <= '9') || at_end(r))
        return fail(r, "\"%s\" must be a non-negative integer", key);
    uint64_t v = 0;
    while (!at_end(r) && peek(r) >= '0' && peek(r) <= '9') {
        v = v * 10 + (uint64_t)(peek(r) - '0');
        if (v > UINT32_MAX)
            return fail(r, "\"%s\" does not fit in 32 bits", key);
        r->pos++;
    }
    char c = peek(r);
    if (!at_end(r) && (c == '.' || c == 'e' || c == 'E'))
        return fail(r, "\"%s\" must be an integer", key);
    if (r->pos - start > 1 && r->s[start] == '0')
        return fail(r, "\"%s\" has a leading zero", key);
    *out = (uint32_t)v;
    return 0;
}

/* Decodes a base64 string body into storage. JSON may write '/' as "\/"
 * and wrap lines with "\n"; those are the only escapes base64 can need.
 * Stricter than mbedTLS alone: padding must be right, or absent, and the
 * unused bits zero, as every encoder leaves them. */
static int read_base64(struct reader *r, const char *key, const uint8_t **out,
                       size_t *out_len)
{
    const char *b;
    size_t n;
    if (scan_string(r, &b, &n) < 0)
        return -1;
    struct base64_stream d;
    /* No storage at all (cap 0) is allowed: then there is no pointer to
     * offset, and the first byte decoded fails the room check. */
    base64_stream_init(&d, r->storage ? r->storage + r->used : NULL, r->cap - r->used);
    unsigned pads = 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (c == '\\') {
            c = b[++i];     /* scan_string guarantees a valid escape */
            if (c == 'n' || c == 'r')
                continue;
            if (c != '/')
                return fail(r, "\"%s\": unexpected escape in base64", key);
        }
        if (c == '=') {
            pads++;
            continue;
        }
        if (!base64_is_alphabet(c))
            return fail(r, "\"%s\": %s is not a base64 character", key,
                        shown(c, (char[8]){0}));
        if (pads)
            return fail(r, "\"%s\": base64 data after '=' padding", key);
        if (base64_stream_push(&d, c) < 0)
            return fail(r, "\"%s\": decoded segment does not fit in %zu bytes of storage",
                        key, r->cap);
    }
    /* Padding completes the quantum the held characters began. */
    unsigned want_pads = d.held ? 4 - d.held : 0;
    bool exact;
    if (base64_stream_end(&d, &exact) < 0 || !exact)
        return fail(r, "\"%s\": truncated or malformed base64", key);
    if (pads > 2 || (pads && pads != want_pads))
        return fail(r, "\"%s\": wrong base64 padding", key);
    *out = d.len ? r->storage + r->used : NULL;
    *out_len = d.len;
    r->used += d.len;
    return 0;
}

enum key_bit {
    KEY_ENTRY = 1, KEY_TEXT = 2, KEY_TEXT_START = 4, KEY_DATA = 8, KEY_DATA_START = 16,
};

static bool key_is(const char *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

static int read_member(struct reader *r, struct stub_image *out, unsigned *seen)
{
    const char *k;
    size_t kl;
    if (scan_string(r, &k, &kl) < 0 || expect(r, ':', "':' after a key") < 0)
        return -1;

    static const struct { const char *name; unsigned bit; } known[] = {
        {"entry", KEY_ENTRY}, {"text", KEY_TEXT}, {"text_start", KEY_TEXT_START},
        {"data", KEY_DATA}, {"data_start", KEY_DATA_START},
    };
    unsigned bit = 0;
    const char *name = NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (key_is(k, kl, known[i].name))
            bit = known[i].bit, name = known[i].name;
    if (bit == 0)
        return skip_value(r, 1);
    if (*seen & bit)
        return fail(r, "key \"%s\" appears twice", name);
    *seen |= bit;

    skip_ws(r);
    switch (bit) {
    case KEY_ENTRY: return read_u32(r, name, &out->entry);
    case KEY_TEXT_START: return read_u32(r, name, &out->text_start);
    case KEY_DATA_START: return read_u32(r, name, &out->data_start);
    case KEY_TEXT: return read_base64(r, name, &out->text, &out->text_len);
    default: return read_base64(r, name, &out->data, &out->data_len);
    }
}

static int check_complete(struct reader *r, const struct stub_image *out, unsigned seen)
{
    if (!(seen & KEY_ENTRY))
        return fail(r, "missing \"entry\"");
    if (!(seen & KEY_TEXT) || out->text_len == 0)
        return fail(r, "missing or empty \"text\"");
    if (!(seen & KEY_TEXT_START))
        return fail(r, "missing \"text_start\"");
    if ((seen & KEY_DATA) && out->data_len && !(seen & KEY_DATA_START))
        return fail(r, "\"data\" without \"data_start\"");
    return 0;
}

int stub_image_parse(const char *json, size_t len, uint8_t *storage, size_t cap,
                     struct stub_image *out, char *err, size_t errlen)
{
    struct reader r = {.s = json, .len = len, .storage = storage, .cap = cap,
                       .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    *out = (struct stub_image){0};

    unsigned seen = 0;
    if (expect(&r, '{', "'{' to open the stub object") < 0)
        goto bad;
    skip_ws(&r);
    if (peek(&r) == '}' && !at_end(&r)) {
        r.pos++;
    } else {
        for (;;) {
            if (read_member(&r, out, &seen) < 0)
                goto bad;
            skip_ws(&r);
            if (peek(&r) == ',' && !at_end(&r)) {
                r.pos++;
                continue;
            }
            if (expect(&r, '}', "',' or '}'") < 0)
                goto bad;
            break;
        }
    }
    skip_ws(&r);
    if (!at_end(&r)) {
        fail(&r, "unexpected text after the stub object");
        goto bad;
    }
    if (check_complete(&r, out, seen) < 0)
        goto bad;
    if (!out->data)
        out->data_start = 0;
    return 0;
bad:
    *out = (struct stub_image){0};
    return -1;
}
