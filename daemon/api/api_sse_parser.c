/* SSE parser: a line assembler feeding a field interpreter. */
#include "api_sse_parser.h"

#include <stdio.h>
#include <string.h>

void sse_parser_init(struct sse_parser *p, sse_event_fn on_event, void *ctx)
{
    memset(p, 0, offsetof(struct sse_parser, line));
    p->on_event = on_event;
    p->ctx = ctx;
    p->retry_ms = -1;
    p->line[0] = p->data[0] = '\0';
}

static int fail(struct sse_parser *p, const char *why)
{
    snprintf(p->error, sizeof p->error, "%s", why);
    p->failed = true;
    return SSE_ERROR;
}

static void set_field(char *dst, const char *v, size_t len)
{
    if (len >= SSE_FIELD_MAX)
        len = SSE_FIELD_MAX - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static int dispatch(struct sse_parser *p)
{
    if (p->data_len == 0) {     /* no data: the spec drops the event */
        p->type[0] = '\0';
        return SSE_OK;
    }
    p->data[--p->data_len] = '\0';      /* the last line's '\n' */
    struct sse_event ev = {
        .type = p->type[0] ? p->type : "message",
        .id = p->last_id,
        .data = p->data,
        .data_len = p->data_len,
    };
    int stop = p->on_event ? p->on_event(p->ctx, &ev) : 0;
    p->type[0] = '\0';
    p->data_len = 0;
    p->data[0] = '\0';
    return stop ? SSE_STOPPED : SSE_OK;
}

static int field(struct sse_parser *p, const char *line, size_t len)
{
    if (len == 0)
        return dispatch(p);
    if (line[0] == ':') {
        p->comments++;
        return SSE_OK;
    }
    const char *colon = memchr(line, ':', len);
    size_t nlen = colon ? (size_t)(colon - line) : len;
    const char *v = colon ? colon + 1 : line + len;
    size_t vlen = (size_t)(line + len - v);
    if (vlen && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (nlen == 5 && !memcmp(line, "event", 5)) {
        set_field(p->type, v, vlen);
    } else if (nlen == 4 && !memcmp(line, "data", 4)) {
        if (p->data_len + vlen + 1 > SSE_DATA_MAX)
            return fail(p, "an event's data is larger than 64 KiB");
        memcpy(p->data + p->data_len, v, vlen);
        p->data_len += vlen;
        p->data[p->data_len++] = '\n';
        p->data[p->data_len] = '\0';
    } else if (nlen == 2 && !memcmp(line, "id", 2)) {
        if (!memchr(v, '\0', vlen))     /* the spec ignores ids with NUL */
            set_field(p->last_id, v, vlen);
    } else if (nlen == 5 && !memcmp(line, "retry", 5)) {
        long ms = 0;
        size_t i = 0;
        for (; i < vlen && v[i] >= '0' && v[i] <= '9' && ms < 100000000; i++)
            ms = ms * 10 + (v[i] - '0');
        if (vlen && i == vlen)
            p->retry_ms = ms;
    }
    /* Unknown fields are ignored, as the spec says. */
    return SSE_OK;
}

enum sse_feed_result sse_parser_feed(struct sse_parser *p, const char *buf,
                                     size_t len, size_t *used)
{
    static const char bom[] = "\xEF\xBB\xBF";
    size_t i = 0;
    if (used)
        *used = 0;
    if (p->failed)
        return SSE_ERROR;
    while (i < len) {
        char c = buf[i++];
        if (!p->started) {
            /* A UTF-8 byte order mark may open the stream; the line buffer
             * holds its first bytes until we know. */
            if (p->line_len < 3 && c == bom[p->line_len]) {
                p->line[p->line_len] = c;
                if (++p->line_len == 3) {
                    p->line_len = 0;
                    p->started = true;
                }
                continue;
            }
            p->started = true;
        }
        if (p->after_cr) {
            p->after_cr = false;
            if (c == '\n')
                continue;
        }
        if (c == '\r' || c == '\n') {
            p->after_cr = c == '\r';
            p->line[p->line_len] = '\0';
            int r = field(p, p->line, p->line_len);
            p->line_len = 0;
            if (r != SSE_OK) {
                if (used)
                    *used = i;
                return r;
            }
            continue;
        }
        if (p->line_len >= SSE_LINE_MAX)
            return fail(p, "a line of the event stream is longer than 16 KiB");
        p->line[p->line_len++] = c;
    }
    if (used)
        *used = i;
    return SSE_OK;
}
