/* Server-Sent Events stream parser (the text/event-stream format of the
 * WHATWG HTML spec), as jigctl reads GET /api/v1/events.
 *
 * Bytes go in in any split; complete events come out through a callback.
 * Lines may end in LF, CRLF or CR (a CR at the end of one chunk and an LF at
 * the start of the next are one line end). Sizes are bounded: a line or an
 * event's data longer than the limits is an error, not a reallocation, so a
 * hostile or broken server cannot make the client eat memory.
 *
 * No dependencies: the fuzzer links this file alone. */
#ifndef JIGD_API_SSE_PARSER_H
#define JIGD_API_SSE_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#define SSE_LINE_MAX (16u * 1024u)
#define SSE_DATA_MAX (64u * 1024u)
#define SSE_FIELD_MAX 128u          /* event type and id */

struct sse_event {
    const char *type;       /* "message" when the stream named none */
    const char *id;         /* the last id seen on the stream, "" if none */
    const char *data;       /* lines joined with '\n', NUL-terminated */
    size_t data_len;
};

/* Returns 0 to go on, anything else to stop feeding (sse_parser_feed then
 * returns SSE_STOPPED and keeps the unread bytes unread). */
typedef int (*sse_event_fn)(void *ctx, const struct sse_event *ev);

enum sse_feed_result { SSE_OK = 0, SSE_STOPPED = 1, SSE_ERROR = -1 };

struct sse_parser {
    sse_event_fn on_event;
    void *ctx;
    unsigned long comments;         /* comment lines seen (heartbeats) */
    long retry_ms;                  /* last "retry:" value, -1 none */
    char error[96];                 /* why SSE_ERROR */
    /* private */
    bool started, after_cr, failed;
    size_t line_len, data_len;
    char type[SSE_FIELD_MAX];
    char last_id[SSE_FIELD_MAX];
    char line[SSE_LINE_MAX + 1];
    char data[SSE_DATA_MAX + 1];
};

void sse_parser_init(struct sse_parser *p, sse_event_fn on_event, void *ctx);

/* Feeds `len` bytes. On SSE_STOPPED, *used says how many were consumed
 * (pass NULL if you do not care). After SSE_ERROR the parser stays failed. */
enum sse_feed_result sse_parser_feed(struct sse_parser *p, const char *buf,
                                     size_t len, size_t *used);

#endif
