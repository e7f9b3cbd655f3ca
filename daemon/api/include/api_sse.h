/* GET /api/v1/events: the event bus as a Server-Sent Events stream.
 *
 * Each client is an MHD response fed by a content-reader callback that
 * reads the bus through its own cursor. With nothing to send the callback
 * suspends the connection; a publish (or the heartbeat timer) resumes it.
 * No thread, no blocking: a client that stops reading only ever costs its
 * own socket buffer and a cursor; once it is more than `max_backlog` events
 * behind it gets a final "overflow" event and is dropped. */
#ifndef JIGD_API_SSE_H
#define JIGD_API_SSE_H

#include <stddef.h>

#include "event_bus.h"
#include "http_server.h"

#define API_SSE_DEFAULT_HEARTBEAT_MS 15000u
#define API_SSE_DEFAULT_MAX_CLIENTS 32u
#define API_SSE_DEFAULT_MAX_BACKLOG 256u
#define API_SSE_DEFAULT_OVERFLOW_GRACE_S 5u
/* Linux would let a stalled stream's socket grow to megabytes (tcp_wmem);
 * a small fixed buffer keeps the backlog in the bus, where it is counted. */
#define API_SSE_DEFAULT_SNDBUF (64 * 1024)

struct api_sse_options {
    unsigned heartbeat_ms;      /* comment line this often; 0 = default */
    size_t max_clients;         /* further streams get 503; 0 = default */
    size_t max_backlog;         /* events a client may lag; 0 = default */
    unsigned overflow_grace_s;  /* an overflowed client that reads nothing
                                   is closed after this; 0 = default */
    int sndbuf;                 /* kernel send buffer per stream, bytes;
                                   0 = default */
};

struct api_sse;

/* Registers GET /api/v1/events on `srv`. */
struct api_sse *api_sse_start(struct http_server *srv, struct event_bus *bus,
                              const struct api_sse_options *opt);
/* After the server has stopped (every stream is gone): releases the rest.
 * `done` runs once the loop has closed the timers. */
void api_sse_free(struct api_sse *sse, void (*done)(void *ctx), void *ctx);

size_t api_sse_client_count(const struct api_sse *sse);

/* After the server's tokens changed (http_server_set_tokens): ends each
 * stream whose token is no longer valid, with a last `station` event, so a
 * revoked token stops receiving events at once, not at its reconnection. */
void api_sse_check_tokens(struct api_sse *sse);

#endif
