/* jigctl's HTTP client: JSON requests and a Server-Sent Events reader on
 * libcurl, with a deadline on every wait. No TLS: jigd serves plain HTTP on
 * the station (reach a remote one through SSH).
 *
 * Every failure comes back as a sentence that says what to check, in the
 * manner of curl: "cannot reach jigd at http://127.0.0.1:8080: connection
 * refused — is jigd running? (systemctl status jigd)".
 *
 * Calls may run on several threads at once (the API tests do): each makes
 * its own transfer and only reads the struct http_client. */
#ifndef JIGD_HTTP_CLIENT_H
#define JIGD_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "api_sse_parser.h"

#define HTTP_CLIENT_DEFAULT_URL "http://127.0.0.1:8080"
#define HTTP_CLIENT_DEFAULT_PORT "8080"
#define HTTP_CLIENT_DEFAULT_TIMEOUT_MS 10000
#define HTTP_CLIENT_MAX_BODY (8u * 1024u * 1024u)

enum http_client_status {
    HTTP_CLIENT_OK = 0,
    HTTP_CLIENT_BAD_URL = -1,       /* the URL given is not one we can use */
    HTTP_CLIENT_UNREACHABLE = -2,   /* no name, no route, refused */
    HTTP_CLIENT_TIMEOUT = -3,       /* the server went silent */
    HTTP_CLIENT_PROTOCOL = -4,      /* the answer is not HTTP we understand */
    HTTP_CLIENT_STREAM = -5,        /* the event stream broke or said stop */
};

struct http_client {
    char url[512];              /* as given, for messages */
    char host[256];             /* for messages */
    char base_url[600];         /* "http://host:port[/prefix]", no trailing '/' */
    char token[256];            /* "" = send no Authorization */
    int timeout_ms;             /* connect, and each silence; 0 = default */
};

struct http_response {
    int status;
    char content_type[128];
    char *body;                 /* NUL-terminated; free with http_response_free */
    size_t body_len;
};

/* "http://host[:port][/prefix]" (the scheme may be left out); the port
 * defaults to 8080 (jigd's). Also readies libcurl: call it before any
 * other thread makes a request. */
int http_client_init(struct http_client *c, const char *url, char *err, size_t errlen);

/* Sends one request (`body` may be NULL; if not, it is sent as JSON) and
 * reads the whole answer. Returns HTTP_CLIENT_OK whatever the HTTP status
 * (look at resp->status), or a negative status with a sentence in err. */
int http_client_request(const struct http_client *c, const char *method,
                        const char *path, const char *body,
                        struct http_response *resp, char *err, size_t errlen);

/* POSTs a file's bytes (`len` of them) as `content_type` and reads the
 * whole answer, as http_client_request does. */
int http_client_upload(const struct http_client *c, const char *path, const void *data,
                       size_t len, const char *content_type, struct http_response *resp,
                       char *err, size_t errlen);

void http_response_free(struct http_response *resp);

/* Opens an event stream at `path` and feeds it to `on_event` until the
 * callback returns non-zero (HTTP_CLIENT_OK), the server ends the stream
 * (HTTP_CLIENT_STREAM, "jigd closed the event stream"), or nothing arrives
 * for `idle_ms` (HTTP_CLIENT_TIMEOUT; jigd sends a heartbeat every 15 s).
 * `last_event_id` (may be NULL) asks for a replay. A non-200 answer is
 * reported with the server's own error text. */
int http_client_events(const struct http_client *c, const char *path,
                       const char *last_event_id, int idle_ms,
                       sse_event_fn on_event, void *ctx,
                       char *err, size_t errlen);

#endif
