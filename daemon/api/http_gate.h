/* The front door of the HTTP server: the listening socket, and every
 * connection from accept until its request head has been judged.
 *
 * A connection waits here (costing a file descriptor and a few bytes, no
 * buffer: the head is read with MSG_PEEK, so the bytes stay in the socket
 * for MHD) until its head is complete. The head is then judged by
 * http_check_bytes; a refusal, a client over its limits, or a server with
 * no room is answered right here, and only a request that may be served is
 * handed to MHD (MHD_add_connection), which reads it again from the socket.
 *
 * What keeps one client from locking out the others:
 *   - a head must be complete within head_timeout_ms of connecting, however
 *     slowly its bytes keep coming (slowloris);
 *   - at most max_waiting connections wait; when full, the one that has
 *     waited longest goes. One address may hold per_ip waiting ones; its
 *     next connection pushes out its own oldest;
 *   - requests and event streams are counted apart (max_requests,
 *     max_streams), and per address (per_ip of each), so subscribers cannot
 *     take the room plain requests need. Over a limit: 429 (that address)
 *     or 503 (everyone), at once, and the connection is closed. */
#ifndef JIGD_HTTP_GATE_H
#define JIGD_HTTP_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "http_internal.h"

/* Binds host:port (the first address that works; with `loopback_only`,
 * only a loopback one) and listens. Returns the socket, or -1 with a
 * sentence in err. *bound is the port bound. */
int http_gate_listen(const char *host, uint16_t port, bool loopback_only,
                     uint16_t *bound, char *err, size_t errlen);

/* Starts accepting on `listen_fd` (the gate owns it from now on). */
struct http_gate *http_gate_start(struct http_server *srv, int listen_fd);

/* Closes the listening socket and every waiting connection; `done` runs
 * once the loop has released the gate's handles. Connections handed to
 * MHD are MHD's to close (before this). */
void http_gate_close(struct http_gate *g, void (*done)(void *ctx), void *ctx);

/* MHD's connection notifications (MHD_OPTION_NOTIFY_CONNECTION). */
void http_gate_conn_started(struct http_gate *g, void **socket_context);
void http_gate_conn_closed(struct http_gate *g, void *socket_context);

/* What the gate found in a connection it handed to MHD. */
const struct http_verdict *http_conn_verdict(const struct http_conn *c);

#endif
