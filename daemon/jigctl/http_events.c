/* The event stream: libcurl delivers the body, api_sse_parser frames it
 * into events. A refusal (not 200) is read whole instead, so that jigd's
 * own explanation reaches the user. */
#include "http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http_transfer.h"

#define REFUSAL_MAX 4096

struct stream {
    bool checked, refused;      /* the status is known; it is not 200 */
    bool done;                  /* the event callback had what it wanted */
    size_t refusal_len;
    char refusal[REFUSAL_MAX];
    struct sse_parser parser;   /* large: the stream lives on the heap */
};

static bool on_stream_bytes(struct http_transfer *t, const char *data, size_t len)
{
    struct stream *s = t->req->ctx;
    if (!s->checked) {
        s->checked = true;
        s->refused = http_transfer_status(t) != 200;
    }
    if (s->refused) {
        size_t room = sizeof s->refusal - 1 - s->refusal_len;
        size_t n = len < room ? len : room;
        memcpy(s->refusal + s->refusal_len, data, n);
        s->refusal_len += n;
        s->refusal[s->refusal_len] = '\0';
        return true;
    }
    switch (sse_parser_feed(&s->parser, data, len, NULL)) {
    case SSE_OK:
        return true;
    case SSE_STOPPED:
        s->done = true;
        return http_transfer_done(t);
    case SSE_ERROR:
    default:
        return http_transfer_fail(t, HTTP_CLIENT_PROTOCOL, "bad event stream from %s: %s",
                                  t->client->url, s->parser.error);
    }
}

/* jigd explains refusals as {"error": "...", "hint": "..."}: pass its words on. */
static int refused(const struct stream *s, int status, char *err, size_t errlen)
{
    cJSON *o = cJSON_ParseWithLength(s->refusal, s->refusal_len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (cJSON_IsString(e))
        snprintf(err, errlen, "jigd refused the event stream (HTTP %d): %s", status,
                 e->valuestring);
    else
        snprintf(err, errlen, "jigd refused the event stream (HTTP %d)", status);
    cJSON_Delete(o);
    return HTTP_CLIENT_STREAM;
}

int http_client_events(const struct http_client *c, const char *path,
                       const char *last_event_id, int idle_ms,
                       sse_event_fn on_event, void *ctx,
                       char *err, size_t errlen)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return HTTP_CLIENT_PROTOCOL;
    }
    sse_parser_init(&s->parser, on_event, ctx);
    struct http_request req = {
        .method = "GET", .path = path, .accept = "text/event-stream",
        .last_event_id = last_event_id, .idle_ms = idle_ms,
        .on_body = on_stream_bytes, .ctx = s,
    };
    int status;
    int r = http_transfer_run(c, &req, &status, NULL, 0, err, errlen);
    if (!r && status != 200)
        r = refused(s, status, err, errlen);
    else if (!r && !s->done) {
        snprintf(err, errlen, "jigd at %s closed the event stream", c->url);
        r = HTTP_CLIENT_STREAM;
    }
    free(s);
    return r;
}
