/* The strict request-head parser; see http_head.h for the rules and why
 * jigd has its own. One pass to find the end and refuse stray line ends,
 * then one over the lines. */
#include "http_head.h"

#include <string.h>
#include <strings.h>

static const char crlf_hint[] =
    "end every line of the request with CRLF (\\r\\n), as HTTP/1.1 requires";

static enum http_head_result refuse(struct http_head_error *why, unsigned status,
                                    const char *error, const char *hint)
{
    why->status = status;
    why->error = error;
    why->hint = hint;
    return HTTP_HEAD_BAD;
}

/* RFC 9110 tchar: what a method or a field name is made of. */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool http_slice_is(struct http_slice s, const char *text)
{
    size_t n = strlen(text);
    return s.n == n && !strncasecmp(s.p, text, n);
}

/* The end of the head (just past the blank line), 0 if it is not in the
 * buffer yet, or -1 with `why` set: a CR not followed by LF or an LF not
 * preceded by CR is refused wherever it is, without waiting for more. */
static long find_end(const char *buf, size_t len, struct http_head_error *why)
{
    size_t limit = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
    for (size_t i = 0; i < limit; i++) {
        if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r')) {
            refuse(why, 400, "a line of the request ends in a bare LF", crlf_hint);
            return -1;
        }
        if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n') {
            refuse(why, 400, "the request holds a CR that does not end a line", crlf_hint);
            return -1;
        }
        if (i >= 3 && !memcmp(buf + i - 3, "\r\n\r\n", 4))
            return (long)(i + 1);
    }
    if (len >= HTTP_HEAD_MAX) {
        refuse(why, 431, "the request head is larger than 8 KiB",
               "send the method, path and a few headers only");
        return -1;
    }
    return 0;
}

static enum http_head_result parse_request_line(const char *p, size_t n,
                                                struct http_head *h,
                                                struct http_head_error *why)
{
    static const char hint[] = "start with e.g. 'GET /api/v1/station HTTP/1.1'";
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != ' ')
        return refuse(why, 400, "the request line does not start with a method", hint);
    if (i > HTTP_METHOD_MAX)
        return refuse(why, 501, "the method is not one jigd knows", hint);
    h->method = (struct http_slice){p, i};
    size_t t = ++i;
    while (i < n && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
        i++;
    if (i == t || i >= n || p[i] != ' ')
        return refuse(why, 400, "the request target is missing or holds a space, "
                      "a control or a non-ASCII character",
                      "percent-encode the path; separate method, path and version "
                      "with one space each");
    if (i - t > HTTP_TARGET_MAX)
        return refuse(why, 414, "the request target is longer than 2048 bytes",
                      "the API's paths are short; see docs/api.md");
    h->target = (struct http_slice){p + t, i - t};
    const char *v = p + i + 1;
    size_t vn = n - i - 1;
    if (vn != 8 || memcmp(v, "HTTP/", 5) || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
        v[7] < '0' || v[7] > '9')
        return refuse(why, 400, "the request line does not end in an HTTP version", hint);
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return refuse(why, 505, "jigd speaks HTTP/1.1 (and 1.0) only",
                      "send HTTP/1.1 requests");
    h->minor = (unsigned)(v[7] - '0');
    return HTTP_HEAD_DONE;
}

static enum http_head_result parse_field(const char *p, size_t n, struct http_head *h,
                                         struct http_head_error *why)
{
    if (p[0] == ' ' || p[0] == '\t')
        return refuse(why, 400, "a header is continued on the next line (obsolete "
                      "line folding)", "put each header on one line");
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != ':')
        return refuse(why, 400, "a header line is not 'Name: value' (no space before "
                      "the colon)", "write each header as e.g. 'Host: 127.0.0.1:8080'");
    struct http_slice name = {p, i};
    size_t v = i + 1, end = n;
    while (v < end && (p[v] == ' ' || p[v] == '\t'))
        v++;
    while (end > v && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    for (size_t k = v; k < end; k++) {
        unsigned char c = (unsigned char)p[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return refuse(why, 400, "a header value holds a control character",
                          "send header values as printable text");
    }
    if (h->n_fields >= HTTP_HEAD_MAX_FIELDS)
        return refuse(why, 431, "the request has more than 48 headers",
                      "send only the headers the API needs");
    h->fields[h->n_fields++] = (struct http_field){name, {p + v, end - v}};
    return HTTP_HEAD_DONE;
}

enum http_head_result http_head_parse(const char *buf, size_t len,
                                      struct http_head *head,
                                      struct http_head_error *why)
{
    memset(head, 0, sizeof *head);
    long end = find_end(buf, len, why);
    if (end < 0)
        return HTTP_HEAD_BAD;
    if (end == 0)
        return HTTP_HEAD_PARTIAL;
    head->len = (size_t)end;
    if (buf[0] == '\r')
        return refuse(why, 400, "the request starts with an empty line",
                      "send the request line first");
    /* Every line ends in CRLF (find_end saw to it); the last one is the
     * blank line. */
    const char *p = buf, *stop = buf + end - 2;
    bool first = true;
    while (p < stop) {
        const char *eol = memchr(p, '\r', (size_t)(stop - p));
        size_t n = (size_t)(eol - p);
        enum http_head_result r = first ? parse_request_line(p, n, head, why)
                                        : parse_field(p, n, head, why);
        if (r != HTTP_HEAD_DONE)
            return r;
        first = false;
        p = eol + 2;
    }
    return HTTP_HEAD_DONE;
}
