/* The head of an HTTP/1.x request (request line and header fields), read
 * from the raw bytes exactly as the client sent them, and strictly.
 *
 * jigd reads every request head with this parser before libmicrohttpd sees
 * a byte of it, because libmicrohttpd 0.9.75 takes a bare LF (or a bare CR)
 * for a line end and keeps whichever of two Content-Length headers suits
 * it: two parsers that disagree about where a request ends are how
 * requests get smuggled. So anything this parser is unsure of is refused,
 * and what it accepts, any HTTP/1.1 parser reads the same way:
 *   - lines end in CRLF; a lone CR or LF anywhere is refused;
 *   - request line: METHOD SP target SP HTTP/1.0|1.1, single spaces, a
 *     target of visible ASCII only;
 *   - fields: name ":" OWS value OWS, a name of token characters and no
 *     space before the colon, a value without control characters; no
 *     folded (continuation) lines;
 *   - at most HTTP_HEAD_MAX bytes and HTTP_HEAD_MAX_FIELDS fields.
 *
 * No I/O, no allocation: the result points into the caller's buffer. */
#ifndef JIGD_HTTP_HEAD_H
#define JIGD_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192u         /* request line + fields + blank line */
#define HTTP_HEAD_MAX_FIELDS 48u
#define HTTP_TARGET_MAX 2048u
#define HTTP_METHOD_MAX 16u

struct http_slice {
    const char *p;
    size_t n;
};

struct http_field {
    struct http_slice name, value;  /* value without surrounding spaces */
};

struct http_head {
    struct http_slice method, target;
    unsigned minor;                 /* HTTP/1.minor: 0 or 1 */
    struct http_field fields[HTTP_HEAD_MAX_FIELDS];
    size_t n_fields;
    size_t len;                     /* bytes of the head, blank line included */
};

enum http_head_result {
    HTTP_HEAD_PARTIAL,      /* no blank line yet, and nothing wrong so far */
    HTTP_HEAD_DONE,         /* a whole, well-formed head */
    HTTP_HEAD_BAD,          /* refused: see the error */
};

/* Why a head was refused: an HTTP status and two constant sentences. */
struct http_head_error {
    unsigned status;        /* 400, 414, 431, 501 or 505 */
    const char *error;
    const char *hint;
};

/* Parses the first `len` bytes a client sent. PARTIAL means "wait for
 * more" (the caller bounds the wait); a refusal is given as soon as the
 * bytes seen so far cannot start a valid head. */
enum http_head_result http_head_parse(const char *buf, size_t len,
                                      struct http_head *head,
                                      struct http_head_error *why);

/* Case-insensitive comparisons of a slice, for field names and tokens. */
bool http_slice_is(struct http_slice s, const char *text);

#endif
