/* Fuzzes the SSE stream parser jigctl reads jigd's events with
 * (daemon/api/api_sse_parser.c). The first byte picks a split point; the
 * stream fed whole and fed in two pieces must give the same events, in
 * the same order, and never overrun its bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_sse_parser.h"

struct digest {
    uint64_t hash;
    size_t events;
};

static void mix(struct digest *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        d->hash = (d->hash ^ b[i]) * 1099511628211ull;
    d->hash = (d->hash ^ 0xff) * 1099511628211ull;
}

static int on_event(void *ctx, const struct sse_event *ev)
{
    struct digest *d = ctx;
    if (ev->data_len > SSE_DATA_MAX || ev->data[ev->data_len] != '\0' ||
        strlen(ev->type) >= SSE_FIELD_MAX || strlen(ev->id) >= SSE_FIELD_MAX)
        abort();
    mix(d, ev->type, strlen(ev->type));
    mix(d, ev->id, strlen(ev->id));
    mix(d, ev->data, ev->data_len);
    d->events++;
    return 0;
}

static struct sse_parser a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cut = data[0] % size;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    if (cut > len)
        cut = len;
    struct digest whole = {14695981039346656037ull, 0}, split = whole;
    sse_parser_init(&a, on_event, &whole);
    sse_parser_init(&b, on_event, &split);
    enum sse_feed_result ra = sse_parser_feed(&a, s, len, NULL);
    enum sse_feed_result rb = sse_parser_feed(&b, s, cut, NULL);
    if (rb == SSE_OK)
        rb = sse_parser_feed(&b, s + cut, len - cut, NULL);
    if (ra != rb || whole.hash != split.hash || whole.events != split.events ||
        a.comments != b.comments || a.retry_ms != b.retry_ms)
        abort();
    return 0;
}
